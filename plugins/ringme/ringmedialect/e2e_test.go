package ringmedialect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/service/servicetest"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// hook is one request a webhook endpoint received.
type hook struct {
	Method, Path, ContentType string
	// Form is the query (GET) or the form body (POST).
	Form url.Values
}

// hookServer is a loopback endpoint that records every request.
type hookServer struct {
	*httptest.Server
	mu   sync.Mutex
	got  []hook
	more chan struct{}
}

func newHookServer(t *testing.T) *hookServer {
	t.Helper()
	h := &hookServer{more: make(chan struct{}, 1)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec := hook{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Form: r.URL.Query()}
		if r.Method == http.MethodPost {
			f, err := url.ParseQuery(string(b))
			if err != nil {
				t.Errorf("%s %s: body is not a form: %q", r.Method, r.URL, b)
			}
			rec.Form = f
		}
		h.mu.Lock()
		h.got = append(h.got, rec)
		h.mu.Unlock()
		select {
		case h.more <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(h.Close)
	return h
}

// on returns the requests received on path so far.
func (h *hookServer) on(path string) []hook {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hook
	for _, r := range h.got {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// wait waits until path has received n requests and returns them.
func (h *hookServer) wait(t *testing.T, path string, n int) []hook {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		if got := h.on(path); len(got) >= n {
			return got
		}
		select {
		case <-h.more:
		case <-deadline:
			t.Fatalf("%s: %d requests after 15 s, want %d: %+v", path, len(h.on(path)), n, h.on(path))
		}
	}
}

// e2e is the real service with the ringme plugin, fast emulator time.
type e2e struct {
	t   *testing.T
	svc *servicetest.Running
}

func startE2E(t *testing.T) *e2e {
	t.Helper()
	return &e2e{t: t, svc: servicetest.WithPlugin(t, "ringme", servicetest.Speed(50))}
}

// client provisions a ringme tenant and returns its API client and id.
func (e *e2e) client() (client, string) {
	e.t.Helper()
	_, creds, err := accounts.Create(e.svc.Ctx, e.svc.DB(), accounts.Request{Dialect: "ringme"}, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	base := e.svc.URL()
	return client{t: e.t, base: base, token: token(e.t, base, creds)}, creds["client_id"]
}

func (c client) must(method, path, body string, want int) string {
	c.t.Helper()
	code, b := c.do(method, path, body)
	if code != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, code, b, want)
	}
	return b
}

// deliveries counts a tenant's webhook deliveries in every state (a
// delivery may change state between two reads: it is counted once).
func (e *e2e) deliveries(tenant string) int {
	e.t.Helper()
	seen := map[int64]bool{}
	for _, st := range []string{store.DeliveryPending, store.DeliveryDelivered, store.DeliveryDead} {
		ds, err := e.svc.DB().Deliveries(context.Background(), store.DeliveryFilter{State: st, Tenant: tenant, Limit: 1000})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, d := range ds {
			seen[d.Seq] = true
		}
	}
	return len(seen)
}

func checkForm(t *testing.T, what string, got hook, method string, want url.Values) {
	t.Helper()
	if got.Method != method {
		t.Errorf("%s: method %s, want %s", what, got.Method, method)
	}
	if method == http.MethodPost && got.ContentType != "application/x-www-form-urlencoded" {
		t.Errorf("%s: content type %q", what, got.ContentType)
	}
	if got.Form.Encode() != want.Encode() {
		t.Errorf("%s: fields %v, want %v", what, got.Form, want)
	}
}

// Agent events through the real service: a client registers agent-login
// (POST) and agent-logout (GET) for its local agent in a queue; changing
// the agent's status through the API delivers the vendor's form to a
// loopback endpoint, a change that is not a login or logout delivers
// nothing, and another client's agent never reaches these URLs.
func TestAgentEventsEndToEnd(t *testing.T) {
	e := startE2E(t)
	hooks := newHookServer(t)
	c, tenant := e.client()
	other, otherTenant := e.client()

	queue := num(t, c.must("POST", "/client/@me/extension/", `{"type":"queue","label":"support"}`, 201), "id")
	agent := num(t, c.must("POST", "/client/@me/agent/local/", `{"extension_id":94,"name":"Anna"}`, 201), "id")
	c.must("POST", "/extension/"+queue+"/queue/agents/local/", `{"agent_id":`+agent+`}`, 201)
	events := "/client/@me/agent/local/" + agent + "/event/"
	login := c.must("POST", events, `{"url":"`+hooks.URL+`/login","method":"POST","event_type":"agent-login"}`, 201)
	if !strings.Contains(login, `"method":"POST","event_type":"agent-login"`) || num(t, login, "id") == "" {
		t.Fatalf("registration %s", login)
	}
	c.must("POST", events, `{"url":"`+hooks.URL+`/logout?from=switchboard","method":"GET","event_type":"agent-logout"}`, 201)

	// Another client's agent, with a registration of its own elsewhere.
	otherAgent := num(t, other.must("POST", "/client/@me/agent/local/", `{"extension_id":95}`, 201), "id")
	other.must("POST", "/client/@me/agent/local/"+otherAgent+"/event/", `{"url":"`+hooks.URL+`/other","method":"POST","event_type":"agent-login"}`, 201)
	if code, _ := other.do("GET", events, ""); code != http.StatusNotFound {
		t.Errorf("another client lists the agent's events: %d", code)
	}

	status := func(cl client, id, st string) {
		t.Helper()
		cl.must("PUT", "/client/@me/agent/local/"+id, `{"status":"`+st+`"}`, 200)
	}
	fields := func(st string) url.Values {
		return url.Values{"agent_id": {agent}, "agent_status": {st}, "agent_type": {"local"},
			"extension_name": {"000*094@ringme.ru"}, "event_source": {"api"}}
	}

	status(c, agent, "available")
	checkForm(t, "login", hooks.wait(t, "/login", 1)[0], http.MethodPost, fields("available"))
	status(other, otherAgent, "available")
	hooks.wait(t, "/other", 1)
	status(c, agent, "available")           // the same status: no change at all
	status(c, agent, "available_on_demand") // a change, but no login
	status(c, agent, "logged_out")
	lo := hooks.wait(t, "/logout", 1)[0]
	want := fields("logged_out")
	want.Set("from", "switchboard")
	checkForm(t, "logout", lo, http.MethodGet, want)
	// The sender renders events in order: whatever the changes before the
	// logout rendered is stored by now.
	if n := e.deliveries(tenant); n != 2 {
		t.Errorf("%d deliveries stored after the logout, want 2 (login, logout)", n)
	}
	status(other, otherAgent, "logged_out")
	status(c, agent, "available") // a second login, the last event
	logins := hooks.wait(t, "/login", 2)

	if len(logins) != 2 {
		t.Errorf("logins %+v, want 2", logins)
	}
	for _, h := range append(logins, hooks.on("/logout")...) {
		if h.Form.Get("agent_id") != agent {
			t.Errorf("another agent's event reached the client's URL: %+v", h)
		}
	}
	if n := len(hooks.on("/logout")); n != 1 {
		t.Errorf("%d logouts, want 1", n)
	}
	if got := hooks.on("/other"); len(got) != 1 || got[0].Form.Get("agent_id") != otherAgent {
		t.Errorf("the other client's endpoint got %+v", got)
	}
	// Nothing else is on its way: the deliveries stored are those received.
	if n := e.deliveries(tenant); n != 3 {
		t.Errorf("%d deliveries stored for the client, want 3", n)
	}
	if n := e.deliveries(otherTenant); n != 1 {
		t.Errorf("%d deliveries stored for the other client, want 1", n)
	}
}

// paths are the paths of the requests received so far, in order, that start with prefix.
func (h *hookServer) paths(prefix string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.got {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r.Path)
		}
	}
	return out
}

