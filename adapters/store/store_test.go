package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func TestOpenSQLiteDefaults(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect() != store.SQLite {
		t.Fatalf("dialect = %s", db.Dialect())
	}
	var mode string
	var busy int
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || busy != 5000 {
		t.Fatalf("journal_mode=%s busy_timeout=%d, want wal 5000", mode, busy)
	}
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, store.DefaultFileName)); len(m) != 1 {
		t.Fatalf("no database file under %s", dir)
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	for _, cfg := range []store.Config{
		{DSN: "mysql://root@localhost/x"},
		{BusyTimeout: -time.Second},
		{MaxOpenConns: -1},
	} {
		_, err := store.Open(context.Background(), cfg)
		var fe *store.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("Open(%+v) = %v, want *FieldError", cfg, err)
		}
	}
}

func TestMigrations(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := b.Open(t) // migrated
			st, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st) == 0 || !st[0].Applied {
				t.Fatalf("status after up = %+v", st)
			}
			again, err := db.MigrateUp(ctx)
			if err != nil || len(again) != 0 {
				t.Fatalf("second up = %v, %v; want nothing to do", again, err)
			}
			down, err := db.MigrateDown(ctx)
			if err != nil || len(down) != len(st) {
				t.Fatalf("down = %v, %v", down, err)
			}
			if _, err := db.Accounts(ctx, ""); err == nil {
				t.Fatal("accounts table still exists after down")
			}
			st, _ = db.MigrationStatus(ctx)
			for _, m := range st {
				if m.Applied {
					t.Fatalf("%s still applied after down", m.Name)
				}
			}
			if _, err := db.MigrateUp(ctx); err != nil {
				t.Fatalf("up after down: %v", err)
			}
		})
	}
}

func TestAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := &store.Account{ID: "acme", Dialect: "ringme", Name: "Acme", Email: "ops@acme.test",
			CredentialID: "cid-1", SecretHash: store.HashSecret("s3cret")}
		if err := db.CreateAccount(ctx, a, t0); err != nil {
			t.Fatal(err)
		}
		dup := *a
		if err := db.CreateAccount(ctx, &dup, t0); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate create = %v", err)
		}
		var fe *store.FieldError
		if err := db.CreateAccount(ctx, &store.Account{ID: "x", Dialect: "ringme"}, t0); !errors.As(err, &fe) || fe.Field != "credential_id" {
			t.Fatalf("missing credential = %v", err)
		}
		got, err := db.AccountByCredential(ctx, "ringme", "cid-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "acme" || got.Email != "ops@acme.test" || !got.CreatedAt.Equal(t0) {
			t.Fatalf("got %+v", got)
		}
		if !store.SecretMatches(got.SecretHash, "s3cret") || store.SecretMatches(got.SecretHash, "wrong") {
			t.Fatal("secret hash does not verify")
		}
		if _, err := db.AccountByCredential(ctx, "udesk", "cid-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other dialect = %v", err)
		}
		if err := db.RotateCredential(ctx, "acme", "cid-2", store.HashSecret("new"), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AccountByCredential(ctx, "ringme", "cid-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("old credential still finds the account")
		}
		got, _ = db.Account(ctx, "acme")
		if got.CredentialID != "cid-2" || !store.SecretMatches(got.SecretHash, "new") || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after rotate %+v", got)
		}
		if err := db.RotateCredential(ctx, "nobody", "c", "h", t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rotate unknown = %v", err)
		}
		_ = db.CreateAccount(ctx, &store.Account{ID: "beta", Dialect: "udesk", CredentialID: "b", SecretHash: "h"}, t0)
		_ = db.CreateAccount(ctx, &store.Account{ID: "gamma", Dialect: "twin24", CredentialID: "cid-2", SecretHash: "h2"}, t0)
		if both, err := db.AccountsByCredential(ctx, "cid-2"); err != nil || len(both) != 2 || both[0].ID != "acme" || both[1].ID != "gamma" {
			t.Fatalf("accounts by credential across dialects: %+v %v", both, err)
		}
		if none, err := db.AccountsByCredential(ctx, "cid-1"); err != nil || len(none) != 0 {
			t.Fatalf("accounts by a rotated-away credential: %+v %v", none, err)
		}
		all, _ := db.Accounts(ctx, "")
		ring, _ := db.Accounts(ctx, "ringme")
		if len(all) != 3 || len(ring) != 1 || ring[0].ID != "acme" {
			t.Fatalf("list all=%d ringme=%v", len(all), ring)
		}
	})
}

