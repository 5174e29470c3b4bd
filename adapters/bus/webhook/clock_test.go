package webhook_test

import (
	"sort"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/clock"
)

// virtualClock is a clock.Clock that moves only when the test advances it.
type virtualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*virtualTimer
}

type virtualTimer struct {
	c      *virtualClock
	at     time.Time
	ch     chan time.Time
	active bool
}

func newVirtualClock(t time.Time) *virtualClock { return &virtualClock{now: t} }

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &virtualTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1), active: true}
	if d <= 0 {
		t.active = false
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

// AdvanceTo moves the clock to at and fires the timers due by then.
func (c *virtualClock) AdvanceTo(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at.After(c.now) {
		c.now = at
	}
	kept := c.timers[:0]
	sort.Slice(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
	for _, t := range c.timers {
		if t.active && !t.at.After(c.now) {
			t.active = false
			t.ch <- t.at
			continue
		}
		if t.active {
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

func (t *virtualTimer) C() <-chan time.Time { return t.ch }

func (t *virtualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.active = false
	return was
}
