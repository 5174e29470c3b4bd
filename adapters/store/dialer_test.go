package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

func mustContact(t *testing.T, id, number string) dialer.Contact {
	t.Helper()
	c, _, err := dialer.NewContact(dialer.ContactInput{ID: id, Name: "name " + id, Numbers: []string{number}, Custom: map[string]string{"k": "v,\"quoted\"\ttab"}}, "RU")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDialerConfigurationRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		tr := store.Trunk{Tenant: "t1", Config: dialer.Trunk{Name: "line", MaxConcurrent: 5, CallerIDNumber: "+74950000000"}}
		if err := db.CreateTrunk(ctx, &tr, now); err != nil {
			t.Fatal(err)
		}
		cfg := dialer.Campaign{Name: "c", Mode: dialer.ModeIVR, DefaultRegion: "RU", Trunk: tr.Config.ID,
			Destination: dialer.Destination{Kind: dialer.DestDialplan, Dialplan: telephony.DialplanTarget{Context: "robot", Extension: "s", Priority: 1}},
			Redial:      dialer.RedialPolicy{Rules: map[telephony.Outcome]dialer.RedialRule{telephony.OutcomeBusy: {Count: 2, Intervals: []time.Duration{time.Minute}}}}}
		c := store.Campaign{Tenant: "t1", Name: "c", Config: cfg}
		if err := db.CreateCampaign(ctx, &c, now); err != nil {
			t.Fatal(err)
		}
		got, err := db.Campaign(ctx, "t1", c.ID)
		if err != nil || got.State != dialer.StateCreated || got.Config.ID != store.ACDID(c.ID) || got.Config.Tenant != "t1" ||
			got.Config.Redial.Rules[telephony.OutcomeBusy].Intervals[0] != time.Minute || got.Config.Trunk != tr.Config.ID {
			t.Fatalf("campaign read back %+v %v", got, err)
		}
		if _, err := db.Campaign(ctx, "t2", c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant read the campaign: %v", err)
		}
		if ts, err := db.Trunks(ctx, "t1"); err != nil || len(ts) != 1 || ts[0].Config.MaxConcurrent != 5 {
			t.Fatalf("trunks %+v %v", ts, err)
		}
		if err := db.SetCampaignState(ctx, c.ID, dialer.StateRunning, now); err != nil {
			t.Fatal(err)
		}
		if cs, err := db.Campaigns(ctx, ""); err != nil || len(cs) != 1 || cs[0].State != dialer.StateRunning {
			t.Fatalf("campaigns %+v %v", cs, err)
		}
		if err := db.DeleteCampaign(ctx, "t2", c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant deleted the campaign: %v", err)
		}
		if err := db.DeleteCampaign(ctx, "t1", c.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// Contacts are imported in batches (several, with duplicates across them),
// read back in order a batch at a time, and keep the progress the dialer's
// events record; an interrupted attempt is closed and its contact restored
// as interrupted.
func TestContactsImportSourceAndProgress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		c := store.Campaign{Tenant: "t1", Name: "c", Config: dialer.Campaign{Mode: dialer.ModeIVR, DefaultRegion: "RU"}}
		if err := db.CreateCampaign(ctx, &c, now); err != nil {
			t.Fatal(err)
		}
		n := store.ImportBatch + 50
		var cs []dialer.Contact
		for i := range n {
			cs = append(cs, mustContact(t, fmt.Sprint("k", i), fmt.Sprintf("+7921%07d", i)))
		}
		cs = append(cs, mustContact(t, "k3", "+79990000000"))         // duplicate id
		cs = append(cs, mustContact(t, "dup-number", "+79210000007")) // duplicate number
		inserted, rej, err := db.InsertContacts(ctx, c.ID, cs, now)
		if err != nil {
			t.Fatal(err)
		}
		if inserted != n || len(rej) != 2 || rej[0].Index != n || rej[1].Index != n+1 || rej[0].Reason != dialer.ReasonDuplicate {
			t.Fatalf("inserted %d, rejected %+v", inserted, rej)
		}
		// A second import is checked against what is stored.
		inserted, rej, err = db.InsertContacts(ctx, c.ID, []dialer.Contact{mustContact(t, "k1", "+79991111111"), mustContact(t, "new", "+79992222222")}, now)
		if err != nil || inserted != 1 || len(rej) != 1 || rej[0].Index != 0 {
			t.Fatalf("second import: %d %+v %v", inserted, rej, err)
		}
		if got, err := db.ContactCounts(ctx, c.ID); err != nil || got[dialer.ContactScheduled] != n+1 {
			t.Fatalf("counts %v %v", got, err)
		}

		src := store.ContactSource{DB: db}
		camp := store.ACDID(c.ID)
		seen, cursor := 0, ""
		for {
			batch, next, err := src.NextContacts(ctx, camp, cursor, 400)
			if err != nil {
				t.Fatal(err)
			}
			for i, ct := range batch {
				if ct.ID != fmt.Sprint("k", seen+i) && !(seen+i == n && ct.ID == "new") {
					t.Fatalf("contact %d is %s", seen+i, ct.ID)
				}
				if ct.Progress != nil {
					t.Fatalf("fresh contact %s has progress", ct.ID)
				}
			}
			seen += len(batch)
			cursor = next
			if len(batch) < 400 {
				break
			}
		}
		if seen != n+1 {
			t.Fatalf("source gave %d contacts, want %d", seen, n+1)
		}
		first, _, _ := src.NextContacts(ctx, camp, "", 1)
		if first[0].Custom["k"] != "v,\"quoted\"\ttab" || first[0].Numbers[0].E164 != "+79210000000" || first[0].Name != "name k0" {
			t.Fatalf("contact read back %+v", first[0])
		}

		// k0: busy, redial scheduled; k1: answered, finished; k2: a call under way.
		ev := func(typ event.Type, contact, call string, f func(*event.Event)) event.Event {
			e := event.Event{Type: typ, At: now, Tenant: "t1", Campaign: camp, Contact: contact, Attempt: call, Call: call}
			if f != nil {
				f(&e)
			}
			return e
		}
		started := func(contact, call string) event.Event {
			return ev(event.AttemptStarted, contact, call, func(e *event.Event) {
				e.Attrs = map[string]string{"number": "+7921", "try": "1"}
			})
		}
		due := now.Add(time.Minute)
		batch := []event.Event{
			ev(event.CampaignStateChanged, "", "", func(e *event.Event) { e.From, e.To = "created", "running" }),
			started("k0", "x-1"), started("k1", "x-2"), started("k2", "x-3"),
			ev(event.AttemptFinished, "k0", "x-1", func(e *event.Event) { e.Outcome, e.Reason = "busy", "cause 17" }),
			ev(event.ContactScheduled, "k0", "", func(e *event.Event) {
				e.Reason, e.Outcome, e.Attrs = "redial", "busy", map[string]string{"at": due.Format(time.RFC3339Nano)}
			}),
			ev(event.AttemptAnswered, "k1", "x-2", nil),
			ev(event.AttemptConnected, "k1", "x-2", func(e *event.Event) { e.Agent = "7" }),
			ev(event.AttemptFinished, "k1", "x-2", func(e *event.Event) {
				e.Outcome, e.Attrs = "answered", map[string]string{dialer.AttrRecording: "x-2", dialer.AttrRecordingURL: "https://h/api/recordings/x-2"}
			}),
			ev(event.ContactFinished, "k1", "", func(e *event.Event) { e.Outcome, e.Reason = "answered", "success" }),
		}
		if err := db.RecordDialerEvents(ctx, now, batch); err != nil {
			t.Fatal(err)
		}
		if out, err := db.PendingOutbox(ctx, 100); err != nil || len(out) != len(batch) {
			t.Fatalf("outbox holds %d entries, want %d (%v)", len(out), len(batch), err)
		}
		if cc, _ := db.Campaign(ctx, "t1", c.ID); cc.State != dialer.StateRunning {
			t.Fatalf("campaign state %s", cc.State)
		}
		if closed, err := db.CloseInterruptedAttempts(ctx, now.Add(time.Second)); err != nil || closed != 1 {
			t.Fatalf("closed %d interrupted attempts (%v), want 1", closed, err)
		}
		if out, _ := db.PendingOutbox(ctx, 100); len(out) != len(batch)+1 {
			t.Fatalf("outbox holds %d entries, want the interrupted attempt's attempt.finished too", len(out))
		} else if ev, _ := out[len(out)-1].Event(); ev.Type != event.AttemptFinished || ev.Call != "x-3" || ev.Reason != store.InterruptedCause {
			t.Fatalf("interrupted attempt's event %+v", ev)
		}
		as, err := db.Attempts(ctx, c.ID, "")
		if err != nil || len(as) != 3 {
			t.Fatalf("attempts %+v %v", as, err)
		}
		byID := map[string]store.Attempt{}
		for _, a := range as {
			byID[a.ID] = a
		}
		if a := byID["x-2"]; a.Outcome != "answered" || a.Agent != "7" || a.AnsweredAt.IsZero() || a.ConnectedAt.IsZero() || a.EndedAt.IsZero() || a.Try != 1 || a.Recording != "x-2" {
			t.Fatalf("answered attempt %+v", a)
		}
		if tenant, err := db.RecordingTenant(ctx, "x-2"); err != nil || tenant != "t1" {
			t.Fatalf("recording x-2's tenant %q (%v), want t1", tenant, err)
		}
		for _, name := range []string{"x-1", "nope"} { // an attempt without a recording, no attempt
			if _, err := db.RecordingTenant(ctx, name); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("recording %s: %v, want ErrNotFound", name, err)
			}
		}
		if a := byID["x-3"]; a.Outcome != "failed" || a.Cause != store.InterruptedCause {
			t.Fatalf("interrupted attempt %+v", a)
		}
		restored, _, err := src.NextContacts(ctx, camp, "", 3)
		if err != nil || len(restored) != 3 {
			t.Fatalf("restored %+v %v", restored, err)
		}
		k0, k2 := restored[0], restored[1]
		if k0.ID != "k0" || k0.Progress == nil || k0.Progress.Tries != 1 || k0.Progress.Redials[telephony.OutcomeBusy] != 1 || !k0.Progress.Due.Equal(due) || k0.Progress.Interrupted {
			t.Fatalf("k0 progress %+v", k0.Progress)
		}
		if k2.ID != "k2" || k2.Progress == nil || k2.Progress.Tries != 1 || !k2.Progress.Interrupted {
			t.Fatalf("k2 progress %+v", k2.Progress)
		}
		if restored[2].ID != "k3" { // k1 is finished
			t.Fatalf("third restored contact %s", restored[2].ID)
		}
		row, err := db.ContactRow(ctx, c.ID, "k1")
		if err != nil || row.Status != dialer.ContactFinished || row.Outcome != "answered" {
			t.Fatalf("k1 %+v %v", row, err)
		}
		if _, _, err := src.NextContacts(ctx, "x", "", 3); err == nil {
			t.Fatal("a bad campaign id was accepted")
		}
		if _, _, err := src.NextContacts(ctx, camp, "nope", 3); err == nil {
			t.Fatal("a bad cursor was accepted")
		}
	})
}
