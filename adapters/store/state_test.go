package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
)

func TestPluginState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		k := store.StateKey{Plugin: "udesk", Account: "acme", Name: "nonce:abc"}
		other := store.StateKey{Plugin: "ringme", Account: "acme", Name: "nonce:abc"}

		if _, err := db.GetState(ctx, k, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get of nothing = %v", err)
		}
		ok, err := db.PutStateIfAbsent(ctx, k, []byte("1"), now.Add(15*time.Minute), now)
		if err != nil || !ok {
			t.Fatalf("first = %v, %v", ok, err)
		}
		if ok, err = db.PutStateIfAbsent(ctx, k, []byte("2"), now.Add(15*time.Minute), now.Add(time.Minute)); err != nil || ok {
			t.Fatalf("replay = %v, %v; want refused", ok, err)
		}
		if ok, err = db.PutStateIfAbsent(ctx, other, []byte("x"), time.Time{}, now); err != nil || !ok {
			t.Fatalf("same name, other plugin = %v, %v", ok, err)
		}
		if v, err := db.GetState(ctx, k, now.Add(15*time.Minute-time.Millisecond)); err != nil || string(v) != "1" {
			t.Fatalf("get before expiry = %q, %v", v, err)
		}
		later := now.Add(15 * time.Minute)
		if _, err := db.GetState(ctx, k, later); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get at expiry = %v, want ErrNotFound", err)
		}
		if ok, err = db.PutStateIfAbsent(ctx, k, []byte("3"), later.Add(time.Minute), later); err != nil || !ok {
			t.Fatalf("after expiry = %v, %v; want stored", ok, err)
		}

		c := store.StateKey{Plugin: "ringme", Account: "acme", Name: "rate:cid:1"}
		for i, want := range []int64{1, 2, 5} {
			delta := int64(1)
			if i == 2 {
				delta = 3
			}
			if n, err := db.AddState(ctx, c, delta, now.Add(time.Hour), now.Add(time.Duration(i)*time.Minute)); err != nil || n != want {
				t.Fatalf("add %d = %d, %v; want %d", i, n, err, want)
			}
		}
		// put keeps a live entry's counter; add keeps its value and expiry
		if err := db.PutState(ctx, c, []byte("v"), now.Add(2*time.Hour), now); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.AddState(ctx, c, 0, now.Add(5*time.Hour), now.Add(90*time.Minute)); n != 5 {
			t.Fatalf("counter after put = %d, want 5", n)
		}
		if n, _ := db.AddState(ctx, c, 1, now.Add(9*time.Hour), now.Add(2*time.Hour)); n != 1 {
			t.Fatalf("counter once the entry expired = %d, want 1", n)
		}
		if v, err := db.GetState(ctx, c, now.Add(2*time.Hour)); err != nil || len(v) != 0 {
			t.Fatalf("value of a restarted counter = %q, %v; want empty", v, err)
		}

		// concurrent first uses: exactly one wins; concurrent adds all count
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 12 {
			wg.Go(func() {
				ok, err := db.PutStateIfAbsent(ctx, store.StateKey{Plugin: "udesk", Account: "acme", Name: "race"}, nil, time.Time{}, now)
				if err != nil {
					t.Errorf("race put: %v", err)
				}
				_, err2 := db.AddState(ctx, store.StateKey{Plugin: "udesk", Account: "acme", Name: "hits"}, 1, time.Time{}, now)
				if err2 != nil {
					t.Errorf("race add: %v", err2)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent first uses stored, want 1", wins)
		}
		if n, _ := db.AddState(ctx, store.StateKey{Plugin: "udesk", Account: "acme", Name: "hits"}, 0, time.Time{}, now); n != 12 {
			t.Fatalf("hits = %d, want 12", n)
		}

		if err := db.DeleteState(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetState(ctx, other, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after delete = %v", err)
		}

		// sweeping: k expires at later+1m, c at now+9h; race and hits never
		before, _ := db.StateCount(ctx, "")
		n, err := db.SweepState(ctx, now.Add(10*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("swept %d, %v; want 2", n, err)
		}
		if after, _ := db.StateCount(ctx, ""); after != before-2 || after != 2 {
			t.Fatalf("rows %d -> %d, want 2 left", before, after)
		}
	})
}