func TestSubscriptions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &store.Subscription{Tenant: "acme", URL: "http://127.0.0.1:9/hook", Events: []string{"agent.*", "call.ended"},
			Secret: "whsec_abc", MaxConcurrency: 3, TimeoutMS: 2500, Active: true}
		if err := db.CreateSubscription(ctx, s, t0); err != nil {
			t.Fatal(err)
		}
		got, err := db.Subscription(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Events, s.Events) || got.Timeout() != 2500*time.Millisecond || !got.Active || got.Secret != "whsec_abc" {
			t.Fatalf("got %+v", got)
		}
		got.Active = false
		got.URL = "http://127.0.0.1:10/other"
		if err := db.UpdateSubscription(ctx, &got, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		again, _ := db.Subscription(ctx, s.ID)
		if again.Active || again.URL != got.URL || !again.CreatedAt.Equal(t0) {
			t.Fatalf("after update %+v", again)
		}
		scoped := &store.Subscription{Tenant: "acme", Dialect: "ringme", Campaign: "7", Contact: "12", URL: "http://127.0.0.1:9/task", Active: true}
		if err := db.CreateSubscription(ctx, scoped, t0); err != nil {
			t.Fatal(err)
		}
		if bc, err := db.CampaignSubscriptions(ctx, "acme", "7"); err != nil || len(bc) != 1 || bc[0].Contact != "12" {
			t.Fatalf("contact scope stored as %+v %v", bc, err)
		}
		if err := db.DeleteSubscription(ctx, scoped.ID); err != nil {
			t.Fatal(err)
		}
		list, _ := db.Subscriptions(ctx, "acme")
		none, _ := db.Subscriptions(ctx, "other")
		if len(list) != 1 || len(none) != 0 {
			t.Fatalf("list = %d/%d", len(list), len(none))
		}
		if err := db.DeleteSubscription(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Subscription(ctx, s.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after delete = %v", err)
		}
	})
}

func newDelivery(id string, due time.Time) store.Delivery {
	return store.Delivery{ID: id, SubscriptionID: "sub_1", Tenant: "acme", EventID: "evt_" + id, EventType: "agent.state_changed",
		Method: "POST", ContentType: "application/json", Body: []byte(`{"id":"` + id + `"}`), NextAttemptNS: due.UnixNano()}
}

func TestDeliveryLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ds := []store.Delivery{newDelivery("m1", t0), newDelivery("m2", t0.Add(time.Second)), newDelivery("m3", t0.Add(time.Hour))}
		in, err := db.InsertDeliveries(ctx, ds, t0)
		if err != nil || len(in) != 3 {
			t.Fatalf("insert = %d, %v", len(in), err)
		}
		in, err = db.InsertDeliveries(ctx, []store.Delivery{newDelivery("m1", t0), newDelivery("m4", t0.Add(2*time.Hour))}, t0)
		if err != nil || !slices.Equal(deliveryIDs(in), []string{"m4"}) {
			t.Fatalf("re-insert with one duplicate inserted %v, %v; want [m4]", deliveryIDs(in), err)
		}
		due, ok, err := db.NextDeliveryDue(ctx)
		if err != nil || !ok || !due.Equal(t0) {
			t.Fatalf("next due = %v %v %v", due, ok, err)
		}
		now := t0.Add(time.Second)
		lease := now.Add(time.Minute)
		got, err := db.ClaimDeliveries(ctx, now, lease, 10)
		if err != nil {
			t.Fatal(err)
		}
		if ids := deliveryIDs(got); !slices.Equal(ids, []string{"m1", "m2"}) {
			t.Fatalf("claimed %v, want [m1 m2]", ids)
		}
		if string(got[0].Body) != `{"id":"m1"}` || got[0].Method != "POST" {
			t.Fatalf("claimed row %+v", got[0])
		}
		if again, _ := db.ClaimDeliveries(ctx, now, lease, 10); len(again) != 0 {
			t.Fatalf("leased rows claimed twice: %v", deliveryIDs(again))
		}
		due, _, _ = db.NextDeliveryDue(ctx)
		if !due.Equal(lease) {
			t.Fatalf("next due while leased = %v, want lease end %v", due, lease)
		}
		// A lease that expires (the worker died) makes the row claimable again.
		if again, _ := db.ClaimDeliveries(ctx, lease, lease.Add(time.Minute), 1); !slices.Equal(deliveryIDs(again), []string{"m1"}) {
			t.Fatalf("after lease expiry claimed %v, want [m1]", deliveryIDs(again))
		}
		retryAt := now.Add(5 * time.Second)
		err = db.RecordAttempts(ctx, []store.AttemptResult{
			{ID: got[0].ID, Attempts: 1, State: store.DeliveryDelivered, Status: 204},
			{ID: got[1].ID, Attempts: 1, State: store.DeliveryPending, Status: 503, Error: "503 Service Unavailable", NextAttempt: retryAt},
		}, now)
		if err != nil {
			t.Fatal(err)
		}
		m1, _ := db.Delivery(ctx, "m1")
		m2, _ := db.Delivery(ctx, "m2")
		if m1.State != store.DeliveryDelivered || m1.LastStatus != 204 || m1.Attempts != 1 || m1.FinishedAt.IsZero() {
			t.Fatalf("m1 = %+v", m1)
		}
		if m2.State != store.DeliveryPending || !m2.NextAttempt().Equal(retryAt) || m2.LeaseUntilNS != 0 || m2.LastError == "" {
			t.Fatalf("m2 = %+v", m2)
		}
		if c, _ := db.ClaimDeliveries(ctx, retryAt.Add(-time.Nanosecond), lease, 10); len(c) != 0 {
			t.Fatal("retry claimed before its time")
		}
		c, _ := db.ClaimDeliveries(ctx, retryAt, retryAt.Add(time.Minute), 10)
		if !slices.Equal(deliveryIDs(c), []string{"m2"}) {
			t.Fatalf("at retry time claimed %v", deliveryIDs(c))
		}
		if err := db.RecordAttempts(ctx, []store.AttemptResult{{ID: c[0].ID, Attempts: 2, State: store.DeliveryDead, Status: 500, Error: "500"}}, retryAt); err != nil {
			t.Fatal(err)
		}
		dead, err := db.DeadLetters(ctx, store.DeliveryFilter{Tenant: "acme"})
		if err != nil || !slices.Equal(deliveryIDs(dead), []string{"m2"}) || dead[0].Attempts != 2 {
			t.Fatalf("dead letters = %v, %v", deliveryIDs(dead), err)
		}
		n, err := db.ReplayDeadLetters(ctx, []string{"m2", "m1", "nope"}, retryAt.Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("replay = %d, %v; want 1 (only m2 is dead)", n, err)
		}
		m2, _ = db.Delivery(ctx, "m2")
		if m2.State != store.DeliveryPending || m2.Attempts != 0 || !m2.NextAttempt().Equal(retryAt.Add(time.Hour)) || !m2.FinishedAt.IsZero() {
			t.Fatalf("replayed m2 = %+v", m2)
		}
		if dead, _ := db.DeadLetters(ctx, store.DeliveryFilter{}); len(dead) != 0 {
			t.Fatalf("dead letters after replay = %v", deliveryIDs(dead))
		}
		var fe *store.FieldError
		if err := db.RecordAttempts(ctx, []store.AttemptResult{{ID: "m1", State: "bogus"}}, now); !errors.As(err, &fe) {
			t.Fatalf("bogus state = %v", err)
		}
	})
}

