// Package metrics turns domain events into Prometheus metrics: queue calls
// and waits, agents per status and state, campaign attempt outcomes. Other
// components (webhook deliveries, plugin restarts) add their own collectors
// to the same registry.
package metrics

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Metrics is an event sink that keeps the event-derived metrics.
type Metrics struct {
	queueCalls   *prometheus.CounterVec
	queueWait    *prometheus.HistogramVec
	agentsState  *prometheus.GaugeVec
	agentsStatus *prometheus.GaugeVec
	attempts     *prometheus.CounterVec

	mu     sync.Mutex
	state  map[string]string // agent → state
	status map[string]string // agent → status
}

// New registers the metrics on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		queueCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_queue_calls_total",
			Help: "Queue callers by how they ended: answered, or the reason they left (abandoned, timeout, …).",
		}, []string{"queue", "result"}),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_queue_wait_seconds",
			Help:    "How long answered callers waited in the queue.",
			Buckets: []float64{1, 5, 10, 20, 30, 60, 120, 300, 600},
		}, []string{"queue"}),
		agentsState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_agents_state",
			Help: "Agents by state (idle, waiting, receiving, in_call, wrap_up).",
		}, []string{"state"}),
		agentsStatus: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_agents_status",
			Help: "Agents by status (logged_out, available, available_on_demand, on_break).",
		}, []string{"status"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_attempts_total",
			Help: "Outbound call attempts by outcome.",
		}, []string{"outcome"}),
		state:  make(map[string]string),
		status: make(map[string]string),
	}
	for _, c := range []prometheus.Collector{m.queueCalls, m.queueWait, m.agentsState, m.agentsStatus, m.attempts} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Sink takes a batch of events (its signature fits bus.SinkFunc).
func (m *Metrics) Sink(_ context.Context, events []event.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range events {
		m.observe(e)
	}
	return nil
}

// Publish takes events directly from an engine (event.Publisher).
func (m *Metrics) Publish(events ...event.Event) { _ = m.Sink(context.Background(), events) }

func (m *Metrics) observe(e event.Event) {
	switch e.Type {
	case event.CallerBridged:
		m.queueCalls.WithLabelValues(e.Queue, "answered").Inc()
		m.queueWait.WithLabelValues(e.Queue).Observe(float64(e.DurationMS) / 1000)
	case event.CallerLeft:
		if e.Reason != "completed" {
			m.queueCalls.WithLabelValues(e.Queue, e.Reason).Inc()
		}
	case event.AgentChanged:
		if _, known := m.status[e.Agent]; !known {
			m.move(m.status, m.agentsStatus, e.Agent, "logged_out")
			m.move(m.state, m.agentsState, e.Agent, "idle")
		}
	case event.AgentStatusChanged:
		m.move(m.status, m.agentsStatus, e.Agent, e.To)
	case event.AgentStateChanged:
		m.move(m.state, m.agentsState, e.Agent, e.To)
	case event.AgentRemoved:
		m.move(m.status, m.agentsStatus, e.Agent, "")
		m.move(m.state, m.agentsState, e.Agent, "")
	case event.AttemptFinished:
		m.attempts.WithLabelValues(e.Outcome).Inc()
	}
}

// move records that agent is now in value ("" for gone) and updates the gauge.
func (m *Metrics) move(current map[string]string, gauge *prometheus.GaugeVec, agent, value string) {
	if old, ok := current[agent]; ok {
		gauge.WithLabelValues(old).Dec()
	}
	if value == "" {
		delete(current, agent)
		return
	}
	current[agent] = value
	gauge.WithLabelValues(value).Inc()
}
