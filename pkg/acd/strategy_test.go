package acd

import (
	"slices"
	"testing"
	"time"
)

// Each test names the rule it pins: the ringme seed (ringme-queues-agents.txt)
// or mod_callcenter.c (agents_callback / members_callback).

func strategyQueue(s Strategy) QueueConfig {
	q := NewQueueConfig("q")
	q.Strategy = s
	return q
}

// Seed: "At any strategy the agents with the lowest level are called first.
// If the agents of the current call level are busy [...] then agents of the
// next level are called."
func TestEveryStrategyCallsLowestLevelFirst(t *testing.T) {
	for _, s := range Strategies {
		t.Run(string(s), func(t *testing.T) {
			h := newHarness(t, CoreConfig{Seed: 1})
			h.queue(strategyQueue(s))
			h.agents("high1", "high2", "low")
			h.tier("q", "high1", 2, 0)
			h.tier("q", "high2", 2, 1)
			h.tier("q", "low", 1, 5)
			h.login("high1", "high2", "low")
			out := h.join("q", "c1")
			got := offeredAgents(out)
			if s == RingAll {
				// mod_callcenter rings every free agent of every level the
				// caller reaches; without tier rules that is all of them.
				slices.Sort(got)
				if !slices.Equal(got, []string{"high1", "high2", "low"}) {
					t.Fatalf("ring-all offered %v, want all three", got)
				}
				return
			}
			if !slices.Equal(got, []string{"low"}) {
				t.Fatalf("first offer went to %v, want [low]", got)
			}
			// low is now busy ringing: the next caller goes to level 2.
			out = h.join("q", "c2")
			if got := offeredAgents(out); len(got) != 1 || (got[0] != "high1" && got[0] != "high2") {
				t.Fatalf("second caller offered %v, want one level-2 agent", got)
			}
		})
	}
}

// mod_callcenter ring-all: every free agent is rung for the caller; the first
// to answer is bridged and the other offers are cancelled.
func TestRingAllFirstAnswerWins(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(strategyQueue(RingAll))
	h.agents("a1", "a2", "a3")
	for i, a := range []string{"a1", "a2", "a3"} {
		h.tier("q", a, 0, i)
	}
	h.login("a1", "a2", "a3")
	out := h.join("q", "c1")
	os := offers(out)
	if len(os) != 3 {
		t.Fatalf("offers = %v, want 3", offeredAgents(out))
	}
	var a2 Offer
	for _, o := range os {
		if o.Agent == "a2" {
			a2 = o
		}
	}
	out = h.do(OfferResult{Offer: a2.ID, Result: OfferAnswered})
	connects := decisionsOf[Connect](out)
	cancels := decisionsOf[CancelOffer](out)
	if len(connects) != 1 || connects[0].Agent != "a2" {
		t.Fatalf("connects = %+v, want a2", connects)
	}
	var cancelled []string
	for _, c := range cancels {
		cancelled = append(cancelled, c.Agent)
	}
	slices.Sort(cancelled)
	if !slices.Equal(cancelled, []string{"a1", "a3"}) {
		t.Fatalf("cancelled %v, want [a1 a3]", cancelled)
	}
	for _, a := range []string{"a1", "a3"} {
		if st := h.agentInfo(a).State; st != Waiting {
			t.Errorf("%s state %s after its offer was cancelled, want waiting", a, st)
		}
	}
	// A late answer to a cancelled offer is hung up, not connected.
	out = h.do(OfferResult{Offer: os[0].ID, Result: OfferAnswered})
	if len(decisionsOf[Connect](out)) != 0 || len(decisionsOf[CancelOffer](out)) != 1 {
		t.Fatalf("late answer produced %+v, want one CancelOffer", out.Decisions)
	}
}

// mod_callcenter ring-all keeps ringing newly free agents for the caller at
// the head of the queue while it is still trying.
func TestRingAllAddsAgentsThatBecomeFree(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(strategyQueue(RingAll))
	h.agents("a1", "a2")
	h.tier("q", "a1", 0, 0)
	h.tier("q", "a2", 0, 1)
	h.login("a1")
	h.join("q", "c1")
	out := h.do(SetAgentStatus{Agent: "a2", Status: Available})
	if got := offeredAgents(out); !slices.Equal(got, []string{"a2"}) || offers(out)[0].Caller != "c1" {
		t.Fatalf("newly available agent offered %v, want a2 for c1", got)
	}
}

