package hostapi

import (
	"context"
	"errors"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// HangupCall hangs up one of the account's calls: a caller in one of its
// queues through internal/queues (the ACD's RemoveCaller; the inbound
// binding hangs up the channel and a connected agent's leg), or else a
// live call of one of its campaigns (a leg being dialled or talking, e.g.
// a callback's A or B leg) through the dialer (its attempt finishes with
// reason hung_up_by_api). Another account's call, a gone or unknown one,
// is not found.
func (h *Host) HangupCall(ctx context.Context, account, call string) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	err := translate(h.svc.cfg.Queues.HangupCaller(ctx, account, call))
	if !errors.Is(err, dialect.ErrNotFound) || call == "" {
		return err
	}
	return translate(h.svc.cfg.Campaigns.HangupCall(ctx, account, call))
}

// TransferCall moves one of the account's calls to destination (checked
// with dialect.CheckDestination: "context,exten[,priority]", or a bare
// extension or number in the transfer context), as HangupCall finds it: a
// queue caller through the inbound binding, else an answered campaign call
// through the dialer (the other leg of a callback is hung up; the attempt
// finishes with reason transferred_by_api when the call ends). A campaign
// call still ringing fails its precondition.
func (h *Host) TransferCall(ctx context.Context, account, call, destination string) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	if err := dialect.CheckDestination(destination); err != nil {
		return err
	}
	err := translate(h.svc.cfg.Queues.TransferCaller(ctx, account, call, destination))
	if !errors.Is(err, dialect.ErrNotFound) || call == "" {
		return err
	}
	return translate(h.svc.cfg.Campaigns.TransferCall(ctx, account, call, destination))
}
