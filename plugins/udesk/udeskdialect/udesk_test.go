package udeskdialect_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/plugins/udesk/udeskdialect"
)

// local runs the dialect in-process (dialect.Bind) on the real host API,
// with the dialect's clock at now.
type local struct {
	t   *testing.T
	h   dialect.Handler
	now time.Time
}

// newLocal runs the dialect without its rate limits (TestRateLimits has
// them), so a test's requests at one instant of its clock all pass.
func newLocal(t *testing.T, e *env) *local {
	return newLocalWith(t, e, udeskdialect.Config{RateLimit: -1, ImportInterval: -1})
}

func newLocalWith(t *testing.T, e *env, cfg udeskdialect.Config) *local {
	l := &local{t: t, now: time.Now()}
	cfg.Now = func() time.Time { return l.now }
	e.now.Store(&cfg.Now) // the host's state expires on the dialect's clock
	d, err := udeskdialect.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.h = dialect.Bind(d, e.host)
	return l
}

func (l *local) do(method, path string, q url.Values, body string) (int, string) {
	l.t.Helper()
	resp := l.call(method, path, q, body)
	return resp.Status, string(resp.Body)
}

// call is do with the whole response.
func (l *local) call(method, path string, q url.Values, body string) dialect.Response {
	l.t.Helper()
	resp, err := l.h.HandleHTTP(context.Background(), dialect.Request{Method: method, Path: path, Query: q, Header: http.Header{}, Body: []byte(body)})
	if err != nil {
		l.t.Fatalf("%s %s: %v", method, path, err)
	}
	if err := resp.Validate(); err != nil {
		l.t.Fatalf("%s %s: invalid response: %v", method, path, err)
	}
	if resp.Status == 0 {
		resp.Status = 200
	}
	return resp
}

// login returns the tenant's open_api_token.
func (l *local) login(tn tenant) string {
	l.t.Helper()
	st, body := l.do("POST", "/open_api_v1/log_in", nil, `{"email":"`+tn.email+`","password":"`+tn.apiToken+`"}`)
	var r struct {
		Code  int    `json:"code"`
		Token string `json:"open_api_auth_token"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &r) != nil || r.Code != 1000 || r.Token == "" {
		l.t.Fatalf("log_in: %d %s", st, body)
	}
	return r.Token
}

// code is the code of a Udesk body.
func code(t *testing.T, body string) int {
	t.Helper()
	var r struct {
		Code int `json:"code"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("not a udesk body: %s", body)
	}
	return r.Code
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	l := newLocal(t, e)
	tn := e.tenant(t, "", 0)
	token := l.login(tn)
	const path = "/open_api_v1/cc_ad_tasks"
	good := signed(tn.email, token, l.now, nil)

	st, body := l.do("GET", path, good, "")
	if st != 200 || code(t, body) != 1000 {
		t.Fatalf("signed request: %d %s", st, body)
	}
	st, body = l.do("GET", path, good, "")
	if st != 401 || code(t, body) != 20623 {
		t.Errorf("replayed nonce: %d %s, want 20623", st, body)
	}

	with := func(k, v string) url.Values {
		q := signed(tn.email, token, l.now, nil)
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	cases := []struct {
		name   string
		q      url.Values
		status int
		code   int
		exc    string
	}{
		{"no nonce", with("nonce", ""), 401, 20624, "nonce is required"},
		{"malformed timestamp", with("timestamp", "yesterday"), 401, 20621, "yesterday"},
		{"timestamp 6 min old", signed(tn.email, token, l.now.Add(-6*time.Minute), nil), 401, 20622, "more than 5m0s"},
		{"timestamp 6 min ahead", signed(tn.email, token, l.now.Add(6*time.Minute), nil), 401, 20622, "more than 5m0s"},
		{"bad sign", with("sign", strings.Repeat("0", 64)), 401, 2059, "sign does not match"},
		{"no sign", with("sign", ""), 401, 2059, "email and sign are required"},
		{"signed with the api_token, not the open_api_token", signed(tn.email, tn.apiToken, l.now, nil), 401, 2059, "sign does not match"},
		{"sign_version v1", with("sign_version", "v1"), 401, 2059, "sign_version must be v2"},
		{"unknown email", signed("nobody@example.com", token, l.now, nil), 401, 2059, "sign does not match"},
		{"unknown parameter", signed(tn.email, token, l.now, url.Values{"colour": {"red"}}), 400, 2000, "unknown attribute: colour"},
		{"timestamp 4 min old is fine", signed(tn.email, token, l.now.Add(-4*time.Minute), nil), 200, 1000, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, body := l.do("GET", path, c.q, "")
			if st != c.status || code(t, body) != c.code || !strings.Contains(body, c.exc) {
				t.Errorf("got %d %s\nwant %d code %d containing %q", st, body, c.status, c.code, c.exc)
			}
		})
	}

	t.Run("log_in", func(t *testing.T) {
		for _, body := range []string{
			`{"email":"` + tn.email + `","password":"wrong"}`,
			`{"email":"` + tn.email + `"}`,
			`{"email":"nobody@example.com","password":"` + tn.apiToken + `"}`,
		} {
			st, got := l.do("POST", "/open_api_v1/log_in", nil, body)
			if st != 401 || code(t, got) != 2059 {
				t.Errorf("%s: %d %s", body, st, got)
			}
		}
		st, got := l.do("POST", "/open_api_v1/log_in", nil, `{"email":1}`)
		if st != 400 || code(t, got) != 2000 || !strings.Contains(got, "email") {
			t.Errorf("non-string email: %d %s", st, got)
		}
	})
}

