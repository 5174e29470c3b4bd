package udeskdialect_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/plugins/udesk/udeskdialect"
)

var resultsSub = dialect.Subscription{ID: "sub-1", Account: "7", URL: "https://crm.example.com/udesk/results", Method: "POST",
	Format: udeskdialect.ResultsFormat, Attrs: map[string]string{"region": "CN"}}

// finished is an attempt.finished of task 12 as the dialer emits it.
func finished(contact, number, outcome, reason string, attrs map[string]string) event.Event {
	a := map[string]string{"number": number, "try": "1"}
	for k, v := range attrs {
		a[k] = v
	}
	return event.Event{ID: "ev-1", Type: event.AttemptFinished, At: time.Date(2026, 6, 1, 4, 13, 40, 250e6, time.UTC), Tenant: "7",
		Campaign: "12", Contact: contact, Attempt: "a-1", Call: "o-call-1", Outcome: outcome, Reason: reason, Attrs: a}
}

// Each finished call is one POST of the Result to the callback URL, in the
// golden files' shape (the seed's field names and call result types).
func TestRenderResults(t *testing.T) {
	d, err := udeskdialect.New(udeskdialect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		golden string
		ev     event.Event
	}{
		{"result_phone_busy.json", finished("13223004567", "+8613223004567", "busy", "cause 17", nil)},
		{"result_customer_missed.json", finished("13223004567", "+8613223004567", "no_answer", "cause 19", nil)},
		{"result_rejected.json", finished("13223004567", "+8613223004567", "rejected", "cause 21", nil)},
		{"result_phone_outline.json", finished("13223004567", "+8613223004567", "congestion", "cause 34", nil)},
		{"result_failed.json", finished("13223004567", "+8613223004567", "failed", "cause 1", nil)},
		{"result_answered.json", finished("13223004567", "+8613223004567", "answered", "", map[string]string{"talk_seconds": "42"})},
		{"result_agent_missed.json", finished("13223004567", "+8613223004567", "abandoned", "no agent", map[string]string{"talk_seconds": "9"})},
		{"result_customer_breakout.json", finished("13223004567", "+8613223004567", "abandoned", "hung up waiting for an agent", map[string]string{"talk_seconds": "3"})},
		// A script's hand-off (task_type 4): taken by an agent, taken by
		// nobody, hung up for want of a queue; a transfer to a channel.
		{"result_handoff_agent.json", finished("13223004567", "+8613223004567", "answered", "", map[string]string{"talk_seconds": "80", "transfer": "queue", "transfer_agent": "31"})},
		{"result_handoff_no_agent.json", finished("13223004567", "+8613223004567", "answered", "", map[string]string{"talk_seconds": "50", "transfer": "queue"})},
		{"result_handoff_hangup.json", finished("13223004567", "+8613223004567", "answered", "", map[string]string{"talk_seconds": "20", "transfer": "hangup"})},
		{"result_handoff_channel.json", finished("13223004567", "+8613223004567", "answered", "", map[string]string{"talk_seconds": "65", "transfer": "channel"})},
		// The second number of a two-number entry, given back as imported.
		{"result_second_number.json", finished("13223004568, 13223004569", "+8613223004569", "busy", "cause 17", nil)},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			ws, err := d.RenderEvent(context.Background(), c.ev, resultsSub)
			if err != nil || len(ws) != 1 {
				t.Fatalf("%d webhooks, %v", len(ws), err)
			}
			w := ws[0]
			if w.Method != "POST" || w.URL != resultsSub.URL || w.ContentType != "application/json" {
				t.Errorf("request %s %s %s", w.Method, w.URL, w.ContentType)
			}
			golden(t, "results/"+c.golden, append(w.Body, '\n'))
			again, _ := d.RenderEvent(context.Background(), c.ev, resultsSub)
			if len(again) != 1 || string(again[0].Body) != string(w.Body) {
				t.Errorf("not deterministic: %s then %s", w.Body, again)
			}
		})
	}
}

