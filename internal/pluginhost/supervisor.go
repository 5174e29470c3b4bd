package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// supervisor is the goroutine that owns one plugin's process: it starts it,
// watches it and restarts it. Requests read the running plugin through cur
// (nil while down) and report a lost connection through suspect.
type supervisor struct {
	name, path string
	cfg        *Config
	log        *slog.Logger

	cur     atomic.Pointer[running]
	info    atomic.Pointer[dialect.Info] // the last one a start reported
	suspect chan struct{}
	ready   chan struct{}
	once    sync.Once

	mu sync.Mutex // guards st, written only by run
	st Status
}

// running is one started plugin process.
type running struct {
	client  *plugin.Client
	rpc     *plugin.GRPCClient
	handler dialect.Handler
	host    dialect.Host
	info    dialect.Info
	pid     int
}

func newSupervisor(name, path string, cfg *Config) *supervisor {
	return &supervisor{name: name, path: path, cfg: cfg, log: cfg.Logger.With("dialect", name),
		suspect: make(chan struct{}, 1), ready: make(chan struct{}), st: Status{Dialect: name, Path: path}}
}

// newBuiltin mounts an in-process dialect: always up, nothing to supervise.
func newBuiltin(ctx context.Context, name string, d dialect.Dialect, cfg *Config) (*supervisor, error) {
	s := newSupervisor(name, "builtin", cfg)
	info, err := d.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("builtin dialect %s: %w", name, err)
	}
	if err := info.Validate(); err != nil {
		return nil, fmt.Errorf("builtin dialect %s: %w", name, err)
	}
	if info.RoutePrefix != name {
		return nil, fmt.Errorf("builtin dialect %s: route_prefix %q must equal its name", name, info.RoutePrefix)
	}
	s.info.Store(&info)
	host, err := cfg.hostFor(name)
	if err != nil {
		return nil, err
	}
	s.cur.Store(&running{handler: dialect.Bind(d, host), host: host, info: info})
	s.st.Up, s.st.Starts = true, 1
	close(s.ready)
	return s, nil
}

func (s *supervisor) current() *running { return s.cur.Load() }

func (s *supervisor) status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if i := s.info.Load(); i != nil {
		st.Info = *i
	}
	return st
}

func (s *supervisor) update(f func(*Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.st)
}

// lost reports whether err from a call to r means the plugin process is
// gone or unreachable; if so it asks run to check the plugin at once.
func (s *supervisor) lost(r *running, err error) bool {
	if r.client == nil { // built in: never lost
		return false
	}
	if !errors.Is(err, dialect.ErrUnavailable) && !r.client.Exited() {
		return false
	}
	select {
	case s.suspect <- struct{}{}:
	default:
	}
	return true
}

func (s *supervisor) run(ctx context.Context) {
	backoff := s.cfg.MinBackoff
	for {
		select { // a stale suspicion is about a process that is gone
		case <-s.suspect:
		default:
		}
		r, err := s.start(ctx)
		if err == nil {
			started := s.cfg.Clock.Now()
			s.cur.Store(r)
			s.update(func(st *Status) { st.Up, st.PID = true, r.pid; st.Starts++ })
			s.cfg.Metrics.PluginStarted(s.name)
			s.once.Do(func() { close(s.ready) })
			s.log.Info("dialect plugin started", "pid", r.pid)
			reason := s.watch(ctx, r)
			s.cur.Store(nil)
			if ctx.Err() == nil && r.pid > 0 {
				// A hung plugin would never answer go-plugin's graceful
				// shutdown; a crashed one is gone already.
				if p, err := os.FindProcess(r.pid); err == nil {
					_ = p.Kill()
				}
			}
			r.client.Kill()
			s.update(func(st *Status) { st.Up, st.PID, st.LastError = false, 0, reason })
			if ctx.Err() != nil {
				return
			}
			if s.cfg.Clock.Now().Sub(started) >= s.cfg.StableAfter {
				backoff = s.cfg.MinBackoff
			}
			s.log.Warn("dialect plugin stopped; restarting", "reason", reason, "backoff", backoff)
		} else {
			if ctx.Err() != nil {
				return
			}
			s.update(func(st *Status) { st.LastError = err.Error() })
			s.log.Error("dialect plugin failed to start", "err", err, "backoff", backoff)
		}
		if !s.cfg.sleep(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, s.cfg.MaxBackoff)
		s.update(func(st *Status) { st.Restarts++ })
		s.cfg.Metrics.PluginRestarted(s.name)
	}
}

