package acd

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// model is what an outside observer knows from the commands it sent and the
// decisions and events it got back. The property test checks the core's
// decisions against it.
type model struct {
	t          *testing.T
	agentCfg   map[string]AgentConfig
	status     map[string]Status
	liveOffer  map[string]Offer     // by agent
	inCall     map[string]string    // agent -> caller
	readyAt    map[string]time.Time // no offer before (delays after failed offers)
	wrapUntil  map[string]time.Time
	needsReady map[string]bool   // on-demand agent must set waiting again
	callers    map[string]string // live caller -> queue
	joinedAt   map[string]time.Time
	offers     map[OfferID]Offer
	connected  map[string]string // caller -> agent
	levels     map[string]map[string]int
	tierRules  map[string]QueueConfig
	hist       []event.Event
}

func (m *model) check(now time.Time, out Output) {
	t := m.t
	// Offers come last in a step (the core dispatches after everything
	// else), so the model takes the step's events first.
	m.hist = append(m.hist, out.Events...)
	for _, e := range out.Events {
		switch e.Type {
		case event.AgentStatusChanged:
			m.status[e.Agent] = Status(e.To)
			if Status(e.To) == AvailableOnDemand || Status(e.To) == Available {
				m.needsReady[e.Agent] = false
			}
		case event.CallerLeft:
			if e.Reason == "" {
				t.Fatalf("%v: caller %s left without a reason", now, e.Call)
			}
			if _, ok := m.callers[e.Call]; !ok {
				t.Fatalf("%v: caller %s left twice", now, e.Call)
			}
			delete(m.callers, e.Call)
			delete(m.connected, e.Call)
		case event.CallEnded:
			delete(m.inCall, e.Agent)
			cfg := m.agentCfg[e.Agent]
			m.wrapUntil[e.Agent] = now.Add(cfg.WrapUpTime)
			if m.status[e.Agent] == AvailableOnDemand {
				m.needsReady[e.Agent] = true
			}
		case event.OfferFailed:
			cfg := m.agentCfg[e.Agent]
			delay := cfg.NoAnswerDelayTime
			switch OfferOutcome(e.Reason) {
			case OfferBusy:
				delay = cfg.BusyDelayTime
			case OfferRejected:
				delay = cfg.RejectDelayTime
			}
			m.readyAt[e.Agent] = now.Add(delay)
			delete(m.liveOffer, e.Agent)
		case event.OfferCancelled:
			if o, ok := m.liveOffer[e.Agent]; ok && o.ID.String() == e.Attrs["offer"] {
				delete(m.liveOffer, e.Agent)
			}
		}
	}
	for _, d := range out.Decisions {
		switch d := d.(type) {
		case Offer:
			if o, busy := m.liveOffer[d.Agent]; busy {
				t.Fatalf("%v: agent %s offered %s while ringing for %s", now, d.Agent, d.Caller, o.Caller)
			}
			if c, busy := m.inCall[d.Agent]; busy {
				t.Fatalf("%v: agent %s offered %s while in a call with %s", now, d.Agent, d.Caller, c)
			}
			if st := m.status[d.Agent]; !isAvailable(st) {
				t.Fatalf("%v: agent %s offered while %s", now, d.Agent, st)
			}
			if r := m.readyAt[d.Agent]; now.Before(r) || now.Before(m.wrapUntil[d.Agent]) {
				t.Fatalf("%v: agent %s offered before it is ready at %v", now, d.Agent, r)
			}
			if m.needsReady[d.Agent] {
				m.dump(d.Agent, now)
				t.Fatalf("%v: on-demand agent %s offered before asking", now, d.Agent)
			}
			q, live := m.callers[d.Caller]
			if !live || q != d.Queue {
				t.Fatalf("%v: offer for caller %s not waiting in %s", now, d.Caller, d.Queue)
			}
			if _, conn := m.connected[d.Caller]; conn {
				t.Fatalf("%v: offer for connected caller %s", now, d.Caller)
			}
			lv, inQueue := m.levels[d.Queue][d.Agent]
			if !inQueue {
				m.dump(d.Agent, now)
				t.Fatalf("%v: agent %s offered for queue %s it is not in", now, d.Agent, d.Queue)
			}
			if qc, ok := m.tierRules[d.Queue]; ok {
				if open := m.levelOpensAt(qc, d.Caller, lv); now.Before(open) {
					t.Fatalf("%v: caller %s offered level %d before it opens at %v", now, d.Caller, lv, open)
				}
			}
			m.liveOffer[d.Agent] = d
			m.offers[d.ID] = d
		case CancelOffer:
			if o, ok := m.offers[d.ID]; ok {
				delete(m.offers, d.ID)
				if m.liveOffer[o.Agent].ID == d.ID {
					delete(m.liveOffer, o.Agent)
				}
			}
		case Connect:
			o, ok := m.offers[d.ID]
			if !ok {
				t.Fatalf("%v: connect for unknown offer %d", now, d.ID)
			}
			delete(m.offers, d.ID)
			delete(m.liveOffer, o.Agent)
			m.inCall[o.Agent] = o.Caller
			m.connected[o.Caller] = o.Agent
		}
	}
}

