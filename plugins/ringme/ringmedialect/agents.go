package ringmedialect

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// AgentRequest is the body of POST and PUT /client/{client_id}/agent/{local|remote}/….
// extension_id is a local agent's, number a remote agent's.
type AgentRequest struct {
	BusyDelayTime     *int64      `json:"busy_delay_time"`
	CallTimeout       *int64      `json:"call_timeout"`
	ExtensionID       *int64      `json:"extension_id"`
	Number            *flexString `json:"number"`
	NoAnswerDelayTime *int64      `json:"no_answer_delay_time"`
	RejectDelayTime   *int64      `json:"reject_delay_time"`
	Status            *string     `json:"status"`
	WrapUpTime        *int64      `json:"wrap_up_time"`
	Name              *string     `json:"name"`
	ExtraParams       *string     `json:"extra_params"`
}

// LocalAgent is the vendor's local agent object.
type LocalAgent struct {
	Status            string  `json:"status"`
	Name              *string `json:"name"`
	BusyDelayTime     int64   `json:"busy_delay_time"`
	NoAnswerDelayTime int64   `json:"no_answer_delay_time"`
	CallTimeout       int64   `json:"call_timeout"`
	WrapUpTime        int64   `json:"wrap_up_time"`
	ExtensionID       wireID  `json:"extension_id"`
	RejectDelayTime   int64   `json:"reject_delay_time"`
	ExtraParams       *string `json:"extra_params"`
	ID                wireID  `json:"id"`
}

// RemoteAgent is the vendor's remote (external) agent object.
type RemoteAgent struct {
	BusyDelayTime     int64   `json:"busy_delay_time"`
	CallTimeout       int64   `json:"call_timeout"`
	ExtraParams       *string `json:"extra_params"`
	ID                wireID  `json:"id"`
	Name              *string `json:"name"`
	NoAnswerDelayTime int64   `json:"no_answer_delay_time"`
	Number            string  `json:"number"`
	RejectDelayTime   int64   `json:"reject_delay_time"`
	Status            string  `json:"status"`
	WrapUpTime        int64   `json:"wrap_up_time"`
}

func agentOf(info acd.AgentInfo) any {
	a := info.Config
	var name *string
	if a.Name != "" {
		name = &a.Name
	}
	status := string(info.Status)
	if status == "" {
		status = string(acd.LoggedOut)
	}
	if a.Type == acd.RemoteAgent {
		return RemoteAgent{BusyDelayTime: secs(a.BusyDelayTime), CallTimeout: secs(a.CallTimeout), ID: wireID(a.ID), Name: name,
			NoAnswerDelayTime: secs(a.NoAnswerDelayTime), Number: a.Number, RejectDelayTime: secs(a.RejectDelayTime),
			Status: status, WrapUpTime: secs(a.WrapUpTime)}
	}
	return LocalAgent{Status: status, Name: name, BusyDelayTime: secs(a.BusyDelayTime), NoAnswerDelayTime: secs(a.NoAnswerDelayTime),
		CallTimeout: secs(a.CallTimeout), WrapUpTime: secs(a.WrapUpTime), ExtensionID: wireID(a.Extension),
		RejectDelayTime: secs(a.RejectDelayTime), ID: wireID(a.ID)}
}

// apply sets the fields r carries on a (of type typ), checking each, and
// returns the status to set, if any.
func (r AgentRequest) apply(a *acd.AgentConfig, region string) (*acd.Status, error) {
	if r.ExtraParams != nil && *r.ExtraParams != "" {
		return nil, &dialect.FieldError{Field: "extra_params", Reason: "is not supported by this server yet"}
	}
	switch a.Type {
	case acd.LocalAgent:
		if r.Number != nil {
			return nil, &dialect.FieldError{Field: "number", Reason: "is a remote agent's parameter; a local agent has extension_id"}
		}
		if r.ExtensionID != nil {
			if *r.ExtensionID <= 0 {
				return nil, &dialect.FieldError{Field: "extension_id", Value: strconv.FormatInt(*r.ExtensionID, 10), Reason: "must be a positive extension id"}
			}
			a.Extension = strconv.FormatInt(*r.ExtensionID, 10)
		}
		if a.Extension == "" {
			return nil, &dialect.FieldError{Field: "extension_id", Reason: "is required for a local agent"}
		}
	case acd.RemoteAgent:
		if r.ExtensionID != nil {
			return nil, &dialect.FieldError{Field: "extension_id", Reason: "is a local agent's parameter; a remote agent has number"}
		}
		if r.Number != nil {
			n := strings.TrimSpace(string(*r.Number))
			if err := checkNumber(n, region); err != nil {
				return nil, err
			}
			a.Number = n
		}
		if a.Number == "" {
			return nil, &dialect.FieldError{Field: "number", Reason: "is required for a remote agent"}
		}
	}
	for _, d := range []struct {
		field string
		v     *int64
		dst   *time.Duration
	}{
		{"busy_delay_time", r.BusyDelayTime, &a.BusyDelayTime},
		{"call_timeout", r.CallTimeout, &a.CallTimeout},
		{"no_answer_delay_time", r.NoAnswerDelayTime, &a.NoAnswerDelayTime},
		{"reject_delay_time", r.RejectDelayTime, &a.RejectDelayTime},
		{"wrap_up_time", r.WrapUpTime, &a.WrapUpTime},
	} {
		if d.v == nil {
			continue
		}
		v, err := seconds(d.field, *d.v)
		if err != nil {
			return nil, err
		}
		*d.dst = v
	}
	if a.CallTimeout <= 0 {
		return nil, &dialect.FieldError{Field: "call_timeout", Value: "0", Reason: "must be positive"}
	}
	if r.Name != nil {
		if len(*r.Name) > 255 {
			return nil, &dialect.FieldError{Field: "name", Reason: "must be at most 255 bytes"}
		}
		a.Name = *r.Name
	}
	if r.Status == nil {
		return nil, nil
	}
	st, err := acd.ParseStatus(*r.Status)
	if err != nil {
		return nil, &dialect.FieldError{Field: "status", Value: *r.Status, Reason: "must be available, available_on_demand, on_break or logged_out"}
	}
	return &st, nil
}

