package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/service"
)

// Each dialect gets one demo tenant; a restart shows working credentials
// for the same tenant (the old secret no longer works).
func TestProvisionDemoTenants(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	first, err := service.ProvisionDemoTenants(ctx, db, accounts.Dialects, time.Now())
	if err != nil || len(first) != len(accounts.Dialects) {
		t.Fatalf("first: %+v %v", first, err)
	}
	second, err := service.ProvisionDemoTenants(ctx, db, accounts.Dialects, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range accounts.Dialects {
		if second[i].Account != first[i].Account || second[i].Dialect != d {
			t.Fatalf("%s: tenant %s then %s", d, first[i].Account, second[i].Account)
		}
		as, _ := db.Accounts(ctx, d)
		if len(as) != 1 {
			t.Fatalf("%s: %d accounts", d, len(as))
		}
		secret := func(c accounts.Credentials) string {
			for _, k := range []string{"client_secret", "password", "api_token"} {
				if c[k] != "" {
					return c[k]
				}
			}
			_, s, _ := accounts.SplitToken(c["token"])
			return s
		}
		if !store.SecretMatches(as[0].SecretHash, secret(second[i].Credentials)) || store.SecretMatches(as[0].SecretHash, secret(first[i].Credentials)) {
			t.Fatalf("%s: the shown secret is not the stored one", d)
		}
	}
}
