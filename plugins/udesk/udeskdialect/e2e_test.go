package udeskdialect_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/service/servicetest"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// receiver is a CRM's results endpoint: a real HTTP server on loopback
// that keeps what it is sent.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []push
	new chan struct{}
}

type push struct {
	id   string // webhook-id
	ct   string
	body []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{new: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if req.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, push{id: req.Header.Get("webhook-id"), ct: req.Header.Get("Content-Type"), body: b})
		r.mu.Unlock()
		select {
		case r.new <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// results waits until n distinct pushes arrived (a redelivery has the same
// webhook-id) and returns them by cellphone (the last for each).
func (r *receiver) results(t *testing.T, n int, within time.Duration) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, m := range r.distinct(t, n, within) {
		out[m["cellphone"].(string)] = m
	}
	return out
}

// distinct waits until n distinct pushes arrived and returns them in the
// order they first arrived.
func (r *receiver) distinct(t *testing.T, n int, within time.Duration) []map[string]any {
	t.Helper()
	deadline := time.After(within)
	for {
		r.mu.Lock()
		var out []map[string]any
		seen := map[string]bool{}
		for _, p := range r.got {
			if seen[p.id] {
				continue
			}
			seen[p.id] = true
			var m map[string]any
			if p.id == "" || !strings.HasPrefix(p.ct, "application/json") || json.Unmarshal(p.body, &m) != nil {
				t.Errorf("push %q %q: %s", p.id, p.ct, p.body)
				continue
			}
			out = append(out, m)
		}
		count := len(seen)
		r.mu.Unlock()
		if count >= n {
			return out
		}
		select {
		case <-r.new:
		case <-deadline:
			t.Fatalf("%d of %d results pushed in %s: %v", count, n, within, out)
		}
	}
}

// simpleIVR registers the company's results callback, creates a simple IVR
// task (task_type 4) with numbers and opens it; it returns the task's id.
func (c *company) simpleIVR(callback string, numbers ...string) float64 {
	c.t.Helper()
	return c.simpleIVRTo(callback, 7, numbers...)
}

// simpleIVRTo is simpleIVR with the task's user_group_id (its script,
// udesk-ivr,<group>,1).
func (c *company) simpleIVRTo(callback string, group int, numbers ...string) float64 {
	c.t.Helper()
	c.ok("POST", "/open_api_v1/cc_ad_tasks/results_callback", `{"callback_url":"`+callback+`"}`)
	var created struct{ ID float64 }
	if err := json.Unmarshal([]byte(c.ok("POST", "/open_api_v1/cc_ad_tasks", `{"name":"IVR","task_type":4,"user_group_id":`+strconv.Itoa(group)+`}`)), &created); err != nil {
		c.t.Fatal(err)
	}
	id, _ := json.Marshal(created.ID)
	var list []string
	for _, n := range numbers {
		list = append(list, `{"cellphone":"`+n+`"}`)
	}
	if got := c.ok("POST", "/open_api_v1/cc_ad_tasks/add_numbers", `{"id":`+string(id)+`,"numbers":[`+strings.Join(list, ",")+`]}`); !strings.Contains(got, `"unsuccessful_count":0`) {
		c.t.Fatalf("add_numbers: %s", got)
	}
	c.ok("POST", "/open_api_v1/cc_ad_tasks/"+string(id)+"/open", `{"open":true}`)
	return created.ID
}

// Two companies each register a results callback on a loopback server and
// run a simple IVR task (one number busy); each callback gets its own
// company's call results in Udesk's shape, and only those. A recall and a
// follow-on of the busy number once the task is done call it again, and
// push each call's result.
func resultsEndToEnd(t *testing.T, r *servicetest.Running) {
	emu := r.Emulator()
	// The IVR script behind the tasks' user_group_id 7: it answers, talks
	// for five seconds and hangs up.
	if err := emu.SetEndpoint("udesk-ivr", "7", asterisk.Behaviour{Result: asterisk.ResultAnswer, HangupAfter: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := emu.SetEndpoint("customers", "+8613223004568", asterisk.Behaviour{Result: asterisk.ResultBusy}); err != nil {
		t.Fatal(err)
	}
	crmA, crmB := newReceiver(t), newReceiver(t)
	a, b := newCompany(t, r, accounts.Request{}), newCompany(t, r, accounts.Request{})

	// Closed to the cloud metadata address, by the service's address policy.
	st, got := a.do("POST", "/open_api_v1/cc_ad_tasks/results_callback", a.q(nil), `{"callback_url":"http://169.254.169.254/latest"}`)
	if st != 400 || code(t, got) != 2000 || !strings.Contains(got, "callback_url") {
		t.Errorf("metadata callback: %d %s", st, got)
	}

	taskA := a.simpleIVR(crmA.srv.URL+"/udesk/results", "13223004567", "13223004568")
	taskB := b.simpleIVR(crmB.srv.URL+"/b", "13223004569")

	resA := crmA.results(t, 2, 20*time.Second)
	resB := crmB.results(t, 1, 20*time.Second)
	want := map[string]struct {
		result   any
		answered bool
	}{
		"13223004567": {nil, true},
		"13223004568": {"phone_busy", false},
	}
	for cellphone, w := range want {
		m := resA[cellphone]
		if m == nil || m["id"] != taskA || m["called"] != cellphone || m["call_result"] != w.result || m["customer_answer"] != w.answered ||
			m["call_id"] == "" || !strings.HasSuffix(m["ended_at"].(string), "+08:00") {
			t.Errorf("A's result for %s: %v", cellphone, m)
		}
	}
	if d, _ := resA["13223004567"]["talk_duration"].(float64); d < 1 {
		t.Errorf("the answered call's talk_duration: %v", resA["13223004567"])
	}
	if len(resA) != 2 {
		t.Errorf("A's callback got %v", resA)
	}
	if m := resB["13223004569"]; len(resB) != 1 || m == nil || m["id"] != taskB || m["call_result"] != nil || m["customer_answer"] != true {
		t.Errorf("B's callback got %v", resB)
	}

	// The busy number's task is done; a recall (after_at now, Udesk's
	// format with +08:00) and then a follow-on each call it once more, and
	// each call's result is pushed.
	id, _ := json.Marshal(taskA)
	afterAt := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
	if got := a.ok("POST", "/open_api_v1/cc_ad_tasks/recall", `{"id":`+string(id)+`,"number":"13223004568","after_at":"`+afterAt+`"}`); !strings.Contains(got, "Redial successful") {
		t.Errorf("recall: %s", got)
	}
	pushes := crmA.distinct(t, 3, 20*time.Second)
	a.ok("POST", "/open_api_v1/cc_ad_tasks/follow_on", `{"id":`+string(id)+`,"called":"13223004568"}`)
	pushes = crmA.distinct(t, 4, 20*time.Second)
	calls := map[any]bool{}
	for _, m := range pushes[2:] {
		if m["cellphone"] != "13223004568" || m["id"] != taskA || m["call_result"] != "phone_busy" || m["customer_answer"] != false {
			t.Errorf("result of a redial: %v", m)
		}
		calls[m["call_id"]] = true
	}
	calls[resA["13223004568"]["call_id"]] = true
	if len(calls) != 3 {
		t.Errorf("the busy number's three calls have call_ids %v", calls)
	}
	if len(pushes) != 4 {
		t.Errorf("A's callback got %d results, want 4: %v", len(pushes), pushes)
	}

	// Every delivery the service stored for a company's callback carries
	// that company's task: B's results were never meant for A's URL.
	for _, c := range []struct {
		co   *company
		task float64
	}{{a, taskA}, {b, taskB}} {
		subs, err := r.DB().Subscriptions(context.Background(), c.co.id)
		if err != nil || len(subs) != 1 {
			t.Fatalf("subscriptions of %s: %+v %v", c.co.id, subs, err)
		}
		n := 0
		for _, state := range []string{store.DeliveryPending, store.DeliveryDelivered, store.DeliveryDead} {
			ds, err := r.DB().Deliveries(context.Background(), store.DeliveryFilter{State: state, SubscriptionID: subs[0].ID, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				n++
				var m map[string]any
				if json.Unmarshal(d.Body, &m) != nil || m["id"] != c.task || d.Tenant != c.co.id {
					t.Errorf("delivery %s of %s's callback: tenant %s %s", d.ID, c.co.id, d.Tenant, d.Body)
				}
			}
		}
		if n == 0 {
			t.Errorf("no deliveries stored for %s", c.co.id)
		}
	}
}

// A simple IVR task's script asks for a human (Goto(switchboard-handoff,s,1)
// after 4 s); the task has no agents, so the dialer hangs up, and the
// result pushed is agent_missed for an answered customer.
func handoffEndToEnd(t *testing.T, r *servicetest.Running) {
	if err := r.Emulator().SetEndpoint("udesk-ivr", "8", asterisk.Behaviour{Result: asterisk.ResultAnswer, HandoffAfter: 4 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := r.Emulator().SetEndpoint("customers", "+8613223004570", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: time.Minute}); err != nil {
		t.Fatal(err)
	}
	crm := newReceiver(t)
	c := newCompany(t, r, accounts.Request{})
	task := c.simpleIVRTo(crm.srv.URL+"/results", 8, "13223004570")
	res := crm.results(t, 1, 20*time.Second)
	m := res["13223004570"]
	if len(res) != 1 || m == nil || m["id"] != task || m["call_result"] != "agent_missed" || m["customer_answer"] != true {
		t.Fatalf("result of the hand-off: %v", res)
	}
	// The dialer hangs up at the hand-off, 4 s into the script: well
	// before the customer's minute.
	if d, _ := m["talk_duration"].(float64); d < 3 || d > 30 {
		t.Errorf("talk_duration %v, want about 4", m["talk_duration"])
	}
}
