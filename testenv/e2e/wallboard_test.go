// Package e2e holds the end-to-end tests that drive Switchboard from the
// outside: here, the supervisor's wallboard in a real browser (Playwright
// driving Debian's chromium).
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/config"
	"github.com/switchboard-cc/switchboard/internal/service"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// chromiumPath is Debian's chromium (apt-get install chromium); CHROMIUM overrides it.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// browserTools finds node, chromium and playwright-core, skipping only when
// node or chromium is not installed at all; a missing npm install fails.
func browserTools(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIPPED: the wallboard browser test needs node (Debian: apt-get install nodejs npm); bash .ci/run installs it")
	}
	if _, err := os.Stat(chromiumPath()); err != nil {
		t.Skipf("SKIPPED: the wallboard browser test needs chromium at %s (Debian: apt-get install chromium); bash .ci/run installs it", chromiumPath())
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core")); err != nil {
		t.Fatal("testenv/e2e/node_modules/playwright-core is missing: run `make e2e-deps` (make test and bash .ci/run do)")
	}
	return node
}

// hook is a webhook endpoint that keeps what it receives.
type hook struct {
	mu     sync.Mutex
	events []event.Event
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var e event.Event
	if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hook) find(match func(event.Event) bool) (event.Event, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if match(e) {
			return e, true
		}
	}
	return event.Event{}, false
}

func eventually(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logWatch is a slog handler that remembers messages.
type logWatch struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (l *logWatch) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logWatch) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logWatch) WithGroup(string) slog.Handler      { return l }
func (l *logWatch) saw(msg string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if strings.Contains(m, msg) {
			return true
		}
	}
	return false
}

