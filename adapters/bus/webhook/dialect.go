package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// DialectRenderer renders events for the subscriptions a dialect plugin
// owns (store.Subscription.Dialect): the service passes its plugin host.
type DialectRenderer interface {
	// Render returns the requests sub receives for ev (none: it skips ev).
	// An error wrapping ErrRenderLater means the dialect cannot answer now
	// (its plugin is restarting): the event is parked and rendered again
	// on the retry schedule.
	Render(ctx context.Context, dialect string, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error)
	// Has reports whether the dialect is served at all.
	Has(dialect string) bool
}

// ErrRenderLater marks a render that should be retried, not skipped.
var ErrRenderLater = errors.New("renderer unavailable; retry later")

// methodRender marks a parked delivery: an event its dialect could not
// render yet (its plugin was down), stored with the event as its body and
// rendered when attempted, on the retry schedule, so one plugin that stays
// down holds up nobody else's webhooks.
const methodRender = "RENDER"

// parkedDelivery stores ev for sub until its dialect can render it.
func parkedDelivery(sub store.Subscription, ev event.Event, now int64) (store.Delivery, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return store.Delivery{}, fmt.Errorf("park event %s: %w", ev.ID, err)
	}
	return store.Delivery{ID: DeliveryID(ev.ID+"#render", sub.ID), SubscriptionID: sub.ID, Tenant: ev.Tenant, EventID: ev.ID,
		EventType: string(ev.Type), Method: methodRender, ContentType: "application/json", Body: b, NextAttemptNS: now}, nil
}

// renderParked renders a parked delivery's event and stores the requests
// as deliveries of their own (the same ids an on-time render would have
// given them). The parked row then counts as delivered; while the dialect
// is still down it is retried on the schedule, and if the dialect refuses
// the event for good it is dead-lettered (and can be replayed).
func (s *Sender) renderParked(ctx context.Context, d store.Delivery, sub store.Subscription) outcome {
	o := outcome{d: d}
	var ev event.Event
	if err := json.Unmarshal(d.Body, &ev); err != nil {
		o.err = fmt.Errorf("%w: parked event: %v", errPermanent, err)
		return o
	}
	now := s.cfg.Clock.Now()
	ds, err := s.renderDialect(ctx, sub, ev, now.UnixNano())
	switch {
	case errors.Is(err, ErrRenderLater):
		o.err, o.retry = err, true
		return o
	case err != nil:
		o.err = fmt.Errorf("%w: %v", errPermanent, err)
		return o
	}
	inserted, err := s.cfg.DB.InsertDeliveries(ctx, ds, now)
	if err != nil {
		o.err, o.retry = fmt.Errorf("store rendered deliveries: %w", err), true
		return o
	}
	s.stored.Add(int64(len(inserted)))
	s.poke()
	return o
}

// DialectSubscription is the subscription as its dialect sees it.
func DialectSubscription(s store.Subscription) dialect.Subscription {
	return dialect.Subscription{ID: s.ID, Account: s.Tenant, Campaign: s.Campaign, Agent: s.Agent, Contact: s.Contact, EventTypes: s.EventTypes,
		URL: s.URL, Method: s.Method, Format: s.Format, Events: s.Events, Attrs: s.Attrs}
}

// validateDialectSubscription checks what the sender owns of a dialect's
// subscription: the dialect is served, and its URL and every URL among its
// Attrs pass the address policy (a rendered request may only go to one of
// them, so none is refused silently later).
func (s *Sender) validateDialectSubscription(ctx context.Context, sub *store.Subscription) error {
	if s.cfg.Dialects == nil || !s.cfg.Dialects.Has(sub.Dialect) {
		return &SubscriptionError{Field: "dialect", Reason: fmt.Sprintf("no dialect %q is served", sub.Dialect)}
	}
	for k, v := range sub.Attrs {
		if !isHTTPURL(v) {
			continue
		}
		if err := s.cfg.Policy.CheckURL(ctx, s.cfg.Resolver, v); err != nil {
			var ue *URLError
			if errors.As(err, &ue) {
				ue.In = "attrs." + k
			}
			return err
		}
	}
	if err := checkPatterns("event_types", sub.EventTypes); err != nil {
		return err
	}
	if sub.Contact != "" && sub.Campaign == "" {
		return &SubscriptionError{Field: "contact", Reason: "a contact scope needs a campaign"}
	}
	sub.Method = strings.ToUpper(sub.Method)
	return nil
}

func isHTTPURL(v string) bool {
	l := strings.ToLower(v)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// renderDialect asks sub's dialect for ev's requests and turns them into
// deliveries. The first keeps the plain DeliveryID; the others get their
// index, so a re-rendered event maps to the same ids.
func (s *Sender) renderDialect(ctx context.Context, sub store.Subscription, ev event.Event, now int64) ([]store.Delivery, error) {
	if s.cfg.Dialects == nil {
		return nil, fmt.Errorf("subscription %s: dialect %s: no dialect renderer configured", sub.ID, sub.Dialect)
	}
	ws, err := s.cfg.Dialects.Render(ctx, sub.Dialect, ev, DialectSubscription(sub))
	if err != nil {
		return nil, err
	}
	ds := make([]store.Delivery, 0, len(ws))
	for i, w := range ws {
		target, err := webhookTarget(sub, w.URL)
		if err != nil {
			return nil, fmt.Errorf("subscription %s: dialect %s: webhook %d: %w", sub.ID, sub.Dialect, i, err)
		}
		id := DeliveryID(ev.ID, sub.ID)
		if i > 0 {
			id = DeliveryID(ev.ID+"#"+strconv.Itoa(i), sub.ID)
		}
		d := store.Delivery{
			ID: id, SubscriptionID: sub.ID, Tenant: ev.Tenant, EventID: ev.ID, EventType: string(ev.Type),
			Method: methodOr(strings.ToUpper(w.Method), methodOr(sub.Method, http.MethodPost)), ContentType: w.ContentType,
			URL: target, Body: w.Body, NextAttemptNS: now,
		}
		for k, vs := range w.Header {
			if len(vs) > 0 && !reservedHeader(k) {
				if d.Header == nil {
					d.Header = map[string]string{}
				}
				d.Header[http.CanonicalHeaderKey(k)] = vs[0]
			}
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// webhookTarget is where a rendered request goes: "" when it is the
// subscription's URL; otherwise it must be one of the subscription's
// checked Attrs URLs (with any query of its own).
func webhookTarget(sub store.Subscription, raw string) (string, error) {
	if raw == "" || raw == sub.URL {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("url %q is not an absolute http(s) URL", raw)
	}
	base := *u
	base.RawQuery, base.Fragment = "", ""
	for _, v := range append([]string{sub.URL}, attrValues(sub.Attrs)...) {
		if v == raw || sameEndpoint(v, base) {
			return raw, nil
		}
	}
	return "", fmt.Errorf("url %q is neither the subscription's URL nor one of its attrs", raw)
}

func attrValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func sameEndpoint(v string, base url.URL) bool {
	u, err := url.Parse(v)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host) && u.Path == base.Path
}

// reservedHeader names headers the sender sets itself.
func reservedHeader(k string) bool {
	switch strings.ToLower(k) {
	case "webhook-id", "webhook-timestamp", "webhook-signature", "host", "content-length", "user-agent":
		return true
	}
	return false
}
