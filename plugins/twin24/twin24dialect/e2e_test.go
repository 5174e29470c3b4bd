package twin24dialect_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/service/servicetest"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// hook is one request a webhook target received.
type hook struct {
	Path        string
	Method      string
	ContentType string
	WebhookID   string
	Body        map[string]any
}

// hookServer is a webhook target on loopback that keeps what it receives.
type hookServer struct {
	*httptest.Server
	mu    sync.Mutex
	got   []hook
	wake  chan struct{}
	badly []string // requests that were not JSON
}

func newHookServer(t *testing.T) *hookServer {
	t.Helper()
	h := &hookServer{wake: make(chan struct{}, 1)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		h.mu.Lock()
		if err := json.Unmarshal(b, &body); err != nil {
			h.badly = append(h.badly, r.URL.Path+": "+string(b))
		} else {
			h.got = append(h.got, hook{Path: r.URL.Path, Method: r.Method, ContentType: r.Header.Get("Content-Type"),
				WebhookID: r.Header.Get("Webhook-Id"), Body: body})
		}
		h.mu.Unlock()
		select {
		case h.wake <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) received() ([]hook, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got), slices.Clone(h.badly)
}

// waitFor waits until done holds for what was received (at most 20 s).
func (h *hookServer) waitFor(t *testing.T, what string, done func([]hook) bool) []hook {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		got, _ := h.received()
		if done(got) {
			return got
		}
		select {
		case <-h.wake:
		case <-deadline.C:
			t.Fatalf("waiting for %s: received %d webhooks: %+v", what, len(got), got)
		}
	}
}

func count(hs []hook, path, event string) int {
	n := 0
	for _, h := range hs {
		if h.Path == path && h.Body["event"] == event {
			n++
		}
	}
	return n
}

// autoCallBody is the seed's example, started by hand, without robot
// detection or recording, with webhookUrls and a busy redial rule.
func autoCallBody(t *testing.T, name string, urls []string, busyRedials int) string {
	t.Helper()
	seed, err := os.ReadFile("testdata/create_request.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(seed, &m); err != nil {
		t.Fatal(err)
	}
	m["name"], m["startType"], m["cps"], m["webhookUrls"] = name, "manual", 1.2, urls
	delete(m, "startMoment")
	o := m["additionalOptions"].(map[string]any)
	o["detectRobot"], o["recordCall"] = false, false
	delete(o, "detectRobotMode")
	delete(o, "recTrimLeft")
	r := m["redialStrategyOptions"].(map[string]any)
	r["redialStrategyEn"] = true
	r["busy"] = map[string]any{"redial": true, "time": 1, "count": busyRedials}
	b, _ := json.Marshal(m)
	return string(b)
}

func (f *fixture) createAutoCall(token, body string) string {
	f.t.Helper()
	code, b := f.do("POST", api+"/telephony/autoCall", token, body)
	var created struct {
		ID struct{ Identity string } `json:"id"`
	}
	if err := json.Unmarshal([]byte(b), &created); code != http.StatusOK || err != nil || created.ID.Identity == "" {
		f.t.Fatalf("create: %d %s", code, b)
	}
	return created.ID.Identity
}

