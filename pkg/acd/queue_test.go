package acd

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

func TestMaxWaitTimeTransfersOrHangsUp(t *testing.T) {
	for _, dst := range []string{"333", ""} {
		t.Run("dst="+dst, func(t *testing.T) {
			h := newHarness(t, CoreConfig{})
			q := NewQueueConfig("q")
			q.MaxWaitTime = 1800 * time.Second // seed example: "maximum waiting time [...] 1800 seconds"
			q.TimeoutTransferDst = dst         // "forward the caller to the number 333"
			h.queue(q)
			h.agents("a1")
			h.tier("q", "a1", 0, 0)
			h.join("q", "c1")
			if out := h.advance(1799 * time.Second); len(out.Decisions) != 0 {
				t.Fatalf("decisions before max wait: %+v", out.Decisions)
			}
			out := h.advance(time.Second)
			if dst != "" {
				tr := decisionsOf[Transfer](out)
				if len(tr) != 1 || tr[0].Destination != "333" || tr[0].Reason != ReasonTimeout {
					t.Fatalf("decisions %+v, want Transfer to 333 (timeout)", out.Decisions)
				}
			} else if hu := decisionsOf[HangupCaller](out); len(hu) != 1 || hu[0].Reason != ReasonTimeout {
				t.Fatalf("decisions %+v, want HangupCaller (timeout)", out.Decisions)
			}
			if st := h.status("q"); st.Waiting != 0 || st.Stats.TimedOut != 1 {
				t.Fatalf("status %+v after timeout", st)
			}
		})
	}
}

// A caller ringing an agent when max wait arrives leaves; the offer is cancelled.
func TestMaxWaitCancelsRingingOffer(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := NewQueueConfig("q")
	q.MaxWaitTime = 20 * time.Second
	h.queue(q)
	h.agents("a1")
	h.tier("q", "a1", 0, 0)
	h.login("a1")
	h.join("q", "c1")
	out := h.advance(20 * time.Second)
	if len(decisionsOf[CancelOffer](out)) != 1 || len(decisionsOf[HangupCaller](out)) != 1 {
		t.Fatalf("decisions %+v, want CancelOffer and HangupCaller", out.Decisions)
	}
	if st := h.agentInfo("a1").State; st != Waiting {
		t.Fatalf("a1 state %s, want waiting", st)
	}
}

// mod_callcenter max-wait-time-with-no-agent: when no agent has been logged
// in for that long, waiting callers leave; a caller that joins after that
// may wait only max-wait-time-with-no-agent-time-reached.
func TestMaxWaitTimeWithNoAgent(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := NewQueueConfig("q")
	q.MaxWaitTimeWithNoAgent = 60 * time.Second
	q.MaxWaitTimeWithNoAgentTimeReached = 5 * time.Second
	q.NoAgentTimeoutTransferDst = "voicemail"
	h.queue(q)
	h.agents("a1")
	h.tier("q", "a1", 0, 0)
	h.login("a1")
	o := h.onlyOffer(h.join("q", "busy"))
	h.do(OfferResult{Offer: o.ID, Result: OfferAnswered})
	h.join("q", "early")
	h.advance(10 * time.Second)
	h.do(SetAgentStatus{Agent: "a1", Status: LoggedOut}) // no agent from t=10s
	h.advance(30 * time.Second)
	h.join("q", "mid") // joins at 40s, before the threshold (70s)
	out := h.advance(29 * time.Second)
	if len(out.Decisions) != 0 {
		t.Fatalf("callers left before the threshold: %+v", out.Decisions)
	}
	out = h.advance(time.Second) // t=70s
	var left []string
	for _, tr := range decisionsOf[Transfer](out) {
		if tr.Destination != "voicemail" || tr.Reason != ReasonNoAgentTimeout {
			t.Fatalf("transfer %+v", tr)
		}
		left = append(left, tr.Caller)
	}
	if !slices.Equal(left, []string{"early", "mid"}) {
		t.Fatalf("left at threshold: %v, want [early mid]", left)
	}
	h.join("q", "late") // threshold already reached: 5 s grace
	if out := h.advance(4 * time.Second); len(out.Decisions) != 0 {
		t.Fatalf("late caller left early: %+v", out.Decisions)
	}
	if tr := decisionsOf[Transfer](h.advance(time.Second)); len(tr) != 1 || tr[0].Caller != "late" {
		t.Fatalf("late caller did not leave after the grace: %+v", tr)
	}
	// The connected call is untouched.
	if st := h.status("q"); st.Answered != 1 {
		t.Fatalf("answered = %d, want the connected call kept", st.Answered)
	}
}

