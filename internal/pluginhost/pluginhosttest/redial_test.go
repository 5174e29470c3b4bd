package pluginhosttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// RedialContact answers as the service's host does: the contact by id or
// by number (main numbers first), the number in E.164, other accounts'
// campaigns and numbers nobody holds not found, bad numbers a field error.
func TestRedialContact(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	cmp, err := h.PutObject(ctx, "acc-a", dialect.Object{Kind: dialect.KindCampaign, Spec: json.RawMessage(`{"mode":"ivr"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.ImportContacts(ctx, "acc-a", cmp.ID, func(yield func(dialect.Contact, error) bool) {
		for _, c := range []dialect.Contact{
			{ID: "k1", Numbers: []string{"89215650644", "89215650645"}},
			{ID: "k2", Numbers: []string{"+7 921 565-06-45"}},
		} {
			if !yield(c, nil) {
				return
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	refusals := []struct {
		name, account, campaign string
		r                       dialect.Redial
		field                   string // "": not found
	}{
		{"another account's campaign", "acc-b", cmp.ID, dialect.Redial{Number: "+79215650644", At: at}, ""},
		{"an unknown campaign", "acc-a", "nope", dialect.Redial{Number: "+79215650644", At: at}, ""},
		{"a number nobody holds", "acc-a", cmp.ID, dialect.Redial{Number: "+79215650699", At: at}, ""},
		{"an unknown contact", "acc-a", cmp.ID, dialect.Redial{Contact: "k9"}, ""},
		{"not a number", "acc-a", cmp.ID, dialect.Redial{Number: "12"}, "number"},
		{"another contact's number", "acc-a", cmp.ID, dialect.Redial{Contact: "k2", Number: "+79215650644"}, "number"},
		{"neither", "acc-a", cmp.ID, dialect.Redial{At: at}, "number"},
	}
	for _, c := range refusals {
		err := h.RedialContact(ctx, c.account, c.campaign, c.r)
		var fe *dialect.FieldError
		if c.field == "" && !errors.Is(err, dialect.ErrNotFound) || c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field) {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.name == "a number nobody holds" && (err == nil || !strings.Contains(err.Error(), `number "+79215650699"`)) {
			t.Errorf("%s: %v does not name the number", c.name, err)
		}
	}
	if got := h.Redials("acc-a", cmp.ID); len(got) != 0 {
		t.Fatalf("refused redials kept: %+v", got)
	}

	for _, r := range []dialect.Redial{
		{Number: "+79215650645", At: at}, // k2's main number before k1's second
		{Number: "89215650644"},          // follow-on, a national number
		{Contact: "k1"},                  // its main number
	} {
		if err := h.RedialContact(ctx, "acc-a", cmp.ID, r); err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
	}
	want := []dialect.Redial{
		{Contact: "k2", Number: "+79215650645", At: at},
		{Contact: "k1", Number: "+79215650644"},
		{Contact: "k1", Number: "+79215650644"},
	}
	if got := h.Redials("acc-a", cmp.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("redials\n got %+v\nwant %+v", got, want)
	}
	cp, err := h.ListContacts(ctx, "acc-a", cmp.ID, dialect.Page{})
	if err != nil || len(cp.Contacts) != 2 || cp.Contacts[0].Status != "delayed" || cp.Contacts[1].Status != "delayed" {
		t.Errorf("contacts after their redials: %+v %v", cp.Contacts, err)
	}
}
