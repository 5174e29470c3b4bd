package webhook_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// settled waits until every attempt the endpoint saw is recorded, nothing
// is leased and nothing is due: the sender is idle until the next due time.
func settled(t *testing.T, db *store.DB, clk *virtualClock, ep *endpoint) {
	t.Helper()
	var attempts, leased, due int
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = db.NewRaw(`SELECT COALESCE(SUM(attempts), 0), COALESCE(SUM(CASE WHEN lease_until_ns > 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN state = 'pending' AND next_attempt_ns <= ? THEN 1 ELSE 0 END), 0) FROM deliveries`, clk.Now().UnixNano()).
			Scan(context.Background(), &attempts, &leased, &due)
		if err == nil && leased == 0 && due == 0 && attempts == len(ep.requests()) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sender not idle: %d attempts recorded, %d requests seen, %d leased, %d due (%v)", attempts, len(ep.requests()), leased, due, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type timedEvent struct {
	at time.Time
	ev event.Event
}

// drive runs virtual time forward from due time to due time, sinking the
// given events at their times, until nothing is pending or until stop.
func drive(t *testing.T, h *harness, ep *endpoint, evs []timedEvent, stop time.Time) {
	t.Helper()
	ctx := context.Background()
	for {
		settled(t, h.db, h.clk, ep)
		next, ok, err := h.db.NextDeliveryDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) > 0 && (!ok || !evs[0].at.After(next)) {
			h.clk.AdvanceTo(evs[0].at)
			if err := h.sender.Sink(ctx, []event.Event{evs[0].ev}); err != nil {
				t.Fatal(err)
			}
			evs = evs[1:]
			continue
		}
		if !ok || next.After(stop) {
			return
		}
		h.clk.AdvanceTo(next)
	}
}

func TestOutageThenRecoveryInScheduleOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newVirtualClock(t0)
		ep := newEndpoint(t, clk)
		upAt := t0.Add(20 * time.Minute)
		ep.setReply(func(int) int {
			if clk.Now().Before(upAt) {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		dead := newEndpoint(t, clk)
		dead.setReply(func(int) int { return http.StatusInternalServerError })
		sched := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}
		h := startSender(t, db, clk, func(c *webhook.Config) { c.Schedule = sched })
		crm := h.subscribe(t, store.Subscription{URL: ep.srv.URL + "/crm", Events: []string{"agent.*"}, MaxConcurrency: 1})
		gone := h.subscribe(t, store.Subscription{URL: dead.srv.URL + "/gone", Events: []string{"call.ended"}})

		drive(t, h, nil2(ep, dead), []timedEvent{
			{t0, agentEvent("evt_a", 1)},
			{t0, event.Event{ID: "evt_d", Type: event.CallEnded, Call: "c1"}},
			{t0.Add(10 * time.Second), agentEvent("evt_b", 2)},
			{t0.Add(20 * time.Second), agentEvent("evt_c", 3)},
		}, t0.Add(48*time.Hour))

		// Every attempt happened exactly on the schedule, in due order.
		want := map[string][]time.Duration{
			"evt_a": {0, 5 * time.Second, 5*time.Minute + 5*time.Second, 35*time.Minute + 5*time.Second},
			"evt_b": {10 * time.Second, 15 * time.Second, 5*time.Minute + 15*time.Second, 35*time.Minute + 15*time.Second},
			"evt_c": {20 * time.Second, 25 * time.Second, 5*time.Minute + 25*time.Second, 35*time.Minute + 25*time.Second},
		}
		byID := map[string][]time.Time{}
		var okOrder []string
		for _, r := range ep.requests() {
			byID[r.webhookID] = append(byID[r.webhookID], r.at)
			if !r.at.Before(upAt) {
				okOrder = append(okOrder, r.webhookID)
			}
		}
		for ev, offs := range want {
			id := webhook.DeliveryID(ev, crm.ID)
			var got []time.Duration
			for _, at := range byID[id] {
				got = append(got, at.Sub(t0))
			}
			if !slices.Equal(got, offs) {
				t.Errorf("%s attempts at %v, want %v", ev, got, offs)
			}
			d := h.delivery(t, ev, crm.ID)
			if d.State != store.DeliveryDelivered || d.Attempts != 4 || d.LastStatus != 200 {
				t.Errorf("%s = %s after %d attempts (status %d), want delivered after 4", ev, d.State, d.Attempts, d.LastStatus)
			}
		}
		wantOrder := []string{webhook.DeliveryID("evt_a", crm.ID), webhook.DeliveryID("evt_b", crm.ID), webhook.DeliveryID("evt_c", crm.ID)}
		if !slices.Equal(okOrder, wantOrder) {
			t.Errorf("after the outage delivered %v, want %v (schedule order)", okOrder, wantOrder)
		}

		// The always-failing endpoint exhausted 1 + 4 retries and is dead-lettered.
		deadReqs := dead.requests()
		var deadAt []time.Duration
		for _, r := range deadReqs {
			deadAt = append(deadAt, r.at.Sub(t0))
		}
		wantDead := []time.Duration{0, 5 * time.Second, 5*time.Minute + 5*time.Second, 35*time.Minute + 5*time.Second, 2*time.Hour + 35*time.Minute + 5*time.Second}
		if !slices.Equal(deadAt, wantDead) {
			t.Fatalf("dead endpoint attempts at %v, want %v", deadAt, wantDead)
		}
		letters, err := h.sender.DeadLetters(context.Background(), store.DeliveryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(letters) != 1 || letters[0].ID != webhook.DeliveryID("evt_d", gone.ID) || letters[0].Attempts != 5 || letters[0].LastStatus != 500 {
			t.Fatalf("dead letters = %+v", letters)
		}

		st := h.sender.Stats()
		if st.Stored != 4 || st.Delivered != 3 || st.Dead != 1 || st.Retried != 3*3+4 || st.Held != 0 {
			t.Fatalf("stats = %+v, want 4 stored, 3 delivered, 1 dead, 13 retried, none held", st)
		}

		// Replay after the endpoint is fixed: delivered once more with the same id.
		dead.setReply(func(int) int { return http.StatusAccepted })
		n, err := h.sender.Replay(context.Background(), letters[0].ID)
		if err != nil || n != 1 {
			t.Fatalf("replay = %d, %v", n, err)
		}
		reqs := dead.waitRequests(t, 6)
		if reqs[5].webhookID != letters[0].ID {
			t.Fatalf("replayed webhook-id %s, want %s", reqs[5].webhookID, letters[0].ID)
		}
		eventually(t, "replayed delivery recorded", func() bool {
			d := h.delivery(t, "evt_d", gone.ID)
			return d.State == store.DeliveryDelivered && d.LastStatus == 202
		})
		if letters, _ := h.sender.DeadLetters(context.Background(), store.DeliveryFilter{}); len(letters) != 0 {
			t.Fatalf("dead letters after replay = %d", len(letters))
		}
	})
}

