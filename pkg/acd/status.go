package acd

import (
	"fmt"
	"slices"
	"time"
)

// QueueStatus counts a queue's callers the way the ringme API reports them.
type QueueStatus struct {
	Queue string `json:"queue"`
	// Answered callers are connected to an agent, Trying ones are ringing
	// agents, Waiting ones wait for a free agent.
	Answered int `json:"answered_members"`
	Trying   int `json:"trying_members"`
	Waiting  int `json:"waiting_members"`
	// LoggedIn and Free count the queue's agents.
	LoggedIn int        `json:"logged_in_agents"`
	Free     int        `json:"free_agents"`
	Stats    QueueStats `json:"stats"`
}

// Member is one caller in a queue (ringme's queue member; the dialect
// renders it in the vendor's format).
type Member struct {
	Caller       string // the call's id (ringme call_api_id)
	Joined       time.Time
	Number       string
	Name         string
	ServingAgent string // the connected or rung agent; the strategy's name when several ring
	State        string // waiting, trying or answered
	WaitTime     time.Duration
}

// AgentInfo is a snapshot of one agent.
type AgentInfo struct {
	Config        AgentConfig
	Status        Status
	State         State
	StatusSince   time.Time
	StateSince    time.Time
	ReadyAt       time.Time // no offers before this (after a failed offer)
	Calls         int
	TalkTime      time.Duration
	LastBridgeEnd time.Time
	NoAnswerCount int
	Queues        []Tier
	// Caller is the connected or offered caller, if any.
	Caller string
}

// QueueStatus reports a queue's counters.
func (c *Core) QueueStatus(id string) (QueueStatus, error) {
	q, ok := c.queues[id]
	if !ok {
		return QueueStatus{}, fmt.Errorf("queue status %q: %w", id, ErrUnknownQueue)
	}
	return QueueStatus{Queue: id, Answered: q.connected, Trying: q.trying, Waiting: q.waiting,
		LoggedIn: q.loggedIn, Free: q.freeCount, Stats: q.stats}, nil
}

// Members lists a queue's callers in service order, at time now.
func (c *Core) Members(id string, now time.Time) ([]Member, error) {
	q, ok := c.queues[id]
	if !ok {
		return nil, fmt.Errorf("queue members %q: %w", id, ErrUnknownQueue)
	}
	cs := sortedCallers(q)
	ms := make([]Member, 0, len(cs))
	for _, cl := range cs {
		m := Member{Caller: cl.id, Joined: cl.joinedAt, Number: cl.number, Name: cl.name, State: cl.state.String(),
			WaitTime: now.Sub(cl.joinedAt)}
		switch {
		case cl.agent != nil:
			m.ServingAgent = cl.agent.cfg.ID
			m.WaitTime = cl.connectedAt.Sub(cl.joinedAt)
		case len(cl.offers) == 1:
			m.ServingAgent = cl.offers[0].agent.cfg.ID
		case len(cl.offers) > 1:
			m.ServingAgent = string(cl.q.cfg.Strategy)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// Queue returns a queue's configuration.
func (c *Core) Queue(id string) (QueueConfig, error) {
	q, ok := c.queues[id]
	if !ok {
		return QueueConfig{}, fmt.Errorf("queue %q: %w", id, ErrUnknownQueue)
	}
	return q.cfg, nil
}

// QueueIDs lists the queues, sorted.
func (c *Core) QueueIDs() []string {
	ids := make([]string, 0, len(c.queues))
	for id := range c.queues {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// AgentIDs lists the agents, sorted.
func (c *Core) AgentIDs() []string {
	ids := make([]string, 0, len(c.agents))
	for id := range c.agents {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Agent reports one agent.
func (c *Core) Agent(id string) (AgentInfo, error) {
	a, ok := c.agents[id]
	if !ok {
		return AgentInfo{}, fmt.Errorf("agent %q: %w", id, ErrUnknownAgent)
	}
	info := AgentInfo{Config: a.cfg, Status: a.status, State: a.state, StatusSince: a.statusSince,
		StateSince: a.stateSince, ReadyAt: a.readyAt, Calls: a.calls, TalkTime: a.talkTime,
		LastBridgeEnd: a.lastBridgeEnd, NoAnswerCount: a.noAnswerCount}
	for _, t := range a.tiers {
		info.Queues = append(info.Queues, Tier{Queue: t.queue.cfg.ID, Agent: id, Level: t.level, Position: t.position})
	}
	switch {
	case a.caller != nil:
		info.Caller = a.caller.id
	case a.offer != nil:
		info.Caller = a.offer.caller.id
	}
	return info, nil
}

// Tiers lists a queue's agents by level and position.
func (c *Core) Tiers(queueID string) ([]Tier, error) {
	q, ok := c.queues[queueID]
	if !ok {
		return nil, fmt.Errorf("tiers of %q: %w", queueID, ErrUnknownQueue)
	}
	ts := make([]Tier, 0, len(q.tiers))
	for _, t := range q.tiers {
		ts = append(ts, Tier{Queue: queueID, Agent: t.agent.cfg.ID, Level: t.level, Position: t.position})
	}
	slices.SortFunc(ts, func(a, b Tier) int {
		if a.Level != b.Level {
			return a.Level - b.Level
		}
		if a.Position != b.Position {
			return a.Position - b.Position
		}
		return compareStrings(a.Agent, b.Agent)
	})
	return ts, nil
}

// Supply is how many agents a queue has and when its busy ones may free up:
// what an outbound dialer paces by.
type Supply struct {
	Queue   string
	Staffed int // logged in and available (available or available_on_demand)
	Idle    int // free now
	Busy    []BusyAgent
}

// BusyAgent is a staffed agent that is not free.
type BusyAgent struct {
	Agent string
	State State
	// Since is when the agent entered its state.
	Since time.Time
	// FreeAt is when the agent is free again, when known (wrap-up, a delay
	// after a failed offer); zero while talking or ringing.
	FreeAt time.Time
	// WrapUp follows the current call of a talking agent.
	WrapUp time.Duration
}

// Supply reports a queue's agent supply. It looks at every agent of the
// queue, so callers should not ask on every event of a large queue.
func (c *Core) Supply(queueID string) (Supply, error) {
	q, ok := c.queues[queueID]
	if !ok {
		return Supply{}, fmt.Errorf("supply of %q: %w", queueID, ErrUnknownQueue)
	}
	s := Supply{Queue: queueID, Idle: q.freeCount}
	for _, t := range q.tiersSorted() {
		a := t.agent
		if !isAvailable(a.status) {
			continue
		}
		s.Staffed++
		if a.free {
			continue
		}
		b := BusyAgent{Agent: a.cfg.ID, State: a.state, Since: a.stateSince}
		switch a.state {
		case InCall:
			b.WrapUp = a.cfg.WrapUpTime
		case WrapUp:
			b.FreeAt = a.stateSince.Add(a.cfg.WrapUpTime)
		case Waiting:
			b.FreeAt = a.readyAt
		}
		s.Busy = append(s.Busy, b)
	}
	return s, nil
}
