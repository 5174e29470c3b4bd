package udeskdialect_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/config"
	"github.com/switchboard-cc/switchboard/internal/service"
	"github.com/switchboard-cc/switchboard/pkg/acd"
)

// The service started with --plugins-dir serves the udesk plugin at /udesk/
// over real HTTP: a Udesk client logs in, signs its requests, creates a
// task, imports numbers and opens and closes it.
func TestServeUdeskPlugin(t *testing.T) {
	if pluginBin == "" {
		t.Skip("the plugin binary is not built in fuzz runs")
	}
	dir := t.TempDir()
	bin, err := os.ReadFile(pluginBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "udesk"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.PluginsDir = dir
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := service.New(ctx, cfg, service.Options{Logger: quiet})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("service did not stop within 15 s")
		}
	})

	do := func(method, path string, q url.Values, body string) (int, string) {
		t.Helper()
		u := svc.URL() + path
		if q != nil {
			u += "?" + q.Encode()
		}
		req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if code, b := do("GET", "/readyz", nil, ""); code == 200 && strings.Contains(b, "plugins") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the service with the udesk plugin did not become ready")
		}
		time.Sleep(50 * time.Millisecond)
	}

	acct, creds, err := accounts.Create(ctx, svc.DB(), accounts.Request{Dialect: "udesk", Email: "admin@udesk.cn"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	q, err := svc.Queues().CreateQueue(ctx, acct.ID, "sales", "Sales", acd.NewQueueConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	group := json.Number(strings.TrimSpace(jsonInt(int(q.ID))))

	code, b := do("POST", "/udesk/open_api_v1/log_in", nil, `{"email":"admin@udesk.cn","password":"`+creds["api_token"]+`"}`)
	var login struct {
		Token string `json:"open_api_auth_token"`
	}
	if code != 200 || json.Unmarshal([]byte(b), &login) != nil || login.Token == "" {
		t.Fatalf("log_in: %d %s", code, b)
	}
	sq := func() url.Values { return signed("admin@udesk.cn", login.Token, time.Now(), nil) }

	steps := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/udesk/open_api_v1/cc_ad_tasks", `{"name":"Callout Task","task_type":3,"user_group_id":` + string(group) + `,"call_limit":"5"}`, 200, `{"code":1000,"id":1}`},
		{"POST", "/udesk/open_api_v1/cc_ad_tasks/add_numbers", `{"id":1,"numbers":[{"cellphone":"13223004567"},{"cellphone":"13223004568"}]}`, 200,
			`{"code":1000,"successful_count":2,"unsuccessful_count":0,"unsuccessful_numbers":[]}`},
		{"POST", "/udesk/open_api_v1/cc_ad_tasks/1/open", `{"open":true}`, 200, `{"code":1000}`},
		{"GET", "/udesk/open_api_v1/cc_ad_tasks/1", ``, 200, `"status":1`},
		{"POST", "/udesk/open_api_v1/cc_ad_tasks/1/open", `{"open":false}`, 200, `{"code":1000}`},
		{"GET", "/udesk/open_api_v1/cc_ad_tasks", ``, 200, `"meta":{"current_page":1,"total_pages":1,"total_entries":1}`},
		{"GET", "/udesk/open_api_v1/cc_ad_tasks/2", ``, 404, `"code":2005`},
	}
	for _, s := range steps {
		code, b := do(s.method, s.path, sq(), s.body)
		if code != s.status || !strings.Contains(b, s.want) {
			t.Errorf("%s %s: %d %s, want %d %s", s.method, s.path, code, b, s.status, s.want)
		}
	}
	if code, b := do("GET", "/udesk/open_api_v1/cc_ad_tasks/1", nil, ""); code != 401 || !strings.Contains(b, `"code":2059`) {
		t.Errorf("unsigned: %d %s", code, b)
	}
	if code, b := do("GET", "/udesk/openapi.json", nil, ""); code != 200 || !strings.Contains(b, "/open_api_v1/cc_ad_tasks/{id}/open") {
		t.Errorf("openapi: %d %.200s", code, b)
	}
	c, err := svc.Campaigns().Campaign(ctx, acct.ID, 1)
	if err != nil || c.Config.Mode != "predictive" || c.Config.Pacing.MaxConcurrent != 5 || c.Config.Queue != string(group) {
		t.Errorf("stored campaign %+v %v", c.Config, err)
	}
}
