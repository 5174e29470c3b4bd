package pluginhost_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/pluginhost"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/plugins/example/exampledialect"
)

type errBody struct {
	Error   string `json:"error"`
	Dialect string `json:"dialect"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return v
}

func TestRequestsRoundTripThroughThePlugin(t *testing.T) {
	f := start(t, pluginDir(t, "example"), nil, nil)
	f.ready(t)

	code, _, body := f.do(t, "PUT", "/example/queues/sales", tokenA, `{"strategy":"ring-all","max_wait_time":60}`)
	if code != 204 {
		t.Fatalf("PUT queue: %d %s", code, body)
	}
	// A caller waits in the queue (straight into the account's ACD engine).
	eng, err := f.host.Engine("acc-a")
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Do(context.Background(), acd.Join{Queue: "sales", Caller: "call-1", Number: "89215650644"}); err != nil {
		t.Fatal(err)
	}

	code, hdr, body := f.do(t, "GET", "/example/queues/sales/status", tokenA, "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("GET status: %d %s %s", code, hdr.Get("Content-Type"), body)
	}
	st := decode[exampledialect.QueueStatus](t, body)
	if st != (exampledialect.QueueStatus{Queue: "sales", Waiting: 1}) {
		t.Errorf("status = %+v, want one waiting caller in sales", st)
	}
	q, err := f.host.GetQueue(context.Background(), "acc-a", "sales")
	if err != nil || q.Strategy != acd.RingAll || q.MaxWaitTime != time.Minute {
		t.Errorf("stored queue = %+v, %v", q, err)
	}

	cases := []struct {
		name, method, path, token, body string
		code                            int
		errCode, field                  string
	}{
		{"no token", "GET", "/example/queues/sales/status", "", "", 401, "unauthorized", ""},
		{"bad token", "GET", "/example/queues/sales/status", "nope", "", 401, "unauthorized", ""},
		{"unknown queue", "GET", "/example/queues/none/status", tokenA, "", 404, "not_found", ""},
		{"another tenant's queue", "GET", "/example/queues/sales/status", tokenB, "", 404, "not_found", ""},
		{"bad strategy crosses both hops", "PUT", "/example/queues/q2", tokenA, `{"strategy":"bogus"}`, 400, "bad_request", "strategy"},
		{"bad json", "PUT", "/example/queues/q2", tokenA, `{`, 400, "bad_request", "body"},
		{"wrong method", "POST", "/example/queues/sales/status", tokenA, "", 405, "method_not_allowed", ""},
		{"unknown endpoint", "GET", "/example/nothing", tokenA, "", 404, "not_found", ""},
		{"unknown dialect", "GET", "/udesk/open_api_v1/x", tokenA, "", 404, "unknown_dialect", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, body := f.do(t, c.method, c.path, c.token, c.body)
			eb := decode[errBody](t, body)
			if code != c.code || eb.Error != c.errCode || eb.Field != c.field {
				t.Errorf("%s %s: %d %+v; want %d %s field %q", c.method, c.path, code, eb, c.code, c.errCode, c.field)
			}
		})
	}

	code, _, body = f.do(t, "GET", "/example/openapi.json", "", "")
	doc := decode[map[string]any](t, body)
	if code != 200 || doc["openapi"] != "3.0.3" || doc["paths"].(map[string]any)["/queues/{id}/status"] == nil {
		t.Errorf("openapi.json: %d %.100s", code, body)
	}
	st0 := f.mgr.Status()
	if len(st0) != 1 || !st0[0].Up || st0[0].PID == 0 || st0[0].Info.AuthScheme != dialect.AuthBearer {
		t.Errorf("status = %+v", st0)
	}
	if err := f.mgr.Check(context.Background()); err != nil {
		t.Errorf("readiness check with every plugin up: %v", err)
	}
}

func TestRenderEventThroughThePlugin(t *testing.T) {
	f := start(t, pluginDir(t, "example"), nil, nil)
	f.ready(t)
	at := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	ev := event.Event{Type: event.AgentStatusChanged, At: at, Tenant: "acc-a", Agent: "a1", From: "logged_out", To: "available"}
	sub := dialect.Subscription{ID: "s1", Account: "acc-a", URL: "https://hooks.example.net/x", Events: []string{string(event.AgentStatusChanged)}}
	ws, err := f.mgr.Render(context.Background(), "example", ev, sub)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"agent.status_changed","at":"2026-05-01T09:30:00Z","account":"acc-a","agent":"a1","from":"logged_out","to":"available"}`
	if len(ws) != 1 || ws[0].Method != "POST" || ws[0].URL != sub.URL || ws[0].ContentType != "application/json" || string(ws[0].Body) != want {
		t.Fatalf("webhooks = %+v", ws)
	}
	ev.Type = event.CallerJoined
	if ws, err := f.mgr.Render(context.Background(), "example", ev, sub); err != nil || len(ws) != 0 {
		t.Errorf("an event the subscription does not list: %v %v", ws, err)
	}
	if _, err := f.mgr.Render(context.Background(), "nope", ev, sub); !errors.Is(err, pluginhost.ErrUnknownDialect) {
		t.Errorf("unknown dialect: %v", err)
	}
}

// alive reports whether pid runs (a zombie waiting for its reaper counts
// as dead).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	return !strings.HasPrefix(rest, "Z")
}