// dump logs the last minute of an agent's events, to explain a failure.
func (m *model) dump(agent string, now time.Time) {
	for _, e := range m.hist {
		if e.Agent == agent && e.At.After(now.Add(-time.Minute)) {
			m.t.Logf("%v %s q=%s c=%s %s->%s %s %v", e.At.Format("15:04:05.000"), e.Type, e.Queue, e.Call, e.From, e.To, e.Reason, e.Attrs)
		}
	}
}

// levelOpensAt: the lowest level at once, each next one its wait after the
// previous opened (no_agent_no_wait is off in the checked queue).
func (m *model) levelOpensAt(qc QueueConfig, caller string, lv int) time.Time {
	var values []int
	for _, v := range m.levels[qc.ID] {
		if !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	slices.Sort(values)
	at := m.joinedAt[caller]
	for _, v := range values[1:] {
		if v > lv {
			break
		}
		w := qc.TierRuleWaitSecond
		if qc.TierRuleWaitMultiplyLevel {
			w *= time.Duration(v)
		}
		at = at.Add(w)
	}
	return at
}

func TestRandomizedInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runRandomized(t, seed, 4000) })
	}
}

// The core is deterministic: the same commands at the same times give the
// same decisions and events, so simulations and bug reports replay.
func TestCoreIsDeterministic(t *testing.T) {
	a := runRandomized(t, 11, 3000)
	b := runRandomized(t, 11, 3000)
	if len(a.events) != len(b.events) || len(a.decisions) != len(b.decisions) {
		t.Fatalf("runs differ: %d/%d events, %d/%d decisions", len(a.events), len(b.events), len(a.decisions), len(b.decisions))
	}
	for i := range a.events {
		if !reflect.DeepEqual(a.events[i], b.events[i]) {
			t.Fatalf("event %d differs:\n%+v\n%+v", i, a.events[i], b.events[i])
		}
	}
	if !reflect.DeepEqual(a.decisions, b.decisions) {
		t.Fatal("decisions differ")
	}
}

