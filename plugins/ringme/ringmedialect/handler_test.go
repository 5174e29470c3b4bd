package ringmedialect_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/pluginhost/pluginhosttest"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/plugins/ringme/ringmedialect"
)

var epoch = time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)

// fixture runs the dialect in-process (dialect.Bind) over the in-memory
// host with clients 12 and 13.
type fixture struct {
	t    testing.TB
	host *pluginhosttest.Host
	h    dialect.Handler
	now  time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, now: epoch}
	f.host = pluginhosttest.New(pluginhosttest.Config{Now: func() time.Time { return f.now }, Credentials: []pluginhosttest.Credential{
		{Account: dialect.Account{ID: "12", DefaultRegion: "RU"}, Principal: "12", Password: "s12"},
		{Account: dialect.Account{ID: "13", DefaultRegion: "RU"}, Principal: "13", Password: "s13"},
	}})
	t.Cleanup(f.host.Close)
	f.h = dialect.Bind(ringmedialect.New(ringmedialect.Config{Now: func() time.Time { return f.now }}), f.host)
	return f
}

func (f *fixture) raw(r dialect.Request) dialect.Response {
	f.t.Helper()
	resp, err := f.h.HandleHTTP(context.Background(), r)
	if err != nil {
		f.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	if err := resp.Validate(); err != nil {
		f.t.Errorf("%s %s: invalid response: %v", r.Method, r.Path, err)
	}
	return resp
}

func (f *fixture) token(client, secret string) string {
	f.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {secret}}
	resp := f.raw(dialect.Request{Method: "POST", Path: "/api/ver1.0/oauth/token", Body: []byte(form.Encode()),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	var tok ringmedialect.TokenResponse
	if err := json.Unmarshal(resp.Body, &tok); err != nil || resp.Status != 200 {
		f.t.Fatalf("token: %d %s", resp.Status, resp.Body)
	}
	return tok.AccessToken
}

func (f *fixture) do(token, method, path, body string) (int, string) {
	f.t.Helper()
	p, q, _ := strings.Cut(path, "?")
	query, _ := url.ParseQuery(q)
	r := dialect.Request{Method: method, Path: "/api/ver1.0" + p, Query: query, Header: http.Header{}, Body: []byte(body)}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp := f.raw(r)
	return resp.Status, string(resp.Body)
}

func TestOAuthToken(t *testing.T) {
	f := newFixture(t)
	post := func(body string, header http.Header) (int, string, http.Header) {
		if header == nil {
			header = http.Header{}
		}
		resp := f.raw(dialect.Request{Method: "POST", Path: "/api/ver1.0/oauth/token", Body: []byte(body), Header: header})
		return resp.Status, string(resp.Body), resp.Header
	}
	basic := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("12:s12"))}}
	for _, c := range []struct {
		name   string
		body   string
		header http.Header
		status int
		want   string
	}{
		{"no grant_type", "client_id=12&client_secret=s12", nil, 400,
			`{"error":"invalid_request","error_description":"grant_type is required"}`},
		{"another grant", "grant_type=password&client_id=12&client_secret=s12", nil, 400,
			`{"error":"unsupported_grant_type","error_description":"grant_type must be client_credentials"}`},
		{"no client_id", "grant_type=client_credentials&client_secret=s12", nil, 400,
			`{"error":"invalid_request","error_description":"client_id is required"}`},
		{"no secret", "grant_type=client_credentials&client_id=12", nil, 400,
			`{"error":"invalid_request","error_description":"client_secret is required"}`},
		{"wrong secret", "grant_type=client_credentials&client_id=12&client_secret=s13", nil, 401,
			`{"error":"invalid_client","error_description":"unknown client or wrong client_secret"}`},
		{"unknown client", "grant_type=client_credentials&client_id=99&client_secret=s12", nil, 401,
			`{"error":"invalid_client","error_description":"unknown client or wrong client_secret"}`},
		{"repeated", "grant_type=client_credentials&client_id=12&client_id=13&client_secret=s12", nil, 400,
			`{"error":"invalid_request","error_description":"parameter client_id is repeated"}`},
		{"not a form", "grant_type=%zz", nil, 400,
			`{"error":"invalid_request","error_description":"the body must be application/x-www-form-urlencoded: invalid URL escape \"%zz\""}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body, h := post(c.body, c.header)
			if status != c.status || body != c.want {
				t.Errorf("got %d %s\nwant %d %s", status, body, c.status, c.want)
			}
			if h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
			}
		})
	}
	status, body, h := post("grant_type=client_credentials", basic)
	var tok ringmedialect.TokenResponse
	if err := json.Unmarshal([]byte(body), &tok); err != nil || status != 200 || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 ||
		len(tok.AccessToken) < 20 || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("basic auth: %d %s", status, body)
	}
	if code, b := f.do(tok.AccessToken, "GET", "/client/@me/agent/local/", ""); code != 200 || b != "[]" {
		t.Errorf("with the token: %d %s", code, b)
	}
	if code, b := f.do("", "GET", "/client/@me/agent/local/", ""); code != 401 ||
		b != `{"status":"unauthorized","message":"a valid bearer access token is required (POST /oauth/token)"}` {
		t.Errorf("no token: %d %s", code, b)
	}
	if code, _ := f.do(tok.AccessToken+"x", "GET", "/client/@me/agent/local/", ""); code != 401 {
		t.Errorf("a wrong token: %d", code)
	}
	f.now = f.now.Add(time.Hour + time.Second)
	if code, _ := f.do(tok.AccessToken, "GET", "/client/@me/agent/local/", ""); code != 401 {
		t.Errorf("an expired token: %d", code)
	}
	if resp := f.raw(dialect.Request{Method: "GET", Path: "/api/ver1.0/oauth/token"}); resp.Status != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET /oauth/token: %d %s", resp.Status, resp.Body)
	}
}

// Bad input answers 400 naming the field, in the dialect's error shape;
// unknown ids and other clients' objects answer 404.
func TestErrors(t *testing.T) {
	f := newFixture(t)
	tok, other := f.token("12", "s12"), f.token("13", "s13")
	mustCreate := func(path, body string) string {
		t.Helper()
		code, b := f.do(tok, "POST", path, body)
		if code != 201 {
			t.Fatalf("POST %s: %d %s", path, code, b)
		}
		var v struct {
			ID json.Number `json:"id"`
		}
		_ = json.Unmarshal([]byte(b), &v)
		return v.ID.String()
	}
	q := mustCreate("/client/@me/extension/", `{"type":"queue","label":"sales"}`)
	local := mustCreate("/client/12/agent/local/", `{"extension_id":117}`)
	remote := mustCreate("/client/@me/agent/remote/", `{"number":"+7 921 565-06-44","name":"Ivan"}`)
	if code, b := f.do(tok, "POST", "/extension/"+q+"/queue/agents/local/", `{"agent_id":`+local+`}`); code != 201 ||
		b != `{"position":0,"agent_id":`+local+`,"level":0}` {
		t.Fatalf("add with defaults: %d %s", code, b)
	}
	bad := func(field, msg string) string {
		return `{"status":"invalid_parameter","field":"` + field + `","message":"` + msg + `"}`
	}
	const nf = `{"status":"not_found","message":"%s not found"}`
	notFound := func(what string) string { return strings.Replace(nf, "%s", what, 1) }
	cases := []struct {
		name, token, method, path, body string
		status                          int
		want                            string
	}{
		{"extension without type", tok, "POST", "/client/@me/extension/", `{"name":"371"}`, 400, bad("type", "type: is required")},
		{"extension of another type", tok, "POST", "/client/@me/extension/", `{"type":"phone"}`, 501,
			`{"status":"not_supported","field":"type","message":"type: only queue extensions are supported by this server (got \"phone\")"}`},
		{"extension bad status", tok, "POST", "/client/@me/extension/", `{"type":"queue","status":"on"}`, 400,
			bad("status", `status: must be \"active\" or \"blocked\" (got \"on\")`)},
		{"extension bad name", tok, "POST", "/client/@me/extension/", `{"type":"queue","name":"sales"}`, 400,
			bad("name", `name: must be up to 10 digits, optionally after \"000*\" (got \"sales\")`)},
		{"extension unknown field", tok, "POST", "/client/@me/extension/", `{"type":"queue","colour":"red"}`, 400,
			bad("colour", "colour: is not a known parameter")},
		{"extension label of a wrong type", tok, "POST", "/client/@me/extension/", `{"type":"queue","label":5}`, 400,
			bad("label", `label: must be of type string (got \"number\")`)},
		{"not JSON", tok, "POST", "/client/@me/extension/", `type=queue`, 400, bad("body", "body: must be a JSON object")},
		{"two objects", tok, "POST", "/client/@me/extension/", `{"type":"queue"}{}`, 400, bad("body", "body: must hold one JSON object only")},
		{"truncated", tok, "PUT", "/extension/" + q + "/queue/", `{"strategy":`, 400, bad("body", "body: is not valid JSON: unexpected EOF")},
		{"another client's id", tok, "POST", "/client/13/extension/", `{"type":"queue"}`, 404, notFound("client")},
		{"bad strategy", tok, "PUT", "/extension/" + q + "/queue/", `{"strategy":"everyone"}`, 400,
			bad("strategy", `strategy: must be one of ring-all, longest-idle-agent, round-robin, top-down, agent-with-least-talk-time, agent-with-fewest-calls, sequentially-by-agent-order, random, ring-progressively (got \"everyone\")`)},
		{"negative wait", tok, "PUT", "/extension/" + q + "/queue/", `{"max_wait_time":-1}`, 400,
			bad("max_wait_time", `max_wait_time: must be between 0 and 31536000 seconds (got \"-1\")`)},
		{"wait as text", tok, "PUT", "/extension/" + q + "/queue/", `{"max_wait_time":"10"}`, 400,
			bad("max_wait_time", `max_wait_time: must be of type integer (got \"string\")`)},
		{"fractional wait", tok, "PUT", "/extension/" + q + "/queue/", `{"tier_rule_wait_second":1.5}`, 400,
			bad("tier_rule_wait_second", `tier_rule_wait_second: must be of type integer (got \"number 1.5\")`)},
		{"bad sound", tok, "PUT", "/extension/" + q + "/queue/", `{"sound":1.5}`, 400,
			bad("sound", `sound: must be of type string (got \"number 1.5\")`)},
		{"bad exit key", tok, "PUT", "/extension/" + q + "/queue/", `{"exit_key":"12"}`, 400,
			bad("exit_key", `exit_key: must be one DTMF digit (0-9, *, #, A-D) (got \"12\")`)},
		{"bad sound type", tok, "PUT", "/extension/" + q + "/queue/", `{"sound_type":"silence"}`, 400,
			bad("sound_type", `sound_type: must be \"music\" or \"ringback\" (got \"silence\")`)},
		{"announcement without sound", tok, "PUT", "/extension/" + q + "/queue/", `{"announce_frequency":30}`, 400,
			bad("announce_sound", "announce_sound: is required when announce_frequency is set")},
		{"unknown queue", tok, "GET", "/extension/999/queue/", "", 404, notFound("queue")},
		{"not an id", tok, "GET", "/extension/abc/queue/", "", 404, notFound("extension")},
		{"another client's queue", other, "GET", "/extension/" + q + "/queue/", "", 404, notFound("queue")},
		{"another client's queue status", other, "GET", "/extension/" + q + "/queue/status/", "", 404, notFound("queue")},
		{"another client's queue members", other, "GET", "/extension/" + q + "/queue/status/members/", "", 404, notFound("queue")},
		{"queue wrong method", tok, "POST", "/extension/" + q + "/queue/", "{}", 405,
			`{"status":"method_not_allowed","message":"use GET or PUT"}`},
		{"local agent without extension", tok, "POST", "/client/@me/agent/local/", `{}`, 400,
			bad("extension_id", "extension_id: is required for a local agent")},
		{"local agent with a number", tok, "POST", "/client/@me/agent/local/", `{"extension_id":1,"number":"89215650644"}`, 400,
			bad("number", "number: is a remote agent's parameter; a local agent has extension_id")},
		{"remote agent without number", tok, "POST", "/client/@me/agent/remote/", `{}`, 400,
			bad("number", "number: is required for a remote agent")},
		{"remote agent bad number", tok, "POST", "/client/@me/agent/remote/", `{"number":"12"}`, 400,
			bad("number", `number: is not a phone number (national format of RU, or +country code) (got \"12\")`)},
		{"zero call timeout", tok, "POST", "/client/@me/agent/local/", `{"extension_id":1,"call_timeout":0}`, 400,
			bad("call_timeout", `call_timeout: must be positive (got \"0\")`)},
		{"bad agent status", tok, "POST", "/client/@me/agent/local/", `{"extension_id":1,"status":"busy"}`, 400,
			bad("status", `status: must be available, available_on_demand, on_break or logged_out (got \"busy\")`)},
		{"extra_params", tok, "POST", "/client/@me/agent/local/", `{"extension_id":1,"extra_params":"x"}`, 400,
			bad("extra_params", "extra_params: is not supported by this server yet")},
		{"local id as remote", tok, "GET", "/client/@me/agent/remote/" + local, "", 404, notFound("agent")},
		{"another client's agent", other, "GET", "/client/@me/agent/local/" + local, "", 404, notFound("agent")},
		{"another client's agent list", other, "GET", "/client/12/agent/local/", "", 404, notFound("client")},
		{"another client deletes", other, "DELETE", "/client/@me/agent/local/" + local, "", 404, notFound("agent")},
		{"bad remove_from_queues", tok, "DELETE", "/client/@me/agent/local/" + local + "?remove_from_queues=maybe", "", 400,
			bad("remove_from_queues", `remove_from_queues: must be true or false (got \"maybe\")`)},
		{"in queues", tok, "DELETE", "/client/@me/agent/local/" + local + "?remove_from_queues=false", "", 409,
			`{"status":"agent_in_queues","field":"remove_from_queues","message":"the agent is in at least one queue; remove it from the queues first or send remove_from_queues=true"}`},
		{"queue agent without id", tok, "POST", "/extension/" + q + "/queue/agents/remote/", `{"level":1}`, 400, bad("agent_id", "agent_id: is required")},
		{"queue agent of the other type", tok, "POST", "/extension/" + q + "/queue/agents/remote/", `{"agent_id":` + local + `}`, 400,
			bad("agent_id", "agent_id: must be the id of one of your remote agents (got "+local+")")},
		{"queue agent twice", tok, "POST", "/extension/" + q + "/queue/agents/local/", `{"agent_id":` + local + `}`, 409,
			`{"status":"already_exists","field":"agent_id","message":"the agent is in the queue already; use PUT to change its level or position"}`},
		{"negative level", tok, "POST", "/extension/" + q + "/queue/agents/remote/", `{"agent_id":` + remote + `,"level":-1}`, 400,
			bad("level", `level: must be between 0 and 1073741824 (got \"-1\")`)},
		{"queue agent not in queue", tok, "GET", "/extension/" + q + "/queue/agents/remote/" + remote, "", 404, notFound("queue agent")},
		{"queue agent other agent id", tok, "PUT", "/extension/" + q + "/queue/agents/local/" + local, `{"agent_id":` + remote + `}`, 400,
			bad("agent_id", "agent_id: must be the agent of the path (an agent in the queue cannot be replaced by another)")},
		{"another client's queue agents", other, "GET", "/extension/" + q + "/queue/agents/local/", "", 404, notFound("queue")},
		{"another client adds its agent", other, "POST", "/extension/" + q + "/queue/agents/local/", `{"agent_id":` + local + `}`, 404, notFound("queue")},
		{"another client's task scheduler", other, "GET", "/client/@me/task_scheduler/1", "", 404, notFound("task scheduler")},
		{"task scheduler not an id", tok, "GET", "/client/@me/task_scheduler/x1", "", 404, notFound("task scheduler")},
		{"scheduler negative limit", tok, "POST", "/client/@me/task_scheduler/", `{"concurrent_task_limit":-1}`, 400,
			bad("concurrent_task_limit", `concurrent_task_limit: must be between 0 (no limit) and 1073741824 (got \"-1\")`)},
		{"scheduler bad status", tok, "POST", "/client/@me/task_scheduler/", `{"status":"on"}`, 400,
			bad("status", `status: must be active or inactive (got \"on\")`)},
		{"scheduler asr threshold", tok, "POST", "/client/@me/task_scheduler/", `{"asr_threshold":1,"asr_window":10}`, 400,
			bad("asr_threshold", `asr_threshold: must be a failure ratio from 0 up to (not including) 1 (got \"1\")`)},
		{"scheduler asr threshold as text", tok, "POST", "/client/@me/task_scheduler/", `{"asr_threshold":"0.5"}`, 400,
			bad("asr_threshold", `asr_threshold: must be of type number (got \"string\")`)},
		{"scheduler asr window alone", tok, "POST", "/client/@me/task_scheduler/", `{"asr_window":10}`, 400,
			bad("asr_threshold", "asr_threshold: is required (above 0) when asr_window is set")},
		{"scheduler negative interval", tok, "POST", "/client/@me/task_scheduler/", `{"interval":-5}`, 400,
			bad("interval", `interval: must be between 0 and 31536000 seconds (got \"-5\")`)},
		{"scheduler wrong method", tok, "PATCH", "/client/@me/task_scheduler/", ``, 405,
			`{"status":"method_not_allowed","message":"use GET or POST"}`},
		{"tasks missing", tok, "POST", "/client/@me/task_scheduler/5/tasks/", `{}`, 400, bad("tasks", "tasks: must hold one or more tasks")},
		{"tasks not a list", tok, "POST", "/client/@me/task_scheduler/5/tasks/", `{"tasks":{}}`, 400,
			bad("tasks", `tasks: must be of type array (got \"object\")`)},
		{"tasks of an unknown scheduler", tok, "POST", "/client/@me/task_scheduler/5/tasks/", `{"tasks":[{}]}`, 404, notFound("task scheduler")},
		{"call history list limit", tok, "GET", "/client/@me/call_history/?limit=0", "", 400, bad("limit", `limit: must be from 1 to 1000 (got \"0\")`)},
		{"call history list wrong method", tok, "POST", "/client/@me/call_history/", "", 405, `{"status":"method_not_allowed","message":"use GET"}`},
		{"extension type changed", tok, "PUT", "/client/@me/extension/" + q, `{"type":"ivr"}`, 400,
			bad("type", `type: is queue and cannot be changed (got \"ivr\")`)},
		{"extension wrong method", tok, "POST", "/client/@me/extension/" + q, `{}`, 405,
			`{"status":"method_not_allowed","message":"use GET or PUT or DELETE"}`},
		{"extension list wrong method", tok, "DELETE", "/client/@me/extension/", ``, 405,
			`{"status":"method_not_allowed","message":"use GET or POST"}`},
		{"another client's extension read", other, "GET", "/client/@me/extension/" + q, "", 404, notFound("extension")},
		{"another client's extension changed", other, "PUT", "/client/@me/extension/" + q, `{"label":"x"}`, 404, notFound("extension")},
		{"another client's extension", other, "DELETE", "/client/@me/extension/" + q, "", 404, notFound("extension")},
		{"unknown extension", tok, "DELETE", "/client/@me/extension/999", "", 404, notFound("extension")},
		{"no such resource", tok, "GET", "/client/@me/nothing", "", 404, notFound("resource")},
		{"outside the API", tok, "GET", "/../x", "", 404, `{"status":"not_found","message":"no such resource: /api/ver1.0/../x"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, b := f.do(c.token, c.method, c.path, c.body)
			if code != c.status || b != c.want {
				t.Errorf("got %d %s\nwant %d %s", code, b, c.status, c.want)
			}
		})
	}
	// Nothing of the failed requests was stored.
	qc, err := f.host.GetQueue(context.Background(), "12", q)
	if err != nil || qc.Strategy != acd.LongestIdleAgent || qc.MaxWaitTime != 0 || qc.ExitKey != "" {
		t.Errorf("queue after failed PUTs: %+v %v", qc, err)
	}
	if as, _ := f.host.ListAgents(context.Background(), "12"); len(as) != 2 {
		t.Errorf("agents after failed POSTs: %d", len(as))
	}
	if as, _ := f.host.ListAgents(context.Background(), "13"); len(as) != 0 {
		t.Errorf("client 13 has agents: %+v", as)
	}
}

// The queue's callers, as the ACD sees them.
func TestQueueMembers(t *testing.T) {
	f := newFixture(t)
	tok := f.token("12", "s12")
	code, b := f.do(tok, "POST", "/client/@me/extension/", `{"type":"queue","name":"000*371"}`)
	if code != 201 || !strings.Contains(b, `"name":"000*371"`) || !strings.Contains(b, `"create_date":"2026-05-01 09:30:00"`) {
		t.Fatalf("create: %d %s", code, b)
	}
	var ext struct {
		ID json.Number `json:"id"`
	}
	_ = json.Unmarshal([]byte(b), &ext)
	e, err := f.host.Engine("12")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Do(context.Background(), acd.Join{Queue: ext.ID.String(), Caller: "call-1", Number: "89215650644"}); err != nil {
		t.Fatal(err)
	}
	code, b = f.do(tok, "GET", "/extension/"+ext.ID.String()+"/queue/status/members/", "")
	var ms []map[string]any
	if err := json.Unmarshal([]byte(b), &ms); err != nil || code != 200 || len(ms) != 1 {
		t.Fatalf("members: %d %s", code, b)
	}
	m := ms[0]
	if m["call_api_id"] != "call-1" || m["number"] != "89215650644" || m["state"] != "waiting" || m["serving_agent"] != "" {
		t.Errorf("member %s", b)
	}
	if w, ok := m["wait_time"].(float64); !ok || w < 0 {
		t.Errorf("wait_time %v", m["wait_time"])
	}
	if j, _ := m["joined_datetime"].(string); len(j) != len("2006-01-02 15:04:05") {
		t.Errorf("joined_datetime %q", j)
	}
	code, b = f.do(tok, "GET", "/extension/"+ext.ID.String()+"/queue/status/", "")
	if code != 200 || b != `{"answered_members":0,"trying_members":0,"waiting_members":1}` {
		t.Errorf("status: %d %s", code, b)
	}

	// The same caller among the client's current calls.
	current := `{"call_api_id":"call-1","joined_datetime":"` + m["joined_datetime"].(string) + `","number":"89215650644","serving_agent":"","state":"waiting","wait_time":0,"extension_id":` + ext.ID.String() + `}`
	if code, b = f.do(tok, "GET", "/client/@me/current_calls/", ""); code != 200 || b != "["+current+"]" {
		t.Errorf("current calls: %d %s\nwant [%s]", code, b, current)
	}
	if code, b = f.do(tok, "GET", "/client/@me/current_calls/call-1", ""); code != 200 || b != current {
		t.Errorf("current call: %d %s", code, b)
	}
	other := f.token("13", "s13")
	for _, c := range []struct {
		token, method, path string
		status              int
		want                string
	}{
		{tok, "GET", "/client/@me/current_calls/call-2", 404, `{"status":"not_found","message":"call not found"}`},
		{other, "GET", "/client/@me/current_calls/", 200, `[]`},
		{other, "GET", "/client/@me/current_calls/call-1", 404, `{"status":"not_found","message":"call not found"}`},
		{other, "DELETE", "/client/@me/current_calls/call-1", 404, `{"status":"not_found","message":"call not found"}`},
		{tok, "PATCH", "/client/@me/current_calls/", 405, `{"status":"method_not_allowed","message":"use GET"}`},
	} {
		if code, b := f.do(c.token, c.method, c.path, ""); code != c.status || b != c.want {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, code, b, c.status, c.want)
		}
	}

	// Deleting the extension deletes its queue.
	if code, b = f.do(tok, "DELETE", "/client/@me/extension/"+ext.ID.String(), ""); code != 204 {
		t.Fatalf("delete: %d %s", code, b)
	}
	if code, _ = f.do(tok, "GET", "/extension/"+ext.ID.String()+"/queue/", ""); code != 404 {
		t.Errorf("the deleted extension's queue: %d", code)
	}
}

// A call of the history by its uuid (a task's cdr), with both legs; another
// client's call is not found.
func TestCallHistory(t *testing.T) {
	f := newFixture(t)
	tok, other := f.token("12", "s12"), f.token("13", "s13")
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	f.host.AddCall("12", dialect.CallRecord{ID: "x-b", Call: "x", Direction: "outbound", Campaign: "4", Contact: "7", Number: "+78125550102",
		Started: at.Add(5 * time.Second), Answered: at.Add(9 * time.Second), Ended: at.Add(time.Minute), Outcome: "answered", Attrs: map[string]string{"leg": "b"}})
	f.host.AddCall("12", dialect.CallRecord{ID: "x", Call: "x", Direction: "outbound", Campaign: "4", Contact: "7", Number: "+79215650644",
		CallerID: "74950000000", Started: at, Answered: at.Add(4 * time.Second), Ended: at.Add(time.Minute), Outcome: "answered",
		Attrs: map[string]string{"leg": "a"}})
	f.host.AddCall("12", dialect.CallRecord{ID: "y", Call: "y", Direction: "outbound", Campaign: "4", Contact: "8", Number: "+79215650645",
		Started: at, Ended: at.Add(time.Second), Outcome: "busy", Cause: "cause 17", Attrs: map[string]string{"leg": "a"}})
	code, b := f.do(tok, "GET", "/client/@me/call_history/x", "")
	golden(t, "call_history.json", []byte(fmt.Sprintf("%d %s\n", code, b)))
	if code, b = f.do(tok, "GET", "/client/@me/call_history/y", ""); code != 200 ||
		!strings.Contains(b, `"legs":[{"leg":"a","number":"+79215650645","caller_id":null,"start_time_utc":"2026-05-01 09:00:00","answer_time_utc":null,"end_time_utc":"2026-05-01 09:00:01","result":"busy","comment":"cause 17"}]`) {
		t.Errorf("busy call: %d %s", code, b)
	}
	for _, c := range []struct{ token, path string }{{tok, "/client/@me/call_history/z"}, {other, "/client/@me/call_history/x"}} {
		if code, b := f.do(c.token, "GET", c.path, ""); code != 404 || b != `{"status":"not_found","message":"call not found"}` {
			t.Errorf("%s: %d %s", c.path, code, b)
		}
	}
}

func TestInfo(t *testing.T) {
	info, err := ringmedialect.New(ringmedialect.Config{}).Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := info.Validate(); err != nil || info.RoutePrefix != "ringme" || info.TokenAuth == nil || info.TokenAuth.Kind != "access" {
		t.Fatalf("%+v %v", info, err)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(info.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for path, methods := range map[string][]string{
		"/oauth/token": {"post"}, "/client/{client_id}/extension/": {"post"}, "/extension/{extension_id}/queue/": {"get", "put"},
		"/extension/{extension_id}/queue/status/": {"get"}, "/extension/{extension_id}/queue/status/members/": {"get"},
		"/client/{client_id}/agent/local/": {"get", "post"}, "/client/{client_id}/agent/remote/{agent_id}": {"get", "put", "delete"},
		"/extension/{extension_id}/queue/agents/local/": {"get", "post"}, "/extension/{extension_id}/queue/agents/remote/{agent_id}": {"get", "put", "delete"},
		"/client/{client_id}/agent/local/{agent_id}/event/": {"get", "post"}, "/client/{client_id}/agent/remote/{agent_id}/event/{event_id}": {"get", "put", "delete"},
		"/client/{client_id}/task_scheduler/": {"get", "post"}, "/client/{client_id}/task_scheduler/{scheduler_id}": {"get", "put", "delete"},
		"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/":         {"get", "post"},
		"/client/{client_id}/task_scheduler/{scheduler_id}/task/{task_id}": {"get", "delete"},
		"/client/{client_id}/current_calls/":                               {"get"}, "/client/{client_id}/current_calls/{call_api_id}": {"get", "delete"},
		"/client/{client_id}/current_calls/{call_api_id}/transfer/": {"post"},
		"/client/{client_id}/call_history/{call_uuid}":              {"get"}, "/client/{client_id}/extension/{extension_id}": {"delete"},
	} {
		for _, m := range methods {
			if doc.Paths[path][m] == nil {
				t.Errorf("the OpenAPI document lacks %s %s", m, path)
			}
		}
	}
}

// Over the hourly limit a client gets 429 rate_limit_exceeded with the
// X-RateLimit headers; other clients are not affected; the next hour
// starts afresh.
func TestRateLimit(t *testing.T) {
	f := newFixture(t)
	f.h = dialect.Bind(ringmedialect.New(ringmedialect.Config{Now: func() time.Time { return f.now }, RateLimit: 3}), f.host)
	tok, other := f.token("12", "s12"), f.token("13", "s13")
	get := func(token string) dialect.Response {
		return f.raw(dialect.Request{Method: "GET", Path: "/api/ver1.0/client/@me/agent/local/", Header: http.Header{"Authorization": {"Bearer " + token}}})
	}
	reset := fmt.Sprint(epoch.Add(time.Hour).Unix())
	for i, remaining := range []string{"2", "1", "0"} {
		r := get(tok)
		if r.Status != 200 || r.Header.Get("X-RateLimit-Limit") != "3" || r.Header.Get("X-RateLimit-Remaining") != remaining ||
			r.Header.Get("X-RateLimit-Reset") != reset {
			t.Fatalf("request %d: %d %v %s", i+1, r.Status, r.Header, r.Body)
		}
	}
	f.now = f.now.Add(59 * time.Minute)
	r := get(tok)
	if r.Status != 429 || string(r.Body) != `{"status":"rate_limit_exceeded","message":"too many requests for this client this hour; retry after X-RateLimit-Reset"}` ||
		r.Header.Get("X-RateLimit-Remaining") != "0" || r.Header.Get("X-RateLimit-Reset") != reset || r.Header.Get("Retry-After") != "60" {
		t.Errorf("over the limit: %d %v %s", r.Status, r.Header, r.Body)
	}
	if r := get(other); r.Status != 200 || r.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("another client: %d %v", r.Status, r.Header)
	}
	f.now = f.now.Add(time.Minute)
	if r := get(f.token("12", "s12")); r.Status != 200 || r.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("the next hour: %d %v %s", r.Status, r.Header, r.Body)
	}
}