// One autoCall per company, run through the emulator: every attempt comes
// back as a callResult webhook in the vendor's shape (redials of a busy
// number as attempts 2 and 3), then autoCallFinished; each company's
// events reach only its own URL.
func TestWebhooksEndToEnd(t *testing.T) {
	r := servicetest.WithPlugin(t, "twin24", servicetest.Speed(50))
	f := &fixture{t: t, ctx: r.Ctx, svc: r.Service}
	_, tokenA, _ := f.login()
	_, tokenB, _ := f.login()
	hooks := newHookServer(t)

	const (
		busy     = "+79210000001"
		answers  = "+79210000002"
		answers2 = "+79210000003"
		silent   = "+79210000004"
		numberB  = "+79210000005"
	)
	// The robot scenario (the seed's defaultExecData, dialplan twin24-robot)
	// talks 3 s and hangs up; the callees would stay on longer.
	robot := asterisk.Behaviour{Result: asterisk.ResultAnswer, HangupAfter: 3 * time.Second}
	if err := r.Emulator().SetEndpoint("twin24-robot", "228cc4fa-92f2-4709-94e3-7344a96a5903", robot); err != nil {
		t.Fatal(err)
	}
	talk := asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: 30 * time.Second}
	for number, b := range map[string]asterisk.Behaviour{
		busy: {Result: asterisk.ResultBusy}, answers: talk, answers2: talk, silent: {Result: asterisk.ResultNoAnswer}, numberB: talk,
	} {
		if err := r.Emulator().SetEndpoint("customers", number, b); err != nil {
			t.Fatal(err)
		}
	}

	idA := f.createAutoCall(tokenA, autoCallBody(t, "company A", []string{hooks.URL + "/a"}, 2))
	idB := f.createAutoCall(tokenB, autoCallBody(t, "company B", []string{hooks.URL + "/b"}, 2))
	if code, b := f.do("GET", api+"/telephony/autoCall/"+idA, tokenA, ""); code != http.StatusOK || !strings.Contains(b, `"webhookUrls":["`+hooks.URL+`/a"]`) {
		t.Fatalf("GET shows webhookUrls: %d %s", code, b)
	}
	for _, c := range []struct{ token, id, body string }{
		{tokenA, idA, `{"contacts":[{"id":"busy","phone":"` + busy + `"},{"id":"a1","phone":"` + answers + `"},{"id":"a2","phone":"` + answers2 + `"},{"id":"silent","phone":"` + silent + `"}]}`},
		{tokenB, idB, `{"contacts":[{"id":"b1","phone":"` + numberB + `"}]}`},
	} {
		if code, b := f.do("POST", api+"/telephony/autoCall/"+c.id+"/contacts", c.token, c.body); code != http.StatusOK || !strings.Contains(b, `"rejected":[]`) {
			t.Fatalf("contacts: %d %s", code, b)
		}
		if code, b := f.do("POST", api+"/telephony/autoCall/"+c.id+"/start", c.token, ""); code != http.StatusOK {
			t.Fatalf("start: %d %s", code, b)
		}
	}

	// A: 3 tries of the busy number, 1 each of the others; B: 1.
	hooks.waitFor(t, "both autoCalls' results and ends", func(hs []hook) bool {
		return count(hs, "/a", "callResult") >= 6 && count(hs, "/a", "autoCallFinished") >= 1 &&
			count(hs, "/b", "callResult") >= 1 && count(hs, "/b", "autoCallFinished") >= 1
	})
	// The dialer's own count of attempts by outcome, to hold the webhooks to.
	outcomes := map[string]map[string]float64{}
	for path, c := range map[string]struct{ token, id string }{"/a": {tokenA, idA}, "/b": {tokenB, idB}} {
		code, b := f.do("GET", api+"/telephony/autoCall/"+c.id+"/statistics", c.token, "")
		var st struct {
			Status   string
			Outcomes map[string]float64
		}
		if err := json.Unmarshal([]byte(b), &st); code != http.StatusOK || err != nil || st.Status != "finished" {
			t.Fatalf("statistics %s: %d %s", c.id, code, b)
		}
		outcomes[path] = st.Outcomes
	}
	r.Stop() // no more deliveries: what came is all that comes
	got, bad := hooks.received()
	if len(bad) > 0 {
		t.Errorf("webhooks that are not JSON: %q", bad)
	}

	type result struct {
		contact, phone, outcome string
		attempt                 float64
	}
	want := map[string][]result{
		"/a": {
			{"a1", answers, "answer", 1}, {"a2", answers2, "answer", 1},
			{"busy", busy, "busy", 1}, {"busy", busy, "busy", 2}, {"busy", busy, "busy", 3},
			{"silent", silent, "noAnswer", 1},
		},
		"/b": {{"b1", numberB, "answer", 1}},
	}
	ids := map[string]string{"/a": idA, "/b": idB}
	results := map[string][]result{}
	finished := map[string]int{}
	seen := map[string]bool{}
	for _, h := range got {
		if h.Method != http.MethodPost || h.ContentType != "application/json" || h.WebhookID == "" {
			t.Errorf("%s: %s %q webhook-id %q", h.Path, h.Method, h.ContentType, h.WebhookID)
		}
		if seen[h.WebhookID] {
			t.Errorf("%s: delivered twice: %v", h.WebhookID, h.Body)
		}
		seen[h.WebhookID] = true
		b := h.Body
		if b["autoCallId"] != ids[h.Path] {
			t.Errorf("%s received autoCall %v's event (its own is %s): %v", h.Path, b["autoCallId"], ids[h.Path], b)
		}
		if ts, _ := b["timestamp"].(string); ts == "" {
			t.Errorf("no timestamp: %v", b)
		} else if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Errorf("timestamp %q: %v", ts, err)
		}
		switch b["event"] {
		case "autoCallFinished":
			finished[h.Path]++
			if len(b) != 3 {
				t.Errorf("autoCallFinished has other fields: %v", b)
			}
		case "callResult":
			attempt, _ := b["attempt"].(float64)
			results[h.Path] = append(results[h.Path], result{fmt.Sprint(b["contactId"]), fmt.Sprint(b["phone"]), fmt.Sprint(b["outcome"]), attempt})
			duration, ok := b["duration"].(float64)
			switch {
			case !ok:
				t.Errorf("callResult without duration: %v", b)
			case b["outcome"] == "answer" && duration < 2:
				t.Errorf("answered call with duration %v: %v", duration, b)
			case b["outcome"] != "answer" && duration != 0:
				t.Errorf("unanswered call with duration %v: %v", duration, b)
			}
			if id, _ := b["callId"].(string); id == "" {
				t.Errorf("callResult without callId: %v", b)
			}
			if _, ok := b["recording"]; ok {
				t.Errorf("recording without recordCall: %v", b)
			}
		default:
			t.Errorf("unexpected webhook: %v", b)
		}
	}
	order := func(a, b result) int {
		return strings.Compare(fmt.Sprint(a.contact, a.attempt), fmt.Sprint(b.contact, b.attempt))
	}
	for path, w := range want {
		g := results[path]
		slices.SortFunc(g, order)
		if !slices.Equal(g, w) {
			t.Errorf("%s callResults:\n got %v\nwant %v", path, g, w)
		}
		byOutcome := map[string]float64{}
		for _, r := range g {
			byOutcome[r.outcome]++
		}
		for o, n := range outcomes[path] {
			if byOutcome[o] != n {
				t.Errorf("%s: %v callResults %q, the statistics count %v", path, byOutcome[o], o, n)
			}
		}
		if finished[path] != 1 {
			t.Errorf("%s: %d autoCallFinished, want 1", path, finished[path])
		}
	}
}

