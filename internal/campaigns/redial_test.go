package campaigns_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/internal/campaigns"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony/telephonytest"
)

// node is one run of the service's dialer side over a database: the
// engine on the fake PBX (calls ring for an hour, on a virtual clock the
// service shares) and the campaigns service. stop ends it, as a shutdown.
type node struct {
	svc  *campaigns.Service
	eng  *dialer.Engine
	pbx  *telephonytest.PBX
	stop func()
}

func startNode(t *testing.T, db *store.DB) *node {
	t.Helper()
	pbx := telephonytest.New(telephonytest.Config{Seed: 1, Rules: []telephonytest.Rule{{Answer: 1, RingTime: telephonytest.Fix(time.Hour)}}})
	rec := campaigns.NewRecorder(db, quiet)
	eng, err := dialer.NewEngine(dialer.EngineConfig{Clock: pbx.Clock(), Port: rec.Guard(pbx), Calls: pbx,
		Contacts: store.ContactSource{DB: db}, Publisher: rec, Logger: quiet, Dialer: dialer.Config{CallIDPrefix: store.NewID("")[:6] + "-"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	svc, err := campaigns.New(campaigns.Config{DB: db, Engine: eng, Recorder: rec, Logger: quiet, Now: pbx.Clock().Now})
	if err != nil {
		t.Fatal(err)
	}
	return &node{svc: svc, eng: eng, pbx: pbx, stop: stop}
}

// dialled counts the originates of each number so far.
func (n *node) dialled() map[string]int {
	out := map[string]int{}
	for _, a := range n.pbx.Actions() {
		if a.Verb == "originate" {
			out[a.Target]++
		}
	}
	return out
}

// waitFor polls cond (the engine works on its own goroutines) for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// storedCampaign stores an IVR campaign in a state with contacts k0…,
// each with one number (and k0 a second one), as a previous run left it.
func storedCampaign(t *testing.T, db *store.DB, state dialer.State, n int) (store.Campaign, func(i, j int) string) {
	t.Helper()
	ctx := context.Background()
	cfg := ivr()
	c := store.Campaign{Tenant: "t1", Name: string(state), State: state, Config: cfg}
	if err := db.CreateCampaign(ctx, &c, telephonytest.DefaultStart); err != nil {
		t.Fatal(err)
	}
	number := func(i, j int) string { return fmt.Sprintf("+7921%03d%02d%02d", c.ID, i, j) }
	var cs []dialer.Contact
	for i := range n {
		in := dialer.ContactInput{ID: fmt.Sprint("k", i), Numbers: []string{number(i, 0)}}
		if i == 0 {
			in.Numbers = append(in.Numbers, number(0, 1))
		}
		ct, _, err := dialer.NewContact(in, "RU")
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, ct)
	}
	if _, _, err := db.InsertContacts(ctx, c.ID, cs, telephonytest.DefaultStart); err != nil {
		t.Fatal(err)
	}
	return c, number
}

// record stores dialer events of a previous run.
func record(t *testing.T, db *store.DB, evs ...event.Event) {
	t.Helper()
	if err := db.RecordDialerEvents(context.Background(), telephonytest.DefaultStart, evs); err != nil {
		t.Fatal(err)
	}
}

// finishedBusy is the events of a contact's one busy try that finished it.
func finishedBusy(c store.Campaign, contact, number string) []event.Event {
	at, camp := telephonytest.DefaultStart.Add(-time.Hour), c.Config.ID
	call := camp + "-" + contact
	return []event.Event{
		{Type: event.AttemptStarted, At: at, Tenant: "t1", Campaign: camp, Contact: contact, Call: call, Attempt: call, Attrs: map[string]string{"try": "1", "number": number}},
		{Type: event.AttemptFinished, At: at, Tenant: "t1", Campaign: camp, Contact: contact, Call: call, Attempt: call, Outcome: "busy"},
		{Type: event.ContactFinished, At: at, Tenant: "t1", Campaign: camp, Contact: contact, Outcome: "busy", Reason: "failed"},
	}
}

// A recall of a finished contact of a finished campaign, asked for after a
// restart, is stored with its due time, survives the next restart, and
// is dialled then (and only that contact).
func TestRedialSurvivesRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c, number := storedCampaign(t, db, dialer.StateFinished, 2)
		record(t, db, append(finishedBusy(c, "k0", number(0, 0)), finishedBusy(c, "k1", number(1, 0))...)...)

		first := startNode(t, db)
		if n, err := first.svc.Restore(ctx); err != nil || n != 0 {
			t.Fatalf("restore: %d running, %v", n, err)
		}
		at := first.pbx.Clock().Now().Add(time.Hour)
		// k0's main number, in national format.
		if err := first.svc.Redial(ctx, "t1", c.ID, campaigns.Redial{Number: "8" + number(0, 0)[2:], At: at}); err != nil {
			t.Fatal(err)
		}
		k0, _ := db.ContactRow(ctx, c.ID, "k0")
		if k0.Status != dialer.ContactDelayed || !k0.NextDue.Equal(at) {
			t.Fatalf("k0 after the recall: %s due %v, want delayed due %v", k0.Status, k0.NextDue, at)
		}
		if st, _ := db.Campaign(ctx, "t1", c.ID); st.State != dialer.StateRunning {
			t.Fatalf("campaign stored as %s after the recall, want running again", st.State)
		}
		if d := first.dialled(); len(d) != 0 {
			t.Fatalf("dialled before the recall's time: %v", d)
		}
		first.stop()

		second := startNode(t, db)
		if n, err := second.svc.Restore(ctx); err != nil || n != 1 {
			t.Fatalf("second restore: %d running, %v", n, err)
		}
		waitFor(t, "the recalled contact to be loaded", func() bool {
			st, err := second.eng.Stats(ctx, c.Config.ID)
			return err == nil && st.Loaded == 1
		})
		if d := second.dialled(); len(d) != 0 {
			t.Fatalf("dialled before the recall's time: %v", d)
		}
		second.pbx.Advance(time.Hour)
		waitFor(t, "the recall's call", func() bool { return second.dialled()[number(0, 0)] == 1 })
		if d := second.dialled(); len(d) != 1 {
			t.Errorf("dialled %v; want only k0's main number", d)
		}
		if k0, _ := db.ContactRow(ctx, c.ID, "k0"); !k0.InTry || k0.Status != dialer.ContactExecuted {
			t.Errorf("k0 after its recalled try started: %+v", k0)
		}
	})
}

