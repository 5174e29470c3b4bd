package acd

import (
	"fmt"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// canTakeCall says whether the agent may be offered a caller now.
func (c *Core) canTakeCall(a *agent) bool {
	return isAvailable(a.status) && a.state == Waiting && a.offer == nil && a.caller == nil && !a.readyAt.After(c.now)
}

// refreshFree puts the agent into, or takes it out of, the free indexes of
// all its queues so that they agree with canTakeCall.
func (c *Core) refreshFree(a *agent) {
	free := c.canTakeCall(a)
	if free == a.free {
		return
	}
	a.free = free
	for _, t := range a.tiers {
		if free {
			t.lvl.free.insert(t)
			t.queue.freeCount++
			c.markDirty(t.queue)
		} else {
			t.lvl.free.remove(t)
			t.queue.freeCount--
		}
	}
}

// withAgentOutOfIndexes runs f, which may change the agent's ordering keys,
// while the agent is outside every free index.
func (c *Core) withAgentOutOfIndexes(a *agent, f func()) {
	if a.free {
		for _, t := range a.tiers {
			t.lvl.free.remove(t)
		}
	}
	f()
	if a.free {
		for _, t := range a.tiers {
			t.lvl.free.insert(t)
			c.markDirty(t.queue)
		}
	}
}

func (c *Core) setState(a *agent, s State) {
	if a.state == s {
		return
	}
	from := a.state
	a.state = s
	a.stateSince = c.now
	c.emit(a.cfg.Tenant, event.Event{Type: event.AgentStateChanged, Agent: a.cfg.ID, From: string(from), To: string(s)})
}

func (c *Core) setAgentStatusCmd(cmd SetAgentStatus) error {
	a, ok := c.agents[cmd.Agent]
	if !ok {
		return fmt.Errorf("set status of %q: %w", cmd.Agent, ErrUnknownAgent)
	}
	st, err := ParseStatus(string(cmd.Status))
	if err != nil {
		return fmt.Errorf("set status of %q: %w", cmd.Agent, err)
	}
	source := cmd.Source
	if source == "" {
		source = "api"
	}
	c.setStatus(a, st, source)
	return nil
}

// setStatus changes an agent's status and everything that follows from it.
// No event fires when the status does not really change.
func (c *Core) setStatus(a *agent, st Status, source string) {
	if a.status == st {
		return
	}
	from := a.status
	wasAvailable, wasLoggedIn := isAvailable(from), isLoggedIn(from)
	nowAvailable, nowLoggedIn := isAvailable(st), isLoggedIn(st)

	if nowAvailable && !wasAvailable {
		c.applyCounterReset(a)
		a.noAnswerCount = 0
	}
	a.status = st
	a.statusSince = c.now
	c.emit(a.cfg.Tenant, event.Event{Type: event.AgentStatusChanged, Agent: a.cfg.ID, From: string(from), To: string(st), Source: source})
	if !nowAvailable && a.offer != nil {
		c.cancelOffer(a.offer, true)
	}

	for _, t := range a.tiers {
		if nowLoggedIn != wasLoggedIn {
			if nowLoggedIn {
				t.lvl.loggedIn++
				c.queueLoggedIn(t.queue, +1)
			} else {
				t.lvl.loggedIn--
				c.queueLoggedIn(t.queue, -1)
				if t.lvl.loggedIn == 0 {
					c.levelEmptied(t.queue)
				}
			}
		}
		if nowAvailable != wasAvailable {
			if nowAvailable {
				c.queueAvailable(t.queue, +1)
			} else {
				c.queueAvailable(t.queue, -1)
			}
		}
	}

	// The state follows the status when the agent is between calls.
	if a.caller == nil && a.offer == nil && a.state != WrapUp {
		if nowAvailable {
			c.setState(a, Waiting)
		} else {
			c.setState(a, Idle)
		}
	}
	c.refreshFree(a)
}

// applyCounterReset applies the core's CounterReset policy to an agent that
// is becoming available.
func (c *Core) applyCounterReset(a *agent) {
	switch c.cfg.CounterReset {
	case ResetOnAvailable:
		a.calls, a.talkTime = 0, 0
	case CatchUpOnAvailable:
		minCalls, minTalk := -1, time.Duration(-1)
		for _, t := range a.tiers {
			strategy := t.queue.cfg.Strategy
			if strategy != AgentWithFewestCalls && strategy != AgentWithLeastTalkTime {
				continue
			}
			var first *tier
			for _, lv := range t.queue.levels {
				if f := lv.free.first(nil); f != nil && f.agent != a {
					first = f
					break
				}
			}
			if first == nil {
				continue
			}
			switch strategy {
			case AgentWithFewestCalls:
				if minCalls < 0 || first.agent.calls < minCalls {
					minCalls = first.agent.calls
				}
			case AgentWithLeastTalkTime:
				if minTalk < 0 || first.agent.talkTime < minTalk {
					minTalk = first.agent.talkTime
				}
			}
		}
		if minCalls > a.calls {
			a.calls = minCalls
		}
		if minTalk > a.talkTime {
			a.talkTime = minTalk
		}
	}
}

func (c *Core) setAgentStateCmd(cmd SetAgentState) error {
	a, ok := c.agents[cmd.Agent]
	if !ok {
		return fmt.Errorf("set state of %q: %w", cmd.Agent, ErrUnknownAgent)
	}
	switch cmd.State {
	case Waiting, Idle:
	default:
		return fmt.Errorf("set state of %q: %w", cmd.Agent, fieldErr("state", string(cmd.State), "can only be set to waiting or idle"))
	}
	if a.state == Receiving || a.state == InCall {
		return fmt.Errorf("set state of %q: %w", cmd.Agent, ErrBusy)
	}
	if cmd.State == Waiting && !isAvailable(a.status) {
		return fmt.Errorf("set state of %q: %w", cmd.Agent, fieldErr("state", string(cmd.State), "needs status available or available_on_demand"))
	}
	if a.state == WrapUp {
		a.gen++ // ends wrap-up early
	}
	c.setState(a, cmd.State)
	c.refreshFree(a)
	return nil
}

// afterCall is where an agent goes when a call (and its wrap-up) is over:
// available agents wait for the next call, on-demand agents go idle until
// they ask for another, the rest go idle.
func (c *Core) afterCall(a *agent) {
	if a.status == Available {
		c.setState(a, Waiting)
	} else {
		c.setState(a, Idle)
	}
	c.refreshFree(a)
}

// delayAgent keeps an agent from new offers until now+d.
func (c *Core) delayAgent(a *agent, d time.Duration) {
	if d <= 0 {
		return
	}
	a.readyAt = c.now.Add(d)
	a.gen++
	c.timers.add(a.readyAt, timerAgentReady, a.gen, a)
}
