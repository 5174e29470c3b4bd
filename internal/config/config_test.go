package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spf13/pflag"
)

func resolve(t *testing.T, args []string, env map[string]string, yaml string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c := Bind(fs, Defaults())
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	path := ""
	if yaml != "" {
		path = filepath.Join(t.TempDir(), "switchboard.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	err := Resolve(fs, c, path, func(k string) string { return env[k] })
	return *c, err
}

func TestPrecedenceFlagEnvFileDefault(t *testing.T) {
	yaml := "addr: 127.0.0.1:9000\nari-url: http://file:8088/ari\nbus: nats\nlog-level: debug\n"
	env := map[string]string{"SWITCHBOARD_ARI_URL": "http://env:8088/ari", "SWITCHBOARD_BUS": "gochannel"}
	c, err := resolve(t, []string{"--bus", "nats", "--ari-user", "flag"}, env, yaml)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"addr (file)", c.Addr, "127.0.0.1:9000"},
		{"ari-url (env over file)", c.ARIURL, "http://env:8088/ari"},
		{"bus (flag over env and file)", c.Bus, "nats"},
		{"ari-user (flag)", c.ARIUser, "flag"},
		{"log-level (file)", c.LogLevel, "debug"},
		{"data-dir (default)", c.DataDir, "./data"},
		{"ari-app (default)", c.ARIApp, "switchboard"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if c.UsesEmulator() {
		t.Error("an ARI URL is set: no emulator")
	}
}

func TestDefaultsUseEmulatorAndSQLite(t *testing.T) {
	c, err := resolve(t, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.UsesEmulator() || c.DB != "" || c.Bus != "gochannel" || c.Addr != "127.0.0.1:8080" {
		t.Fatalf("defaults %+v", c)
	}
}

func TestBadSettingsNameTheSetting(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		yaml    string
		setting string
	}{
		{"addr", []string{"--addr", "nowhere"}, nil, "", "addr"},
		{"ari url", []string{"--ari-url", "ftp://x"}, nil, "", "ari-url"},
		{"bus", nil, map[string]string{"SWITCHBOARD_BUS": "kafka"}, "", "bus"},
		{"sql bus without postgres", []string{"--bus", "sql"}, nil, "", "bus"},
		{"ami addr", nil, nil, "ami-addr: localhost\n", "ami-addr"},
		{"unknown yaml key", nil, nil, "colour: blue\n", "colour"},
		{"log level", []string{"--log-level", "loud"}, nil, "", "log-level"},
		{"short admin password", nil, map[string]string{"SWITCHBOARD_ADMIN_PASSWORD": "short"}, "", "admin-password"},
		{"public url scheme", []string{"--public-url", "ftp://cc.example.com"}, nil, "", "public-url"},
		{"public url without host", nil, map[string]string{"SWITCHBOARD_PUBLIC_URL": "https://"}, "", "public-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolve(t, tt.args, tt.env, tt.yaml)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Setting != tt.setting {
				t.Fatalf("error %v, want one naming --%s", err, tt.setting)
			}
		})
	}
}

func TestAdminPasswordFromFlagEnvOrFile(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		yaml string
		want string
	}{
		{"default: none (generated at start)", nil, nil, "", ""},
		{"flag", []string{"--admin-password", "flag-secret"}, map[string]string{"SWITCHBOARD_ADMIN_PASSWORD": "env-secret"}, "", "flag-secret"},
		{"env", nil, map[string]string{"SWITCHBOARD_ADMIN_PASSWORD": "env-secret"}, "admin-password: file-secret\n", "env-secret"},
		{"file", nil, nil, "admin-password: file-secret\n", "file-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := resolve(t, tt.args, tt.env, tt.yaml)
			if err != nil {
				t.Fatal(err)
			}
			if c.AdminPassword != tt.want {
				t.Fatalf("admin password %q, want %q", c.AdminPassword, tt.want)
			}
		})
	}
}

func TestWebhookAddressClassesFromFlagEnvOrFile(t *testing.T) {
	c, err := resolve(t, nil, nil, "")
	if err != nil || c.WebhookDenyLoopback || c.WebhookDenyPrivate || c.WebhookAllowLinkLocal {
		t.Fatalf("defaults %+v %v: loopback and private allowed, link-local refused", c, err)
	}
	c, err = resolve(t, []string{"--webhook-deny-loopback"}, map[string]string{"SWITCHBOARD_WEBHOOK_DENY_PRIVATE": "true"},
		"webhook-allow-link-local: true\n")
	if err != nil || !c.WebhookDenyLoopback || !c.WebhookDenyPrivate || !c.WebhookAllowLinkLocal {
		t.Fatalf("flag, env and file: %+v %v", c, err)
	}
	_, err = resolve(t, nil, map[string]string{"SWITCHBOARD_WEBHOOK_DENY_PRIVATE": "maybe"}, "")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Setting != "webhook-deny-private" {
		t.Fatalf("a bad boolean: %v", err)
	}
}

func TestPluginEnvFromFlagEnvOrFile(t *testing.T) {
	c, err := resolve(t, nil, nil, "")
	if err != nil || len(c.PluginEnv) != 0 || c.PluginGOMAXPROCS != 1 {
		t.Fatalf("defaults %+v %v: no environment, GOMAXPROCS 1", c, err)
	}
	c, err = resolve(t, []string{"--plugin-env", "A=1", "--plugin-env", "B=x=y"}, nil, "")
	if err != nil || !slices.Equal(c.PluginEnv, []string{"A=1", "B=x=y"}) {
		t.Fatalf("flags: %q %v", c.PluginEnv, err)
	}
	c, err = resolve(t, nil, map[string]string{"SWITCHBOARD_PLUGIN_ENV": "A=1\nB=two words\n",
		"SWITCHBOARD_PLUGIN_GOMAXPROCS": "0"}, "")
	if err != nil || !slices.Equal(c.PluginEnv, []string{"A=1", "B=two words"}) || c.PluginGOMAXPROCS != 0 {
		t.Fatalf("environment, one per line: %q %d %v", c.PluginEnv, c.PluginGOMAXPROCS, err)
	}
	c, err = resolve(t, nil, nil, "plugin-env:\n  - RINGME_RATE_LIMIT=50\n  - TZ=UTC\nplugin-gomaxprocs: 2\n")
	if err != nil || !slices.Equal(c.PluginEnv, []string{"RINGME_RATE_LIMIT=50", "TZ=UTC"}) || c.PluginGOMAXPROCS != 2 {
		t.Fatalf("file list: %q %d %v", c.PluginEnv, c.PluginGOMAXPROCS, err)
	}
	for _, bad := range []struct {
		args    []string
		setting string
	}{
		{[]string{"--plugin-env", "NOEQUALS"}, "plugin-env"},
		{[]string{"--plugin-env", "=v"}, "plugin-env"},
		{[]string{"--plugin-gomaxprocs", "-1"}, "plugin-gomaxprocs"},
	} {
		_, err := resolve(t, bad.args, nil, "")
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Setting != bad.setting {
			t.Errorf("%q: %v, want an error naming %s", bad.args, err, bad.setting)
		}
	}
}
