package pluginhost

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// Config configures a Manager.
type Config struct {
	// Dir holds the plugin binaries: every executable regular file whose name
	// is a valid route prefix is a dialect mounted at /{name}/. Required.
	Dir string
	// HostFor returns the host API served to one dialect: the service scopes
	// it to that dialect's accounts, so a plugin cannot reach another
	// dialect's tenants. Host, when HostFor is nil, is served to every
	// dialect. One of the two is required.
	HostFor func(dialect string) (dialect.Host, error)
	Host    dialect.Host
	// Builtin dialects run in-process next to the plugins, mounted at
	// /{name}/ the same way (no process, no restarts). A plugin of the same
	// name in Dir is an error.
	Builtin map[string]dialect.Dialect
	// Env is the whole environment a plugin process gets (besides go-plugin's
	// own variables): plugins do not inherit the service's environment, so
	// its secrets stay out of vendor code.
	Env []string
	// GOMAXPROCS is set in each plugin process's environment unless Env
	// sets it. Default 1: a dialect spends most of a request waiting for the
	// host, and on one thread its goroutines hand work to each other without
	// waking another thread, which on a virtual machine costs more than the
	// work itself (plugin GET latency 520 → 410 µs and plugin CPU per request
	// 125 → 84 µs in BENCHMARKS.md "Dialect plugins"). Negative leaves Go's
	// default, one per core.
	GOMAXPROCS int

	Logger  *slog.Logger
	Metrics Metrics
	Clock   clock.Clock

	// HealthInterval is how often a running plugin is pinged; default 1 s.
	HealthInterval time.Duration
	// PingTimeout bounds one ping; a plugin that does not answer is
	// restarted. Default 2 s.
	PingTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before a restart; it doubles
	// after each failed start and resets once a plugin ran StableAfter.
	// Defaults 100 ms, 30 s, 1 min.
	MinBackoff, MaxBackoff, StableAfter time.Duration
	// StartTimeout bounds a plugin's start and handshake; default 10 s.
	StartTimeout time.Duration
	// RequestTimeout bounds one request through a plugin; default 30 s.
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a request body; default 8 MiB, at most
	// dialect.MaxMessageBytes/2.
	MaxBodyBytes int64
}

// hostFor is the host API of one dialect.
func (c *Config) hostFor(name string) (dialect.Host, error) {
	if c.HostFor == nil {
		return c.Host, nil
	}
	h, err := c.HostFor(name)
	if err != nil {
		return nil, fmt.Errorf("host API for %s: %w", name, err)
	}
	if h == nil {
		return nil, fmt.Errorf("host API for %s: host_for returned nil", name)
	}
	return h, nil
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.HealthInterval, time.Second)
	def(&c.PingTimeout, 2*time.Second)
	def(&c.MinBackoff, 100*time.Millisecond)
	def(&c.MaxBackoff, 30*time.Second)
	def(&c.StableAfter, time.Minute)
	def(&c.StartTimeout, 10*time.Second)
	def(&c.RequestTimeout, 30*time.Second)
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 8 << 20
	}
	if c.GOMAXPROCS == 0 {
		c.GOMAXPROCS = 1
	}
}

// pluginEnv is the environment of a plugin process.
func (c *Config) pluginEnv() []string {
	env := slices.Clone(c.Env)
	if c.GOMAXPROCS < 0 || slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GOMAXPROCS=") }) {
		return env
	}
	return append(env, "GOMAXPROCS="+strconv.Itoa(c.GOMAXPROCS))
}

// Validate reports the first field that is wrong.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("dir: is required")
	}
	if c.Host == nil && c.HostFor == nil {
		return errors.New("host: is required (or host_for)")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"health_interval", c.HealthInterval}, {"ping_timeout", c.PingTimeout}, {"min_backoff", c.MinBackoff},
		{"max_backoff", c.MaxBackoff}, {"stable_after", c.StableAfter}, {"start_timeout", c.StartTimeout},
		{"request_timeout", c.RequestTimeout}} {
		if d.v < 0 {
			return fmt.Errorf("%s: must not be negative (got %s)", d.name, d.v)
		}
	}
	if c.MaxBackoff < c.MinBackoff {
		return fmt.Errorf("max_backoff: must be at least min_backoff (got %s < %s)", c.MaxBackoff, c.MinBackoff)
	}
	if c.MaxBodyBytes < 0 || c.MaxBodyBytes > dialect.MaxMessageBytes/2 {
		return fmt.Errorf("max_body_bytes: must be between 0 and %d (got %d)", dialect.MaxMessageBytes/2, c.MaxBodyBytes)
	}
	return nil
}

// Metrics receives the host's counters. Implementations must be safe for
// concurrent use and must not block (a Prometheus counter vector fits).
type Metrics interface {
	// PluginStarted counts successful starts, the first and every restart.
	PluginStarted(dialect string)
	// PluginRestarted counts restarts after a crash, a failed health check
	// or a failed start.
	PluginRestarted(dialect string)
	// RequestUnavailable counts requests answered 503 because the plugin was down.
	RequestUnavailable(dialect string)
}

// NopMetrics drops every count.
type NopMetrics struct{}

// PluginStarted does nothing.
func (NopMetrics) PluginStarted(string) {}

// PluginRestarted does nothing.
func (NopMetrics) PluginRestarted(string) {}

// RequestUnavailable does nothing.
func (NopMetrics) RequestUnavailable(string) {}
