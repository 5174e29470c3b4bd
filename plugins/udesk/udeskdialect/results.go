package udeskdialect

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Call results pushes (ours: Udesk's document describes no push). A company
// sets one results callback URL with POST /open_api_v1/cc_ad_tasks/
// results_callback {"callback_url": "https://…"}; every call of its tasks
// that ends is then POSTed there as a Result. The callback is a host
// subscription of this plugin with Format ResultsFormat.
const (
	// ResultsFormat marks the results callback's subscription.
	ResultsFormat = "udesk.cc_ad_task_results"
	// maxCallbackURL bounds callback_url (ours).
	maxCallbackURL = 2048
	// attrRegion keeps the company's region in the subscription, to give
	// the dialled number back as the company imported it.
	attrRegion = "region"
)

// Call result types (Data Structure - Call Result Type List).
const (
	ResultCustomerMissed   = "customer_missed"
	ResultAgentMissed      = "agent_missed"
	ResultCustomerBreakout = "customer_breakout"
	ResultPhoneOutline     = "phone_outline"
	ResultPhoneBusy        = "phone_busy"
)

// Result is the JSON body of one results push: a call of a task that
// ended. Field names follow the seed's (id is the task's id as in
// add_numbers and recall, cellphone the number pool entry as imported,
// called the number dialled as in follow_on).
type Result struct {
	ID        any    `json:"id"`
	Cellphone string `json:"cellphone"`
	Called    string `json:"called"`
	// CallResult is one of the Call Result Type List, or null when the
	// customer answered and the call went where the task sends it.
	CallResult     *string `json:"call_result"`
	CustomerAnswer bool    `json:"customer_answer"`
	// TalkDuration is seconds from the answer to the end (0 unanswered).
	TalkDuration int    `json:"talk_duration"`
	CallID       string `json:"call_id"`
	// EndedAt is when the call ended, in the details' format and UTC+8.
	EndedAt string `json:"ended_at"`
}

// callResult is the call result type of an attempt that ended with
// outcome o for reason; nil when the customer answered and the call went
// on to its destination. An abandoned call is agent_missed when no agent
// took it ("no agent": the dialer played the abandon message), else
// customer_breakout (the customer hung up waiting). Machine answers count
// as customer_missed (udesk tasks do not turn on machine detection).
// An answered call whose script asked for a human (attr transfer) that no
// agent took (no transfer_agent: nobody answered, the customer gave up
// waiting, or the task has no agents and the dialer hung up) is
// agent_missed; the two cannot be told apart from the event.
func callResult(o telephony.Outcome, reason string, attrs map[string]string) *string {
	r := ""
	switch o {
	case telephony.OutcomeAnswered, telephony.OutcomeNotEffective:
		if missedHandoff(attrs) {
			r = ResultAgentMissed
			return &r
		}
		return nil
	case telephony.OutcomeNoAnswer, telephony.OutcomeRejected, telephony.OutcomeMachine:
		r = ResultCustomerMissed
	case telephony.OutcomeBusy:
		r = ResultPhoneBusy
	case telephony.OutcomeAbandoned:
		r = ResultCustomerBreakout
		if reason == "no agent" {
			r = ResultAgentMissed
		}
	default: // failed, congestion and anything newer: the number was not reached
		r = ResultPhoneOutline
	}
	return &r
}

// missedHandoff reports whether a script's hand-off reached no agent: one
// to the queue that no agent took, or one the task hung up for want of a
// queue. A transfer to a channel left the task's agents out of it.
func missedHandoff(attrs map[string]string) bool {
	switch attrs["transfer"] {
	case "queue":
		return attrs["transfer_agent"] == ""
	case "hangup":
		return true
	}
	return false
}

// RenderEvent renders each attempt.finished of the company's tasks as a
// Result POSTed to its results callback; every other event, and every
// subscription that is not a results callback, gets nothing.
func (d *Dialect) RenderEvent(_ context.Context, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	if sub.Format != ResultsFormat || ev.Type != event.AttemptFinished ||
		(sub.Account != "" && ev.Tenant != sub.Account) || (sub.Campaign != "" && ev.Campaign != sub.Campaign) {
		return nil, nil
	}
	talk, _ := strconv.Atoi(ev.Attrs["talk_seconds"])
	_, answered := ev.Attrs["talk_seconds"]
	o := telephony.Outcome(ev.Outcome)
	r := Result{ID: idValue(ev.Campaign), Cellphone: ev.Contact, Called: asImported(ev.Contact, ev.Attrs["number"], sub.Attrs[attrRegion]),
		CallResult: callResult(o, ev.Reason, ev.Attrs), CustomerAnswer: answered && o != telephony.OutcomeMachine,
		TalkDuration: talk, CallID: ev.Call, EndedAt: ev.At.In(china).Format(detailsTime)}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return []dialect.Webhook{{Method: http.MethodPost, URL: sub.URL, ContentType: "application/json", Body: body}}, nil
}

// asImported gives the dialled number (E.164) back as the entry's
// cellphone holds it (an entry may hold several, comma-separated); the
// E.164 form when none of them is that number.
func asImported(entry, e164, region string) string {
	if region == "" {
		region = "CN"
	}
	for p := range strings.SplitSeq(entry, ",") {
		p = strings.TrimSpace(p)
		if pn, err := phonenumbers.Parse(p, region); err == nil && phonenumbers.Format(pn, phonenumbers.E164) == e164 {
			return p
		}
	}
	return e164
}

// ourCallbacks lists the company's results callback subscriptions (one,
// unless an older plugin left more).
func (t tenant) ourCallbacks(ctx context.Context) ([]dialect.Subscription, *apiError) {
	var out []dialect.Subscription
	for token := ""; ; {
		page, err := t.host.ListSubscriptions(ctx, t.acct.ID, dialect.Page{Size: 1000, Token: token})
		if err != nil {
			return nil, hostError(err, "")
		}
		for _, s := range page.Subscriptions {
			if s.Format == ResultsFormat {
				out = append(out, s)
			}
		}
		if token = page.NextToken; token == "" {
			break
		}
	}
	return out, nil
}

// getResultsCallback answers GET /cc_ad_tasks/results_callback with
// {code, callback_url} (null when none is set).
func getResultsCallback(ctx context.Context, t tenant, _ string, _ dialect.Request) (dialect.Response, *apiError) {
	subs, aerr := t.ourCallbacks(ctx)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	var u *string
	if len(subs) > 0 {
		u = &subs[0].URL
	}
	return reply(http.StatusOK, struct {
		Code        int     `json:"code"`
		CallbackURL *string `json:"callback_url"`
	}{CodeOK, u}), nil
}

// setResultsCallback answers POST /cc_ad_tasks/results_callback
// {callback_url}: it sets or replaces the company's results callback.
func setResultsCallback(ctx context.Context, t tenant, _ string, req dialect.Request) (dialect.Response, *apiError) {
	m, aerr := object(req.Body, "callback_url")
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	raw, _, aerr := str(m, "callback_url")
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	if raw == "" {
		return dialect.Response{}, badParam("callback_url", "is required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > maxCallbackURL {
		return dialect.Response{}, badParam("callback_url", "must be an absolute http(s) URL of at most %d characters", maxCallbackURL)
	}
	t.d.callback.Lock()
	defer t.d.callback.Unlock()
	subs, aerr := t.ourCallbacks(ctx)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	sub := dialect.Subscription{URL: raw, Method: http.MethodPost, Format: ResultsFormat, Attrs: map[string]string{attrRegion: region(t.acct)}}
	if len(subs) > 0 {
		sub.ID = subs[0].ID
	}
	if _, err := t.host.PutSubscription(ctx, t.acct.ID, sub); err != nil {
		var fe *dialect.FieldError
		if errors.As(err, &fe) && fe.Field == "url" {
			return dialect.Response{}, badParam("callback_url", "%s", fe.Reason)
		}
		return dialect.Response{}, hostError(err, "")
	}
	for _, extra := range subs[min(1, len(subs)):] {
		if err := t.host.DeleteSubscription(ctx, t.acct.ID, extra.ID); err != nil && !errors.Is(err, dialect.ErrNotFound) {
			return dialect.Response{}, hostError(err, "")
		}
	}
	return ok(), nil
}

// deleteResultsCallback answers DELETE /cc_ad_tasks/results_callback: no
// more pushes (code 1000 also when none was set).
func deleteResultsCallback(ctx context.Context, t tenant, _ string, _ dialect.Request) (dialect.Response, *apiError) {
	t.d.callback.Lock()
	defer t.d.callback.Unlock()
	subs, aerr := t.ourCallbacks(ctx)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	for _, s := range subs {
		if err := t.host.DeleteSubscription(ctx, t.acct.ID, s.ID); err != nil && !errors.Is(err, dialect.ErrNotFound) {
			return dialect.Response{}, hostError(err, "")
		}
	}
	return ok(), nil
}
