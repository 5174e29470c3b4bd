package hostapi_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// HangupCall and TransferCall act on a call in one of the account's
// queues, waiting or connected: the ACD takes it out (its decision for the
// PBX side, the agent wrapping up). Another account's call, another
// dialect's host, an unknown or gone call are not found; a bad destination
// is a field error; a refused request leaves the call where it was.
func TestCallControl(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "ringme")
	b, _ := f.account(t, "ringme")
	h := f.svc.For("ringme")
	qa, err := h.PutQueue(ctx, a.ID, acd.NewQueueConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	qb, err := h.PutQueue(ctx, b.ID, acd.NewQueueConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	ag, err := h.PutAgent(ctx, a.ID, acd.AgentConfig{Type: acd.LocalAgent, Extension: "1001", CallTimeout: time.Minute, WrapUpTime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.PutTier(ctx, a.ID, acd.Tier{Queue: qa.ID, Agent: ag.ID}); err != nil {
		t.Fatal(err)
	}
	join := func(queue, caller string) {
		t.Helper()
		if err := f.env.ACD.Do(ctx, acd.Join{Queue: queue, Caller: caller, Number: "89215650644"}); err != nil {
			t.Fatal(err)
		}
	}
	join(qa.ID, "wait-1")
	join(qa.ID, "wait-2")
	join(qb.ID, "b-1")

	var fe *dialect.FieldError
	for _, c := range []struct {
		name string
		do   func() error
		is   error
	}{
		{"another account's call", func() error { return h.HangupCall(ctx, b.ID, "wait-1") }, dialect.ErrNotFound},
		{"another account's call moved", func() error { return h.TransferCall(ctx, a.ID, "b-1", "333") }, dialect.ErrNotFound},
		{"another dialect's host", func() error { return f.svc.For("zxycall").HangupCall(ctx, a.ID, "wait-1") }, dialect.ErrNotFound},
		{"an unknown call", func() error { return h.HangupCall(ctx, a.ID, "nobody") }, dialect.ErrNotFound},
		{"no call", func() error { return h.TransferCall(ctx, a.ID, "", "333") }, dialect.ErrNotFound},
		{"an unknown account", func() error { return h.HangupCall(ctx, "999999", "wait-1") }, dialect.ErrNotFound},
		{"a bad destination", func() error { return h.TransferCall(ctx, a.ID, "wait-1", "ivr,s,0") }, nil},
		{"no destination", func() error { return h.TransferCall(ctx, a.ID, "wait-1", "") }, nil},
	} {
		err := c.do()
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: %v, want %v", c.name, err, c.is)
		}
		if c.is == nil && (!errors.As(err, &fe) || fe.Field != "destination") {
			t.Errorf("%s: %v, want a field error on destination", c.name, err)
		}
	}
	members := func(acc, q string) []string {
		t.Helper()
		ms, err := h.QueueMembers(ctx, acc, q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.Caller)
		}
		return ids
	}
	if got := members(a.ID, qa.ID); !slices.Equal(got, []string{"wait-1", "wait-2"}) {
		t.Fatalf("members after the refusals %v", got)
	}
	released := func() []acd.Decision {
		var out []acd.Decision
		for _, d := range f.env.Decisions() {
			switch d.(type) {
			case acd.Transfer, acd.HangupCaller:
				out = append(out, d)
			}
		}
		return out
	}
	if got := released(); len(got) != 0 {
		t.Fatalf("hang-ups or transfers before any call control: %+v", got)
	}

	// wait-1 is connected to the agent; wait-2 waits behind it.
	if err := h.SetAgentStatus(ctx, a.ID, ag.ID, acd.Available, "api"); err != nil {
		t.Fatal(err)
	}
	var offer acd.Offer
	for _, d := range f.env.Decisions() {
		if o, ok := d.(acd.Offer); ok {
			offer = o
		}
	}
	if offer.Caller != "wait-1" {
		t.Fatalf("offered %+v, want wait-1", offer)
	}
	if err := f.env.ACD.Do(ctx, acd.OfferResult{Offer: offer.ID, Result: acd.OfferAnswered}); err != nil {
		t.Fatal(err)
	}
	if err := h.TransferCall(ctx, a.ID, "wait-1", "ivr,s,1"); err != nil {
		t.Fatalf("transfer of the connected call: %v", err)
	}
	if info, err := h.GetAgent(ctx, a.ID, ag.ID); err != nil || info.State != acd.WrapUp {
		t.Errorf("agent after its call was transferred: %+v %v", info, err)
	}
	if err := h.HangupCall(ctx, a.ID, "wait-2"); err != nil {
		t.Fatalf("hang-up of the waiting call: %v", err)
	}
	if err := h.HangupCall(ctx, a.ID, "wait-2"); !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("a second hang-up: %v", err)
	}
	if got := members(a.ID, qa.ID); len(got) != 0 {
		t.Errorf("members after the hang-up and transfer %v", got)
	}
	if got := members(b.ID, qb.ID); !slices.Equal(got, []string{"b-1"}) {
		t.Errorf("the other account's members %v", got)
	}
	want := []acd.Decision{acd.Transfer{Caller: "wait-1", Destination: "ivr,s,1", Reason: acd.ReasonTransferred}, acd.HangupCaller{Caller: "wait-2", Reason: acd.ReasonRemoved}}
	if got := released(); !slices.Equal(got, want) {
		t.Errorf("decisions %+v, want %+v", got, want)
	}
}
