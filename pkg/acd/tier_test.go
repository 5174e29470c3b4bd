package acd

import (
	"slices"
	"testing"
	"time"
)

type tierStep struct {
	at   time.Duration // virtual time since the caller joined
	want []string      // agents newly offered at that moment, sorted
}

// TestTierRules pins the tier rules. Seed: "If the parameter tier_rules_apply
// value is true, the next-level agents start to be called after the time
// specified by the parameter tier_rule_wait_second, the report begins when
// the current level agents start calling. If the parameter
// tier_rule_wait_multiply_level value is true, then the time
// tier_rule_wait_second is multiplied by the agent level."
func TestTierRules(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*QueueConfig)
		// levels of agents a1, a2, a3 (one agent per entry).
		levels   []int
		loggedIn []string
		steps    []tierStep
	}{
		{
			name:     "rules off: every level rung at once (ring-all)",
			setup:    func(q *QueueConfig) {},
			levels:   []int{1, 2, 3},
			loggedIn: []string{"a1", "a2", "a3"},
			steps:    []tierStep{{0, []string{"a1", "a2", "a3"}}},
		},
		{
			// Decision: the lowest level rings at once. mod_callcenter starts
			// its tier cursor at 0, so even level 1 waits one period; the seed
			// says the lowest level is "called first", and a free agent
			// should never sit idle while the caller listens to music.
			name:     "the lowest level rings at once, the next after the wait (seed example: 15 s)",
			setup:    func(q *QueueConfig) { q.TierRulesApply, q.TierRuleWaitSecond = true, 15*time.Second },
			levels:   []int{1, 2, 3},
			loggedIn: []string{"a1", "a2", "a3"},
			steps:    []tierStep{{0, []string{"a1"}}, {14 * time.Second, nil}, {15 * time.Second, []string{"a2"}}, {30 * time.Second, []string{"a3"}}},
		},
		{
			name: "multiply: level L waits L × wait after the previous level started",
			setup: func(q *QueueConfig) {
				q.TierRulesApply, q.TierRuleWaitSecond, q.TierRuleWaitMultiplyLevel = true, 10*time.Second, true
			},
			levels:   []int{1, 2, 3},
			loggedIn: []string{"a1", "a2", "a3"},
			steps:    []tierStep{{0, []string{"a1"}}, {19 * time.Second, nil}, {20 * time.Second, []string{"a2"}}, {49 * time.Second, nil}, {50 * time.Second, []string{"a3"}}},
		},
		{
			name: "level values, not ranks, multiply (levels 0 and 5)",
			setup: func(q *QueueConfig) {
				q.TierRulesApply, q.TierRuleWaitSecond, q.TierRuleWaitMultiplyLevel = true, 2*time.Second, true
			},
			levels:   []int{0, 5, 5},
			loggedIn: []string{"a1", "a2", "a3"},
			steps:    []tierStep{{0, []string{"a1"}}, {9 * time.Second, nil}, {10 * time.Second, []string{"a2", "a3"}}},
		},
		{
			// mod_callcenter code: with tier_rule_no_agent_no_wait a tier
			// in which no agent is logged in is skipped without waiting.
			name: "no agent no wait: an empty level is skipped at once",
			setup: func(q *QueueConfig) {
				q.TierRulesApply, q.TierRuleWaitSecond, q.TierRuleNoAgentNoWait = true, 15*time.Second, true
			},
			levels:   []int{1, 2, 3},
			loggedIn: []string{"a2", "a3"},
			steps:    []tierStep{{0, []string{"a2"}}, {15 * time.Second, []string{"a3"}}},
		},
		{
			name: "without no agent no wait: an empty level still costs its wait",
			setup: func(q *QueueConfig) {
				q.TierRulesApply, q.TierRuleWaitSecond, q.TierRuleNoAgentNoWait = true, 15*time.Second, false
			},
			levels:   []int{1, 2, 3},
			loggedIn: []string{"a2", "a3"},
			steps:    []tierStep{{0, nil}, {14 * time.Second, nil}, {15 * time.Second, []string{"a2"}}, {30 * time.Second, []string{"a3"}}},
		},
		{
			name: "wait zero: all levels at once",
			setup: func(q *QueueConfig) {
				q.TierRulesApply, q.TierRuleWaitSecond = true, 0
			},
			levels:   []int{1, 2},
			loggedIn: []string{"a1", "a2"},
			steps:    []tierStep{{0, []string{"a1", "a2"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, CoreConfig{})
			q := strategyQueue(RingAll)
			q.TierRuleNoAgentNoWait = false
			tt.setup(&q)
			h.queue(q)
			for i, lv := range tt.levels {
				id := "a" + itoa(i+1)
				cfg := NewAgentConfig(id, LocalAgent)
				cfg.Extension = id
				cfg.CallTimeout = 5 * time.Minute // offers keep ringing through the test
				h.agentWith(cfg)
				h.tier("q", id, lv, 0)
			}
			h.login(tt.loggedIn...)
			elapsed := time.Duration(0)
			for i, st := range tt.steps {
				var out Output
				if i == 0 && st.at == 0 {
					out = h.join("q", "c1")
				} else {
					if i == 0 {
						h.join("q", "c1")
					}
					out = h.advance(st.at - elapsed)
				}
				elapsed = st.at
				got := offeredAgents(out)
				slices.Sort(got)
				if !slices.Equal(got, st.want) {
					t.Fatalf("at %s offered %v, want %v", st.at, got, st.want)
				}
			}
		})
	}
}

