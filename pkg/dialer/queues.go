package dialer

import (
	"container/heap"
	"slices"
	"time"
)

// fifo is a queue of contacts.
type fifo struct {
	items []*contactState
	head  int
}

func (q *fifo) len() int { return len(q.items) - q.head }

func (q *fifo) push(c *contactState) {
	c.queued = true
	q.items = append(q.items, c)
}

func (q *fifo) peek() *contactState { return q.items[q.head] }

func (q *fifo) pop() *contactState {
	c := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head > 1024 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
	return c
}

// drop removes c if it waits in q.
func (q *fifo) drop(c *contactState) {
	if i := slices.Index(q.items[q.head:], c); i >= 0 {
		q.items = slices.Delete(q.items, q.head+i, q.head+i+1)
	}
}

// delayQueue holds contacts until their due time.
type delayQueue []*contactState

func (h delayQueue) Len() int { return len(h) }
func (h delayQueue) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h delayQueue) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *delayQueue) Push(x any)   { *h = append(*h, x.(*contactState)) }
func (h *delayQueue) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return c
}

func (h *delayQueue) add(c *contactState) { heap.Push(h, c) }
func (h delayQueue) nextDue() (time.Time, bool) {
	if len(h) == 0 {
		return time.Time{}, false
	}
	return h[0].due, true
}
func (h *delayQueue) popDue(now time.Time) *contactState {
	if len(*h) == 0 || (*h)[0].due.After(now) {
		return nil
	}
	return heap.Pop(h).(*contactState)
}

// timeHeap is a min-heap of instants (channels cooling down).
type timeHeap []time.Time

func (h timeHeap) Len() int           { return len(h) }
func (h timeHeap) Less(i, j int) bool { return h[i].Before(h[j]) }
func (h timeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timeHeap) Push(x any)        { *h = append(*h, x.(time.Time)) }
func (h *timeHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// expire drops instants not after now and returns how many remain.
func (h *timeHeap) expire(now time.Time) int {
	for len(*h) > 0 && !(*h)[0].After(now) {
		heap.Pop(h)
	}
	return len(*h)
}

// rolling counts recent attempts over a time window.
type rolling struct {
	window time.Duration
	recs   []rollRec
	head   int
	sum    rollRec
}

type rollRec struct {
	at                                          time.Time
	dialled, failed, answered, connected, aband int
}

func (r *rolling) add(now time.Time, x rollRec) {
	x.at = now
	r.recs = append(r.recs, x)
	r.sum.dialled += x.dialled
	r.sum.failed += x.failed
	r.sum.answered += x.answered
	r.sum.connected += x.connected
	r.sum.aband += x.aband
	r.trim(now)
}

func (r *rolling) trim(now time.Time) {
	for r.head < len(r.recs) && now.Sub(r.recs[r.head].at) >= r.window {
		x := r.recs[r.head]
		r.sum.dialled -= x.dialled
		r.sum.failed -= x.failed
		r.sum.answered -= x.answered
		r.sum.connected -= x.connected
		r.sum.aband -= x.aband
		r.head++
	}
	if r.head > 1024 && r.head*2 > len(r.recs) {
		r.recs = append(r.recs[:0], r.recs[r.head:]...)
		r.head = 0
	}
}

func (h *delayQueue) remove(c *contactState) {
	for i, x := range *h {
		if x == c {
			heap.Remove(h, i)
			return
		}
	}
}

func (h *timeHeap) add(t time.Time) { heap.Push(h, t) }

// deadlineHeap orders call watchdogs; stale entries are skipped lazily.
type deadlineHeap []deadline

type deadline struct {
	at   time.Time
	call *call
}

func (h deadlineHeap) Len() int { return len(h) }
func (h deadlineHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].call.id < h[j].call.id
}
func (h deadlineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)   { *h = append(*h, x.(deadline)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *deadlineHeap) add(c *call) { heap.Push(h, deadline{at: c.deadline, call: c}) }

// top drops stale entries and returns the earliest live one.
func (h *deadlineHeap) top() (deadline, bool) {
	for len(*h) > 0 {
		x := (*h)[0]
		if x.call.ended || !x.call.deadline.Equal(x.at) {
			heap.Pop(h)
			continue
		}
		return x, true
	}
	return deadline{}, false
}
