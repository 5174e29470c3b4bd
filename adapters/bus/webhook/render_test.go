package webhook_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s:\n got %s\nwant %s", name, got, want)
	}
}

func TestRenderersGolden(t *testing.T) {
	ev := event.Event{ID: "evt_01", Type: event.AttemptFinished, At: time.Date(2026, 5, 1, 12, 30, 15, 250_000_000, time.UTC),
		Tenant: "acme", Campaign: "c7", Contact: "k9", Attempt: "a3", Call: "1714566615.42", Outcome: "busy", Reason: "17",
		Attrs: map[string]string{"number": "+4930123456", "to": "an attr, not the event field"}}
	cases := []struct {
		name, golden string
		r            webhook.Renderer
		sub          store.Subscription
		method, ct   string
		query        bool
	}{
		{"json", "attempt_finished.json", webhook.JSON{}, store.Subscription{}, "POST", "application/json", false},
		{"form GET", "attempt_finished.form", webhook.Form{}, store.Subscription{Method: "GET"}, "GET", "", true},
		{"form POST", "attempt_finished.form", webhook.Form{}, store.Subscription{Method: "POST"}, "POST", "application/x-www-form-urlencoded", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, ok, err := c.r.Render(c.sub, ev)
			if err != nil || !ok {
				t.Fatalf("render = %v, %v", ok, err)
			}
			if req.Method != c.method || req.ContentType != c.ct {
				t.Fatalf("method %q content type %q, want %q %q", req.Method, req.ContentType, c.method, c.ct)
			}
			got := req.Body
			if c.query {
				if len(req.Body) != 0 {
					t.Fatalf("GET with a body %q", req.Body)
				}
				got = []byte(req.Query)
			}
			golden(t, c.golden, append(got, '\n'))
		})
	}
}
