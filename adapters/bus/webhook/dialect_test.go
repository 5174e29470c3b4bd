package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// vendorRenderer renders like a vendor with two callback URLs: every
// attempt.finished goes to the subscription's URL as JSON and, when the
// subscription has an "after" URL, to it as a form GET. It can be made
// unavailable (a restarting plugin) or broken (a dialect bug).
type vendorRenderer struct {
	mu     sync.Mutex
	down   bool
	broken bool
	calls  int
	seen   []dialect.Subscription
}

func (r *vendorRenderer) Has(name string) bool { return name == "vendor" }

func (r *vendorRenderer) Render(_ context.Context, name string, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.seen = append(r.seen, sub)
	switch {
	case r.down:
		return nil, fmt.Errorf("plugin %s restarting: %w", name, webhook.ErrRenderLater)
	case r.broken:
		return nil, errors.New("dialect bug")
	case ev.Type != event.AttemptFinished:
		return nil, nil
	}
	ws := []dialect.Webhook{{URL: sub.URL, ContentType: "application/json", Header: http.Header{"X-Vendor": {"v1"}, "Webhook-Id": {"forged"}},
		Body: fmt.Appendf(nil, `{"call":%q,"outcome":%q}`, ev.Call, ev.Outcome)}}
	if after := sub.Attrs["after"]; after != "" {
		ws = append(ws, dialect.Webhook{Method: "get", URL: after + "?call=" + ev.Call})
	}
	return ws, nil
}

func (r *vendorRenderer) set(f func(*vendorRenderer)) {
	r.mu.Lock()
	f(r)
	r.mu.Unlock()
}

func attemptFinished(id, tenant, campaign string) event.Event {
	return event.Event{ID: id, Type: event.AttemptFinished, At: t0, Tenant: tenant, Campaign: campaign, Call: "c-" + id, Outcome: "answered"}
}

func TestDialectSubscriptionsRenderSeveralRequests(t *testing.T) {
	db := storetest.SQLite(t)
	clk := newVirtualClock(t0)
	ep := newEndpoint(t, clk)
	r := &vendorRenderer{}
	h := startSender(t, db, clk, func(c *webhook.Config) { c.Dialects = r })
	sub := h.subscribe(t, store.Subscription{Tenant: "acme", Dialect: "vendor", Campaign: "7", URL: ep.srv.URL + "/result",
		Format: "vendor-result", Events: []string{"callResult"}, Attrs: map[string]string{"after": ep.srv.URL + "/after", "mode": "x"}})
	ctx := context.Background()

	// Another campaign's event and another tenant's are not even rendered.
	if err := h.sender.Sink(ctx, []event.Event{attemptFinished("e0", "acme", "8"), attemptFinished("e1", "other", "7")}); err != nil {
		t.Fatal(err)
	}
	if err := h.sender.Sink(ctx, []event.Event{attemptFinished("e2", "acme", "7"), {ID: "e3", Type: event.CampaignProgress, Tenant: "acme", Campaign: "7"}}); err != nil {
		t.Fatal(err)
	}
	reqs := ep.waitRequests(t, 2)
	if len(r.seen) != 2 {
		t.Fatalf("renderer called %d times, want 2 (e2 and e3 only)", len(r.seen))
	}
	if got := r.seen[0]; got.Campaign != "7" || got.Account != "acme" || got.Attrs["mode"] != "x" || got.Format != "vendor-result" || got.Events[0] != "callResult" {
		t.Fatalf("renderer saw subscription %+v", got)
	}
	byPath := map[string]received{}
	for _, q := range ep.requests() {
		byPath[q.method+" "+q.query] = q
	}
	res, ok := byPath["POST "]
	if !ok || string(res.body) != `{"call":"c-e2","outcome":"answered"}` || res.header.Get("X-Vendor") != "v1" || res.header.Get("Content-Type") != "application/json" {
		t.Fatalf("result request missing or wrong: %+v (all %d)", res, len(reqs))
	}
	if res.webhookID != webhook.DeliveryID("e2", sub.ID) {
		t.Fatalf("first request webhook-id %q, want the plain delivery id (a renderer cannot forge it)", res.webhookID)
	}
	after, ok := byPath["GET call=c-e2"]
	if !ok || after.webhookID == res.webhookID || after.webhookID == "" {
		t.Fatalf("after request missing or with the same id: %+v", after)
	}
	eventually(t, "both deliveries recorded as delivered", func() bool {
		ds, err := db.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDelivered, SubscriptionID: sub.ID})
		return err == nil && len(ds) == 2 && ds[0].EventID == "e2" && ds[1].EventID == "e2"
	})
}

