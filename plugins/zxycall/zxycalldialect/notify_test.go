package zxycalldialect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/plugins/zxycall/zxycalldialect"
)

func indent(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("not JSON: %s: %v", b, err)
	}
	return out.String() + "\n"
}

// finished is an attempt.finished as pkg/dialer's attemptDone emits it.
func finished(outcome, reason string, attrs map[string]string) event.Event {
	a := map[string]string{"number": "+8613223004567", "try": "1"}
	for k, v := range attrs {
		a[k] = v
	}
	return event.Event{ID: "ev-1", Type: event.AttemptFinished, At: time.Date(2026, 3, 6, 22, 38, 2, 0, time.UTC), Tenant: "acc",
		Campaign: "7", Contact: "13223004567", Attempt: "call-1", Call: "call-1", Outcome: outcome, Reason: reason, Attrs: a}
}

// The call_notify body for each kind of finished call, as golden files.
func TestRenderCallNotify(t *testing.T) {
	d := zxycalldialect.New(zxycalldialect.Config{})
	sub := dialect.Subscription{ID: "s1", Account: "acc", Campaign: "7", URL: "http://127.0.0.1:81/api/hangup_notify", Method: "POST",
		Format: zxycalldialect.NotifyFormat, Events: []string{"attempt.finished"}}
	for _, c := range []struct {
		golden string
		ev     event.Event
	}{
		{"notify_answered.json", finished("answered", "", map[string]string{"talk_seconds": "42"})},
		{"notify_busy.json", finished("busy", "cause 17", nil)},
		{"notify_no_answer.json", finished("no_answer", "cause 19", nil)},
		{"notify_recorded.json", finished("answered", "", map[string]string{"talk_seconds": "42", "recording": "call-1",
			"recording_url": "https://cc.example.com/api/recordings/call-1"})},
		{"notify_recorded_no_link.json", finished("not_effective", "talk shorter than 5s", map[string]string{"talk_seconds": "3", "recording": "call-1"})},
		{"notify_interrupted.json", finished("failed", "interrupted by a restart", nil)},
		// A script's hand-off to the task's agent group: taken by agent 1001,
		// taken by nobody, and a task without an agent group (hung up).
		{"notify_transfer_agent.json", finished("answered", "", map[string]string{"talk_seconds": "95", "transfer": "queue", "transfer_agent": "1001"})},
		{"notify_transfer_no_agent.json", finished("answered", "", map[string]string{"talk_seconds": "48", "transfer": "queue"})},
		{"notify_transfer_hangup.json", finished("answered", "", map[string]string{"talk_seconds": "21", "transfer": "hangup"})},
	} {
		ws, err := d.RenderEvent(context.Background(), c.ev, sub)
		if err != nil || len(ws) != 1 {
			t.Fatalf("%s: %+v %v", c.golden, ws, err)
		}
		w := ws[0]
		if w.Method != "POST" || w.URL != sub.URL || w.ContentType != "application/json; charset=utf-8" {
			t.Errorf("%s: request %s %s %s", c.golden, w.Method, w.URL, w.ContentType)
		}
		golden(t, c.golden, indent(t, w.Body))
		again, _ := d.RenderEvent(context.Background(), c.ev, sub)
		if len(again) != 1 || !bytes.Equal(again[0].Body, w.Body) {
			t.Errorf("%s: rendering is not deterministic", c.golden)
		}
	}
}

// Events and subscriptions call_notify does not take render nothing.
func TestRenderCallNotifySkips(t *testing.T) {
	d := zxycalldialect.New(zxycalldialect.Config{})
	ev := finished("answered", "", map[string]string{"talk_seconds": "42"})
	sub := dialect.Subscription{ID: "s1", Account: "acc", Campaign: "7", URL: "http://127.0.0.1:81/n", Format: zxycalldialect.NotifyFormat}
	with := func(f func(*dialect.Subscription)) dialect.Subscription { s := sub; f(&s); return s }
	other := func(f func(*event.Event)) event.Event { e := ev; f(&e); return e }
	for _, c := range []struct {
		name string
		ev   event.Event
		sub  dialect.Subscription
		want int
	}{
		{"the subscription's call", ev, sub, 1},
		{"events naming call_notify", ev, with(func(s *dialect.Subscription) { s.Events = []string{"call_notify"} }), 1},
		{"events *", ev, with(func(s *dialect.Subscription) { s.Events = []string{"*"} }), 1},
		{"another campaign's call", other(func(e *event.Event) { e.Campaign = "8" }), sub, 0},
		{"another tenant's call", other(func(e *event.Event) { e.Tenant = "someone" }), sub, 0},
		{"an attempt that started", other(func(e *event.Event) { e.Type = event.AttemptStarted }), sub, 0},
		{"a contact that finished", other(func(e *event.Event) { e.Type = event.ContactFinished }), sub, 0},
		{"another format", ev, with(func(s *dialect.Subscription) { s.Format = "json" }), 0},
		{"events not taking it", ev, with(func(s *dialect.Subscription) { s.Events = []string{"campaign.state_changed"} }), 0},
		{"no URL", ev, with(func(s *dialect.Subscription) { s.URL = "" }), 0},
	} {
		ws, err := d.RenderEvent(context.Background(), c.ev, c.sub)
		if err != nil || len(ws) != c.want {
			t.Errorf("%s: %d webhooks (%v), want %d", c.name, len(ws), err, c.want)
		}
	}
}