// An agent logging in before the threshold keeps the callers.
func TestNoAgentTimerStopsWhenAgentReturns(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := NewQueueConfig("q")
	q.MaxWaitTimeWithNoAgent = 60 * time.Second
	h.queue(q)
	h.agents("a1", "a2")
	h.tier("q", "a1", 0, 0)
	h.tier("q", "a2", 0, 1)
	h.join("q", "c1")
	h.advance(50 * time.Second)
	h.do(SetAgentStatus{Agent: "a2", Status: OnBreak}) // on break counts as logged in
	if out := h.advance(time.Hour); len(decisionsOf[HangupCaller](out))+len(decisionsOf[Transfer](out)) != 0 {
		t.Fatalf("caller left although an agent is logged in: %+v", out.Decisions)
	}
}

func TestExitWithNoAvailableAgents(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := NewQueueConfig("q")
	q.ExitWithNoAvailableAgents = true
	q.ExitTransferDst = "exit-menu"
	h.queue(q)
	h.agents("a1", "a2")
	h.tier("q", "a1", 0, 0)
	h.tier("q", "a2", 0, 1)
	out := h.join("q", "c0")
	if tr := decisionsOf[Transfer](out); len(tr) != 1 || tr[0].Reason != ReasonNoAvailable || tr[0].Destination != "exit-menu" {
		t.Fatalf("join with no agents: %+v", out.Decisions)
	}
	h.login("a1", "a2")
	for _, id := range []string{"b1", "b2"} {
		o := h.onlyOffer(h.join("q", id))
		h.do(OfferResult{Offer: o.ID, Result: OfferAnswered})
	}
	h.join("q", "c1")
	h.do(SetAgentStatus{Agent: "a1", Status: OnBreak})
	out = h.do(SetAgentStatus{Agent: "a2", Status: LoggedOut})
	if tr := decisionsOf[Transfer](out); len(tr) != 1 || tr[0].Caller != "c1" {
		t.Fatalf("last available agent left: %+v, want c1 out", out.Decisions)
	}
	if st := h.status("q"); st.Answered != 2 {
		t.Fatalf("answered = %d, connected calls must stay", st.Answered)
	}
}

func TestExitKey(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := NewQueueConfig("q")
	q.ExitKey = "0"
	q.ExitTransferDst = "operator"
	h.queue(q)
	h.join("q", "c1")
	if out := h.do(DTMF{Caller: "c1", Digit: "5"}); len(out.Decisions) != 0 {
		t.Fatalf("other digit acted: %+v", out.Decisions)
	}
	out := h.do(DTMF{Caller: "c1", Digit: "0"})
	if tr := decisionsOf[Transfer](out); len(tr) != 1 || tr[0].Destination != "operator" || tr[0].Reason != ReasonExitKey {
		t.Fatalf("exit key: %+v", out.Decisions)
	}
}

// mod_callcenter abandoned-resume-allowed: a caller that hung up and calls
// back within discard-abandoned-after gets its old place.
func TestAbandonedResume(t *testing.T) {
	run := func(t *testing.T, allowed bool, rejoinAfter time.Duration) []string {
		h := newHarness(t, CoreConfig{})
		q := NewQueueConfig("q")
		q.AbandonedResumeAllowed = allowed
		q.DiscardAbandonedAfter = 60 * time.Second
		h.queue(q)
		h.do(Join{Queue: "q", Caller: "x1", Number: "+7921"})
		h.advance(10 * time.Second)
		h.do(Join{Queue: "q", Caller: "y", Number: "+7999"})
		h.advance(10 * time.Second)
		h.do(Hangup{Caller: "x1"})
		h.advance(rejoinAfter)
		h.do(Join{Queue: "q", Caller: "x2", Number: "+7921"})
		ms, err := h.core.Members("q", h.now)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, m := range ms {
			order = append(order, m.Caller)
		}
		return order
	}
	if got := run(t, true, 30*time.Second); !slices.Equal(got, []string{"x2", "y"}) {
		t.Errorf("resume within window: %v, want [x2 y]", got)
	}
	if got := run(t, true, 61*time.Second); !slices.Equal(got, []string{"y", "x2"}) {
		t.Errorf("resume after discard: %v, want [y x2]", got)
	}
	if got := run(t, false, 30*time.Second); !slices.Equal(got, []string{"y", "x2"}) {
		t.Errorf("resume not allowed: %v, want [y x2]", got)
	}
}

