package campaigns_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/internal/campaigns"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/pkg/telephony/telephonytest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newService runs a dialer engine on the fake PBX (whose clock stands
// still: calls ring forever) over db, with the campaigns service on top.
func newService(t *testing.T, db *store.DB) (*campaigns.Service, *dialer.Engine, *telephonytest.PBX) {
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
	t.Cleanup(func() { cancel(); <-done })
	svc, err := campaigns.New(campaigns.Config{DB: db, Engine: eng, Recorder: rec, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return svc, eng, pbx
}

func ivr() dialer.Campaign {
	return dialer.Campaign{Name: "ivr", Mode: dialer.ModeIVR, DefaultRegion: "RU",
		Destination: dialer.Destination{Kind: dialer.DestDialplan, Dialplan: telephony.DialplanTarget{Context: "robot", Extension: "s", Priority: 1}}}
}

func TestManagementIsTenantScoped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, _, _ := newService(t, db)
		tr, err := svc.CreateTrunk(ctx, "t1", dialer.Trunk{Name: "line", MaxConcurrent: 2})
		if err != nil {
			t.Fatal(err)
		}
		other, err := svc.CreateTrunk(ctx, "t2", dialer.Trunk{Name: "theirs"})
		if err != nil {
			t.Fatal(err)
		}
		q := store.Queue{Tenant: "t2", Name: "q", Config: acd.NewQueueConfig("")}
		if err := db.CreateQueue(ctx, &q, time.Now()); err != nil {
			t.Fatal(err)
		}
		var fe *dialer.FieldError
		bad := ivr()
		bad.Trunk = other.Config.ID
		if _, err := svc.CreateCampaign(ctx, "t1", bad); !errors.As(err, &fe) || fe.Field != "trunk" {
			t.Fatalf("campaign on another tenant's trunk: %v", err)
		}
		bad = ivr()
		bad.Mode, bad.Queue = dialer.ModeProgressive, store.ACDID(q.ID)
		if _, err := svc.CreateCampaign(ctx, "t1", bad); !errors.As(err, &fe) || fe.Field != "queue" {
			t.Fatalf("campaign for another tenant's queue: %v", err)
		}
		if _, err := svc.CreateCampaign(ctx, "t1", dialer.Campaign{Name: "x", Mode: "nope"}); !errors.As(err, &fe) {
			t.Fatalf("bad campaign: %v", err)
		}
		cfg := ivr()
		cfg.Trunk = tr.Config.ID
		cfg.Pacing.MaxConcurrent = 2
		c, err := svc.CreateCampaign(ctx, "t1", cfg)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != dialer.StateCreated || c.Config.ID != store.ACDID(c.ID) {
			t.Fatalf("created %+v", c)
		}
		if _, err := svc.Campaign(ctx, "t2", c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("t2 sees t1's campaign: %v", err)
		}
		if err := svc.Start(ctx, "t2", c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("t2 started t1's campaign: %v", err)
		}
		res, err := svc.Import(ctx, "t1", c.ID, []dialer.ContactInput{
			{ID: "a", Numbers: []string{"89215650644", "not a number"}},
			{ID: "b", Numbers: []string{"12"}},
			{ID: "", Numbers: []string{"89215650645"}},
			{ID: "c", Numbers: []string{"+7 921 565-06-44"}}, // a's number
			{ID: "d", Numbers: []string{"89215650646"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []dialer.Rejection{{Index: 1, Raw: "b", Reason: dialer.ReasonInvalidNumber}, {Index: 2, Reason: dialer.ReasonMissingID}, {Index: 3, Raw: "+7 921 565-06-44", Reason: dialer.ReasonDuplicate}}
		if res.Imported != 2 || fmt.Sprint(res.Rejected) != fmt.Sprint(want) || len(res.DroppedNumbers) != 1 || res.DroppedNumbers[0].Index != 0 {
			t.Fatalf("import %+v", res)
		}
		if _, err := svc.Import(ctx, "t2", c.ID, nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("t2 imported into t1's campaign: %v", err)
		}
		st, err := svc.Status(ctx, "t1", c.ID)
		if err != nil || st.Contacts[dialer.ContactScheduled] != 2 || st.Stats.Total != 2 {
			t.Fatalf("status %+v %v", st, err)
		}
		if err := svc.Delete(ctx, "t1", c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Campaign(ctx, "t1", c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted campaign: %v", err)
		}
	})
}

// Restore resumes a running campaign with its contacts' progress, keeps a
// stopped one stopped, stops a stopping one, and does not announce the
// states it only rebuilds.
func TestRestore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		mk := func(state dialer.State, n int) store.Campaign {
			cfg := ivr()
			cfg.Redial = dialer.RedialPolicy{MaxTries: 2, RetryPause: time.Hour}
			cfg.Start = dialer.Start{Mode: dialer.StartNow}
			c := store.Campaign{Tenant: "t1", Name: string(state), State: state, Config: cfg}
			if err := db.CreateCampaign(ctx, &c, now); err != nil {
				t.Fatal(err)
			}
			var cs []dialer.Contact
			for i := range n {
				ct, _, err := dialer.NewContact(dialer.ContactInput{ID: fmt.Sprint("k", i), Numbers: []string{fmt.Sprintf("+7921%03d%04d", c.ID, i)}}, "RU")
				if err != nil {
					t.Fatal(err)
				}
				cs = append(cs, ct)
			}
			if _, _, err := db.InsertContacts(ctx, c.ID, cs, now); err != nil {
				t.Fatal(err)
			}
			return c
		}
		running, stopped, stopping := mk(dialer.StateRunning, 4), mk(dialer.StateStopped, 2), mk(dialer.StateStopping, 2)
		// k0 was in its second (last) try at the crash; k1 in its first.
		camp := running.Config.ID
		for _, ev := range [][]event.Event{
			{{Type: event.AttemptStarted, At: now, Tenant: "t1", Campaign: camp, Contact: "k0", Call: "old-1", Attempt: "old-1", Attrs: map[string]string{"try": "2", "number": "+7"}}},
			{{Type: event.AttemptStarted, At: now, Tenant: "t1", Campaign: camp, Contact: "k1", Call: "old-2", Attempt: "old-2", Attrs: map[string]string{"try": "1", "number": "+7"}}},
		} {
			if err := db.RecordDialerEvents(ctx, now, ev); err != nil {
				t.Fatal(err)
			}
		}
		outboxBefore, _ := db.PendingOutbox(ctx, 1000)

		svc, eng, pbx := newService(t, db)
		n, err := svc.Restore(ctx)
		if err != nil || n != 1 {
			t.Fatalf("restore: %d running, %v", n, err)
		}
		// k1 (interrupted, one try left: retry after an hour), k2 and k3 are
		// dialled or due; k0 is finished without a call.
		deadline := time.Now().Add(10 * time.Second)
		for {
			row, _ := db.ContactRow(ctx, running.ID, "k3")
			if row.InTry {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("restored campaign did not dial k3: %+v", row)
			}
			time.Sleep(20 * time.Millisecond)
		}
		k0, _ := db.ContactRow(ctx, running.ID, "k0")
		if k0.Status != dialer.ContactFinished || k0.Outcome != string(telephony.OutcomeFailed) {
			t.Errorf("k0 after restore %+v", k0)
		}
		k1, _ := db.ContactRow(ctx, running.ID, "k1")
		if k1.Status != dialer.ContactDelayed || k1.Tries != 1 || k1.InTry || k1.NextDue.Before(pbx.Clock().Now().Add(59*time.Minute)) {
			t.Errorf("k1 after restore %+v", k1)
		}
		dialled := map[string]int{}
		for _, a := range pbx.Actions() {
			if a.Verb == "originate" {
				dialled[a.Target]++
			}
		}
		number := func(i int) string { return fmt.Sprintf("+7921%03d%04d", running.ID, i) }
		if dialled[number(0)] != 0 || dialled[number(1)] != 0 || dialled[number(2)] != 1 || dialled[number(3)] != 1 {
			t.Errorf("dialled after the restart: %v (want k2 and k3 once, k0 and k1 not now)", dialled)
		}
		if st, err := eng.Stats(ctx, camp); err != nil || st.State != dialer.StateRunning {
			t.Errorf("running campaign after restore %+v %v", st, err)
		}
		if st, err := eng.Stats(ctx, stopped.Config.ID); err != nil || st.State != dialer.StateCreated || st.Dialled != 0 {
			t.Errorf("stopped campaign after restore %+v %v", st, err)
		}
		if c, _ := db.Campaign(ctx, "t1", stopping.ID); c.State != dialer.StateStopped {
			t.Errorf("stopping campaign stored as %s after restore", c.State)
		}
		if c, _ := db.Campaign(ctx, "t1", stopped.ID); c.State != dialer.StateStopped {
			t.Errorf("stopped campaign stored as %s after restore", c.State)
		}
		after, _ := db.PendingOutbox(ctx, 1000)
		for _, e := range after[len(outboxBefore):] {
			ev, _ := e.Event()
			if ev.Type == event.CampaignStateChanged {
				t.Errorf("restore announced %+v", ev)
			}
		}
	})
}