// createBody is the seed's create example with the tenant's queue.
func createBody(queue string, tweak func(map[string]any)) string {
	m := map[string]any{"name": "Callout Task", "description": "This is a callout task", "task_type": 1, "user_group_id": json.Number(queue),
		"force_policy_id": 1, "priority": 10, "working_time_id": 1, "recall_policy": "customer_missed", "recall_count": 6,
		"recall_interval": "1,2,3,4,5,6", "follow_on_policy": "customer_missed", "callout_number": "021002002020", "call_limit": "10"}
	if tweak != nil {
		tweak(m)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	l := newLocal(t, e)
	tn := e.tenant(t, "021002002020", 30)
	token := l.login(tn)
	set := func(k string, v any) func(map[string]any) {
		return func(m map[string]any) {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
	}
	cases := []struct {
		name  string
		body  string
		code  int
		field string // named in the exception message
	}{
		{"unknown attribute", createBody(tn.queue, set("colour", "red")), 2000, "unknown attribute: colour"},
		{"not JSON", `{"name":`, 2000, "not a JSON object"},
		{"no name", createBody(tn.queue, set("name", nil)), 206205, "name"},
		{"blank name", createBody(tn.queue, set("name", "  ")), 206205, "name"},
		{"name not a string", createBody(tn.queue, set("name", 5)), 206205, "name"},
		{"no task_type", createBody(tn.queue, set("task_type", nil)), 206203, "task_type"},
		{"task_type 5", createBody(tn.queue, set("task_type", 5)), 206203, "task_type"},
		{"task_type 0", createBody(tn.queue, set("task_type", 0)), 206203, "task_type"},
		{"task_type text", createBody(tn.queue, set("task_type", "one")), 206203, "task_type"},
		{"no user_group_id", createBody(tn.queue, set("user_group_id", nil)), 206204, "user_group_id"},
		{"user_group_id -1", createBody(tn.queue, set("user_group_id", -1)), 206204, "user_group_id"},
		{"user_group_id of no group", createBody(tn.queue, set("user_group_id", 9999)), 206204, "user_group_id"},
		{"force_policy_id 0", createBody(tn.queue, set("force_policy_id", 0)), 206206, "force_policy_id"},
		{"working_time_id text", createBody(tn.queue, set("working_time_id", "x")), 206207, "working_time_id"},
		{"priority 0", createBody(tn.queue, set("priority", 0)), 2000, "priority"},
		{"priority 101", createBody(tn.queue, set("priority", 101)), 2000, "priority"},
		{"priority 1.5", createBody(tn.queue, set("priority", 1.5)), 2000, "priority"},
		{"recall_policy unknown", createBody(tn.queue, set("recall_policy", "phone_busy,sulking")), 2000, "recall_policy"},
		{"recall_count -1", createBody(tn.queue, set("recall_count", -1)), 2000, "recall_count"},
		{"recall_interval bad", createBody(tn.queue, set("recall_interval", "1,x")), 2000, "recall_interval"},
		{"follow_on_policy unknown", createBody(tn.queue, set("follow_on_policy", "x")), 2000, "follow_on_policy"},
		{"callout_number letters", createBody(tn.queue, set("callout_number", "abc")), 503001, "callout_number"},
		{"callout_number not a relay", createBody(tn.queue, set("callout_number", "01086465047")), 503001, "callout_number"},
		{"call_limit over the relay's", createBody(tn.queue, set("call_limit", "31")), 503002, "call_limit"},
		{"call_limit 0", createBody(tn.queue, set("call_limit", "0")), 2000, "call_limit"},
		{"call_limit text", createBody(tn.queue, set("call_limit", "ten")), 2000, "call_limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, body := l.do("POST", "/open_api_v1/cc_ad_tasks", signed(tn.email, token, l.now, nil), c.body)
			if st < 400 || st >= 500 || code(t, body) != c.code || !strings.Contains(body, c.field) {
				t.Errorf("got %d %s\nwant code %d naming %q", st, body, c.code, c.field)
			}
		})
	}
	// Nothing was created by the refused requests.
	_, body := l.do("GET", "/open_api_v1/cc_ad_tasks", signed(tn.email, token, l.now, nil), "")
	if !strings.Contains(body, `"total_entries":0`) {
		t.Errorf("refused creates left tasks: %s", body)
	}
}

func TestDefaultsAndTypes(t *testing.T) {
	e := newEnv(t)
	l := newLocal(t, e)
	tn := e.tenant(t, "", 0)
	token := l.login(tn)
	q := func() url.Values { return signed(tn.email, token, l.now, nil) }
	for tt, want := range map[int]string{1: "progressive", 2: "ratio", 3: "predictive", 4: "ivr"} {
		body := `{"name":"t","task_type":` + string(rune('0'+tt)) + `,"user_group_id":` + tn.queue + `}`
		st, got := l.do("POST", "/open_api_v1/cc_ad_tasks", q(), body)
		if st != 200 || code(t, got) != 1000 {
			t.Fatalf("task_type %d: %d %s", tt, st, got)
		}
		var r struct{ ID int }
		_ = json.Unmarshal([]byte(got), &r)
		o, err := e.host.GetObject(context.Background(), tn.id, dialect.KindCampaign, jsonInt(r.ID))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(o.Spec, &m)
		if m["mode"] != want || m["default_region"] != "CN" || m["priority"] != float64(10) {
			t.Errorf("task_type %d stored as %s", tt, o.Spec)
		}
		_, got = l.do("GET", "/open_api_v1/cc_ad_tasks/"+jsonInt(r.ID), q(), "")
		for _, s := range []string{`"priority":10`, `"redial_times":0`, `"redial_guide":[]`, `"call_limit":null`, `"callout_number":null`,
			`"status":2`, `"description":null`, `"customer_count":0`, `"call_success_rate":"0.0"`} {
			if !strings.Contains(got, s) {
				t.Errorf("task_type %d details lack %s: %s", tt, s, got)
			}
		}
	}
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestTenantsApart(t *testing.T) {
	e := newEnv(t)
	l := newLocal(t, e)
	a, b := e.tenant(t, "", 0), e.tenant(t, "", 0)
	ta, tb := l.login(a), l.login(b)
	_, body := l.do("POST", "/open_api_v1/cc_ad_tasks", signed(a.email, ta, l.now, nil), `{"name":"A's","task_type":1,"user_group_id":`+a.queue+`}`)
	var r struct{ ID int }
	if json.Unmarshal([]byte(body), &r) != nil || r.ID == 0 {
		t.Fatalf("create: %s", body)
	}
	id := jsonInt(r.ID)
	qb := func() url.Values { return signed(b.email, tb, l.now, nil) }
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/open_api_v1/cc_ad_tasks/" + id, ""},
		{"PUT", "/open_api_v1/cc_ad_tasks/" + id, `{"name":"B was here"}`},
		{"POST", "/open_api_v1/cc_ad_tasks/" + id + "/open", `{"open":true}`},
		{"DELETE", "/open_api_v1/cc_ad_tasks/" + id, ""},
		{"POST", "/open_api_v1/cc_ad_tasks/add_numbers", `{"id":` + id + `,"numbers":[{"cellphone":"13223004567"}]}`},
	} {
		st, got := l.do(c.method, c.path, qb(), c.body)
		want := "Couldn't find CcAdTask with id=" + id
		if st != 404 || code(t, got) != 2005 || !strings.Contains(got, want) {
			t.Errorf("B %s %s: %d %s", c.method, c.path, st, got)
		}
	}
	_, got := l.do("GET", "/open_api_v1/cc_ad_tasks", qb(), "")
	if !strings.Contains(got, `"total_entries":0`) {
		t.Errorf("B lists A's task: %s", got)
	}
	// B's group cannot be A's task's group either.
	st, got := l.do("POST", "/open_api_v1/cc_ad_tasks", qb(), `{"name":"x","task_type":1,"user_group_id":`+a.queue+`}`)
	if a.queue != b.queue && (st != 400 || code(t, got) != 206204) {
		t.Errorf("B used A's group: %d %s", st, got)
	}
	_, got = l.do("GET", "/open_api_v1/cc_ad_tasks/"+id, signed(a.email, ta, l.now, nil), "")
	if !strings.Contains(got, `"name":"A's"`) || !strings.Contains(got, `"customer_count":0`) {
		t.Errorf("A's task changed: %s", got)
	}
}

func TestRoutesAndIDs(t *testing.T) {
	e := newEnv(t)
	l := newLocal(t, e)
	tn := e.tenant(t, "", 0)
	token := l.login(tn)
	q := func() url.Values { return signed(tn.email, token, l.now, nil) }
	cases := []struct {
		method, path, body string
		status, code       int
		exc                string
	}{
		{"GET", "/open_api_v1/cc_ad_tasks/12", "", 404, 2005, "Couldn't find CcAdTask with id=12 [WHERE cc_ad_tasks .company_id = ?]"},
		{"GET", "/open_api_v1/cc_ad_tasks/abc", "", 404, 2005, "id=abc"},
		{"PUT", "/open_api_v1/cc_ad_tasks/12", `{"name":"x"}`, 404, 2005, "id=12"},
		{"PUT", "/open_api_v1/cc_ad_tasks/12", `{}`, 400, 206205, "name"},
		{"POST", "/open_api_v1/cc_ad_tasks/12/open", `{"open":"yes"}`, 400, 501015, "open"},
		{"POST", "/open_api_v1/cc_ad_tasks/12/open", `{}`, 400, 501015, "open"},
		{"POST", "/open_api_v1/cc_ad_tasks/12/open", `{"open":true}`, 404, 2005, "id=12"},
		{"POST", "/open_api_v1/cc_ad_tasks/add_numbers", `{"numbers":[]}`, 404, 2005, "Couldn't find CcAdTask without an ID"},
		{"POST", "/open_api_v1/cc_ad_tasks/add_numbers", `{"id":1}`, 400, 2000, "undefined method `size' for nil:NilClass"},
		{"POST", "/open_api_v1/cc_ad_tasks/add_numbers", `{"id":1,"numbers":[]}`, 400, 2000, "numbers: is empty"},
		{"POST", "/open_api_v1/cc_ad_tasks/add_numbers", `{"id":1,"numbers":"13223004567"}`, 400, 2000, "numbers: must be an array"},
		{"POST", "/open_api_v1/cc_ad_tasks/add_numbers", `{"id":1,"numbers":[` + strings.Repeat(`{"cellphone":"13223004567"},`, 300) + `{}]}`, 400, 2000, "at most 300"},
		{"POST", "/open_api_v1/cc_ad_tasks/add_numbers", `{"id":12,"numbers":[{"cellphone":"13223004567"}]}`, 404, 2005, "id=12"},
		{"GET", "/open_api_v1/cc_ad_tasks/numbers", "", 404, 2005, "Couldn't find CcAdTask without an ID"},
		{"GET", "/open_api_v1/cc_ad_tasks/numbers?id=12", "", 404, 2005, "id=12"},
		{"GET", "/open_api_v1/cc_ad_tasks/numbers?id=x", "", 404, 2005, "id=x"},
		{"GET", "/open_api_v1/cc_ad_tasks/numbers?id=12&start_number_id=-1", "", 400, 2000, "start_number_id"},
		{"GET", "/open_api_v1/cc_ad_tasks/numbers?id=12&page=1", "", 400, 2000, "unknown attribute: page"},
		{"GET", "/open_api_v1/cc_ad_tasks?page=0", "", 400, 2000, "page"},
		{"GET", "/open_api_v1/cc_ad_tasks?per_page=x", "", 400, 2000, "per_page"},
		{"POST", "/open_api_v1/cc_ad_tasks/recall", `{"id":12,"number":"13412341234","after_at":"2019-02-08T15:30:02+08:00"}`, 404, 2005, "id=12"},
		{"POST", "/open_api_v1/cc_ad_tasks/recall", `{"number":"13412341234"}`, 404, 2005, "without an ID"},
		{"POST", "/open_api_v1/cc_ad_tasks/follow_on", `{"id":12,"called":"13223004570"}`, 404, 2005, "id=12"},
		{"POST", "/open_api_v1/cc_ad_tasks/follow_on", `{"id":1,"called":"13223004570","x":1}`, 400, 2000, "unknown attribute: x"},
		{"PATCH", "/open_api_v1/cc_ad_tasks/1", "", 404, 2005, "no such endpoint"},
		{"GET", "/open_api_v1/customers", "", 404, 2005, "no such endpoint"},
		{"GET", "/elsewhere", "", 404, 2005, "no such endpoint"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path+" "+c.body[:min(len(c.body), 30)], func(t *testing.T) {
			path, raw, _ := strings.Cut(c.path, "?")
			query := q()
			extra, _ := url.ParseQuery(raw)
			for k, v := range extra {
				query[k] = v
			}
			st, got := l.do(c.method, path, query, c.body)
			if st != c.status || code(t, got) != c.code || !strings.Contains(got, c.exc) {
				t.Errorf("got %d %s\nwant %d code %d containing %q", st, got, c.status, c.code, c.exc)
			}
		})
	}
}

func TestAddNumbers(t *testing.T) {
	e := newEnv(t)
	l := newLocal(t, e)
	tn := e.tenant(t, "", 0)
	token := l.login(tn)
	q := func() url.Values { return signed(tn.email, token, l.now, nil) }
	_, body := l.do("POST", "/open_api_v1/cc_ad_tasks", q(), `{"name":"numbers","task_type":2,"user_group_id":`+tn.queue+`}`)
	var r struct{ ID int }
	if json.Unmarshal([]byte(body), &r) != nil || r.ID == 0 {
		t.Fatalf("create: %s", body)
	}
	id := jsonInt(r.ID)
	eleven := `{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","i":"9","j":"10","k":"11"}`
	st, got := l.do("POST", "/open_api_v1/cc_ad_tasks/add_numbers", q(), `{"id":`+id+`,"numbers":[
		{"cellphone":"13223004567","name":"One","custom":{"company":"Udesk"}},
		{"cellphone":"13223004568, 13223004569","name":"Two numbers"},
		{"cellphone":"123","name":"Too short"},
		{"cellphone":"13223004570","custom":`+eleven+`},
		{"name":"No number"},
		{"cellphone":"13223004567","name":"Again"},
		{"cellphone":"13223004571","colour":"red"}
	]}`)
	want := `{"code":1000,"successful_count":2,"unsuccessful_count":5,"unsuccessful_numbers":[` +
		`{"cellphone":"123","name":"Too short","reason":"invalid number: 123"},` +
		`{"cellphone":"13223004570","custom":` + eleven + `,"reason":"custom has 11 fields; at most 10"},` +
		`{"cellphone":"","name":"No number","reason":"cellphone is required"},` +
		`{"cellphone":"13223004567","name":"Again","reason":"duplicate number"},` +
		`{"cellphone":"","reason":"unknown attribute: colour"}]}`
	if st != 200 || got != want {
		t.Errorf("add_numbers:\n got %d %s\nwant %s", st, got, want)
	}
	page, err := e.host.ListContacts(context.Background(), tn.id, id, dialect.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Contacts) != 2 || page.Contacts[0].Name != "One" || page.Contacts[0].Custom["company"] != "Udesk" ||
		!slices.Equal(page.Contacts[0].Numbers, []string{"+8613223004567"}) ||
		!slices.Equal(page.Contacts[1].Numbers, []string{"+8613223004568", "+8613223004569"}) {
		t.Errorf("stored contacts: %+v", page.Contacts)
	}
	q2 := func(extra string) url.Values {
		v, _ := url.ParseQuery(extra)
		return signed(tn.email, token, l.now, v)
	}
	_, got = l.do("GET", "/open_api_v1/cc_ad_tasks/numbers", q2("id="+id+"&start_number_id=1"), "")
	if want := `{"code":1000,"numbers":[{"id":2,"name":"Two numbers","cellphone":"13223004568,13223004569","description":"",` +
		`"call_count":0,"customer_answer_count":0,"agent_answer_count":0}],"meta":{"record_size":1,"max_number_id":2}}`; got != want {
		t.Errorf("pool after 1:\n got %s\nwant %s", got, want)
	}
	_, got = l.do("GET", "/open_api_v1/cc_ad_tasks/numbers", q2("id="+id+"&start_number_id=2"), "")
	if want := `{"code":1000,"numbers":[],"meta":{"record_size":0,"max_number_id":null}}`; got != want {
		t.Errorf("pool after 2:\n got %s\nwant %s", got, want)
	}
	_, got = l.do("GET", "/open_api_v1/cc_ad_tasks/"+id, q(), "")
	if !strings.Contains(got, `"customer_count":2`) {
		t.Errorf("customer_count after import: %s", got)
	}
	for _, c := range []struct {
		path, body   string
		status, code int
		exc          string
	}{
		{"recall", `{"id":` + id + `,"number":"13412341234","after_at":"2019-02-08T15:30:02+08:00"}`, 400, 501032, "number 13412341234 is not in the number pool of task " + id},
		{"recall", `{"id":` + id + `,"number":"12","after_at":"2019-02-08T15:30:02+08:00"}`, 400, 501032, "number"},
		{"recall", `{"id":` + id + `,"after_at":"2019-02-08T15:30:02+08:00"}`, 400, 501032, "number"},
		{"recall", `{"id":` + id + `,"number":"13412341234","after_at":"2019-02-08 15:30"}`, 400, 501033, "after_at"},
		{"recall", `{"id":` + id + `,"number":"13412341234"}`, 400, 501033, "after_at"},
		{"recall", `{"id":` + id + `,"number":"13223004567","after_at":"2019-02-08T15:30:02+08:00","x":1}`, 400, 2000, "unknown attribute: x"},
		{"follow_on", `{"id":` + id + `,"called":"13223004570"}`, 400, 501032, "called 13223004570 is not in the number pool of task " + id},
		{"follow_on", `{"id":` + id + `,"called":5}`, 400, 501032, "called"},
	} {
		st, got := l.do("POST", "/open_api_v1/cc_ad_tasks/"+c.path, q(), c.body)
		if st != c.status || code(t, got) != c.code || !strings.Contains(got, c.exc) {
			t.Errorf("%s %s: got %d %s, want %d code %d containing %q", c.path, c.body, st, got, c.status, c.code, c.exc)
		}
	}
	if page, err := e.host.ListContacts(context.Background(), tn.id, id, dialect.Page{}); err != nil || len(page.Contacts) != 2 {
		t.Errorf("refused recalls imported contacts: %+v %v", page.Contacts, err)
	}
}

func TestUpdateOpenDelete(t *testing.T) {
	e := newEnv(t)
	l := newLocal(t, e)
	tn := e.tenant(t, "021002002020", 30)
	token := l.login(tn)
	q := func() url.Values { return signed(tn.email, token, l.now, nil) }
	_, body := l.do("POST", "/open_api_v1/cc_ad_tasks", q(), createBody(tn.queue, nil))
	var r struct{ ID int }
	if json.Unmarshal([]byte(body), &r) != nil || r.ID == 0 {
		t.Fatalf("create: %s", body)
	}
	path := "/open_api_v1/cc_ad_tasks/" + jsonInt(r.ID)
	// A task with numbers and no agents stays open (an empty one finishes at once).
	if st, got := l.do("POST", "/open_api_v1/cc_ad_tasks/add_numbers", q(), `{"id":`+jsonInt(r.ID)+`,"numbers":[{"cellphone":"13223004567"}]}`); st != 200 {
		t.Fatalf("add_numbers: %d %s", st, got)
	}
	steps := []struct {
		method, path, body string
		status, code       int
		after              string // in the task's details afterwards
	}{
		{"PUT", path, `{"name":"n","call_limit":"31"}`, 400, 503002, `"call_limit":10`},
		{"PUT", path, `{"name":"n","callout_number":"01086465047"}`, 400, 503001, `"callout_number":"021002002020"`},
		{"PUT", path, `{"name":"n","priority":5}`, 400, 2000, `"name":"Callout Task"`},
		{"PUT", path, `{"name":"Renamed","description":null,"call_limit":30}`, 200, 1000, `"name":"Renamed","status":2,"call_limit":30`},
		{"GET", path, ``, 200, 1000, `"description":null`},
		{"POST", path + "/open", `{"open":false}`, 409, 501016, `"status":2`},
		{"POST", path + "/open", `{"open":true,"callout_number":"999"}`, 400, 503001, `"status":2`},
		{"POST", path + "/open", `{"open":true}`, 200, 1000, `"status":1`},
		{"DELETE", path, ``, 409, 2000, `"status":1`},
		{"PUT", path, `{"name":"Renamed while open"}`, 200, 1000, `"name":"Renamed while open","status":1`},
		{"POST", path + "/open", `{"open":false}`, 200, 1000, `"name":"Renamed while open"`},
	}
	for _, s := range steps {
		st, got := l.do(s.method, s.path, q(), s.body)
		if st != s.status || code(t, got) != s.code {
			t.Errorf("%s %s %s: got %d %s, want %d code %d", s.method, s.path, s.body, st, got, s.status, s.code)
		}
		if _, d := l.do("GET", path, q(), ""); !strings.Contains(d, s.after) {
			t.Errorf("after %s %s %s: details lack %s: %s", s.method, s.path, s.body, s.after, d)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, d := l.do("GET", path, q(), ""); strings.Contains(d, `"status":2`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the task did not close")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, got := l.do("DELETE", path, q(), ""); st != 200 || got != `{"code":1000}` {
		t.Fatalf("delete: %d %s", st, got)
	}
	if st, got := l.do("GET", path, q(), ""); st != 404 || code(t, got) != 2005 {
		t.Errorf("after delete: %d %s", st, got)
	}
}

func TestInfo(t *testing.T) {
	d, err := udeskdialect.New(udeskdialect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := d.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := info.Validate(); err != nil || info.RoutePrefix != "udesk" || info.AuthScheme != dialect.AuthSignature || info.TokenAuth != nil {
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
		"/open_api_v1/log_in":                       {"post"},
		"/open_api_v1/cc_ad_tasks":                  {"get", "post"},
		"/open_api_v1/cc_ad_tasks/{id}":             {"get", "put", "delete"},
		"/open_api_v1/cc_ad_tasks/{id}/open":        {"post"},
		"/open_api_v1/cc_ad_tasks/add_numbers":      {"post"},
		"/open_api_v1/cc_ad_tasks/numbers":          {"get"},
		"/open_api_v1/cc_ad_tasks/recall":           {"post"},
		"/open_api_v1/cc_ad_tasks/follow_on":        {"post"},
		"/open_api_v1/cc_ad_tasks/results_callback": {"get", "post", "delete"},
	} {
		for _, m := range methods {
			if doc.Paths[path][m] == nil {
				t.Errorf("the OpenAPI document lacks %s %s", m, path)
			}
		}
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
}

func TestListPages(t *testing.T) {
	e := newEnv(t)
	l := newLocal(t, e)
	tn := e.tenant(t, "", 0)
	token := l.login(tn)
	q := func(extra string) url.Values {
		v, _ := url.ParseQuery(extra)
		return signed(tn.email, token, l.now, v)
	}
	for i := range 12 {
		if st, got := l.do("POST", "/open_api_v1/cc_ad_tasks", q(""), `{"name":"task `+jsonInt(i+1)+`","task_type":1,"user_group_id":`+tn.queue+`}`); st != 200 {
			t.Fatalf("create: %d %s", st, got)
		}
	}
	type page struct {
		Code  int `json:"code"`
		Tasks []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"cc_ad_tasks"`
		Meta struct {
			CurrentPage  int `json:"current_page"`
			TotalPages   int `json:"total_pages"`
			TotalEntries int `json:"total_entries"`
		} `json:"meta"`
	}
	cases := []struct {
		query             string
		n, current, pages int
		firstName         string
	}{
		{"", 10, 1, 2, "task 1"},
		{"page=2", 2, 2, 2, "task 11"},
		{"page=3&per_page=5", 2, 3, 3, "task 11"},
		{"page=4&per_page=5", 0, 4, 3, ""},
		{"per_page=500", 12, 1, 1, "task 1"},
	}
	for _, c := range cases {
		st, got := l.do("GET", "/open_api_v1/cc_ad_tasks", q(c.query), "")
		var p page
		if st != 200 || json.Unmarshal([]byte(got), &p) != nil {
			t.Fatalf("%s: %d %s", c.query, st, got)
		}
		if len(p.Tasks) != c.n || p.Meta.CurrentPage != c.current || p.Meta.TotalPages != c.pages || p.Meta.TotalEntries != 12 ||
			(c.n > 0 && p.Tasks[0].Name != c.firstName) {
			t.Errorf("%q: %s", c.query, got)
		}
	}
}