// nil2 merges two endpoints' request counts for settled.
func nil2(a, b *endpoint) *endpoint {
	return &endpoint{mergedFrom: []*endpoint{a, b}}
}

func TestPermanentFailuresAreDeadAtOnce(t *testing.T) {
	db := storetest.SQLite(t)
	clk := newVirtualClock(t0)
	ep := newEndpoint(t, clk)
	ep.setReply(func(int) int { return http.StatusNotFound })
	h := startSender(t, db, clk, nil)
	sub := h.subscribe(t, store.Subscription{URL: ep.srv.URL, Events: []string{"*"}})
	if err := h.sender.Sink(context.Background(), []event.Event{agentEvent("evt_404", 1)}); err != nil {
		t.Fatal(err)
	}
	ep.waitRequests(t, 1)
	eventually(t, "dead letter", func() bool { return h.delivery(t, "evt_404", sub.ID).State == store.DeliveryDead })
	d := h.delivery(t, "evt_404", sub.ID)
	if d.Attempts != 1 || d.LastStatus != 404 || !strings.Contains(d.LastError, "404") {
		t.Fatalf("404 delivery = %+v", d)
	}
}

func TestRetryableResponsesAndJitter(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		header string
		rand   float64
		want   time.Duration
	}{
		{"503 low jitter", 503, "", 0, 9 * time.Second},
		{"500 high jitter", 500, "", 1, 11 * time.Second},
		{"429 mid jitter", 429, "", 0.5, 10 * time.Second},
		{"429 Retry-After longer", 429, "120", 0.5, 120 * time.Second},
		{"408", 408, "", 0.5, 10 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := storetest.SQLite(t)
			clk := newVirtualClock(t0)
			srv := newEndpoint(t, clk)
			srv.setReply(func(int) int { return c.status })
			if c.header != "" {
				srv.srv.Config.Handler = retryAfterHandler(srv.srv.Config.Handler, c.header)
			}
			h := startSender(t, db, clk, func(cfg *webhook.Config) {
				cfg.NoJitter = false
				cfg.Jitter = 0.1
				cfg.Rand = func() float64 { return c.rand }
				cfg.Schedule = []time.Duration{10 * time.Second, time.Hour}
			})
			sub := h.subscribe(t, store.Subscription{URL: srv.srv.URL, Events: []string{"*"}})
			if err := h.sender.Sink(context.Background(), []event.Event{agentEvent("evt_r", 1)}); err != nil {
				t.Fatal(err)
			}
			srv.waitRequests(t, 1)
			settled(t, db, clk, srv)
			d := h.delivery(t, "evt_r", sub.ID)
			if d.State != store.DeliveryPending || d.NextAttempt().Sub(t0) != c.want || d.LastStatus != c.status {
				t.Fatalf("after %d: state %s next +%s status %d, want pending +%s", c.status, d.State, d.NextAttempt().Sub(t0), d.LastStatus, c.want)
			}
		})
	}
}

func retryAfterHandler(next http.Handler, v string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", v)
		next.ServeHTTP(w, r)
	})
}

