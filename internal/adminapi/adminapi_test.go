package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/internal/adminapi"
)

// deadLetter stores a delivery and gives up on it.
func deadLetter(t *testing.T, db *store.DB, id, tenant string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	d := store.Delivery{ID: id, SubscriptionID: "sub_1", Tenant: tenant, EventID: "ev_" + id, EventType: "agent.status_changed",
		Method: http.MethodPost, ContentType: "application/json", Body: []byte(`{}`), NextAttemptNS: now.UnixNano()}
	if _, err := db.InsertDeliveries(ctx, []store.Delivery{d}, now); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordAttempts(ctx, []store.AttemptResult{{ID: id, Attempts: 7, State: store.DeliveryDead, Status: 503, Error: "503 Service Unavailable"}}, now); err != nil {
		t.Fatal(err)
	}
}

func TestDeadLettersListAndReplay(t *testing.T) {
	db := storetest.SQLite(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	deadLetter(t, db, "d1", "12", now)
	deadLetter(t, db, "d2", "13", now)
	api, err := adminapi.New(adminapi.Config{Store: db, Password: "s3cret-admin", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	call := func(method, path, token string, body any) (int, map[string]any) {
		t.Helper()
		var rd bytes.Buffer
		if body != nil {
			_ = json.NewEncoder(&rd).Encode(body)
		}
		req, _ := http.NewRequest(method, srv.URL+path, &rd)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, _ := call("GET", "/api/admin/deadletters", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := call("GET", "/api/admin/deadletters", "wrong", nil); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	code, out := call("GET", "/api/admin/deadletters?tenant=12", "s3cret-admin", nil)
	list, _ := out["dead_letters"].([]any)
	if code != 200 || len(list) != 1 || list[0].(map[string]any)["id"] != "d1" || list[0].(map[string]any)["last_status"] != float64(503) {
		t.Fatalf("list for tenant 12: %d %v", code, out)
	}
	if code, out := call("GET", "/api/admin/deadletters?limit=lots", "s3cret-admin", nil); code != 400 || out["field"] != "limit" {
		t.Fatalf("bad limit: %d %v", code, out)
	}
	if code, out := call("POST", "/api/admin/deadletters/replay", "s3cret-admin", map[string]any{"ids": []string{}}); code != 400 || out["field"] != "ids" {
		t.Fatalf("empty replay: %d %v", code, out)
	}
	if code, out := call("POST", "/api/admin/deadletters/replay", "s3cret-admin", map[string]any{"ids": []string{"d1", "nope"}}); code != 200 || out["replayed"] != float64(1) {
		t.Fatalf("replay: %d %v", code, out)
	}
	d, err := db.Delivery(context.Background(), "d1")
	if err != nil || d.State != store.DeliveryPending || d.Attempts != 0 {
		t.Fatalf("d1 after replay: %+v %v", d, err)
	}
	code, out = call("GET", "/api/admin/deadletters", "s3cret-admin", nil)
	if list, _ := out["dead_letters"].([]any); code != 200 || len(list) != 1 {
		t.Fatalf("after replay: %v", out)
	}
}
