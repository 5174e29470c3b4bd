package pluginhosttest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// HangupCall and TransferCall take the account's own callers out of its
// queues, with the engine's decisions in Releases; another account's
// caller, an unknown one and a bad destination are refused and the caller
// stays.
func TestCallControl(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	for _, acc := range []string{"acc-a", "acc-b"} {
		if _, err := h.PutQueue(ctx, acc, acd.NewQueueConfig("q")); err != nil {
			t.Fatal(err)
		}
	}
	e, err := h.Engine("acc-a")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"c1", "c2"} {
		if err := e.Do(ctx, acd.Join{Queue: "q", Caller: c, Number: "89215650644"}); err != nil {
			t.Fatal(err)
		}
	}
	var fe *dialect.FieldError
	if err := h.HangupCall(ctx, "acc-b", "c1"); !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("another account's caller: %v", err)
	}
	if err := h.TransferCall(ctx, "acc-b", "c1", "333"); !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("another account's caller moved: %v", err)
	}
	if err := h.HangupCall(ctx, "acc-a", "nobody"); !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("an unknown caller: %v", err)
	}
	if err := h.TransferCall(ctx, "acc-a", "c1", "ivr,,1"); !errors.As(err, &fe) || fe.Field != "destination" {
		t.Errorf("a bad destination: %v", err)
	}
	if ms, err := h.QueueMembers(ctx, "acc-a", "q"); err != nil || len(ms) != 2 {
		t.Fatalf("members after the refusals: %+v %v", ms, err)
	}
	if err := h.HangupCall(ctx, "acc-a", "c1"); err != nil {
		t.Fatal(err)
	}
	if err := h.TransferCall(ctx, "acc-a", "c2", "ivr,s,1"); err != nil {
		t.Fatal(err)
	}
	if ms, err := h.QueueMembers(ctx, "acc-a", "q"); err != nil || len(ms) != 0 {
		t.Errorf("members after hang-up and transfer: %+v %v", ms, err)
	}
	want := []acd.Decision{acd.HangupCaller{Caller: "c1", Reason: acd.ReasonRemoved}, acd.Transfer{Caller: "c2", Destination: "ivr,s,1", Reason: acd.ReasonTransferred}}
	if got := h.Releases("acc-a"); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("releases %+v, want %+v", got, want)
	}
	if got := h.Releases("acc-b"); len(got) != 0 {
		t.Errorf("acc-b's releases %+v", got)
	}
}