// mod_callcenter longest-idle-agent: ORDER BY level, last_bridge_end, position.
func TestLongestIdleAgent(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(strategyQueue(LongestIdleAgent))
	h.agents("a1", "a2", "a3")
	for i, a := range []string{"a1", "a2", "a3"} {
		h.tier("q", a, 0, i)
	}
	h.login("a1", "a2", "a3")
	// Never-called agents have no last bridge end: position decides.
	o := h.onlyOffer(h.join("q", "c1"))
	if o.Agent != "a1" {
		t.Fatalf("first caller to %s, want a1 (position among never-called)", o.Agent)
	}
	h.serveAndEnd(o, 30*time.Second) // a1's call ends at +30s
	o = h.onlyOffer(h.join("q", "c2"))
	if o.Agent != "a2" {
		t.Fatalf("second caller to %s, want a2 (a1 has just finished)", o.Agent)
	}
	h.serveAndEnd(o, 10*time.Second) // a2 ends at +40s
	o = h.onlyOffer(h.join("q", "c3"))
	if o.Agent != "a3" {
		t.Fatalf("third caller to %s, want a3", o.Agent)
	}
	h.serveAndEnd(o, 5*time.Second) // a3 ends at +45s
	o = h.onlyOffer(h.join("q", "c4"))
	if o.Agent != "a1" {
		t.Fatalf("fourth caller to %s, want a1 (idle longest, since +30s)", o.Agent)
	}
}

// mod_callcenter round-robin: the agent after the one the queue offered
// last (same level, higher position), else from the top.
func TestRoundRobin(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(strategyQueue(RoundRobin))
	h.agents("a1", "a2", "a3")
	for i, a := range []string{"a1", "a2", "a3"} {
		h.tier("q", a, 0, i+1)
	}
	h.login("a1", "a2", "a3")
	var got []string
	for i := range 5 {
		o := h.onlyOffer(h.join("q", "c"+string(rune('0'+i))))
		got = append(got, o.Agent)
		h.serveAndEnd(o, time.Second)
	}
	if want := []string{"a1", "a2", "a3", "a1", "a2"}; !slices.Equal(got, want) {
		t.Fatalf("round-robin order %v, want %v", got, want)
	}
}

// mod_callcenter top-down: a caller's next offer goes to the agent after the
// one it was last offered to; a new caller starts at the top.
func TestTopDown(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(strategyQueue(TopDown))
	h.agents("a1", "a2", "a3")
	h.tier("q", "a1", 1, 1)
	h.tier("q", "a2", 1, 2)
	h.tier("q", "a3", 2, 1)
	h.login("a1", "a2", "a3")
	o := h.onlyOffer(h.join("q", "c1"))
	var got []string
	for range 4 {
		got = append(got, o.Agent)
		o = h.onlyOffer(h.do(OfferResult{Offer: o.ID, Result: OfferNoAnswer}))
	}
	if want := []string{"a1", "a2", "a3", "a1"}; !slices.Equal(got, want) {
		t.Fatalf("top-down walk %v, want %v", got, want)
	}
	// o now rings a2 for c1. A second caller starts at the top: a1.
	o2 := h.onlyOffer(h.join("q", "c2"))
	if o2.Agent != "a1" {
		t.Fatalf("new caller starts at %s, want a1", o2.Agent)
	}
}

// mod_callcenter agent-with-least-talk-time: ORDER BY level, talk_time, position.
func TestAgentWithLeastTalkTime(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(strategyQueue(AgentWithLeastTalkTime))
	h.agents("a1", "a2", "a3")
	for i, a := range []string{"a1", "a2", "a3"} {
		h.tier("q", a, 0, i)
	}
	h.login("a1", "a2", "a3")
	talks := map[string]time.Duration{"a1": 90 * time.Second, "a2": 20 * time.Second, "a3": 40 * time.Second}
	for i := range 3 {
		o := h.onlyOffer(h.join("q", "warm"+string(rune('0'+i))))
		h.serveAndEnd(o, talks[o.Agent])
	}
	for _, want := range []string{"a2", "a3"} {
		o := h.onlyOffer(h.join("q", "next-"+want))
		if o.Agent != want {
			t.Fatalf("offered %s, want %s (least talk time)", o.Agent, want)
		}
		h.serveAndEnd(o, 100*time.Second)
	}
}

// mod_callcenter agent-with-fewest-calls: ORDER BY level, calls_answered, position.
func TestAgentWithFewestCalls(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(strategyQueue(AgentWithFewestCalls))
	h.agents("a1", "a2", "a3")
	for i, a := range []string{"a1", "a2", "a3"} {
		h.tier("q", a, 0, i)
	}
	h.login("a1", "a2", "a3")
	var got []string
	for i := range 6 {
		o := h.onlyOffer(h.join("q", "c"+string(rune('0'+i))))
		got = append(got, o.Agent)
		h.serveAndEnd(o, time.Second)
	}
	if want := []string{"a1", "a2", "a3", "a1", "a2", "a3"}; !slices.Equal(got, want) {
		t.Fatalf("fewest-calls order %v, want %v", got, want)
	}
	// An unanswered offer is not a call: a1 keeps the fewest after no answer.
	o := h.onlyOffer(h.join("q", "x"))
	if o.Agent != "a1" {
		t.Fatalf("offered %s, want a1", o.Agent)
	}
	if c := h.agentInfo("a1").Calls; c != 2 {
		t.Fatalf("a1 calls = %d, want 2", c)
	}
}