func TestAnnouncements(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := NewQueueConfig("q")
	q.AnnounceSound, q.AnnounceFrequency = "sound:35", 15*time.Second // seed example: every 15 seconds
	h.queue(q)
	h.agents("a1")
	h.tier("q", "a1", 0, 0)
	h.join("q", "c1")
	var at []time.Duration
	for range 4 {
		out := h.advance(5 * time.Second)
		for _, a := range decisionsOf[Announce](out) {
			if a.Sound != "sound:35" {
				t.Fatalf("announce sound %q", a.Sound)
			}
			at = append(at, h.now.Sub(t0))
		}
	}
	if want := []time.Duration{15 * time.Second}; !slices.Equal(at, want) {
		t.Fatalf("announced at %v, want %v", at, want)
	}
	o := h.onlyOffer(h.do(SetAgentStatus{Agent: "a1", Status: Available}))
	h.do(OfferResult{Offer: o.ID, Result: OfferAnswered})
	if out := h.advance(time.Minute); len(decisionsOf[Announce](out)) != 0 {
		t.Fatal("announced to a connected caller")
	}
}

// mod_callcenter members_callback: ORDER BY score DESC, score = wait +
// base_score; with time-base-score "system" the wait counts from when the
// call entered the system.
func TestCallerOrdering(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := NewQueueConfig("q")
	q.TimeBaseScore = ScoreFromSystem
	h.queue(q)
	h.do(Join{Queue: "q", Caller: "first", Number: "1"})
	h.advance(10 * time.Second)
	h.do(Join{Queue: "q", Caller: "vip", Number: "2", Priority: 60})
	h.do(Join{Queue: "q", Caller: "transferred", Number: "3", EnteredSystem: t0.Add(-30 * time.Second)})
	h.do(Join{Queue: "q", Caller: "last", Number: "4"})
	ms, _ := h.core.Members("q", h.now)
	var order []string
	for _, m := range ms {
		order = append(order, m.Caller)
	}
	if want := []string{"vip", "transferred", "first", "last"}; !slices.Equal(order, want) {
		t.Fatalf("service order %v, want %v", order, want)
	}
	h.agents("a1")
	h.tier("q", "a1", 0, 0)
	if o := h.onlyOffer(h.do(SetAgentStatus{Agent: "a1", Status: Available})); o.Caller != "vip" {
		t.Fatalf("first served %s, want vip", o.Caller)
	}
}

// ringme: GET /extension/{id}/queue/status/ and /status/members/.
func TestQueueStatusAndMembers(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(NewQueueConfig("q"))
	h.agents("a1", "a2")
	h.tier("q", "a1", 0, 0)
	h.tier("q", "a2", 0, 1)
	h.login("a1", "a2")
	o := h.onlyOffer(h.do(Join{Queue: "q", Caller: "c1", Number: "89215650644"}))
	h.advance(3 * time.Second)
	h.do(OfferResult{Offer: o.ID, Result: OfferAnswered})
	h.do(Join{Queue: "q", Caller: "c2", Number: "89876543210"})
	h.do(Join{Queue: "q", Caller: "c3", Number: "2"})
	h.advance(7 * time.Second)
	st := h.status("q")
	if st.Answered != 1 || st.Trying != 1 || st.Waiting != 1 {
		t.Fatalf("status %+v, want 1 answered, 1 trying, 1 waiting", st)
	}
	ms, err := h.core.Members("q", h.now)
	if err != nil {
		t.Fatal(err)
	}
	want := []Member{
		{Caller: "c1", Joined: t0, Number: "89215650644", ServingAgent: "a1", State: "answered", WaitTime: 3 * time.Second},
		{Caller: "c2", Joined: t0.Add(3 * time.Second), Number: "89876543210", ServingAgent: "a2", State: "trying", WaitTime: 7 * time.Second},
		{Caller: "c3", Joined: t0.Add(3 * time.Second), Number: "2", State: "waiting", WaitTime: 7 * time.Second},
	}
	if !slices.Equal(ms, want) {
		t.Fatalf("members\n got %+v\nwant %+v", ms, want)
	}
}

