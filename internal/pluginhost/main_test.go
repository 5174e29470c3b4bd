package pluginhost_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/pluginhost"
	"github.com/switchboard-cc/switchboard/internal/pluginhost/pluginhosttest"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// exampleBin is the example plugin, built once by TestMain.
var exampleBin string

// helperEnv makes the test binary a bare host for TestHostCrashLeavesNoOrphan:
// it runs a Manager over the directory named there, prints the plugin's pid
// and waits to be killed.
const helperEnv = "PLUGINHOST_TEST_HELPER_DIR"

func runHelper(dir string) {
	h := newTestHost(nil)
	m, err := pluginhost.New(pluginhost.Config{Dir: dir, Host: h, Logger: quietLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.WaitReady(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(m.Status()[0].PID)
	select {}
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		runHelper(dir)
	}
	if sock := os.Getenv(echoSockEnv); sock != "" {
		runEcho(sock)
	}
	dir, err := os.MkdirTemp("", "pluginhost-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	exampleBin = filepath.Join(dir, "example")
	cmd := exec.Command("go", "build", "-o", exampleBin, "github.com/switchboard-cc/switchboard/plugins/example")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the example plugin:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// pluginDir returns a fresh directory holding the example plugin under each
// of names (hard links or copies of the one binary).
func pluginDir(t testing.TB, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.Link(exampleBin, filepath.Join(dir, n)); err != nil {
			b, rerr := os.ReadFile(exampleBin)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// counters is a Metrics that counts.
type counters struct {
	mu                              sync.Mutex
	started, restarted, unavailable map[string]int
}

func newCounters() *counters {
	return &counters{started: map[string]int{}, restarted: map[string]int{}, unavailable: map[string]int{}}
}

func (c *counters) PluginStarted(d string)      { c.mu.Lock(); c.started[d]++; c.mu.Unlock() }
func (c *counters) PluginRestarted(d string)    { c.mu.Lock(); c.restarted[d]++; c.mu.Unlock() }
func (c *counters) RequestUnavailable(d string) { c.mu.Lock(); c.unavailable[d]++; c.mu.Unlock() }
func (c *counters) get(m map[string]int, d string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m[d]
}

const (
	tokenA = "token-a"
	tokenB = "token-b"
)

func newTestHost(before func(context.Context, string) error) *pluginhosttest.Host {
	return pluginhosttest.New(pluginhosttest.Config{
		Credentials: []pluginhosttest.Credential{
			{Token: tokenA, Account: dialect.Account{ID: "acc-a", DefaultRegion: "RU"}},
			{Token: tokenB, Account: dialect.Account{ID: "acc-b", DefaultRegion: "CN"}},
		},
		BeforeCall: before,
	})
}

type fixture struct {
	host    *pluginhosttest.Host
	mgr     *pluginhost.Manager
	srv     *httptest.Server
	metrics *counters
}

// quietLogger discards logs unless PLUGINHOST_TEST_LOG is set.
func quietLogger() *slog.Logger {
	if os.Getenv("PLUGINHOST_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// start runs a Manager over dir behind a real HTTP server.
func start(t testing.TB, dir string, before func(context.Context, string) error, tweak func(*pluginhost.Config)) *fixture {
	t.Helper()
	f := &fixture{host: newTestHost(before), metrics: newCounters()}
	cfg := pluginhost.Config{Dir: dir, Host: f.host, Metrics: f.metrics, Logger: quietLogger(),
		HealthInterval: 200 * time.Millisecond, PingTimeout: 3 * time.Second, MinBackoff: 50 * time.Millisecond,
		MaxBackoff: 500 * time.Millisecond}
	if tweak != nil {
		tweak(&cfg)
	}
	m, err := pluginhost.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.mgr = m
	f.srv = httptest.NewServer(m)
	t.Cleanup(func() {
		f.srv.Close()
		_ = m.Close()
		f.host.Close()
	})
	return f
}

func (f *fixture) ready(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.mgr.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) do(t testing.TB, method, path, token, body string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}