// Contacts a stopped campaign has not loaded get the due time stored:
// a recall then, a follow-on now (without using up the redial policy's
// follow-on). Once started, the campaign dials the follow-on at once and
// the recall at its time.
func TestRedialOfContactsNotLoaded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c, number := storedCampaign(t, db, dialer.StateStopped, 3)
		// k0 was tried once; the policy would call it again in two hours.
		camp := c.Config.ID
		busy := finishedBusy(c, "k0", number(0, 0))[:2]
		record(t, db, append(busy, event.Event{Type: event.ContactScheduled, At: telephonytest.DefaultStart, Tenant: "t1", Campaign: camp, Contact: "k0",
			Reason: "redial", Outcome: "busy", Attrs: map[string]string{"at": telephonytest.DefaultStart.Add(2 * time.Hour).Format(time.RFC3339Nano)}})...)

		n := startNode(t, db)
		if _, err := n.svc.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		now := n.pbx.Clock().Now()
		if err := n.svc.Redial(ctx, "t1", c.ID, campaigns.Redial{Contact: "k0"}); err != nil {
			t.Fatal(err)
		}
		at := now.Add(30 * time.Minute)
		if err := n.svc.Redial(ctx, "t1", c.ID, campaigns.Redial{Number: number(1, 0), At: at}); err != nil {
			t.Fatal(err)
		}
		k0, _ := db.ContactRow(ctx, c.ID, "k0")
		k1, _ := db.ContactRow(ctx, c.ID, "k1")
		if k0.Status != dialer.ContactDelayed || !k0.NextDue.Equal(now) || k0.FollowOns != 0 || k0.Redials["busy"] != 1 {
			t.Errorf("k0 after a follow-on: %+v; want delayed now, the policy's budget as it was", k0)
		}
		if k1.Status != dialer.ContactDelayed || !k1.NextDue.Equal(at) || k1.Tries != 0 {
			t.Errorf("k1 after a recall: %+v; want delayed at %v", k1, at)
		}
		if d := n.dialled(); len(d) != 0 {
			t.Fatalf("a stopped campaign dialled %v", d)
		}

		if err := n.svc.Start(ctx, "t1", c.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "k0's follow-on and k2's first call", func() bool {
			d := n.dialled()
			return d[number(0, 0)] == 1 && d[number(2, 0)] == 1
		})
		if d := n.dialled(); d[number(1, 0)] != 0 {
			t.Fatalf("k1 dialled before its recall's time: %v", d)
		}
		n.pbx.Advance(30 * time.Minute)
		waitFor(t, "k1's recall", func() bool { return n.dialled()[number(1, 0)] == 1 })
	})
}

// What a redial may name, and what it may not.
func TestRedialRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c, number := storedCampaign(t, db, dialer.StateStopped, 2)
		n := startNode(t, db)
		if _, err := n.svc.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		at := n.pbx.Clock().Now().Add(time.Hour)
		cases := []struct {
			name     string
			tenant   string
			r        campaigns.Redial
			field    string // a *dialer.FieldError on it
			notFound string // store.ErrNotFound with this in the message
		}{
			{"another tenant's campaign", "t2", campaigns.Redial{Number: number(0, 0), At: at}, "", "campaign"},
			{"a number not in the campaign", "t1", campaigns.Redial{Number: "+79219999999", At: at}, "", `number "+79219999999"`},
			{"not a number", "t1", campaigns.Redial{Number: "12", At: at}, "number", ""},
			{"no number, no contact", "t1", campaigns.Redial{At: at}, "number", ""},
			{"an unknown contact", "t1", campaigns.Redial{Contact: "nobody", At: at}, "", "nobody"},
			{"another contact's number", "t1", campaigns.Redial{Contact: "k1", Number: number(0, 0), At: at}, "number", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := n.svc.Redial(ctx, tc.tenant, c.ID, tc.r)
				var fe *dialer.FieldError
				switch {
				case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
					t.Errorf("got %v, want a field error on %s", err, tc.field)
				case tc.notFound != "" && (!errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), tc.notFound)):
					t.Errorf("got %v, want not found naming %s", err, tc.notFound)
				}
			})
		}
		for _, k := range []string{"k0", "k1"} {
			if row, _ := db.ContactRow(ctx, c.ID, k); row.Status != dialer.ContactScheduled || !row.NextDue.IsZero() {
				t.Errorf("%s after refused redials: %s due %v", k, row.Status, row.NextDue)
			}
		}
	})
}
