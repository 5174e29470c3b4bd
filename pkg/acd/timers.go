package acd

import "time"

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
	at   int64 // Unix nanoseconds: compared on every push and pop
	seq  uint64
	kind timerKind
	gen  uint64
	ref  any // *agent, *offer, *caller, *queue or *abandoned
}

// timerHeap is a binary min-heap by (at, seq). It is written out rather
// than built on container/heap so that pushing and popping a timer does not
// box it into an interface on every call.
type timerHeap []timer

func (h timerHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s.less(i, parent) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *timerHeap) pop() timer {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = timer{}
	s = s[:last]
	for i := 0; ; {
		l, r, min := 2*i+1, 2*i+2, i
		if l < len(s) && s.less(l, min) {
			min = l
		}
		if r < len(s) && s.less(r, min) {
			min = r
		}
		if min == i {
			break
		}
		s[i], s[min] = s[min], s[i]
		i = min
	}
	*h = s
	return top
}

// timers is the core's one timer queue.
type timers struct {
	h   timerHeap
	seq uint64
}

func (ts *timers) add(at time.Time, kind timerKind, gen uint64, ref any) {
	ts.seq++
	ts.h.push(timer{at: at.UnixNano(), seq: ts.seq, kind: kind, gen: gen, ref: ref})
}

// popDue returns the earliest timer due at or before now.
func (ts *timers) popDue(now time.Time) (timer, bool) {
	if len(ts.h) == 0 || ts.h[0].at > now.UnixNano() {
		return timer{}, false
	}
	return ts.h.pop(), true
}

func (ts *timers) next() (time.Time, bool) {
	if len(ts.h) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, ts.h[0].at).UTC(), true
}
