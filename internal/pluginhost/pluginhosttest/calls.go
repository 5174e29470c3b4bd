package pluginhosttest

import (
	"context"
	"slices"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// HangupCall takes a caller out of the account's queues and hangs it up
// (acd.RemoveCaller), as the service's host does. A caller in none of the
// account's queues (each account has its own engine) is not found.
func (h *Host) HangupCall(ctx context.Context, account, call string) error {
	return h.do(ctx, "HangupCall", account, acd.RemoveCaller{Caller: call})
}

// TransferCall takes a caller out of the account's queues and sends it to
// destination (acd.TransferCaller), checked with dialect.CheckDestination
// as the service's host checks it.
func (h *Host) TransferCall(ctx context.Context, account, call, destination string) error {
	if err := h.before(ctx, "TransferCall", account); err != nil {
		return err
	}
	if err := dialect.CheckDestination(destination); err != nil {
		return err
	}
	e, err := h.Engine(account)
	if err != nil {
		return err
	}
	return dialect.FromCore(e.Do(ctx, acd.TransferCaller{Caller: call, Destination: destination}))
}

// Releases lists the acd.HangupCaller and acd.Transfer decisions the
// account's engine made (what the PBX side would carry out), in order.
func (h *Host) Releases(account string) []acd.Decision {
	h.relMu.Lock()
	defer h.relMu.Unlock()
	return slices.Clone(h.releases[account])
}

// keepReleases runs on an engine's goroutine as its decision sink.
func (h *Host) keepReleases(account string, ds []acd.Decision) {
	h.relMu.Lock()
	defer h.relMu.Unlock()
	for _, d := range ds {
		switch d.(type) {
		case acd.HangupCaller, acd.Transfer:
			h.releases[account] = append(h.releases[account], d)
		}
	}
}
