package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus"
	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// received is one request the test endpoint saw.
type received struct {
	at        time.Time // virtual time of arrival
	method    string
	query     string
	body      []byte
	header    http.Header
	webhookID string
}

// endpoint is a real HTTP server on loopback whose answer the test controls.
type endpoint struct {
	srv   *httptest.Server
	clk   *virtualClock
	mu    sync.Mutex
	reqs  []received
	reply func(n int) int // status for the n-th request (1-based)
	block chan struct{}   // when set, requests wait on it
	more  chan struct{}
	cur   int
	peak  int
	// mergedFrom makes a view counting several endpoints' requests.
	mergedFrom []*endpoint
}

func newEndpoint(t *testing.T, clk *virtualClock) *endpoint {
	e := &endpoint{clk: clk, reply: func(int) int { return http.StatusNoContent }, more: make(chan struct{}, 1)}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.cur++
		e.peak = max(e.peak, e.cur)
		block := e.block
		e.reqs = append(e.reqs, received{at: clk.Now(), method: r.Method, query: r.URL.RawQuery, body: body, header: r.Header.Clone(), webhookID: r.Header.Get("webhook-id")})
		status := e.reply(len(e.reqs))
		e.mu.Unlock()
		select {
		case e.more <- struct{}{}:
		default:
		}
		if block != nil {
			<-block
		}
		e.mu.Lock()
		e.cur--
		e.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) setReply(f func(n int) int) {
	e.mu.Lock()
	e.reply = f
	e.mu.Unlock()
}

func (e *endpoint) requests() []received {
	if e.mergedFrom != nil {
		var all []received
		for _, m := range e.mergedFrom {
			all = append(all, m.requests()...)
		}
		return all
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]received(nil), e.reqs...)
}

// waitRequests waits (in real time) until the endpoint has seen n requests.
func (e *endpoint) waitRequests(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if r := e.requests(); len(r) >= n {
			return r
		}
		select {
		case <-e.more:
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			t.Fatalf("endpoint saw %d requests, want %d", len(e.requests()), n)
		}
	}
}

// eventually polls cond (in real time) for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type harness struct {
	db     *store.DB
	clk    *virtualClock
	sender *webhook.Sender
	stop   func()
}

