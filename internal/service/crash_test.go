package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// switchboardBin is the switchboard binary TestMain builds for the crash
// test; buildErr says why there is none.
var (
	switchboardBin string
	buildErr       error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "switchboard-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switchboardBin = filepath.Join(dir, "switchboard")
	out, err := exec.Command("go", "build", "-o", switchboardBin, "github.com/switchboard-cc/switchboard/cmd/switchboard").CombinedOutput()
	if err != nil {
		buildErr = fmt.Errorf("go build: %v\n%s", err, out)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// webhookSink is the tenant's webhook endpoint: down (503) until up is set,
// then it records every event delivered, by webhook id.
type webhookSink struct {
	up       atomic.Bool
	mu       sync.Mutex
	refused  map[event.Type]int
	got      map[string]event.Event // webhook-id → event
	lastSeen atomic.Int64           // unix ns of the last request
}

func (w *webhookSink) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.lastSeen.Store(time.Now().UnixNano())
	b, _ := io.ReadAll(r.Body)
	var ev event.Event
	_ = json.Unmarshal(b, &ev)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.up.Load() {
		w.refused[ev.Type]++
		rw.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.got[r.Header.Get("webhook-id")] = ev
	rw.WriteHeader(http.StatusNoContent)
}

func (w *webhookSink) refusedOf(t event.Type) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.refused[t]
}

// serveProcess starts `switchboard serve` on dataDir; its log goes to logPath.
func serveProcess(t *testing.T, dataDir, logPath string) *exec.Cmd {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logf.Close() })
	cmd := exec.Command(switchboardBin, "serve", "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--demo-call-every", "0")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "SWITCHBOARD_LOG_LEVEL=debug")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// The crash test of issue 5: `switchboard serve` is killed with SIGKILL in the
