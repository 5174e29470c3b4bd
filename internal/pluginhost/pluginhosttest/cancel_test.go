package pluginhosttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// CancelContact answers as the service's host does: the contact finished,
// other accounts' campaigns and unknown contacts not found, a contact on a
// try or finished a failed precondition.
func TestCancelContact(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	cmp, err := h.PutObject(ctx, "acc-a", dialect.Object{Kind: dialect.KindCampaign, Spec: json.RawMessage(`{"mode":"ivr"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.ImportContacts(ctx, "acc-a", cmp.ID, func(yield func(dialect.Contact, error) bool) {
		for _, c := range []dialect.Contact{{ID: "k1", Numbers: []string{"89215650644"}}, {ID: "k2", Numbers: []string{"89215650645"}}} {
			if !yield(c, nil) {
				return
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if !h.SetContactStatus("acc-a", cmp.ID, "k2", "executed", 1) || h.SetContactStatus("acc-a", cmp.ID, "k9", "executed", 1) {
		t.Fatal("SetContactStatus found the wrong contacts")
	}
	for _, c := range []struct {
		name, account, campaign, contact string
		is                               error
	}{
		{"another account's campaign", "acc-b", cmp.ID, "k1", dialect.ErrNotFound},
		{"an unknown campaign", "acc-a", "nope", "k1", dialect.ErrNotFound},
		{"an unknown contact", "acc-a", cmp.ID, "k9", dialect.ErrNotFound},
		{"on a try", "acc-a", cmp.ID, "k2", dialect.ErrFailedPrecondition},
	} {
		if err := h.CancelContact(ctx, c.account, c.campaign, c.contact); !errors.Is(err, c.is) {
			t.Errorf("%s: %v, want %v", c.name, err, c.is)
		}
	}
	if err := h.CancelContact(ctx, "acc-a", cmp.ID, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := h.CancelContact(ctx, "acc-a", cmp.ID, "k1"); !errors.Is(err, dialect.ErrFailedPrecondition) {
		t.Errorf("a second cancel: %v", err)
	}
	if got := h.Cancelled("acc-a", cmp.ID); !slices.Equal(got, []string{"k1"}) {
		t.Errorf("cancelled %v", got)
	}
	cp, err := h.ListContacts(ctx, "acc-a", cmp.ID, dialect.Page{})
	if err != nil || len(cp.Contacts) != 2 || cp.Contacts[0].Status != "finished" || cp.Contacts[1].Status != "executed" || cp.Contacts[1].Tries != 1 {
		t.Errorf("contacts after the cancel: %+v %v", cp.Contacts, err)
	}
}
