package campaigns_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// A contact of a stopped campaign (not loaded by the dialer) is stored
// finished by a cancel; after a restart the started campaign dials the
// others and never it.
func TestCancelSurvivesRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c, number := storedCampaign(t, db, dialer.StateStopped, 3)
		first := startNode(t, db)
		if _, err := first.svc.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		if err := first.svc.Cancel(ctx, "t1", c.ID, "k1"); err != nil {
			t.Fatal(err)
		}
		if k1, _ := db.ContactRow(ctx, c.ID, "k1"); k1.Status != dialer.ContactFinished {
			t.Fatalf("k1 after the cancel: %s, want finished", k1.Status)
		}
		if err := first.svc.Cancel(ctx, "t1", c.ID, "k1"); !errors.Is(err, dialer.ErrState) {
			t.Errorf("a second cancel: %v, want ErrState", err)
		}
		first.stop()

		second := startNode(t, db)
		if _, err := second.svc.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		if err := second.svc.Start(ctx, "t1", c.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "k0's and k2's calls", func() bool {
			d := second.dialled()
			return d[number(0, 0)] == 1 && d[number(2, 0)] == 1
		})
		if d := second.dialled(); d[number(1, 0)] != 0 || len(d) != 2 {
			t.Errorf("dialled %v; want k0's and k2's numbers only", d)
		}
		st, err := second.eng.Stats(ctx, c.Config.ID)
		if err != nil || st.Loaded != 2 {
			t.Errorf("the dialer loaded %d contacts (%v), want 2", st.Loaded, err)
		}
	})
}

// A running campaign's contact the dialer holds is dropped there: a
// waiting one is finished (and stored so by the recorder), one on a call
// is refused and keeps its call.
func TestCancelOfHeldContacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := ivr()
		cfg.Pacing.MaxConcurrent = 1
		c := store.Campaign{Tenant: "t1", Name: "one at a time", State: dialer.StateStopped, Config: cfg}
		if err := db.CreateCampaign(ctx, &c, time.Now()); err != nil {
			t.Fatal(err)
		}
		var cs []dialer.Contact
		for i, n := range []string{"+79215550001", "+79215550002", "+79215550003"} {
			ct, _, err := dialer.NewContact(dialer.ContactInput{ID: []string{"k0", "k1", "k2"}[i], Numbers: []string{n}}, "RU")
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, ct)
		}
		if _, _, err := db.InsertContacts(ctx, c.ID, cs, time.Now()); err != nil {
			t.Fatal(err)
		}
		n := startNode(t, db)
		if _, err := n.svc.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		if err := n.svc.Start(ctx, "t1", c.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "k0's call and the others loaded", func() bool {
			st, err := n.eng.Stats(ctx, c.Config.ID)
			return err == nil && st.Loaded == 3 && n.dialled()["+79215550001"] == 1
		})
		for _, tc := range []struct {
			name, contact string
			tenant        string
			is            error
		}{
			{"waiting for its first try", "k1", "t1", nil},
			{"on a call", "k0", "t1", dialer.ErrState},
			{"cancelled already", "k1", "t1", dialer.ErrState},
			{"unknown", "k9", "t1", store.ErrNotFound},
			{"another tenant's campaign", "k2", "t2", store.ErrNotFound},
		} {
			err := n.svc.Cancel(ctx, tc.tenant, c.ID, tc.contact)
			if tc.is == nil && err != nil || tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.is)
			}
		}
		waitFor(t, "k1 stored finished", func() bool {
			k1, _ := db.ContactRow(ctx, c.ID, "k1")
			return k1.Status == dialer.ContactFinished
		})
		if k0, _ := db.ContactRow(ctx, c.ID, "k0"); k0.Status != dialer.ContactExecuted || !k0.InTry {
			t.Errorf("k0 after a refused cancel: %+v", k0)
		}
		n.pbx.Advance(2 * time.Hour)
		waitFor(t, "k2's call", func() bool { return n.dialled()["+79215550003"] == 1 })
		if d := n.dialled(); d["+79215550002"] != 0 {
			t.Errorf("the cancelled k1 was dialled: %v", d)
		}
		var cancelled int
		for _, ev := range outbox(t, db) {
			if ev.Type == event.ContactFinished && ev.Contact == "k1" && ev.Reason == "cancelled" {
				cancelled++
			}
		}
		if cancelled != 1 {
			t.Errorf("%d contact.finished (cancelled) events for k1, want 1", cancelled)
		}
	})
}

// outbox decodes the events waiting in the outbox (nothing relays them here).
func outbox(t *testing.T, db *store.DB) []event.Event {
	t.Helper()
	entries, err := db.PendingOutbox(context.Background(), 10000)
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]event.Event, 0, len(entries))
	for _, e := range entries {
		ev, err := e.Event()
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}
