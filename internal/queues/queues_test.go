package queues_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/internal/queues"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

func runEngine(t *testing.T, events event.Publisher) *acd.Engine {
	t.Helper()
	e, err := acd.NewEngine(acd.EngineConfig{Decisions: acd.DecisionSinkFunc(func([]acd.Decision) {}), Events: events})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

func TestQueuesKeepStoreAndEngineTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		engine := runEngine(t, nil)
		svc := queues.New(db, engine, nil)

		qc := acd.NewQueueConfig("")
		qc.Strategy = acd.RingAll
		q, err := svc.CreateQueue(ctx, "12", "000*370", "test queue", qc)
		if err != nil {
			t.Fatal(err)
		}
		ac := acd.NewAgentConfig("", acd.LocalAgent)
		ac.Extension = "117"
		a, err := svc.CreateAgent(ctx, "12", ac, acd.Available, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.SetTier(ctx, "12", store.Tier{QueueID: q.ID, AgentID: a.ID, Level: 1, Position: 1}); err != nil {
			t.Fatal(err)
		}
		if err := engine.Do(ctx, acd.Join{Queue: store.ACDID(q.ID), Caller: "call-1", Number: "89215650644"}); err != nil {
			t.Fatal(err)
		}
		st, members, err := svc.Status(ctx, "12", q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Trying != 1 || len(members) != 1 || members[0].ServingAgent != store.ACDID(a.ID) {
			t.Fatalf("status %+v members %+v", st, members)
		}

		// Another tenant sees none of it.
		if _, _, err := svc.Status(ctx, "13", q.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("tenant 13 read tenant 12's queue: %v", err)
		}
		if err := svc.SetAgentStatus(ctx, "13", a.ID, acd.LoggedOut, "api"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("tenant 13 changed tenant 12's agent: %v", err)
		}
		if err := svc.DeleteAgent(ctx, "12", a.ID, false); !errors.Is(err, queues.ErrAgentInQueues) {
			t.Fatalf("delete with remove_from_queues=false: %v", err)
		}

		// Bad input is a field error and stores nothing.
		bad := acd.NewQueueConfig("")
		bad.Strategy = "fastest"
		var fe *acd.FieldError
		if _, err := svc.CreateQueue(ctx, "12", "x", "", bad); !errors.As(err, &fe) || fe.Field != "strategy" {
			t.Fatalf("bad strategy: %v", err)
		}
		if qs, _ := svc.Queues(ctx, "12"); len(qs) != 1 {
			t.Fatalf("queues after a rejected create: %d", len(qs))
		}

		// A fresh engine restored from the store has the agent available in the queue.
		fresh := runEngine(t, nil)
		n, err := queues.New(db, fresh, nil).Restore(ctx)
		if err != nil || n == 0 {
			t.Fatalf("restore: %d, %v", n, err)
		}
		var info acd.AgentInfo
		_ = fresh.Read(ctx, func(v acd.View, _ time.Time) { info, _ = v.Agent(store.ACDID(a.ID)) })
		if info.Status != acd.Available || len(info.Queues) != 1 || info.Queues[0].Level != 1 {
			t.Fatalf("restored agent %+v", info)
		}

		if err := svc.DeleteAgent(ctx, "12", a.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteQueue(ctx, "12", q.ID); err != nil {
			t.Fatal(err)
		}
		if qs, _ := svc.Queues(ctx, "12"); len(qs) != 0 {
			t.Fatalf("queues left: %+v", qs)
		}
	})
}

// The engine puts an agent on break after max_no_answer: the store follows.
func TestSystemStatusChangesAreStored(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	var svc *queues.Service
	sink := event.PublisherFunc(func(evs ...event.Event) {
		if err := svc.Sink(ctx, evs); err != nil {
			t.Error(err)
		}
	})
	engine := runEngine(t, sink)
	svc = queues.New(db, engine, nil)
	q, err := svc.CreateQueue(ctx, "t", "q", "", acd.NewQueueConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	ac := acd.NewAgentConfig("", acd.LocalAgent)
	ac.Extension, ac.MaxNoAnswer = "100", 1
	a, err := svc.CreateAgent(ctx, "t", ac, acd.Available, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetTier(ctx, "t", store.Tier{QueueID: q.ID, AgentID: a.ID}); err != nil {
		t.Fatal(err)
	}
	if err := engine.Do(ctx, acd.Join{Queue: store.ACDID(q.ID), Caller: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := engine.Do(ctx, acd.OfferResult{Offer: 1, Result: acd.OfferNoAnswer}); err != nil {
		t.Fatal(err)
	}
	_ = engine.Read(ctx, func(acd.View, time.Time) {}) // let the engine publish
	got, err := svc.Agent(ctx, "t", a.ID)
	if err != nil || got.Status != acd.OnBreak {
		t.Fatalf("stored status %q (%v), want on_break", got.Status, err)
	}
}

func TestResolveInbound(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	svc := queues.New(db, runEngine(t, nil), nil)
	a, _ := svc.CreateQueue(ctx, "t1", "sales", "", acd.NewQueueConfig(""))
	svc.CreateQueue(ctx, "t1", "shared", "", acd.NewQueueConfig(""))
	svc.CreateQueue(ctx, "t2", "shared", "", acd.NewQueueConfig(""))
	for _, tt := range []struct {
		arg, want string
		err       error
	}{
		{store.ACDID(a.ID), store.ACDID(a.ID), nil},
		{"sales", store.ACDID(a.ID), nil},
		{"shared", "", queues.ErrAmbiguousQueue},
		{"nothing", "", store.ErrNotFound},
		{"999", "", store.ErrNotFound},
	} {
		got, err := svc.ResolveInbound(ctx, tt.arg)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("ResolveInbound(%q) = %q, %v; want %q, %v", tt.arg, got, err, tt.want, tt.err)
		}
	}
}

// The engine's events carry the tenant of the queue or agent they are about.
func TestEventsCarryTheTenant(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	var got []event.Event
	var mu sync.Mutex
	engine := runEngine(t, event.PublisherFunc(func(evs ...event.Event) { mu.Lock(); got = append(got, evs...); mu.Unlock() }))
	svc := queues.New(db, engine, nil)
	ac := acd.NewAgentConfig("", acd.LocalAgent)
	ac.Extension = "100"
	a, err := svc.CreateAgent(ctx, "12", ac, acd.Available, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = engine.Read(ctx, func(acd.View, time.Time) {})
	mu.Lock()
	defer mu.Unlock()
	var status []event.Event
	for _, e := range got {
		if e.Type == event.AgentStatusChanged {
			status = append(status, e)
		}
	}
	if len(status) != 1 || status[0].Tenant != "12" || status[0].Agent != store.ACDID(a.ID) {
		t.Fatalf("status events %+v", status)
	}
}
