package dialer_test

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// A contact's own caller ID overrides the campaign's on every leg of its
// callback calls (A and B): the number whatever the campaign's mode, the
// name when the contact has one. Contacts without one keep the campaign's.
func TestContactCallerIDOverridesCampaign(t *testing.T) {
	type cid struct{ name, number string }
	tests := []struct {
		name     string
		campaign dialer.CallerID
		trunk    bool // the campaign dials through a trunk with its own number
		contact  *dialer.CallerID
		want     cid
	}{
		{"fixed, no override", dialer.CallerID{Number: "74950000000", Name: "Shop"}, false, nil, cid{"Shop", "74950000000"}},
		{"fixed, empty override", dialer.CallerID{Number: "74950000000", Name: "Shop"}, false, &dialer.CallerID{}, cid{"Shop", "74950000000"}},
		{"fixed, number", dialer.CallerID{Number: "74950000000", Name: "Shop"}, false, &dialer.CallerID{Number: "+74951112233"}, cid{"Shop", "+74951112233"}},
		{"fixed, name", dialer.CallerID{Number: "74950000000", Name: "Shop"}, false, &dialer.CallerID{Name: "Anna"}, cid{"Anna", "74950000000"}},
		{"fixed, both", dialer.CallerID{Number: "74950000000", Name: "Shop"}, false, &dialer.CallerID{Mode: dialer.CallerIDFixed, Name: "Anna", Number: "333"}, cid{"Anna", "333"}},
		{"trunk, no override", dialer.CallerID{Mode: dialer.CallerIDTrunk}, true, nil, cid{"", "13530525008"}},
		{"trunk, number", dialer.CallerID{Mode: dialer.CallerIDTrunk}, true, &dialer.CallerID{Number: "74951112233"}, cid{"", "74951112233"}},
		{"trunk, name", dialer.CallerID{Mode: dialer.CallerIDTrunk}, true, &dialer.CallerID{Name: "Anna"}, cid{"Anna", "13530525008"}},
		{"pool, number", dialer.CallerID{Mode: dialer.CallerIDPool, Numbers: []string{"1001", "1002"}}, false, &dialer.CallerID{Number: "74951112233"}, cid{"", "74951112233"}},
		{"random, no override", dialer.CallerID{Mode: dialer.CallerIDRandom, Numbers: []string{"1001"}}, false, nil, cid{"", "1001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, longCalls)
			c := dialer.Campaign{ID: "c", Name: "cb", Mode: dialer.ModeCallback, DefaultRegion: "RU", Start: dialer.Start{Mode: dialer.StartNow},
				CallerID: tt.campaign, Pacing: dialer.Pacing{MaxConcurrent: 4}}
			if tt.trunk {
				h.must(dialer.PutTrunk{Trunk: dialer.Trunk{ID: "line", MaxConcurrent: 8, CallerIDNumber: "13530525008"}})
				c.Trunk = "line"
			}
			h.must(dialer.AddCampaign{Campaign: c})
			// Two contacts, so that a pool would have rotated.
			h.contacts("c", 0, 2, func(in *dialer.ContactInput) {
				in.Callback = "+7916" + in.Numbers[0][5:]
				in.CallerID = tt.contact
			})
			h.run(t0.Add(time.Minute))
			origs := h.originatesOf("c")
			if len(origs) != 4 {
				t.Fatalf("%d originates, want A and B of 2 contacts", len(origs))
			}
			for i, o := range origs {
				if got := (cid{o.req.CallerIDName, o.req.CallerIDNumber}); got != tt.want {
					t.Errorf("originate %d (%s, contact %s): caller id %+v, want %+v", i, o.req.Target.Number, o.contact, got, tt.want)
				}
			}
			// Both legs' attempt.started carry the number (the call history's caller_id).
			legs := map[string]int{}
			for _, ev := range h.events {
				if ev.Type == event.AttemptStarted {
					legs[cmp.Or(ev.Attrs["leg"], "a")]++
					if ev.Attrs["caller_id"] != tt.want.number {
						t.Errorf("%s leg attempt.started caller_id %q, want %q", cmp.Or(ev.Attrs["leg"], "a"), ev.Attrs["caller_id"], tt.want.number)
					}
				}
			}
			if legs["a"] != 2 || legs["b"] != 2 {
				t.Errorf("attempt.started per leg %v, want 2 A and 2 B", legs)
			}
		})
	}
}

