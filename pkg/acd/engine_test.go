package acd

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// recorder collects what an engine hands out, from the engine's goroutine.
type recorder struct {
	mu        sync.Mutex
	decisions []Decision
	events    []event.Event
}

func (r *recorder) Decide(ds []Decision) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.decisions = append(r.decisions, ds...)
}

func (r *recorder) Publish(es ...event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, es...)
}

func (r *recorder) offers() []Offer {
	r.mu.Lock()
	defer r.mu.Unlock()
	var os []Offer
	for _, d := range r.decisions {
		if o, ok := d.(Offer); ok {
			os = append(os, o)
		}
	}
	return os
}

// TestEngineRunsTimersOnItsClock runs the engine goroutine in a synctest
// bubble: its timers fire on the bubble's clock, exactly.
func TestEngineRunsTimersOnItsClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		e, err := NewEngine(EngineConfig{Decisions: rec, Events: rec})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- e.Run(ctx) }()

		q := NewQueueConfig("sales")
		q.MaxWaitTime = time.Minute
		must := func(cmd Command) {
			t.Helper()
			if err := e.Do(ctx, cmd); err != nil {
				t.Fatalf("%T: %v", cmd, err)
			}
		}
		must(AddQueue{Config: q})
		a := NewAgentConfig("a1", LocalAgent)
		a.Extension = "1001"
		a.CallTimeout = 20 * time.Second
		must(AddAgent{Config: a})
		must(SetTier{Tier: Tier{Queue: "sales", Agent: "a1"}})
		must(SetAgentStatus{Agent: "a1", Status: Available})
		start := time.Now()
		must(Join{Queue: "sales", Caller: "c1", Number: "+79215650644"})
		if os := rec.offers(); len(os) != 1 || os[0].Agent != "a1" {
			t.Fatalf("offers %+v", os)
		}
		// Nobody answers: the engine's own timer cancels at call_timeout and,
		// after the 10 s no-answer delay, offers again.
		time.Sleep(30*time.Second + time.Millisecond)
		synctest.Wait()
		if os := rec.offers(); len(os) != 2 {
			t.Fatalf("after 30 s: %d offers, want 2", len(os))
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		var st QueueStatus
		if err := e.Read(ctx, func(v View, now time.Time) {
			st, _ = v.QueueStatus("sales")
			if now.Sub(start) < time.Minute {
				t.Errorf("engine time %v", now.Sub(start))
			}
		}); err != nil {
			t.Fatal(err)
		}
		if st.Waiting+st.Trying != 0 || st.Stats.TimedOut != 1 {
			t.Fatalf("status after max wait %+v", st)
		}
		if err := e.Do(ctx, Join{Queue: "nowhere", Caller: "c2"}); !IsBadInput(err) {
			t.Fatalf("bad join: %v", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		if err := e.Do(context.Background(), RemoveQueue{Queue: "sales"}); !errors.Is(err, ErrStopped) {
			t.Fatalf("Do after stop: %v", err)
		}
	})
}

// Many goroutines may send commands at once; the engine serialises them.
func TestEngineConcurrentCommands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		e, _ := NewEngine(EngineConfig{Decisions: rec, Events: rec, Backlog: 4})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go e.Run(ctx)
		_ = e.Do(ctx, AddQueue{Config: NewQueueConfig("q")})
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				if err := e.Do(ctx, Join{Queue: "q", Caller: "c" + itoa(i)}); err != nil {
					t.Errorf("join %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		var waiting int
		_ = e.Read(ctx, func(v View, _ time.Time) { st, _ := v.QueueStatus("q"); waiting = st.Waiting })
		if waiting != 50 {
			t.Fatalf("waiting %d, want 50", waiting)
		}
	})
}
