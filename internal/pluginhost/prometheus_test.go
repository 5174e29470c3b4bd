package pluginhost_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-cc/switchboard/internal/pluginhost"
)

func TestPrometheusMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := pluginhost.NewPrometheusMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.PluginStarted("udesk")
	m.PluginStarted("udesk")
	m.PluginRestarted("udesk")
	m.RequestUnavailable("ringme")
	n, err := testutil.GatherAndCount(reg)
	if err != nil || n != 3 {
		t.Errorf("%d series, %v; want 3", n, err)
	}
	for _, c := range []struct {
		metric, dialect string
		want            float64
	}{
		{"switchboard_plugin_starts_total", "udesk", 2},
		{"switchboard_plugin_restarts_total", "udesk", 1},
		{"switchboard_plugin_unavailable_total", "ringme", 1},
	} {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var got float64 = -1
		for _, mf := range mfs {
			if mf.GetName() != c.metric {
				continue
			}
			for _, s := range mf.GetMetric() {
				if s.GetLabel()[0].GetValue() == c.dialect {
					got = s.GetCounter().GetValue()
				}
			}
		}
		if got != c.want {
			t.Errorf("%s{dialect=%q} = %v, want %v", c.metric, c.dialect, got, c.want)
		}
	}
	if _, err := pluginhost.NewPrometheusMetrics(reg); err == nil {
		t.Error("registering twice on one registry is not an error")
	}
}
