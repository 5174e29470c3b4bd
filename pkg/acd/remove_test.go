package acd

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// RemoveCaller and TransferCaller take a caller out on request, waiting,
// ringing or connected: the decision for the PBX side, caller.left with the
// reason (after call.ended for a connected one), the agent freed or wrapping
// up, and the queue's counters.
func TestRemoveAndTransferCaller(t *testing.T) {
	type want struct {
		decision   Decision // the HangupCaller or Transfer expected
		cancelled  bool     // a CancelOffer for the ringing agent
		callEnded  bool
		reason     LeaveReason
		agentState State
		exited     int
	}
	for _, c := range []struct {
		name  string
		state string // waiting, ringing or connected
		cmd   Command
		want  want
	}{
		{"waiting, hung up", "waiting", RemoveCaller{Caller: "c1"},
			want{decision: HangupCaller{Caller: "c1", Reason: ReasonRemoved}, reason: ReasonRemoved, agentState: Idle, exited: 1}},
		{"waiting, hung up with a reason, in its queue", "waiting", RemoveCaller{Caller: "c1", Queue: "q", Reason: "supervisor"},
			want{decision: HangupCaller{Caller: "c1", Reason: "supervisor"}, reason: "supervisor", agentState: Idle, exited: 1}},
		{"waiting, transferred", "waiting", TransferCaller{Caller: "c1", Destination: "333"},
			want{decision: Transfer{Caller: "c1", Destination: "333", Reason: ReasonTransferred}, reason: ReasonTransferred, agentState: Idle, exited: 1}},
		{"ringing, hung up", "ringing", RemoveCaller{Caller: "c1", Queue: "q"},
			want{decision: HangupCaller{Caller: "c1", Reason: ReasonRemoved}, cancelled: true, reason: ReasonRemoved, agentState: Waiting, exited: 1}},
		{"ringing, transferred", "ringing", TransferCaller{Caller: "c1", Destination: "ivr,s,1"},
			want{decision: Transfer{Caller: "c1", Destination: "ivr,s,1", Reason: ReasonTransferred}, cancelled: true, reason: ReasonTransferred, agentState: Waiting, exited: 1}},
		{"connected, hung up", "connected", RemoveCaller{Caller: "c1"},
			want{decision: HangupCaller{Caller: "c1", Reason: ReasonRemoved}, callEnded: true, reason: ReasonRemoved, agentState: WrapUp}},
		{"connected, transferred", "connected", TransferCaller{Caller: "c1", Queue: "q", Destination: "+79215650644", Reason: "escalated"},
			want{decision: Transfer{Caller: "c1", Destination: "+79215650644", Reason: "escalated"}, callEnded: true, reason: "escalated", agentState: WrapUp}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, CoreConfig{})
			h.queue(NewQueueConfig("q"))
			a := NewAgentConfig("a1", LocalAgent)
			a.Extension, a.WrapUpTime = "1001", 10*time.Second
			h.agentWith(a)
			h.tier("q", "a1", 0, 0)
			if c.state != "waiting" {
				h.login("a1")
			}
			o := offers(h.join("q", "c1"))
			if c.state == "connected" {
				h.do(OfferResult{Offer: o[0].ID, Result: OfferAnswered})
				h.advance(30 * time.Second)
			}
			before := len(h.events)
			out := h.do(c.cmd)

			if got := decisionsOf[CancelOffer](out); (len(got) == 1) != c.want.cancelled {
				t.Errorf("cancel offers %+v, want one: %v", got, c.want.cancelled)
			}
			var final []Decision
			for _, d := range out.Decisions {
				switch d.(type) {
				case HangupCaller, Transfer:
					final = append(final, d)
				}
			}
			if len(final) != 1 || final[0] != c.want.decision {
				t.Errorf("decisions %+v, want %+v", out.Decisions, c.want.decision)
			}
			evs := h.events[before:]
			ended, left := eventsOf(evs, event.CallEnded), eventsOf(evs, event.CallerLeft)
			if (len(ended) == 1) != c.want.callEnded {
				t.Errorf("call.ended %+v, want one: %v", ended, c.want.callEnded)
			}
			if c.want.callEnded && (ended[0].Agent != "a1" || ended[0].DurationMS != 30000) {
				t.Errorf("call.ended %+v, want a1's 30 s", ended[0])
			}
			if len(left) != 1 || left[0].Call != "c1" || left[0].Reason != string(c.want.reason) {
				t.Fatalf("caller.left %+v, want c1 with reason %s", left, c.want.reason)
			}
			if c.want.callEnded && slices.IndexFunc(evs, func(e event.Event) bool { return e.Type == event.CallEnded }) >
				slices.IndexFunc(evs, func(e event.Event) bool { return e.Type == event.CallerLeft }) {
				t.Errorf("caller.left before call.ended: %+v", evs)
			}
			if st := h.agentInfo("a1").State; st != c.want.agentState {
				t.Errorf("a1 %s, want %s", st, c.want.agentState)
			}
			st := h.status("q")
			if st.Waiting+st.Trying+st.Answered != 0 || st.Stats.Exited != c.want.exited || st.Stats.Abandoned != 0 {
				t.Errorf("queue status %+v", st)
			}
			if ms, _ := h.core.Members("q", h.now); len(ms) != 0 {
				t.Errorf("members %+v after the caller left", ms)
			}
			if c.want.callEnded {
				// The agent takes the next caller after its wrap-up.
				if o := offers(h.join("q", "c2")); len(o) != 0 {
					t.Fatalf("offered %+v during wrap-up", o)
				}
				if o := offers(h.advance(10 * time.Second)); len(o) != 1 || o[0].Agent != "a1" || o[0].Caller != "c2" {
					t.Fatalf("after wrap-up offered %+v, want c2 to a1", o)
				}
			}
		})
	}
}

