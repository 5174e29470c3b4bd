package pluginhosttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

func specField(t *testing.T, o dialect.Object, field string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(o.Spec, &m); err != nil {
		t.Fatalf("%s %s: spec %s: %v", o.Kind, o.ID, o.Spec, err)
	}
	return m[field]
}

// Every kind behaves as at the service's host: ids are assigned, replacing
// an unknown id is not found, time groups and redial policies are checked
// with the same field errors, accounts are kept apart.
func TestObjectKinds(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	type bad struct{ spec, field string }
	for _, c := range []struct {
		kind        dialect.Kind
		spec, again string
		bad         []bad
	}{
		{dialect.KindCampaign, `{"name":"one","mode":"ivr"}`, `{"name":"two","mode":"ivr"}`, nil},
		{dialect.KindTrunk, `{"name":"one","max_concurrent":2}`, `{"name":"two"}`, nil},
		{dialect.KindTimeGroup, `{"name":"one","ranges":[{"from":0,"to":3600000000000}]}`, `{"name":"two","zone":"Europe/Moscow","ranges":[{"from":0,"to":60000000000}]}`, []bad{
			{`{"name":"x"}`, "ranges"},
			{`{"zone":"Mars/Base","ranges":[{"from":0,"to":3600000000000}]}`, "zone"},
			{`{"ranges":[{"from":0,"to":90000000000000}]}`, "ranges[0]"},
			{`{"ranges":[{"from":"9h"}]}`, "ranges.from"},
		}},
		{dialect.KindRedialPolicy, `{"name":"one","max_tries":3}`, `{"name":"two","rules":{"busy":{"count":1}}}`, []bad{
			{`{"max_tries":51}`, "max_tries"},
			{`{"rules":{"answered":{"count":1}}}`, "rules.answered"},
			{`{"rules":{"busy":{"count":101}}}`, "rules.busy.count"},
		}},
	} {
		t.Run(string(c.kind), func(t *testing.T) {
			put := func(account, id, spec string) (dialect.Object, error) {
				return h.PutObject(ctx, account, dialect.Object{Kind: c.kind, ID: id, Spec: json.RawMessage(spec)})
			}
			one, err := put("acc-a", "", c.spec)
			if err != nil || one.ID == "" || specField(t, one, "id") != one.ID || specField(t, one, "name") != "one" {
				t.Fatalf("create %+v %s %v", one, one.Spec, err)
			}
			two, err := put("acc-a", one.ID, c.again)
			if err != nil || two.ID != one.ID || specField(t, two, "id") != one.ID || specField(t, two, "name") != "two" {
				t.Fatalf("replace %+v %s %v", two, two.Spec, err)
			}
			if got, err := h.GetObject(ctx, "acc-a", c.kind, one.ID); err != nil || string(got.Spec) != string(two.Spec) {
				t.Errorf("get %s %v", got.Spec, err)
			}
			var fe *dialect.FieldError
			for _, b := range append(c.bad, bad{`[1]`, "spec"}) {
				if _, err := put("acc-a", "", b.spec); !errors.As(err, &fe) || fe.Field != b.field {
					t.Errorf("create %s: got %v, want a field error on %q", b.spec, err, b.field)
				}
				if _, err := put("acc-a", one.ID, b.spec); !errors.As(err, &fe) || fe.Field != b.field {
					t.Errorf("replace with %s: got %v, want a field error on %q", b.spec, err, b.field)
				}
			}
			if _, err := put("acc-a", "999999", c.again); !errors.Is(err, dialect.ErrNotFound) {
				t.Errorf("replace an unknown id: %v", err)
			}
			if _, err := put("acc-b", one.ID, c.again); !errors.Is(err, dialect.ErrNotFound) {
				t.Errorf("acc-b replaces acc-a's object: %v", err)
			}
			if err := h.DeleteObject(ctx, "acc-b", c.kind, one.ID); !errors.Is(err, dialect.ErrNotFound) {
				t.Errorf("acc-b deletes acc-a's object: %v", err)
			}
			if p, err := h.ListObjects(ctx, "acc-b", c.kind, dialect.Page{}); err != nil || len(p.Objects) != 0 {
				t.Errorf("acc-b lists %+v %v", p, err)
			}
			if err := h.DeleteObject(ctx, "acc-a", c.kind, one.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := h.GetObject(ctx, "acc-a", c.kind, one.ID); !errors.Is(err, dialect.ErrNotFound) {
				t.Errorf("deleted: %v", err)
			}
		})
	}
}

// Ids list in number order, pages have the service's sizes, and only
// campaigns filter (by state).
func TestListObjectsPages(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	var ids []string
	for i := range 12 {
		o, err := h.PutObject(ctx, "acc-a", dialect.Object{Kind: dialect.KindTrunk, Spec: json.RawMessage(fmt.Sprintf(`{"name":"t%d"}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	p, err := h.ListObjects(ctx, "acc-a", dialect.KindTrunk, dialect.Page{Size: 10})
	if err != nil || len(p.Objects) != 10 || p.Objects[9].ID != ids[9] || p.NextToken == "" {
		t.Fatalf("page 1 %+v %v", p, err)
	}
	var fe *dialect.FieldError
	for _, c := range []struct {
		page  dialect.Page
		field string
	}{
		{dialect.Page{Size: 1001}, "page.size"},
		{dialect.Page{Token: "x"}, "page.token"},
		{dialect.Page{Filter: map[string]string{"state": "running"}}, "page.filter"},
	} {
		if _, err := h.ListObjects(ctx, "acc-a", dialect.KindTrunk, c.page); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: got %v, want a field error on %s", c.page, err, c.field)
		}
	}
	if _, err := h.GetObject(ctx, "acc-a", "widget", ids[0]); !errors.As(err, &fe) || fe.Field != "kind" {
		t.Errorf("get an unknown kind: %v", err)
	}
}

// A trunk is not narrowed below a campaign on it nor deleted under one; a
// running campaign is not deleted.
func TestTrunkInUse(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	tr, err := h.PutObject(ctx, "acc-a", dialect.Object{Kind: dialect.KindTrunk, Spec: json.RawMessage(`{"max_concurrent":4}`)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := h.PutObject(ctx, "acc-a", dialect.Object{Kind: dialect.KindCampaign, Spec: json.RawMessage(`{"trunk":"` + tr.ID + `","pacing":{"max_concurrent":3}}`)})
	if err != nil {
		t.Fatal(err)
	}
	var fe *dialect.FieldError
	if _, err := h.PutObject(ctx, "acc-a", dialect.Object{Kind: dialect.KindTrunk, ID: tr.ID, Spec: json.RawMessage(`{"max_concurrent":2}`)}); !errors.As(err, &fe) || fe.Field != "trunk.max_concurrent" {
		t.Errorf("narrow the trunk: %v", err)
	}
	if _, err := h.PutObject(ctx, "acc-a", dialect.Object{Kind: dialect.KindTrunk, ID: tr.ID, Spec: json.RawMessage(`{"max_concurrent":3}`)}); err != nil {
		t.Errorf("replace the trunk: %v", err)
	}
	if _, err := h.CampaignAction(ctx, "acc-a", c.ID, dialect.CampaignStart); err != nil {
		t.Fatal(err)
	}
	if err := h.DeleteObject(ctx, "acc-a", dialect.KindCampaign, c.ID); !errors.Is(err, dialect.ErrFailedPrecondition) {
		t.Errorf("delete a running campaign: %v", err)
	}
	if err := h.DeleteObject(ctx, "acc-a", dialect.KindTrunk, tr.ID); !errors.Is(err, dialect.ErrFailedPrecondition) || !strings.Contains(err.Error(), c.ID) {
		t.Errorf("delete the trunk of a campaign: %v", err)
	}
	if _, err := h.CampaignAction(ctx, "acc-a", c.ID, dialect.CampaignStop); err != nil {
		t.Fatal(err)
	}
	if err := h.DeleteObject(ctx, "acc-a", dialect.KindCampaign, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.DeleteObject(ctx, "acc-a", dialect.KindTrunk, tr.ID); err != nil {
		t.Errorf("delete an unused trunk: %v", err)
	}
}
