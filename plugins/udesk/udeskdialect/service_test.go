package udeskdialect_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/service/servicetest"
	"github.com/switchboard-cc/switchboard/pkg/acd"
)

// TestService runs the real service (SQLite, the built-in Asterisk
// emulator 50 times faster than the wall, the real host API and webhook
// sender) with the udesk plugin process, built and started once for its
// subtests, which use companies of their own. The seed's examples run
// first: their golden files hold the ids of a fresh service (task 1).
func TestService(t *testing.T) {
	r := servicetest.WithPlugin(t, "udesk", servicetest.Speed(50))
	t.Run("seed examples", func(t *testing.T) { seedExamples(t, r) })
	t.Run("walk-through", func(t *testing.T) { walkThrough(t, r) })
	t.Run("results pushed end to end", func(t *testing.T) { resultsEndToEnd(t, r) })
	t.Run("a script's hand-off pushed", func(t *testing.T) { handoffEndToEnd(t, r) })
}

// company is a provisioned udesk tenant talking to the service over real
// HTTP as a Udesk client does.
type company struct {
	t          *testing.T
	r          *servicetest.Running
	id         string
	email, tok string
	apiToken   string
}

// newCompany provisions a udesk account (req.Dialect is set) and logs in.
func newCompany(t *testing.T, r *servicetest.Running, req accounts.Request) *company {
	t.Helper()
	req.Dialect = "udesk"
	a, creds, err := accounts.Create(r.Ctx, r.DB(), req, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := &company{t: t, r: r, id: a.ID, email: creds["email"], apiToken: creds["api_token"]}
	st, body := c.do("POST", "/open_api_v1/log_in", nil, `{"email":"`+c.email+`","password":"`+c.apiToken+`"}`)
	var login struct {
		Code  int    `json:"code"`
		Token string `json:"open_api_auth_token"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &login) != nil || login.Code != 1000 || login.Token == "" {
		t.Fatalf("log_in: %d %s", st, body)
	}
	c.tok = login.Token
	return c
}

// q returns a fresh v2 signature (with extra parameters) for each try.
func (c *company) q(extra url.Values) func() url.Values {
	return func() url.Values { return signed(c.email, c.tok, time.Now(), extra) }
}

// do sends one request under /udesk as a well-behaved Udesk client does:
// refused for a rate limit (429: the plugin runs with Udesk's limits on
// the real clock), it waits Retry-After and sends it again, freshly signed.
func (c *company) do(method, path string, q func() url.Values, body string) (int, string) {
	c.t.Helper()
	for try := 0; ; try++ {
		u := c.r.URL() + "/udesk" + path
		if q != nil {
			u += "?" + q().Encode()
		}
		req, err := http.NewRequestWithContext(c.r.Ctx, method, u, strings.NewReader(body))
		if err != nil {
			c.t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			c.t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			c.t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			c.t.Errorf("%s %s: content type %q", method, path, ct)
		}
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusTooManyRequests || try == 2 || wait < 1 || wait > 2 {
			return resp.StatusCode, string(b)
		}
		time.Sleep(time.Duration(wait) * time.Second)
	}
}

// ok sends a signed request and wants code 1000.
func (c *company) ok(method, path, body string) string {
	c.t.Helper()
	st, got := c.do(method, path, c.q(nil), body)
	if st != 200 || code(c.t, got) != 1000 {
		c.t.Fatalf("%s %s %s: %d %s", method, path, body, st, got)
	}
	return got
}

// A Udesk client logs in, signs its requests, creates a task, imports
// numbers, opens and closes it; the service stored what it asked for.
func walkThrough(t *testing.T, r *servicetest.Running) {
	c := newCompany(t, r, accounts.Request{Email: "admin@udesk.cn"})
	q, err := r.Queues().CreateQueue(r.Ctx, c.id, "sales", "Sales", acd.NewQueueConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	group := strconv.FormatInt(q.ID, 10)
	var created struct{ ID int64 }
	if err := json.Unmarshal([]byte(c.ok("POST", "/open_api_v1/cc_ad_tasks", `{"name":"Callout Task","task_type":3,"user_group_id":`+group+`,"call_limit":"5"}`)), &created); err != nil || created.ID == 0 {
		t.Fatalf("create: %v", err)
	}
	id := strconv.FormatInt(created.ID, 10)
	task := "/open_api_v1/cc_ad_tasks/" + id
	steps := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/open_api_v1/cc_ad_tasks/add_numbers", `{"id":` + id + `,"numbers":[{"cellphone":"13223004567"},{"cellphone":"13223004568"}]}`, 200,
			`{"code":1000,"successful_count":2,"unsuccessful_count":0,"unsuccessful_numbers":[]}`},
		{"POST", task + "/open", `{"open":true}`, 200, `{"code":1000}`},
		{"GET", task, ``, 200, `"status":1`},
		{"POST", task + "/open", `{"open":false}`, 200, `{"code":1000}`},
		{"GET", "/open_api_v1/cc_ad_tasks", ``, 200, `"meta":{"current_page":1,"total_pages":1,"total_entries":1}`},
		{"GET", "/open_api_v1/cc_ad_tasks/" + strconv.FormatInt(created.ID+1000, 10), ``, 404, `"code":2005`},
	}
	for _, s := range steps {
		st, b := c.do(s.method, s.path, c.q(nil), s.body)
		if st != s.status || !strings.Contains(b, s.want) {
			t.Errorf("%s %s: %d %s, want %d %s", s.method, s.path, st, b, s.status, s.want)
		}
	}
	if st, b := c.do("GET", task, nil, ""); st != 401 || !strings.Contains(b, `"code":2059`) {
		t.Errorf("unsigned: %d %s", st, b)
	}
	if st, b := c.do("GET", "/openapi.json", nil, ""); st != 200 || !strings.Contains(b, "/open_api_v1/cc_ad_tasks/{id}/open") {
		t.Errorf("openapi: %d %.200s", st, b)
	}
	stored, err := r.Campaigns().Campaign(r.Ctx, c.id, created.ID)
	if err != nil || stored.Config.Mode != "predictive" || stored.Config.Pacing.MaxConcurrent != 5 || stored.Config.Queue != group {
		t.Errorf("stored campaign %+v %v", stored.Config, err)
	}
}