// Requests that cannot apply fail with the right error and change nothing:
// an unknown caller, a caller of another queue (how a tenant's request for
// another tenant's call is refused), a missing or oversized destination, a
// reason that would say the caller hung up itself.
func TestRemoveCallerRefused(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	h.queue(NewQueueConfig("q"))
	h.queue(NewQueueConfig("other"))
	h.join("q", "c1")
	long := string(make([]byte, 257))
	for _, c := range []struct {
		name  string
		cmd   Command
		is    error
		field string
	}{
		{"unknown caller", RemoveCaller{Caller: "nobody"}, ErrUnknownCaller, ""},
		{"another queue's caller", RemoveCaller{Caller: "c1", Queue: "other"}, ErrUnknownCaller, ""},
		{"transfer of another queue's caller", TransferCaller{Caller: "c1", Queue: "other", Destination: "333"}, ErrUnknownCaller, ""},
		{"transfer of an unknown caller", TransferCaller{Caller: "nobody", Destination: "333"}, ErrUnknownCaller, ""},
		{"no destination", TransferCaller{Caller: "c1"}, nil, "destination"},
		{"a destination too long", TransferCaller{Caller: "c1", Destination: long}, nil, "destination"},
		{"reason abandoned", RemoveCaller{Caller: "c1", Reason: ReasonAbandoned}, nil, "reason"},
		{"reason completed", TransferCaller{Caller: "c1", Destination: "333", Reason: ReasonCompleted}, nil, "reason"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := h.core.Handle(h.now, c.cmd)
			h.record(out)
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err %v, want %v", err, c.is)
			}
			var fe *FieldError
			if c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field) {
				t.Errorf("err %v, want a field error on %s", err, c.field)
			}
			if !IsBadInput(err) {
				t.Errorf("err %v is not bad input", err)
			}
			if len(out.Decisions)+len(out.Events) != 0 {
				t.Errorf("a refused request produced %+v", out)
			}
			if st := h.status("q"); st.Waiting != 1 {
				t.Errorf("the caller is gone: %+v", st)
			}
		})
	}
}
