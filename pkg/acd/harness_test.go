package acd

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// t0 is the harness's start of time.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// harness drives a Core in virtual time and keeps everything it produced.
type harness struct {
	t         testing.TB
	core      *Core
	now       time.Time
	decisions []Decision
	events    []event.Event
	last      Output
}

func newHarness(t testing.TB, cfg CoreConfig) *harness {
	t.Helper()
	core, err := NewCore(cfg)
	if err != nil {
		t.Fatalf("NewCore: %v", err)
	}
	return &harness{t: t, core: core, now: t0}
}

func (h *harness) record(out Output) Output {
	out = Output{Decisions: slices.Clone(out.Decisions), Events: slices.Clone(out.Events)}
	h.last = out
	h.decisions = append(h.decisions, out.Decisions...)
	h.events = append(h.events, out.Events...)
	if err := h.core.checkInvariants(); err != nil {
		h.t.Fatalf("invariant broken at %s: %v", h.now.Sub(t0), err)
	}
	return out
}

// do applies a command that must succeed.
func (h *harness) do(cmd Command) Output {
	h.t.Helper()
	out, err := h.core.Handle(h.now, cmd)
	if err != nil {
		h.t.Fatalf("%T: %v", cmd, err)
	}
	return h.record(out)
}

// try applies a command and returns its error.
func (h *harness) try(cmd Command) error {
	out, err := h.core.Handle(h.now, cmd)
	h.record(out)
	return err
}

// advance moves virtual time forward and fires due timers.
func (h *harness) advance(d time.Duration) Output {
	h.now = h.now.Add(d)
	return h.record(h.core.Advance(h.now))
}

func (h *harness) queue(cfg QueueConfig) { h.do(AddQueue{Config: cfg}) }

// agents creates local agents available with the given ids and no delays.
func (h *harness) agents(ids ...string) {
	for _, id := range ids {
		cfg := NewAgentConfig(id, LocalAgent)
		cfg.Extension = "ext-" + id
		cfg.BusyDelayTime, cfg.NoAnswerDelayTime, cfg.RejectDelayTime = 0, 0, 0
		h.do(AddAgent{Config: cfg})
	}
}

func (h *harness) agentWith(cfg AgentConfig) { h.do(AddAgent{Config: cfg}) }

func (h *harness) login(ids ...string) {
	for _, id := range ids {
		h.do(SetAgentStatus{Agent: id, Status: Available})
	}
}

func (h *harness) tier(queue, agent string, level, position int) {
	h.do(SetTier{Tier: Tier{Queue: queue, Agent: agent, Level: level, Position: position}})
}

func (h *harness) join(queue, callerID string) Output {
	return h.do(Join{Queue: queue, Caller: callerID, Number: "num-" + callerID})
}

// offers returns the offers in out, in order.
func offers(out Output) []Offer {
	var os []Offer
	for _, d := range out.Decisions {
		if o, ok := d.(Offer); ok {
			os = append(os, o)
		}
	}
	return os
}

func offeredAgents(out Output) []string {
	var ids []string
	for _, o := range offers(out) {
		ids = append(ids, o.Agent)
	}
	return ids
}

func decisionsOf[T Decision](out Output) []T {
	var ts []T
	for _, d := range out.Decisions {
		if x, ok := d.(T); ok {
			ts = append(ts, x)
		}
	}
	return ts
}

// onlyOffer returns the single offer in out.
func (h *harness) onlyOffer(out Output) Offer {
	h.t.Helper()
	os := offers(out)
	if len(os) != 1 {
		h.t.Fatalf("want exactly one offer, got %v", offeredAgents(out))
	}
	return os[0]
}

// serveAndEnd answers offer o and ends the call after talk.
func (h *harness) serveAndEnd(o Offer, talk time.Duration) {
	h.do(OfferResult{Offer: o.ID, Result: OfferAnswered})
	h.advance(talk)
	h.do(CallEnded{Caller: o.Caller})
}

func (h *harness) agentInfo(id string) AgentInfo {
	h.t.Helper()
	info, err := h.core.Agent(id)
	if err != nil {
		h.t.Fatal(err)
	}
	return info
}

