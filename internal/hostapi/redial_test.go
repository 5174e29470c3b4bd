package hostapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// RedialContact redials a number of the account's own campaign: a finished
// contact comes back (delayed until the time asked for), a contact not
// loaded yet gets a follow-on now; both announce contact.scheduled. Other
// accounts, other dialects' hosts, unknown campaigns and numbers the
// campaign does not hold are not found; a bad number is a field error.
func TestRedialContact(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "udesk")
	b, _ := f.account(t, "udesk")
	h := f.svc.For("udesk")
	cmp := campaign(t, h, a.ID, dialect.Contact{ID: "k1", Numbers: []string{"89215650644"}},
		dialect.Contact{ID: "k2", Numbers: []string{"+79215650645", "+79215650646"}})
	// k1 was dialled once, busy, and is finished (as the dialer records it).
	at0 := f.clock.Now()
	if err := f.db.RecordDialerEvents(ctx, at0, []event.Event{
		{Type: event.AttemptStarted, At: at0, Tenant: a.ID, Campaign: cmp.ID, Contact: "k1", Call: "c-1", Attempt: "c-1", Attrs: map[string]string{"try": "1", "number": "+79215650644"}},
		{Type: event.AttemptFinished, At: at0, Tenant: a.ID, Campaign: cmp.ID, Contact: "k1", Call: "c-1", Attempt: "c-1", Outcome: "busy"},
		{Type: event.ContactFinished, At: at0, Tenant: a.ID, Campaign: cmp.ID, Contact: "k1", Outcome: "busy", Reason: "failed"},
	}); err != nil {
		t.Fatal(err)
	}
	outboxBefore, err := f.db.PendingOutbox(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}

	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	refusals := []struct {
		name            string
		host            dialect.Host
		account, campID string
		r               dialect.Redial
		field           string // a *dialect.FieldError on it; "" for ErrNotFound
		names           string // in the not-found error
	}{
		{"another account's campaign", h, b.ID, cmp.ID, dialect.Redial{Number: "+79215650644", At: at}, "", ""},
		{"another dialect's host", f.svc.For("zxycall"), a.ID, cmp.ID, dialect.Redial{Number: "+79215650644", At: at}, "", ""},
		{"an unknown campaign", h, a.ID, "999999", dialect.Redial{Number: "+79215650644", At: at}, "", ""},
		{"a campaign id that is no id", h, a.ID, "x", dialect.Redial{Number: "+79215650644", At: at}, "", ""},
		{"a number the campaign does not hold", h, a.ID, cmp.ID, dialect.Redial{Number: "+79215650699", At: at}, "", `number "+79215650699"`},
		{"an unknown contact", h, a.ID, cmp.ID, dialect.Redial{Contact: "k9", At: at}, "", "k9"},
		{"not a number", h, a.ID, cmp.ID, dialect.Redial{Number: "12", At: at}, "number", ""},
		{"another contact's number", h, a.ID, cmp.ID, dialect.Redial{Contact: "k2", Number: "+79215650644", At: at}, "number", ""},
		{"no number", h, a.ID, cmp.ID, dialect.Redial{At: at}, "number", ""},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			err := c.host.RedialContact(ctx, c.account, c.campID, c.r)
			if c.field != "" {
				var fe *dialect.FieldError
				if !errors.As(err, &fe) || fe.Field != c.field {
					t.Errorf("got %v, want a field error on %s", err, c.field)
				}
				return
			}
			isNotFound(t, c.name, err)
			if err != nil && !strings.Contains(err.Error(), c.names) {
				t.Errorf("%v does not name %s", err, c.names)
			}
		})
	}
	if out, _ := f.db.PendingOutbox(ctx, 1000); len(out) != len(outboxBefore) {
		t.Fatalf("refused redials announced %d events", len(out)-len(outboxBefore))
	}

	if err := h.RedialContact(ctx, a.ID, cmp.ID, dialect.Redial{Number: "+79215650644", At: at}); err != nil {
		t.Fatalf("recall of a finished contact: %v", err)
	}
	if err := h.RedialContact(ctx, a.ID, cmp.ID, dialect.Redial{Number: "+79215650646"}); err != nil {
		t.Fatalf("follow-on of a contact's second number: %v", err)
	}
	page, err := h.ListContacts(ctx, a.ID, cmp.ID, dialect.Page{})
	if err != nil || len(page.Contacts) != 2 {
		t.Fatalf("contacts %+v %v", page, err)
	}
	for _, c := range page.Contacts {
		if c.Status != "delayed" {
			t.Errorf("%s after its redial: %s, want delayed", c.ID, c.Status)
		}
	}
	n, _ := store.ParseACDID(cmp.ID)
	if k1, err := f.db.ContactRow(ctx, n, "k1"); err != nil || !k1.NextDue.Equal(at) {
		t.Errorf("k1 due %v (%v), want %v", k1.NextDue, err, at)
	}
	out, err := f.db.PendingOutbox(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]event.Event{}
	for _, o := range out[len(outboxBefore):] {
		if ev, err := o.Event(); err == nil && ev.Type == event.ContactScheduled {
			got[ev.Contact] = ev
		}
	}
	if ev := got["k1"]; ev.Reason != "recall" || ev.Tenant != a.ID || ev.Attrs["number"] != "+79215650644" || ev.Attrs["at"] != at.Format(time.RFC3339) {
		t.Errorf("k1's contact.scheduled %+v", ev)
	}
	if ev := got["k2"]; ev.Reason != "follow_on" || ev.Tenant != a.ID || ev.Attrs["number"] != "+79215650646" {
		t.Errorf("k2's contact.scheduled %+v", ev)
	}
}
