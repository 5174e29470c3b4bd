// Package config is the service's configuration: one set of settings that
// comes from flags, SWITCHBOARD_… environment variables and a YAML file, in
// that order of precedence, over built-in defaults. Each setting has one
// name, spelled the same in all three: the flag --ari-url is the variable
// SWITCHBOARD_ARI_URL and the YAML key ari-url.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Config is what `switchboard serve` runs with.
type Config struct {
	Addr       string // HTTP listen address
	DataDir    string // SQLite file, recordings of the demo
	DB         string // postgres://… for PostgreSQL; empty for SQLite under DataDir
	PluginsDir string // dialect plugin binaries
	// PluginEnv is the environment of every plugin process, as KEY=VALUE
	// (plugins do not inherit the service's own).
	PluginEnv []string
	// PluginGOMAXPROCS is GOMAXPROCS in each plugin process unless
	// PluginEnv sets it; 0 leaves Go's default (one per core).
	PluginGOMAXPROCS int

	ARIURL      string // empty: start the Asterisk emulator
	ARIUser     string
	ARIPassword string
	ARIApp      string
	AMIAddr     string
	AMIUser     string
	AMISecret   string

	Bus     string // gochannel, sql or nats
	NATSURL string

	LogLevel  string // debug, info, warn, error
	LogFormat string // text or json

	// PublicURL is the service's address as webhook receivers reach it
	// (recording links in webhooks); empty: the listener's own URL.
	PublicURL string

	// AdminPassword guards the wallboard at `/`; empty: one is generated at
	// each start and logged.
	AdminPassword string

	// Webhook destination classes: loopback and private ranges are allowed
	// by default (CRMs live there), link-local and cloud metadata refused.
	WebhookDenyLoopback   bool
	WebhookDenyPrivate    bool
	WebhookAllowLinkLocal bool
}

// Defaults are the embedded defaults: SQLite under ./data, the in-process
// bus, the emulator.
func Defaults() Config {
	return Config{
		Addr:             "127.0.0.1:8080",
		DataDir:          "./data",
		PluginsDir:       "./bin/plugins",
		PluginGOMAXPROCS: 1,
		ARIUser:          "ari",
		ARIApp:           "switchboard",
		Bus:              "gochannel",
		NATSURL:          "nats://127.0.0.1:4222",
		LogLevel:         "info",
		LogFormat:        "text",
	}
}

// EnvPrefix starts every environment variable name.
const EnvPrefix = "SWITCHBOARD_"

// FieldError names the setting that is wrong, by its flag name.
type FieldError struct {
	Setting string
	Reason  string
}

func (e *FieldError) Error() string { return "--" + e.Setting + ": " + e.Reason }

