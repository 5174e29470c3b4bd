package dialer_test

import (
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// TestRecallNumberAndOnce checks that the number a recall asks for and the
// "one try only" of a contact brought back from done are carried by the
// contact.scheduled event and, given back as Progress (as after a restart),
// decide the next try: its number, its try count, and whether the redial
// policy follows it.
func TestRecallNumberAndOnce(t *testing.T) {
	const first, second = "+79210000001", "+79210000002"
	due := t0.Add(time.Hour)
	type want struct {
		scheduled map[string]string // attrs of the last contact.scheduled before the dial (nil: none checked)
		dialled   []string          // numbers dialled, in order, until t0+2h
		try       string            // "try" of the first attempt.started
		finished  bool              // finished by t0+2h, with no redial scheduled after the recalled try
	}
	tests := []struct {
		name string
		// setup adds contact k (its numbers first, second) so that a try of it is due at due.
		setup func(h *harness, ct dialer.Contact)
		want  want
	}{
		{"recall of a finished contact's second number", func(h *harness, ct dialer.Contact) {
			ct.Progress = &dialer.Progress{Tries: 2}
			h.must(dialer.Recall{Campaign: "c", Number: second, At: due, Contact: &ct})
		}, want{scheduled: map[string]string{dialer.AttrNumber: second, dialer.AttrOnce: "true", "try": "3"}, dialled: []string{second}, try: "3", finished: true}},
		{"recall of a finished contact's first number: that number only", func(h *harness, ct dialer.Contact) {
			h.must(dialer.Recall{Campaign: "c", Number: first, At: due, Contact: &ct})
		}, want{scheduled: map[string]string{dialer.AttrNumber: first, dialer.AttrOnce: "true", "try": "1"}, dialled: []string{first}, try: "1", finished: true}},
		{"restored: second number, one try", func(h *harness, ct dialer.Contact) {
			ct.Progress = &dialer.Progress{Tries: 2, Due: due, Number: second, Once: true}
			h.must(dialer.AddContacts{Campaign: "c", Contacts: []dialer.Contact{ct}, Exhausted: true})
		}, want{dialled: []string{second}, try: "3", finished: true}},
		{"restored: second number, the redial policy after it", func(h *harness, ct dialer.Contact) {
			ct.Progress = &dialer.Progress{Tries: 1, Due: due, Number: second}
			h.must(dialer.AddContacts{Campaign: "c", Contacts: []dialer.Contact{ct}, Exhausted: true})
		}, want{dialled: []string{second, first, second}, try: "2"}},
		{"restored: the one try cut short by the restart", func(h *harness, ct dialer.Contact) {
			ct.Progress = &dialer.Progress{Tries: 3, Number: second, Once: true, Interrupted: true}
			h.must(dialer.AddContacts{Campaign: "c", Contacts: []dialer.Contact{ct}, Exhausted: true})
		}, want{finished: true}},
		{"restored: no number kept, the first", func(h *harness, ct dialer.Contact) {
			ct.Progress = &dialer.Progress{Tries: 1, Due: due}
			h.must(dialer.AddContacts{Campaign: "c", Contacts: []dialer.Contact{ct}, Exhausted: true})
		}, want{dialled: []string{first, second, first, second}, try: "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, quickBusy)
			c := ivrCampaign("c")
			c.Redial.Rules = map[telephony.Outcome]dialer.RedialRule{telephony.OutcomeBusy: {Count: 5, Intervals: []time.Duration{30 * time.Minute}}}
			h.must(dialer.AddCampaign{Campaign: c})
			ct, _, err := dialer.NewContact(dialer.ContactInput{ID: "k", Numbers: []string{first, second}}, "RU")
			if err != nil {
				t.Fatal(err)
			}
			tt.setup(h, ct)
			if tt.want.scheduled != nil {
				var got map[string]string
				for _, e := range h.events {
					if e.Type == event.ContactScheduled {
						got = e.Attrs
					}
				}
				for k, v := range tt.want.scheduled {
					if got[k] != v {
						t.Errorf("contact.scheduled %s = %q, want %q (%v)", k, got[k], v, got)
					}
				}
			}
			h.run(t0.Add(2 * time.Hour))
			var dialled []string
			for _, o := range h.origs {
				if o.at.Before(due) {
					t.Errorf("dialled %s at %s, before the due time", o.req.Target.Number, o.at)
				}
				dialled = append(dialled, o.req.Target.Number)
			}
			if len(dialled) != len(tt.want.dialled) {
				t.Fatalf("dialled %v, want %v", dialled, tt.want.dialled)
			}
			for i := range dialled {
				if dialled[i] != tt.want.dialled[i] {
					t.Errorf("dialled %v, want %v", dialled, tt.want.dialled)
					break
				}
			}
			if tt.want.try != "" {
				for _, e := range h.events {
					if e.Type == event.AttemptStarted {
						if e.Attrs["try"] != tt.want.try {
							t.Errorf("first try = %s, want %s", e.Attrs["try"], tt.want.try)
						}
						break
					}
				}
			}
			fin := h.count(event.ContactFinished, nil) == 1
			if fin != tt.want.finished {
				t.Errorf("finished = %v, want %v", fin, tt.want.finished)
			}
			if tt.want.finished {
				if _, err := h.d.ContactStatus("c", "k"); err == nil {
					t.Error("a finished contact is still held")
				}
			}
		})
	}
}

// TestRecallDuringATry checks that a recall asked for while the contact is
// on a call dials the number asked for once that try has ended.
func TestRecallDuringATry(t *testing.T) {
	const first, second = "+79210000001", "+79210000002"
	h := newHarness(t, longCalls)
	h.must(dialer.AddCampaign{Campaign: ivrCampaign("c")})
	ct, _, _ := dialer.NewContact(dialer.ContactInput{ID: "k", Numbers: []string{first, second}}, "RU")
	h.must(dialer.AddContacts{Campaign: "c", Contacts: []dialer.Contact{ct}, Exhausted: true})
	h.run(t0.Add(5 * time.Second)) // answered at 2 s, talking for 10 min
	if len(h.origs) != 1 {
		t.Fatalf("originates %d, want 1", len(h.origs))
	}
	h.must(dialer.Recall{Campaign: "c", Number: second, At: t0.Add(time.Hour)})
	h.run(t0.Add(2 * time.Hour))
	if len(h.origs) != 2 || h.origs[1].req.Target.Number != second || !h.origs[1].at.Equal(t0.Add(time.Hour)) {
		t.Fatalf("originates %+v, want the second number at t0+1h", h.origs)
	}
	var sched map[string]string
	for _, e := range h.events {
		if e.Type == event.ContactScheduled && e.Reason == "recall" {
			sched = e.Attrs
		}
	}
	if sched[dialer.AttrNumber] != second || sched[dialer.AttrOnce] != "" {
		t.Errorf("contact.scheduled attrs %v, want number %s and no once", sched, second)
	}
}