// waitFor polls f until it holds (15 s at most).
func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// campaignState is the stored state of the scheduler at path.
func (e *e2e) campaignState(tenant, path string) dialer.State {
	e.t.Helper()
	id, err := strconv.ParseInt(path[strings.LastIndex(path, "/")+1:], 10, 64)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.svc.DB().Campaign(context.Background(), tenant, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.State
}

// Callback tasks through the real service and the Asterisk emulator: a
// scheduler is created switched off and switched on; a task whose A and B
// answer calls url_before, url_success and url_after (success); a task
// whose A is busy twice (try_count 2) calls url_before, url_before_again and
// url_after (failed). The tasks read back with their results.
func TestTaskSchedulerEndToEnd(t *testing.T) {
	e := startE2E(t)
	hooks := newHookServer(t)
	c, tenant := e.client()
	other, _ := e.client()
	emu := e.svc.Emulator()
	for number, b := range map[string]asterisk.Behaviour{
		"+79215550001": {Result: asterisk.ResultAnswer, RingFor: 3 * time.Second, HangupAfter: 30 * time.Second},
		"+79215550002": {Result: asterisk.ResultAnswer, RingFor: 3 * time.Second, HangupAfter: 20 * time.Second},
		"+79215550003": {Result: asterisk.ResultBusy},
		"+79215550004": {Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: 20 * time.Second},
		"+79215550007": {Result: asterisk.ResultBusy},
		"+79215550008": {Result: asterisk.ResultAnswer, RingFor: 3 * time.Second, HangupAfter: 30 * time.Second},
		"+79215550010": {Result: asterisk.ResultAnswer, RingFor: 3 * time.Second, HangupAfter: 20 * time.Second},
		"+79215550011": {Result: asterisk.ResultAnswer, RingFor: 3 * time.Second, HangupAfter: 30 * time.Second},
		"+79215550012": {Result: asterisk.ResultAnswer, RingFor: 3 * time.Second, HangupAfter: 20 * time.Second},
	} {
		if err := emu.SetEndpoint("customers", number, b); err != nil {
			t.Fatal(err)
		}
	}

	created := c.must("POST", "/client/@me/task_scheduler/", `{"name":"callbacks","concurrent_task_limit":2}`, 201)
	sid := num(t, created, "id")
	var s map[string]any
	if s = object(t, created); s["status"] != "inactive" || s["name"] != "callbacks" || s["concurrent_task_limit"] != 2.0 {
		t.Errorf("created %s", created)
	}
	sched := "/client/@me/task_scheduler/" + sid
	if got := c.must("GET", sched, "", 200); got != created {
		t.Errorf("GET %s, POST answered %s", got, created)
	}
	if got := c.must("GET", "/client/@me/task_scheduler/", "", 200); got != "["+created+"]" {
		t.Errorf("list %s", got)
	}
	if got := object(t, c.must("PUT", sched, `{"status":"active","interval":0}`, 200)); got["status"] != "active" {
		t.Errorf("switched on: %v", got)
	}

	// A scheduler switched on without tasks runs dry (the dialer finishes
	// it); switched off then, a task added waits until it is switched on.
	idle := "/client/@me/task_scheduler/" + num(t, c.must("POST", "/client/@me/task_scheduler/", `{"name":"idle","status":"active"}`, 201), "id")
	waitFor(t, "the empty scheduler finished", func() bool { return e.campaignState(tenant, idle) == dialer.StateFinished })
	if got := object(t, c.must("PUT", idle, `{"status":"inactive"}`, 200)); got["status"] != "inactive" {
		t.Errorf("switched off: %v", got)
	}
	c.must("POST", idle+"/tasks/", `{"tasks":[{"a_number":"89215550011","b_number":"89215550012",
		"url_before":"`+hooks.URL+`/t5/before","url_after":"`+hooks.URL+`/t5/after"}]}`, 201)

	body := `{"tasks":[
		{"name":"ok","a_number":"89215550001","b_number":"8 921 555-00-02","extension_id":370,
		 "url_before":"` + hooks.URL + `/t1/before","url_before_again":"` + hooks.URL + `/t1/again",
		 "url_success":"` + hooks.URL + `/t1/success","url_after":"` + hooks.URL + `/t1/after"},
		{"a_number":"+79215550003","b_number":"89215550004","try_count":2,"try_again_pause":"10",
		 "url_before":"` + hooks.URL + `/t2/before","url_before_again":"` + hooks.URL + `/t2/again",
		 "url_success":"` + hooks.URL + `/t2/success","url_after":"` + hooks.URL + `/t2/after"},
		{"a_number":"89215550005","b_number":"89215550006","start_time_utc":"2099-01-01 00:00","url_before":"` + hooks.URL + `/t3/before"},
		{"a_number":"89215550007","b_number":"89215550010","callback_params":{"extended_a_numbers":["89215550008"]},
		 "url_before":"` + hooks.URL + `/t4/before","url_before_again":"` + hooks.URL + `/t4/again",
		 "url_success":"` + hooks.URL + `/t4/success","url_after":"` + hooks.URL + `/t4/after"}]}`
	var tasks []map[string]any
	if err := json.Unmarshal([]byte(c.must("POST", sched+"/tasks/", body, 201)), &tasks); err != nil || len(tasks) != 4 {
		t.Fatalf("created tasks %v %v", tasks, err)
	}
	t1, t2, t3, t4 := fmt.Sprint(tasks[0]["id"]), fmt.Sprint(tasks[1]["id"]), fmt.Sprint(tasks[2]["id"]), fmt.Sprint(tasks[3]["id"])
	if t1 != "1" || t2 != "2" || t3 != "3" || t4 != "4" {
		t.Errorf("task ids %s %s %s %s", t1, t2, t3, t4)
	}
	if tasks[0]["status"] != "scheduled" || tasks[0]["a_number"] != "89215550001" || tasks[0]["b_number"] != "8 921 555-00-02" ||
		tasks[0]["extension_id"] != 370.0 || tasks[0]["try_count"] != 1.0 || tasks[0]["url_after"] != hooks.URL+"/t1/after" ||
		tasks[1]["try_count"] != 2.0 || tasks[1]["try_again_pause"] != "10" || fmt.Sprint(tasks[0]["scheduler_id"]) != sid ||
		tasks[2]["start_time_utc"] != "2099-01-01 00:00:00" || tasks[2]["url_after"] != nil {
		t.Errorf("created tasks %v", tasks)
	}
	// Each task's subscription is offered only its own contact's events.
	if subs, err := e.svc.DB().CampaignSubscriptions(context.Background(), tenant, sid); err != nil || len(subs) != 4 {
		t.Errorf("task subscriptions %+v %v", subs, err)
	} else {
		for _, sub := range subs {
			if sub.Contact == "" || sub.Contact != sub.Attrs["task_id"] {
				t.Errorf("task %s subscription scoped to contact %q", sub.Attrs["task_id"], sub.Contact)
			}
		}
	}

	hooks.wait(t, "/t1/after", 1)
	hooks.wait(t, "/t2/after", 1)
	hooks.wait(t, "/t4/after", 1)
	if got := hooks.paths("/t1/"); !slices.Equal(got, []string{"/t1/before", "/t1/success", "/t1/after"}) {
		t.Errorf("task 1 webhooks %v", got)
	}
	if got := hooks.paths("/t2/"); !slices.Equal(got, []string{"/t2/before", "/t2/again", "/t2/after"}) {
		t.Errorf("task 2 webhooks %v", got)
	}
	before := hooks.on("/t1/before")[0]
	cdr := before.Form.Get("cdr")
	checkForm(t, "t1 before", before, http.MethodPost, url.Values{"task_id": {t1}, "scheduler_id": {sid}, "a_number": {"89215550001"},
		"b_number": {"8 921 555-00-02"}, "event": {"url_before"}, "status": {"executed"}, "try": {"1"}, "cdr": {cdr}})
	checkForm(t, "t1 success", hooks.on("/t1/success")[0], http.MethodPost, url.Values{"task_id": {t1}, "scheduler_id": {sid},
		"a_number": {"89215550001"}, "b_number": {"8 921 555-00-02"}, "event": {"url_success"}, "status": {"executed"}, "cdr": {cdr}})
	checkForm(t, "t1 after", hooks.on("/t1/after")[0], http.MethodPost, url.Values{"task_id": {t1}, "scheduler_id": {sid},
		"a_number": {"89215550001"}, "b_number": {"8 921 555-00-02"}, "event": {"url_after"}, "status": {"finished"},
		"finish_result": {"success"}, "finish_comment": {""}, "tries": {"1"}})
	again := hooks.on("/t2/again")[0]
	if again.Form.Get("try") != "2" || again.Form.Get("event") != "url_before_again" || again.Form.Get("task_id") != t2 {
		t.Errorf("t2 again %v", again.Form)
	}
	if f := hooks.on("/t2/after")[0].Form; f.Get("finish_result") != "failed" || f.Get("finish_comment") != "busy" || f.Get("tries") != "2" {
		t.Errorf("t2 after %v", f)
	}
	// A busy A number moves on to the extended one within the same try.
	if got := hooks.paths("/t4/"); !slices.Equal(got, []string{"/t4/before", "/t4/success", "/t4/after"}) {
		t.Errorf("task 4 webhooks %v", got)
	}
	if f := hooks.on("/t4/after")[0].Form; f.Get("finish_result") != "success" || f.Get("tries") != "1" {
		t.Errorf("t4 after %v", f)
	}
	if cdr == "" || cdr == again.Form.Get("cdr") {
		t.Errorf("cdr %q, the retry's %q", cdr, again.Form.Get("cdr"))
	}

	// The tasks read back with their results once the store has them.
	var got1, got2 map[string]any
	waitFor(t, "both tasks finished", func() bool {
		got1 = object(t, c.must("GET", sched+"/task/"+t1, "", 200))
		got2 = object(t, c.must("GET", sched+"/task/"+t2, "", 200))
		return got1["status"] == "finished" && got2["status"] == "finished"
	})
	if got1["finish_result"] != "success" || got1["finish_comment"] != nil || got1["cdr"] != cdr || got1["name"] != "ok" {
		t.Errorf("task 1 %v", got1)
	}
	if got2["finish_result"] != "failed" || got2["finish_comment"] != "busy" || got2["cdr"] != again.Form.Get("cdr") {
		t.Errorf("task 2 %v", got2)
	}
	// The cdr reaches the call history: A then B, both answered.
	var hist struct {
		CallUUID string `json:"call_uuid"`
		TaskID   int    `json:"task_id"`
		Legs     []struct {
			Leg, Number, Result string
			Answer              *string `json:"answer_time_utc"`
		} `json:"legs"`
	}
	if err := json.Unmarshal([]byte(c.must("GET", "/client/@me/call_history/"+cdr, "", 200)), &hist); err != nil {
		t.Fatal(err)
	}
	if hist.CallUUID != cdr || fmt.Sprint(hist.TaskID) != t1 || len(hist.Legs) != 2 || hist.Legs[0].Leg != "a" || hist.Legs[0].Number != "+79215550001" ||
		hist.Legs[0].Result != "answered" || hist.Legs[1].Leg != "b" || hist.Legs[1].Number != "+79215550002" || hist.Legs[1].Answer == nil {
		t.Errorf("call history of %s: %+v", cdr, hist)
	}
	if code, _ := other.do("GET", "/client/@me/call_history/"+cdr, ""); code != http.StatusNotFound {
		t.Errorf("another client reads the call: %d", code)
	}
	got3 := object(t, c.must("GET", sched+"/task/"+t3, "", 200))
	if got3["status"] != "scheduled" || got3["cdr"] != nil || got3["finish_result"] != nil || len(hooks.paths("/t3/")) != 0 {
		t.Errorf("task 3, not due before 2099: %v", got3)
	}
	// A task not yet executed is cancelled: finished without a call, its
	// webhooks gone; a second DELETE finds it finished.
	c.must("DELETE", sched+"/task/"+t3, "", 204)
	got3 = object(t, c.must("GET", sched+"/task/"+t3, "", 200))
	if got3["status"] != "finished" || got3["cdr"] != nil || got3["finish_result"] != "failed" || got3["finish_comment"] != "cancelled" {
		t.Errorf("task 3 cancelled: %v", got3)
	}
	if subs, err := e.svc.DB().CampaignSubscriptions(context.Background(), tenant, sid); err != nil || len(subs) != 3 ||
		slices.ContainsFunc(subs, func(s store.Subscription) bool { return s.Contact == t3 }) {
		t.Errorf("task subscriptions after cancelling task 3: %+v %v", subs, err)
	}
	if code, b := c.do("DELETE", sched+"/task/"+t3, ""); code != http.StatusConflict || !strings.Contains(b, `"field":"status"`) {
		t.Errorf("cancelling task 3 again: %d %s", code, b)
	}
	got4 := object(t, c.must("GET", sched+"/task/"+t4, "", 200))
	if ext, _ := got4["callback_params"].(map[string]any); fmt.Sprint(ext["extended_a_numbers"]) != "[89215550008]" {
		t.Errorf("task 4 %v", got4)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(c.must("GET", sched+"/tasks/?limit=1", "", 200)), &list); err != nil || len(list) != 1 || fmt.Sprint(list[0]["id"]) != t1 {
		t.Errorf("first page %v %v", list, err)
	}

	// All this while the switched-off scheduler's task waited. A second
	// task of it, cancelled while switched off, is never dialled.
	if got := object(t, c.must("GET", idle+"/task/1", "", 200)); got["status"] != "scheduled" || len(hooks.paths("/t5/")) != 0 {
		t.Errorf("the switched-off scheduler's task: %v, webhooks %v", got, hooks.paths("/t5/"))
	}
	c.must("POST", idle+"/tasks/", `{"tasks":[{"a_number":"89215550013","b_number":"89215550014",
		"url_before":"`+hooks.URL+`/t6/before","url_after":"`+hooks.URL+`/t6/after"}]}`, 201)
	c.must("DELETE", idle+"/task/2", "", 204)
	// Two more tasks for task 1's A number (one request): a scheduler holds
	// many tasks per a_number, dialled one after another.
	var same []map[string]any
	if err := json.Unmarshal([]byte(c.must("POST", idle+"/tasks/", `{"tasks":[
		{"a_number":"+79215550011","b_number":"89215550012","url_after":"`+hooks.URL+`/t7/after"},
		{"a_number":"8 921 555-00-11","b_number":"89215550012","url_after":"`+hooks.URL+`/t8/after"}]}`, 201)), &same); err != nil ||
		len(same) != 2 || fmt.Sprint(same[0]["id"]) != "3" || fmt.Sprint(same[1]["id"]) != "4" {
		t.Fatalf("tasks for a repeated a_number: %v %v", same, err)
	}
	c.must("PUT", idle, `{"status":"active"}`, 200)
	for _, p := range []string{"/t5/after", "/t7/after", "/t8/after"} {
		if f := hooks.wait(t, p, 1)[0].Form; f.Get("finish_result") != "success" {
			t.Errorf("%s of the scheduler switched on again: %v", p, f)
		}
	}
	waitFor(t, "the scheduler switched on again finished", func() bool { return e.campaignState(tenant, idle) == dialer.StateFinished })
	if got := object(t, c.must("GET", idle+"/task/2", "", 200)); got["status"] != "finished" || got["finish_comment"] != "cancelled" || got["cdr"] != nil ||
		len(hooks.paths("/t6/")) != 0 {
		t.Errorf("the task cancelled while its scheduler was off: %v, webhooks %v", got, hooks.paths("/t6/"))
	}

	// Mistakes, another client, and what is not served.
	for _, x := range []struct {
		cl                 client
		method, path, body string
		status             int
		want               string
	}{
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"12","b_number":"89215550002"}]}`, 400, `"field":"tasks[0].a_number"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009"}]}`, 400, `"field":"tasks[0].b_number"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","try_count":51}]}`, 400, `"field":"tasks[0].try_count"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","url_after":"http://169.254.169.254/latest"}]}`, 400, `"field":"tasks[0].url_after"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[]}`, 400, `"field":"tasks"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","start_time_utc":"tomorrow"}]}`, 400, `"field":"tasks[0].start_time_utc"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","try_again_pause":864001}]}`, 400, `"field":"tasks[0].try_again_pause"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","try_again_pause":5,"try_again_pause_caller":6}]}`, 400, `"field":"tasks[0].try_again_pause_caller"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","callback_params":{"caller_id_number":"7495 123"}}]}`, 400, `"field":"tasks[0].callback_params.caller_id_number"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","callback_params":{"caller_id_name":"Shop\r\n"}}]}`, 400, `"field":"tasks[0].callback_params.caller_id_name"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","callback_params":{"extended_a_numbers":["1"]}}]}`, 400, `"field":"tasks[0].callback_params.extended_a_numbers[0]"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","colour":"red"}]}`, 400, `"field":"tasks[0].colour"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","callback_params":{"extended_a_numbers":["+79215550009"]}}]}`, 400, `"field":"tasks[0].callback_params.extended_a_numbers[0]"`},
		{c, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002","try_count":"2"}]}`, 400, `"field":"tasks[0].try_count"`},
		{c, "GET", sched + "/tasks/?limit=0", "", 400, `"field":"limit"`},
		{c, "GET", sched + "/tasks/?page_token=zz", "", 400, `"field":"page_token"`},
		{c, "DELETE", sched + "/task/" + t1, "", 409, `"field":"status"`},
		{c, "DELETE", sched + "/task/999", "", 404, `"status":"not_found"`},
		{other, "DELETE", sched + "/task/" + t3, "", 404, `"status":"not_found"`},
		{c, "GET", sched + "/task/999", "", 404, `"status":"not_found"`},
		{other, "GET", sched, "", 404, `"status":"not_found"`},
		{other, "GET", sched + "/task/" + t1, "", 404, `"status":"not_found"`},
		{other, "POST", sched + "/tasks/", `{"tasks":[{"a_number":"89215550009","b_number":"89215550002"}]}`, 404, `"status":"not_found"`},
		{other, "DELETE", sched, "", 404, `"status":"not_found"`},
	} {
		if code, b := x.cl.do(x.method, x.path, x.body); code != x.status || !strings.Contains(b, x.want) {
			t.Errorf("%s %s %s: %d %s, want %d with %s", x.method, x.path, x.body, code, b, x.status, x.want)
		}
	}
	if got := c.must("GET", sched+"/tasks/", "", 200); strings.Count(got, `"id":`) != 4 {
		t.Errorf("the failed POSTs added tasks: %s", got)
	}

	c.must("PUT", sched, `{"status":"inactive"}`, 200)
	waitFor(t, "the scheduler deleted once its calls ended", func() bool {
		code, b := c.do("DELETE", sched, "")
		if code != http.StatusNoContent && code != http.StatusConflict {
			t.Fatalf("DELETE: %d %s", code, b)
		}
		return code == http.StatusNoContent
	})
	c.must("GET", sched, "", 404)
}
