package acd

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestTimerHeapOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ts timers
	var want []time.Time
	for range 500 {
		at := t0.Add(time.Duration(rng.IntN(100)) * time.Second)
		ts.add(at, timerAnnounce, 0, nil)
		want = append(want, at)
	}
	slices.SortStableFunc(want, func(a, b time.Time) int { return a.Compare(b) })
	var got []time.Time
	var lastSeq uint64
	for {
		tm, ok := ts.popDue(t0.Add(time.Hour))
		if !ok {
			break
		}
		at := time.Unix(0, tm.at)
		if len(got) > 0 && at.Equal(got[len(got)-1]) && tm.seq < lastSeq {
			t.Fatal("timers due at the same time fired out of insertion order")
		}
		got, lastSeq = append(got, at), tm.seq
	}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Fatal("timers did not fire in time order")
	}
	ts.add(t0.Add(time.Minute), timerAnnounce, 0, nil)
	if _, ok := ts.popDue(t0); ok {
		t.Fatal("a timer fired before it was due")
	}
	if at, ok := ts.next(); !ok || !at.Equal(t0.Add(time.Minute)) {
		t.Fatalf("next = %v %v", at, ok)
	}
}
