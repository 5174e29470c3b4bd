package exampledialect_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/pluginhost/pluginhosttest"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/plugins/example/exampledialect"
)

var update = flag.Bool("update", false, "rewrite the golden files")

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
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}

// The dialect runs in-process here (dialect.Bind); internal/pluginhost's
// tests run the same code as a real plugin process.
func TestHandleHTTP(t *testing.T) {
	host := pluginhosttest.New(pluginhosttest.Config{Credentials: []pluginhosttest.Credential{
		{Token: "tok", Account: dialect.Account{ID: "acc"}}}})
	defer host.Close()
	h := dialect.Bind(exampledialect.New(), host)
	ctx := context.Background()
	req := func(method, path, token, body string) dialect.Request {
		r := dialect.Request{Method: method, Path: path, Header: http.Header{}, Body: []byte(body)}
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		return r
	}
	cases := []struct {
		name   string
		req    dialect.Request
		status int
		body   string
	}{
		{"create", req("PUT", "/queues/q1", "tok", `{"strategy":"top-down","max_wait_time":30}`), 204, ``},
		{"create, host assigns the id", req("POST", "/queues", "tok", `{"strategy":"ring-all","max_wait_time":5}`), 201,
			`{"id":"1","strategy":"ring-all","max_wait_time":5}`},
		{"assigned id status", req("GET", "/queues/1/status", "tok", ""), 200,
			`{"queue":"1","waiting":0,"trying":0,"answered":0,"logged_in_agents":0,"free_agents":0}`},
		{"create, bad strategy", req("POST", "/queues", "tok", `{"strategy":"x"}`), 400,
			`{"error":"bad_request","field":"strategy","message":"strategy: unknown strategy (got \"x\")"}`},
		{"create, wrong method", req("GET", "/queues", "tok", ""), 405, `{"error":"method_not_allowed","message":"use POST"}`},
		{"status", req("GET", "/queues/q1/status", "tok", ""), 200,
			`{"queue":"q1","waiting":0,"trying":0,"answered":0,"logged_in_agents":0,"free_agents":0}`},
		{"no token", req("GET", "/queues/q1/status", "", ""), 401,
			`{"error":"unauthorized","message":"a valid bearer token is required"}`},
		{"unknown queue", req("GET", "/queues/zz/status", "tok", ""), 404,
			`{"error":"not_found","message":"not found: queue status \"zz\": unknown queue"}`},
		{"bad strategy", req("PUT", "/queues/q2", "tok", `{"strategy":"x"}`), 400,
			`{"error":"bad_request","field":"strategy","message":"strategy: unknown strategy (got \"x\")"}`},
		{"bad wait", req("PUT", "/queues/q2", "tok", `{"max_wait_time":-1}`), 400,
			`{"error":"bad_request","field":"max_wait_time","message":"max_wait_time: must be between 0 and 86400 seconds"}`},
		{"wrong method", req("DELETE", "/queues/q1", "tok", ""), 405, `{"error":"method_not_allowed","message":"use PUT"}`},
		{"no route", req("GET", "/", "tok", ""), 404, `{"error":"not_found","message":"no such endpoint: GET /"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := h.HandleHTTP(ctx, c.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != c.status || string(resp.Body) != c.body {
				t.Errorf("got %d %s\nwant %d %s", resp.Status, resp.Body, c.status, c.body)
			}
			if err := resp.Validate(); err != nil {
				t.Errorf("invalid response: %v", err)
			}
		})
	}
	q, err := host.GetQueue(ctx, "acc", "q1")
	if err != nil || q.Strategy != acd.TopDown || q.MaxWaitTime != 30*time.Second {
		t.Errorf("stored queue %+v %v", q, err)
	}
}

func TestRenderEvent(t *testing.T) {
	d := exampledialect.New()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("MSK", 3*3600))
	ev := event.Event{Type: event.CallerBridged, At: at, Tenant: "acc", Queue: "q1", Agent: "a1", Call: "c1"}
	ws, err := d.RenderEvent(context.Background(), ev, dialect.Subscription{URL: "https://h.example/x"})
	if err != nil || len(ws) != 1 {
		t.Fatalf("%v %v", ws, err)
	}
	if ws[0].Method != "POST" || ws[0].URL != "https://h.example/x" || ws[0].ContentType != "application/json" {
		t.Errorf("webhook %+v", ws[0])
	}
	golden(t, "caller_bridged.json", ws[0].Body)

	ws, _ = d.RenderEvent(context.Background(), ev, dialect.Subscription{URL: "https://h.example/x", Method: "PUT",
		Events: []string{string(event.CallerBridged)}})
	if len(ws) != 1 || ws[0].Method != "PUT" {
		t.Errorf("method override: %+v", ws)
	}
	ws, _ = d.RenderEvent(context.Background(), ev, dialect.Subscription{URL: "https://h.example/x",
		Events: []string{string(event.AgentStatusChanged)}})
	if len(ws) != 0 {
		t.Errorf("an event the subscription does not list was rendered: %+v", ws)
	}
}

func TestInfo(t *testing.T) {
	info, err := exampledialect.New().Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := info.Validate(); err != nil || info.RoutePrefix != exampledialect.Name {
		t.Fatalf("%+v %v", info, err)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(info.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI[:2] != "3." || doc.Paths["/queues/{id}/status"]["get"] == nil || doc.Paths["/queues/{id}"]["put"] == nil ||
		doc.Paths["/queues"]["post"] == nil {
		t.Errorf("the OpenAPI document does not describe the three endpoints: %+v", doc)
	}
}
