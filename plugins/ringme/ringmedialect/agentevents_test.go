package ringmedialect_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/plugins/ringme/ringmedialect"
)

// Agent event registrations are subscriptions of the host with the
// vendor's numeric ids, per agent; another client's are not found.
func TestAgentEventRegistrations(t *testing.T) {
	f := newFixture(t)
	tok, other := f.token("12", "s12"), f.token("13", "s13")
	create := func(path, body string) string {
		t.Helper()
		code, b := f.do(tok, "POST", path, body)
		if code != 201 {
			t.Fatalf("POST %s: %d %s", path, code, b)
		}
		var v struct {
			ID json.Number `json:"id"`
		}
		if err := json.Unmarshal([]byte(b), &v); err != nil || v.ID == "" {
			t.Fatalf("POST %s: %s", path, b)
		}
		return v.ID.String()
	}
	local := create("/client/@me/agent/local/", `{"extension_id":94}`)
	remote := create("/client/@me/agent/remote/", `{"number":"89215650644"}`)
	localEvents := "/client/@me/agent/local/" + local + "/event/"
	remoteEvents := "/client/12/agent/remote/" + remote + "/event/"

	code, b := f.do(tok, "POST", localEvents, `{"url":"https://somehost.com/fordel/show.php","method":"GET","event_type":"agent-login"}`)
	if code != 201 || b != `{"url":"https://somehost.com/fordel/show.php","id":1,"method":"GET","event_type":"agent-login"}` {
		t.Fatalf("create: %d %s", code, b)
	}
	if code, b = f.do(tok, "POST", remoteEvents, `{"url":"https://h.example/out","method":"post","event_type":"agent-logout"}`); code != 201 ||
		b != `{"url":"https://h.example/out","id":2,"method":"POST","event_type":"agent-logout"}` {
		t.Fatalf("create remote: %d %s", code, b)
	}
	create(localEvents, `{"url":"https://h.example/3","method":"POST","event_type":"agent-logout"}`)
	if code, b = f.do(tok, "GET", localEvents, ""); code != 200 ||
		b != `[{"url":"https://somehost.com/fordel/show.php","id":1,"method":"GET","event_type":"agent-login"},{"url":"https://h.example/3","id":3,"method":"POST","event_type":"agent-logout"}]` {
		t.Fatalf("list: %d %s", code, b)
	}
	if code, b = f.do(tok, "PUT", localEvents+"3", `{"method":"GET"}`); code != 200 ||
		b != `{"url":"https://h.example/3","id":3,"method":"GET","event_type":"agent-logout"}` {
		t.Fatalf("put: %d %s", code, b)
	}
	if code, b = f.do(tok, "GET", localEvents+"3", ""); code != 200 || !strings.Contains(b, `"method":"GET"`) {
		t.Fatalf("get: %d %s", code, b)
	}

	// The stored subscriptions name the agent for RenderEvent.
	subs, err := subsOf(f.host.ListSubscriptions(context.Background(), "12", dialect.Page{}))
	if err != nil || len(subs) != 3 {
		t.Fatalf("subscriptions %+v %v", subs, err)
	}
	want := map[string]map[string]string{
		"1": {"id": "1", "agent_id": local, "agent_type": "local", "extension_name": "000*094@ringme.ru"},
		"2": {"id": "2", "agent_id": remote, "agent_type": "remote", "agent_number": "89215650644"},
		"3": {"id": "3", "agent_id": local, "agent_type": "local", "extension_name": "000*094@ringme.ru"},
	}
	for _, s := range subs {
		if s.Format != ringmedialect.AgentEventFormat || !maps.Equal(s.Attrs, want[s.Attrs["id"]]) ||
			s.Agent != want[s.Attrs["id"]]["agent_id"] || !slices.Equal(s.EventTypes, []string{"agent.status_changed"}) {
			t.Errorf("subscription %+v, want attrs %v", s, want[s.Attrs["id"]])
		}
	}

	// A changed number reaches the registration; a deleted agent takes its
	// registrations along.
	if code, b = f.do(tok, "PUT", "/client/@me/agent/remote/"+remote, `{"number":"+79215650645"}`); code != 200 {
		t.Fatalf("put agent: %d %s", code, b)
	}
	subs, _ = subsOf(f.host.ListSubscriptions(context.Background(), "12", dialect.Page{}))
	for _, s := range subs {
		if s.Attrs["id"] == "2" && s.Attrs["agent_number"] != "+79215650645" {
			t.Errorf("after the number changed: %+v", s)
		}
	}
	if code, b = f.do(tok, "DELETE", "/client/@me/agent/remote/"+remote, ""); code != 204 {
		t.Fatalf("delete agent: %d %s", code, b)
	}
	if subs, _ = subsOf(f.host.ListSubscriptions(context.Background(), "12", dialect.Page{})); len(subs) != 2 {
		t.Errorf("after the agent went: %+v", subs)
	}

	bad := func(field, msg string) string {
		return `{"status":"invalid_parameter","field":"` + field + `","message":"` + msg + `"}`
	}
	nf := func(what string) string { return `{"status":"not_found","message":"` + what + ` not found"}` }
	for _, c := range []struct {
		name, token, method, path, body string
		status                          int
		want                            string
	}{
		{"no url", tok, "POST", localEvents, `{"method":"GET","event_type":"agent-login"}`, 400, bad("url", "url: is required")},
		{"no method", tok, "POST", localEvents, `{"url":"https://h.example/","event_type":"agent-login"}`, 400, bad("method", "method: is required")},
		{"no event type", tok, "POST", localEvents, `{"url":"https://h.example/","method":"GET"}`, 400, bad("event_type", "event_type: is required")},
		{"bad event type", tok, "POST", localEvents, `{"url":"https://h.example/","method":"GET","event_type":"agent-break"}`, 400,
			bad("event_type", `event_type: must be agent-login or agent-logout (got \"agent-break\")`)},
		{"bad method", tok, "POST", localEvents, `{"url":"https://h.example/","method":"PUT","event_type":"agent-login"}`, 400,
			bad("method", `method: must be GET or POST (got \"PUT\")`)},
		{"bad url", tok, "POST", localEvents, `{"url":"ftp://h.example/","method":"GET","event_type":"agent-login"}`, 400,
			bad("url", `url: must be an absolute http or https URL (got \"ftp://h.example/\")`)},
		{"unknown field", tok, "POST", localEvents, `{"url":"https://h.example/","method":"GET","event_type":"agent-login","secret":"x"}`, 400,
			bad("secret", "secret: is not a known parameter")},
		{"bad put", tok, "PUT", localEvents + "1", `{"event_type":"login"}`, 400, bad("event_type", `event_type: must be agent-login or agent-logout (got \"login\")`)},
		{"another agent's event", tok, "GET", "/client/@me/agent/local/" + remote + "/event/1", "", 404, nf("agent")},
		{"wrong type", tok, "GET", "/client/@me/agent/remote/" + local + "/event/1", "", 404, nf("agent")},
		{"unknown event", tok, "GET", localEvents + "2", "", 404, nf("agent event")},
		{"not an id", tok, "GET", localEvents + "x", "", 404, nf("agent event")},
		{"another client's", other, "GET", localEvents + "1", "", 404, nf("agent")},
		{"another client's list", other, "GET", "/client/12/agent/local/" + local + "/event/", "", 404, nf("client")},
		{"another client deletes", other, "DELETE", localEvents + "1", "", 404, nf("agent")},
		{"wrong method", tok, "PATCH", localEvents + "1", "", 405, `{"status":"method_not_allowed","message":"use GET or PUT or DELETE"}`},
		{"deeper", tok, "GET", localEvents + "1/x", "", 404, nf("resource")},
	} {
		t.Run(c.name, func(t *testing.T) {
			if code, b := f.do(c.token, c.method, c.path, c.body); code != c.status || b != c.want {
				t.Errorf("got %d %s\nwant %d %s", code, b, c.status, c.want)
			}
		})
	}

	if code, b = f.do(tok, "DELETE", localEvents+"1", ""); code != 204 {
		t.Fatalf("delete: %d %s", code, b)
	}
	if code, _ = f.do(tok, "GET", localEvents+"1", ""); code != 404 {
		t.Errorf("deleted event: %d", code)
	}
	// A new registration does not take a deleted one's id, nor does one
	// made by a restarted plugin (the counter is the host's).
	if id := create(localEvents, `{"url":"https://h.example/4","method":"GET","event_type":"agent-login"}`); id != "4" {
		t.Errorf("id after deletions %s, want 4", id)
	}
	if code, b = f.do(tok, "DELETE", localEvents+"4", ""); code != 204 {
		t.Fatalf("delete: %d %s", code, b)
	}
	f.h = dialect.Bind(ringmedialect.New(ringmedialect.Config{Now: func() time.Time { return f.now }}), f.host)
	if id := create(localEvents, `{"url":"https://h.example/5","method":"GET","event_type":"agent-login"}`); id != "5" {
		t.Errorf("id after a deletion and a restart %s, want 5", id)
	}
}

