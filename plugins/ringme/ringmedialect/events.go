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
// AgentEvent registration). Its Attrs: id (the vendor's numeric id),
// agent_id (the agent whose changes it wants), agent_type (local|remote),
// agent_number (remote) or extension_name (local); its Events: agent-login
// or agent-logout.
const AgentEventFormat = "ringme-agent-event"

// TaskEventFormat is the subscription format of a callback task's
// webhooks, scoped to the task's scheduler (campaign). Its Attrs: task_id,
// the task's url_before, url_before_again, url_success and url_after (those
// set), a_number and b_number as sent and a_e164 (the A number the dialer
// dials first); its Events: the names of the URLs set.
const TaskEventFormat = "ringme-task"

// Agent event types of the vendor.
const (
	AgentLogin  = "agent-login"
	AgentLogout = "agent-logout"
)

// Task webhook names (the task's fields holding their URLs).
const (
	URLBefore      = "url_before"
	URLBeforeAgain = "url_before_again"
	URLSuccess     = "url_success"
	URLAfter       = "url_after"
)

// taskURLs are the task's webhook fields, in the order they fire.
var taskURLs = []string{URLBefore, URLBeforeAgain, URLSuccess, URLAfter}

// formContentType is the content type of every ringme webhook body.
const formContentType = "application/x-www-form-urlencoded"

// RenderEvent renders an event for one of the dialect's subscriptions:
// agent events (AgentEventFormat) and task webhooks (TaskEventFormat).
// Events of another client, and events the subscription does not take,
// render nothing.
func (d *Dialect) RenderEvent(_ context.Context, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	if sub.Account != "" && ev.Tenant != sub.Account {
		return nil, nil
	}
	var w *dialect.Webhook
	switch sub.Format {
	case AgentEventFormat:
		w = renderAgentEvent(ev, sub)
	case TaskEventFormat:
		w = renderTaskEvent(ev, sub)
	}
	if w == nil {
		return nil, nil
	}
	return []dialect.Webhook{*w}, nil
}

func available(s string) bool {
	return s == string(acd.Available) || s == string(acd.AvailableOnDemand)
}

// renderAgentEvent renders an agent's status change as the vendor's agent
// event. Only a real change fires: logging in is becoming available (or
// available on demand) from a status that was neither; logging out is
// becoming logged_out. A break fires nothing.
func renderAgentEvent(ev event.Event, sub dialect.Subscription) *dialect.Webhook {
	if ev.Type != event.AgentStatusChanged || ev.From == ev.To {
		return nil
	}
	if id := sub.Attrs[attrAgentID]; id == "" || id != ev.Agent {
		return nil
	}
	var kind, status string
	switch {
	case available(ev.To) && !available(ev.From):
		kind, status = AgentLogin, string(acd.Available)
	case ev.To == string(acd.LoggedOut):
		kind, status = AgentLogout, string(acd.LoggedOut)
	default:
		return nil
	}
	if len(sub.Events) > 0 && !slices.Contains(sub.Events, kind) {
		return nil
	}
	v := url.Values{attrAgentID: {ev.Agent}, "agent_status": {status}, "event_source": {"api"}}
	if ev.Source == "phone" {
		v.Set("event_source", "phone")
	}
	if sub.Attrs[attrAgentType] == "remote" {
		v.Set(attrAgentType, "remote")
		v.Set(attrAgentNumber, sub.Attrs[attrAgentNumber])
	} else {
		v.Set(attrAgentType, "local")
		v.Set(attrExtensionName, sub.Attrs[attrExtensionName])
	}
	return formWebhook(sub.Method, sub.URL, v)
}

// Attrs of a task's subscription beyond its URLs.
const (
	attrTaskID  = "task_id"
	attrANumber = "a_number"
	attrBNumber = "b_number"
	attrAE164   = "a_e164"
)

// renderTaskEvent renders a callback task's webhooks (ours: the vendor's
// documents name the URLs, not what they receive), each a POST of a form
// to the task's URL for it:
//   - url_before when the first try starts dialling A, url_before_again
//     when each later try does (attempt.started of the A number);
//   - url_success when A and B are connected (attempt.connected);
//   - url_after with the result once the task is finished (contact.finished;
//     none for a task cancelled by DELETE).
func renderTaskEvent(ev event.Event, sub dialect.Subscription) *dialect.Webhook {
	task := sub.Attrs[attrTaskID]
	if task == "" || ev.Contact != task || (sub.Campaign != "" && ev.Campaign != sub.Campaign) {
		return nil
	}
	v := url.Values{"task_id": {task}, "scheduler_id": {ev.Campaign},
		attrANumber: {sub.Attrs[attrANumber]}, attrBNumber: {sub.Attrs[attrBNumber]}}
	var hook string
	switch ev.Type {
	case event.AttemptStarted:
		if ev.Attrs["leg"] == "b" || ev.Attrs["number"] != sub.Attrs[attrAE164] {
			return nil
		}
		hook = URLBeforeAgain
		if ev.Attrs["try"] == "1" {
			hook = URLBefore
		}
		v.Set("status", "executed")
		v.Set("try", ev.Attrs["try"])
		v.Set("cdr", ev.Attempt)
	case event.AttemptConnected:
		hook = URLSuccess
		v.Set("status", "executed")
		v.Set("cdr", ev.Attempt)
	case event.ContactFinished:
		if ev.Reason == "cancelled" {
			return nil // the client cancelled it: its webhooks went with it
		}
		hook = URLAfter
		result := "failed"
		if ev.Reason == "success" {
			result = "success"
		}
		v.Set("status", "finished")
		v.Set("finish_result", result)
		v.Set("finish_comment", finishComment(result, ev.Outcome))
		v.Set("tries", ev.Attrs["tries"])
	default:
		return nil
	}
	target := sub.Attrs[hook]
	if target == "" || (len(sub.Events) > 0 && !slices.Contains(sub.Events, hook)) {
		return nil
	}
	v.Set("event", hook)
	return formWebhook(http.MethodPost, target, v)
}

// finishComment says why a task failed: the outcome of its last try
// (busy, no_answer, failed, …); empty on success.
func finishComment(result, outcome string) string {
	if result == "success" {
		return ""
	}
	return outcome
}

// formWebhook sends v form-urlencoded: in the query for GET (after any
// query of the URL's own), in the body otherwise.
func formWebhook(method, target string, v url.Values) *dialect.Webhook {
	form := v.Encode()
	if strings.EqualFold(method, http.MethodGet) {
		u, err := url.Parse(target)
		if err != nil {
			return nil
		}
		if u.RawQuery != "" {
			u.RawQuery += "&" + form
		} else {
			u.RawQuery = form
		}
		return &dialect.Webhook{Method: http.MethodGet, URL: u.String()}
	}
	return &dialect.Webhook{Method: http.MethodPost, URL: target, ContentType: formContentType, Body: []byte(form)}
}