// children lists the live child processes of this test binary.
func children(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc:", err)
	}
	var out []int
	me := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so cut after ')'.
		rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
		fields := strings.Fields(rest)
		if len(fields) > 1 && fields[1] == strconv.Itoa(me) && fields[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCrashMidRequestGives503ThenRestarts(t *testing.T) {
	var hold atomic.Bool
	entered := make(chan struct{}, 1)
	before := func(ctx context.Context, method string) error {
		if method == "QueueStatus" && hold.Load() {
			entered <- struct{}{}
			<-ctx.Done() // until the plugin's connection goes away
			return ctx.Err()
		}
		return nil
	}
	f := start(t, pluginDir(t, "example"), before, nil)
	f.ready(t)
	if code, _, body := f.do(t, "PUT", "/example/queues/sales", tokenA, `{}`); code != 204 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	pid := f.mgr.Status()[0].PID

	hold.Store(true)
	type result struct {
		code int
		body string
	}
	done := make(chan result, 1)
	go func() {
		code, _, body := f.do(t, "GET", "/example/queues/sales/status", tokenA, "")
		done <- result{code, body}
	}()
	select {
	case <-entered: // the plugin is inside the request, calling the host API
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the host API")
	}
	hold.Store(false)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r := <-done
	eb := decode[errBody](t, r.body)
	if r.code != 503 || eb.Error != "dialect_unavailable" || eb.Dialect != "example" || !strings.Contains(eb.Message, "retry") {
		t.Fatalf("mid-request crash: %d %s; want a 503 dialect_unavailable JSON body", r.code, r.body)
	}

	waitFor(t, "the plugin to come back", 15*time.Second, func() bool {
		st := f.mgr.Status()[0]
		return st.Up && st.PID != pid
	})
	code, _, body := f.do(t, "GET", "/example/queues/sales/status", tokenA, "")
	if code != 200 || decode[exampledialect.QueueStatus](t, body).Queue != "sales" {
		t.Fatalf("after the restart: %d %s (the queue stored before the crash must still be there)", code, body)
	}
	if alive(pid) {
		t.Errorf("the killed plugin %d is still alive", pid)
	}
	st := f.mgr.Status()[0]
	if st.Restarts < 1 || st.Starts < 2 || f.metrics.get(f.metrics.restarted, "example") < 1 ||
		f.metrics.get(f.metrics.unavailable, "example") < 1 {
		t.Errorf("status %+v, restarted metric %d, unavailable metric %d", st,
			f.metrics.get(f.metrics.restarted, "example"), f.metrics.get(f.metrics.unavailable, "example"))
	}
}

func TestHungPluginIsRestarted(t *testing.T) {
	f := start(t, pluginDir(t, "example"), nil, func(c *pluginhost.Config) { c.PingTimeout = 500 * time.Millisecond })
	f.ready(t)
	pid := f.mgr.Status()[0].PID
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	waitFor(t, "the hung plugin to be replaced", 15*time.Second, func() bool {
		st := f.mgr.Status()[0]
		return st.Up && st.PID != pid
	})
	if st := f.mgr.Status()[0]; !strings.Contains(st.LastError, "health check failed") || f.metrics.get(f.metrics.restarted, "example") < 1 {
		t.Errorf("status %+v", f.mgr.Status()[0])
	}
	waitFor(t, "the hung plugin to be killed", 5*time.Second, func() bool { return !alive(pid) })
	if code, _, body := f.do(t, "GET", "/example/queues/none/status", tokenA, ""); code != 404 {
		t.Errorf("after the restart: %d %s", code, body)
	}
}

func TestCloseLeavesNoOrphanProcess(t *testing.T) {
	f := start(t, pluginDir(t, "example", "example-copy"), nil, nil)
	// example-copy declares route prefix "example": it never starts, and
	// keeps being retried (a process spawned and killed each time) while
	// the test runs.
	waitFor(t, "example to start", 20*time.Second, func() bool { return f.mgr.Status()[0].Up })
	seen := map[int]bool{f.mgr.Status()[0].PID: true}
	// Restart once, so a replaced process is checked too.
	_ = syscall.Kill(f.mgr.Status()[0].PID, syscall.SIGKILL)
	waitFor(t, "the restart", 15*time.Second, func() bool {
		st := f.mgr.Status()[0]
		return st.Up && !seen[st.PID]
	})
	seen[f.mgr.Status()[0].PID] = true
	if len(children(t)) == 0 {
		t.Fatal("no plugin child process seen before Close")
	}
	if err := f.mgr.Close(); err != nil {
		t.Fatal(err)
	}
	for pid := range seen {
		if alive(pid) {
			t.Errorf("plugin pid %d alive after Close", pid)
		}
	}
	if kids := children(t); len(kids) > 0 {
		t.Errorf("child processes alive after Close: %v", kids)
	}
	for _, st := range f.mgr.Status() {
		if st.Up {
			t.Errorf("%s still up after Close", st.Dialect)
		}
	}
}

func TestMisnamedPluginIsReportedAnd503(t *testing.T) {
	f := start(t, pluginDir(t, "other"), nil, nil)
	waitFor(t, "a failed start", 15*time.Second, func() bool { return f.mgr.Status()[0].LastError != "" })
	st := f.mgr.Status()[0]
	if st.Up || !strings.Contains(st.LastError, `route_prefix "example" must equal the binary's name "other"`) {
		t.Errorf("status = %+v", st)
	}
	if err := f.mgr.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "other (describe") {
		t.Errorf("readiness check: %v", err)
	}
	code, hdr, body := f.do(t, "GET", "/other/anything", tokenA, "")
	eb := decode[errBody](t, body)
	if code != 503 || eb.Error != "dialect_unavailable" || eb.Dialect != "other" || hdr.Get("Retry-After") == "" {
		t.Errorf("request to a dialect that never started: %d %s", code, body)
	}
	// Retries back off (50 ms doubling to 500 ms here): within 2 s at most
	// 50+100+200+400+500+500+500 ms of waits fit, so at most 7 restarts,
	// where a retry loop without backoff would make dozens.
	r0 := f.mgr.Status()[0].Restarts
	time.Sleep(2 * time.Second)
	if n := f.mgr.Status()[0].Restarts - r0; n < 1 || n > 7 {
		t.Errorf("%d restarts in 2 s; want between 1 and 7 with backoff", n)
	}
}

