package zxycalldialect_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/service/servicetest"
	"github.com/switchboard-cc/switchboard/plugins/zxycall/zxycalldialect"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// client calls the zxycall API of a running service as one tenant.
type client struct {
	t     *testing.T
	base  string
	token string
}

// do sends a request and returns the HTTP status and body.
func (c client) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+"/zxycall"+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// ok sends a request that must succeed and decodes its answer into out.
func (c client) ok(method, path, body string, out any) {
	c.t.Helper()
	code, b := c.do(method, path, body)
	var e struct {
		Code *int `json:"code"`
	}
	_ = json.Unmarshal([]byte(b), &e)
	if code != http.StatusOK || (e.Code != nil && *e.Code != 0) {
		c.t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			c.t.Fatalf("%s %s: %s: %v", method, path, b, err)
		}
	}
}

// refused sends a request that must answer zxycall's error shape with code
// naming field in its msg.
func (c client) refused(what, method, path, body string, code int, field string) {
	c.t.Helper()
	status, b := c.do(method, path, body)
	var e struct {
		Code int     `json:"code"`
		Msg  string  `json:"msg"`
		Data *string `json:"data"`
	}
	if err := json.Unmarshal([]byte(b), &e); err != nil || status != http.StatusOK || e.Code != code || e.Data != nil ||
		!strings.Contains(e.Msg, field) {
		c.t.Errorf("%s: %d %s, want code %d naming %s", what, status, b, code, field)
	}
}

// receiver is a webhook target on loopback that keeps what it receives.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []received
	wake chan struct{}
}

