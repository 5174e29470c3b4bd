package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Request is a rendered webhook: method, body and query to send.
type Request struct {
	Method      string
	ContentType string
	Body        []byte
	Query       string // encoded, appended to the subscription URL
}

// Renderer turns an event into the request a subscription receives.
// Dialect plugins provide their own; ok false skips the event for that
// subscription (e.g. a format that only carries status changes).
type Renderer interface {
	Render(sub store.Subscription, ev event.Event) (req Request, ok bool, err error)
	// Methods lists the HTTP methods the renderer supports; the first is the default.
	Methods() []string
}

// JSON posts the event as its JSON document. It is the default format.
type JSON struct{}

// Methods implements Renderer.
func (JSON) Methods() []string { return []string{http.MethodPost, http.MethodPut} }

// Render implements Renderer.
func (JSON) Render(sub store.Subscription, ev event.Event) (Request, bool, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return Request{}, false, fmt.Errorf("render json: %w", err)
	}
	return Request{Method: methodOr(sub.Method, http.MethodPost), ContentType: "application/json", Body: b}, true, nil
}

// Form sends the event's fields form-urlencoded: in the query for GET, in
// the body for POST (the shape ringme's agent events use). Attrs become
// fields of their own; one named like an event field gets an "attr_" prefix.
type Form struct{}

// Methods implements Renderer.
func (Form) Methods() []string { return []string{http.MethodGet, http.MethodPost} }

// Render implements Renderer.
func (Form) Render(sub store.Subscription, ev event.Event) (Request, bool, error) {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	keys := make([]string, 0, len(ev.Attrs))
	for k := range ev.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := k
		if formFields[k] {
			name = "attr_" + k
		}
		set(name, ev.Attrs[k])
	}
	set("id", ev.ID)
	set("type", string(ev.Type))
	if !ev.At.IsZero() {
		set("at", ev.At.UTC().Format(time.RFC3339Nano))
	}
	set("tenant", ev.Tenant)
	set("queue", ev.Queue)
	set("agent", ev.Agent)
	set("call", ev.Call)
	set("campaign", ev.Campaign)
	set("contact", ev.Contact)
	set("attempt", ev.Attempt)
	set("from", ev.From)
	set("to", ev.To)
	set("reason", ev.Reason)
	set("outcome", ev.Outcome)
	set("source", ev.Source)
	enc := v.Encode()
	if methodOr(sub.Method, http.MethodGet) == http.MethodGet {
		return Request{Method: http.MethodGet, Query: enc}, true, nil
	}
	return Request{Method: http.MethodPost, ContentType: "application/x-www-form-urlencoded", Body: []byte(enc)}, true, nil
}

var formFields = map[string]bool{"id": true, "type": true, "at": true, "tenant": true, "queue": true, "agent": true,
	"call": true, "campaign": true, "contact": true, "attempt": true, "from": true, "to": true, "reason": true,
	"outcome": true, "source": true}

func methodOr(m, def string) string {
	if m == "" {
		return def
	}
	return m
}