func runRandomized(t *testing.T, seed uint64, steps int) *harness {
	rng := rand.New(rand.NewPCG(seed, 99))
	resets := []CounterReset{KeepCounters, ResetOnAvailable, CatchUpOnAvailable}
	h := newHarness(t, CoreConfig{Seed: seed, CounterReset: resets[seed%3]})
	m := &model{t: t, agentCfg: map[string]AgentConfig{}, status: map[string]Status{}, liveOffer: map[string]Offer{},
		inCall: map[string]string{}, readyAt: map[string]time.Time{}, wrapUntil: map[string]time.Time{}, needsReady: map[string]bool{},
		callers: map[string]string{}, joinedAt: map[string]time.Time{}, offers: map[OfferID]Offer{},
		connected: map[string]string{}, levels: map[string]map[string]int{}, tierRules: map[string]QueueConfig{}}
	step := func(out Output) { m.check(h.now, out) }
	doCmd := func(cmd Command) {
		out, err := h.core.Handle(h.now, cmd)
		h.record(out)
		step(out)
		if err != nil && !IsBadInput(err) && !isStateError(err) {
			t.Fatalf("%T: unexpected error %v", cmd, err)
		}
	}

	// Queues: one per strategy; "tiered" has fixed tier rules checked by the model.
	var queues []string
	for i, s := range Strategies {
		qc := NewQueueConfig(fmt.Sprintf("q%d", i))
		qc.Strategy = s
		qc.MaxWaitTime = time.Duration(60+rng.IntN(600)) * time.Second
		if rng.IntN(2) == 0 {
			qc.AnnounceSound, qc.AnnounceFrequency = "sound:a", 20*time.Second
		}
		qc.AbandonedResumeAllowed = rng.IntN(2) == 0
		qc.MaxWaitTimeWithNoAgent = time.Duration(rng.IntN(3)) * 40 * time.Second
		qc.ExitWithNoAvailableAgents = rng.IntN(4) == 0
		if i == 0 || i == 2 {
			qc.TierRulesApply = true
			qc.TierRuleWaitSecond = time.Duration(5+rng.IntN(20)) * time.Second
			qc.TierRuleWaitMultiplyLevel = i == 2
			qc.TierRuleNoAgentNoWait = false
			m.tierRules[qc.ID] = qc
		}
		doCmd(AddQueue{Config: qc})
		queues = append(queues, qc.ID)
		m.levels[qc.ID] = map[string]int{}
	}
	var agents []string
	for i := range 30 {
		id := fmt.Sprintf("a%02d", i)
		cfg := NewAgentConfig(id, LocalAgent)
		cfg.Extension = id
		cfg.CallTimeout = time.Duration(10+rng.IntN(30)) * time.Second
		cfg.NoAnswerDelayTime = time.Duration(rng.IntN(15)) * time.Second
		cfg.BusyDelayTime = time.Duration(rng.IntN(15)) * time.Second
		cfg.RejectDelayTime = time.Duration(rng.IntN(15)) * time.Second
		cfg.WrapUpTime = time.Duration(rng.IntN(3)) * 10 * time.Second
		cfg.MaxNoAnswer = rng.IntN(4)
		m.agentCfg[id] = cfg
		doCmd(AddAgent{Config: cfg})
		agents = append(agents, id)
		for _, q := range queues {
			if rng.IntN(3) == 0 {
				lv := rng.IntN(3)
				m.levels[q][id] = lv
				doCmd(SetTier{Tier: Tier{Queue: q, Agent: id, Level: lv, Position: rng.IntN(5)}})
			}
		}
	}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	callerN := 0
	for range steps {
		switch r := rng.IntN(100); {
		case r < 20:
			callerN++
			id := fmt.Sprintf("c%d", callerN)
			q := pick(queues)
			num := fmt.Sprintf("+7%d", rng.IntN(40))
			out, err := h.core.Handle(h.now, Join{Queue: q, Caller: id, Number: num, Priority: rng.IntN(3) * 30})
			if err != nil {
				t.Fatalf("join: %v", err)
			}
			m.callers[id] = q
			m.joinedAt[id] = h.now
			h.record(out)
			step(out)
		case r < 30:
			st := []Status{Available, Available, AvailableOnDemand, OnBreak, LoggedOut}[rng.IntN(5)]
			doCmd(SetAgentStatus{Agent: pick(agents), Status: st})
		case r < 33:
			a, st := pick(agents), []State{Waiting, Idle}[rng.IntN(2)]
			delete(m.wrapUntil, a) // setting a state by hand ends wrap-up early
			if st == Waiting {
				m.needsReady[a] = false // this is the agent asking for its next call
			}
			doCmd(SetAgentState{Agent: a, State: st})
			// The model cannot tell a manual state from outside; refresh it.
			for _, a := range agents {
				info := h.agentInfo(a)
				m.needsReady[a] = isAvailable(info.Status) && (info.State == Idle && info.Caller == "" ||
					info.State == WrapUp && info.Status == AvailableOnDemand)
			}
		case r < 55:
			if len(m.offers) > 0 {
				ids := make([]OfferID, 0, len(m.offers))
				for id := range m.offers {
					ids = append(ids, id)
				}
				slices.Sort(ids)
				id := ids[rng.IntN(len(ids))]
				res := []OfferOutcome{OfferAnswered, OfferAnswered, OfferNoAnswer, OfferBusy, OfferRejected, OfferFailed}[rng.IntN(6)]
				doCmd(OfferResult{Offer: id, Result: res})
			}
		case r < 70:
			if len(m.connected) > 0 {
				cs := make([]string, 0, len(m.connected))
				for c := range m.connected {
					cs = append(cs, c)
				}
				slices.Sort(cs)
				c := pick(cs)
				if rng.IntN(2) == 0 {
					doCmd(CallEnded{Caller: c})
				} else {
					doCmd(Hangup{Caller: c})
				}
			}
		case r < 76:
			if len(m.callers) > 0 {
				cs := make([]string, 0, len(m.callers))
				for c := range m.callers {
					if _, conn := m.connected[c]; !conn {
						cs = append(cs, c)
					}
				}
				if len(cs) > 0 {
					slices.Sort(cs)
					doCmd(Hangup{Caller: pick(cs)})
				}
			}
		case r < 78:
			// Tier changes only in queues the model does not time-check.
			q := queues[3+rng.IntN(len(queues)-3)]
			a := pick(agents)
			if rng.IntN(3) == 0 {
				delete(m.levels[q], a)
				doCmd(RemoveTier{Queue: q, Agent: a})
			} else {
				lv := rng.IntN(3)
				m.levels[q][a] = lv
				doCmd(SetTier{Tier: Tier{Queue: q, Agent: a, Level: lv, Position: rng.IntN(5)}})
			}
		default:
			out := h.advance(time.Duration(rng.IntN(8000)) * time.Millisecond)
			step(out)
		}
	}
	// Every caller the model thinks is live is in its queue, and no other.
	live := map[string]bool{}
	for _, q := range queues {
		ms, err := h.core.Members(q, h.now)
		if err != nil {
			t.Fatal(err)
		}
		for _, mb := range ms {
			if m.callers[mb.Caller] != q {
				t.Fatalf("core has caller %s in %s; model has it in %q", mb.Caller, q, m.callers[mb.Caller])
			}
			live[mb.Caller] = true
		}
	}
	if len(live) != len(m.callers) {
		t.Fatalf("core has %d live callers, model %d", len(live), len(m.callers))
	}
	joined := len(eventsOf(h.events, event.CallerJoined))
	left := len(eventsOf(h.events, event.CallerLeft))
	if joined != left+len(live) {
		t.Fatalf("joined %d != left %d + live %d", joined, left, len(live))
	}
	if left == 0 || len(eventsOf(h.events, event.CallerBridged)) == 0 {
		t.Fatal("the run exercised nothing")
	}
	return h
}

// isStateError: the command was well formed but the state forbids it now.
func isStateError(err error) bool {
	return errorsIs(err, ErrBusy) || errorsIs(err, ErrAgentInQueues)
}