type received struct {
	path, contentType, webhookID string
	body                         zxycalldialect.CallNotify
	raw                          string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{wake: make(chan struct{}, 1)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		g := received{path: req.URL.Path, contentType: req.Header.Get("Content-Type"), webhookID: req.Header.Get("webhook-id"), raw: string(b)}
		if req.Method != http.MethodPost {
			g.raw = req.Method + " " + g.raw
		}
		_ = json.Unmarshal(b, &g.body)
		r.mu.Lock()
		r.got = append(r.got, g)
		r.mu.Unlock()
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// wait waits until r has received n requests or the deadline passes.
func (r *receiver) wait(n int, deadline time.Time) []received {
	for {
		got := r.received()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		select {
		case <-r.wake:
		case <-time.After(time.Until(deadline)):
		}
	}
}

// farWindow is a one-hour range six hours from now in Asia/Shanghai, as
// the body of a time group blocks it: far from the next hour of the
// emulator's time (which runs 50 times faster than the wall during the
// test), whenever the test runs.
func farWindow(t *testing.T) string {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now().In(loc).Add(6 * time.Hour)
	return fmt.Sprintf(`{"start":"%02d:00","end":"%02d:00"}`, from.Hour(), (from.Hour()+1)%24)
}

// tenant is one provisioned zxycall account with a line.
type tenant struct {
	client
	id, line string
	// script is the account's default script group.
	script int
}

func newTenant(t *testing.T, r *servicetest.Running, callLine int) tenant {
	t.Helper()
	a, creds, err := accounts.Create(r.Ctx, r.DB(), accounts.Request{Dialect: "zxycall"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tn := tenant{client: client{t: t, base: r.URL(), token: creds["token"]}, id: a.ID}
	var l struct{ ID string }
	tn.ok("POST", "/v1/caller_line", fmt.Sprintf(`{"name":"线路","call_line":%d,"call_number":"13530525008"}`, callLine), &l)
	tn.line = l.ID
	var gs struct{ Data []zxycalldialect.Group }
	tn.ok("GET", "/v1/outbound_group", "", &gs)
	if len(gs.Data) != 1 || !gs.Data[0].Default {
		t.Fatalf("a new account's script groups %+v", gs.Data)
	}
	tn.script = gs.Data[0].ID
	return tn
}

func (tn tenant) taskBody(name, notifyURL string, maximumcall int, timegroup string, rule int) string {
	return fmt.Sprintf(`{"caller_line_id":%q,"destination_extension":%d,"disable_dial_timegroup":%q,"maximumcall":%d,"name":%q,
		"random_assignment_number":0,"recycle_limit":0,"_originate_timeout":30,"call_pause_second":0,"auto_recycle_rule_id":%d,
		"call_notify_url":%q,"call_notify_type":2}`, tn.line, tn.script, timegroup, maximumcall, name, rule, notifyURL)
}

// noRedial is the id of the account's default rule 不重呼.
func (tn tenant) noRedial() int {
	tn.t.Helper()
	var rules struct{ Data []zxycalldialect.RecycleRule }
	tn.ok("GET", "/v1/auto_recycle_rule", "", &rules)
	for _, r := range rules.Data {
		if r.Name == "不重呼" {
			return r.ID
		}
	}
	tn.t.Fatalf("no rule 不重呼 among %+v", rules.Data)
	return 0
}

// subs lists the tenant's subscriptions in the store.
func (tn tenant) subs(r *servicetest.Running) []store.Subscription {
	tn.t.Helper()
	ss, err := r.DB().Subscriptions(r.Ctx, tn.id)
	if err != nil {
		tn.t.Fatal(err)
	}
	return ss
}

func (tn tenant) tasks() []zxycalldialect.ListEntity {
	tn.t.Helper()
	var l struct{ Data []zxycalldialect.ListEntity }
	tn.ok("GET", "/v1/task", "", &l)
	return l.Data
}

// A task's call_notify_url receives one POST in the decided shape per
// finished call of the task (a redial is a call), through the real
// service, plugin process, dialer and emulator; another tenant's calls
// never reach it; a refused URL leaves nothing behind. The tasks dial by
// the account's own time groups and rules: tenant B's task waits under a
// group blocking the whole day until the group is changed.
func TestCallNotifyEndToEnd(t *testing.T) {
	started := time.Now()
	r := servicetest.WithPlugin(t, "zxycall", servicetest.Speed(50))
	emu := r.Emulator()
	program := func(number string, b asterisk.Behaviour) {
		t.Helper()
		if err := emu.SetEndpoint("customers", "+86"+number, b); err != nil {
			t.Fatal(err)
		}
	}
	answer := asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: 2 * time.Second, HangupAfter: time.Minute}
	program("13223004567", answer)
	program("13223004568", answer)
	program("13530525009", asterisk.Behaviour{Result: asterisk.ResultBusy})
	program("13800138001", answer)
	program("13800138002", asterisk.Behaviour{Result: asterisk.ResultBusy})

	a, b := newTenant(t, r, 2), newTenant(t, r, 1)
	// Each account's script (its default script group, dialplan target
	// default,<id>,1) talks 5 s and hangs up.
	for _, tn := range []tenant{a, b} {
		if err := emu.SetEndpoint("default", strconv.Itoa(tn.script), asterisk.Behaviour{Result: asterisk.ResultAnswer, HangupAfter: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	ra, rb := newReceiver(t), newReceiver(t)
	// A blocks an hour far from now and redials a busy number once, a
	// minute later; B blocks the whole day and does not redial.
	var ga, gb zxycalldialect.TimeGroup
	var busyOnce zxycalldialect.RecycleRule
	a.ok("POST", "/v1/time_group", `{"name":"远","ranges":[`+farWindow(t)+`]}`, &ga)
	a.ok("POST", "/v1/auto_recycle_rule", `{"name":"忙线一分钟后重呼","rules":[{"outcome":"busy","count":1,"interval_seconds":[60]}]}`, &busyOnce)
	b.ok("POST", "/v1/time_group", `{"name":"全天","ranges":[{"start":"00:00","end":"24:00"}]}`, &gb)
	body := func(tn tenant, name, url string, maximumcall int, g zxycalldialect.TimeGroup, rule int) string {
		return tn.taskBody(name, url, maximumcall, g.UUID, rule)
	}
	aBody := func(name, url string, maximumcall int) string {
		return body(a, name, url, maximumcall, ga, busyOnce.ID)
	}

	// Refused and malformed URLs: the vendor's error naming the field, and
	// no task or subscription left behind.
	for _, c := range []struct{ what, url string }{
		{"cloud metadata (refused by the address policy)", "http://169.254.169.254/latest/meta-data"},
		{"not http", "ftp://127.0.0.1/notify"},
		{"no host", "http:///notify"},
	} {
		a.refused(c.what, "POST", "/v1/task", aBody("拒绝", c.url, 1), zxycalldialect.CodeBadParam, "call_notify_url")
	}
	a.refused("call_notify_type 1", "POST", "/v1/task", strings.Replace(aBody("拒绝", ra.URL, 1), `"call_notify_type":2`, `"call_notify_type":1`, 1),
		zxycalldialect.CodeBadParam, "call_notify_type")
	if ts, ss := a.tasks(), a.subs(r); len(ts) != 0 || len(ss) != 0 {
		t.Fatalf("refused creates left %d tasks and %d subscriptions", len(ts), len(ss))
	}

	// Create, then replace the URL: one subscription, scoped to the task.
	var ta, tb zxycalldialect.Entity
	notifyA := ra.URL + "/api/hangup_notify"
	a.ok("POST", "/v1/task", aBody("任务A", ra.URL+"/old", 2), &ta)
	a.ok("PUT", "/v1/task/"+ta.UUID, aBody("任务A", notifyA, 2), &ta)
	if ta.CallNotifyURL == nil || *ta.CallNotifyURL != notifyA || ta.CallNotifyType == nil || *ta.CallNotifyType != 2 {
		t.Errorf("task entity call_notify_url %v type %v", ta.CallNotifyURL, ta.CallNotifyType)
	}
	// A refused URL on update keeps the task and its subscription as they were.
	a.refused("update to a refused URL", "PUT", "/v1/task/"+ta.UUID, aBody("改名", "http://169.254.169.254/x", 2), zxycalldialect.CodeBadParam, "call_notify_url")
	ss := a.subs(r)
	if len(ss) != 1 || ss[0].Campaign != ta.UUID || ss[0].URL != notifyA || ss[0].Dialect != "zxycall" || ss[0].Format != zxycalldialect.NotifyFormat ||
		!slices.Equal(ss[0].EventTypes, []string{"attempt.finished"}) {
		t.Fatalf("tenant A subscriptions %+v", ss)
	}
	if ts := a.tasks(); len(ts) != 1 || ts[0].Name != "任务A" || ts[0].CallNotifyURL == nil || *ts[0].CallNotifyURL != notifyA {
		t.Fatalf("tenant A tasks after a refused update: %+v", ts)
	}
	// A task without a URL has no subscription; adding one adds it,
	// removing the URL or destroying the task removes it.
	var tmp zxycalldialect.Entity
	a.ok("POST", "/v1/task", aBody("临时", "", 1), &tmp)
	if tmp.CallNotifyURL != nil || len(a.subs(r)) != 1 {
		t.Errorf("a task without call_notify_url: %v, %d subscriptions", tmp.CallNotifyURL, len(a.subs(r)))
	}
	a.ok("PUT", "/v1/task/"+tmp.UUID, aBody("临时", ra.URL+"/tmp", 1), &tmp)
	if n := len(a.subs(r)); n != 2 {
		t.Errorf("after adding a URL: %d subscriptions, want 2", n)
	}
	a.ok("PUT", "/v1/task/"+tmp.UUID, aBody("临时", "", 1), &tmp)
	if tmp.CallNotifyURL != nil || len(a.subs(r)) != 1 {
		t.Errorf("after removing the URL: %v, %d subscriptions", tmp.CallNotifyURL, len(a.subs(r)))
	}
	a.ok("PUT", "/v1/task/"+tmp.UUID, aBody("临时", ra.URL+"/tmp", 1), &tmp)
	a.ok("GET", "/v1/task/destroy/"+tmp.UUID, "", nil)
	if ss := a.subs(r); len(ss) != 1 || ss[0].Campaign != ta.UUID {
		t.Errorf("destroy left subscriptions %+v", ss)
	}

	b.ok("POST", "/v1/task", body(b, "任务B", rb.URL+"/b", 1, gb, b.noRedial()), &tb)
	a.ok("POST", "/v1/task/import_task_customer/"+ta.UUID, `[{"number":"13223004567","name":"张三"},{"number":"13223004568"},{"number":"13530525009"}]`, nil)
	b.ok("POST", "/v1/task/import_task_customer/"+tb.UUID, `[{"number":"13800138001"},{"number":"13800138002"}]`, nil)
	a.ok("GET", "/v1/task/start/"+ta.UUID, "", nil)
	b.ok("GET", "/v1/task/start/"+tb.UUID, "", nil)

	deadline := time.Now().Add(20 * time.Second)
	done := func(tn tenant, id string) {
		t.Helper()
		for {
			var p struct{ Data zxycalldialect.ProgressBar }
			tn.ok("GET", "/v1/task/progress/"+id, "", &p)
			if p.Data.Total > 0 && p.Data.Progress == p.Data.Total {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("task %s not done: %+v", id, p.Data)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	attempts := func(task string) int {
		t.Helper()
		n, err := strconv.ParseInt(task, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		as, err := r.DB().Attempts(r.Ctx, n, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(as)
	}
	// A's calls: two answered, one busy and its redial. Once A is done, no
	// notification may come after the ones counted.
	gotA := ra.wait(4, deadline)
	done(a, ta.UUID)
	if n := attempts(ta.UUID); n != 4 || len(gotA) != n {
		t.Errorf("tenant A: %d notifications for %d calls, want 4", len(gotA), n)
	}
	// B has dialled nothing while its time group blocks the day; changed,
	// the group is copied into the running task, which dials.
	if n, got := attempts(tb.UUID), rb.received(); n != 0 || len(got) != 0 {
		t.Errorf("tenant B dialled %d calls (%d notifications) inside its blocked time group", n, len(got))
	}
	b.ok("PUT", "/v1/time_group/"+gb.UUID, `{"name":"远","ranges":[`+farWindow(t)+`]}`, &gb)
	gotB := rb.wait(2, deadline)
	done(b, tb.UUID)
	if n := attempts(tb.UUID); n != 2 || len(gotB) != n {
		t.Errorf("tenant B: %d notifications for %d calls, want 2", len(gotB), n)
	}

	check := func(who string, got []received, path, task string, want map[string][]string) {
		t.Helper()
		seen := map[string]bool{}
		for _, g := range got {
			n := g.body
			if g.path != path || g.contentType != "application/json; charset=utf-8" || g.webhookID == "" || seen[g.webhookID] {
				t.Errorf("%s: request to %s (%s, webhook-id %q)", who, g.path, g.contentType, g.webhookID)
			}
			seen[g.webhookID] = true
			outcomes := want[n.Number]
			if n.TaskUUID != task || !slices.Contains(outcomes, n.Outcome) {
				t.Errorf("%s: notification %s, want task %s and one of %v", who, g.raw, task, want)
				continue
			}
			want[n.Number] = slices.Delete(outcomes, slices.Index(outcomes, n.Outcome), slices.Index(outcomes, n.Outcome)+1)
			switch n.Outcome {
			case "answered":
				// The script hangs up after 5 s of talk, the customer
				// after a minute; at 50 times the wall's speed, every
				// millisecond of latency adds 50 ms of talk.
				if n.Duration < 4 || n.Duration >= 60 || n.HangupCause != nil {
					t.Errorf("%s: answered call %s", who, g.raw)
				}
			case "busy":
				if n.Duration != 0 || n.HangupCause == nil || *n.HangupCause != 17 {
					t.Errorf("%s: busy call %s", who, g.raw)
				}
			}
			if n.Recording != nil {
				t.Errorf("%s: a recording without recording on: %s", who, g.raw)
			}
			if n.Transfer != nil || n.Agent != nil {
				t.Errorf("%s: a transfer without a hand-off: %s", who, g.raw)
			}
			if !decidedFields(g.raw) {
				t.Errorf("%s: body %s has other fields than the decided eight", who, g.raw)
			}
		}
		for number, left := range want {
			if len(left) > 0 {
				t.Errorf("%s: no notification for %s %v", who, number, left)
			}
		}
	}
	check("tenant A", gotA, "/api/hangup_notify", ta.UUID, map[string][]string{
		"13223004567": {"answered"}, "13223004568": {"answered"}, "13530525009": {"busy", "busy"}})
	check("tenant B", gotB, "/b", tb.UUID, map[string][]string{"13800138001": {"answered"}, "13800138002": {"busy"}})
	t.Logf("end to end in %s", time.Since(started).Round(time.Millisecond))
}

// decidedFields reports whether a call_notify body has exactly the decided
// fields, null ones included.
func decidedFields(raw string) bool {
	var keys map[string]any
	if err := json.Unmarshal([]byte(raw), &keys); err != nil || len(keys) != 8 {
		return false
	}
	for _, k := range []string{"task_uuid", "number", "outcome", "duration", "hangup_cause", "recording", "transfer", "agent"} {
		if _, ok := keys[k]; !ok {
			return false
		}
	}
	return true
}
