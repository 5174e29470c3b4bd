package acd

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// benchCore builds the scenario of the issue: 1,000 queues and 10,000 agents,
// all of them in queue "big" (three levels, distinct positions) and each also
// in one of the 999 small queues. busy agents are put in long calls first.
func benchCore(b *testing.B, s Strategy, busy int) (*Core, time.Time) {
	b.Helper()
	core, err := NewCore(CoreConfig{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	now := t0
	must := func(cmd Command) Output {
		out, err := core.Handle(now, cmd)
		if err != nil {
			b.Fatalf("%T: %v", cmd, err)
		}
		return out
	}
	big := NewQueueConfig("big")
	big.Strategy = s
	must(AddQueue{Config: big})
	for i := 1; i < 1000; i++ {
		q := NewQueueConfig(fmt.Sprintf("small%03d", i))
		q.Strategy = s
		must(AddQueue{Config: q})
	}
	for i := range 10000 {
		id := fmt.Sprintf("agent%05d", i)
		cfg := NewAgentConfig(id, LocalAgent)
		cfg.Extension = id
		must(AddAgent{Config: cfg})
		must(SetTier{Tier: Tier{Queue: "big", Agent: id, Level: i % 3, Position: i}})
		must(SetTier{Tier: Tier{Queue: fmt.Sprintf("small%03d", 1+i%999), Agent: id, Position: i}})
	}
	for i := range 10000 {
		must(SetAgentStatus{Agent: fmt.Sprintf("agent%05d", i), Status: Available})
		if i < busy {
			for _, o := range offers(must(Join{Queue: "big", Caller: fmt.Sprintf("long%05d", i)})) {
				must(OfferResult{Offer: o.ID, Result: OfferAnswered})
			}
		}
	}
	return core, now
}

// BenchmarkRoutingDecision measures one routing decision: a caller joins the
// 10,000-agent queue and the strategy picks (ring-all: rings) its agents. The
// cycle then answers and ends the call so the state stays the same size;
// p50/p99 are of the decision alone, decisions/s of the whole cycle.
//
//	go test ./pkg/acd -run '^$' -bench RoutingDecision -benchtime 200000x -cpu 1
func BenchmarkRoutingDecision(b *testing.B) {
	type scenario struct {
		name     string
		strategy Strategy
		busy     int
	}
	var scenarios []scenario
	for _, s := range Strategies {
		if s == RingAll {
			// ring-all rings every free agent, so its work grows with the
			// agents it rings, not with the queue: 1 and 16 of 10,000 free.
			scenarios = append(scenarios,
				scenario{string(s) + "/1-free", s, 10000 - 1},
				scenario{string(s) + "/16-free", s, 10000 - 16})
			continue
		}
		scenarios = append(scenarios, scenario{string(s), s, 0})
	}
	for _, sc := range scenarios {
		s, busy := sc.strategy, sc.busy
		b.Run(sc.name, func(b *testing.B) {
			core, now := benchCore(b, s, busy)
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				now = now.Add(time.Millisecond)
				caller := "c" + itoa(i)
				start := time.Now()
				out, err := core.Handle(now, Join{Queue: "big", Caller: caller})
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				os := offers(out)
				if len(os) == 0 {
					b.Fatal("no offer")
				}
				if _, err := core.Handle(now, OfferResult{Offer: os[0].ID, Result: OfferAnswered}); err != nil {
					b.Fatal(err)
				}
				if _, err := core.Handle(now, CallEnded{Caller: caller}); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := b.Elapsed()
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns/decision")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns/decision")
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "decisions/s")
		})
	}
}

// BenchmarkWaitingCallers holds 100,000 callers waiting (with max-wait and
// announcement timers) across 100 queues and reports the heap they take.
//
//	go test ./pkg/acd -run '^$' -bench WaitingCallers -benchtime 3x
func BenchmarkWaitingCallers(b *testing.B) {
	var perRun float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		core, _ := NewCore(CoreConfig{})
		now := t0
		for i := range 100 {
			q := NewQueueConfig(fmt.Sprintf("q%d", i))
			q.MaxWaitTime = time.Hour
			q.AnnounceSound, q.AnnounceFrequency = "sound:wait", 30*time.Second
			q.AbandonedResumeAllowed = true
			if _, err := core.Handle(now, AddQueue{Config: q}); err != nil {
				b.Fatal(err)
			}
		}
		for i := range 100000 {
			join := Join{Queue: fmt.Sprintf("q%d", i%100), Caller: fmt.Sprintf("caller-%06d", i), Number: fmt.Sprintf("+7921%07d", i)}
			if _, err := core.Handle(now, join); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perRun = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		if len(core.callers) != 100000 {
			b.Fatalf("%d callers held", len(core.callers))
		}
		runtime.KeepAlive(core)
	}
	b.ReportMetric(perRun, "MiB/100k-callers")
}