// Everything but a results callback's attempt.finished of its own company
// (and campaign, when scoped) renders nothing.
func TestRenderResultsSkips(t *testing.T) {
	d, err := udeskdialect.New(udeskdialect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	busy := finished("13223004567", "+8613223004567", "busy", "cause 17", nil)
	with := func(f func(*event.Event, *dialect.Subscription)) (event.Event, dialect.Subscription) {
		ev, sub := busy, resultsSub
		f(&ev, &sub)
		return ev, sub
	}
	for name, f := range map[string]func(*event.Event, *dialect.Subscription){
		"another format":                   func(_ *event.Event, s *dialect.Subscription) { s.Format = "json" },
		"another company's event":          func(e *event.Event, _ *dialect.Subscription) { e.Tenant = "8" },
		"another campaign of a scoped sub": func(_ *event.Event, s *dialect.Subscription) { s.Campaign = "13" },
		"attempt.started":                  func(e *event.Event, _ *dialect.Subscription) { e.Type = event.AttemptStarted },
		"contact.finished":                 func(e *event.Event, _ *dialect.Subscription) { e.Type = event.ContactFinished },
		"agent.status_changed":             func(e *event.Event, _ *dialect.Subscription) { e.Type = event.AgentStatusChanged },
	} {
		ev, sub := with(f)
		if ws, err := d.RenderEvent(context.Background(), ev, sub); err != nil || len(ws) != 0 {
			t.Errorf("%s: %d webhooks, %v", name, len(ws), err)
		}
	}
	scoped := resultsSub
	scoped.Campaign = "12"
	if ws, _ := d.RenderEvent(context.Background(), busy, scoped); len(ws) != 1 {
		t.Errorf("a sub scoped to the event's campaign got %d webhooks", len(ws))
	}
}

// POST, GET and DELETE results_callback on the real host API: one callback
// per company, replaced in place, checked as Udesk checks parameters.
func TestResultsCallback(t *testing.T) {
	e := newEnv(t)
	l := newLocal(t, e)
	tn := e.tenant(t, "", 0)
	token := l.login(tn)
	q := func() url.Values { return signed(tn.email, token, l.now, nil) }
	const path = "/open_api_v1/cc_ad_tasks/results_callback"
	steps := []struct {
		method, body string
		status, code int
		want         string // in the body
	}{
		{"GET", "", 200, 1000, `{"code":1000,"callback_url":null}`},
		{"DELETE", "", 200, 1000, `{"code":1000}`},
		{"POST", `{}`, 400, 2000, "callback_url: is required"},
		{"POST", `{"callback_url":5}`, 400, 2000, "callback_url: must be a string"},
		{"POST", `{"callback_url":"ftp://crm.example.com/x"}`, 400, 2000, "callback_url: must be an absolute http(s) URL"},
		{"POST", `{"callback_url":"/relative"}`, 400, 2000, "callback_url: must be an absolute http(s) URL"},
		{"POST", `{"callback_url":"https://` + strings.Repeat("a", 2040) + `.com/"}`, 400, 2000, "at most 2048 characters"},
		{"POST", `{"callback_url":"https://crm.example.com/r","events":"all"}`, 400, 2000, "unknown attribute: events"},
		{"GET", "", 200, 1000, `{"code":1000,"callback_url":null}`},
		// The host's address policy refuses the cloud metadata address.
		{"POST", `{"callback_url":"http://169.254.169.254/latest/meta-data"}`, 400, 2000, "callback_url: destination refused"},
		{"GET", "", 200, 1000, `{"code":1000,"callback_url":null}`},
		{"POST", `{"callback_url":"http://127.0.0.1:9/results"}`, 200, 1000, `{"code":1000}`},
		{"GET", "", 200, 1000, `{"code":1000,"callback_url":"http://127.0.0.1:9/results"}`},
		{"POST", `{"callback_url":"http://127.0.0.1:9/results/v2"}`, 200, 1000, `{"code":1000}`},
		{"GET", "", 200, 1000, `{"code":1000,"callback_url":"http://127.0.0.1:9/results/v2"}`},
	}
	for _, s := range steps {
		st, got := l.do(s.method, path, q(), s.body)
		if st != s.status || code(t, got) != s.code || !strings.Contains(got, s.want) {
			t.Errorf("%s %s: %d %s\nwant %d code %d containing %s", s.method, s.body, st, got, s.status, s.code, s.want)
		}
	}
	subs, err := subsOf(e.host.ListSubscriptions(context.Background(), tn.id, dialect.Page{}))
	if err != nil || len(subs) != 1 {
		t.Fatalf("subscriptions: %+v %v", subs, err)
	}
	if s := subs[0]; s.URL != "http://127.0.0.1:9/results/v2" || s.Method != "POST" || s.Format != udeskdialect.ResultsFormat ||
		s.Attrs["region"] != "CN" || s.Campaign != "" {
		t.Errorf("stored subscription %+v", s)
	}
	if st, got := l.do("DELETE", path, q(), ""); st != 200 || got != `{"code":1000}` {
		t.Errorf("delete: %d %s", st, got)
	}
	if subs, err := subsOf(e.host.ListSubscriptions(context.Background(), tn.id, dialect.Page{})); err != nil || len(subs) != 0 {
		t.Errorf("after delete: %+v %v", subs, err)
	}
	var r struct {
		CallbackURL *string `json:"callback_url"`
	}
	if _, got := l.do("GET", path, q(), ""); json.Unmarshal([]byte(got), &r) != nil || r.CallbackURL != nil {
		t.Errorf("after delete: %s", got)
	}
}

// subsOf drops a subscription page's token, for tests of what is listed.
func subsOf(p dialect.SubscriptionPage, err error) ([]dialect.Subscription, error) {
	return p.Subscriptions, err
}
