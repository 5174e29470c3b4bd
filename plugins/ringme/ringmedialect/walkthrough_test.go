package ringmedialect_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/service/servicetest"

	"github.com/switchboard-cc/switchboard/internal/accounts"
)

// startService builds the ringme plugin, starts the service with it in
// --plugins-dir (the real host API over SQLite) and returns its base URL
// and a function creating ringme accounts.
func startService(t *testing.T) (string, func() accounts.Credentials) {
	t.Helper()
	svc := servicetest.WithPlugin(t, "ringme")
	ctx := svc.Ctx
	return svc.URL(), func() accounts.Credentials {
		_, creds, err := accounts.Create(ctx, svc.DB(), accounts.Request{Dialect: "ringme"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return creds
	}
}

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+"/ringme/api/ver1.0"+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func token(t *testing.T, base string, creds accounts.Credentials) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {creds["client_id"]}, "client_secret": {creds["client_secret"]}}
	resp, err := http.Post(base+"/ringme/api/ver1.0/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	if tok.AccessToken == "" || tok.ExpiresIn != 3600 || tok.TokenType != "Bearer" {
		t.Fatalf("token response %+v", tok)
	}
	return tok.AccessToken
}

func seed(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func object(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	return m
}

// conform checks got against the seed's example response: the same keys,
// and the same values except where subst gives ours (the ids our host
// assigned) or keysOnly says the seed's values are placeholders.
func conform(t *testing.T, seedFile, got string, subst map[string]any, keysOnly bool) {
	t.Helper()
	want, have := object(t, seed(t, seedFile)), object(t, got)
	for k, v := range subst {
		if n, ok := v.(json.Number); ok {
			v, _ = n.Float64()
		}
		want[k] = v
	}
	if !reflect.DeepEqual(keys(want), keys(have)) {
		t.Errorf("%s: keys %v, the seed has %v", seedFile, keys(have), keys(want))
	}
	if keysOnly {
		return
	}
	for k, w := range want {
		if !reflect.DeepEqual(have[k], w) {
			t.Errorf("%s: %s = %#v, want %#v", seedFile, k, have[k], w)
		}
	}
}

func keys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func num(t *testing.T, body, field string) string {
	t.Helper()
	v, ok := object(t, body)[field].(float64)
	if !ok {
		t.Fatalf("%s is not a number in %s", field, body)
	}
	return fmt.Sprint(int64(v))
}

// The seed's queue walk-through against the real plugin process and the
// service's host API: every step's response conforms to the seed's, and
// the whole exchange matches testdata/queue_walkthrough.golden.
func TestQueueWalkthrough(t *testing.T) {
	base, newAccount := startService(t)
	creds := newAccount()
	c := client{t: t, base: base, token: token(t, base, creds)}
	var transcript strings.Builder
	step := func(method, path, body string, want int) string {
		t.Helper()
		code, got := c.do(method, path, body)
		if code != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, code, got, want)
		}
		fmt.Fprintf(&transcript, "%s %s\n%s\n-> %d\n%s\n\n", method, path, strings.TrimSpace(body), code, got)
		return got
	}

	// 1. The queue extension.
	ext := step("POST", "/client/@me/extension/", seed(t, "1_extension_request.json"), 201)
	queue := num(t, ext, "id")
	created := object(t, ext)["create_date"]
	if d, _ := created.(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(d) {
		t.Errorf("create_date %q is not YYYY-MM-DD HH:MM:SS", d)
	}
	conform(t, "1_extension_response.json", ext, map[string]any{"id": json.Number(queue), "client_id": json.Number(creds["client_id"]),
		"create_date": created}, false)

	// 2. Its parameters.
	put := step("PUT", "/extension/"+queue+"/queue/", seed(t, "2_queue_request.json"), 200)
	got := step("GET", "/extension/"+queue+"/queue/", "", 200)
	if put != got {
		t.Errorf("PUT answered %s, GET %s", put, got)
	}
	stored := object(t, got)
	for k, v := range object(t, seed(t, "2_queue_request.json")) {
		if !reflect.DeepEqual(stored[k], v) {
			t.Errorf("queue parameter %s = %#v, sent %#v", k, stored[k], v)
		}
	}

	// 3, 4. The agents.
	local := step("POST", "/client/@me/agent/local/", seed(t, "3_local_agent_request.json"), 201)
	localID := num(t, local, "id")
	conform(t, "3_local_agent_response.json", local, map[string]any{"id": json.Number(localID)}, false)
	remote := step("POST", "/client/@me/agent/remote/", seed(t, "4_remote_agent_request.json"), 201)
	remoteID := num(t, remote, "id")
	conform(t, "4_remote_agent_response.json", remote, nil, true)
	r := object(t, remote)
	for k, v := range object(t, seed(t, "4_remote_agent_request.json")) {
		if !reflect.DeepEqual(r[k], v) {
			t.Errorf("remote agent %s = %#v, sent %#v", k, r[k], v)
		}
	}

	// 5, 6. In the queue at levels 1 and 2.
	qa := step("POST", "/extension/"+queue+"/queue/agents/local/",
		strings.Replace(seed(t, "5_queue_agent_local_request.json"), `"agent_id": 1`, `"agent_id": `+localID, 1), 201)
	conform(t, "5_queue_agent_local_response.json", qa, map[string]any{"agent_id": json.Number(localID)}, false)
	qa = step("POST", "/extension/"+queue+"/queue/agents/remote/",
		strings.Replace(seed(t, "6_queue_agent_remote_request.json"), `"agent_id": 9`, `"agent_id": `+remoteID, 1), 201)
	conform(t, "6_queue_agent_remote_response.json", qa, map[string]any{"agent_id": json.Number(remoteID)}, false)

	// What the queue looks like now.
	step("GET", "/extension/"+queue+"/queue/agents/local/", "", 200)
	step("GET", "/extension/"+queue+"/queue/agents/remote/"+remoteID, "", 200)
	step("GET", "/client/@me/agent/local/", "", 200)
	step("GET", "/client/"+creds["client_id"]+"/agent/remote/"+remoteID, "", 200)
	step("GET", "/extension/"+queue+"/queue/status/", "", 200)
	step("GET", "/extension/"+queue+"/queue/status/members/", "", 200)

	// Changes and removal.
	step("PUT", "/extension/"+queue+"/queue/agents/remote/"+remoteID, `{"level": 3}`, 200)
	step("PUT", "/client/@me/agent/local/"+localID, `{"status": "on_break", "wrap_up_time": 5}`, 200)
	if b := step("PUT", "/client/@me/agent/local/"+localID, `{"name": "Anna", "call_timeout": 20}`, 200); !strings.Contains(b, `"status":"on_break"`) {
		t.Errorf("a PUT without status changed the status: %s", b)
	}
	step("DELETE", "/client/@me/agent/remote/"+remoteID+"?remove_from_queues=false", "", 409)
	step("DELETE", "/extension/"+queue+"/queue/agents/remote/"+remoteID, "", 204)
	step("DELETE", "/client/@me/agent/remote/"+remoteID+"?remove_from_queues=false", "", 204)
	step("GET", "/client/@me/agent/remote/"+remoteID, "", 404)
	step("DELETE", "/client/@me/agent/local/"+localID, "", 204)
	step("GET", "/extension/"+queue+"/queue/agents/local/", "", 200)

	out := strings.NewReplacer(`"create_date":"`+created.(string)+`"`, `"create_date":"{create_date}"`).Replace(transcript.String())
	out = regexp.MustCompile(`/extension/`+queue+`/`).ReplaceAllString(out, "/extension/{queue}/")
	out = regexp.MustCompile(`"id":`+queue+`,"did`).ReplaceAllString(out, `"id":{queue},"did`)
	for _, r := range []struct{ id, name string }{{localID, "{local}"}, {remoteID, "{remote}"}} {
		out = regexp.MustCompile(`("agent_id": ?|"id":|/)`+r.id+`\b`).ReplaceAllString(out, "${1}"+r.name)
	}
	out = strings.ReplaceAll(out, creds["client_id"], "{client_id}")
	golden(t, "queue_walkthrough.golden", []byte(out))

	// Another client sees none of it.
	other := client{t: t, base: base, token: token(t, base, newAccount())}
	for _, p := range []struct{ method, path, body string }{
		{"GET", "/extension/" + queue + "/queue/", ""},
		{"PUT", "/extension/" + queue + "/queue/", `{"max_wait_time": 1}`},
		{"GET", "/extension/" + queue + "/queue/status/", ""},
		{"GET", "/extension/" + queue + "/queue/agents/local/", ""},
		{"POST", "/extension/" + queue + "/queue/agents/local/", `{"agent_id": ` + localID + `}`},
		{"GET", "/client/" + creds["client_id"] + "/agent/local/", ""},
		{"GET", "/client/@me/agent/local/" + localID, ""},
		{"PUT", "/client/@me/agent/local/" + localID, `{"status": "available"}`},
		{"DELETE", "/client/@me/agent/local/" + localID, ""},
	} {
		if code, b := other.do(p.method, p.path, p.body); code != http.StatusNotFound || !strings.Contains(b, `"status":"not_found"`) {
			t.Errorf("another client's %s %s: %d %s, want 404 not_found", p.method, p.path, code, b)
		}
	}
	req, _ := http.NewRequest("GET", base+"/ringme/api/ver1.0/client/@me/agent/local/", nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-RateLimit-Limit") != "10000" || resp.Header.Get("X-RateLimit-Remaining") == "" || resp.Header.Get("X-RateLimit-Reset") == "" {
		t.Errorf("rate limit headers through the host: %v", resp.Header)
	}
	if code, b := (client{t: t, base: base}).do("GET", "/extension/"+queue+"/queue/", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d %s", code, b)
	}
}
