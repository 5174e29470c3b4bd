package acd

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

func agentQueue(h *harness, cfgs ...AgentConfig) {
	h.queue(NewQueueConfig("q"))
	for i, cfg := range cfgs {
		h.agentWith(cfg)
		h.tier("q", cfg.ID, 0, i)
		h.login(cfg.ID)
	}
}

func localAgent(id string, mod func(*AgentConfig)) AgentConfig {
	cfg := NewAgentConfig(id, LocalAgent)
	cfg.Extension = "1" + id
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

// mod_callcenter: after no answer / busy / reject the agent is not called
// again for no_answer_delay_time / busy_delay_time / reject_delay_time.
func TestDelaysAfterFailedOffers(t *testing.T) {
	tests := []struct {
		result OfferOutcome
		delay  time.Duration
	}{
		{OfferNoAnswer, 11 * time.Second},
		{OfferFailed, 11 * time.Second},
		{OfferBusy, 12 * time.Second},
		{OfferRejected, 13 * time.Second},
	}
	for _, tt := range tests {
		t.Run(string(tt.result), func(t *testing.T) {
			h := newHarness(t, CoreConfig{})
			agentQueue(h, localAgent("a1", func(c *AgentConfig) {
				c.NoAnswerDelayTime, c.BusyDelayTime, c.RejectDelayTime = 11*time.Second, 12*time.Second, 13*time.Second
			}))
			o := h.onlyOffer(h.join("q", "c1"))
			if out := h.do(OfferResult{Offer: o.ID, Result: tt.result}); len(offers(out)) != 0 {
				t.Fatalf("re-offered at once: %v", offeredAgents(out))
			}
			if info := h.agentInfo("a1"); !info.ReadyAt.Equal(h.now.Add(tt.delay)) {
				t.Fatalf("ready at %v, want +%v", info.ReadyAt.Sub(h.now), tt.delay)
			}
			if out := h.advance(tt.delay - time.Millisecond); len(offers(out)) != 0 {
				t.Fatal("offered during the delay")
			}
			if o2 := h.onlyOffer(h.advance(time.Millisecond)); o2.Agent != "a1" || o2.Caller != "c1" {
				t.Fatalf("after delay offered %+v", o2)
			}
		})
	}
}

// The ACD owns call_timeout: an offer ringing that long is cancelled and
// counts as no answer.
func TestCallTimeoutCancelsOffer(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	agentQueue(h, localAgent("a1", func(c *AgentConfig) { c.CallTimeout = 30 * time.Second }),
		localAgent("a2", func(c *AgentConfig) { c.CallTimeout = 30 * time.Second }))
	o := h.onlyOffer(h.join("q", "c1"))
	if o.Timeout != 30*time.Second {
		t.Fatalf("offer timeout %v", o.Timeout)
	}
	out := h.advance(30 * time.Second)
	if c := decisionsOf[CancelOffer](out); len(c) != 1 || c[0].ID != o.ID {
		t.Fatalf("decisions %+v, want the offer cancelled", out.Decisions)
	}
	if next := h.onlyOffer(out); next.Agent != "a2" {
		t.Fatalf("next offer to %s, want a2", next.Agent)
	}
	if info := h.agentInfo("a1"); info.NoAnswerCount != 1 {
		t.Fatalf("a1 no-answer count %d, want 1", info.NoAnswerCount)
	}
}

// mod_callcenter max_no_answer: that many consecutive no-answers put the
// agent on break; an answered call resets the count.
func TestMaxNoAnswerPutsAgentOnBreak(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	agentQueue(h, localAgent("a1", func(c *AgentConfig) { c.MaxNoAnswer = 2; c.NoAnswerDelayTime = 0 }))
	o := h.onlyOffer(h.join("q", "c1"))
	o = h.onlyOffer(h.do(OfferResult{Offer: o.ID, Result: OfferNoAnswer}))
	h.do(OfferResult{Offer: o.ID, Result: OfferAnswered}) // resets
	h.do(CallEnded{Caller: "c1"})
	o = h.onlyOffer(h.join("q", "c2"))
	o = h.onlyOffer(h.do(OfferResult{Offer: o.ID, Result: OfferNoAnswer}))
	out := h.do(OfferResult{Offer: o.ID, Result: OfferNoAnswer})
	if len(offers(out)) != 0 {
		t.Fatal("agent on break was offered")
	}
	ev := eventsOf(out.Events, event.AgentStatusChanged)
	if len(ev) != 1 || ev[0].To != string(OnBreak) || ev[0].Source != "system" {
		t.Fatalf("status events %+v, want on_break by system", ev)
	}
	if info := h.agentInfo("a1"); info.Status != OnBreak || info.State != Idle {
		t.Fatalf("a1 %s/%s, want on_break/idle", info.Status, info.State)
	}
}

func TestWrapUp(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	agentQueue(h, localAgent("a1", func(c *AgentConfig) { c.WrapUpTime = 20 * time.Second }))
	o := h.onlyOffer(h.join("q", "c1"))
	h.serveAndEnd(o, time.Minute)
	if info := h.agentInfo("a1"); info.State != WrapUp || info.TalkTime != time.Minute || info.Calls != 1 {
		t.Fatalf("after call: %+v", info)
	}
	h.join("q", "c2")
	if out := h.advance(19 * time.Second); len(offers(out)) != 0 {
		t.Fatal("offered during wrap-up")
	}
	if o := h.onlyOffer(h.advance(time.Second)); o.Caller != "c2" {
		t.Fatalf("after wrap-up offered %+v", o)
	}
}

// An agent may end wrap-up early by setting itself waiting.
func TestEndWrapUpEarly(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	agentQueue(h, localAgent("a1", func(c *AgentConfig) { c.WrapUpTime = time.Hour }))
	h.serveAndEnd(h.onlyOffer(h.join("q", "c1")), time.Second)
	h.join("q", "c2")
	if o := h.onlyOffer(h.do(SetAgentState{Agent: "a1", State: Waiting})); o.Caller != "c2" {
		t.Fatalf("offered %+v", o)
	}
}

// available_on_demand: one call, then idle until the agent asks for more.
func TestAvailableOnDemand(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(NewQueueConfig("q"))
	h.agentWith(localAgent("a1", nil))
	h.tier("q", "a1", 0, 0)
	h.do(SetAgentStatus{Agent: "a1", Status: AvailableOnDemand})
	h.serveAndEnd(h.onlyOffer(h.join("q", "c1")), time.Second)
	h.join("q", "c2")
	if info := h.agentInfo("a1"); info.State != Idle {
		t.Fatalf("on-demand agent %s after call, want idle", info.State)
	}
	if o := h.onlyOffer(h.do(SetAgentState{Agent: "a1", State: Waiting})); o.Caller != "c2" {
		t.Fatalf("offered %+v", o)
	}
}

// An agent in many queues is offered one caller at a time.
func TestAgentInManyQueuesGetsOneOffer(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(NewQueueConfig("q1"))
	h.queue(strategyQueue(RingAll))
	h.queue(NewQueueConfig("q3"))
	h.agentWith(localAgent("a1", nil))
	for _, q := range []string{"q1", "q", "q3"} {
		h.tier(q, "a1", 0, 0)
		h.join(q, "c-"+q)
	}
	out := h.do(SetAgentStatus{Agent: "a1", Status: Available})
	if n := len(offers(out)); n != 1 {
		t.Fatalf("agent got %d offers, want 1", n)
	}
	o := offers(out)[0]
	out = h.do(OfferResult{Offer: o.ID, Result: OfferAnswered})
	if len(offers(out)) != 0 {
		t.Fatal("agent in call was offered")
	}
	out = h.do(CallEnded{Caller: o.Caller})
	if n := len(offers(out)); n != 1 {
		t.Fatalf("after call agent got %d offers, want 1", n)
	}
}

// ringme: "Events are generated only when the status changes."
func TestStatusEventsOnlyOnRealChange(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.agentWith(localAgent("a1", nil))
	h.do(SetAgentStatus{Agent: "a1", Status: Available, Source: "phone"})
	out := h.do(SetAgentStatus{Agent: "a1", Status: Available, Source: "phone"})
	if n := len(eventsOf(out.Events, event.AgentStatusChanged)); n != 0 {
		t.Fatalf("repeated login fired %d events", n)
	}
	ev := eventsOf(h.events, event.AgentStatusChanged)
	if len(ev) != 1 || ev[0].From != "logged_out" || ev[0].To != "available" || ev[0].Source != "phone" {
		t.Fatalf("events %+v", ev)
	}
}

// Logging out while ringing cancels the offer and the caller moves on.
func TestLogoutWhileRinging(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	agentQueue(h, localAgent("a1", nil), localAgent("a2", nil))
	o := h.onlyOffer(h.join("q", "c1"))
	out := h.do(SetAgentStatus{Agent: o.Agent, Status: LoggedOut})
	if len(decisionsOf[CancelOffer](out)) != 1 {
		t.Fatalf("decisions %+v, want CancelOffer", out.Decisions)
	}
	if next := h.onlyOffer(out); next.Agent == o.Agent {
		t.Fatal("re-offered to the agent who logged out")
	}
	if info := h.agentInfo(o.Agent); info.State != Idle || info.NoAnswerCount != 0 {
		t.Fatalf("logged out agent %+v", info)
	}
}

// TestCounterResetPolicies pins the documented choice for the counters that
// least-talk-time and fewest-calls order by. mod_callcenter zeroes them on
// every change to available, so a late log-in gets every call.
func TestCounterResetPolicies(t *testing.T) {
	tests := []struct {
		policy      CounterReset
		wantCalls   int    // late's calls after re-login
		wantNextTwo string // who takes the next two calls
	}{
		{KeepCounters, 0, "late,late"},        // late never had calls: 0 stays 0
		{ResetOnAvailable, 0, "late,late"},    // same as mod_callcenter
		{CatchUpOnAvailable, 3, "late,early"}, // raised to early's 3, then they alternate
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			h := newHarness(t, CoreConfig{CounterReset: tt.policy})
			h.queue(strategyQueue(AgentWithFewestCalls))
			h.agentWith(localAgent("early", nil))
			h.agentWith(localAgent("late", nil))
			h.tier("q", "early", 0, 1)
			h.tier("q", "late", 0, 0)
			h.login("early")
			for i := range 3 {
				h.serveAndEnd(h.onlyOffer(h.join("q", "w"+itoa(i))), time.Minute)
			}
			h.login("late")
			if c := h.agentInfo("late").Calls; c != tt.wantCalls {
				t.Fatalf("late calls after login %d, want %d", c, tt.wantCalls)
			}
			var who []string
			for i := range 2 {
				o := h.onlyOffer(h.join("q", "n"+itoa(i)))
				who = append(who, o.Agent)
				h.serveAndEnd(o, time.Minute)
			}
			if got := who[0] + "," + who[1]; got != tt.wantNextTwo {
				t.Fatalf("next calls to %s, want %s", got, tt.wantNextTwo)
			}
		})
	}
	// KeepCounters keeps an agent's counts across a break; ResetOnAvailable does not.
	for _, tt := range []struct {
		policy CounterReset
		want   int
	}{{KeepCounters, 1}, {ResetOnAvailable, 0}} {
		h := newHarness(t, CoreConfig{CounterReset: tt.policy})
		agentQueue(h, localAgent("a1", nil))
		h.serveAndEnd(h.onlyOffer(h.join("q", "c1")), time.Minute)
		h.do(SetAgentStatus{Agent: "a1", Status: OnBreak})
		h.do(SetAgentStatus{Agent: "a1", Status: Available})
		if got := h.agentInfo("a1").Calls; got != tt.want {
			t.Errorf("%s: calls after break %d, want %d", tt.policy, got, tt.want)
		}
	}
	h := newHarness(t, CoreConfig{})
	agentQueue(h, localAgent("a1", nil))
	h.serveAndEnd(h.onlyOffer(h.join("q", "c1")), time.Minute)
	h.do(ResetAgentCounters{Agent: "a1"})
	if info := h.agentInfo("a1"); info.Calls != 0 || info.TalkTime != 0 {
		t.Fatalf("after ResetAgentCounters: %+v", info)
	}
}