func (s *supervisor) start(ctx context.Context) (*running, error) {
	host, err := s.cfg.hostFor(s.name)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.path)
	cmd.Env = s.cfg.pluginEnv()
	logw := &logWriter{log: s.log}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  dialect.Handshake,
		Plugins:          plugin.PluginSet{dialect.PluginName: &dialect.Plugin{Host: host}},
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     s.cfg.StartTimeout,
		GRPCDialOptions:  dialect.GRPCDialOptions(),
		Logger: hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: logw, Level: hclog.Info,
			JSONFormat: true, DisableTime: true}),
	})
	fail := func(step string, err error) (*running, error) {
		client.Kill()
		return nil, fmt.Errorf("%s %s: %w", step, s.path, err)
	}
	proto, err := client.Client()
	if err != nil {
		return fail("start", err)
	}
	rpc, ok := proto.(*plugin.GRPCClient)
	if !ok {
		return fail("start", fmt.Errorf("plugin speaks %T, not gRPC", proto))
	}
	raw, err := rpc.Dispense(dialect.PluginName)
	if err != nil {
		return fail("dispense", err)
	}
	h, ok := raw.(*dialect.GRPCClient)
	if !ok {
		return fail("dispense", fmt.Errorf("unexpected plugin type %T", raw))
	}
	ictx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	info, err := h.Info(ictx)
	if err != nil {
		return fail("describe", err)
	}
	if err := info.Validate(); err != nil {
		return fail("describe", err)
	}
	if info.RoutePrefix != s.name {
		return fail("describe", fmt.Errorf("route_prefix %q must equal the binary's name %q", info.RoutePrefix, s.name))
	}
	s.info.Store(&info)
	pid := 0
	if rc := client.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	return &running{client: client, rpc: rpc, handler: h, host: host, info: info, pid: pid}, nil
}

// watch returns why r must be restarted, or "stopped" when ctx ends.
func (s *supervisor) watch(ctx context.Context, r *running) string {
	health := grpc_health_v1.NewHealthClient(r.rpc.Conn)
	for {
		t := s.cfg.Clock.NewTimer(s.cfg.HealthInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return "stopped"
		case <-s.suspect:
			t.Stop()
		case <-t.C():
		}
		if r.client.Exited() {
			return "the plugin process exited"
		}
		pctx, cancel := context.WithTimeout(ctx, s.cfg.PingTimeout)
		_, err := health.Check(pctx, &grpc_health_v1.HealthCheckRequest{Service: plugin.GRPCServiceName})
		cancel()
		if ctx.Err() != nil {
			return "stopped"
		}
		if err != nil {
			return "health check failed: " + err.Error()
		}
	}
}

// logWriter turns go-plugin's log lines (JSON, one per line: go-plugin
// relays the plugin's own log and stderr, a panic included, through it) into
// slog records at their level.
type logWriter struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

var _ io.Writer = (*logWriter)(nil)

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(bytes.TrimSpace(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a line that never ends
		w.line(w.buf)
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

func (w *logWriter) line(line []byte) {
	if len(line) == 0 {
		return
	}
	var entry map[string]any
	if err := json.Unmarshal(line, &entry); err != nil {
		w.log.Warn("dialect plugin: " + string(line))
		return
	}
	level := slog.LevelInfo
	switch entry["@level"] {
	case "trace", "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	msg, _ := entry["@message"].(string)
	attrs := make([]any, 0, 2*len(entry))
	for k, v := range entry {
		if !strings.HasPrefix(k, "@") {
			attrs = append(attrs, k, v)
		}
	}
	if mod, ok := entry["@module"].(string); ok {
		attrs = append(attrs, "module", mod)
	}
	w.log.Log(context.Background(), level, "dialect plugin: "+msg, attrs...)
}