func startSender(t *testing.T, db *store.DB, clk *virtualClock, mod func(*webhook.Config)) *harness {
	t.Helper()
	cfg := webhook.Config{DB: db, Clock: clk, NoJitter: true, PollInterval: time.Hour, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	s, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	h := &harness{db: db, clk: clk, sender: s}
	var once sync.Once
	h.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(h.stop)
	return h
}

func (h *harness) subscribe(t *testing.T, sub store.Subscription) store.Subscription {
	t.Helper()
	if err := h.sender.CreateSubscription(context.Background(), &sub); err != nil {
		t.Fatal(err)
	}
	return sub
}

func (h *harness) delivery(t *testing.T, eventID, subID string) store.Delivery {
	t.Helper()
	d, err := h.db.Delivery(context.Background(), webhook.DeliveryID(eventID, subID))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func agentEvent(id string, i int) event.Event {
	return event.Event{ID: id, Type: event.AgentStatusChanged, At: t0.Add(time.Duration(i) * time.Second), Tenant: "acme",
		Agent: fmt.Sprintf("a%d", i), From: "available", To: "on_break", Attrs: map[string]string{"note": "lunch"}}
}

func TestSignedJSONAndFormDeliveriesThroughTheBus(t *testing.T) {
	db := storetest.SQLite(t)
	clk := newVirtualClock(t0)
	ep := newEndpoint(t, clk)
	h := startSender(t, db, clk, nil)
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	jsonSub := h.subscribe(t, store.Subscription{Tenant: "acme", URL: ep.srv.URL + "/json", Events: []string{"agent.*"}, Secret: secret})
	formSub := h.subscribe(t, store.Subscription{Tenant: "acme", URL: ep.srv.URL + "/form?token=t1", Format: "form", Method: "GET", Events: []string{"agent.status_changed"}})
	postSub := h.subscribe(t, store.Subscription{Tenant: "acme", URL: ep.srv.URL + "/post", Format: "form", Method: "post", Events: []string{"agent.status_changed"}})
	_ = h.subscribe(t, store.Subscription{Tenant: "other", URL: ep.srv.URL + "/other", Events: []string{"*"}})
	_ = h.subscribe(t, store.Subscription{Tenant: "acme", URL: ep.srv.URL + "/calls", Events: []string{"call.ended"}})

	b, err := bus.New(bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AddSink("webhooks", h.sender.Sink); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = b.Run(ctx) }()
	t.Cleanup(func() { cancel(); _ = b.Close() })
	<-b.Running()

	ev := agentEvent("evt_1", 1)
	if err := b.Publish(ctx, ev); err != nil {
		t.Fatal(err)
	}
	// The same event again (a redelivery) must not be delivered twice.
	if err := b.Publish(ctx, ev); err != nil {
		t.Fatal(err)
	}
	reqs := ep.waitRequests(t, 3)
	time.Sleep(50 * time.Millisecond)
	if reqs = ep.requests(); len(reqs) != 3 {
		t.Fatalf("endpoint got %d requests, want 3 (json, form GET, form POST; no other tenant, no duplicate)", len(reqs))
	}
	byID := map[string]received{}
	for _, r := range reqs {
		byID[r.webhookID] = r
	}
	j, ok := byID[webhook.DeliveryID("evt_1", jsonSub.ID)]
	if !ok {
		t.Fatalf("no JSON delivery among %v", reqs)
	}
	var got event.Event
	if err := json.Unmarshal(j.body, &got); err != nil || got.ID != "evt_1" || got.Agent != "a1" || got.Attrs["note"] != "lunch" {
		t.Fatalf("json body %s (%v)", j.body, err)
	}
	if j.method != "POST" || j.header.Get("Content-Type") != "application/json" {
		t.Fatalf("json request %s %s", j.method, j.header.Get("Content-Type"))
	}
	ts, _ := strconv.ParseInt(j.header.Get("webhook-timestamp"), 10, 64)
	if ts != t0.Unix() {
		t.Fatalf("webhook-timestamp %d, want %d (virtual now)", ts, t0.Unix())
	}
	if err := webhook.Verify(secret, j.webhookID, time.Unix(ts, 0), j.body, j.header.Get("webhook-signature")); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	f := byID[webhook.DeliveryID("evt_1", formSub.ID)]
	if f.method != "GET" || len(f.body) != 0 || f.header.Get("webhook-signature") != "" {
		t.Fatalf("form GET = %s body %q sig %q", f.method, f.body, f.header.Get("webhook-signature"))
	}
	wantQ := "token=t1&agent=a1&at=2026-05-01T12%3A00%3A01Z&from=available&id=evt_1&note=lunch&tenant=acme&to=on_break&type=agent.status_changed"
	if f.query != wantQ {
		t.Fatalf("form query\n got %s\nwant %s", f.query, wantQ)
	}
	p := byID[webhook.DeliveryID("evt_1", postSub.ID)]
	if p.method != "POST" || p.header.Get("Content-Type") != "application/x-www-form-urlencoded" || string(p.body) != wantQ[len("token=t1&"):] {
		t.Fatalf("form POST = %s %s %q", p.method, p.header.Get("Content-Type"), p.body)
	}
	eventually(t, "deliveries recorded", func() bool {
		d := h.delivery(t, "evt_1", jsonSub.ID)
		return d.State == store.DeliveryDelivered && d.Attempts == 1 && d.LastStatus == 204
	})
}

func TestSubscriptionValidation(t *testing.T) {
	db := storetest.SQLite(t)
	h := startSender(t, db, newVirtualClock(t0), func(c *webhook.Config) { c.Policy.DenyPrivate = true })
	ctx := context.Background()
	cases := []struct {
		sub   store.Subscription
		field string
	}{
		{store.Subscription{URL: "http://169.254.169.254/", Events: []string{"*"}}, "url"},
		{store.Subscription{URL: "http://192.168.1.1/", Events: []string{"*"}}, "url"},
		{store.Subscription{URL: "gopher://127.0.0.1/", Events: []string{"*"}}, "url"},
		{store.Subscription{URL: "http://127.0.0.1/", Events: []string{"*"}, Format: "xml"}, "format"},
		{store.Subscription{URL: "http://127.0.0.1/", Events: []string{"*"}, Method: "DELETE"}, "method"},
		{store.Subscription{URL: "http://127.0.0.1/", Events: []string{"*"}, Format: "form", Method: "PUT"}, "method"},
		{store.Subscription{URL: "http://127.0.0.1/"}, "events"},
		{store.Subscription{URL: "http://127.0.0.1/", Events: []string{"agent*"}}, "events"},
		{store.Subscription{URL: "http://127.0.0.1/", Events: []string{"*"}, Secret: "plain"}, "secret"},
		{store.Subscription{URL: "http://127.0.0.1/", Events: []string{"*"}, Secret: "whsec_!!"}, "secret"},
		{store.Subscription{URL: "http://127.0.0.1/", Events: []string{"*"}, MaxConcurrency: -1}, "max_concurrency"},
		{store.Subscription{URL: "http://127.0.0.1/", Events: []string{"*"}, TimeoutMS: 3_600_000}, "timeout_ms"},
	}
	for _, c := range cases {
		err := h.sender.CreateSubscription(ctx, &c.sub)
		var field string
		var fe *store.FieldError
		var ue *webhook.URLError
		switch {
		case errors.As(err, &ue):
			field = ue.Field()
		case errors.As(err, &fe):
			field = fe.Field
		}
		if field != c.field {
			t.Errorf("create %+v = %v, want an error on %s", c.sub, err, c.field)
		}
	}
	if subs, _ := db.Subscriptions(ctx, ""); len(subs) != 0 {
		t.Fatalf("%d invalid subscriptions were stored", len(subs))
	}
}