func TestDiscover(t *testing.T) {
	dir := pluginDir(t, "example", "udesk")
	for name, mode := range map[string]os.FileMode{"README.md": 0o644, ".hidden": 0o755, "bad name": 0o755} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := pluginhost.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["example"] != filepath.Join(dir, "example") || got["udesk"] == "" {
		t.Errorf("Discover = %v; want example and udesk only", got)
	}
	if _, err := pluginhost.Discover(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory is not an error")
	}
}

func TestConfigValidate(t *testing.T) {
	h := newTestHost(nil)
	defer h.Close()
	for _, c := range []struct {
		cfg  pluginhost.Config
		want string
	}{
		{pluginhost.Config{Host: h}, "dir"},
		{pluginhost.Config{Dir: t.TempDir()}, "host"},
		{pluginhost.Config{Dir: t.TempDir(), Host: h, MinBackoff: time.Second, MaxBackoff: time.Millisecond}, "max_backoff"},
		{pluginhost.Config{Dir: t.TempDir(), Host: h, MaxBodyBytes: 1 << 40}, "max_body_bytes"},
		{pluginhost.Config{Dir: t.TempDir(), Host: h, PingTimeout: -1}, "ping_timeout"},
	} {
		if _, err := pluginhost.New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v; want an error naming %s", c.cfg, err, c.want)
		}
	}
}

func TestBuiltinDialect(t *testing.T) {
	f := start(t, t.TempDir(), nil, func(c *pluginhost.Config) {
		c.Builtin = map[string]dialect.Dialect{"example": exampledialect.New()}
	})
	f.ready(t)
	if code, _, body := f.do(t, "PUT", "/example/queues/q", tokenA, `{}`); code != 204 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, _, body := f.do(t, "GET", "/example/queues/q/status", tokenA, "")
	if code != 200 || decode[exampledialect.QueueStatus](t, body).Queue != "q" {
		t.Errorf("GET: %d %s", code, body)
	}
}

func TestBodyLimit(t *testing.T) {
	f := start(t, pluginDir(t, "example"), nil, func(c *pluginhost.Config) { c.MaxBodyBytes = 16 })
	f.ready(t)
	code, _, body := f.do(t, "PUT", "/example/queues/q", tokenA, `{"strategy":"ring-all"}`)
	if eb := decode[errBody](t, body); code != 413 || eb.Error != "body_too_large" || eb.Field != "body" {
		t.Errorf("%d %s", code, body)
	}
}

