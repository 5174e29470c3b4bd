package twin24dialect

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Webhook payload event names (ours: the seed does not describe the payloads).
const (
	EventCallResult = "callResult"
	EventFinished   = "autoCallFinished"
)

// outcomeNames are the seed's names of the outcomes it has redial rules
// for, and ours for the others.
var outcomeNames = map[telephony.Outcome]string{
	telephony.OutcomeAnswered:     "answer",
	telephony.OutcomeBusy:         "busy",
	telephony.OutcomeNoAnswer:     "noAnswer",
	telephony.OutcomeMachine:      "answerMash",
	telephony.OutcomeCongestion:   "congestion",
	telephony.OutcomeNotEffective: "answerNoList",
	telephony.OutcomeRejected:     "rejected",
	telephony.OutcomeFailed:       "failed",
	telephony.OutcomeAbandoned:    "abandoned",
}

func outcomeName(o string) string {
	if n, ok := outcomeNames[telephony.Outcome(o)]; ok {
		return n
	}
	return o
}

// Webhook is the JSON body POSTed to a campaign's webhookUrls: one per
// call result, and one when the campaign finishes.
type Webhook struct {
	Event      string `json:"event"`
	AutoCallID string `json:"autoCallId"`
	ContactID  string `json:"contactId,omitempty"`
	Phone      string `json:"phone,omitempty"`
	CallID     string `json:"callId,omitempty"`
	Outcome    string `json:"outcome,omitempty"`
	Attempt    int    `json:"attempt,omitempty"`
	// Duration is the talk time in seconds (0 when nobody answered).
	Duration *int `json:"duration,omitempty"`
	// Recording is the link the attempt's recording is fetched from (with
	// the account's email and password, HTTP Basic), when the campaign
	// records (recordCall) and the call was recorded; absent otherwise.
	// Its last path segment is the recording's name.
	Recording string `json:"recording,omitempty"`
	// SecondExec is the action taken when the robot asked for a transfer
	// (the autoCall's secondExec): "ch", the call went to secondExecData's
	// channel, or "hangup"; absent when the robot did not ask.
	SecondExec string `json:"secondExec,omitempty"`
	Timestamp  string `json:"timestamp"`
}

// RenderEvent renders attempt.finished as a callResult and a campaign's
// move to finished as autoCallFinished, for subscriptions of the event's
// campaign (or of the whole account) that take the event: Events empty, or
// naming the event type, the payload's event name, or "*". It reads the
// attrs pkg/dialer puts on attempt.finished: number (E.164), try (the
// contact's try, from 1), talk_seconds (only when answered) and transfer
// (only when the robot asked for one).
func (*Dialect) RenderEvent(_ context.Context, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	if sub.Campaign != "" && sub.Campaign != ev.Campaign {
		return nil, nil
	}
	w := Webhook{AutoCallID: ev.Campaign, Timestamp: ev.At.UTC().Format(time.RFC3339)}
	switch {
	case ev.Type == event.AttemptFinished:
		w.Event, w.ContactID, w.CallID, w.Outcome = EventCallResult, ev.Contact, ev.Call, outcomeName(ev.Outcome)
		w.Phone = ev.Attrs["number"]
		w.Attempt, _ = strconv.Atoi(ev.Attrs["try"])
		d, _ := strconv.Atoi(ev.Attrs["talk_seconds"])
		w.Duration = &d
		w.Recording = recordingOf(ev)
		w.SecondExec = secondExecOf(ev.Attrs["transfer"])
	case ev.Type == event.CampaignStateChanged && ev.To == string(dialer.StateFinished):
		w.Event = EventFinished
	default:
		return nil, nil
	}
	if len(sub.Events) > 0 && !slices.Contains(sub.Events, string(ev.Type)) && !slices.Contains(sub.Events, w.Event) && !slices.Contains(sub.Events, "*") {
		return nil, nil
	}
	body, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	method := sub.Method
	if method == "" {
		method = http.MethodPost
	}
	return []dialect.Webhook{{Method: method, URL: sub.URL, ContentType: "application/json", Body: body}}, nil
}

// recordingOf returns a recorded attempt's link: the one the host added,
// or the recording's name alone when the host serves no link.
func recordingOf(ev event.Event) string {
	name := ev.Attrs[dialer.AttrRecording]
	if link := ev.Attrs[dialer.AttrRecordingURL]; name != "" && link != "" {
		return link
	}
	return name
}

// secondExecOf names the dialer's transfer attr as secondExec does: a
// channel transfer is "ch"; hangup (and queue, which no autoCall asks
// for) keep the dialer's name.
func secondExecOf(transfer string) string {
	if transfer == "channel" {
		return "ch"
	}
	return transfer
}