func TestRemoteAgentTarget(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	cfg := NewAgentConfig("r1", RemoteAgent)
	cfg.Number, cfg.Trunk = "89876543210", "trunk1"
	agentQueue(h, cfg)
	o := h.onlyOffer(h.join("q", "c1"))
	if o.Target.Number != "89876543210" || o.Target.Trunk != "trunk1" || o.Target.Extension != "" {
		t.Fatalf("target %+v", o.Target)
	}
}

func TestRemoveAgent(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	agentQueue(h, localAgent("a1", nil), localAgent("a2", nil))
	if err := h.try(RemoveAgent{Agent: "a1"}); !errors.Is(err, ErrAgentInQueues) {
		t.Fatalf("remove without remove_from_queues: %v", err)
	}
	o := h.onlyOffer(h.join("q", "c1"))
	h.do(OfferResult{Offer: o.ID, Result: OfferAnswered})
	if err := h.try(RemoveAgent{Agent: o.Agent, RemoveFromQueues: true}); !errors.Is(err, ErrBusy) {
		t.Fatalf("remove agent in call: %v", err)
	}
	other := "a1"
	if o.Agent == "a1" {
		other = "a2"
	}
	h.join("q", "c2")
	out := h.do(RemoveAgent{Agent: other, RemoveFromQueues: true})
	if len(decisionsOf[CancelOffer](out)) != 1 {
		t.Fatalf("removing a ringing agent: %+v", out.Decisions)
	}
	tiers, _ := h.core.Tiers("q")
	if len(tiers) != 1 || tiers[0].Agent != o.Agent {
		t.Fatalf("tiers %+v", tiers)
	}
	if st := h.status("q"); st.Waiting != 1 {
		t.Fatalf("c2 should wait again: %+v", st)
	}
}

