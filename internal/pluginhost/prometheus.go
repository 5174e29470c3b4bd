package pluginhost

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// PrometheusMetrics counts plugin starts, restarts and 503s in Prometheus
// counters labelled by dialect, registered on the registry it is given.
type PrometheusMetrics struct {
	starts, restarts, unavailable *prometheus.CounterVec
}

var _ Metrics = (*PrometheusMetrics)(nil)

// NewPrometheusMetrics registers the counters on reg.
func NewPrometheusMetrics(reg prometheus.Registerer) (*PrometheusMetrics, error) {
	m := &PrometheusMetrics{
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_plugin_starts_total",
			Help: "Dialect plugin processes started, the first time and after each restart."}, []string{"dialect"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_plugin_restarts_total",
			Help: "Dialect plugin restarts after a crash, a failed health check or a failed start."}, []string{"dialect"}),
		unavailable: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_plugin_unavailable_total",
			Help: "Requests answered 503 because their dialect plugin was down."}, []string{"dialect"}),
	}
	for _, c := range []prometheus.Collector{m.starts, m.restarts, m.unavailable} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("plugin metrics: %w", err)
		}
	}
	return m, nil
}

// PluginStarted counts a start.
func (m *PrometheusMetrics) PluginStarted(d string) { m.starts.WithLabelValues(d).Inc() }

// PluginRestarted counts a restart.
func (m *PrometheusMetrics) PluginRestarted(d string) { m.restarts.WithLabelValues(d).Inc() }

// RequestUnavailable counts a 503.
func (m *PrometheusMetrics) RequestUnavailable(d string) { m.unavailable.WithLabelValues(d).Inc() }