// A contact with its caller ID and one without in the same campaign: each
// call presents its own contact's.
func TestContactCallerIDIsPerContact(t *testing.T) {
	h := newHarness(t, longCalls)
	h.must(dialer.AddCampaign{Campaign: dialer.Campaign{ID: "c", Name: "cb", Mode: dialer.ModeCallback, DefaultRegion: "RU",
		Start: dialer.Start{Mode: dialer.StartNow}, CallerID: dialer.CallerID{Number: "74950000000"}, Pacing: dialer.Pacing{MaxConcurrent: 4}}})
	h.contacts("c", 0, 2, func(in *dialer.ContactInput) {
		in.Callback = "+7916" + in.Numbers[0][5:]
		if in.ID == "k1" {
			in.CallerID = &dialer.CallerID{Number: "74951112233"}
		}
	})
	h.run(t0.Add(time.Minute))
	want := map[string]string{"k0": "74950000000", "k1": "74951112233"}
	seen := map[string]int{}
	for _, o := range h.originatesOf("c") {
		seen[o.contact]++
		if o.req.CallerIDNumber != want[o.contact] {
			t.Errorf("contact %s: %s dialled with caller id %q, want %q", o.contact, o.req.Target.Number, o.req.CallerIDNumber, want[o.contact])
		}
	}
	if seen["k0"] != 2 || seen["k1"] != 2 {
		t.Errorf("originates per contact %v, want A and B of each", seen)
	}
}

func TestNewContactCallerID(t *testing.T) {
	long := strings.Repeat
	tests := []struct {
		in    *dialer.CallerID
		want  *dialer.CallerID
		field string
	}{
		{nil, nil, ""},
		{&dialer.CallerID{}, nil, ""},
		{&dialer.CallerID{Number: "+74951112233"}, &dialer.CallerID{Mode: dialer.CallerIDFixed, Number: "+74951112233"}, ""},
		{&dialer.CallerID{Name: "Магазин «Ромашка»"}, &dialer.CallerID{Mode: dialer.CallerIDFixed, Name: "Магазин «Ромашка»"}, ""},
		{&dialer.CallerID{Mode: dialer.CallerIDFixed, Number: "333", Name: "Shop"}, &dialer.CallerID{Mode: dialer.CallerIDFixed, Number: "333", Name: "Shop"}, ""},
		{&dialer.CallerID{Number: long("1", 32)}, &dialer.CallerID{Mode: dialer.CallerIDFixed, Number: long("1", 32)}, ""},
		{&dialer.CallerID{Name: long("я", 80)}, &dialer.CallerID{Mode: dialer.CallerIDFixed, Name: long("я", 80)}, ""},
		{&dialer.CallerID{Number: long("1", 33)}, nil, "caller_id.number"},
		{&dialer.CallerID{Number: "+"}, nil, "caller_id.number"},
		{&dialer.CallerID{Number: "8 495 111"}, nil, "caller_id.number"},
		{&dialer.CallerID{Number: "74951112233;x"}, nil, "caller_id.number"},
		{&dialer.CallerID{Name: long("я", 81)}, nil, "caller_id.name"},
		{&dialer.CallerID{Name: "Shop\r\nAction: Hangup"}, nil, "caller_id.name"},
		{&dialer.CallerID{Name: `Shop" <1>`}, nil, "caller_id.name"},
		{&dialer.CallerID{Name: "\xff"}, nil, "caller_id.name"},
		{&dialer.CallerID{Mode: dialer.CallerIDPool, Numbers: []string{"1"}}, nil, "caller_id.mode"},
		{&dialer.CallerID{Numbers: []string{"1"}}, nil, "caller_id.numbers"},
		{&dialer.CallerID{PoolID: "p"}, nil, "caller_id.numbers"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			c, _, err := dialer.NewContact(dialer.ContactInput{ID: "1", Numbers: []string{"89215650644"}, CallerID: tt.in}, "RU")
			if tt.field != "" {
				if fe := (*dialer.FieldError)(nil); !errors.As(err, &fe) || fe.Field != tt.field {
					t.Fatalf("NewContact(caller id %+v) = %v, want a field error on %s", tt.in, err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == nil && c.CallerID != nil:
				t.Errorf("caller id %+v, want none", c.CallerID)
			case tt.want != nil && (c.CallerID == nil || c.CallerID.Mode != tt.want.Mode || c.CallerID.Name != tt.want.Name ||
				c.CallerID.Number != tt.want.Number || c.CallerID.Numbers != nil):
				t.Errorf("caller id %+v, want %+v", c.CallerID, tt.want)
			}
		})
	}
}