func TestTierChangeReordersAgents(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(strategyQueue(SequentiallyByAgentOrder))
	h.agents("a1", "a2")
	h.tier("q", "a1", 0, 1)
	h.tier("q", "a2", 0, 2)
	h.login("a1", "a2")
	h.tier("q", "a2", 0, 0)
	if o := h.onlyOffer(h.join("q", "c1")); o.Agent != "a2" {
		t.Fatalf("offered %s, want a2 after moving it to position 0", o.Agent)
	}
	h.tier("q", "a1", 3, 0)
	tiers, _ := h.core.Tiers("q")
	got := []Tier{}
	got = append(got, tiers...)
	want := []Tier{{Queue: "q", Agent: "a2", Level: 0, Position: 0}, {Queue: "q", Agent: "a1", Level: 3, Position: 0}}
	if !slices.Equal(got, want) {
		t.Fatalf("tiers %+v", got)
	}
}

// An agent freed in several queues serves the caller who has waited longest
// among them (mod_callcenter orders members by score across queues).
func TestFreedAgentServesLongestWaitingAcrossQueues(t *testing.T) {
	for _, first := range []string{"qa", "qz"} {
		h := newHarness(t, CoreConfig{})
		h.queue(NewQueueConfig("qa"))
		h.queue(NewQueueConfig("qz"))
		h.agentWith(localAgent("a1", nil))
		h.tier("qa", "a1", 0, 0)
		h.tier("qz", "a1", 0, 0)
		second := map[string]string{"qa": "qz", "qz": "qa"}[first]
		h.join(first, "early")
		h.advance(time.Second)
		h.join(second, "late")
		if o := h.onlyOffer(h.do(SetAgentStatus{Agent: "a1", Status: Available})); o.Caller != "early" {
			t.Fatalf("early caller in %s: agent offered to %s", first, o.Caller)
		}
	}
}
