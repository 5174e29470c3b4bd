package hostapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"testing"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// servedDialects stands for the plugin host in the sender: every dialect
// is served; rendering is not what these tests look at.
type servedDialects struct{}

func (servedDialects) Has(string) bool { return true }

func (servedDialects) Render(context.Context, string, event.Event, dialect.Subscription) ([]dialect.Webhook, error) {
	return nil, nil
}

func TestSubscriptions(t *testing.T) {
	f := newFixture(t, webhook.Policy{DenyPrivate: true})
	ctx := context.Background()
	a, _ := f.account(t, "udesk")
	b, _ := f.account(t, "udesk")
	h := f.svc.For("udesk")

	sub, err := h.PutSubscription(ctx, a.ID, dialect.Subscription{URL: "http://127.0.0.1:9/hook", Format: "results",
		Events: []string{"attempt.*"}, Attrs: map[string]string{"after": "http://127.0.0.1:9/after"}})
	if err != nil || sub.ID == "" || sub.Account != a.ID || sub.Format != "results" || sub.Attrs["after"] != "http://127.0.0.1:9/after" {
		t.Fatalf("create %+v %v", sub, err)
	}
	if row, err := f.db.Subscription(ctx, sub.ID); err != nil || row.Dialect != "udesk" {
		t.Fatalf("stored %+v %v: the subscription must belong to the calling dialect", row, err)
	}
	var fe *dialect.FieldError
	if _, err := h.PutSubscription(ctx, a.ID, dialect.Subscription{URL: "http://10.1.2.3/hook"}); !errors.As(err, &fe) || fe.Field != "url" {
		t.Errorf("a refused address: %v", err)
	}
	if _, err := h.PutSubscription(ctx, a.ID, dialect.Subscription{URL: "http://127.0.0.1:9/x",
		Attrs: map[string]string{"url_after": "http://169.254.169.254/"}}); !errors.As(err, &fe) || fe.Field != "attrs.url_after" {
		t.Errorf("a refused address among the attrs: %v", err)
	}
	sub.URL = "http://127.0.0.1:9/other"
	if got, err := h.PutSubscription(ctx, a.ID, sub); err != nil || got.ID != sub.ID || got.URL != sub.URL {
		t.Errorf("replace %+v %v", got, err)
	}
	if subs, err := subsOf(h.ListSubscriptions(ctx, b.ID, dialect.Page{})); err != nil || len(subs) != 0 {
		t.Errorf("b lists %+v %v", subs, err)
	}
	_, err = h.PutSubscription(ctx, b.ID, sub)
	isNotFound(t, "b replaces a's subscription", err)
	isNotFound(t, "b deletes a's subscription", h.DeleteSubscription(ctx, b.ID, sub.ID))
	if subs, err := subsOf(h.ListSubscriptions(ctx, a.ID, dialect.Page{})); err != nil || len(subs) != 1 || subs[0].URL != sub.URL {
		t.Errorf("a lists %+v %v", subs, err)
	}
	if err := h.DeleteSubscription(ctx, a.ID, sub.ID); err != nil {
		t.Errorf("delete: %v", err)
	}
	if subs, err := subsOf(h.ListSubscriptions(ctx, a.ID, dialect.Page{})); err != nil || len(subs) != 0 {
		t.Errorf("after delete %+v %v", subs, err)
	}
}

