package accounts

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DSN: filepath.Join(t.TempDir(), "test.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestCreateEachDialect(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	want := map[string][]string{
		"ringme":  {"client_id", "client_secret"},
		"twin24":  {"email", "password"},
		"zxycall": {"token"},
		"udesk":   {"email", "api_token"},
	}
	for _, d := range Dialects {
		a, creds, err := Create(ctx, db, Request{Dialect: d, Name: "Acme"}, now)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if len(creds) != len(want[d]) {
			t.Fatalf("%s credentials %v", d, creds)
		}
		for _, k := range want[d] {
			if creds[k] == "" {
				t.Fatalf("%s: no %s in %v", d, k, creds)
			}
		}
		stored, err := db.Account(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		secret := map[string]string{"ringme": creds["client_secret"], "twin24": creds["password"], "udesk": creds["api_token"]}[d]
		key := map[string]string{"ringme": creds["client_id"], "twin24": creds["email"], "udesk": creds["email"]}[d]
		if d == "zxycall" {
			var ok bool
			key, secret, ok = SplitToken(creds["token"])
			if !ok {
				t.Fatalf("token %q has no key", creds["token"])
			}
		}
		found, err := db.AccountByCredential(ctx, d, key)
		if err != nil || found.ID != a.ID {
			t.Fatalf("%s: lookup by %q: %v %v", d, key, found.ID, err)
		}
		if !store.SecretMatches(stored.SecretHash, secret) {
			t.Fatalf("%s: stored hash does not match the secret", d)
		}
		if stored.SecretHash == secret {
			t.Fatalf("%s: secret stored in clear", d)
		}
	}
}

func TestRotateInvalidatesOldSecret(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	a, old, err := Create(ctx, db, Request{Dialect: "udesk", Email: "ops@example.com"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Rotate(ctx, db, a.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := db.Account(ctx, a.ID)
	if store.SecretMatches(stored.SecretHash, old["api_token"]) || !store.SecretMatches(stored.SecretHash, fresh["api_token"]) {
		t.Fatal("rotation did not replace the secret")
	}
	if fresh["email"] != "ops@example.com" {
		t.Fatalf("email changed: %v", fresh)
	}
}

func TestBadRequests(t *testing.T) {
	db := openDB(t)
	var fe *FieldError
	if _, _, err := Create(context.Background(), db, Request{Dialect: "genesys"}, time.Now()); !errors.As(err, &fe) || fe.Field != "dialect" {
		t.Fatalf("unknown dialect: %v", err)
	}
	if _, _, err := Create(context.Background(), db, Request{Dialect: "udesk", Email: "not-an-email"}, time.Now()); !errors.As(err, &fe) || fe.Field != "email" {
		t.Fatalf("bad email: %v", err)
	}
}
