package hostapi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// CancelContact finishes a contact of the account's own campaign and
// announces contact.finished (reason cancelled); a finished contact is a
// failed precondition; other accounts, other dialects' hosts, unknown
// campaigns and contacts are not found.
func TestCancelContact(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "ringme")
	b, _ := f.account(t, "ringme")
	h := f.svc.For("ringme")
	cmp := campaign(t, h, a.ID, dialect.Contact{ID: "k1", Numbers: []string{"89215650644"}}, dialect.Contact{ID: "k2", Numbers: []string{"89215650645"}})
	at0 := f.clock.Now()
	if err := f.db.RecordDialerEvents(ctx, at0, []event.Event{
		{Type: event.ContactFinished, At: at0, Tenant: a.ID, Campaign: cmp.ID, Contact: "k1", Outcome: "busy", Reason: "failed"},
	}); err != nil {
		t.Fatal(err)
	}
	before, err := f.db.PendingOutbox(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name                       string
		host                       dialect.Host
		account, campaign, contact string
		is                         error
	}{
		{"another account's campaign", h, b.ID, cmp.ID, "k2", dialect.ErrNotFound},
		{"another dialect's host", f.svc.For("zxycall"), a.ID, cmp.ID, "k2", dialect.ErrNotFound},
		{"an unknown campaign", h, a.ID, "999999", "k2", dialect.ErrNotFound},
		{"an unknown contact", h, a.ID, cmp.ID, "k9", dialect.ErrNotFound},
		{"a finished contact", h, a.ID, cmp.ID, "k1", dialect.ErrFailedPrecondition},
	} {
		if err := c.host.CancelContact(ctx, c.account, c.campaign, c.contact); !errors.Is(err, c.is) {
			t.Errorf("%s: %v, want %v", c.name, err, c.is)
		}
	}
	if out, _ := f.db.PendingOutbox(ctx, 1000); len(out) != len(before) {
		t.Fatalf("refused cancels announced %d events", len(out)-len(before))
	}
	if err := h.CancelContact(ctx, a.ID, cmp.ID, "k2"); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	page, err := h.ListContacts(ctx, a.ID, cmp.ID, dialect.Page{})
	if err != nil || len(page.Contacts) != 2 || page.Contacts[1].ID != "k2" || page.Contacts[1].Status != "finished" {
		t.Fatalf("contacts after the cancel %+v %v", page, err)
	}
	out, err := f.db.PendingOutbox(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []event.Event
	for _, o := range out[len(before):] {
		if ev, err := o.Event(); err == nil && ev.Type == event.ContactFinished {
			got = append(got, ev)
		}
	}
	if len(got) != 1 || got[0].Contact != "k2" || got[0].Reason != "cancelled" || got[0].Tenant != a.ID || got[0].Campaign != cmp.ID {
		t.Errorf("contact.finished after the cancel: %+v", got)
	}
}