func deliveryIDs(ds []store.Delivery) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func TestOutboxCommitsWithState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		watch := db.WatchOutbox()
		err := db.InTx(ctx, t0, func(ctx context.Context, tx bun.Tx, out *store.Outbox) error {
			if _, err := tx.NewInsert().Model(&store.Account{ID: "acme", Dialect: "ringme", CredentialID: "c", SecretHash: "h", CreatedAt: t0, UpdatedAt: t0}).Exec(ctx); err != nil {
				return err
			}
			return out.Emit(event.Event{Type: event.AgentChanged, Tenant: "acme", Agent: "1001"}, event.Event{ID: "evt_fixed", Type: event.QueueChanged, Tenant: "acme"})
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-watch:
		default:
			t.Fatal("outbox watcher not woken after commit")
		}
		boom := errors.New("boom")
		err = db.InTx(ctx, t0, func(ctx context.Context, tx bun.Tx, out *store.Outbox) error {
			if _, err := tx.NewInsert().Model(&store.Account{ID: "rolled", Dialect: "ringme", CredentialID: "r", SecretHash: "h", CreatedAt: t0, UpdatedAt: t0}).Exec(ctx); err != nil {
				return err
			}
			if err := out.Emit(event.Event{Type: event.AgentRemoved}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if _, err := db.Account(ctx, "rolled"); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("rolled-back state was written")
		}
		es, err := db.PendingOutbox(ctx, 10)
		if err != nil || len(es) != 2 {
			t.Fatalf("outbox = %d entries, %v; want the 2 committed", len(es), err)
		}
		ev0, _ := es[0].Event()
		ev1, _ := es[1].Event()
		if ev0.Type != event.AgentChanged || ev0.Agent != "1001" || ev0.ID == "" || ev0.ID != es[0].EventID {
			t.Fatalf("entry 0 = %+v", ev0)
		}
		if ev1.ID != "evt_fixed" || es[1].Topic != store.DefaultTopic {
			t.Fatalf("entry 1 = %+v topic %s", ev1, es[1].Topic)
		}
		if err := db.DeleteOutbox(ctx, []int64{es[0].Seq}); err != nil {
			t.Fatal(err)
		}
		es, _ = db.PendingOutbox(ctx, 10)
		if len(es) != 1 || es[0].EventID != "evt_fixed" {
			t.Fatalf("after delete = %+v", es)
		}
	})
}

func TestSQLiteCheckpointsInBackground(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dir, CheckpointEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var auto int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d (%v), want 0: commits must not checkpoint", auto, err)
	}
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, store.DefaultFileName)
	before := fileSize(t, file)
	ds := make([]store.Delivery, 500)
	for i := range ds {
		ds[i] = newDelivery(fmt.Sprintf("c%d", i), t0)
		ds[i].Body = make([]byte, 1000)
	}
	if _, err := db.InsertDeliveries(ctx, ds, t0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fileSize(t, file) < before+400_000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes: the WAL was not checkpointed in the background", fileSize(t, file))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// Large batches go through COPY on PostgreSQL; every field must come back
// as the row-by-row insert stores it, and a batch holding a delivery stored
// before must still store the others once.
func TestLargeDeliveryBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var ds []store.Delivery
		for i := range 40 {
			d := newDelivery(fmt.Sprintf("big%02d", i), t0.Add(time.Duration(i)*time.Second))
			switch i % 4 {
			case 1:
				d.URL, d.Header = "http://127.0.0.1:9/after?x=1", map[string]string{"X-Vendor": "v,1 \"q\""}
			case 2:
				d.Body, d.ContentType, d.Query, d.Method = nil, "", "a=1&b=%22", "GET"
			case 3:
				d.Body = []byte("line1\nline2,\"quoted\"\x00\xff")
			}
			if i == 39 {
				d.LeaseUntilNS = t0.Add(time.Minute).UnixNano()
			}
			ds = append(ds, d)
		}
		in, err := db.InsertDeliveries(ctx, ds[:30], t0)
		if err != nil || len(in) != 30 {
			t.Fatalf("insert 30 = %d, %v", len(in), err)
		}
		// 20 stored before, 10 new: only the new ones are inserted.
		in, err = db.InsertDeliveries(ctx, ds[10:], t0)
		if err != nil || len(in) != 10 || in[0].ID != "big30" {
			t.Fatalf("overlapping batch inserted %v, %v; want big30..big39", deliveryIDs(in), err)
		}
		for _, want := range ds {
			got, err := db.Delivery(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.URL != want.URL || !maps.Equal(got.Header, want.Header) || !bytes.Equal(got.Body, want.Body) || got.Query != want.Query ||
				got.ContentType != want.ContentType || got.Method != want.Method || got.Tenant != want.Tenant || got.EventID != want.EventID ||
				got.NextAttemptNS != want.NextAttemptNS || got.LeaseUntilNS != want.LeaseUntilNS || got.State != store.DeliveryPending ||
				!got.CreatedAt.Equal(t0) {
				t.Fatalf("stored %s as\n%+v\nwant\n%+v", want.ID, got, want)
			}
		}
	})
}