// The demo service runs inbound calls through the emulator and a
// predictive campaign into the demo queue; a browser signs in to the
// wallboard, sees the calls, logs an agent out with a click and stops the
// campaign. The agent event reaches a webhook subscription with source
// "supervisor". Screenshots go to testenv/e2e/artifacts (ARTIFACTS overrides).
func TestWallboardInBrowser(t *testing.T) {
	node := browserTools(t)
	const password = "wallboard-e2e-secret"
	cfg := config.Defaults()
	cfg.Addr, cfg.DataDir, cfg.AdminPassword = "127.0.0.1:0", t.TempDir(), password
	logs := &logWatch{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := service.New(ctx, cfg, service.Options{Demo: true, DemoCallEvery: 2 * time.Second, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	eventually(t, "the demo queue", 30*time.Second, func() bool { return logs.saw("demo queue ready") })
	qs, err := svc.Queues().Queues(ctx, service.DemoTenant)
	if err != nil || len(qs) != 1 {
		t.Fatalf("demo queues %v %v", qs, err)
	}
	agents, err := svc.Queues().Agents(ctx, service.DemoTenant, "")
	if err != nil || len(agents) != 4 {
		t.Fatalf("demo agents %v %v", agents, err)
	}
	target := agents[2]

	h := &hook{}
	hookSrv := httptest.NewServer(h)
	defer hookSrv.Close()
	if err := svc.DB().CreateSubscription(ctx, &store.Subscription{ID: "e2e-agents", Tenant: service.DemoTenant, URL: hookSrv.URL,
		Events: []string{string(event.AgentStatusChanged)}, Active: true}, time.Now()); err != nil {
		t.Fatal(err)
	}

	campaign := startDemoCampaign(t, ctx, svc, qs[0].ID)

	artifacts := artifactsDir()
	out := runBrowser(t, ctx, node, "wallboard.mjs", "WALLBOARD_URL="+svc.URL(), "WALLBOARD_PASSWORD="+password,
		"WALLBOARD_AGENT="+store.ACDID(target.ID), "WALLBOARD_CAMPAIGN="+service.DemoTenant+"/"+store.ACDID(campaign),
		"ARTIFACTS="+artifacts)
	t.Log("screenshots in", artifacts)
	var res struct {
		AnsweredToday   int    `json:"answered_today"`
		AgentsInCall    int    `json:"agents_in_call"`
		AgentBefore     string `json:"agent_before"`
		AgentAfter      string `json:"agent_after"`
		LogoutShownMS   int64  `json:"logout_shown_ms"`
		CampaignDialled int    `json:"campaign_dialled"`
		CampaignAfter   string `json:"campaign_after"`
		PageErrors      int    `json:"page_errors"`
		SignedOut       int    `json:"snapshot_after_signout"`
	}
	if err := json.NewDecoder(io.LimitReader(strings.NewReader(out), 1<<20)).Decode(&res); err != nil {
		t.Fatalf("browser result: %v", err)
	}
	if res.AnsweredToday < 2 || res.AgentsInCall < 1 || res.AgentBefore == "logged_out" || res.AgentAfter != "logged_out" ||
		res.CampaignDialled < 1 || (res.CampaignAfter != string(dialer.StateStopping) && res.CampaignAfter != string(dialer.StateStopped)) ||
		res.PageErrors != 0 || res.SignedOut != http.StatusUnauthorized {
		t.Fatalf("browser saw %+v", res)
	}

	// The click went through internal/queues: the engine, the store and
	// the agent event all say so.
	info, err := svc.Queues().AgentState(ctx, service.DemoTenant, target.ID)
	if err != nil || info.Status != acd.LoggedOut {
		t.Fatalf("engine: agent %+v %v", info.Status, err)
	}
	stored, err := svc.Queues().Agent(ctx, service.DemoTenant, target.ID)
	if err != nil || stored.Status != acd.LoggedOut {
		t.Fatalf("store: agent %+v %v", stored.Status, err)
	}
	eventually(t, "the agent event at the webhook", 15*time.Second, func() bool {
		_, ok := h.find(func(e event.Event) bool {
			return e.Type == event.AgentStatusChanged && e.Agent == store.ACDID(target.ID) && e.To == string(acd.LoggedOut) && e.Source == "supervisor"
		})
		return ok
	})
	st, err := svc.Campaigns().Status(ctx, service.DemoTenant, campaign)
	if err != nil || (st.Campaign.State != dialer.StateStopping && st.Campaign.State != dialer.StateStopped) {
		t.Fatalf("campaign after Stop: %v %v", st.Campaign.State, err)
	}
	for _, name := range []string{"wallboard.png", "wallboard-logged-out.png"} {
		if fi, err := os.Stat(filepath.Join(artifacts, name)); err != nil || fi.Size() < 10_000 {
			t.Errorf("screenshot %s: %v", name, errors.Join(err, fmt.Errorf("size %d", sizeOf(fi))))
		}
	}
}

// runBrowser runs a Playwright script with env added, logs its progress
// (stderr) and returns what it printed (stdout); the script failing fails t.
func runBrowser(t *testing.T, ctx context.Context, node, script string, env ...string) string {
	t.Helper()
	ctx, stop := context.WithTimeout(ctx, 100*time.Second)
	defer stop()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Env = append(append(os.Environ(), "CHROMIUM="+chromiumPath()), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		t.Log("browser:", sc.Text())
	}
	werr := cmd.Wait()
	t.Logf("%s result: %s", script, strings.TrimSpace(out.String()))
	if werr != nil {
		t.Fatalf("browser script %s: %v", script, werr)
	}
	return out.String()
}

// artifactsDir is where screenshots go: ARTIFACTS, else testenv/e2e/artifacts.
func artifactsDir() string {
	if dir := os.Getenv("ARTIFACTS"); dir != "" {
		return dir
	}
	dir, _ := filepath.Abs("artifacts")
	return dir
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}

// startDemoCampaign creates and starts a predictive campaign of 400
// customers into the demo queue: half answer and talk a while, the rest
// are busy or do not answer.
func startDemoCampaign(t *testing.T, ctx context.Context, svc *service.Service, queueID int64) int64 {
	t.Helper()
	var in []dialer.ContactInput
	for i := range 400 {
		number := fmt.Sprintf("+7921777%04d", i)
		b := asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Duration(2+i%5) * time.Second, HangupAfter: time.Duration(8+i%7) * time.Second}
		switch i % 4 {
		case 1:
			b = asterisk.Behaviour{Result: asterisk.ResultBusy, RingFor: time.Second}
		case 3:
			b = asterisk.Behaviour{Result: asterisk.ResultNoAnswer}
		}
		if err := svc.Emulator().SetEndpoint("customers", number, b); err != nil {
			t.Fatal(err)
		}
		in = append(in, dialer.ContactInput{ID: fmt.Sprint("c", i), Name: fmt.Sprint("Customer ", i), Numbers: []string{number}})
	}
	cfg := dialer.Campaign{
		Name: "Renewals (demo)", Mode: dialer.ModePredictive, DefaultRegion: "RU", Queue: store.ACDID(queueID),
		Start:      dialer.Start{Mode: dialer.StartManual},
		Pacing:     dialer.Pacing{Rate: dialer.Rate{Calls: 2, Per: time.Second}},
		Redial:     dialer.RedialPolicy{Rules: map[telephony.Outcome]dialer.RedialRule{}},
		Predictive: dialer.Predictive{ConnectWithin: 5 * time.Second},
	}
	c, err := svc.Campaigns().CreateCampaign(ctx, service.DemoTenant, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Campaigns().Import(ctx, service.DemoTenant, c.ID, in); err != nil {
		t.Fatal(err)
	}
	if err := svc.Campaigns().Start(ctx, service.DemoTenant, c.ID); err != nil {
		t.Fatal(err)
	}
	return c.ID
}