func TestPerEndpointConcurrencyLimit(t *testing.T) {
	db := storetest.SQLite(t)
	clk := newVirtualClock(t0)
	ep := newEndpoint(t, clk)
	release := make(chan struct{})
	ep.block = release
	h := startSender(t, db, clk, nil)
	sub := h.subscribe(t, store.Subscription{URL: ep.srv.URL, Events: []string{"*"}, MaxConcurrency: 3})
	var evs []event.Event
	for i := range 12 {
		evs = append(evs, agentEvent("evt_c"+string(rune('a'+i)), i))
	}
	if err := h.sender.Sink(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	ep.waitRequests(t, 3)
	time.Sleep(100 * time.Millisecond) // a fourth request would arrive now if the limit leaked
	if n := len(ep.requests()); n != 3 {
		t.Fatalf("%d requests in flight, limit 3", n)
	}
	close(release)
	ep.waitRequests(t, 12)
	ep.mu.Lock()
	peak := ep.peak
	ep.mu.Unlock()
	if peak != 3 {
		t.Fatalf("peak concurrency %d, want 3", peak)
	}
	eventually(t, "all delivered", func() bool {
		ds, _ := db.Deliveries(context.Background(), store.DeliveryFilter{State: store.DeliveryDelivered, SubscriptionID: sub.ID})
		return len(ds) == 12
	})
}

func TestTimeoutIsRetried(t *testing.T) {
	db := storetest.SQLite(t)
	clk := newVirtualClock(t0)
	ep := newEndpoint(t, clk)
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	ep.block = hang
	h := startSender(t, db, clk, nil)
	sub := h.subscribe(t, store.Subscription{URL: ep.srv.URL, Events: []string{"*"}, TimeoutMS: 100})
	if err := h.sender.Sink(context.Background(), []event.Event{agentEvent("evt_t", 1)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "timeout recorded", func() bool {
		d := h.delivery(t, "evt_t", sub.ID)
		return d.Attempts == 1 && d.State == store.DeliveryPending
	})
	d := h.delivery(t, "evt_t", sub.ID)
	if !strings.Contains(d.LastError, "deadline exceeded") || d.NextAttempt().Sub(t0) != 5*time.Second {
		t.Fatalf("after timeout: %q next +%s", d.LastError, d.NextAttempt().Sub(t0))
	}
}

func TestRefusedAtDialTime(t *testing.T) {
	db := storetest.SQLite(t)
	clk := newVirtualClock(t0)
	ep := newEndpoint(t, clk)
	// The row is stored directly, as if the policy changed (or DNS was
	// rebound) after the subscription was accepted: the dial hook must refuse.
	sub := store.Subscription{ID: "sub_rebound", URL: ep.srv.URL, Events: []string{"*"}, Active: true}
	if err := db.CreateSubscription(context.Background(), &sub, t0); err != nil {
		t.Fatal(err)
	}
	h := startSender(t, db, clk, func(c *webhook.Config) {
		c.Policy.DenyLoopback = true
		c.Schedule = []time.Duration{time.Second}
	})
	if err := h.sender.Sink(context.Background(), []event.Event{agentEvent("evt_x", 1)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "first refusal", func() bool { return h.delivery(t, "evt_x", sub.ID).Attempts == 1 })
	clk.AdvanceTo(t0.Add(time.Second))
	eventually(t, "dead after retries", func() bool { return h.delivery(t, "evt_x", sub.ID).State == store.DeliveryDead })
	d := h.delivery(t, "evt_x", sub.ID)
	if !strings.Contains(d.LastError, "refused") || d.Attempts != 2 {
		t.Fatalf("delivery = attempts %d error %q", d.Attempts, d.LastError)
	}
	if n := len(ep.requests()); n != 0 {
		t.Fatalf("refused endpoint received %d requests", n)
	}
}

func TestRestartResumesPendingDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newVirtualClock(t0)
		ep := newEndpoint(t, clk)
		hang := make(chan struct{})
		ep.block = hang
		h := startSender(t, db, clk, func(c *webhook.Config) { c.Lease = time.Minute })
		sub := h.subscribe(t, store.Subscription{URL: ep.srv.URL, Events: []string{"*"}, MaxConcurrency: 2})
		var evs []event.Event
		for i := range 5 {
			evs = append(evs, agentEvent("evt_k"+string(rune('a'+i)), i))
		}
		if err := h.sender.Sink(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
		ep.waitRequests(t, 2) // two in flight, three claimed and waiting
		h.stop()              // the worker goes away mid-flight
		close(hang)

		ep.setReply(func(int) int { return http.StatusOK })
		startSender(t, db, clk, nil)
		// The three never started were released at stop; the two cut off
		// wait for their lease (1 min) to pass.
		ep.waitRequests(t, 5)
		time.Sleep(50 * time.Millisecond)
		if n := len(ep.requests()); n != 5 {
			t.Fatalf("%d requests before the lease passed, want 5", n)
		}
		clk.AdvanceTo(t0.Add(time.Minute))
		ep.waitRequests(t, 7)
		eventually(t, "every delivery delivered", func() bool {
			ds, _ := db.Deliveries(context.Background(), store.DeliveryFilter{State: store.DeliveryDelivered, SubscriptionID: sub.ID})
			return len(ds) == 5
		})
	})
}
