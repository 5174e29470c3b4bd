package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestProbesAndMounts(t *testing.T) {
	dbUp := true
	var mu sync.Mutex
	s, err := New(Config{
		Addr: "127.0.0.1:0",
		Checks: []Check{
			{Name: "database", Check: func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				if !dbUp {
					return errors.New("connection refused")
				}
				return nil
			}},
			{Name: "bus", Check: func(context.Context) error { return nil }},
		},
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "# metrics\n") }),
		Mounts: map[string]http.Handler{"/ringme/": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ringme "+r.URL.Path)
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(s.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	code, body := get("/readyz")
	if code != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz %d %s", code, body)
	}
	mu.Lock()
	dbUp = false
	mu.Unlock()
	code, body = get("/readyz")
	var r struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if code != 503 || r.Status != "not ready" || r.Checks["database"] != "connection refused" || r.Checks["bus"] != "ok" {
		t.Fatalf("readyz with the database down: %d %s", code, body)
	}
	if code, body := get("/metrics"); code != 200 || body != "# metrics\n" {
		t.Fatalf("metrics %d %q", code, body)
	}
	if code, body := get("/ringme/api/ver1.0/x"); code != 200 || body != "ringme /ringme/api/ver1.0/x" {
		t.Fatalf("mount %d %q", code, body)
	}
	if code, _ := get("/nothing"); code != 404 {
		t.Fatalf("unknown path %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestListenError(t *testing.T) {
	if _, err := New(Config{Addr: "256.0.0.1:1"}); err == nil {
		t.Fatal("bad address accepted")
	}
}
