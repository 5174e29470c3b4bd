package twin24dialect_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/plugins/twin24/twin24dialect"
)

func TestRenderEvent(t *testing.T) {
	d := twin24dialect.New()
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("MSK", 3*3600))
	// The attrs are the ones pkg/dialer's attemptDone sets: talk_seconds
	// only when the call was answered.
	result := event.Event{Type: event.AttemptFinished, At: at, Tenant: "acc", Campaign: "7", Contact: "c1", Call: "call-1",
		Outcome: "machine", Reason: "machine", Attempt: "call-1", Attrs: map[string]string{"number": "+79215650644", "try": "2", "talk_seconds": "4"}}
	busy := event.Event{Type: event.AttemptFinished, At: at, Tenant: "acc", Campaign: "7", Contact: "c2", Call: "call-2",
		Outcome: "busy", Reason: "cause 17", Attempt: "call-2", Attrs: map[string]string{"number": "+79215650645", "try": "1"}}
	// A recorded call: the dialer names the recording, the host adds its link.
	recorded := event.Event{Type: event.AttemptFinished, At: at, Tenant: "acc", Campaign: "7", Contact: "c3", Call: "o1-7-3",
		Outcome: "answered", Attempt: "o1-7-3", Attrs: map[string]string{"number": "+79215650646", "try": "1", "talk_seconds": "37",
			"recording": "o1-7-3", "recording_url": "https://cc.example.com/api/recordings/o1-7-3"}}
	// Robots that asked for a transfer: secondExec ch and hangup.
	handedOff := event.Event{Type: event.AttemptFinished, At: at, Tenant: "acc", Campaign: "7", Contact: "c4", Call: "o1-7-4",
		Outcome: "answered", Attempt: "o1-7-4", Attrs: map[string]string{"number": "+79215650647", "try": "1", "talk_seconds": "63", "transfer": "channel"}}
	hungUp := event.Event{Type: event.AttemptFinished, At: at, Tenant: "acc", Campaign: "7", Contact: "c5", Call: "o1-7-5",
		Outcome: "answered", Attempt: "o1-7-5", Attrs: map[string]string{"number": "+79215650648", "try": "1", "talk_seconds": "12", "transfer": "hangup"}}
	finished := event.Event{Type: event.CampaignStateChanged, At: at, Tenant: "acc", Campaign: "7", From: "running", To: "finished"}
	sub := dialect.Subscription{URL: "https://webhook.site/x", Campaign: "7", Format: "twin24"}

	ws, err := d.RenderEvent(ctx, result, sub)
	if err != nil || len(ws) != 1 || ws[0].Method != "POST" || ws[0].URL != sub.URL || ws[0].ContentType != "application/json" {
		t.Fatalf("call result: %+v %v", ws, err)
	}
	golden(t, "webhook_call_result.json", indent(t, string(ws[0].Body)))
	ws, err = d.RenderEvent(ctx, busy, sub)
	if err != nil || len(ws) != 1 {
		t.Fatalf("unanswered call result: %+v %v", ws, err)
	}
	golden(t, "webhook_call_result_busy.json", indent(t, string(ws[0].Body)))
	ws, err = d.RenderEvent(ctx, recorded, sub)
	if err != nil || len(ws) != 1 {
		t.Fatalf("recorded call result: %+v %v", ws, err)
	}
	golden(t, "webhook_call_result_recorded.json", indent(t, string(ws[0].Body)))
	for name, ev := range map[string]event.Event{"webhook_call_result_second_exec_ch.json": handedOff, "webhook_call_result_second_exec_hangup.json": hungUp} {
		ws, err = d.RenderEvent(ctx, ev, sub)
		if err != nil || len(ws) != 1 {
			t.Fatalf("%s: %+v %v", name, ws, err)
		}
		golden(t, name, indent(t, string(ws[0].Body)))
	}
	ws, err = d.RenderEvent(ctx, finished, sub)
	if err != nil || len(ws) != 1 {
		t.Fatalf("finished: %+v %v", ws, err)
	}
	golden(t, "webhook_finished.json", indent(t, string(ws[0].Body)))

	for _, c := range []struct {
		name string
		ev   event.Event
		sub  dialect.Subscription
	}{
		{"another campaign", result, dialect.Subscription{URL: "https://h/x", Campaign: "8"}},
		{"not a finish", event.Event{Type: event.CampaignStateChanged, Campaign: "7", To: "running"}, sub},
		{"an event twin24 does not send", event.Event{Type: event.AttemptStarted, Campaign: "7"}, sub},
		{"events the subscription does not take", result, dialect.Subscription{URL: "https://h/x", Events: []string{"autoCallFinished"}}},
	} {
		if ws, err := d.RenderEvent(ctx, c.ev, c.sub); err != nil || len(ws) != 0 {
			t.Errorf("%s: %+v %v", c.name, ws, err)
		}
	}
	ws, _ = d.RenderEvent(ctx, result, dialect.Subscription{URL: "https://h/x", Events: []string{"callResult"}, Method: "PUT"})
	if len(ws) != 1 || ws[0].Method != "PUT" {
		t.Errorf("account-wide subscription by payload name: %+v", ws)
	}
}
