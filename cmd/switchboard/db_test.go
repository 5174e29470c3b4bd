package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
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

func TestWebhooksDeadLettersCLI(t *testing.T) {
	dir := t.TempDir()
	db := storetest.SQLiteAt(t, dir)
	now := time.Now()
	d := store.Delivery{ID: "whd_1", SubscriptionID: "sub_1", Tenant: "12", EventID: "ev_1", EventType: "agent.status_changed",
		Method: "POST", ContentType: "application/json", Body: []byte(`{}`), NextAttemptNS: now.UnixNano()}
	if _, err := db.InsertDeliveries(context.Background(), []store.Delivery{d}, now); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordAttempts(context.Background(), []store.AttemptResult{{ID: "whd_1", Attempts: 7, State: store.DeliveryDead, Error: "connection refused"}}, now); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "webhooks", "dead-letters", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "whd_1") || !strings.Contains(out, "connection refused") {
		t.Fatalf("dead-letters: %v\n%s", err, out)
	}
	out, err = run(t, "webhooks", "replay", "whd_1", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "replayed 1 of 1") {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	got, err := db.Delivery(context.Background(), "whd_1")
	if err != nil || got.State != store.DeliveryPending {
		t.Fatalf("after replay: %+v %v", got, err)
	}
	if _, err := run(t, "webhooks", "dead-letters", "--limit", "0", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "--limit") {
		t.Fatalf("bad limit: %v", err)
	}
}
