// Package pluginhost runs the dialect plugins: it finds them in a
// directory, starts each as a hashicorp/go-plugin process (gRPC, AutoMTLS),
// serves them the host API, pings them, restarts a crashed or hung one with
// backoff, and stops them all on Close. Manager is the http.Handler the
// server mounts at /: it routes /{dialect}/… to the plugin, serves
// /{dialect}/openapi.json, and answers 503 with a JSON body while a plugin
// is down.
package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Manager owns the plugin processes of one directory.
type Manager struct {
	cfg     Config
	plugins map[string]*supervisor
	names   []string
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	close   sync.Once
}

// Status is a snapshot of one plugin.
type Status struct {
	Dialect string
	Path    string
	Up      bool
	PID     int
	// Starts counts successful starts; Restarts counts restarts.
	Starts, Restarts int
	// LastError is why the plugin last stopped or failed to start (kept
	// after a successful restart, for operators).
	LastError string
	Info      dialect.Info
}

// ErrUnknownDialect: no plugin serves that name.
var ErrUnknownDialect = errors.New("unknown dialect")

// ErrDialectDown: the dialect's plugin is not running now.
var ErrDialectDown = errors.New("dialect plugin is not running")

// New finds the plugins in cfg.Dir and starts them in the background; use
// WaitReady to wait for them. Close stops them.
func New(cfg Config) (*Manager, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("plugin host: %w", err)
	}
	paths, err := Discover(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("plugin host: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{cfg: cfg, plugins: map[string]*supervisor{}, cancel: cancel}
	for name, path := range paths {
		s := newSupervisor(name, path, &m.cfg)
		m.plugins[name] = s
		m.names = append(m.names, name)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			s.run(ctx)
		}()
	}
	for name, d := range cfg.Builtin {
		if _, dup := m.plugins[name]; dup {
			cancel()
			m.wg.Wait()
			return nil, fmt.Errorf("plugin host: dialect %q is both built in and a plugin in %s", name, cfg.Dir)
		}
		s, err := newBuiltin(ctx, name, d, &m.cfg)
		if err != nil {
			cancel()
			m.wg.Wait()
			return nil, fmt.Errorf("plugin host: %w", err)
		}
		m.plugins[name] = s
		m.names = append(m.names, name)
	}
	slices.Sort(m.names)
	return m, nil
}

// Discover lists the plugin binaries of dir by dialect name: executable
// regular files whose name is a valid route prefix (hidden files skipped).
func Discover(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read plugin dir: %w", err)
	}
	out := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		if name[0] == '.' || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || fi.Mode()&0o111 == 0 {
			continue
		}
		if err := (dialect.Info{Name: name, RoutePrefix: name, AuthScheme: "x"}).Validate(); err != nil {
			continue
		}
		out[name] = filepath.Join(dir, name)
	}
	return out, nil
}

// Dialects lists the discovered dialect names, sorted.
func (m *Manager) Dialects() []string { return slices.Clone(m.names) }

// Status reports every plugin, by name.
func (m *Manager) Status() []Status {
	out := make([]Status, 0, len(m.names))
	for _, n := range m.names {
		out = append(out, m.plugins[n].status())
	}
	return out
}

// Check reports, for a readiness probe, whether every plugin is running:
// an error names the ones that are not, with why.
func (m *Manager) Check(context.Context) error {
	var down []string
	for _, st := range m.Status() {
		if !st.Up {
			why := st.LastError
			if why == "" {
				why = "starting"
			}
			down = append(down, fmt.Sprintf("%s (%s)", st.Dialect, why))
		}
	}
	if len(down) > 0 {
		return fmt.Errorf("dialect plugins down: %s", strings.Join(down, "; "))
	}
	return nil
}

// WaitReady waits until every plugin has started once, or ctx ends.
func (m *Manager) WaitReady(ctx context.Context) error {
	for _, n := range m.names {
		select {
		case <-m.plugins[n].ready:
		case <-ctx.Done():
			st := m.plugins[n].status()
			return fmt.Errorf("plugin %s not ready (last error: %s): %w", n, st.LastError, ctx.Err())
		}
	}
	return nil
}

// Render asks a dialect to render an event for a subscription (the webhook
// sink calls it). It fails with ErrUnknownDialect or ErrDialectDown.
func (m *Manager) Render(ctx context.Context, name string, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	s, ok := m.plugins[name]
	if !ok {
		return nil, fmt.Errorf("render %s: %w", name, ErrUnknownDialect)
	}
	r := s.current()
	if r == nil {
		return nil, fmt.Errorf("render %s: %w", name, ErrDialectDown)
	}
	ws, err := r.handler.RenderEvent(ctx, ev, sub)
	if err != nil {
		if s.lost(r, err) {
			return nil, fmt.Errorf("render %s: %w: %w", name, ErrDialectDown, err)
		}
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return ws, nil
}

// Close stops every plugin and waits until their processes have exited.
func (m *Manager) Close() error {
	m.close.Do(func() {
		m.cancel()
		m.wg.Wait()
	})
	return nil
}

// sleep waits d on the configured clock, or until ctx ends.
func (m *Config) sleep(ctx context.Context, d time.Duration) bool {
	t := m.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}
