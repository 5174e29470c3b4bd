package hostapi_test

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// A queue's Attrs are stored with it, read back by GetQueue and
// ListQueues, replaced with the rest of the queue by PutQueue, and never
// seen by another account.
func TestQueueAttrs(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "ringme")
	b, _ := f.account(t, "ringme")
	h := f.svc.For("ringme")

	qc := acd.NewQueueConfig("")
	qc.Attrs = map[string]string{"name": "000*370", "label": "test queue", "status": "active"}
	q, err := h.PutQueue(ctx, a.ID, qc)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(q.Attrs, qc.Attrs) {
		t.Errorf("stored attrs %v, want %v", q.Attrs, qc.Attrs)
	}
	if got, err := h.GetQueue(ctx, a.ID, q.ID); err != nil || !maps.Equal(got.Attrs, qc.Attrs) {
		t.Errorf("get: %v %v", got.Attrs, err)
	}
	plain, err := h.PutQueue(ctx, a.ID, acd.NewQueueConfig(""))
	if err != nil || len(plain.Attrs) != 0 {
		t.Fatalf("a queue without attrs: %+v %v", plain.Attrs, err)
	}
	list, err := h.ListQueues(ctx, a.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("list %+v %v", list, err)
	}
	for _, l := range list {
		want := map[string]string(nil)
		if l.ID == q.ID {
			want = qc.Attrs
		}
		if !maps.Equal(l.Attrs, want) {
			t.Errorf("listed queue %s: attrs %v, want %v", l.ID, l.Attrs, want)
		}
	}

	q.Attrs = map[string]string{"name": "000*371"}
	q.MaxWaitTime = time.Minute
	if got, err := h.PutQueue(ctx, a.ID, q); err != nil || !maps.Equal(got.Attrs, q.Attrs) || got.MaxWaitTime != time.Minute {
		t.Errorf("replace: %+v %v", got, err)
	}
	if got, err := h.GetQueue(ctx, a.ID, q.ID); err != nil || !maps.Equal(got.Attrs, q.Attrs) {
		t.Errorf("get after replace: %v %v", got.Attrs, err)
	}
	_, err = h.GetQueue(ctx, b.ID, q.ID)
	isNotFound(t, "b gets a's queue", err)
	if bs, err := h.ListQueues(ctx, b.ID); err != nil || len(bs) != 0 {
		t.Errorf("b lists %+v %v", bs, err)
	}
}

// A contact's own caller ID is stored, listed, and presented on its call
// (the call record's caller ID is the originate's); a contact without one
// gets the campaign's; a caller ID that is not one is a rejection naming
// the field.
func TestContactCallerID(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "ringme")
	h := f.svc.For("ringme")

	spec := map[string]any{}
	if err := json.Unmarshal(ivrCampaign(""), &spec); err != nil {
		t.Fatal(err)
	}
	spec["caller_id"] = map[string]string{"mode": "fixed", "number": "74950000000"}
	b, _ := json.Marshal(spec)
	cmp, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindCampaign, Spec: b})
	if err != nil {
		t.Fatal(err)
	}
	contacts := []dialect.Contact{
		{ID: "own", Numbers: []string{"89215650644"}, CallerIDName: "Anna", CallerIDNumber: "+74951112233"},
		{ID: "campaign's", Numbers: []string{"89215650645"}},
		{ID: "bad", Numbers: []string{"89215650646"}, CallerIDNumber: "74951112233; rm"},
		{ID: "bad name", Numbers: []string{"89215650647"}, CallerIDName: "Anna\r\nAction: Hangup"},
	}
	res, err := h.ImportContacts(ctx, a.ID, cmp.ID, func(yield func(dialect.Contact, error) bool) {
		for _, c := range contacts {
			if !yield(c, nil) {
				return
			}
		}
	})
	if err != nil || res.Accepted != 2 || len(res.Rejected) != 2 {
		t.Fatalf("import %+v %v", res, err)
	}
	for i, field := range map[int]string{0: "caller_id.number", 1: "caller_id.name"} {
		if rj := res.Rejected[i]; rj.Index != i+2 || !strings.HasPrefix(rj.Reason, field+":") {
			t.Errorf("rejection %d: %+v, want index %d, reason on %s", i, rj, i+2, field)
		}
	}
	page, err := h.ListContacts(ctx, a.ID, cmp.ID, dialect.Page{})
	if err != nil || len(page.Contacts) != 2 {
		t.Fatalf("list %+v %v", page, err)
	}
	if c := page.Contacts[0]; c.CallerIDName != "Anna" || c.CallerIDNumber != "+74951112233" {
		t.Errorf("listed %+v, want its caller id", c)
	}
	if c := page.Contacts[1]; c.CallerIDName != "" || c.CallerIDNumber != "" {
		t.Errorf("listed %+v, want no caller id of its own", c)
	}

	if _, err := h.CampaignAction(ctx, a.ID, cmp.ID, dialect.CampaignStart); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = h.CampaignAction(ctx, a.ID, cmp.ID, dialect.CampaignStop) })
	want := map[string]string{"own": "+74951112233", "campaign's": "74950000000"}
	deadline := time.Now().Add(10 * time.Second)
	var calls dialect.CallPage
	for time.Now().Before(deadline) {
		if calls, err = h.CallHistory(ctx, a.ID, dialect.CallQuery{Campaign: cmp.ID}); err != nil || len(calls.Calls) == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || len(calls.Calls) != 2 {
		t.Fatalf("call history %+v %v", calls, err)
	}
	for _, c := range calls.Calls {
		if c.CallerID != want[c.Contact] {
			t.Errorf("contact %s called with caller id %q, want %q", c.Contact, c.CallerID, want[c.Contact])
		}
	}
}
