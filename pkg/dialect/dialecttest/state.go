// Package dialecttest holds conformance tests every dialect.Host
// implementation runs, so the in-memory test host and the service's host
// behave alike.
package dialecttest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// StateEnv is a host under test: Host serves Account and Other (two
// accounts of the same plugin), and Advance moves the host's clock on.
type StateEnv struct {
	Host    dialect.Host
	Account string
	Other   string
	Advance func(time.Duration)
}

// TestState checks the plugin state calls (PutState, PutStateIfAbsent,
// GetState, DeleteState, AddState, ListState): values, counts, expiry,
// atomicity under concurrent callers, listing by prefix in byte order and
// in pages, account scoping and bad input.
func TestState(t *testing.T, env StateEnv) {
	ctx := context.Background()
	h, a, b := env.Host, env.Account, env.Other

	t.Run("put get delete", func(t *testing.T) {
		if _, err := h.GetState(ctx, a, "k1"); !errors.Is(err, dialect.ErrNotFound) {
			t.Fatalf("get of nothing = %v, want ErrNotFound", err)
		}
		if err := h.PutState(ctx, a, "k1", []byte("one"), 0); err != nil {
			t.Fatal(err)
		}
		if err := h.PutState(ctx, a, "k1", []byte("two"), 0); err != nil {
			t.Fatal(err)
		}
		if v, err := h.GetState(ctx, a, "k1"); err != nil || string(v) != "two" {
			t.Fatalf("get = %q, %v; want two", v, err)
		}
		if _, err := h.GetState(ctx, b, "k1"); !errors.Is(err, dialect.ErrNotFound) {
			t.Fatalf("other account sees the entry: %v", err)
		}
		if err := h.DeleteState(ctx, a, "k1"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.GetState(ctx, a, "k1"); !errors.Is(err, dialect.ErrNotFound) {
			t.Fatalf("get after delete = %v, want ErrNotFound", err)
		}
		if err := h.DeleteState(ctx, a, "k1"); err != nil {
			t.Fatalf("deleting nothing = %v, want nil", err)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		if err := h.PutState(ctx, a, "short", []byte("x"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := h.PutState(ctx, a, "forever", []byte("y"), 0); err != nil {
			t.Fatal(err)
		}
		env.Advance(59 * time.Second)
		if v, err := h.GetState(ctx, a, "short"); err != nil || string(v) != "x" {
			t.Fatalf("before expiry get = %q, %v", v, err)
		}
		env.Advance(2 * time.Second)
		if _, err := h.GetState(ctx, a, "short"); !errors.Is(err, dialect.ErrNotFound) {
			t.Fatalf("after expiry get = %v, want ErrNotFound", err)
		}
		if v, err := h.GetState(ctx, a, "forever"); err != nil || string(v) != "y" {
			t.Fatalf("ttl 0 entry = %q, %v; want kept", v, err)
		}
	})

	t.Run("if absent", func(t *testing.T) {
		stored, err := h.PutStateIfAbsent(ctx, a, "nonce:n1", []byte("1"), 15*time.Minute)
		if err != nil || !stored {
			t.Fatalf("first use = %v, %v; want stored", stored, err)
		}
		if stored, err = h.PutStateIfAbsent(ctx, a, "nonce:n1", []byte("2"), 15*time.Minute); err != nil || stored {
			t.Fatalf("replay = %v, %v; want refused", stored, err)
		}
		if v, _ := h.GetState(ctx, a, "nonce:n1"); string(v) != "1" {
			t.Fatalf("refused put changed the value to %q", v)
		}
		if stored, err = h.PutStateIfAbsent(ctx, b, "nonce:n1", []byte("1"), 15*time.Minute); err != nil || !stored {
			t.Fatalf("same key, other account = %v, %v; want stored", stored, err)
		}
		env.Advance(15*time.Minute + time.Second)
		if stored, err = h.PutStateIfAbsent(ctx, a, "nonce:n1", []byte("3"), 15*time.Minute); err != nil || !stored {
			t.Fatalf("after expiry = %v, %v; want stored", stored, err)
		}
		if v, _ := h.GetState(ctx, a, "nonce:n1"); string(v) != "3" {
			t.Fatalf("value after re-use = %q, want 3", v)
		}
	})

	t.Run("if absent concurrent", func(t *testing.T) {
		const n = 16
		var wg sync.WaitGroup
		wins := make(chan int, n)
		for i := range n {
			wg.Go(func() {
				stored, err := h.PutStateIfAbsent(ctx, a, "race", []byte{byte(i)}, time.Hour)
				if err != nil {
					t.Errorf("put %d: %v", i, err)
				}
				if stored {
					wins <- i
				}
			})
		}
		wg.Wait()
		close(wins)
		var won []int
		for i := range wins {
			won = append(won, i)
		}
		if len(won) != 1 {
			t.Fatalf("%d of %d concurrent callers stored (%v), want exactly 1", len(won), n, won)
		}
	})

	t.Run("counts", func(t *testing.T) {
		for i, want := range []int64{1, 2, 3} {
			if got, err := h.AddState(ctx, a, "rate:c1", 1, time.Hour); err != nil || got != want {
				t.Fatalf("add %d = %d, %v; want %d", i, got, err, want)
			}
		}
		if got, err := h.AddState(ctx, a, "rate:c1", 0, time.Hour); err != nil || got != 3 {
			t.Fatalf("read = %d, %v; want 3", got, err)
		}
		if got, err := h.AddState(ctx, a, "rate:c1", -5, time.Hour); err != nil || got != -2 {
			t.Fatalf("add -5 = %d, %v; want -2", got, err)
		}
		if got, err := h.AddState(ctx, b, "rate:c1", 1, time.Hour); err != nil || got != 1 {
			t.Fatalf("other account = %d, %v; want 1", got, err)
		}
		// A window's expiry is set when it starts: adding later keeps it.
		env.Advance(50 * time.Minute)
		if got, _ := h.AddState(ctx, a, "rate:c1", 1, time.Hour); got != -1 {
			t.Fatalf("add at 50 min = %d, want -1", got)
		}
		env.Advance(11 * time.Minute)
		if got, _ := h.AddState(ctx, a, "rate:c1", 1, time.Hour); got != 1 {
			t.Fatalf("add after the window = %d, want 1 (a fresh count)", got)
		}
	})

	t.Run("counts concurrent", func(t *testing.T) {
		const n = 20
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if _, err := h.AddState(ctx, a, "hits", 1, 0); err != nil {
					t.Errorf("add: %v", err)
				}
			})
		}
		wg.Wait()
		if got, err := h.AddState(ctx, a, "hits", 0, 0); err != nil || got != n {
			t.Fatalf("count after %d concurrent adds = %d, %v", n, got, err)
		}
	})

	t.Run("value and count are independent", func(t *testing.T) {
		if _, err := h.AddState(ctx, a, "both", 7, 0); err != nil {
			t.Fatal(err)
		}
		if v, err := h.GetState(ctx, a, "both"); err != nil || len(v) != 0 {
			t.Fatalf("value of a count-only entry = %q, %v; want empty", v, err)
		}
		if err := h.PutState(ctx, a, "both", []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
		if got, _ := h.AddState(ctx, a, "both", 1, 0); got != 8 {
			t.Fatalf("count after put = %d, want 8 (put keeps the count)", got)
		}
		if v, _ := h.GetState(ctx, a, "both"); string(v) != "v" {
			t.Fatalf("value after add = %q, want v (add keeps the value)", v)
		}
		if err := h.DeleteState(ctx, a, "both"); err != nil {
			t.Fatal(err)
		}
		if got, _ := h.AddState(ctx, a, "both", 1, 0); got != 1 {
			t.Fatalf("count after delete = %d, want 1", got)
		}
	})

	t.Run("list", func(t *testing.T) {
		for _, k := range []string{"list:a", "list:B", "list:z", "list:é", "list:%_", "lisT", "list;x", "list"} {
			if err := h.PutState(ctx, a, k, []byte("v-"+k), 0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.AddState(ctx, a, "list:b", 5, 0); err != nil {
			t.Fatal(err)
		}
		if err := h.PutState(ctx, a, "list:tmp", []byte("brief"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := h.PutState(ctx, b, "list:other", []byte("b's"), 0); err != nil {
			t.Fatal(err)
		}
		// byte order: '%' < 'B' < 'a' < 'b' < 't' < 'z' < 0xc3 ('é')
		all := []string{"list:%_", "list:B", "list:a", "list:b", "list:tmp", "list:z", "list:é"}
		p, err := h.ListState(ctx, a, "list:", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := stateKeys(p); !slices.Equal(got, all) || p.NextToken != "" {
			t.Fatalf("list = %q next %q, want %q and no next page", got, p.NextToken, all)
		}
		for _, e := range p.Entries {
			want := "v-" + e.Key
			switch e.Key {
			case "list:b":
				want = ""
				if e.Count != 5 {
					t.Errorf("list:b count = %d, want 5", e.Count)
				}
			case "list:tmp":
				want = "brief"
			}
			if string(e.Value) != want {
				t.Errorf("%s value = %q, want %q", e.Key, e.Value, want)
			}
		}

		var paged []string
		token, pages := "", 0
		for {
			p, err := h.ListState(ctx, a, "list:", token, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Entries) > 3 {
				t.Fatalf("page of %d entries, limit 3", len(p.Entries))
			}
			paged = append(paged, stateKeys(p)...)
			pages++
			if token = p.NextToken; token == "" || pages > 5 {
				break
			}
		}
		if !slices.Equal(paged, all) || pages != 3 {
			t.Fatalf("in pages of 3: %q over %d pages, want %q over 3", paged, pages, all)
		}

		for _, c := range []struct {
			prefix string
			want   []string
		}{
			{"list:%", []string{"list:%_"}}, // no wildcards: % and _ are themselves
			{"list:_", nil},
			{"list:é", []string{"list:é"}},
			{"list:b", []string{"list:b"}},
			{"nothing:", nil},
		} {
			p, err := h.ListState(ctx, a, c.prefix, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := stateKeys(p); !slices.Equal(got, c.want) {
				t.Errorf("prefix %q = %q, want %q", c.prefix, got, c.want)
			}
		}
		if p, err := h.ListState(ctx, a, "", "", 0); err != nil || !slices.IsSorted(stateKeys(p)) || !slices.Contains(stateKeys(p), "lisT") {
			t.Errorf("no prefix = %q, %v; want every key, sorted", stateKeys(p), err)
		}
		if p, err := h.ListState(ctx, b, "list:", "", 0); err != nil || !slices.Equal(stateKeys(p), []string{"list:other"}) {
			t.Errorf("other account = %q, %v; want its own entry only", stateKeys(p), err)
		}

		env.Advance(time.Minute + time.Second)
		if err := h.DeleteState(ctx, a, "list:a"); err != nil {
			t.Fatal(err)
		}
		want := []string{"list:%_", "list:B", "list:b", "list:z", "list:é"}
		if p, err := h.ListState(ctx, a, "list:", "", 0); err != nil || !slices.Equal(stateKeys(p), want) {
			t.Errorf("after expiry and delete = %q, %v; want %q", stateKeys(p), err, want)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		long := strings.Repeat("k", dialect.MaxStateKey+1)
		big := make([]byte, dialect.MaxStateValue+1)
		for _, c := range []struct {
			name, field string
			call        func() error
		}{
			{"empty key put", "key", func() error { return h.PutState(ctx, a, "", []byte("x"), 0) }},
			{"long key get", "key", func() error { _, err := h.GetState(ctx, a, long); return err }},
			{"empty key delete", "key", func() error { return h.DeleteState(ctx, a, "") }},
			{"big value", "value", func() error { return h.PutState(ctx, a, "k", big, 0) }},
			{"negative ttl", "ttl", func() error { _, err := h.PutStateIfAbsent(ctx, a, "k", nil, -time.Second); return err }},
			{"negative ttl add", "ttl", func() error { _, err := h.AddState(ctx, a, "k", 1, -time.Second); return err }},
			{"no account", "account", func() error { return h.PutState(ctx, "", "k", nil, 0) }},
			{"negative limit", "limit", func() error { _, err := h.ListState(ctx, a, "k", "", -1); return err }},
			{"long prefix", "prefix", func() error { _, err := h.ListState(ctx, a, long, "", 0); return err }},
			{"foreign token", "page_token", func() error { _, err := h.ListState(ctx, a, "list:", "other:1", 0); return err }},
			{"no account list", "account", func() error { _, err := h.ListState(ctx, "", "k", "", 0); return err }},
		} {
			var fe *dialect.FieldError
			if err := c.call(); !errors.As(err, &fe) || fe.Field != c.field {
				t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
			}
		}
		if _, err := h.GetState(ctx, a, "k"); !errors.Is(err, dialect.ErrNotFound) {
			t.Errorf("a refused put stored something: %v", err)
		}
	})
}

// stateKeys lists a page's keys in order.
func stateKeys(p dialect.StatePage) []string {
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.Key)
	}
	return out
}