// middle of a running IVR campaign while its webhooks are failing; restarted
// on the same data directory it resumes the campaign and finishes it, no
// contact is dialled beyond its rules (an interrupted try counts as a
// failed one: max_tries 2 allows one more), and once the endpoint is up it
// receives every event of the campaign.
func TestCrashMidCampaign(t *testing.T) {
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	ctx := context.Background()
	dataDir := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "serve.log")
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("serve log:\n%s", b)
		}
	}()

	sink := &webhookSink{refused: map[event.Type]int{}, got: map[string]event.Event{}}
	hook := httptest.NewServer(sink)
	defer hook.Close()

	// The campaign, its contacts and the webhook are stored before the
	// service starts: it finds the campaign running and resumes it.
	db, err := store.Open(ctx, store.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	const tenant, contacts, lines = "t1", 12, 6
	now := time.Now()
	if err := db.CreateSubscription(ctx, &store.Subscription{Tenant: tenant, URL: hook.URL, Events: []string{"campaign.state_changed", "attempt.*", "contact.*"}, Active: true}, now); err != nil {
		t.Fatal(err)
	}
	c := store.Campaign{Tenant: tenant, Name: "crash", State: dialer.StateRunning, Config: dialer.Campaign{
		Name: "crash", Mode: dialer.ModeIVR, DefaultRegion: "RU",
		// Answered calls go on to the dialplan (the emulator's "agents" context).
		Destination: dialer.Destination{Kind: dialer.DestDialplan, Dialplan: telephony.DialplanTarget{Context: "agents", Extension: "s", Priority: 1}},
		Pacing:      dialer.Pacing{MaxConcurrent: lines},
		Redial:      dialer.RedialPolicy{MaxTries: 2, RetryPause: time.Second},
		Start:       dialer.Start{Mode: dialer.StartManual},
	}}
	if err := db.CreateCampaign(ctx, &c, now); err != nil {
		t.Fatal(err)
	}
	var list []dialer.Contact
	for i := range contacts {
		ct, _, err := dialer.NewContact(dialer.ContactInput{ID: fmt.Sprint("k", i), Numbers: []string{fmt.Sprintf("+7921777%04d", i)}}, "RU")
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, ct)
	}
	if n, rej, err := db.InsertContacts(ctx, c.ID, list, now); err != nil || n != contacts || len(rej) != 0 {
		t.Fatalf("import: %d %v %v", n, rej, err)
	}

	// First run: the first calls are answered (their webhooks refused), then
	// SIGKILL while they talk, with no webhook request in flight.
	first := serveProcess(t, dataDir, logPath)
	waitFor(t, 30*time.Second, "the first calls answered and their webhooks refused", func() bool {
		return sink.refusedOf(event.AttemptAnswered) >= lines
	})
	waitFor(t, 10*time.Second, "the webhook endpoint quiet", func() bool {
		return time.Since(time.Unix(0, sink.lastSeen.Load())) > 300*time.Millisecond
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	open := 0
	if err := db.NewSelect().Model((*store.Attempt)(nil)).Where("ended_at IS NULL").ColumnExpr("count(*)").Scan(ctx, &open); err != nil {
		t.Fatal(err)
	}
	if open == 0 {
		t.Fatal("no call was under way at the kill: the test did not crash mid-campaign")
	}
	sink.up.Store(true)

	// Second run on the same data directory.
	second := serveProcess(t, dataDir, logPath)
	waitFor(t, 60*time.Second, "the campaign finished and every delivery made", func() bool {
		st, err := db.Campaign(ctx, tenant, c.ID)
		if err != nil || st.State != dialer.StateFinished {
			return false
		}
		var pending int
		if err := db.NewSelect().Model((*store.Delivery)(nil)).Where("state <> ?", store.DeliveryDelivered).ColumnExpr("count(*)").Scan(ctx, &pending); err != nil {
			return false
		}
		var outbox int
		if err := db.NewSelect().Model((*store.OutboxEntry)(nil)).ColumnExpr("count(*)").Scan(ctx, &outbox); err != nil {
			return false
		}
		return pending == 0 && outbox == 0
	})
	_ = second.Process.Signal(syscall.SIGTERM)
	_ = second.Wait()

	// No contact dialled beyond its rules.
	as, err := db.Attempts(ctx, c.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	per := map[string][]store.Attempt{}
	for _, a := range as {
		per[a.ContactID] = append(per[a.ContactID], a)
	}
	interrupted := 0
	for i := range contacts {
		id := fmt.Sprint("k", i)
		got := per[id]
		switch {
		case len(got) == 2 && got[0].Cause == store.InterruptedCause && got[1].Outcome == string(telephony.OutcomeAnswered) && got[1].Try == 2:
			interrupted++
		case len(got) == 1 && got[0].Outcome == string(telephony.OutcomeAnswered):
		default:
			t.Errorf("%s attempts %+v: want one answered try, or an interrupted try and one more", id, got)
		}
		row, err := db.ContactRow(ctx, c.ID, id)
		if err != nil || row.Status != dialer.ContactFinished || row.Outcome != string(telephony.OutcomeAnswered) {
			t.Errorf("%s stored %+v %v", id, row, err)
		}
	}
	t.Logf("%d attempts, %d interrupted at the kill", len(as), open)
	for _, a := range as {
		t.Logf("%s %s try %d %s→%s %s %q", a.ContactID, a.ID, a.Try, a.StartedAt.Format("15:04:05.000"), a.EndedAt.Format("15:04:05.000"), a.Outcome, a.Cause)
	}
	if interrupted != open {
		t.Errorf("%d contacts redialled after the crash, %d calls were under way", interrupted, open)
	}

	// No webhook lost: every attempt's and contact's events reached the endpoint.
	sink.mu.Lock()
	defer sink.mu.Unlock()
	t.Logf("%d webhook deliveries received", len(sink.got))
	seen := map[string]bool{}
	for _, ev := range sink.got {
		seen[string(ev.Type)+"/"+ev.Call+ev.Contact] = true
	}
	want := []string{}
	for _, a := range as {
		want = append(want, "attempt.started/"+a.ID+a.ContactID, "attempt.finished/"+a.ID+a.ContactID)
		if !a.AnsweredAt.IsZero() {
			want = append(want, "attempt.answered/"+a.ID+a.ContactID)
		}
	}
	for i := range contacts {
		want = append(want, fmt.Sprintf("contact.finished/k%d", i))
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("webhook never delivered: %s", w)
		}
	}
	states := map[string]bool{}
	for _, ev := range sink.got {
		if ev.Type == event.CampaignStateChanged {
			states[ev.To] = true
		}
	}
	if !states[string(dialer.StateFinished)] {
		t.Errorf("campaign.state_changed to finished not delivered (got %v)", states)
	}
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
