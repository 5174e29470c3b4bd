package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/internal/pluginhost"
	"github.com/switchboard-cc/switchboard/internal/server"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// pluginAccounts names the accounts a plugin is served when they are not
// its own dialect's: the example dialect has no accounts of its own
// (internal/accounts provisions the four vendors) and reads a bearer token
// shaped like zxycall's provisioned "key.secret", so zxycall's tenants use
// it. Every other plugin sees only the accounts of its own name.
var pluginAccounts = map[string]string{"example": "zxycall"}

// newPlugins starts the dialect plugins of cfg.PluginsDir, each served the
// host API of its dialect's accounts, and adds their routes (/{name}/…)
// and readiness check. Without the directory no dialect is served.
func (s *Service) newPlugins(reg prometheus.Registerer, mounts map[string]http.Handler, checks *[]server.Check) error {
	dir := s.cfg.PluginsDir
	if dir == "" {
		s.log.Info("no --plugins-dir: dialect plugins are not served")
		return nil
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Info("the plugin directory does not exist: dialect plugins are not served", "plugins_dir", dir)
		return nil
	}
	if err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("plugins: --plugins-dir %s is not a directory", dir)
	}
	metrics, err := pluginhost.NewPrometheusMetrics(reg)
	if err != nil {
		return err
	}
	s.plugins, err = pluginhost.New(pluginhost.Config{
		Dir:        dir,
		HostFor:    func(name string) (dialect.Host, error) { return s.HostAPI(name), nil },
		Env:        s.cfg.PluginEnv,
		GOMAXPROCS: pluginProcs(s.cfg.PluginGOMAXPROCS),
		Logger:     s.log.With("component", "plugins"),
		Metrics:    metrics,
	})
	if err != nil {
		return err
	}
	names := s.plugins.Dialects()
	for _, name := range names {
		mounts["/"+name+"/"] = s.plugins
	}
	*checks = append(*checks, server.Check{Name: "plugins", Check: s.plugins.Check})
	s.log.Info("dialect plugins starting", "plugins_dir", dir, "dialects", names)
	return nil
}

// pluginRenderer lets the webhook sender render the subscriptions dialect
// plugins own. A plugin that is down (restarting) makes the render wait
// for a later try rather than lose the event.
type pluginRenderer struct{ s *Service }

var _ webhook.DialectRenderer = pluginRenderer{}

// Render implements webhook.DialectRenderer.
func (r pluginRenderer) Render(ctx context.Context, name string, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	if r.s.plugins == nil {
		return nil, fmt.Errorf("render %s: %w", name, pluginhost.ErrUnknownDialect)
	}
	ws, err := r.s.plugins.Render(ctx, name, ev, sub)
	if errors.Is(err, pluginhost.ErrDialectDown) {
		return nil, fmt.Errorf("%w: %w", webhook.ErrRenderLater, err)
	}
	return ws, err
}

// Has implements webhook.DialectRenderer.
func (r pluginRenderer) Has(name string) bool {
	return r.s.plugins != nil && slices.Contains(r.s.plugins.Dialects(), name)
}

// pluginProcs maps --plugin-gomaxprocs (0: Go's default) onto the plugin
// host's setting (negative: Go's default).
func pluginProcs(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
