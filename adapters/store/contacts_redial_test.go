package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

func redialCampaign(t *testing.T, db *store.DB, now time.Time) store.Campaign {
	t.Helper()
	c := store.Campaign{Tenant: "t1", Name: "c", Config: dialer.Campaign{Mode: dialer.ModeIVR, DefaultRegion: "RU"}}
	if err := db.CreateCampaign(context.Background(), &c, now); err != nil {
		t.Fatal(err)
	}
	return c
}

func multiNumberContact(t *testing.T, id string, numbers ...string) dialer.Contact {
	t.Helper()
	c, dropped, err := dialer.NewContact(dialer.ContactInput{ID: id, Numbers: numbers}, "RU")
	if err != nil || len(dropped) > 0 {
		t.Fatalf("contact %s: %v %v", id, dropped, err)
	}
	return c
}

// A contact is found by its main number, else by one of its other
// numbers (the first such contact in list order); another campaign's
// contacts are not looked at, and a number nobody holds is not found,
// naming the number.
func TestContactByNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		c, other := redialCampaign(t, db, now), redialCampaign(t, db, now)
		if _, rej, err := db.InsertContacts(ctx, c.ID, []dialer.Contact{
			multiNumberContact(t, "a", "+79210000001", "+79210000002"),
			multiNumberContact(t, "b", "+79210000003", "+79210000002", "+79210000004"),
			multiNumberContact(t, "c", "+79210000002"), // a's second number is c's main one
		}, now); err != nil || len(rej) > 0 {
			t.Fatalf("import: %+v %v", rej, err)
		}
		if _, _, err := db.InsertContacts(ctx, other.ID, []dialer.Contact{multiNumberContact(t, "z", "+79210000009")}, now); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ number, contact string }{
			{"+79210000001", "a"},
			{"+79210000002", "c"}, // main number first
			{"+79210000004", "b"}, // b's third number
			{"+79210000009", ""},  // the other campaign's
			{"+79210000005", ""},
		} {
			got, err := db.ContactByNumber(ctx, c.ID, tc.number)
			if tc.contact == "" {
				if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `number "`+tc.number+`"`) {
					t.Errorf("%s: %+v %v; want not found naming the number", tc.number, got.ContactID, err)
				}
				continue
			}
			if err != nil || got.ContactID != tc.contact || got.CampaignID != c.ID || len(got.Data.Numbers) == 0 {
				t.Errorf("%s: %q %v; want contact %s", tc.number, got.ContactID, err, tc.contact)
			}
		}
		// Without "c", the shared number belongs to a (before b in the list).
		if _, err := db.NewDelete().Model((*store.Contact)(nil)).Where("campaign_id = ? AND contact_id = 'c'", c.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if got, err := db.ContactByNumber(ctx, c.ID, "+79210000002"); err != nil || got.ContactID != "a" {
			t.Errorf("shared other number: %q %v; want a", got.ContactID, err)
		}
	})
}

// A redial asked for by hand (contact.scheduled recall or follow_on, no
// outcome) keeps the contact's due time and leaves its redial budget
// alone; the redial policy's follow-on (with the outcome) uses it up. The
// due time comes back with the contact after a restart, also for a
// contact that was finished.
func TestRedialScheduleIsStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		c := redialCampaign(t, db, now)
		camp := store.ACDID(c.ID)
		if _, _, err := db.InsertContacts(ctx, c.ID, []dialer.Contact{multiNumberContact(t, "k0", "+79210000001"), multiNumberContact(t, "k1", "+79210000002")}, now); err != nil {
			t.Fatal(err)
		}
		ev := func(typ event.Type, contact string, f func(*event.Event)) event.Event {
			e := event.Event{Type: typ, At: now, Tenant: "t1", Campaign: camp, Contact: contact}
			f(&e)
			return e
		}
		recall := now.Add(2 * time.Hour)
		if err := db.RecordDialerEvents(ctx, now, []event.Event{
			// k0: one busy try, then the policy's follow-on, then finished.
			ev(event.AttemptStarted, "k0", func(e *event.Event) {
				e.Call, e.Attempt, e.Attrs = "x-1", "x-1", map[string]string{"number": "+79210000001", "try": "1"}
			}),
			ev(event.AttemptFinished, "k0", func(e *event.Event) { e.Call, e.Outcome = "x-1", "busy" }),
			ev(event.ContactScheduled, "k0", func(e *event.Event) {
				e.Reason, e.Outcome, e.Attrs = "follow_on", "busy", map[string]string{"at": now.Format(time.RFC3339Nano), "try": "2"}
			}),
			ev(event.ContactFinished, "k0", func(e *event.Event) { e.Outcome, e.Reason = "busy", "failed" }),
			// By hand: a recall of the finished k0, a follow-on of k1.
			ev(event.ContactScheduled, "k0", func(e *event.Event) {
				e.Reason, e.Attrs = "recall", map[string]string{"at": recall.Format(time.RFC3339), "number": "+79210000001"}
			}),
			ev(event.ContactScheduled, "k1", func(e *event.Event) {
				e.Reason, e.Attrs = "follow_on", map[string]string{"at": now.Format(time.RFC3339), "number": "+79210000002"}
			}),
		}); err != nil {
			t.Fatal(err)
		}
		k0, _ := db.ContactRow(ctx, c.ID, "k0")
		k1, _ := db.ContactRow(ctx, c.ID, "k1")
		if k0.Status != dialer.ContactDelayed || !k0.NextDue.Equal(recall) || k0.FollowOns != 1 || k0.Tries != 1 {
			t.Errorf("k0 after a recall: %s due %v follow_ons %d tries %d; want delayed at %v, the policy's one follow-on, 1 try",
				k0.Status, k0.NextDue, k0.FollowOns, k0.Tries, recall)
		}
		if k1.Status != dialer.ContactDelayed || !k1.NextDue.Equal(now) || k1.FollowOns != 0 {
			t.Errorf("k1 after a follow-on by hand: %s due %v follow_ons %d; want delayed now, no follow-on used", k1.Status, k1.NextDue, k1.FollowOns)
		}
		restored, _, err := store.ContactSource{DB: db}.NextContacts(ctx, camp, "", 10)
		if err != nil || len(restored) != 2 || restored[0].ID != "k0" || restored[0].Progress == nil || !restored[0].Progress.Due.Equal(recall) ||
			restored[0].Progress.FollowOns != 1 || restored[1].Progress == nil || !restored[1].Progress.Due.Equal(now) {
			t.Fatalf("contacts loaded after a restart: %+v %v", restored, err)
		}
	})
}