// Bind registers every setting as a flag on fs, defaulting to d, and
// returns the Config the flags write into. Call Resolve after parsing.
func Bind(fs *pflag.FlagSet, d Config) *Config {
	c := d
	fs.StringVar(&c.Addr, "addr", d.Addr, "HTTP listen address")
	fs.StringVar(&c.DataDir, "data-dir", d.DataDir, "directory for the SQLite database and local files")
	fs.StringVar(&c.DB, "db", d.DB, "database: postgres://… for PostgreSQL; empty for SQLite in --data-dir")
	fs.StringVar(&c.PluginsDir, "plugins-dir", d.PluginsDir, "directory of dialect plugin binaries")
	fs.StringArrayVar(&c.PluginEnv, "plugin-env", d.PluginEnv, "KEY=VALUE in every plugin process's environment (repeatable; in the environment variable one per line)")
	fs.IntVar(&c.PluginGOMAXPROCS, "plugin-gomaxprocs", d.PluginGOMAXPROCS, "GOMAXPROCS of each plugin process unless --plugin-env sets it (0: Go's default, one per core)")
	fs.StringVar(&c.ARIURL, "ari-url", d.ARIURL, "Asterisk ARI URL, e.g. http://127.0.0.1:8088/ari (empty: run the built-in emulator)")
	fs.StringVar(&c.ARIUser, "ari-user", d.ARIUser, "ARI user")
	fs.StringVar(&c.ARIPassword, "ari-password", d.ARIPassword, "ARI password")
	fs.StringVar(&c.ARIApp, "ari-app", d.ARIApp, "Stasis application name")
	fs.StringVar(&c.AMIAddr, "ami-addr", d.AMIAddr, "Asterisk AMI address host:port (empty: no AMI)")
	fs.StringVar(&c.AMIUser, "ami-user", d.AMIUser, "AMI user")
	fs.StringVar(&c.AMISecret, "ami-secret", d.AMISecret, "AMI secret")
	fs.StringVar(&c.Bus, "bus", d.Bus, "event bus: gochannel, sql (PostgreSQL) or nats")
	fs.StringVar(&c.NATSURL, "nats-url", d.NATSURL, "NATS URL for --bus nats")
	fs.StringVar(&c.LogLevel, "log-level", d.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", d.LogFormat, "log format: text or json")
	fs.StringVar(&c.PublicURL, "public-url", d.PublicURL, "the service's URL as webhook receivers reach it, e.g. https://cc.example.com (recording links; empty: the listen address)")
	fs.StringVar(&c.AdminPassword, "admin-password", d.AdminPassword, "password of the wallboard's admin login (empty: generated at start and logged)")
	fs.BoolVar(&c.WebhookDenyLoopback, "webhook-deny-loopback", d.WebhookDenyLoopback, "refuse webhook destinations on loopback (127.0.0.0/8, ::1)")
	fs.BoolVar(&c.WebhookDenyPrivate, "webhook-deny-private", d.WebhookDenyPrivate, "refuse webhook destinations in private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)")
	fs.BoolVar(&c.WebhookAllowLinkLocal, "webhook-allow-link-local", d.WebhookAllowLinkLocal, "allow webhook destinations that are link-local (169.254/16, fe80::/10; cloud metadata lives there)")
	return &c
}

// Resolve fills every flag the command line did not set from the
// environment (getenv, usually os.Getenv) and then from the YAML file at
// path (skipped when path is empty), and validates the result.
func Resolve(fs *pflag.FlagSet, c *Config, path string, getenv func(string) string) error {
	file := map[string]any{}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		if err := yaml.Unmarshal(raw, &file); err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
		for key := range file {
			if fs.Lookup(key) == nil {
				return &FieldError{Setting: key, Reason: fmt.Sprintf("unknown setting in %s", path)}
			}
		}
	}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "config" {
			return
		}
		env := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" {
			for _, item := range splitList(f, v) {
				if err := fs.Set(f.Name, item); err != nil {
					errs = append(errs, &FieldError{Setting: f.Name, Reason: fmt.Sprintf("from %s: %v", env, err)})
				}
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			items := []any{v}
			if list, isList := v.([]any); isList {
				items = list
			}
			for _, item := range items {
				if err := fs.Set(f.Name, fmt.Sprint(item)); err != nil {
					errs = append(errs, &FieldError{Setting: f.Name, Reason: fmt.Sprintf("from %s: %v", path, err)})
				}
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return c.Validate()
}

// splitList splits a list setting's environment variable into its items,
// one per line; other settings' values are one item.
func splitList(f *pflag.Flag, v string) []string {
	if f.Value.Type() != "stringArray" {
		return []string{v}
	}
	var items []string
	for line := range strings.Lines(v) {
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			items = append(items, line)
		}
	}
	return items
}

// Validate reports the first setting that is wrong.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return &FieldError{Setting: "addr", Reason: fmt.Sprintf("%q is not host:port", c.Addr)}
	}
	if c.DB == "" && c.DataDir == "" {
		return &FieldError{Setting: "data-dir", Reason: "is required when --db is empty"}
	}
	for _, kv := range c.PluginEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.ContainsAny(k, " \t") {
			return &FieldError{Setting: "plugin-env", Reason: fmt.Sprintf("%q is not KEY=VALUE", kv)}
		}
	}
	if c.PluginGOMAXPROCS < 0 {
		return &FieldError{Setting: "plugin-gomaxprocs", Reason: "must not be negative"}
	}
	if c.ARIURL != "" {
		u, err := url.Parse(c.ARIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &FieldError{Setting: "ari-url", Reason: fmt.Sprintf("%q is not an http(s) URL", c.ARIURL)}
		}
		if c.ARIApp == "" {
			return &FieldError{Setting: "ari-app", Reason: "is required with --ari-url"}
		}
	}
	if c.AMIAddr != "" {
		if _, _, err := net.SplitHostPort(c.AMIAddr); err != nil {
			return &FieldError{Setting: "ami-addr", Reason: fmt.Sprintf("%q is not host:port", c.AMIAddr)}
		}
	}
	switch c.Bus {
	case "gochannel", "nats":
	case "sql":
		if !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
			return &FieldError{Setting: "bus", Reason: "sql needs --db postgres://…"}
		}
	default:
		return &FieldError{Setting: "bus", Reason: fmt.Sprintf("%q is not gochannel, sql or nats", c.Bus)}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &FieldError{Setting: "log-level", Reason: fmt.Sprintf("%q is not debug, info, warn or error", c.LogLevel)}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return &FieldError{Setting: "log-format", Reason: fmt.Sprintf("%q is not text or json", c.LogFormat)}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return &FieldError{Setting: "public-url", Reason: fmt.Sprintf("%q is not an http(s) URL without query", c.PublicURL)}
		}
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < MinAdminPassword {
		return &FieldError{Setting: "admin-password", Reason: fmt.Sprintf("must be at least %d characters", MinAdminPassword)}
	}
	return nil
}

// MinAdminPassword is the shortest admin password accepted.
const MinAdminPassword = 8

// UsesEmulator says whether the service runs the built-in Asterisk emulator.
func (c Config) UsesEmulator() bool { return c.ARIURL == "" }