// TestHostCrashLeavesNoOrphan kills a host process (this test binary in
// helper mode) with SIGKILL, so it cannot stop its plugins: the plugin must
// notice and exit by itself.
func TestHostCrashLeavesNoOrphan(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+pluginDir(t, "example"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the helper host printed no pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || !alive(pid) {
		t.Fatalf("plugin pid %q: %v", line, err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitFor(t, "the orphaned plugin to exit", 10*time.Second, func() bool { return !alive(pid) })
}

func TestHostForScopesEachDialect(t *testing.T) {
	var asked []string
	var mu sync.Mutex
	f := start(t, pluginDir(t, "example", "broken"), nil, func(c *pluginhost.Config) {
		own := c.Host
		c.Host = nil
		c.HostFor = func(name string) (dialect.Host, error) {
			mu.Lock()
			asked = append(asked, name)
			mu.Unlock()
			if name != "example" {
				return nil, errors.New("no accounts for this dialect")
			}
			return own, nil
		}
	})
	waitFor(t, "example up and broken failed", 15*time.Second, func() bool {
		st := f.mgr.Status()
		return st[0].LastError != "" && st[1].Up
	})
	if st := f.mgr.Status()[0]; st.Dialect != "broken" || !strings.Contains(st.LastError, "host API for broken: no accounts for this dialect") {
		t.Errorf("broken: %+v", st)
	}
	if code, _, body := f.do(t, "PUT", "/example/queues/q", tokenA, `{}`); code != 204 {
		t.Errorf("example: %d %s", code, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(asked, "example") || !slices.Contains(asked, "broken") {
		t.Errorf("HostFor asked for %v", asked)
	}
}

// TestHostChecksTheTokenOnce: the example declares TokenAuth, so the host
// checks a request's bearer token itself (in-process) and the plugin makes
// no Authenticate round trip of its own; a bad token is still the plugin's
// to answer, in its shape.
func TestHostChecksTheTokenOnce(t *testing.T) {
	var auths atomic.Int32
	f := start(t, pluginDir(t, "example"), func(_ context.Context, m string) error {
		if m == "Authenticate" {
			auths.Add(1)
		}
		return nil
	}, nil)
	f.ready(t)
	if code, _, body := f.do(t, "PUT", "/example/queues/q", tokenA, `{}`); code != 204 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	auths.Store(0)
	if code, _, body := f.do(t, "GET", "/example/queues/q/status", tokenA, ""); code != 200 {
		t.Fatalf("GET: %d %s", code, body)
	}
	if n := auths.Load(); n != 1 {
		t.Errorf("%d Authenticate calls for a request with a good token; want 1 (the host's)", n)
	}
	code, _, body := f.do(t, "GET", "/example/queues/q/status", "bad", "")
	if eb := decode[errBody](t, body); code != 401 || eb.Error != "unauthorized" {
		t.Errorf("bad token: %d %s", code, body)
	}
}

// TestPluginEnvironment checks what a plugin process is started with: the
// configured environment only (not the host's), and GOMAXPROCS=1 unless the
// environment sets it or the setting is negative.
func TestPluginEnvironment(t *testing.T) {
	t.Setenv("PLUGINHOST_TEST_SECRET", "host-only")
	for _, tc := range []struct {
		name  string
		env   []string
		procs int
		want  []string
		never []string
	}{
		{"default", []string{"A=1"}, 0, []string{"A=1", "GOMAXPROCS=1"}, []string{"PLUGINHOST_TEST_SECRET=host-only"}},
		{"env sets it", []string{"GOMAXPROCS=2"}, 0, []string{"GOMAXPROCS=2"}, []string{"GOMAXPROCS=1"}},
		{"configured", nil, 3, []string{"GOMAXPROCS=3"}, nil},
		{"go default", nil, -1, nil, []string{"GOMAXPROCS=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, pluginDir(t, "example"), nil, func(c *pluginhost.Config) {
				c.Env, c.GOMAXPROCS = tc.env, tc.procs
			})
			f.ready(t)
			raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", f.mgr.Status()[0].PID))
			if err != nil {
				t.Fatalf("the plugin process environment: %v", err)
			}
			env := strings.Split(string(raw), "\x00")
			procs := 0
			for _, kv := range env {
				if strings.HasPrefix(kv, "GOMAXPROCS=") {
					procs++
				}
			}
			if procs > 1 {
				t.Errorf("GOMAXPROCS set %d times: %q", procs, env)
			}
			for _, w := range tc.want {
				if !slices.Contains(env, w) {
					t.Errorf("environment lacks %s: %q", w, env)
				}
			}
			for _, n := range tc.never {
				if slices.Contains(env, n) {
					t.Errorf("environment holds %s: %q", n, env)
				}
			}
		})
	}
}
