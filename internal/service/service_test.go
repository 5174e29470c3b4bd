package service_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/config"
	"github.com/switchboard-cc/switchboard/internal/service"
)

// start runs a service; stop cancels it and returns Run's error.
func start(t *testing.T, opts service.Options) (svc *service.Service, stop func() error) {
	t.Helper()
	cfg := config.Defaults()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.AdminPassword = "test-admin-password"
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := service.New(ctx, cfg, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(10 * time.Second):
				t.Error("service did not stop within 10 s")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return svc, stop
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func body(t *testing.T, svc *service.Service, path string) (int, string) {
	t.Helper()
	resp, err := svc.Get(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The service on embedded defaults (SQLite, in-process bus, emulator) takes
// demo calls into its queue, answers them with agents, and reports it.
func TestServeOnEmbeddedDefaults(t *testing.T) {
	svc, stop := start(t, service.Options{Demo: true, DemoCallEvery: 100 * time.Millisecond, EmulatorSpeed: 20})
	eventually(t, "ready", func() bool {
		code, b := body(t, svc, "/readyz")
		var r struct{ Status string }
		_ = json.Unmarshal([]byte(b), &r)
		return code == http.StatusOK && r.Status == "ready"
	})
	eventually(t, "answered demo calls in the metrics", func() bool {
		_, b := body(t, svc, "/metrics")
		for _, line := range strings.Split(b, "\n") {
			if strings.HasPrefix(line, `switchboard_queue_calls_total{`) && strings.Contains(line, `result="answered"`) {
				return !strings.HasSuffix(line, " 0")
			}
		}
		return false
	})
	qs, err := svc.Queues().Queues(context.Background(), service.DemoTenant)
	if err != nil || len(qs) != 1 || qs[0].Name != service.DemoQueueName {
		t.Fatalf("demo queues %+v %v", qs, err)
	}
	st, _, err := svc.Queues().Status(context.Background(), service.DemoTenant, qs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Stats.Answered == 0 || st.Stats.Joined == 0 {
		t.Fatalf("demo queue %+v", st)
	}
	if code, _ := body(t, svc, "/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// A restarted service finds its queues and agents (with their statuses) in
// the database and does not seed the demo twice.
func TestRestartRestoresTheACD(t *testing.T) {
	dir := t.TempDir()
	run := func() (queueID int64, agents int, available int) {
		cfg := config.Defaults()
		cfg.Addr, cfg.DataDir = "127.0.0.1:0", dir
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		svc, err := service.New(ctx, cfg, service.Options{Demo: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- svc.Run(ctx) }()
		eventually(t, "the demo queue", func() bool {
			qs, _ := svc.Queues().Queues(ctx, service.DemoTenant)
			return len(qs) == 1
		})
		qs, _ := svc.Queues().Queues(ctx, service.DemoTenant)
		queueID = qs[0].ID
		eventually(t, "the demo agents logged in", func() bool {
			st, _, err := svc.Queues().Status(ctx, service.DemoTenant, queueID)
			return err == nil && st.LoggedIn == 4
		})
		as, _ := svc.Queues().Agents(ctx, service.DemoTenant, "")
		for _, a := range as {
			if a.Status == "available" {
				available++
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		return queueID, len(as), available
	}
	q1, n1, av1 := run()
	q2, n2, av2 := run()
	if q1 != q2 || n1 != 4 || n2 != 4 || av1 != 4 || av2 != 4 {
		t.Fatalf("first run queue %d with %d agents (%d available), second %d with %d (%d)", q1, n1, av1, q2, n2, av2)
	}
}

// With the emulator the service also connects to its AMI: app_queue calls
// become the same domain events (here: metrics of the app_queue queue), and
// readiness covers the AMI link. The admin API answers with the admin password.
func TestAMIQueueEventsAndAdminAPI(t *testing.T) {
	svc, _ := start(t, service.Options{EmulatorSpeed: 20})
	eventually(t, "ready with ami", func() bool {
		code, b := body(t, svc, "/readyz")
		return code == http.StatusOK && strings.Contains(b, `"ami":"ok"`)
	})
	if _, err := svc.Emulator().Call("Local/100@queue-in", "5551234"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the app_queue call in the metrics", func() bool {
		_, b := body(t, svc, "/metrics")
		return strings.Contains(b, `switchboard_queue_calls_total{queue="support",result="answered"} 1`)
	})
	req, _ := http.NewRequest(http.MethodGet, svc.URL()+"/api/admin/deadletters", nil)
	req.Header.Set("Authorization", "Bearer test-admin-password")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin API: %d", resp.StatusCode)
	}
	if code, _ := body(t, svc, "/api/admin/deadletters"); code != http.StatusUnauthorized {
		t.Fatalf("admin API without the password: %d", code)
	}
}
