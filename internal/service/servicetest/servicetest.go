// Package servicetest starts the real service for tests of what runs
// behind it, above all the dialect plugins' conformance tests.
package servicetest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/config"
	"github.com/switchboard-cc/switchboard/internal/service"
)

// Running is a service started by WithPlugin.
type Running struct {
	*service.Service
	// Ctx is the service's context; it ends when the service stops.
	Ctx context.Context
	// Stop stops the service once and reports Run's error to the test; the
	// test's cleanup calls it too.
	Stop func()
}

// Option changes how WithPlugin runs the service.
type Option func(*config.Config, *service.Options)

// Speed runs the emulator's clock (and the ACD's and dialer's) factor
// times faster than the wall, so calls that take seconds take
// milliseconds.
func Speed(factor float64) Option {
	return func(_ *config.Config, o *service.Options) { o.EmulatorSpeed = factor }
}

// Resolve has webhook hosts resolve to fixed addresses when a subscription
// is stored ("example.com" → "93.184.215.14"), for seeds whose examples name
// hosts this machine cannot resolve. Other names fail to resolve.
func Resolve(hosts map[string]string) Option {
	return func(_ *config.Config, o *service.Options) { o.WebhookResolver = staticResolver(hosts) }
}

type staticResolver map[string]string

func (r staticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	a, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host (servicetest.Resolve)", Name: host, IsNotFound: true}
	}
	addr, err := netip.ParseAddr(a)
	if err != nil {
		return nil, fmt.Errorf("servicetest.Resolve: %s: %w", host, err)
	}
	return []netip.Addr{addr}, nil
}

// Configure changes the service's configuration before it starts.
func Configure(f func(*config.Config)) Option {
	return func(c *config.Config, _ *service.Options) { f(c) }
}

// WithPlugin builds plugins/<name> into a plugin directory, runs the service
// with it (SQLite in a temp dir, the built-in Asterisk emulator, the real
// host API) and waits until /readyz reports the plugin running.
func WithPlugin(t testing.TB, name string, opts ...Option) *Running {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, name), "github.com/switchboard-cc/switchboard/plugins/"+name)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the %s plugin: %v\n%s", name, err, out)
	}
	cfg := config.Defaults()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.PluginsDir = dir
	so := service.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg, &so)
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := service.New(ctx, cfg, so)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("service did not stop within 15 s")
			}
		})
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(svc.URL() + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(b), "plugins") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service with the %s plugin was not ready in 20 s: %v", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &Running{Service: svc, Ctx: ctx, Stop: stop}
}