// The number a recall asks for and the one try of a contact brought back
// from done are stored with its due time and given back as its Progress; a
// started try uses up the number (an interrupted one keeps the one-try
// mark), and the contact's finish or a later schedule of the redial policy
// clears both.
func TestRedialNumberAndOnceRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		c := redialCampaign(t, db, now)
		camp := store.ACDID(c.ID)
		const first, second = "+79210000001", "+79210000002"
		if _, _, err := db.InsertContacts(ctx, c.ID, []dialer.Contact{multiNumberContact(t, "k", first, second)}, now); err != nil {
			t.Fatal(err)
		}
		due := now.Add(90 * time.Minute).Add(250 * time.Millisecond)
		record := func(typ event.Type, f func(*event.Event)) {
			t.Helper()
			e := event.Event{Type: typ, At: now, Tenant: "t1", Campaign: camp, Contact: "k"}
			f(&e)
			if err := db.RecordDialerEvents(ctx, now, []event.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		progress := func() *dialer.Progress {
			t.Helper()
			cs, _, err := store.ContactSource{DB: db}.NextContacts(ctx, camp, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 0 {
				return nil
			}
			if len(cs) != 1 || cs[0].ID != "k" || cs[0].Progress == nil {
				t.Fatalf("restored %+v", cs)
			}
			return cs[0].Progress
		}
		started := func(call, try string) {
			record(event.AttemptStarted, func(e *event.Event) {
				e.Call, e.Attempt, e.Attrs = call, call, map[string]string{"number": second, "try": try}
			})
		}
		// Two tries, finished; a recall of its second number brings it back for one try.
		started("x-1", "1")
		started("x-2", "2")
		record(event.ContactFinished, func(e *event.Event) { e.Outcome, e.Reason = "busy", "failed" })
		record(event.ContactScheduled, func(e *event.Event) {
			e.Reason, e.Attrs = "recall", map[string]string{"at": due.Format(time.RFC3339Nano), dialer.AttrNumber: second, dialer.AttrOnce: "true", "try": "3"}
		})
		if p := progress(); p == nil || p.Number != second || !p.Once || !p.Due.Equal(due) || p.Tries != 2 || p.Interrupted {
			t.Fatalf("after the recall: %+v; want number %s, once, due %v, 2 tries", p, second, due)
		}
		// Its try starts and the service stops: the one-try mark stays, the number is used.
		started("x-3", "3")
		if p := progress(); p == nil || p.Number != "" || !p.Once || !p.Interrupted || p.Tries != 3 {
			t.Fatalf("during the recalled try: %+v; want no number, once, interrupted, 3 tries", p)
		}
		record(event.ContactFinished, func(e *event.Event) { e.Outcome, e.Reason = "failed", "failed" })
		if p := progress(); p != nil {
			t.Fatalf("finished contact restored with %+v", p)
		}
		row, err := db.ContactRow(ctx, c.ID, "k")
		if err != nil || row.NextOnce || row.NextNumber != "" || row.Tries != 3 {
			t.Fatalf("finished row: %+v %v", row, err)
		}
		// A recall of a contact still in its round (no once), then the policy's redial.
		record(event.ContactScheduled, func(e *event.Event) {
			e.Reason, e.Attrs = "recall", map[string]string{"at": due.Format(time.RFC3339Nano), dialer.AttrNumber: second}
		})
		if p := progress(); p == nil || p.Number != second || p.Once {
			t.Fatalf("after a recall in the round: %+v; want number %s, not once", p, second)
		}
		record(event.ContactScheduled, func(e *event.Event) {
			e.Reason, e.Outcome, e.Attrs = "redial", "busy", map[string]string{"at": due.Format(time.RFC3339Nano), dialer.AttrNumber: first}
		})
		if p := progress(); p == nil || p.Number != first || p.Once || p.Redials["busy"] != 1 {
			t.Fatalf("after the policy's redial: %+v; want number %s, not once, one busy redial", p, first)
		}
	})
}
