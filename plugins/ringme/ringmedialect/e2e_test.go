package ringmedialect_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/service/servicetest"
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
