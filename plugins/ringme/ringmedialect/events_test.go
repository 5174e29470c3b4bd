package ringmedialect_test

import (
	"context"
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
