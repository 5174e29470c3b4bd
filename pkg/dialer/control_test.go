package dialer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// HangupCall and TransferCall reach a tenant's live callback legs, ringing
// and connected; the attempt finishes with the call-control reason.
func TestCallControl(t *testing.T) {
	robot := telephony.DialplanTarget{Context: "ivr", Extension: "s", Priority: 1}
	leg := func(h *harness, i int) telephony.CallID { return h.origs[i].req.Call }
	tests := []struct {
		name   string
		at     time.Duration // when the command is given
		cmd    func(h *harness) dialer.Command
		err    error
		reason string // the attempt's reason; "" when it must not have finished
		check  func(t *testing.T, h *harness)
	}{
		{name: "hang up A ringing", at: time.Second,
			cmd:    func(h *harness) dialer.Command { return dialer.HangupCall{Tenant: "t1", Call: leg(h, 0)} },
			reason: dialer.ReasonHungUpByAPI},
		{name: "hang up B ringing", at: 3 * time.Second,
			cmd:    func(h *harness) dialer.Command { return dialer.HangupCall{Tenant: "t1", Call: leg(h, 1)} },
			reason: dialer.ReasonHungUpByAPI},
		{name: "hang up A connected", at: 10 * time.Second,
			cmd:    func(h *harness) dialer.Command { return dialer.HangupCall{Tenant: "t1", Call: leg(h, 0)} },
			reason: dialer.ReasonHungUpByAPI,
			check: func(t *testing.T, h *harness) {
				if _, ok := h.ends[leg(h, 1)]; !ok {
					t.Error("B leg not hung up with A")
				}
			}},
		{name: "transfer A ringing", at: time.Second,
			cmd: func(h *harness) dialer.Command { return dialer.TransferCall{Tenant: "t1", Call: leg(h, 0), To: robot} },
			err: dialer.ErrState},
		{name: "transfer B ringing", at: 3 * time.Second,
			cmd: func(h *harness) dialer.Command { return dialer.TransferCall{Tenant: "t1", Call: leg(h, 1), To: robot} },
			err: dialer.ErrState},
		{name: "transfer A connected", at: 10 * time.Second,
			cmd: func(h *harness) dialer.Command { return dialer.TransferCall{Tenant: "t1", Call: leg(h, 0), To: robot} },
			check: func(t *testing.T, h *harness) {
				if !hasDecision(h, dialer.ContinueDialplan{Call: leg(h, 0), To: robot}) {
					t.Error("A not sent to the dialplan")
				}
				if _, ok := h.ends[leg(h, 1)]; !ok {
					t.Error("B leg not hung up")
				}
				if _, ok := h.ends[leg(h, 0)]; ok {
					t.Error("transferred A leg hung up")
				}
				if h.d.LiveCalls() != 1 {
					t.Errorf("%d live calls, want the transferred one", h.d.LiveCalls())
				}
				_ = h.pbx.Hangup(t.Context(), leg(h, 0), telephony.CauseNormalClearing)
				h.run(h.now.Add(time.Second))
				if r := finishedReason(h); r != dialer.ReasonTransferredByAPI {
					t.Errorf("after A hung up: reason %q, want %q", r, dialer.ReasonTransferredByAPI)
				}
			}},
		{name: "another tenant's call", at: 10 * time.Second,
			cmd: func(h *harness) dialer.Command { return dialer.HangupCall{Tenant: "t2", Call: leg(h, 0)} },
			err: dialer.ErrUnknownCall},
		{name: "another tenant's call moved", at: 10 * time.Second,
			cmd: func(h *harness) dialer.Command { return dialer.TransferCall{Tenant: "t2", Call: leg(h, 0), To: robot} },
			err: dialer.ErrUnknownCall},
		{name: "an unknown call", at: 10 * time.Second,
			cmd: func(*harness) dialer.Command { return dialer.HangupCall{Tenant: "t1", Call: "nobody"} },
			err: dialer.ErrUnknownCall},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, longCalls)
			c := dialer.Campaign{ID: "c", Tenant: "t1", Name: "cb", Mode: dialer.ModeCallback, DefaultRegion: "RU", Start: dialer.Start{Mode: dialer.StartNow},
				Redial: dialer.RedialPolicy{MaxTries: 1}}
			h.must(dialer.AddCampaign{Campaign: c})
			h.contacts("c", 0, 1, func(in *dialer.ContactInput) { in.Callback = "+79161234567" })
			h.run(t0.Add(tc.at))
			err := h.do(tc.cmd(h))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			h.run(h.now.Add(5 * time.Second))
			if r := finishedReason(h); r != tc.reason {
				t.Errorf("attempt reason %q, want %q", r, tc.reason)
			}
			if tc.err != nil && h.d.LiveCalls() == 0 {
				t.Error("a refused command ended the call")
			}
			if tc.check != nil {
				tc.check(t, h)
			}
		})
	}
}

func hasDecision(h *harness, want dialer.Decision) bool {
	for _, x := range h.decisions {
		if x == want {
			return true
		}
	}
	return false
}

func finishedReason(h *harness) string {
	for _, e := range h.events {
		if e.Type == event.AttemptFinished {
			return e.Reason
		}
	}
	return ""
}
