package ringmedialect_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/plugins/ringme/ringmedialect"
)

// The seed's agent event example: client 12's local agent 136 on
// extension 000*094 logs in through the API; a GET subscription gets the
// fields in its query string.
func TestRenderAgentEvent(t *testing.T) {
	d := ringmedialect.New(ringmedialect.Config{})
	at := time.Date(2017, 5, 30, 15, 7, 50, 0, time.UTC)
	local := dialect.Subscription{URL: "https://somehost.com/fordel/show.php", Method: "GET", Format: ringmedialect.AgentEventFormat,
		Events: []string{ringmedialect.AgentLogin}, Attrs: map[string]string{"agent_id": "136", "agent_type": "local", "extension_name": "000*094@ringme.ru"}}
	login := event.Event{Type: event.AgentStatusChanged, At: at, Tenant: "12", Agent: "136", From: "logged_out", To: "available", Source: "api"}
	ws, err := d.RenderEvent(context.Background(), login, local)
	if err != nil || len(ws) != 1 {
		t.Fatalf("%+v %v", ws, err)
	}
	if ws[0].Method != "GET" || len(ws[0].Body) != 0 {
		t.Errorf("webhook %+v", ws[0])
	}
	golden(t, "agent_login_get.txt", []byte(ws[0].URL+"\n"))

	remote := dialect.Subscription{URL: "https://somehost.com/events", Method: "POST", Format: ringmedialect.AgentEventFormat,
		Events: []string{ringmedialect.AgentLogout}, Attrs: map[string]string{"agent_id": "9", "agent_type": "remote", "agent_number": "89215650644"}}
	logout := event.Event{Type: event.AgentStatusChanged, At: at, Tenant: "12", Agent: "9", From: "on_break", To: "logged_out", Source: "phone"}
	ws, err = d.RenderEvent(context.Background(), logout, remote)
	if err != nil || len(ws) != 1 || ws[0].Method != "POST" || ws[0].URL != remote.URL || ws[0].ContentType != "application/x-www-form-urlencoded" {
		t.Fatalf("%+v %v", ws, err)
	}
	golden(t, "agent_logout_post.txt", append(ws[0].Body, '\n'))

	for _, c := range []struct {
		name string
		ev   event.Event
		sub  dialect.Subscription
	}{
		{"another agent", event.Event{Type: event.AgentStatusChanged, Agent: "137", From: "logged_out", To: "available"}, local},
		{"no real change", event.Event{Type: event.AgentStatusChanged, Agent: "136", From: "available", To: "available_on_demand"}, local},
		{"a break is not a logout", event.Event{Type: event.AgentStatusChanged, Agent: "9", From: "available", To: "on_break"}, remote},
		{"a logout to a login subscription", event.Event{Type: event.AgentStatusChanged, Agent: "136", From: "available", To: "logged_out"}, local},
		{"another event", event.Event{Type: event.AgentStateChanged, Agent: "136", From: "idle", To: "waiting"}, local},
		{"another format", login, dialect.Subscription{URL: "https://h.example/", Format: "json"}},
		{"no agent named", login, dialect.Subscription{URL: "https://h.example/", Method: "GET", Format: ringmedialect.AgentEventFormat,
			Attrs: map[string]string{"agent_type": "local"}}},
		{"another client's agent", login, dialect.Subscription{Account: "13", URL: local.URL, Method: "GET", Format: local.Format,
			Events: local.Events, Attrs: local.Attrs}},
		{"a logout to a logged out agent", event.Event{Type: event.AgentStatusChanged, Agent: "9", From: "logged_out", To: "logged_out"}, remote},
	} {
		if ws, err := d.RenderEvent(context.Background(), c.ev, c.sub); err != nil || len(ws) != 0 {
			t.Errorf("%s: rendered %+v %v", c.name, ws, err)
		}
	}
}

// Logging in on demand from a break counts as a login; the payload goes
// after a GET URL's own query.
func TestRenderAgentEventForms(t *testing.T) {
	d := ringmedialect.New(ringmedialect.Config{Domain: "pbx.example.org"})
	sub := dialect.Subscription{Account: "12", URL: "https://h.example/hook?token=abc", Method: "get", Format: ringmedialect.AgentEventFormat,
		Attrs: map[string]string{"id": "4", "agent_id": "136", "agent_type": "local", "extension_name": "000*094@pbx.example.org"}}
	ev := event.Event{Type: event.AgentStatusChanged, Tenant: "12", Agent: "136", From: "on_break", To: "available_on_demand", Source: "phone"}
	ws, err := d.RenderEvent(context.Background(), ev, sub)
	if err != nil || len(ws) != 1 || ws[0].Method != "GET" || ws[0].Body != nil {
		t.Fatalf("%+v %v", ws, err)
	}
	golden(t, "agent_login_on_demand_get.txt", []byte(ws[0].URL+"\n"))
}

