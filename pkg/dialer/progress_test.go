package dialer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Contacts restored with their progress are never dialled beyond their
// rules: an interrupted try counts as a failed try, a scheduled redial keeps
// its time.
func TestRestoredProgress(t *testing.T) {
	h := newHarness(t, allFail)
	c := ivrCampaign("c")
	c.Redial.MaxTries = 2
	c.Redial.RetryPause = time.Minute
	h.must(dialer.AddCampaign{Campaign: c})
	progress := map[string]*dialer.Progress{
		"k0": {Tries: 2, Interrupted: true},                    // its last try was cut: finished, not dialled
		"k1": {Tries: 1, Interrupted: true},                    // one more try after the retry pause
		"k2": {Tries: 1, Due: t0.Add(10 * time.Minute)},        // its redial is due at +10 min
		"k3": nil,                                              // fresh: two tries
		"k4": {Tries: 1, Redials: map[telephony.Outcome]int{}}, // redial already due: now
	}
	var cs []dialer.Contact
	for i := range 5 {
		id := fmt.Sprint("k", i)
		ct, _, err := dialer.NewContact(dialer.ContactInput{ID: id, Numbers: []string{fmt.Sprintf("+7921%07d", i)}}, "RU")
		if err != nil {
			t.Fatal(err)
		}
		ct.Progress = progress[id]
		cs = append(cs, ct)
	}
	h.must(dialer.AddContacts{Campaign: "c", Contacts: cs, Exhausted: true})
	h.run(t0.Add(time.Hour))

	dials := map[string][]time.Time{}
	for _, o := range h.origs {
		dials[o.contact] = append(dials[o.contact], o.at)
	}
	want := map[string]int{"k0": 0, "k1": 1, "k2": 1, "k3": 2, "k4": 1}
	for id, n := range want {
		if len(dials[id]) != n {
			t.Errorf("%s dialled %d times, want %d", id, len(dials[id]), n)
		}
	}
	if ts := dials["k1"]; len(ts) == 1 && ts[0] != t0.Add(time.Minute) {
		t.Errorf("k1 redialled at %s, want after the retry pause", ts[0].Sub(t0))
	}
	if ts := dials["k2"]; len(ts) == 1 && ts[0] != t0.Add(10*time.Minute) {
		t.Errorf("k2 redialled at %s, want at its due time", ts[0].Sub(t0))
	}
	if ts := dials["k4"]; len(ts) == 1 && ts[0] != t0 {
		t.Errorf("k4 redialled at %s, want at once", ts[0].Sub(t0))
	}
	if n := h.count(event.ContactFinished, func(e event.Event) bool { return e.Contact == "k0" && e.Outcome == "failed" }); n != 1 {
		t.Errorf("k0 contact.finished failed = %d", n)
	}
	if n := h.count(event.ContactScheduled, func(e event.Event) bool { return e.Contact == "k1" && e.Outcome == "failed" && e.Reason == "redial" }); n != 1 {
		t.Errorf("k1 contact.scheduled after the interrupted try = %d", n)
	}
	if n := h.count(event.ContactFinished, nil); n != 5 {
		t.Errorf("finished contacts %d, want 5", n)
	}
	if st, _ := h.d.State("c"); st != dialer.StateFinished {
		t.Errorf("state %s", st)
	}
}
