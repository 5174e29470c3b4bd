package dialer_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/pkg/telephony/telephonytest"
)

func TestCancelContact(t *testing.T) {
	oneAtATime := func(c *dialer.Campaign) { c.Pacing.MaxConcurrent = 1 }
	redialBusy := func(c *dialer.Campaign) {
		c.Redial.Rules = map[telephony.Outcome]dialer.RedialRule{telephony.OutcomeBusy: {Count: 2, Intervals: []time.Duration{time.Minute}}}
	}
	sameNumber := func(h *harness) {
		a, _, _ := dialer.NewContact(dialer.ContactInput{ID: "k0", Numbers: []string{"+79210000001"}}, "RU")
		b, _, _ := dialer.NewContact(dialer.ContactInput{ID: "k1", Numbers: []string{"89210000001"}}, "RU")
		h.must(dialer.AddContacts{Campaign: "c", Contacts: []dialer.Contact{a, b}, Exhausted: true})
	}
	tests := []struct {
		name     string
		rule     telephonytest.Rule
		campaign func(*dialer.Campaign)
		load     func(*harness) // nil: contacts k0 and k1
		cancelAt time.Duration
		cmd      dialer.CancelContact
		wantErr  error
		// After running an hour: the contacts dialled, in order.
		wantDialled []string
	}{
		{"waiting for its first try", longCalls, oneAtATime, nil, 10 * time.Second,
			dialer.CancelContact{Campaign: "c", Contact: "k1"}, nil, []string{"k0"}},
		{"waiting for a redial", quickBusy, func(c *dialer.Campaign) { oneAtATime(c); redialBusy(c) }, nil, 3 * time.Second,
			dialer.CancelContact{Campaign: "c", Contact: "k0"}, nil, []string{"k0", "k1", "k1", "k1"}},
		{"parked behind its number's call", longCalls, nil, sameNumber, 10 * time.Second,
			dialer.CancelContact{Campaign: "c", Contact: "k1"}, nil, []string{"k0"}},
		{"in a call", longCalls, oneAtATime, nil, 10 * time.Second,
			dialer.CancelContact{Campaign: "c", Contact: "k0"}, dialer.ErrState, []string{"k0", "k1"}},
		{"already finished", quickBusy, nil, nil, 30 * time.Second,
			dialer.CancelContact{Campaign: "c", Contact: "k0"}, dialer.ErrUnknownContact, []string{"k0", "k1"}},
		{"not a contact of the campaign", longCalls, nil, nil, 10 * time.Second,
			dialer.CancelContact{Campaign: "c", Contact: "k9"}, dialer.ErrUnknownContact, []string{"k0", "k1"}},
		{"unknown campaign", longCalls, nil, nil, 10 * time.Second,
			dialer.CancelContact{Campaign: "x", Contact: "k0"}, dialer.ErrUnknownCampaign, []string{"k0", "k1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.rule)
			c := ivrCampaign("c")
			if tt.campaign != nil {
				tt.campaign(&c)
			}
			h.must(dialer.AddCampaign{Campaign: c})
			if tt.load != nil {
				tt.load(h)
			} else {
				h.contacts("c", 0, 2, nil)
			}
			h.run(t0.Add(tt.cancelAt))
			err := h.do(tt.cmd)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("cancel: %v, want %v", err, tt.wantErr)
			}
			h.run(t0.Add(time.Hour))
			var dialled []string
			for _, o := range h.origs {
				dialled = append(dialled, o.contact)
			}
			if !slices.Equal(dialled, tt.wantDialled) {
				t.Errorf("dialled %v, want %v", dialled, tt.wantDialled)
			}
			cancelled := h.count(event.ContactFinished, func(e event.Event) bool { return e.Reason == "cancelled" })
			finished := h.count(event.ContactFinished, nil)
			if want := map[bool]int{true: 1, false: 0}[tt.wantErr == nil]; cancelled != want || finished != 2 {
				t.Errorf("contact.finished: %d cancelled (want %d), %d in all (want 2)", cancelled, want, finished)
			}
			st, _ := h.d.Stats("c", h.now)
			if state, _ := h.d.State("c"); state != dialer.StateFinished || st.Done != 2 {
				t.Errorf("campaign %s with %d done, want finished with 2", state, st.Done)
			}
			if tt.wantErr == nil {
				if _, err := h.d.ContactStatus("c", tt.cmd.Contact); !errors.Is(err, dialer.ErrUnknownContact) {
					t.Errorf("a cancelled contact is still held: %v", err)
				}
			}
		})
	}
}
