package hostapi

import (
	"context"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/acd"
)

func queueConfig(q store.Queue) acd.QueueConfig {
	c := q.Config
	c.ID, c.Tenant = store.ACDID(q.ID), q.Tenant
	return c
}

func agentConfig(a store.Agent) acd.AgentConfig {
	c := a.Config
	c.ID, c.Tenant = store.ACDID(a.ID), a.Tenant
	return c
}

// PutQueue creates a queue (empty q.ID: the store assigns the id) or
// replaces one of the account's queues.
func (h *Host) PutQueue(ctx context.Context, account string, q acd.QueueConfig) (acd.QueueConfig, error) {
	if _, err := h.account(ctx, account); err != nil {
		return acd.QueueConfig{}, err
	}
	qs := h.svc.cfg.Queues
	if q.ID == "" {
		stored, err := qs.CreateQueue(ctx, account, "", "", q)
		if err != nil {
			return acd.QueueConfig{}, translate(err)
		}
		return queueConfig(stored), nil
	}
	id, err := parseID("queue", q.ID)
	if err != nil {
		return acd.QueueConfig{}, err
	}
	stored, err := qs.Queue(ctx, account, id)
	if err != nil {
		return acd.QueueConfig{}, translate(err)
	}
	stored.Config = q
	if stored, err = qs.UpdateQueue(ctx, stored); err != nil {
		return acd.QueueConfig{}, translate(err)
	}
	return queueConfig(stored), nil
}

// GetQueue returns one of the account's queues.
func (h *Host) GetQueue(ctx context.Context, account, id string) (acd.QueueConfig, error) {
	if _, err := h.account(ctx, account); err != nil {
		return acd.QueueConfig{}, err
	}
	n, err := parseID("queue", id)
	if err != nil {
		return acd.QueueConfig{}, err
	}
	q, err := h.svc.cfg.Queues.Queue(ctx, account, n)
	if err != nil {
		return acd.QueueConfig{}, translate(err)
	}
	return queueConfig(q), nil
}

// ListQueues lists the account's queues.
func (h *Host) ListQueues(ctx context.Context, account string) ([]acd.QueueConfig, error) {
	if _, err := h.account(ctx, account); err != nil {
		return nil, err
	}
	qs, err := h.svc.cfg.Queues.Queues(ctx, account)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]acd.QueueConfig, 0, len(qs))
	for _, q := range qs {
		out = append(out, queueConfig(q))
	}
	return out, nil
}

// DeleteQueue removes one of the account's queues.
func (h *Host) DeleteQueue(ctx context.Context, account, id string) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	n, err := parseID("queue", id)
	if err != nil {
		return err
	}
	return translate(h.svc.cfg.Queues.DeleteQueue(ctx, account, n))
}

func (h *Host) status(ctx context.Context, account, id string) (acd.QueueStatus, []acd.Member, error) {
	if _, err := h.account(ctx, account); err != nil {
		return acd.QueueStatus{}, nil, err
	}
	n, err := parseID("queue", id)
	if err != nil {
		return acd.QueueStatus{}, nil, err
	}
	st, ms, err := h.svc.cfg.Queues.Status(ctx, account, n)
	return st, ms, translate(err)
}

// QueueStatus reports a queue's counters, live from the ACD.
func (h *Host) QueueStatus(ctx context.Context, account, id string) (acd.QueueStatus, error) {
	st, _, err := h.status(ctx, account, id)
	return st, err
}

// QueueMembers lists a queue's callers in service order.
func (h *Host) QueueMembers(ctx context.Context, account, id string) ([]acd.Member, error) {
	_, ms, err := h.status(ctx, account, id)
	return ms, err
}