func (h *harness) status(queue string) QueueStatus {
	h.t.Helper()
	st, err := h.core.QueueStatus(queue)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

func eventsOf(evs []event.Event, typ event.Type) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// checkInvariants verifies the core's indexes and counters against its
// objects. Tests call it after every step.
func (c *Core) checkInvariants() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	offersSeen := 0
	for id, a := range c.agents {
		if a.offer != nil && a.caller != nil {
			fail("agent %s has an offer and a call", id)
		}
		if a.offer != nil {
			offersSeen++
			if a.state != Receiving {
				fail("agent %s has an offer in state %s", id, a.state)
			}
			if c.offers[a.offer.id] != a.offer || a.offer.done {
				fail("agent %s holds a dead offer %d", id, a.offer.id)
			}
		}
		if a.caller != nil && a.state != InCall {
			fail("agent %s has a call in state %s", id, a.state)
		}
		if a.state == InCall && a.caller == nil {
			fail("agent %s in call without caller", id)
		}
		if a.free != c.canTakeCall(a) {
			fail("agent %s free=%v but canTakeCall=%v", id, a.free, c.canTakeCall(a))
		}
		if (a.status == LoggedOut || a.status == OnBreak) && a.state == Waiting {
			fail("agent %s is %s but waiting", id, a.status)
		}
	}
	if offersSeen != len(c.offers) {
		fail("%d offers live but %d agents hold one", len(c.offers), offersSeen)
	}
	for id, o := range c.offers {
		if !slices.Contains(o.caller.offers, o) {
			fail("offer %d not listed by its caller", id)
		}
		if o.caller.gone {
			fail("offer %d for a caller that left", id)
		}
	}
	for _, q := range c.queues {
		waiting, trying, connected, free, loggedIn, available := 0, 0, 0, 0, 0, 0
		for _, cl := range q.callers {
			switch cl.state {
			case callerWaiting:
				waiting++
				if len(cl.offers) != 0 {
					fail("waiting caller %s has offers", cl.id)
				}
			case callerTrying:
				trying++
				if len(cl.offers) == 0 {
					fail("trying caller %s has no offers", cl.id)
				}
			case callerConnected:
				connected++
				if cl.agent == nil || cl.agent.caller != cl {
					fail("connected caller %s not held by its agent", cl.id)
				}
			}
			if cl.eligible() != (cl.grp != nil) {
				fail("caller %s eligible=%v grouped=%v", cl.id, cl.eligible(), cl.grp != nil)
			}
			if cl.grp != nil && cl.grp.reach != cl.effectiveReach() {
				fail("caller %s in group %d but reaches %d", cl.id, cl.grp.reach, cl.effectiveReach())
			}
			if c.callers[cl.id] != cl {
				fail("caller %s missing from the core", cl.id)
			}
		}
		if waiting != q.waiting || trying != q.trying || connected != q.connected {
			fail("queue %s counts %d/%d/%d, want %d/%d/%d", q.cfg.ID, q.waiting, q.trying, q.connected, waiting, trying, connected)
		}
		levelFree := 0
		for i, lv := range q.levels {
			if i > 0 && q.levels[i-1].value >= lv.value {
				fail("queue %s levels out of order", q.cfg.ID)
			}
			n, li := 0, 0
			for _, t := range q.tiers {
				if t.lvl == lv {
					n++
					if isLoggedIn(t.agent.status) {
						li++
					}
				}
			}
			if n != lv.tiers || li != lv.loggedIn || n == 0 {
				fail("queue %s level %d counts tiers %d/%d logged in %d/%d", q.cfg.ID, lv.value, lv.tiers, n, lv.loggedIn, li)
			}
			levelFree += lv.free.len()
			lv.free.each(func(t *tier) bool {
				if !t.agent.free || t.lvl != lv || q.tiers[t.agent.cfg.ID] != t {
					fail("queue %s level %d indexes agent %s wrongly", q.cfg.ID, lv.value, t.agent.cfg.ID)
				}
				return true
			})
		}
		for _, t := range q.tiers {
			if t.agent.free {
				free++
			}
			if isLoggedIn(t.agent.status) {
				loggedIn++
			}
			if isAvailable(t.agent.status) {
				available++
			}
			if c.agents[t.agent.cfg.ID] != t.agent || !slices.Contains(t.agent.tiers, t) {
				fail("tier %s/%s dangling", q.cfg.ID, t.agent.cfg.ID)
			}
		}
		if free != q.freeCount || levelFree != free {
			fail("queue %s freeCount %d, indexes %d, want %d", q.cfg.ID, q.freeCount, levelFree, free)
		}
		if loggedIn != q.loggedIn || available != q.available {
			fail("queue %s loggedIn %d/%d available %d/%d", q.cfg.ID, q.loggedIn, loggedIn, q.available, available)
		}
		// Nobody who could be served is left waiting next to a free agent.
		for _, g := range q.groups {
			if head, ok := g.callers.Min(); ok {
				for _, lv := range q.levels {
					if lv.value <= head.effectiveReach() && lv.free.len() > 0 {
						fail("queue %s: caller %s waits while agent is free at level %d", q.cfg.ID, head.id, lv.value)
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
