package hostapi

import (
	"context"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// HangupCall hangs up a call in one of the account's queues through
// internal/queues (the ACD's RemoveCaller; the inbound binding hangs up the
// channel and a connected agent's leg). Calls are queue callers only: a
// campaign's call counts once it is handed to a queue. Another account's
// call, a gone or unknown one, is not found.
func (h *Host) HangupCall(ctx context.Context, account, call string) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	return translate(h.svc.cfg.Queues.HangupCaller(ctx, account, call))
}

// TransferCall moves a call in one of the account's queues to destination
// (checked with dialect.CheckDestination; the inbound binding continues the
// channel in the dialplan: "context,exten[,priority]", or a bare extension
// or number in its transfer context), as HangupCall finds it.
func (h *Host) TransferCall(ctx context.Context, account, call, destination string) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	if err := dialect.CheckDestination(destination); err != nil {
		return err
	}
	return translate(h.svc.cfg.Queues.TransferCaller(ctx, account, call, destination))
}
