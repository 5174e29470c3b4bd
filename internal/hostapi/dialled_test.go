package hostapi_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// HangupCall and TransferCall reach a campaign's call still being dialled
// (not in a queue) by its call id: another account's call is not found, a
// ringing call cannot be transferred, and hanging it up finishes its
// attempt with reason hung_up_by_api.
func TestCallControlDialled(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "ringme")
	b, _ := f.account(t, "ringme")
	h := f.svc.For("ringme")
	cmp := campaign(t, h, a.ID, dialect.Contact{ID: "k1", Numbers: []string{"89215650644"}})
	if _, err := h.CampaignAction(ctx, a.ID, cmp.ID, dialect.CampaignStart); err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(cmp.ID, 10, 64)
	attempt := func() store.Attempt {
		t.Helper()
		for range 500 {
			at, err := f.db.Attempts(ctx, id, "k1")
			if err != nil {
				t.Fatal(err)
			}
			if len(at) > 0 {
				return at[0]
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("no attempt stored")
		return store.Attempt{}
	}
	call := attempt().ID

	for _, c := range []struct {
		name string
		do   func() error
		is   error
	}{
		{"another account's call", func() error { return h.HangupCall(ctx, b.ID, call) }, dialect.ErrNotFound},
		{"another account's call moved", func() error { return h.TransferCall(ctx, b.ID, call, "333") }, dialect.ErrNotFound},
		{"a ringing call moved", func() error { return h.TransferCall(ctx, a.ID, call, "ivr,s,1") }, dialect.ErrFailedPrecondition},
		{"a bad destination", func() error { return h.TransferCall(ctx, a.ID, call, "ivr,,1") }, nil},
	} {
		err := c.do()
		if c.is == nil {
			var fe *dialect.FieldError
			if !errors.As(err, &fe) || fe.Field != "destination" {
				t.Errorf("%s: %v, want a destination field error", c.name, err)
			}
			continue
		}
		if !errors.Is(err, c.is) {
			t.Errorf("%s: %v, want %v", c.name, err, c.is)
		}
	}
	if err := h.HangupCall(ctx, a.ID, call); err != nil {
		t.Fatalf("hang up: %v", err)
	}
	for range 500 {
		f.env.PBX.Advance(0)
		if at := attempt(); !at.EndedAt.IsZero() {
			if at.Cause != dialer.ReasonHungUpByAPI {
				t.Errorf("attempt cause %q, want %q", at.Cause, dialer.ReasonHungUpByAPI)
			}
			if err := h.HangupCall(ctx, a.ID, call); !errors.Is(err, dialect.ErrNotFound) {
				t.Errorf("hanging up the ended call: %v, want not found", err)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the attempt did not end")
}
