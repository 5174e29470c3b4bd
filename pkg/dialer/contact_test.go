package dialer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestNormalizeNumber(t *testing.T) {
	tests := []struct {
		raw, region, e164, numRegion string
	}{
		{"89215650644", "RU", "+79215650644", "RU"},
		{"+7 (921) 565-06-44", "CN", "+79215650644", "RU"},
		{"13223004567", "CN", "+8613223004567", "CN"},
		{"010 8646 5047", "CN", "+861086465047", "CN"},
	}
	for _, tt := range tests {
		n, err := NormalizeNumber(tt.raw, tt.region)
		if err != nil {
			t.Errorf("NormalizeNumber(%q, %s): %v", tt.raw, tt.region, err)
			continue
		}
		if n.E164 != tt.e164 || n.Region != tt.numRegion || n.Raw != tt.raw {
			t.Errorf("NormalizeNumber(%q) = %+v, want %s %s", tt.raw, n, tt.e164, tt.numRegion)
		}
		if len(n.Zones) == 0 {
			t.Errorf("NormalizeNumber(%q): no zones", tt.raw)
		}
	}
	for _, bad := range []string{"", "12", "hello", "+7 000", "8921565064412345"} {
		var fe *FieldError
		if _, err := NormalizeNumber(bad, "RU"); !errors.As(err, &fe) || fe.Field != "number" {
			t.Errorf("NormalizeNumber(%q) = %v, want number field error", bad, err)
		}
	}
}

func TestNumberZonesFollowGeography(t *testing.T) {
	// A Moscow landline and a Vladivostok landline are hours apart.
	msk, err := NormalizeNumber("84951234567", "RU")
	if err != nil {
		t.Fatal(err)
	}
	vvo, err := NormalizeNumber("84232123456", "RU")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(msk.Zones, "Europe/Moscow") {
		t.Errorf("Moscow zones = %v", msk.Zones)
	}
	if !slices.Contains(vvo.Zones, "Asia/Vladivostok") {
		t.Errorf("Vladivostok zones = %v", vvo.Zones)
	}
}

func TestNewContact(t *testing.T) {
	c, rej, err := NewContact(ContactInput{ID: "1", Name: "Ivan", Numbers: []string{"89215650644, 8921565064x, +79215650644", "89215650645"},
		Custom: map[string]string{"company": "Udesk"}}, "RU")
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{c.Numbers[0].E164, c.Numbers[1].E164}; len(c.Numbers) != 2 || got[0] != "+79215650644" || got[1] != "+79215650645" {
		t.Errorf("numbers = %+v", c.Numbers)
	}
	want := []Rejection{{Index: 1, Raw: "8921565064x", Reason: ReasonInvalidNumber}, {Index: 2, Raw: "+79215650644", Reason: ReasonDuplicate}}
	if !slices.Equal(rej, want) {
		t.Errorf("rejections = %+v, want %+v", rej, want)
	}

	custom := map[string]string{}
	for i := range 11 {
		custom[fmt.Sprint("f", i)] = "x"
	}
	tests := []struct {
		in    ContactInput
		field string
	}{
		{ContactInput{Numbers: []string{"89215650644"}}, "id"},
		{ContactInput{ID: "x", Numbers: []string{"nope"}}, "numbers"},
		{ContactInput{ID: "x"}, "numbers"},
		{ContactInput{ID: "x", Numbers: []string{"89215650644"}, Custom: custom}, "custom"},
		{ContactInput{ID: "x", Numbers: []string{"89215650644"}, Callback: "12"}, "callback"},
		{ContactInput{ID: "x", Numbers: []string{"89215650644"}, MaxTries: 51}, "max_tries"},
	}
	for _, tt := range tests {
		var fe *FieldError
		if _, _, err := NewContact(tt.in, "RU"); !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("NewContact(%+v) = %v, want field %s", tt.in, err, tt.field)
		}
	}
}

func TestMemorySourcePagesAndRejectsDuplicates(t *testing.T) {
	m := NewMemorySource()
	var cs []Contact
	for i := range 7 {
		c, _, err := NewContact(ContactInput{ID: fmt.Sprint(i), Numbers: []string{fmt.Sprintf("8921000000%d", i)}}, "RU")
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	dupNumber := cs[0]
	dupNumber.ID = "other"
	rej := m.Add("c", append(cs, cs[1], dupNumber)...)
	if len(rej) != 2 || rej[0].Reason != ReasonDuplicate || rej[1].Reason != ReasonDuplicate || m.Len("c") != 7 {
		t.Fatalf("rejections %+v, len %d", rej, m.Len("c"))
	}
	var got []string
	cursor := ""
	for {
		batch, next, err := m.NextContacts(context.Background(), "c", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		for _, c := range batch {
			got = append(got, c.ID)
		}
		cursor = next
	}
	if !slices.Equal(got, []string{"0", "1", "2", "3", "4", "5", "6"}) {
		t.Errorf("paged ids = %v", got)
	}
	if _, _, err := m.NextContacts(context.Background(), "c", "x", 3); err == nil {
		t.Error("bad cursor accepted")
	}
}
