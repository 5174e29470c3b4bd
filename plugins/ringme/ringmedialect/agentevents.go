package ringmedialect

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// AgentEventRequest is the body of POST and PUT
// /client/{client_id}/agent/{local|remote}/{agent_id}/event/…: all three
// are required when adding; PUT changes the ones sent.
type AgentEventRequest struct {
	URL       *string `json:"url"`
	EventType *string `json:"event_type"`
	Method    *string `json:"method"`
}

// AgentEvent is the vendor's agent event registration.
type AgentEvent struct {
	URL       string `json:"url"`
	ID        wireID `json:"id"`
	Method    string `json:"method"`
	EventType string `json:"event_type"`
}

// Attrs of an agent event subscription (see AgentEventFormat).
const (
	attrID            = "id"
	attrAgentID       = "agent_id"
	attrAgentType     = "agent_type"
	attrAgentNumber   = "agent_number"
	attrExtensionName = "extension_name"
)

// maxURL bounds the webhook URLs a client registers.
const maxURL = 2048

// nextID hands out one of the vendor's numeric ids for objects the host
// names with its own strings (agent-event registrations, tasks): the count
// of the account's plugin-state key, kept above inUse (the highest id
// stored, for objects made before the counter), so no id is given twice —
// not after a deletion, a plugin restart or by two plugin processes.
func nextID(ctx context.Context, host dialect.Host, account, key string, inUse int64) (int64, error) {
	n, err := host.AddState(ctx, account, "id:"+key, 1, 0)
	if err != nil {
		return 0, fmt.Errorf("next %s id: %w", key, err)
	}
	if n <= inUse {
		if n, err = host.AddState(ctx, account, "id:"+key, inUse-n+1, 0); err != nil {
			return 0, fmt.Errorf("next %s id: %w", key, err)
		}
	}
	return n, nil
}

// checkWebhookURL checks a URL a client registers: absolute http(s). The
// host checks the address policy when the subscription is stored.
func checkWebhookURL(field, u string) error {
	if len(u) > maxURL {
		return &dialect.FieldError{Field: field, Reason: fmt.Sprintf("must be at most %d bytes", maxURL)}
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return &dialect.FieldError{Field: field, Value: u, Reason: "must be an absolute http or https URL"}
	}
	return nil
}

// apply checks r and sets what it carries on sub.
func (r AgentEventRequest) apply(sub *dialect.Subscription, creating bool) error {
	if creating {
		for _, f := range []struct {
			name string
			v    *string
		}{{"url", r.URL}, {"event_type", r.EventType}, {"method", r.Method}} {
			if f.v == nil || *f.v == "" {
				return &dialect.FieldError{Field: f.name, Reason: "is required"}
			}
		}
	}
	if r.URL != nil {
		if err := checkWebhookURL("url", *r.URL); err != nil {
			return err
		}
		sub.URL = *r.URL
	}
	if r.EventType != nil {
		if *r.EventType != AgentLogin && *r.EventType != AgentLogout {
			return &dialect.FieldError{Field: "event_type", Value: *r.EventType, Reason: "must be agent-login or agent-logout"}
		}
		sub.Events = []string{*r.EventType}
	}
	if r.Method != nil {
		m := strings.ToUpper(*r.Method)
		if m != http.MethodGet && m != http.MethodPost {
			return &dialect.FieldError{Field: "method", Value: *r.Method, Reason: "must be GET or POST"}
		}
		sub.Method = m
	}
	return nil
}

func agentEventOf(s dialect.Subscription) AgentEvent {
	ev := ""
	if len(s.Events) > 0 {
		ev = s.Events[0]
	}
	return AgentEvent{URL: s.URL, ID: wireID(s.Attrs[attrID]), Method: s.Method, EventType: ev}
}

// agentAttrs are what an agent event's payload says about the agent,
// kept in its subscriptions' Attrs (RenderEvent cannot ask the host).
func (d *Dialect) agentAttrs(a acd.AgentConfig) map[string]string {
	m := map[string]string{attrAgentID: a.ID}
	if a.Type == acd.RemoteAgent {
		m[attrAgentType] = "remote"
		m[attrAgentNumber] = a.Number
	} else {
		m[attrAgentType] = "local"
		m[attrExtensionName] = extensionPrefix + zeroPad(a.Extension, 3) + "@" + d.cfg.ExtensionDomain
	}
	return m
}

// hostPage is the page size used to read a whole list from the host (its
// largest).
const hostPage = 1000

// maxPages bounds the pages read of one list (a host that ignores paging
// must not loop us forever).
const maxPages = 1000

// eachPage reads a paged host list: next reads the page of token and
// returns the following page's token, "" after the last page.
func eachPage(next func(token string) (string, error)) error {
	token := ""
	for range maxPages {
		var err error
		if token, err = next(token); err != nil || token == "" {
			return err
		}
	}
	return nil
}

// subscriptions returns every subscription of the account in the format
// the filter and keep select. The host's ListSubscriptions gives no next
// token: pages are asked for by offset, as the host's tokens are, until one
// is short.
func (c *call) subscriptions(ctx context.Context, filter map[string]string, keep func(dialect.Subscription) bool) ([]dialect.Subscription, error) {
	var out []dialect.Subscription
	for page := range maxPages {
		p := dialect.Page{Size: hostPage, Filter: filter}
		if page > 0 {
			p.Token = strconv.Itoa(page * hostPage)
		}
		subs, err := c.host.ListSubscriptions(ctx, c.acct.ID, p)
		if err != nil {
			return nil, err
		}
		for _, s := range subs.Subscriptions {
			if keep(s) {
				out = append(out, s)
			}
		}
		if len(subs.Subscriptions) < hostPage {
			break
		}
	}
	return out, nil
}

