package udeskdialect_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/plugins/udesk/udeskdialect"
)

// Udesk's default limits on the dialect's clock: 60 requests a minute per
// company (log_in included), add_numbers once a second; a refused request
// is HTTP 429, code 2000, with Retry-After.
func TestRateLimits(t *testing.T) {
	e := newEnv(t)
	l := newLocalWith(t, e, udeskdialect.Config{})
	a, b := e.tenant(t, "", 0), e.tenant(t, "", 0)
	start := l.now
	ta, tb := l.login(a), l.login(b)
	qa := func() url.Values { return signed(a.email, ta, l.now, nil) }
	const list = "/open_api_v1/cc_ad_tasks"
	for i := range 59 { // 60 with the log_in
		if st, got := l.do("GET", list, qa(), ""); st != 200 {
			t.Fatalf("request %d of the minute: %d %s", i+2, st, got)
		}
	}
	type step struct {
		name       string
		advance    time.Duration // of the clock, before the request
		q          func() url.Values
		status     int
		retryAfter string
		exc        string
	}
	steps := []step{
		{"the 61st request of the minute", 0, qa, 429, "60", "at most 60 requests per 1m0s per company; retry in 60 s"},
		{"another company is not limited", 0, func() url.Values { return signed(b.email, tb, l.now, nil) }, 200, "", ""},
		{"half a minute later", 30 * time.Second, qa, 429, "30", "retry in 30 s"},
		{"a minute after the first", 30 * time.Second, qa, 200, "", ""},
	}
	for _, s := range steps {
		l.now = l.now.Add(s.advance)
		resp := l.call("GET", list, s.q(), "")
		if resp.Status != s.status || resp.Header.Get("Retry-After") != s.retryAfter || !strings.Contains(string(resp.Body), s.exc) ||
			(s.status == 429 && code(t, string(resp.Body)) != 2000) {
			t.Errorf("%s (at +%s): %d Retry-After %q %s\nwant %d Retry-After %q containing %q",
				s.name, l.now.Sub(start), resp.Status, resp.Header.Get("Retry-After"), resp.Body, s.status, s.retryAfter, s.exc)
		}
	}
	// Every request of the first instant has slid out of the window by now.
	if st, got := l.do("GET", list, qa(), ""); st != 200 {
		t.Errorf("after the window: %d %s", st, got)
	}

	// add_numbers: once a second per company; other requests in between pass.
	_, body := l.do("POST", list, qa(), `{"name":"imports","task_type":1,"user_group_id":`+a.queue+`}`)
	var created struct{ Code, ID int }
	if json.Unmarshal([]byte(body), &created) != nil || created.Code != 1000 {
		t.Fatalf("create: %s", body)
	}
	task := jsonInt(created.ID)
	add := `{"id":` + task + `,"numbers":[{"cellphone":"13223004567"}]}`
	imports := []step{
		{"the first add_numbers", 0, qa, 200, "", `"successful_count":1`},
		{"the second at once", 0, qa, 429, "1", "add_numbers: at most one call per 1s per company; retry in 1 s"},
		{"999 ms later", 999 * time.Millisecond, qa, 429, "1", "retry in 1 s"},
		{"a second later", time.Millisecond, qa, 200, "", `"unsuccessful_numbers":[{"cellphone":"13223004567","reason":"duplicate number"}]`},
	}
	for _, s := range imports {
		l.now = l.now.Add(s.advance)
		resp := l.call("POST", "/open_api_v1/cc_ad_tasks/add_numbers", s.q(), add)
		if resp.Status != s.status || resp.Header.Get("Retry-After") != s.retryAfter || !strings.Contains(string(resp.Body), s.exc) {
			t.Errorf("%s: %d Retry-After %q %s\nwant %d Retry-After %q containing %q",
				s.name, resp.Status, resp.Header.Get("Retry-After"), resp.Body, s.status, s.retryAfter, s.exc)
		}
		if st, got := l.do("GET", "/open_api_v1/cc_ad_tasks/"+task, qa(), ""); st != 200 {
			t.Errorf("%s: a request other than add_numbers was refused: %d %s", s.name, st, got)
		}
	}
}

// A refused request does not count: with 2 requests a minute, the
// requests refused in between leave room once the first one slides out.
func TestRateLimitRefusalsDoNotCount(t *testing.T) {
	e := newEnv(t)
	l := newLocalWith(t, e, udeskdialect.Config{RateLimit: 2, ImportInterval: -1})
	a := e.tenant(t, "", 0)
	token := l.login(a) // the first request
	q := func() url.Values { return signed(a.email, token, l.now, nil) }
	for _, s := range []struct {
		advance time.Duration
		status  int
	}{
		{10 * time.Second, 200}, // the second: the minute is full until +60 s
		{20 * time.Second, 429},
		{20 * time.Second, 429},
		{10 * time.Second, 200}, // +60 s: the log_in slid out; the refusals took no room
		{time.Second, 429},      // +61 s: until +70 s, the second's minute
		{9 * time.Second, 200},
	} {
		l.now = l.now.Add(s.advance)
		if st, got := l.do("GET", "/open_api_v1/cc_ad_tasks", q(), ""); st != s.status {
			t.Errorf("after %s more: %d %s, want %d", s.advance, st, got, s.status)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg   udeskdialect.Config
		field string
	}{
		{udeskdialect.Config{MaxSkew: -time.Second}, "max_skew"},
		{udeskdialect.Config{NonceTTL: -time.Second}, "nonce_ttl"},
		{udeskdialect.Config{RateWindow: -time.Second}, "rate_window"},
	} {
		if _, err := udeskdialect.New(c.cfg); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: %v, want an error naming %s", c.cfg, err, c.field)
		}
	}
	if _, err := udeskdialect.New(udeskdialect.Config{RateLimit: -1, ImportInterval: -1}); err != nil {
		t.Errorf("limits turned off: %v", err)
	}
}
