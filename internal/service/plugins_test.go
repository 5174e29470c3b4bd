package service_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/service/servicetest"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
)

// The service started with --plugins-dir runs the example plugin as a
// process and serves its API at /example/ over real HTTP; the plugin acts
// through the service's host API on the tenant the bearer token names.
func TestServeExamplePlugin(t *testing.T) {
	running := servicetest.WithPlugin(t, "example")
	svc, ctx, stop := running.Service, running.Ctx, running.Stop

	tenant, creds, err := accounts.Create(ctx, svc.DB(), accounts.Request{Dialect: "zxycall"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, otherCreds, err := accounts.Create(ctx, svc.DB(), accounts.Request{Dialect: "zxycall"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, token, reqBody string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, svc.URL()+path, strings.NewReader(reqBody))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, b := do("POST", "/example/queues", creds["token"], `{"strategy":"ring-all","max_wait_time":30}`)
	if code != http.StatusCreated {
		t.Fatalf("create a queue: %d %s", code, b)
	}
	var created struct {
		ID          string `json:"id"`
		Strategy    string `json:"strategy"`
		MaxWaitTime int    `json:"max_wait_time"`
	}
	if err := json.Unmarshal([]byte(b), &created); err != nil || created.Strategy != "ring-all" || created.MaxWaitTime != 30 {
		t.Fatalf("created %s: %v", b, err)
	}
	id, err := store.ParseACDID(created.ID)
	if err != nil {
		t.Fatalf("the host assigned %q: %v", created.ID, err)
	}
	stored, err := svc.Queues().Queue(ctx, tenant.ID, id)
	if err != nil || stored.Config.MaxWaitTime != 30*time.Second {
		t.Errorf("stored queue %+v %v", stored, err)
	}

	code, b = do("GET", "/example/queues/"+created.ID+"/status", creds["token"], "")
	if code != http.StatusOK || b != `{"queue":"`+created.ID+`","waiting":0,"trying":0,"answered":0,"logged_in_agents":0,"free_agents":0}` {
		t.Errorf("status: %d %s", code, b)
	}
	code, b = do("PUT", "/example/queues/"+created.ID, creds["token"], `{"strategy":"bogus"}`)
	if code != http.StatusBadRequest || !strings.Contains(b, `"field":"strategy"`) {
		t.Errorf("bad strategy: %d %s", code, b)
	}
	for _, c := range []struct {
		name, method, path, token, body string
		code                            int
	}{
		{"another tenant's queue", "GET", "/example/queues/" + created.ID + "/status", otherCreds["token"], "", http.StatusNotFound},
		{"another tenant replaces it", "PUT", "/example/queues/" + created.ID, otherCreds["token"], `{}`, http.StatusNotFound},
		{"a queue id the host did not assign", "PUT", "/example/queues/sales", creds["token"], `{}`, http.StatusNotFound},
		{"no token", "GET", "/example/queues/" + created.ID + "/status", "", "", http.StatusUnauthorized},
		{"a wrong token", "GET", "/example/queues/" + created.ID + "/status", creds["token"] + "x", "", http.StatusUnauthorized},
	} {
		if code, b := do(c.method, c.path, c.token, c.body); code != c.code {
			t.Errorf("%s: %d %s, want %d", c.name, code, b, c.code)
		}
	}
	code, b = do("GET", "/example/openapi.json", "", "")
	if code != http.StatusOK || !strings.Contains(b, `"/queues/{id}/status"`) {
		t.Errorf("openapi: %d %.200s", code, b)
	}
	stop()
}