// A dialect that cannot render now (its plugin is restarting) does not
// hold up the bus or other subscriptions: the event is parked and rendered
// on the retry schedule once the dialect is back.
func TestDialectRenderLaterParksTheEvent(t *testing.T) {
	db := storetest.SQLite(t)
	clk := newVirtualClock(t0)
	ep := newEndpoint(t, clk)
	r := &vendorRenderer{down: true}
	h := startSender(t, db, clk, func(c *webhook.Config) { c.Dialects = r })
	sub := h.subscribe(t, store.Subscription{Tenant: "acme", Dialect: "vendor", URL: ep.srv.URL + "/r",
		Attrs: map[string]string{"after": ep.srv.URL + "/after"}})
	plain := h.subscribe(t, store.Subscription{Tenant: "acme", URL: ep.srv.URL + "/plain", Events: []string{"*"}})
	ctx := context.Background()
	if err := h.sender.Sink(ctx, []event.Event{attemptFinished("e1", "acme", "1")}); err != nil {
		t.Fatalf("Sink with the dialect down = %v, want nil (the event is parked)", err)
	}
	// The built-in subscription is served at once.
	if reqs := ep.waitRequests(t, 1); reqs[0].webhookID != webhook.DeliveryID("e1", plain.ID) {
		t.Fatalf("first request %+v, want the plain subscription's", reqs[0])
	}
	// Still down at the first retry: parked again, nothing sent.
	clk.AdvanceTo(t0.Add(5 * time.Second))
	eventually(t, "the parked event tried again", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.calls >= 2
	})
	r.set(func(r *vendorRenderer) { r.down = false })
	clk.AdvanceTo(t0.Add(5*time.Second + 5*time.Minute))
	reqs := ep.waitRequests(t, 3)
	ids := map[string]bool{}
	for _, q := range reqs {
		ids[q.webhookID] = true
	}
	if !ids[webhook.DeliveryID("e1", sub.ID)] || len(ids) != 3 {
		t.Fatalf("after the dialect came back got %v, want the plain one and both rendered requests (the first with the usual id)", ids)
	}
	eventually(t, "the parked row finished", func() bool {
		ds, err := db.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDelivered, SubscriptionID: sub.ID})
		return err == nil && len(ds) == 3
	})
	if n := ep.requests(); len(n) != 3 {
		t.Fatalf("%d requests, want 3", len(n))
	}

	// A dialect that fails for good skips the event for that subscription
	// only; the batch is not held up.
	r.set(func(r *vendorRenderer) { r.broken = true })
	if err := h.sender.Sink(ctx, []event.Event{attemptFinished("e2", "acme", "1")}); err != nil {
		t.Fatalf("a broken dialect must not block the bus: %v", err)
	}
}

func TestDialectSubscriptionValidation(t *testing.T) {
	db := storetest.SQLite(t)
	clk := newVirtualClock(t0)
	r := &vendorRenderer{}
	h := startSender(t, db, clk, func(c *webhook.Config) { c.Dialects = r })
	noDialects := startSender(t, db, clk, nil)
	ctx := context.Background()
	cases := []struct {
		name  string
		s     *webhook.Sender
		sub   store.Subscription
		field string
	}{
		{"unknown dialect", h.sender, store.Subscription{Dialect: "nope", URL: "http://127.0.0.1:9/x"}, "dialect"},
		{"no renderer configured", noDialects.sender, store.Subscription{Dialect: "vendor", URL: "http://127.0.0.1:9/x"}, "dialect"},
		{"metadata URL in attrs", h.sender, store.Subscription{Dialect: "vendor", URL: "http://127.0.0.1:9/x",
			Attrs: map[string]string{"after": "http://169.254.169.254/latest"}}, "attrs.after"},
		{"attrs on a built-in format", h.sender, store.Subscription{URL: "http://127.0.0.1:9/x", Events: []string{"*"},
			Attrs: map[string]string{"a": "b"}}, "attrs"},
		{"bad URL", h.sender, store.Subscription{Dialect: "vendor", URL: "ftp://x"}, "url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sub := c.sub
			err := c.s.CreateSubscription(ctx, &sub)
			var fe *store.FieldError
			var ue *webhook.URLError
			switch {
			case errors.As(err, &ue):
				if ue.Field() != c.field {
					t.Fatalf("CreateSubscription = %v, want an error on %q", err, c.field)
				}
			case !errors.As(err, &fe) || fe.Field != c.field:
				t.Fatalf("CreateSubscription = %v, want a field error on %q", err, c.field)
			}
		})
	}
	ok := store.Subscription{Dialect: "vendor", URL: "http://127.0.0.1:9/x", Format: "anything", Method: "get",
		Attrs: map[string]string{"after": "http://127.0.0.1:9/after", "label": "not a url"}}
	if err := h.sender.CreateSubscription(ctx, &ok); err != nil {
		t.Fatalf("valid dialect subscription refused: %v", err)
	}
	got, err := db.Subscription(ctx, ok.ID)
	if err != nil || got.Dialect != "vendor" || got.Attrs["after"] != "http://127.0.0.1:9/after" || got.Method != "GET" || !strings.EqualFold(got.Format, "anything") {
		t.Fatalf("stored %+v (%v)", got, err)
	}
}