// A callback task's webhooks, one per stage, each to its own URL: the
// first try's and a later try's start on the A number, the connection of A
// and B, and the result.
func TestRenderTaskEvents(t *testing.T) {
	d := ringmedialect.New(ringmedialect.Config{})
	sub := dialect.Subscription{Account: "12", Campaign: "7", URL: "https://h.example/before", Method: "POST", Format: ringmedialect.TaskEventFormat,
		Events: []string{"url_before", "url_before_again", "url_success", "url_after"},
		Attrs: map[string]string{"task_id": "3", "a_number": "89215650644", "b_number": "+7 (812) 555-01-02", "a_e164": "+79215650644",
			"url_before": "https://h.example/before", "url_before_again": "https://h.example/again?x=1",
			"url_success": "https://h.example/success", "url_after": "https://h.example/after"}}
	at := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	base := event.Event{At: at, Tenant: "12", Campaign: "7", Contact: "3"}
	with := func(typ event.Type, f func(*event.Event)) event.Event {
		ev := base
		ev.Type = typ
		f(&ev)
		return ev
	}
	started := func(try, number, leg string) event.Event {
		return with(event.AttemptStarted, func(ev *event.Event) {
			ev.Attempt, ev.Call = "c-"+try, "c-"+try
			ev.Attrs = map[string]string{"number": number, "try": try}
			if leg != "" {
				ev.Attrs["leg"] = leg
				ev.Call = "c-" + try + "-b"
			}
		})
	}
	var out strings.Builder
	for _, c := range []struct {
		name string
		ev   event.Event
		sub  dialect.Subscription
		want int
	}{
		{"first try", started("1", "+79215650644", ""), sub, 1},
		{"the B leg", started("1", "+78125550102", "b"), sub, 0},
		{"an extended A number", started("1", "+79215650645", ""), sub, 0},
		{"second try", started("2", "+79215650644", ""), sub, 1},
		{"connected", with(event.AttemptConnected, func(ev *event.Event) { ev.Attempt = "c-2" }), sub, 1},
		{"answered is not connected", with(event.AttemptAnswered, func(ev *event.Event) { ev.Attempt = "c-2" }), sub, 0},
		{"success", with(event.ContactFinished, func(ev *event.Event) {
			ev.Outcome, ev.Reason, ev.Attrs = "answered", "success", map[string]string{"tries": "2", "attempts": "3"}
		}), sub, 1},
		{"failure", with(event.ContactFinished, func(ev *event.Event) {
			ev.Outcome, ev.Reason, ev.Attrs = "busy", "failed", map[string]string{"tries": "2", "attempts": "2"}
		}), sub, 1},
		{"cancelled by DELETE", with(event.ContactFinished, func(ev *event.Event) {
			ev.Reason, ev.Attrs = "cancelled", map[string]string{"tries": "0"}
		}), sub, 0},
		{"another task", with(event.AttemptConnected, func(ev *event.Event) { ev.Contact = "4" }), sub, 0},
		{"another scheduler", with(event.AttemptConnected, func(ev *event.Event) { ev.Campaign = "8" }), sub, 0},
		{"another client", with(event.AttemptConnected, func(ev *event.Event) { ev.Tenant = "13" }), sub, 0},
		{"a URL not set", with(event.AttemptConnected, func(*event.Event) {}), withoutURL(sub, "url_success"), 0},
		{"a scheduler change", with(event.CampaignStateChanged, func(ev *event.Event) { ev.Contact = "3" }), sub, 0},
	} {
		ws, err := d.RenderEvent(context.Background(), c.ev, c.sub)
		if err != nil || len(ws) != c.want {
			t.Errorf("%s: rendered %+v %v, want %d", c.name, ws, err, c.want)
			continue
		}
		for _, w := range ws {
			if w.ContentType != "application/x-www-form-urlencoded" {
				t.Errorf("%s: content type %q", c.name, w.ContentType)
			}
			fmt.Fprintf(&out, "# %s\n%s %s\n%s\n\n", c.name, w.Method, w.URL, w.Body)
		}
	}
	golden(t, "task_webhooks.txt", []byte(out.String()))
}

func withoutURL(sub dialect.Subscription, key string) dialect.Subscription {
	attrs := maps.Clone(sub.Attrs)
	delete(attrs, key)
	sub.Attrs = attrs
	sub.Events = slices.DeleteFunc(slices.Clone(sub.Events), func(e string) bool { return e == key })
	return sub
}