// PutAgent creates an agent (logged out; empty a.ID: the store assigns the
// id) or replaces one of the account's agents, keeping its status.
func (h *Host) PutAgent(ctx context.Context, account string, a acd.AgentConfig) (acd.AgentConfig, error) {
	if _, err := h.account(ctx, account); err != nil {
		return acd.AgentConfig{}, err
	}
	qs := h.svc.cfg.Queues
	if a.ID == "" {
		stored, err := qs.CreateAgent(ctx, account, a, "", nil)
		if err != nil {
			return acd.AgentConfig{}, translate(err)
		}
		return agentConfig(stored), nil
	}
	id, err := parseID("agent", a.ID)
	if err != nil {
		return acd.AgentConfig{}, err
	}
	stored, err := qs.Agent(ctx, account, id)
	if err != nil {
		return acd.AgentConfig{}, translate(err)
	}
	stored.Config, stored.Type = a, a.Type
	if stored, err = qs.UpdateAgent(ctx, stored, "api"); err != nil {
		return acd.AgentConfig{}, translate(err)
	}
	return agentConfig(stored), nil
}

// GetAgent reports one of the account's agents, live from the ACD.
func (h *Host) GetAgent(ctx context.Context, account, id string) (acd.AgentInfo, error) {
	if _, err := h.account(ctx, account); err != nil {
		return acd.AgentInfo{}, err
	}
	n, err := parseID("agent", id)
	if err != nil {
		return acd.AgentInfo{}, err
	}
	info, err := h.svc.cfg.Queues.AgentState(ctx, account, n)
	return info, translate(err)
}

// ListAgents reports every agent of the account.
func (h *Host) ListAgents(ctx context.Context, account string) ([]acd.AgentInfo, error) {
	if _, err := h.account(ctx, account); err != nil {
		return nil, err
	}
	as, err := h.svc.cfg.Queues.Agents(ctx, account, "")
	if err != nil {
		return nil, translate(err)
	}
	out := make([]acd.AgentInfo, 0, len(as))
	for _, a := range as {
		info, err := h.svc.cfg.Queues.AgentState(ctx, account, a.ID)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, info)
	}
	return out, nil
}

// DeleteAgent removes one of the account's agents.
func (h *Host) DeleteAgent(ctx context.Context, account, id string, removeFromQueues bool) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	n, err := parseID("agent", id)
	if err != nil {
		return err
	}
	if err := h.svc.cfg.Queues.DeleteAgent(ctx, account, n, removeFromQueues); err != nil {
		return translate(err)
	}
	return h.dropSubscriptions(ctx, account, func(s store.Subscription) bool { return s.Agent == id })
}

// SetAgentStatus changes an agent's status.
func (h *Host) SetAgentStatus(ctx context.Context, account, agent string, status acd.Status, source string) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	n, err := parseID("agent", agent)
	if err != nil {
		return err
	}
	if source == "" {
		source = "api"
	}
	return translate(h.svc.cfg.Queues.SetAgentStatus(ctx, account, n, status, source))
}

// PutTier puts one of the account's agents in one of its queues.
func (h *Host) PutTier(ctx context.Context, account string, t acd.Tier) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	q, err := parseID("queue", t.Queue)
	if err != nil {
		return err
	}
	a, err := parseID("agent", t.Agent)
	if err != nil {
		return err
	}
	return translate(h.svc.cfg.Queues.SetTier(ctx, account, store.Tier{QueueID: q, AgentID: a, Level: t.Level, Position: t.Position}))
}

// DeleteTier takes an agent out of a queue.
func (h *Host) DeleteTier(ctx context.Context, account, queue, agent string) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	q, err := parseID("queue", queue)
	if err != nil {
		return err
	}
	a, err := parseID("agent", agent)
	if err != nil {
		return err
	}
	return translate(h.svc.cfg.Queues.RemoveTier(ctx, account, q, a))
}

// ListTiers lists a queue's agents.
func (h *Host) ListTiers(ctx context.Context, account, queue string) ([]acd.Tier, error) {
	if _, err := h.account(ctx, account); err != nil {
		return nil, err
	}
	q, err := parseID("queue", queue)
	if err != nil {
		return nil, err
	}
	ts, err := h.svc.cfg.Queues.Tiers(ctx, account, q)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]acd.Tier, 0, len(ts))
	for _, t := range ts {
		out = append(out, acd.Tier{Queue: store.ACDID(t.QueueID), Agent: store.ACDID(t.AgentID), Level: t.Level, Position: t.Position})
	}
	return out, nil
}
