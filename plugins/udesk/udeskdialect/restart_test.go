package udeskdialect_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/plugins/udesk/udeskdialect"
)

// A used nonce and the request counts are the host's plugin state: a new
// dialect instance over the same host (the plugin restarted) refuses the
// replay and goes on counting where the old one stopped.
func TestStateOutlivesRestart(t *testing.T) {
	e := newEnv(t)
	cfg := udeskdialect.Config{MaxSkew: time.Hour, RateLimit: 3, ImportInterval: -1}
	first := newLocalWith(t, e, cfg)
	tn := e.tenant(t, "", 0)
	token := first.login(tn) // request 1 of the minute
	const path = "/open_api_v1/cc_ad_tasks"
	q := signed(tn.email, token, first.now, nil)
	if st, body := first.do("GET", path, q, ""); st != 200 { // request 2
		t.Fatalf("signed request: %d %s", st, body)
	}

	restarted := newLocalWith(t, e, cfg)
	restarted.now = first.now.Add(10 * time.Second)
	if st, body := restarted.do("GET", path, q, ""); st != 401 || code(t, body) != 20623 {
		t.Errorf("replay after a restart: %d %s, want 401 with 20623", st, body)
	}
	if st, body := restarted.do("GET", path, signed(tn.email, token, restarted.now, nil), ""); st != 200 { // request 3
		t.Fatalf("a fresh request after the restart: %d %s", st, body)
	}
	resp := restarted.call("GET", path, signed(tn.email, token, restarted.now, nil), "")
	if resp.Status != 429 || resp.Header.Get("Retry-After") != "50" {
		t.Errorf("request 4 of the minute after a restart: %d Retry-After %q %s, want 429 after 50 s (the log_in's minute)",
			resp.Status, resp.Header.Get("Retry-After"), resp.Body)
	}

	// Past the nonce's 15 minutes (within the skew allowed here) it is new again.
	again := newLocalWith(t, e, cfg)
	again.now = first.now.Add(15*time.Minute + time.Second)
	if st, body := again.do("GET", path, q, ""); st != 200 {
		t.Errorf("the nonce after 15 minutes: %d %s, want 200", st, body)
	}
}

// add_numbers' one call a second per company is kept across a restart too.
func TestImportGapOutlivesRestart(t *testing.T) {
	e := newEnv(t)
	cfg := udeskdialect.Config{RateLimit: -1}
	first := newLocalWith(t, e, cfg)
	tn := e.tenant(t, "", 0)
	token := first.login(tn)
	st, body := first.do("POST", "/open_api_v1/cc_ad_tasks", signed(tn.email, token, first.now, nil),
		`{"name":"imports","task_type":1,"user_group_id":`+tn.queue+`}`)
	var created struct{ Code, ID int }
	if st != 200 || json.Unmarshal([]byte(body), &created) != nil || created.Code != 1000 {
		t.Fatalf("create: %d %s", st, body)
	}
	add := `{"id":` + jsonInt(created.ID) + `,"numbers":[{"cellphone":"13223004567"}]}`
	if st, body := first.do("POST", "/open_api_v1/cc_ad_tasks/add_numbers", signed(tn.email, token, first.now, nil), add); st != 200 {
		t.Fatalf("add_numbers: %d %s", st, body)
	}
	restarted := newLocalWith(t, e, cfg)
	restarted.now = first.now.Add(500 * time.Millisecond)
	resp := restarted.call("POST", "/open_api_v1/cc_ad_tasks/add_numbers", signed(tn.email, token, restarted.now, nil), add)
	if resp.Status != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("add_numbers half a second later, after a restart: %d Retry-After %q %s, want 429", resp.Status, resp.Header.Get("Retry-After"), resp.Body)
	}
	restarted.now = first.now.Add(time.Second)
	if st, body := restarted.do("POST", "/open_api_v1/cc_ad_tasks/add_numbers", signed(tn.email, token, restarted.now, nil), add); st != 200 {
		t.Errorf("add_numbers a second later: %d %s", st, body)
	}
}
