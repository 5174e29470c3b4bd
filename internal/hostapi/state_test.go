package hostapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/hostapi/hostapitest"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialect/dialecttest"
)

// TestState runs the hosts' state conformance suite on the service's host
// over SQLite and PostgreSQL, then checks what only it does: plugins kept
// apart, entries kept by a new service over the same store, and sweeping.
func TestState(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
			env := hostapitest.New(t, hostapitest.Config{Dialects: servedDialects{}, Now: clk.Now, Open: b.Open})
			var ids []string
			for range 2 {
				a, _, err := accounts.Create(ctx, env.DB, accounts.Request{Dialect: "udesk"}, clk.Now())
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, a.ID)
			}
			h := env.Service.For("udesk")
			dialecttest.TestState(t, dialecttest.StateEnv{Host: h, Account: ids[0], Other: ids[1], Advance: clk.Add})

			if err := h.PutState(ctx, ids[0], "shared", []byte("udesk's"), 0); err != nil {
				t.Fatal(err)
			}
			// another plugin serving the same accounts sees none of it
			other := env.Service.ForPlugin("udesk-next", "udesk")
			if _, err := other.GetState(ctx, ids[0], "shared"); !errors.Is(err, dialect.ErrNotFound) {
				t.Errorf("another plugin reads udesk's state: %v", err)
			}
			// an account of another dialect is not this host's
			rm, _, err := accounts.Create(ctx, env.DB, accounts.Request{Dialect: "ringme"}, clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := h.PutState(ctx, rm.ID, "k", nil, 0); !errors.Is(err, dialect.ErrNotFound) {
				t.Errorf("state of another dialect's account: %v, want ErrNotFound", err)
			}

			// a new service over the same store (a restart) keeps the entries
			if _, err := h.PutStateIfAbsent(ctx, ids[0], "nonce:n9", []byte("1"), 15*time.Minute); err != nil {
				t.Fatal(err)
			}
			again := hostapitest.New(t, hostapitest.Config{Dialects: servedDialects{}, Now: clk.Now, Open: func(testing.TB) *store.DB { return env.DB }})
			h2 := again.Service.For("udesk")
			if v, err := h2.GetState(ctx, ids[0], "shared"); err != nil || string(v) != "udesk's" {
				t.Errorf("after restart: %q, %v", v, err)
			}
			if stored, err := h2.PutStateIfAbsent(ctx, ids[0], "nonce:n9", []byte("2"), 15*time.Minute); err != nil || stored {
				t.Errorf("nonce replayed after restart: stored %v, %v", stored, err)
			}

			// sweeping drops expired rows only
			if err := h.PutState(ctx, ids[0], "brief", []byte("x"), time.Minute); err != nil {
				t.Fatal(err)
			}
			before, _ := env.DB.StateCount(ctx, "udesk")
			clk.Add(16 * time.Minute)
			n, err := env.Service.SweepState(ctx)
			if err != nil || n < 2 {
				t.Fatalf("swept %d, %v; want at least the nonce and brief", n, err)
			}
			after, _ := env.DB.StateCount(ctx, "udesk")
			if after != before-int(n) {
				t.Errorf("rows %d -> %d after sweeping %d", before, after, n)
			}
			if v, err := h.GetState(ctx, ids[0], "shared"); err != nil || string(v) != "udesk's" {
				t.Errorf("a sweep dropped a live entry: %q, %v", v, err)
			}
			// the state writes sweep by themselves once a minute
			if err := h.PutState(ctx, ids[0], "brief", []byte("x"), time.Second); err != nil {
				t.Fatal(err)
			}
			clk.Add(2 * time.Minute)
			if _, err := h.AddState(ctx, ids[0], "tick", 1, 0); err != nil {
				t.Fatal(err)
			}
			if left, _ := env.DB.StateCount(ctx, "udesk"); left != after+1 {
				t.Errorf("rows after a write two minutes later = %d, want %d (brief swept, tick added)", left, after+1)
			}
		})
	}
}