// agentEventSubs returns the agent's event registrations, by id.
func (c *call) agentEventSubs(ctx context.Context, agent string) ([]dialect.Subscription, error) {
	all, err := c.subscriptions(ctx, nil, func(s dialect.Subscription) bool { return s.Format == AgentEventFormat })
	if err != nil {
		return nil, err
	}
	return ofAgent(all, agent), nil
}

// ofAgent picks agent's registrations out of subs, by id.
func ofAgent(subs []dialect.Subscription, agent string) []dialect.Subscription {
	out := slices.DeleteFunc(slices.Clone(subs), func(s dialect.Subscription) bool { return s.Attrs[attrAgentID] != agent })
	slices.SortFunc(out, func(a, b dialect.Subscription) int { return compareIDs(a.Attrs[attrID], b.Attrs[attrID]) })
	return out
}

// agentEvents serves /client/{client_id}/agent/{typ}/{agent}/event/[{id}].
func (c *call) agentEvents(ctx context.Context, typ, agent, id string) dialect.Response {
	m := c.req.Method
	if id == "" && m != http.MethodGet && m != http.MethodPost {
		return methodNotAllowed(http.MethodGet, http.MethodPost)
	}
	if id != "" && m != http.MethodGet && m != http.MethodPut && m != http.MethodDelete {
		return methodNotAllowed(http.MethodGet, http.MethodPut, http.MethodDelete)
	}
	info, err := c.agent(ctx, typ, agent)
	if err != nil {
		return fail(err, "agent")
	}
	all, err := c.subscriptions(ctx, nil, func(s dialect.Subscription) bool { return s.Format == AgentEventFormat })
	if err != nil {
		return fail(err, "agent event")
	}
	if id == "" && m == http.MethodPost {
		return c.createAgentEvent(ctx, info.Config, all)
	}
	subs := ofAgent(all, agent)
	if id == "" {
		out := make([]AgentEvent, 0, len(subs))
		for _, s := range subs {
			out = append(out, agentEventOf(s))
		}
		return reply(http.StatusOK, out)
	}
	i := slices.IndexFunc(subs, func(s dialect.Subscription) bool { return s.Attrs[attrID] == id })
	if i < 0 {
		return notFound("agent event")
	}
	sub := subs[i]
	switch m {
	case http.MethodGet:
		return reply(http.StatusOK, agentEventOf(sub))
	case http.MethodDelete:
		if err := c.host.DeleteSubscription(ctx, c.acct.ID, sub.ID); err != nil {
			return fail(err, "agent event")
		}
		return dialect.Response{Status: http.StatusNoContent}
	}
	var in AgentEventRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "agent event")
	}
	if err := in.apply(&sub, false); err != nil {
		return fail(err, "agent event")
	}
	scopeToAgent(&sub, info.Config.ID)
	sub.Attrs = c.d.agentAttrs(info.Config)
	sub.Attrs[attrID] = id
	stored, err := c.host.PutSubscription(ctx, c.acct.ID, sub)
	if err != nil {
		return fail(err, "agent event")
	}
	return reply(http.StatusOK, agentEventOf(stored))
}

// createAgentEvent adds a registration for agent a; all are the client's
// registrations (their ids are in use).
func (c *call) createAgentEvent(ctx context.Context, a acd.AgentConfig, all []dialect.Subscription) dialect.Response {
	var in AgentEventRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "agent event")
	}
	sub := dialect.Subscription{Format: AgentEventFormat}
	scopeToAgent(&sub, a.ID)
	if err := in.apply(&sub, true); err != nil {
		return fail(err, "agent event")
	}
	var inUse int64
	for _, s := range all {
		if n, err := strconv.ParseInt(s.Attrs[attrID], 10, 64); err == nil {
			inUse = max(inUse, n)
		}
	}
	sub.Attrs = c.d.agentAttrs(a)
	id, err := nextID(ctx, c.host, c.acct.ID, "agent_event", inUse)
	if err != nil {
		return fail(err, "agent event")
	}
	sub.Attrs[attrID] = strconv.FormatInt(id, 10)
	stored, err := c.host.PutSubscription(ctx, c.acct.ID, sub)
	if err != nil {
		return fail(err, "agent event")
	}
	return reply(http.StatusCreated, agentEventOf(stored))
}

// scopeToAgent has the host offer sub only the agent's status changes.
func scopeToAgent(sub *dialect.Subscription, agent string) {
	sub.Agent = agent
	sub.EventTypes = []string{string(event.AgentStatusChanged)}
}

// refreshAgentEvents rewrites the agent's registrations after the agent
// changed (its number or extension is in their payloads).
func (c *call) refreshAgentEvents(ctx context.Context, a acd.AgentConfig) error {
	subs, err := c.agentEventSubs(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, s := range subs {
		attrs := c.d.agentAttrs(a)
		attrs[attrID] = s.Attrs[attrID]
		if maps.Equal(attrs, s.Attrs) {
			continue
		}
		s.Attrs = attrs
		scopeToAgent(&s, a.ID)
		if _, err := c.host.PutSubscription(ctx, c.acct.ID, s); err != nil {
			return err
		}
	}
	return nil
}

// dropAgentEvents removes a deleted agent's registrations.
func (c *call) dropAgentEvents(ctx context.Context, agent string) error {
	subs, err := c.agentEventSubs(ctx, agent)
	if err != nil {
		return err
	}
	for _, s := range subs {
		if err := c.host.DeleteSubscription(ctx, c.acct.ID, s.ID); err != nil {
			return err
		}
	}
	return nil
}