// The stored registration renders the seed's example once the agent logs
// in through the API, and nothing for a repeated login.
func TestAgentEventRendersFromItsRegistration(t *testing.T) {
	f := newFixture(t)
	tok := f.token("12", "s12")
	code, b := f.do(tok, "POST", "/client/@me/agent/local/", `{"extension_id":94}`)
	if code != 201 {
		t.Fatal(code, b)
	}
	var a struct {
		ID json.Number `json:"id"`
	}
	_ = json.Unmarshal([]byte(b), &a)
	path := "/client/@me/agent/local/" + a.ID.String() + "/event/"
	if code, b := f.do(tok, "POST", path, `{"url":"https://somehost.com/fordel/show.php?k=1","method":"GET","event_type":"agent-login"}`); code != 201 {
		t.Fatal(code, b)
	}
	subs, err := subsOf(f.host.ListSubscriptions(context.Background(), "12", dialect.Page{}))
	if err != nil || len(subs) != 1 {
		t.Fatal(subs, err)
	}
	d := ringmedialect.New(ringmedialect.Config{})
	login := event.Event{Type: event.AgentStatusChanged, Tenant: "12", Agent: a.ID.String(), From: "logged_out", To: "available", Source: "api"}
	ws, err := d.RenderEvent(context.Background(), login, subs[0])
	if err != nil || len(ws) != 1 || ws[0].Method != "GET" {
		t.Fatalf("%+v %v", ws, err)
	}
	u, err := url.Parse(ws[0].URL)
	if err != nil || u.Host != "somehost.com" || u.Path != "/fordel/show.php" {
		t.Fatalf("url %s", ws[0].URL)
	}
	want := url.Values{"k": {"1"}, "agent_id": {a.ID.String()}, "agent_status": {"available"}, "agent_type": {"local"},
		"extension_name": {"000*094@ringme.ru"}, "event_source": {"api"}}
	if got := u.Query(); got.Encode() != want.Encode() {
		t.Errorf("query %v, want %v", got, want)
	}
	for _, ev := range []event.Event{
		{Type: event.AgentStatusChanged, Tenant: "12", Agent: a.ID.String(), From: "available", To: "available"},
		{Type: event.AgentStatusChanged, Tenant: "13", Agent: a.ID.String(), From: "logged_out", To: "available"},
	} {
		if ws, err := d.RenderEvent(context.Background(), ev, subs[0]); err != nil || len(ws) != 0 {
			t.Errorf("%+v rendered %+v %v", ev, ws, err)
		}
	}
}

// subsOf drops a subscription page's token, for tests of what is listed.
func subsOf(p dialect.SubscriptionPage, err error) ([]dialect.Subscription, error) {
	return p.Subscriptions, err
}
