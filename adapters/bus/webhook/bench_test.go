package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus"
	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// benchSink is a loopback endpoint that counts requests.
type benchSink struct {
	srv   *httptest.Server
	count atomic.Int64
}

func newBenchSink(b *testing.B) *benchSink {
	s := &benchSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.count.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(s.srv.Close)
	return s
}

// latencyRenderer renders JSON and stamps the publish time into the query,
// so the sink can measure event → delivery latency.
type latencyRenderer struct{}

func (latencyRenderer) Methods() []string { return []string{http.MethodPost} }

func (latencyRenderer) Render(sub store.Subscription, ev event.Event) (webhook.Request, bool, error) {
	req, ok, err := webhook.JSON{}.Render(sub, ev)
	req.Query = "sent=" + strconv.FormatInt(ev.At.UnixNano(), 10)
	return req, ok, err
}

func benchPipeline(b *testing.B, db *store.DB, url string) (*bus.Bus, *webhook.Sender) {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	s, err := webhook.New(webhook.Config{DB: db, MaxInFlight: 1024, ClaimBatch: 512, MaxConcurrency: 64,
		Renderers: map[string]webhook.Renderer{"latency": latencyRenderer{}}})
	if err != nil {
		b.Fatal(err)
	}
	sub := store.Subscription{URL: url, Events: []string{"*"}, Format: "latency"}
	if err := s.CreateSubscription(ctx, &sub); err != nil {
		b.Fatal(err)
	}
	bs, err := bus.New(bus.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if err := bs.AddSink("webhooks", s.Sink); err != nil {
		b.Fatal(err)
	}
	go func() { _ = bs.Run(ctx) }()
	<-bs.Running()
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done; _ = bs.Close() })
	return bs, s
}

func benchDBs() []struct {
	name string
	open func(testing.TB) *store.DB
} {
	return []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}}
}

// BenchmarkEventsToDeliveries measures events published on the bus until
// each is stored, attempted and acknowledged by a loopback endpoint. batch
// is the events per bus message: 1 is the worst case, 256 what the emitter
// and the outbox relay send under sustained load (their cap), 100 between.
func BenchmarkEventsToDeliveries(b *testing.B) {
	for _, d := range benchDBs() {
		for _, batch := range []int{1, 100, 256} {
			b.Run(fmt.Sprintf("%s/batch=%d", d.name, batch), func(b *testing.B) {
				db := d.open(b)
				sink := newBenchSink(b)
				bs, s := benchPipeline(b, db, sink.srv.URL)
				ctx := context.Background()
				b.ResetTimer()
				start := time.Now()
				evs := make([]event.Event, 0, batch)
				for i := 0; i < b.N; i++ {
					evs = append(evs, event.Event{Type: event.AgentStateChanged, At: time.Now(), Tenant: "acme", Agent: strconv.Itoa(i)})
					if len(evs) == batch || i == b.N-1 {
						if err := bs.Publish(ctx, evs...); err != nil {
							b.Fatal(err)
						}
						evs = evs[:0]
					}
				}
				published := time.Since(start)
				for s.Delivered() < int64(b.N) {
					time.Sleep(time.Millisecond)
				}
				el := time.Since(start)
				if os.Getenv("SB_BENCH_DEBUG") != "" {
					st := db.Stats()
					b.Logf("n=%d published in %s, delivered in %s; db waits %d total %s, in use %d", b.N, published, el, st.WaitCount, st.WaitDuration, st.InUse)
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/el.Seconds(), "deliveries/s")
			})
		}
	}
}

// BenchmarkLatencyAt1000PerSecond publishes one event per millisecond (through
// the emitter, as engines do) for b.N events and reports event → delivery
// latency percentiles and the rate actually offered.
func BenchmarkLatencyAt1000PerSecond(b *testing.B) {
	for _, d := range benchDBs() {
		b.Run(d.name, func(b *testing.B) {
			db := d.open(b)
			var mu sync.Mutex
			var lat []time.Duration
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ns, _ := strconv.ParseInt(r.URL.Query().Get("sent"), 10, 64)
				l := time.Since(time.Unix(0, ns))
				mu.Lock()
				lat = append(lat, l)
				if os.Getenv("SB_BENCH_DEBUG") != "" && l > 50*time.Millisecond {
					b.Logf("slow: sent %s latency %s", time.Unix(0, ns).Format("15:04:05.000"), l)
				}
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}))
			b.Cleanup(srv.Close)
			bs, s := benchPipeline(b, db, srv.URL)
			// Engines publish through the emitter, which never blocks them
			// and batches whatever queued while the last batch was stored.
			em := bus.NewEmitter(bs, 0, 0, nil)
			ctx, cancel := context.WithCancel(context.Background())
			emDone := make(chan struct{})
			go func() { defer close(emDone); _ = em.Run(ctx) }()
			defer func() { cancel(); <-emDone }()
			b.ResetTimer()
			// Event i is due at start + i ms; a publisher that falls behind
			// (a busy machine) catches up, so the offered rate stays 1,000/s.
			start := time.Now()
			for i := 0; i < b.N; i++ {
				time.Sleep(time.Until(start.Add(time.Duration(i) * time.Millisecond)))
				em.Publish(event.Event{Type: event.AgentStateChanged, At: time.Now(), Tenant: "acme", Agent: strconv.Itoa(i)})
			}
			offered := float64(b.N) / time.Since(start).Seconds()
			for s.Delivered() < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(offered, "offered-ev/s")
			mu.Lock()
			defer mu.Unlock()
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.5), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		})
	}
}
