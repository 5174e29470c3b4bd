package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestAccountsCLI(t *testing.T) {
	dir := t.TempDir()
	want := map[string][]string{"ringme": {"client_id", "client_secret"}, "twin24": {"email", "password"}, "zxycall": {"token"}, "udesk": {"email", "api_token"}}
	for dialect, keys := range want {
		out, err := run(t, "accounts", "create", "--dialect", dialect, "--name", "Acme "+dialect, "--json", "--data-dir", dir)
		if err != nil {
			t.Fatalf("%s: %v\n%s", dialect, err, out)
		}
		var creds map[string]string
		if err := json.Unmarshal([]byte(out), &creds); err != nil {
			t.Fatalf("%s: output is not one JSON object: %q", dialect, out)
		}
		if len(creds) != len(keys) {
			t.Fatalf("%s: %v", dialect, creds)
		}
		for _, k := range keys {
			if creds[k] == "" {
				t.Fatalf("%s: missing %s in %v", dialect, k, creds)
			}
		}
	}
	out, err := run(t, "accounts", "list", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for dialect := range want {
		if !strings.Contains(out, "Acme "+dialect) {
			t.Fatalf("list lacks %s:\n%s", dialect, out)
		}
	}
	if _, err := run(t, "accounts", "create", "--dialect", "genesys", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "dialect") {
		t.Fatalf("unknown dialect: %v", err)
	}
	out, err = run(t, "migrate", "status", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "applied") || strings.Contains(out, "pending") {
		t.Fatalf("migrate status: %v\n%s", err, out)
	}
}

func TestSettingsFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SWITCHBOARD_DATA_DIR", dir)
	if _, err := run(t, "accounts", "create", "--dialect", "udesk", "--email", "ops@example.com"); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "accounts", "list", "--data-dir", dir, "--dialect", "udesk")
	if err != nil || !strings.Contains(out, "ops@example.com") {
		t.Fatalf("the account was not created in SWITCHBOARD_DATA_DIR: %v\n%s", err, out)
	}
	t.Setenv("SWITCHBOARD_BUS", "kafka")
	if _, err := run(t, "migrate", "up"); err == nil || !strings.Contains(err.Error(), "--bus") {
		t.Fatalf("bad SWITCHBOARD_BUS: %v", err)
	}
}
