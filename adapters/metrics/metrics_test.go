package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// The metrics follow a real ACD's events.
func TestMetricsFromACDEvents(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	core, _ := acd.NewCore(acd.CoreConfig{})
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	run := func(cmd acd.Command) acd.Output {
		out, err := core.Handle(now, cmd)
		if err != nil {
			t.Fatal(err)
		}
		m.Publish(out.Events...)
		return out
	}
	run(acd.AddQueue{Config: acd.NewQueueConfig("sales")})
	for _, id := range []string{"a1", "a2"} {
		cfg := acd.NewAgentConfig(id, acd.LocalAgent)
		cfg.Extension = id
		run(acd.AddAgent{Config: cfg})
		run(acd.SetTier{Tier: acd.Tier{Queue: "sales", Agent: id}})
	}
	run(acd.SetAgentStatus{Agent: "a1", Status: acd.Available})
	out := run(acd.Join{Queue: "sales", Caller: "c1"})
	now = now.Add(12 * time.Second)
	var offer acd.Offer
	for _, d := range out.Decisions {
		if o, ok := d.(acd.Offer); ok {
			offer = o
		}
	}
	run(acd.OfferResult{Offer: offer.ID, Result: acd.OfferAnswered})
	run(acd.Join{Queue: "sales", Caller: "c2"})
	run(acd.Hangup{Caller: "c2"})

	if got := testutil.ToFloat64(m.queueCalls.WithLabelValues("sales", "answered")); got != 1 {
		t.Errorf("answered %v", got)
	}
	if got := testutil.ToFloat64(m.queueCalls.WithLabelValues("sales", "abandoned")); got != 1 {
		t.Errorf("abandoned %v", got)
	}
	if got := testutil.ToFloat64(m.agentsState.WithLabelValues("in_call")); got != 1 {
		t.Errorf("in_call %v", got)
	}
	if got := testutil.ToFloat64(m.agentsStatus.WithLabelValues("logged_out")); got != 1 {
		t.Errorf("logged_out %v", got)
	}
	if got := testutil.ToFloat64(m.agentsStatus.WithLabelValues("available")); got != 1 {
		t.Errorf("available %v", got)
	}
	m.Publish(event.Event{Type: event.AttemptFinished, Outcome: "busy"})
	if got := testutil.ToFloat64(m.attempts.WithLabelValues("busy")); got != 1 {
		t.Errorf("busy attempts %v", got)
	}
	expected := `
# HELP switchboard_queue_wait_seconds How long answered callers waited in the queue.
# TYPE switchboard_queue_wait_seconds histogram
switchboard_queue_wait_seconds_bucket{queue="sales",le="1"} 0
switchboard_queue_wait_seconds_bucket{queue="sales",le="5"} 0
switchboard_queue_wait_seconds_bucket{queue="sales",le="10"} 0
switchboard_queue_wait_seconds_bucket{queue="sales",le="20"} 1
switchboard_queue_wait_seconds_bucket{queue="sales",le="30"} 1
switchboard_queue_wait_seconds_bucket{queue="sales",le="60"} 1
switchboard_queue_wait_seconds_bucket{queue="sales",le="120"} 1
switchboard_queue_wait_seconds_bucket{queue="sales",le="300"} 1
switchboard_queue_wait_seconds_bucket{queue="sales",le="600"} 1
switchboard_queue_wait_seconds_bucket{queue="sales",le="+Inf"} 1
switchboard_queue_wait_seconds_sum{queue="sales"} 12
switchboard_queue_wait_seconds_count{queue="sales"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(expected), "switchboard_queue_wait_seconds"); err != nil {
		t.Error(err)
	}
}
