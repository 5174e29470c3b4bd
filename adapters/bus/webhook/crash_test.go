package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-cc/switchboard/adapters/bus"
	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

const crashEvents = 20

// pipeline wires what the service runs: outbox relay → bus → webhook sink → sender.
func pipeline(t testing.TB, ctx context.Context, db *store.DB, clk clock.Clock, lease time.Duration) *webhook.Sender {
	s, err := webhook.New(webhook.Config{DB: db, Clock: clk, Lease: lease, Timeout: lease / 3, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bus.New(bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AddSink("webhooks", s.Sink); err != nil {
		t.Fatal(err)
	}
	relay, err := bus.NewRelay(bus.RelayConfig{DB: db, Bus: b, Clock: clk, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = b.Run(ctx) }()
	<-b.Running()
	go func() { _ = relay.Run(ctx) }()
	go func() { _ = s.Run(ctx) }()
	return s
}

// TestCrashHelper is the child process of TestKill9MidDeliveryLosesNothing.
func TestCrashHelper(t *testing.T) {
	dir, url := os.Getenv("SB_CRASH_DIR"), os.Getenv("SB_CRASH_URL")
	if dir == "" {
		t.Skip("helper process for TestKill9MidDeliveryLosesNothing")
	}
	ctx := context.Background()
	db := storetest.SQLiteAt(t, dir)
	s := pipeline(t, ctx, db, clock.Real{}, 3*time.Second)
	sub := store.Subscription{URL: url, Events: []string{"*"}, MaxConcurrency: 4}
	if err := s.CreateSubscription(ctx, &sub); err != nil {
		t.Fatal(err)
	}
	// State changes and their events commit together, one transaction each.
	for i := range crashEvents {
		err := db.InTx(ctx, time.Now(), func(ctx context.Context, tx bun.Tx, out *store.Outbox) error {
			a := &store.Account{ID: fmt.Sprintf("t%02d", i), Dialect: "ringme", CredentialID: fmt.Sprintf("c%02d", i), SecretHash: "h", CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
				return err
			}
			return out.Emit(event.Event{ID: fmt.Sprintf("evt_crash_%02d", i), Type: event.AgentChanged, Tenant: a.ID})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	fmt.Println("HELPER READY")
	select {} // wait to be killed
}

func TestKill9MidDeliveryLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	clk := newVirtualClock(time.Now())
	ep := newEndpoint(t, clk)
	hang := make(chan struct{})
	ep.block = hang
	defer func() {
		select {
		case <-hang:
		default:
			close(hang)
		}
	}()

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SB_CRASH_DIR="+dir, "SB_CRASH_URL="+ep.srv.URL)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill -9 while 4 requests hang in flight and the rest wait their turn.
	ep.waitRequests(t, 4)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(hang)
	if _, err := os.Stat(filepath.Join(dir, store.DefaultFileName)); err != nil {
		t.Fatal(err)
	}

	// Restart on the same file, past the dead process's leases.
	ep.setReply(func(int) int { return http.StatusOK })
	db := storetest.SQLiteAt(t, dir)
	// The child may die before committing all its changes; whatever it
	// committed must reach the endpoint, and nothing else.
	accounts, err := db.Accounts(context.Background(), "")
	if err != nil || len(accounts) == 0 {
		t.Fatalf("after the crash %d accounts (%v)", len(accounts), err)
	}
	clk.AdvanceTo(time.Now().Add(time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pipeline(t, ctx, db, clk, 3*time.Second)
	subs, _ := db.Subscriptions(ctx, "")
	if len(subs) != 1 {
		t.Fatalf("%d subscriptions after restart", len(subs))
	}
	eventually(t, "every committed event delivered after the restart", func() bool {
		ds, _ := db.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDelivered, Limit: 1000})
		return len(ds) == len(accounts)
	})
	seen := map[string]bool{}
	for _, r := range ep.requests() {
		seen[r.webhookID] = true
	}
	for _, a := range accounts {
		var i int
		if _, err := fmt.Sscanf(a.ID, "t%02d", &i); err != nil {
			t.Fatal(err)
		}
		if id := webhook.DeliveryID(fmt.Sprintf("evt_crash_%02d", i), subs[0].ID); !seen[id] {
			t.Errorf("committed change %s: its event never reached the endpoint", a.ID)
		}
	}
	if len(seen) != len(accounts) {
		t.Errorf("endpoint saw %d distinct deliveries for %d committed changes", len(seen), len(accounts))
	}
	t.Logf("child committed %d of %d changes before kill -9; all delivered after restart", len(accounts), crashEvents)
	if es, _ := db.PendingOutbox(ctx, 100); len(es) != 0 {
		t.Fatalf("%d outbox entries left", len(es))
	}
}
