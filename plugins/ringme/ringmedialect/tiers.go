package ringmedialect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// QueueAgentRequest is the body of POST and PUT
// /extension/{id}/queue/agents/{local|remote}/…: agent_id is required
// when adding; level and position default to 0.
type QueueAgentRequest struct {
	AgentID  *int64 `json:"agent_id"`
	Level    *int64 `json:"level"`
	Position *int64 `json:"position"`
}

// QueueAgent is an agent in a queue.
type QueueAgent struct {
	Position int    `json:"position"`
	AgentID  wireID `json:"agent_id"`
	Level    int    `json:"level"`
}

func isPrecondition(err error) bool { return errors.Is(err, dialect.ErrFailedPrecondition) }

// apply sets the level and position r carries on t.
func (r QueueAgentRequest) apply(t *acd.Tier) error {
	var err error
	if r.Level != nil {
		if t.Level, err = level("level", *r.Level); err != nil {
			return err
		}
	}
	if r.Position != nil {
		if t.Position, err = level("position", *r.Position); err != nil {
			return err
		}
	}
	return nil
}

// tiers lists the queue's agents of type typ, by level then position.
func (c *call) tiers(ctx context.Context, queue, typ string) ([]acd.Tier, error) {
	if _, err := c.host.GetQueue(ctx, c.acct.ID, queue); err != nil {
		return nil, err
	}
	ts, err := c.host.ListTiers(ctx, c.acct.ID, queue)
	if err != nil {
		return nil, err
	}
	as, err := c.host.ListAgents(ctx, c.acct.ID)
	if err != nil {
		return nil, err
	}
	types := make(map[string]acd.AgentType, len(as))
	for _, a := range as {
		types[a.Config.ID] = a.Config.Type
	}
	out := ts[:0:0]
	for _, t := range ts {
		if types[t.Agent] == agentType(typ) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b acd.Tier) int {
		return cmp.Or(cmp.Compare(a.Level, b.Level), cmp.Compare(a.Position, b.Position), compareIDs(a.Agent, b.Agent))
	})
	return out, nil
}

// tier returns agent's place in the queue.
func (c *call) tier(ctx context.Context, queue, typ, agent string) (acd.Tier, error) {
	ts, err := c.tiers(ctx, queue, typ)
	if err != nil {
		return acd.Tier{}, err
	}
	for _, t := range ts {
		if t.Agent == agent {
			return t, nil
		}
	}
	return acd.Tier{}, fmt.Errorf("%s agent %s is not in queue %s: %w", typ, agent, queue, dialect.ErrNotFound)
}

func tierOf(t acd.Tier) QueueAgent {
	return QueueAgent{Position: t.Position, AgentID: wireID(t.Agent), Level: t.Level}
}

func (c *call) listQueueAgents(ctx context.Context, queue, typ string) dialect.Response {
	ts, err := c.tiers(ctx, queue, typ)
	if err != nil {
		return fail(err, "queue")
	}
	out := make([]QueueAgent, 0, len(ts))
	for _, t := range ts {
		out = append(out, tierOf(t))
	}
	return reply(http.StatusOK, out)
}

func (c *call) addQueueAgent(ctx context.Context, queue, typ string) dialect.Response {
	var in QueueAgentRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "queue agent")
	}
	if in.AgentID == nil {
		return badField("agent_id", "is required")
	}
	agent := strconv.FormatInt(*in.AgentID, 10)
	t := acd.Tier{Queue: queue, Agent: agent}
	if err := in.apply(&t); err != nil {
		return fail(err, "queue agent")
	}
	ts, err := c.tiers(ctx, queue, typ)
	if err != nil {
		return fail(err, "queue")
	}
	if !validID(agent) {
		return badField("agent_id", fmt.Sprintf("must be the id of one of your %s agents (got %d)", typ, *in.AgentID))
	}
	if _, err := c.agent(ctx, typ, agent); errors.Is(err, dialect.ErrNotFound) {
		return badField("agent_id", fmt.Sprintf("must be the id of one of your %s agents (got %d)", typ, *in.AgentID))
	} else if err != nil {
		return fail(err, "agent")
	}
	for _, old := range ts {
		if old.Agent == agent {
			return errorReply(http.StatusConflict, "already_exists", "agent_id", "the agent is in the queue already; use PUT to change its level or position")
		}
	}
	if err := c.host.PutTier(ctx, c.acct.ID, t); err != nil {
		return fail(err, "queue agent")
	}
	return reply(http.StatusCreated, tierOf(t))
}

func (c *call) getQueueAgent(ctx context.Context, queue, typ, agent string) dialect.Response {
	t, err := c.tier(ctx, queue, typ, agent)
	if err != nil {
		return fail(err, "queue agent")
	}
	return reply(http.StatusOK, tierOf(t))
}

func (c *call) updateQueueAgent(ctx context.Context, queue, typ, agent string) dialect.Response {
	var in QueueAgentRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "queue agent")
	}
	if in.AgentID != nil && strconv.FormatInt(*in.AgentID, 10) != agent {
		return badField("agent_id", "must be the agent of the path (an agent in the queue cannot be replaced by another)")
	}
	t, err := c.tier(ctx, queue, typ, agent)
	if err != nil {
		return fail(err, "queue agent")
	}
	if err := in.apply(&t); err != nil {
		return fail(err, "queue agent")
	}
	if err := c.host.PutTier(ctx, c.acct.ID, t); err != nil {
		return fail(err, "queue agent")
	}
	return reply(http.StatusOK, tierOf(t))
}

func (c *call) deleteQueueAgent(ctx context.Context, queue, typ, agent string) dialect.Response {
	if _, err := c.tier(ctx, queue, typ, agent); err != nil {
		return fail(err, "queue agent")
	}
	if err := c.host.DeleteTier(ctx, c.acct.ID, queue, agent); err != nil {
		return fail(err, "queue agent")
	}
	return dialect.Response{Status: http.StatusNoContent}
}
