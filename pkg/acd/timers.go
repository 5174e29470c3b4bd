package acd

import (
	"container/heap"
	"time"
)

// timerKind says what a due timer does.
type timerKind uint8

const (
	timerAgentReady       timerKind = iota + 1 // a delay or wrap-up ended
	timerOfferTimeout                          // an offer rang for call_timeout
	timerMaxWait                               // a caller reached max_wait_time
	timerReach                                 // a caller's next tier level opens
	timerAnnounce                              // a caller's periodic announcement
	timerProgressive                           // ring-progressively may add an agent
	timerNoAgentPersonal                       // a late joiner's "time reached" grace ended
	timerNoAgentQueue                          // a queue has had no agent for max_wait_time_with_no_agent
	timerDiscardAbandoned                      // an abandoned caller is forgotten
)

// timer is one scheduled wake-up. Timers are never removed early: each
// carries the generation of the thing it belongs to, and a timer whose
// generation is stale does nothing when it fires.
type timer struct {
	at   time.Time
	seq  uint64
	kind timerKind
	gen  uint64
	ref  any // *agent, *offer, *caller, *queue or *abandoned
}

type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = timer{}
	*h = old[:len(old)-1]
	return t
}

// timers is the core's one timer queue.
type timers struct {
	h   timerHeap
	seq uint64
}

func (ts *timers) add(at time.Time, kind timerKind, gen uint64, ref any) {
	ts.seq++
	heap.Push(&ts.h, timer{at: at, seq: ts.seq, kind: kind, gen: gen, ref: ref})
}

// popDue returns the earliest timer due at or before now.
func (ts *timers) popDue(now time.Time) (timer, bool) {
	if len(ts.h) == 0 || ts.h[0].at.After(now) {
		return timer{}, false
	}
	return heap.Pop(&ts.h).(timer), true
}

func (ts *timers) next() (time.Time, bool) {
	if len(ts.h) == 0 {
		return time.Time{}, false
	}
	return ts.h[0].at, true
}
