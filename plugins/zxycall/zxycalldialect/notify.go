package zxycalldialect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// A task's call_notify_url is a webhook subscription of the host scoped to
// the task's campaign, offered attempt.finished only (EventTypes); the
// task's campaign Attrs keep the URL and type for the task entity.
const (
	// NotifyFormat is the Format of the dialect's call_notify subscriptions.
	NotifyFormat = "zxycall.call_notify"
	// NotifyEvent is the dialect's own name for the notification; a
	// subscription's Events may name it instead of attempt.finished.
	NotifyEvent = "call_notify"

	notifyTypeJSON = 2
	maxNotifyURL   = 2048
	attrNotifyURL  = "call_notify_url"
	attrNotifyType = "call_notify_type"
)

// CallNotify is the JSON body POSTed to a task's call_notify_url when one of
// its calls finishes (decided: the seed names the field only).
type CallNotify struct {
	// TaskUUID is the task's uuid.
	TaskUUID string `json:"task_uuid"`
	// Number is the customer's number as imported.
	Number string `json:"number"`
	// Outcome is Switchboard's: answered, busy, no_answer, machine,
	// congestion, rejected, failed, not_effective, abandoned.
	Outcome string `json:"outcome"`
	// Duration is the talk time in whole seconds; 0 when nobody answered.
	Duration int `json:"duration"`
	// HangupCause is the Q.850 cause the PBX gave for an unanswered call;
	// null when it gave none (answered calls).
	HangupCause *int `json:"hangup_cause"`
	// Recording is the link the call's recording is fetched from (with the
	// account's key and secret, HTTP Basic); null when there is none.
	// Its last path segment is the recording's name.
	Recording *string `json:"recording"`
	// Transfer is where the call went when its script asked for a human
	// (ends with Goto(switchboard-handoff,s,1)): "queue" (the task's agent
	// group), "channel" or "hangup" (the task has no agent group); null when
	// the script never asked.
	Transfer *string `json:"transfer"`
	// Agent is the agent who took a call handed to the agent group; null
	// when none did (nobody answered, the customer gave up waiting, or there
	// was no hand-off).
	Agent *string `json:"agent"`
}

// callNotify reads an attempt.finished event as the dialer emits it
// (pkg/dialer attemptDone): Outcome, Reason "cause N" for unanswered calls,
// Attrs number (E.164), try and, once answered, talk_seconds; after a
// script's hand-off, transfer and, once an agent took it, transfer_agent.
func callNotify(ev event.Event) CallNotify {
	n := CallNotify{TaskUUID: ev.Campaign, Number: ev.Contact, Outcome: ev.Outcome}
	if n.Number == "" {
		n.Number = ev.Attrs["number"]
	}
	if s, err := strconv.Atoi(ev.Attrs["talk_seconds"]); err == nil && s > 0 {
		n.Duration = s
	}
	if c, ok := strings.CutPrefix(ev.Reason, "cause "); ok {
		if code, err := strconv.Atoi(c); err == nil {
			n.HangupCause = &code
		}
	}
	if name := ev.Attrs[dialer.AttrRecording]; name != "" {
		link := ev.Attrs[dialer.AttrRecordingURL]
		if link == "" {
			link = name
		}
		n.Recording = &link
	}
	if tr := ev.Attrs["transfer"]; tr != "" {
		n.Transfer = &tr
		if a := ev.Attrs["transfer_agent"]; a != "" {
			n.Agent = &a
		}
	}
	return n
}