// mod_callcenter sequentially-by-agent-order: ORDER BY level, position,
// last_offered_call — always from the first position.
func TestSequentiallyByAgentOrder(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(strategyQueue(SequentiallyByAgentOrder))
	h.agents("a1", "a2", "a3")
	h.tier("q", "a1", 0, 3)
	h.tier("q", "a2", 0, 1)
	h.tier("q", "a3", 0, 2)
	h.login("a1", "a2", "a3")
	for i := range 3 {
		o := h.onlyOffer(h.join("q", "c"+string(rune('0'+i))))
		if o.Agent != "a2" {
			t.Fatalf("call %d to %s, want a2 (position 1) every time", i, o.Agent)
		}
		h.serveAndEnd(o, time.Second)
	}
	// Busy first position: the next in order.
	h.join("q", "busy")
	if o := h.onlyOffer(h.join("q", "next")); o.Agent != "a3" {
		t.Fatalf("with a2 ringing, offered %s, want a3", o.Agent)
	}
}

// mod_callcenter random: ORDER BY level, random(). Every free agent of the
// level is picked with equal chance; the same seed gives the same picks.
func TestRandomIsUniformAndSeeded(t *testing.T) {
	run := func(seed uint64) []string {
		h := newHarness(t, CoreConfig{Seed: seed})
		h.queue(strategyQueue(Random))
		ids := []string{"a1", "a2", "a3", "a4"}
		h.agents(ids...)
		for i, a := range ids {
			h.tier("q", a, 0, i)
		}
		h.login(ids...)
		var got []string
		for i := range 4000 {
			o := h.onlyOffer(h.join("q", "c"+itoa(i)))
			got = append(got, o.Agent)
			h.serveAndEnd(o, time.Second)
		}
		return got
	}
	a, b := run(7), run(7)
	if !slices.Equal(a, b) {
		t.Fatal("same seed gave different picks")
	}
	counts := map[string]int{}
	for _, id := range a {
		counts[id]++
	}
	// Expected 1000 each; a binomial sd is ~27, so ±150 fails only if broken.
	for _, id := range []string{"a1", "a2", "a3", "a4"} {
		if n := counts[id]; n < 850 || n > 1150 {
			t.Errorf("agent %s picked %d of 4000, want about 1000", id, n)
		}
	}
	if c := run(8); slices.Equal(a, c) {
		t.Error("different seeds gave identical picks")
	}
}

// mod_callcenter ring-progressively: one more agent is rung every
// ring_progressively_delay while the earlier ones keep ringing.
func TestRingProgressively(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := strategyQueue(RingProgressively)
	q.RingProgressivelyDelay = 10 * time.Second
	h.queue(q)
	h.agents("a1", "a2", "a3")
	for i, a := range []string{"a1", "a2", "a3"} {
		h.tier("q", a, 0, i)
	}
	h.login("a1", "a2", "a3")
	if got := offeredAgents(h.join("q", "c1")); !slices.Equal(got, []string{"a1"}) {
		t.Fatalf("t=0 offered %v, want [a1]", got)
	}
	if got := offeredAgents(h.advance(9 * time.Second)); len(got) != 0 {
		t.Fatalf("t=9s offered %v, want nothing before the delay", got)
	}
	if got := offeredAgents(h.advance(time.Second)); !slices.Equal(got, []string{"a2"}) {
		t.Fatalf("t=10s offered %v, want [a2]", got)
	}
	out := h.advance(10 * time.Second)
	third := h.onlyOffer(out)
	if third.Agent != "a3" {
		t.Fatalf("t=20s offered %s, want a3", third.Agent)
	}
	if st := h.status("q"); st.Trying != 1 {
		t.Fatalf("trying = %d, want 1", st.Trying)
	}
	out = h.do(OfferResult{Offer: third.ID, Result: OfferAnswered})
	if got := len(decisionsOf[CancelOffer](out)); got != 2 {
		t.Fatalf("cancelled %d offers, want the 2 still ringing", got)
	}
	// A second caller waits its own delay.
	if got := offeredAgents(h.join("q", "c2")); !slices.Equal(got, []string{"a1"}) {
		t.Fatalf("c2 offered %v, want [a1]", got)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