// checkNumber accepts a phone number in the account's region's national
// format or with a country code (it is stored as sent).
func checkNumber(n, region string) error {
	if n == "" {
		return &dialect.FieldError{Field: "number", Reason: "is required for a remote agent"}
	}
	if len(n) > 32 {
		return &dialect.FieldError{Field: "number", Reason: "must be at most 32 characters"}
	}
	if region == "" {
		region = "RU"
	}
	pn, err := phonenumbers.Parse(n, region)
	if err != nil || !phonenumbers.IsPossibleNumber(pn) {
		return &dialect.FieldError{Field: "number", Value: n, Reason: "is not a phone number (national format of " + region + ", or +country code)"}
	}
	return nil
}

func agentType(typ string) acd.AgentType {
	if typ == "remote" {
		return acd.RemoteAgent
	}
	return acd.LocalAgent
}

// agent returns the account's agent id of type typ; another type's id is not found.
func (c *call) agent(ctx context.Context, typ, id string) (acd.AgentInfo, error) {
	info, err := c.host.GetAgent(ctx, c.acct.ID, id)
	if err != nil {
		return acd.AgentInfo{}, err
	}
	if info.Config.Type != agentType(typ) {
		return acd.AgentInfo{}, fmt.Errorf("agent %s is not a %s agent: %w", id, typ, dialect.ErrNotFound)
	}
	return info, nil
}

func (c *call) createAgent(ctx context.Context, typ string) dialect.Response {
	var in AgentRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "agent")
	}
	a := acd.NewAgentConfig("", agentType(typ))
	st, err := in.apply(&a, c.acct.DefaultRegion)
	if err != nil {
		return fail(err, "agent")
	}
	stored, err := c.host.PutAgent(ctx, c.acct.ID, a)
	if err != nil {
		return fail(err, "agent")
	}
	return c.finishAgent(ctx, http.StatusCreated, stored.ID, st)
}

// finishAgent sets the agent's status when asked and answers with the agent as stored.
func (c *call) finishAgent(ctx context.Context, status int, id string, st *acd.Status) dialect.Response {
	if st != nil {
		if err := c.host.SetAgentStatus(ctx, c.acct.ID, id, *st, "api"); err != nil {
			return fail(err, "agent")
		}
	}
	info, err := c.host.GetAgent(ctx, c.acct.ID, id)
	if err != nil {
		return fail(err, "agent")
	}
	return reply(status, agentOf(info))
}

func (c *call) listAgents(ctx context.Context, typ string) dialect.Response {
	as, err := c.host.ListAgents(ctx, c.acct.ID)
	if err != nil {
		return fail(err, "agent")
	}
	out := []any{}
	sortAgents(as)
	for _, a := range as {
		if a.Config.Type == agentType(typ) {
			out = append(out, agentOf(a))
		}
	}
	return reply(http.StatusOK, out)
}

func sortAgents(as []acd.AgentInfo) {
	slices.SortFunc(as, func(a, b acd.AgentInfo) int { return compareIDs(a.Config.ID, b.Config.ID) })
}

// compareIDs orders numeric ids by value.
func compareIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

func (c *call) getAgent(ctx context.Context, typ, id string) dialect.Response {
	info, err := c.agent(ctx, typ, id)
	if err != nil {
		return fail(err, "agent")
	}
	return reply(http.StatusOK, agentOf(info))
}

func (c *call) updateAgent(ctx context.Context, typ, id string) dialect.Response {
	var in AgentRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "agent")
	}
	info, err := c.agent(ctx, typ, id)
	if err != nil {
		return fail(err, "agent")
	}
	a := info.Config
	st, err := in.apply(&a, c.acct.DefaultRegion)
	if err != nil {
		return fail(err, "agent")
	}
	if _, err := c.host.PutAgent(ctx, c.acct.ID, a); err != nil {
		return fail(err, "agent")
	}
	if a.Number != info.Config.Number || a.Extension != info.Config.Extension {
		if err := c.refreshAgentEvents(ctx, a); err != nil {
			return fail(err, "agent event")
		}
	}
	if st != nil && *st == info.Status {
		st = nil // no change, no event
	}
	return c.finishAgent(ctx, http.StatusOK, id, st)
}

func (c *call) deleteAgent(ctx context.Context, typ, id string) dialect.Response {
	remove := true
	if v := c.req.Query.Get("remove_from_queues"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badField("remove_from_queues", fmt.Sprintf("must be true or false (got %q)", v))
		}
		remove = b
	}
	if _, err := c.agent(ctx, typ, id); err != nil {
		return fail(err, "agent")
	}
	if err := c.host.DeleteAgent(ctx, c.acct.ID, id, remove); err != nil {
		if isPrecondition(err) {
			return errorReply(http.StatusConflict, "agent_in_queues", "remove_from_queues",
				"the agent is in at least one queue; remove it from the queues first or send remove_from_queues=true")
		}
		return fail(err, "agent")
	}
	if err := c.dropAgentEvents(ctx, id); err != nil {
		return fail(err, "agent event")
	}
	return dialect.Response{Status: http.StatusNoContent}
}