// RenderEvent renders attempt.finished as a CallNotify POST to the
// subscription's URL, for the dialect's call_notify subscriptions of the
// event's tenant and campaign whose Events are empty or name
// attempt.finished, call_notify or "*". Anything else renders nothing.
func (d *Dialect) RenderEvent(_ context.Context, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	if sub.Format != NotifyFormat || ev.Type != event.AttemptFinished || sub.URL == "" ||
		(sub.Account != "" && sub.Account != ev.Tenant) || (sub.Campaign != "" && sub.Campaign != ev.Campaign) {
		return nil, nil
	}
	if len(sub.Events) > 0 && !slices.ContainsFunc(sub.Events, func(e string) bool {
		return e == string(event.AttemptFinished) || e == NotifyEvent || e == "*"
	}) {
		return nil, nil
	}
	body, err := json.Marshal(callNotify(ev))
	if err != nil {
		return nil, fmt.Errorf("call_notify body: %w", err)
	}
	return []dialect.Webhook{{Method: http.MethodPost, URL: sub.URL, ContentType: "application/json; charset=utf-8", Body: body}}, nil
}

// notifySubs lists the task's call_notify subscriptions.
func notifySubs(ctx context.Context, host dialect.Host, account, task string) ([]dialect.Subscription, error) {
	subs, err := host.ListSubscriptions(ctx, account, dialect.Page{Size: 1000, Filter: map[string]string{"campaign": task}})
	if err != nil {
		return nil, fmt.Errorf("list the task's subscriptions: %w", err)
	}
	return slices.DeleteFunc(subs.Subscriptions, func(s dialect.Subscription) bool { return s.Format != NotifyFormat }), nil
}

// undoFunc puts back what a change did, as far as it can.
type undoFunc func(context.Context) error

// setNotify makes url the task's only call_notify subscription ("": none)
// and returns how to put back the subscriptions it changed. A URL the host
// refuses is a FieldError on call_notify_url, and nothing has changed.
func setNotify(ctx context.Context, host dialect.Host, account, task, url string) (undoFunc, error) {
	old, err := notifySubs(ctx, host, account, task)
	if err != nil {
		return nil, err
	}
	var undos []undoFunc
	undo := func(ctx context.Context) error {
		var errs []error
		for _, u := range slices.Backward(undos) {
			errs = append(errs, u(ctx))
		}
		return errors.Join(errs...)
	}
	extra := old
	if url != "" {
		finished := []string{string(event.AttemptFinished)}
		want := dialect.Subscription{Campaign: task, URL: url, Method: http.MethodPost, Format: NotifyFormat,
			EventTypes: finished, Events: finished}
		if len(old) > 0 {
			want.ID, extra = old[0].ID, old[1:]
		}
		if len(old) == 0 || !sameNotify(old[0], want) {
			stored, err := host.PutSubscription(ctx, account, want)
			if err != nil {
				return nil, notifyURLError(err)
			}
			if want.ID == "" {
				undos = append(undos, func(ctx context.Context) error { return host.DeleteSubscription(ctx, account, stored.ID) })
			} else {
				prev := old[0]
				undos = append(undos, func(ctx context.Context) error { _, err := host.PutSubscription(ctx, account, prev); return err })
			}
		}
	}
	for _, s := range extra {
		if err := host.DeleteSubscription(ctx, account, s.ID); err != nil && !errors.Is(err, dialect.ErrNotFound) {
			if uerr := undo(ctx); uerr != nil {
				err = errors.Join(err, fmt.Errorf("put back: %w", uerr))
			}
			return nil, fmt.Errorf("delete subscription %s: %w", s.ID, err)
		}
		s.ID = ""
		undos = append(undos, func(ctx context.Context) error { _, err := host.PutSubscription(ctx, account, s); return err })
	}
	return undo, nil
}

func sameNotify(a, b dialect.Subscription) bool {
	return a.URL == b.URL && a.Method == b.Method && a.Campaign == b.Campaign && a.Agent == b.Agent &&
		slices.Equal(a.EventTypes, b.EventTypes) && slices.Equal(a.Events, b.Events) && len(a.Attrs) == 0
}

// notifyURLError names call_notify_url in the host's refusal of the
// subscription's URL.
func notifyURLError(err error) error {
	var fe *dialect.FieldError
	if errors.As(err, &fe) && (fe.Field == "url" || strings.HasPrefix(fe.Field, "attrs.")) {
		return &dialect.FieldError{Field: "call_notify_url", Value: fe.Value, Reason: fe.Reason}
	}
	return err
}