func TestDialectSubscriptionScopeNarrowsWhatTheDialectIsOffered(t *testing.T) {
	db := storetest.SQLite(t)
	clk := newVirtualClock(t0)
	r := &vendorRenderer{}
	h := startSender(t, db, clk, func(c *webhook.Config) { c.Dialects = r })
	agentSub := h.subscribe(t, store.Subscription{Tenant: "acme", Dialect: "vendor", URL: "http://127.0.0.1:9/a7",
		Agent: "7", EventTypes: []string{"agent.status_changed"}, Events: []string{"agent-login"}})
	typed := h.subscribe(t, store.Subscription{Tenant: "acme", Dialect: "vendor", URL: "http://127.0.0.1:9/results",
		EventTypes: []string{"attempt.*", "campaign.state_changed"}})
	contactSub := h.subscribe(t, store.Subscription{Tenant: "acme", Dialect: "vendor", URL: "http://127.0.0.1:9/task",
		Campaign: "1", Contact: "k1", EventTypes: []string{"attempt.*", "contact.finished"}})
	evs := []event.Event{
		{ID: "s7", Type: event.AgentStatusChanged, Tenant: "acme", Agent: "7"},                  // agentSub
		{ID: "s8", Type: event.AgentStatusChanged, Tenant: "acme", Agent: "8"},                  // nobody
		{ID: "st7", Type: event.AgentStateChanged, Tenant: "acme", Agent: "7"},                  // nobody (type)
		{ID: "af", Type: event.AttemptFinished, Tenant: "acme", Campaign: "1"},                  // typed
		{ID: "cs", Type: event.CampaignStateChanged, Tenant: "acme", To: "run"},                 // typed
		{ID: "cj", Type: event.CallerJoined, Tenant: "acme", Queue: "q"},                        // nobody
		{ID: "ak1", Type: event.AttemptStarted, Tenant: "acme", Campaign: "1", Contact: "k1"},   // typed, contactSub
		{ID: "ak2", Type: event.AttemptStarted, Tenant: "acme", Campaign: "1", Contact: "k2"},   // typed
		{ID: "fk1", Type: event.ContactFinished, Tenant: "acme", Campaign: "1", Contact: "k1"},  // contactSub
		{ID: "fk2", Type: event.ContactFinished, Tenant: "acme", Campaign: "1", Contact: "k2"},  // nobody
		{ID: "ak1c2", Type: event.AttemptStarted, Tenant: "acme", Campaign: "2", Contact: "k1"}, // typed
	}
	if err := h.sender.Sink(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	r.mu.Lock()
	for _, s := range r.seen {
		got[s.ID]++
	}
	seen := append([]dialect.Subscription(nil), r.seen...)
	r.mu.Unlock()
	if got[agentSub.ID] != 1 || got[typed.ID] != 5 || got[contactSub.ID] != 2 || len(seen) != 8 {
		t.Fatalf("offers per subscription %v (total %d), want the agent's 1, the typed 5 and the contact's 2", got, len(seen))
	}
	for _, s := range seen {
		if s.ID == agentSub.ID && (s.Agent != "7" || s.EventTypes[0] != "agent.status_changed" || s.Events[0] != "agent-login") {
			t.Fatalf("the dialect saw %+v", s)
		}
		if s.ID == contactSub.ID && (s.Contact != "k1" || s.Campaign != "1") {
			t.Fatalf("the dialect saw %+v", s)
		}
	}
	var fe *store.FieldError
	noCampaign := store.Subscription{Tenant: "acme", Dialect: "vendor", URL: "http://127.0.0.1:9/x", Contact: "k1"}
	if err := h.sender.CreateSubscription(context.Background(), &noCampaign); !errors.As(err, &fe) || fe.Field != "contact" {
		t.Fatalf("a contact scope without a campaign: %v", err)
	}
	bad := store.Subscription{Tenant: "acme", Dialect: "vendor", URL: "http://127.0.0.1:9/x", EventTypes: []string{"agent.*.x"}}
	if err := h.sender.CreateSubscription(context.Background(), &bad); !errors.As(err, &fe) || fe.Field != "event_types" {
		t.Fatalf("a bad event_types pattern: %v", err)
	}
	for _, builtin := range []store.Subscription{
		{Tenant: "acme", URL: "http://127.0.0.1:9/x", Events: []string{"*"}, Agent: "7"},
		{Tenant: "acme", URL: "http://127.0.0.1:9/x", Events: []string{"*"}, Campaign: "1", Contact: "k1"},
	} {
		if err := h.sender.CreateSubscription(context.Background(), &builtin); !errors.As(err, &fe) || fe.Field != "event_types" {
			t.Fatalf("agent or contact scope on a built-in format %+v: %v", builtin, err)
		}
	}
}
