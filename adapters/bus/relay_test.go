package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-cc/switchboard/adapters/bus"
	"github.com/switchboard-cc/switchboard/adapters/bus/bustest"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

type recorder struct {
	mu      sync.Mutex
	evs     []event.Event
	batches int
}

func (r *recorder) sink(_ context.Context, evs []event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, evs...)
	r.batches++
	return nil
}

func (r *recorder) snapshot() ([]event.Event, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.evs...), r.batches
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestRelayPublishesCommittedOutboxInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b, err := bus.New(bus.Config{})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		if err := b.AddSink("rec", rec.sink); err != nil {
			t.Fatal(err)
		}
		bustest.Start(t, b)
		relay, err := bus.NewRelay(bus.RelayConfig{DB: db, Bus: b, PollInterval: time.Hour, BatchSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = relay.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })

		const n = 10
		for i := range n {
			err := db.InTx(ctx, time.Now(), func(ctx context.Context, tx bun.Tx, out *store.Outbox) error {
				return out.Emit(event.Event{Type: event.QueueChanged, Queue: fmt.Sprintf("q%d", i)})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// A rolled-back transaction's events never leave.
		_ = db.InTx(ctx, time.Now(), func(ctx context.Context, tx bun.Tx, out *store.Outbox) error {
			_ = out.Emit(event.Event{Type: event.QueueRemoved, Queue: "ghost"})
			return fmt.Errorf("rolled back")
		})
		waitFor(t, "relayed events", func() bool { evs, _ := rec.snapshot(); return len(evs) >= n })
		time.Sleep(20 * time.Millisecond)
		evs, _ := rec.snapshot()
		if len(evs) != n {
			t.Fatalf("relayed %d events, want %d", len(evs), n)
		}
		for i, ev := range evs {
			if ev.Queue != fmt.Sprintf("q%d", i) || ev.ID == "" {
				t.Fatalf("event %d = %+v, want q%d with an id", i, ev, i)
			}
		}
		waitFor(t, "outbox emptied", func() bool { es, _ := db.PendingOutbox(ctx, 100); return len(es) == 0 })
	})
}

func TestEmitterBatchesAndDrainsOnStop(t *testing.T) {
	b, err := bus.New(bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if err := b.AddSink("rec", rec.sink); err != nil {
		t.Fatal(err)
	}
	bustest.Start(t, b)
	em := bus.NewEmitter(b, 1000, 50, nil)
	var _ event.Publisher = em
	// Queue before the emitter runs, so it finds many calls waiting and batches them.
	for i := range 200 {
		em.Publish(event.Event{Type: event.AgentStateChanged, Agent: fmt.Sprintf("a%d", i)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = em.Run(ctx) }()
	waitFor(t, "emitted events", func() bool { evs, _ := rec.snapshot(); return len(evs) == 200 })
	evs, batches := rec.snapshot()
	if batches != 4 {
		t.Fatalf("200 events in %d messages, want 4 batches of 50", batches)
	}
	for i, ev := range evs {
		if ev.Agent != fmt.Sprintf("a%d", i) {
			t.Fatalf("event %d = %s, out of order", i, ev.Agent)
		}
	}
	// Stopping publishes what is still queued.
	cancel()
	<-done
	em.Publish(event.Event{Type: event.AgentRemoved, Agent: "late"})
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_ = em.Run(ctx2)
	evs, _ = rec.snapshot()
	if evs[len(evs)-1].Agent != "late" {
		t.Fatalf("event queued at stop was not published")
	}
}

func TestGoChannelRefusesPublishWithNobodyListening(t *testing.T) {
	b, err := bus.New(bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Publish(context.Background(), event.Event{Type: event.QueueChanged}); !errors.Is(err, bus.ErrNotRunning) {
		t.Fatalf("publish before Run = %v, want ErrNotRunning (the event would be lost)", err)
	}
}

func TestRelayStartedBeforeTheBusLosesNothing(t *testing.T) {
	db := storetest.SQLite(t)
	b, err := bus.New(bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if err := b.AddSink("rec", rec.sink); err != nil {
		t.Fatal(err)
	}
	relay, err := bus.NewRelay(bus.RelayConfig{DB: db, Bus: b, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = relay.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	err = db.InTx(ctx, time.Now(), func(ctx context.Context, tx bun.Tx, out *store.Outbox) error {
		return out.Emit(event.Event{Type: event.QueueChanged, Queue: "early"})
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the relay is up, the sinks are not
	if es, _ := db.PendingOutbox(ctx, 10); len(es) != 1 {
		t.Fatalf("outbox has %d entries before the bus runs, want 1 kept", len(es))
	}
	bustest.Start(t, b)
	waitFor(t, "early event relayed", func() bool { evs, _ := rec.snapshot(); return len(evs) == 1 && evs[0].Queue == "early" })
}

func TestOutboxEmitterEventsSurviveUntilARelayPublishesThem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := bus.NewOutboxEmitter(bus.OutboxEmitterConfig{}); err == nil {
			t.Fatal("an outbox emitter without a database was accepted")
		}
		em, err := bus.NewOutboxEmitter(bus.OutboxEmitterConfig{DB: db, Batch: 16})
		if err != nil {
			t.Fatal(err)
		}
		var _ event.Publisher = em
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = em.Run(ctx) }()
		const n = 40
		for i := range n {
			em.Publish(event.Event{Type: event.AgentStatusChanged, Tenant: "t1", Agent: fmt.Sprintf("a%d", i)})
		}
		waitFor(t, "events committed to the outbox", func() bool { es, _ := db.PendingOutbox(ctx, 100); return len(es) == n })
		// The emitter stops (the process goes away) with no relay having run:
		// the events wait in the outbox.
		cancel()
		<-done
		es, err := db.PendingOutbox(context.Background(), 100)
		if err != nil || len(es) != n {
			t.Fatalf("outbox holds %d entries (%v), want %d", len(es), err, n)
		}

		// The next run's relay publishes them, in order, with their ids.
		b, err := bus.New(bus.Config{})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		if err := b.AddSink("rec", rec.sink); err != nil {
			t.Fatal(err)
		}
		bustest.Start(t, b)
		relay, err := bus.NewRelay(bus.RelayConfig{DB: db, Bus: b, PollInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithCancel(context.Background())
		rdone := make(chan struct{})
		go func() { defer close(rdone); _ = relay.Run(rctx) }()
		t.Cleanup(func() { rcancel(); <-rdone })
		waitFor(t, "relayed events", func() bool { evs, _ := rec.snapshot(); return len(evs) == n })
		evs, _ := rec.snapshot()
		for i, ev := range evs {
			if ev.Agent != fmt.Sprintf("a%d", i) || ev.ID != es[i].EventID {
				t.Fatalf("event %d = %+v, want a%d with the outbox's id %s", i, ev, i, es[i].EventID)
			}
		}
	})
}