// subs are a company's subscriptions as the host stores them.
func (f *fixture) subs(tenant string) []store.Subscription {
	f.t.Helper()
	ss, err := f.svc.DB().Subscriptions(f.ctx, tenant)
	if err != nil {
		f.t.Fatal(err)
	}
	return ss
}

// urls are the URLs of a campaign's subscriptions by webhookUrls index,
// checking that each is the twin24 plugin's, scoped to the campaign.
func (f *fixture) urls(tenant, id string) []string {
	f.t.Helper()
	ss := f.subs(tenant)
	out := make([]string, len(ss))
	for _, s := range ss {
		i, err := strconv.Atoi(s.Attrs["twin24.index"])
		if err != nil || i < 0 || i >= len(ss) || out[i] != "" {
			f.t.Fatalf("subscription %s: index %q of %d", s.ID, s.Attrs["twin24.index"], len(ss))
		}
		if s.Campaign != id || s.Dialect != "twin24" || s.Format != "twin24" || s.Method != "POST" || !s.Active {
			f.t.Errorf("subscription %+v: not the twin24 plugin's for campaign %s", s, id)
		}
		out[i] = s.URL
	}
	return out
}

// webhookUrls become the campaign's subscriptions in the host and follow
// PATCH and DELETE; a URL the host refuses is a 422 on webhookUrls[i] that
// leaves nothing behind (nor changes anything, on PATCH).
func TestWebhookURLsAreSubscriptions(t *testing.T) {
	r := servicetest.WithPlugin(t, "twin24", servicetest.Speed(50))
	f := &fixture{t: t, ctx: r.Ctx, svc: r.Service}
	tenant, token, _ := f.login()
	otherTenant, otherToken, _ := f.login()
	hooks := newHookServer(t)
	a, b, c := hooks.URL+"/a", hooks.URL+"/b", hooks.URL+"/c"
	const metadata = "http://169.254.169.254/latest/meta-data"

	code, body := f.do("POST", api+"/telephony/autoCall", token, autoCallBody(t, "refused", []string{a, metadata, "http://127.0.0.1:99999/x"}, 1))
	if want := `{"error":{"code":422,"message":"validation failed","fields":{"webhookUrls[1]":"destination refused","webhookUrls[2]":"port must be 1-65535"}}}`; code != http.StatusUnprocessableEntity || body != want {
		t.Errorf("refused URLs: %d %s\nwant 422 %s", code, body, want)
	}
	if ss := f.subs(tenant); len(ss) != 0 {
		t.Errorf("subscriptions left by a refused create: %+v", ss)
	}
	if _, body := f.do("GET", api+"/telephony/autoCall", token, ""); body != `{"items":[],"limit":100,"offset":0}` {
		t.Errorf("campaign left by a refused create: %s", body)
	}

	id := f.createAutoCall(token, autoCallBody(t, "hooks", []string{a, b}, 1))
	if got := f.urls(tenant, id); !slices.Equal(got, []string{a, b}) {
		t.Errorf("subscriptions after create: %q", got)
	}
	get := func() string {
		t.Helper()
		code, body := f.do("GET", api+"/telephony/autoCall/"+id, token, "")
		if code != http.StatusOK {
			t.Fatalf("get: %d %s", code, body)
		}
		var v struct{ WebhookUrls []string }
		_ = json.Unmarshal([]byte(body), &v)
		return strings.Join(v.WebhookUrls, " ")
	}
	if got := get(); got != a+" "+b {
		t.Errorf("GET webhookUrls %q", got)
	}
	if _, body := f.do("GET", api+"/telephony/autoCall", token, ""); !strings.Contains(body, `"webhookUrls":["`+a+`","`+b+`"]`) {
		t.Errorf("list: %s", body)
	}
	before := f.subs(tenant)

	for _, c := range []struct{ name, patch, want string }{
		{"a refused URL", `{"webhookUrls":["` + c + `","` + metadata + `"]}`,
			`{"error":{"code":422,"message":"validation failed","fields":{"webhookUrls[1]":"destination refused"}}}`},
		{"a field the host refuses", `{"webhookUrls":["` + c + `"],"additionalOptions":{"providerId":"77"}}`,
			`{"error":{"code":422,"message":"validation failed","fields":{"additionalOptions.providerId":"no such trunk"}}}`},
	} {
		if code, body := f.do("PATCH", api+"/telephony/autoCall/"+id, token, c.patch); code != http.StatusUnprocessableEntity || body != c.want {
			t.Errorf("PATCH with %s: %d %s\nwant 422 %s", c.name, code, body, c.want)
		}
		if after := f.subs(tenant); !sameSubs(after, before) {
			t.Errorf("PATCH with %s changed the subscriptions:\n%+v\nwas\n%+v", c.name, after, before)
		}
	}
	if code, body := f.do("PATCH", api+"/telephony/autoCall/"+id, otherToken, `{"webhookUrls":["`+c+`"]}`); code != http.StatusNotFound {
		t.Errorf("another company's PATCH: %d %s", code, body)
	}

	for _, urls := range [][]string{{c}, {c, a, b}, {b, c}, nil} {
		list, _ := json.Marshal(urls)
		code, body := f.do("PATCH", api+"/telephony/autoCall/"+id, token, `{"webhookUrls":`+string(list)+`}`)
		if code != http.StatusOK {
			t.Fatalf("PATCH %s: %d %s", list, code, body)
		}
		if got := f.urls(tenant, id); !slices.Equal(got, urls) {
			t.Errorf("subscriptions after PATCH %s: %q", list, got)
		}
		if got := get(); got != strings.Join(urls, " ") {
			t.Errorf("GET after PATCH %s: %q", list, got)
		}
	}
	f.do("PATCH", api+"/telephony/autoCall/"+id, token, `{"webhookUrls":["`+a+`"]}`)
	if code, body := f.do("DELETE", api+"/telephony/autoCall/"+id, otherToken, ""); code != http.StatusNotFound || len(f.subs(tenant)) != 1 {
		t.Errorf("another company's DELETE: %d %s", code, body)
	}
	if code, body := f.do("DELETE", api+"/telephony/autoCall/"+id, token, ""); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, body)
	}
	if ss := f.subs(tenant); len(ss) != 0 {
		t.Errorf("subscriptions left by DELETE: %+v", ss)
	}
	if ss := f.subs(otherTenant); len(ss) != 0 {
		t.Errorf("the other company has subscriptions: %+v", ss)
	}

	// startType now, and time with a past moment: the campaign starts once
	// its subscriptions exist, so its end (no numbers yet) is delivered.
	started := map[string]string{}
	for _, start := range []string{"now", "time"} {
		var m map[string]any
		_ = json.Unmarshal([]byte(autoCallBody(t, start, []string{hooks.URL + "/" + start}, 1)), &m)
		m["startType"] = start
		if start == "time" {
			m["startMoment"] = "2023-06-02 10:00"
		}
		body, _ := json.Marshal(m)
		started["/"+start] = f.createAutoCall(token, string(body))
	}
	got := hooks.waitFor(t, "autoCallFinished of the autoCalls started now and at a time past", func(hs []hook) bool {
		return count(hs, "/now", "autoCallFinished") > 0 && count(hs, "/time", "autoCallFinished") > 0
	})
	for _, h := range got {
		if h.Body["event"] != "autoCallFinished" || h.Body["autoCallId"] != started[h.Path] {
			t.Errorf("webhook %s %v: only autoCall %s's end was expected", h.Path, h.Body, started[h.Path])
		}
	}
}

func sameSubs(a, b []store.Subscription) bool {
	key := func(ss []store.Subscription) []string {
		out := make([]string, 0, len(ss))
		for _, s := range ss {
			out = append(out, s.ID+" "+s.URL+" "+s.Attrs["twin24.index"])
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}