func TestHangupWhileRingingCancelsOffer(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(NewQueueConfig("q"))
	h.agents("a1")
	h.tier("q", "a1", 0, 0)
	h.login("a1")
	h.join("q", "c1")
	out := h.do(Hangup{Caller: "c1"})
	if len(decisionsOf[CancelOffer](out)) != 1 {
		t.Fatalf("decisions %+v, want CancelOffer", out.Decisions)
	}
	left := eventsOf(out.Events, event.CallerLeft)
	if len(left) != 1 || left[0].Reason != string(ReasonAbandoned) {
		t.Fatalf("events %+v, want caller.left abandoned", out.Events)
	}
	if h.status("q").Stats.Abandoned != 1 || h.agentInfo("a1").State != Waiting {
		t.Fatal("abandon not counted or agent not freed")
	}
	if err := h.try(Hangup{Caller: "c1"}); !errors.Is(err, ErrUnknownCaller) {
		t.Fatalf("second hangup: %v, want ErrUnknownCaller", err)
	}
}

func TestRemoveQueueReleasesEverything(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(NewQueueConfig("q"))
	h.agents("a1", "a2")
	h.tier("q", "a1", 0, 0)
	h.tier("q", "a2", 0, 1)
	h.login("a1", "a2")
	o := h.onlyOffer(h.join("q", "talking"))
	h.do(OfferResult{Offer: o.ID, Result: OfferAnswered})
	h.join("q", "ringing")
	h.join("q", "waiting")
	out := h.do(RemoveQueue{Queue: "q"})
	if n := len(decisionsOf[HangupCaller](out)); n != 2 {
		t.Fatalf("hung up %d callers, want 2", n)
	}
	if info := h.agentInfo("a2"); info.State != Waiting || len(info.Queues) != 0 {
		t.Fatalf("a2 %+v", info)
	}
	h.do(CallEnded{Caller: "talking"})
	if info := h.agentInfo("a1"); info.State != Waiting || info.Calls != 1 {
		t.Fatalf("a1 after its call: %+v", info)
	}
}

// A caller's own MaxWait (a dialer's answered call) cuts its wait short.
func TestJoinMaxWait(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := NewQueueConfig("q")
	q.MaxWaitTime = time.Minute
	h.queue(q)
	h.do(Join{Queue: "q", Caller: "dialled", MaxWait: 2 * time.Second})
	h.join("q", "inbound")
	out := h.advance(2 * time.Second)
	if hu := decisionsOf[HangupCaller](out); len(hu) != 1 || hu[0].Caller != "dialled" || hu[0].Reason != ReasonTimeout {
		t.Fatalf("after 2 s: %+v", out.Decisions)
	}
	if out := h.advance(58 * time.Second); len(decisionsOf[HangupCaller](out)) != 1 {
		t.Fatalf("the inbound caller keeps the queue's minute: %+v", out.Decisions)
	}
}

func TestSupply(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(NewQueueConfig("q"))
	h.agentWith(localAgent("talking", func(c *AgentConfig) { c.WrapUpTime = 30 * time.Second }))
	h.agentWith(localAgent("wrapping", func(c *AgentConfig) { c.WrapUpTime = 20 * time.Second }))
	h.agentWith(localAgent("free", nil))
	h.agentWith(localAgent("away", nil))
	for i, a := range []string{"talking", "wrapping", "free", "away"} {
		h.tier("q", a, 0, i)
	}
	h.login("talking", "wrapping")
	o1 := h.onlyOffer(h.join("q", "c1"))
	h.do(OfferResult{Offer: o1.ID, Result: OfferAnswered})
	o2 := h.onlyOffer(h.join("q", "c2"))
	h.serveAndEnd(o2, 10*time.Second) // wrapping ends its call at +10 s
	h.login("free")
	h.do(SetAgentStatus{Agent: "away", Status: OnBreak})
	s, err := h.core.Supply("q")
	if err != nil {
		t.Fatal(err)
	}
	if s.Staffed != 3 || s.Idle != 1 || len(s.Busy) != 2 {
		t.Fatalf("supply %+v", s)
	}
	byAgent := map[string]BusyAgent{}
	for _, b := range s.Busy {
		byAgent[b.Agent] = b
	}
	if b := byAgent["talking"]; b.State != InCall || b.WrapUp != 30*time.Second || !b.FreeAt.IsZero() {
		t.Fatalf("talking %+v", b)
	}
	if b := byAgent["wrapping"]; b.State != WrapUp || !b.FreeAt.Equal(h.now.Add(20*time.Second)) {
		t.Fatalf("wrapping %+v (now %v)", b, h.now)
	}
}