func TestCampaignSubscriptions(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "zxycall")
	b, _ := f.account(t, "zxycall")
	h := f.svc.For("zxycall")
	tr, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindTrunk, Spec: json.RawMessage(`{"name":"line","max_concurrent":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindCampaign, Spec: ivrCampaign(tr.ID)})
	if err != nil {
		t.Fatal(err)
	}
	onCampaign, err := h.PutSubscription(ctx, a.ID, dialect.Subscription{Campaign: cmp.ID, URL: "http://127.0.0.1:9/notify"})
	if err != nil || onCampaign.Campaign != cmp.ID {
		t.Fatalf("campaign subscription %+v %v", onCampaign, err)
	}
	if _, err := h.PutSubscription(ctx, a.ID, dialect.Subscription{URL: "http://127.0.0.1:9/all"}); err != nil {
		t.Fatal(err)
	}
	_, err = h.PutSubscription(ctx, b.ID, dialect.Subscription{Campaign: cmp.ID, URL: "http://127.0.0.1:9/spy"})
	isNotFound(t, "b subscribes to a's campaign", err)
	_, err = h.PutSubscription(ctx, a.ID, dialect.Subscription{Campaign: "x1", URL: "http://127.0.0.1:9/n"})
	isNotFound(t, "a campaign id the store never gave", err)
	subs, err := subsOf(h.ListSubscriptions(ctx, a.ID, dialect.Page{Filter: map[string]string{"campaign": cmp.ID}}))
	if err != nil || len(subs) != 1 || subs[0].ID != onCampaign.ID {
		t.Fatalf("campaign filter lists %+v %v", subs, err)
	}
	onContact, err := h.PutSubscription(ctx, a.ID, dialect.Subscription{Campaign: cmp.ID, Contact: "task-1", URL: "http://127.0.0.1:9/task"})
	if err != nil || onContact.Contact != "task-1" || onContact.Campaign != cmp.ID {
		t.Fatalf("contact subscription %+v %v", onContact, err)
	}
	var fe *dialect.FieldError
	if _, err := h.PutSubscription(ctx, a.ID, dialect.Subscription{Contact: "task-1", URL: "http://127.0.0.1:9/task"}); !errors.As(err, &fe) || fe.Field != "contact" {
		t.Errorf("a contact scope without a campaign: %v", err)
	}
	subs, err = subsOf(h.ListSubscriptions(ctx, a.ID, dialect.Page{Filter: map[string]string{"campaign": cmp.ID}}))
	if err != nil || len(subs) != 2 || subs[0].Contact+subs[1].Contact != "task-1" {
		t.Fatalf("campaign filter lists %+v %v", subs, err)
	}
	onContact.Contact = "task-2"
	if upd, err := h.PutSubscription(ctx, a.ID, onContact); err != nil || upd.Contact != "task-2" {
		t.Fatalf("contact scope replaced: %+v %v", upd, err)
	}
	if got, err := subsOf(h.ListSubscriptions(ctx, a.ID, dialect.Page{Filter: map[string]string{"campaign": cmp.ID}})); err != nil || got[0].Contact+got[1].Contact != "task-2" {
		t.Fatalf("after replacing the contact scope %+v %v", got, err)
	}
	if err := h.DeleteSubscription(ctx, a.ID, onContact.ID); err != nil {
		t.Fatal(err)
	}
	if all, err := subsOf(h.ListSubscriptions(ctx, a.ID, dialect.Page{})); err != nil || len(all) != 2 {
		t.Fatalf("all lists %d %v", len(all), err)
	}
	// Deleting the campaign drops its subscriptions, not the account's.
	if err := h.DeleteObject(ctx, a.ID, dialect.KindCampaign, cmp.ID); err != nil {
		t.Fatal(err)
	}
	if all, err := subsOf(h.ListSubscriptions(ctx, a.ID, dialect.Page{})); err != nil || len(all) != 1 || all[0].Campaign != "" {
		t.Fatalf("after deleting the campaign: %+v %v", all, err)
	}
}

func TestAgentSubscriptions(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "ringme")
	b, _ := f.account(t, "ringme")
	h := f.svc.For("ringme")
	ac := acd.NewAgentConfig("", acd.LocalAgent)
	ac.Extension = "PJSIP/1001"
	ag, err := h.PutAgent(ctx, a.ID, ac)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := h.PutSubscription(ctx, a.ID, dialect.Subscription{Agent: ag.ID, EventTypes: []string{"agent.status_changed"},
		Events: []string{"agent-login"}, URL: "http://127.0.0.1:9/login"})
	if err != nil || sub.Agent != ag.ID || len(sub.EventTypes) != 1 || sub.Events[0] != "agent-login" {
		t.Fatalf("agent subscription %+v %v", sub, err)
	}
	_, err = h.PutSubscription(ctx, b.ID, dialect.Subscription{Agent: ag.ID, URL: "http://127.0.0.1:9/spy"})
	isNotFound(t, "b subscribes to a's agent", err)
	var fe *dialect.FieldError
	if _, err := h.PutSubscription(ctx, a.ID, dialect.Subscription{EventTypes: []string{"agent status"}, URL: "http://127.0.0.1:9/x"}); !errors.As(err, &fe) || fe.Field != "event_types" {
		t.Errorf("a bad event type pattern: %v", err)
	}
	if err := h.DeleteAgent(ctx, a.ID, ag.ID, true); err != nil {
		t.Fatal(err)
	}
	if subs, err := subsOf(h.ListSubscriptions(ctx, a.ID, dialect.Page{})); err != nil || len(subs) != 0 {
		t.Fatalf("the deleted agent's subscriptions remain: %+v %v", subs, err)
	}
}

// subsOf drops a subscription page's token, for tests of what is listed.
func subsOf(p dialect.SubscriptionPage, err error) ([]dialect.Subscription, error) {
	return p.Subscriptions, err
}

func TestListSubscriptionsPages(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "ringme")
	h := f.svc.For("ringme")
	want := map[string]bool{}
	for i := range 5 {
		s, err := h.PutSubscription(ctx, a.ID, dialect.Subscription{URL: fmt.Sprintf("http://127.0.0.1:9/h%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		want[s.ID] = true
	}
	got := map[string]bool{}
	token, pages := "", 0
	for {
		p, err := h.ListSubscriptions(ctx, a.ID, dialect.Page{Size: 2, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range p.Subscriptions {
			got[s.ID] = true
		}
		if p.NextToken == "" {
			break
		}
		if pages > 5 {
			t.Fatalf("no end after %d pages", pages)
		}
		token = p.NextToken
	}
	if pages != 3 || len(got) != 5 || !maps.Equal(got, want) {
		t.Fatalf("%d pages listed %v, want 3 pages of %v", pages, got, want)
	}
	var fe *dialect.FieldError
	if _, err := h.ListSubscriptions(ctx, a.ID, dialect.Page{Token: "nope"}); !errors.As(err, &fe) {
		t.Fatalf("a token the list never gave: %v, want a field error", err)
	}
}
