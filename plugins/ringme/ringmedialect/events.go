package ringmedialect

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// AgentEventFormat is the subscription format of ringme agent events (an
// AgentEvent registration). Its Attrs: agent_id (the agent whose changes
// it wants), agent_type (local|remote), agent_number (remote) or
// extension_name (local); its Events: agent-login and/or agent-logout.
const AgentEventFormat = "ringme-agent-event"

// Agent event types of the vendor.
const (
	AgentLogin  = "agent-login"
	AgentLogout = "agent-logout"
)

func available(s string) bool {
	return s == string(acd.Available) || s == string(acd.AvailableOnDemand)
}

// RenderEvent renders an agent's status change as the vendor's agent
// event: application/x-www-form-urlencoded, in the query for GET and in
// the body for POST. Only a real change fires it: logging in means
// becoming available from a status that was not; logging out means
// becoming logged_out. Other events and formats render nothing.
func (d *Dialect) RenderEvent(_ context.Context, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	if sub.Format != AgentEventFormat || ev.Type != event.AgentStatusChanged {
		return nil, nil
	}
	if id := sub.Attrs["agent_id"]; id != "" && id != ev.Agent {
		return nil, nil
	}
	var kind, status string
	switch {
	case available(ev.To) && !available(ev.From):
		kind, status = AgentLogin, string(acd.Available)
	case ev.To == string(acd.LoggedOut) && ev.From != string(acd.LoggedOut):
		kind, status = AgentLogout, string(acd.LoggedOut)
	default:
		return nil, nil
	}
	if len(sub.Events) > 0 && !slices.Contains(sub.Events, kind) && !slices.Contains(sub.Events, string(ev.Type)) {
		return nil, nil
	}
	v := url.Values{"agent_id": {ev.Agent}, "agent_status": {status}}
	source := "api"
	if ev.Source == "phone" {
		source = "phone"
	}
	v.Set("event_source", source)
	if t := sub.Attrs["agent_type"]; t == "remote" {
		v.Set("agent_type", "remote")
		v.Set("agent_number", sub.Attrs["agent_number"])
	} else {
		v.Set("agent_type", "local")
		v.Set("extension_name", sub.Attrs["extension_name"])
	}
	form := v.Encode()
	if strings.EqualFold(sub.Method, http.MethodGet) {
		u := sub.URL
		if strings.Contains(u, "?") {
			u += "&" + form
		} else {
			u += "?" + form
		}
		return []dialect.Webhook{{Method: http.MethodGet, URL: u}}, nil
	}
	return []dialect.Webhook{{Method: http.MethodPost, URL: sub.URL, ContentType: "application/x-www-form-urlencoded", Body: []byte(form)}}, nil
}