// Seed: "If the agents of the current call level are busy [...] then agents
// of the next level are called" — with tier rules, after the wait; and the
// wait is not skipped because level 1's agents are merely busy.
func TestTierWaitAppliesWhenLowerLevelIsBusy(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := strategyQueue(LongestIdleAgent)
	q.TierRulesApply, q.TierRuleWaitSecond, q.TierRuleNoAgentNoWait = true, 15*time.Second, true
	h.queue(q)
	h.agents("low", "high")
	h.tier("q", "low", 1, 0)
	h.tier("q", "high", 2, 0)
	h.login("low", "high")
	o := h.onlyOffer(h.join("q", "busy-maker"))
	h.do(OfferResult{Offer: o.ID, Result: OfferAnswered}) // low is in a call
	if got := offeredAgents(h.join("q", "c1")); len(got) != 0 {
		t.Fatalf("c1 offered %v at once, want a wait for level 2", got)
	}
	if got := offeredAgents(h.advance(14 * time.Second)); len(got) != 0 {
		t.Fatalf("offered %v before 15 s", got)
	}
	if got := offeredAgents(h.advance(time.Second)); !slices.Equal(got, []string{"high"}) {
		t.Fatalf("at 15 s offered %v, want [high]", got)
	}
}

// A caller that reached level 2 still prefers a free level-1 agent (lowest first).
func TestReachedCallerStillPrefersLowerLevel(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := strategyQueue(LongestIdleAgent)
	q.TierRulesApply, q.TierRuleWaitSecond = true, 5*time.Second
	h.queue(q)
	h.agents("low", "high")
	h.tier("q", "low", 1, 0)
	h.tier("q", "high", 2, 0)
	h.login("low")
	o := h.onlyOffer(h.join("q", "first"))
	h.do(OfferResult{Offer: o.ID, Result: OfferAnswered})
	h.join("q", "c1")
	h.advance(10 * time.Second) // c1 reaches level 2, whose agent is logged out
	h.do(CallEnded{Caller: "first"})
	// low is free again: c1 gets low at once.
	if info := h.agentInfo("low"); info.Caller != "c1" || info.State != Receiving {
		t.Fatalf("low = %+v, want ringing for c1", info)
	}
	_ = h.do(SetAgentStatus{Agent: "high", Status: Available})
	if info := h.agentInfo("high"); info.State != Waiting {
		t.Fatalf("high state %s, want waiting (nobody left to serve)", info.State)
	}
}

// With no agent no wait, a caller waiting on a level whose last agent logs
// out moves to the next level at once.
func TestLevelEmptiedMovesCallersOn(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := strategyQueue(LongestIdleAgent)
	q.TierRulesApply, q.TierRuleWaitSecond, q.TierRuleNoAgentNoWait = true, 60*time.Second, true
	h.queue(q)
	h.agents("low", "high")
	h.tier("q", "low", 1, 0)
	h.tier("q", "high", 2, 0)
	h.login("low", "high")
	o := h.onlyOffer(h.join("q", "first"))
	h.do(OfferResult{Offer: o.ID, Result: OfferAnswered})
	h.join("q", "c1")
	h.advance(5 * time.Second)
	if got := offeredAgents(h.do(SetAgentStatus{Agent: "low", Status: LoggedOut})); !slices.Equal(got, []string{"high"}) {
		t.Fatalf("after low logged out offered %v, want [high]", got)
	}
}
