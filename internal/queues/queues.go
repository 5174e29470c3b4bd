// Package queues is the tenant-facing management of the ACD: queues, agents
// and tiers kept in the database and in the running engine at once, so what
// a tenant configures survives a restart and takes effect immediately. The
// dialect plugins' host API and the dashboard call it; every method is
// scoped to one tenant, and another tenant's objects are not found.
package queues

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Engine is what the service needs of the running ACD: *acd.Engine.
type Engine interface {
	Do(ctx context.Context, cmd acd.Command) error
	Read(ctx context.Context, f func(v acd.View, now time.Time)) error
}

// Service manages queues, agents and tiers.
type Service struct {
	db     *store.DB
	engine Engine
	now    func() time.Time
}

// New returns a Service over db and engine; now defaults to time.Now.
func New(db *store.DB, engine Engine, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, engine: engine, now: now}
}

// Restore loads the stored configuration into the engine (at start-up).
func (s *Service) Restore(ctx context.Context) (int, error) {
	cmds, err := s.db.ACDCommands(ctx)
	if err != nil {
		return 0, err
	}
	for _, c := range cmds {
		if err := s.engine.Do(ctx, c); err != nil {
			return 0, fmt.Errorf("restore %T: %w", c, err)
		}
	}
	return len(cmds), nil
}

// CreateQueue stores and starts a queue. cfg.ID is ignored: the store assigns it.
func (s *Service) CreateQueue(ctx context.Context, tenant, name, label string, cfg acd.QueueConfig) (store.Queue, error) {
	cfg.ID, cfg.Tenant = "new", tenant
	if err := cfg.Validate(); err != nil {
		return store.Queue{}, err
	}
	q := store.Queue{Tenant: tenant, Name: name, Label: label, Config: cfg}
	if err := s.db.CreateQueue(ctx, &q, s.now()); err != nil {
		return store.Queue{}, err
	}
	if err := s.engine.Do(ctx, acd.AddQueue{Config: q.Config}); err != nil {
		_ = s.db.DeleteQueue(ctx, tenant, q.ID)
		return store.Queue{}, err
	}
	return q, nil
}

// UpdateQueue reconfigures a queue (name, label and configuration).
func (s *Service) UpdateQueue(ctx context.Context, q store.Queue) (store.Queue, error) {
	q.Config.ID, q.Config.Tenant = store.ACDID(q.ID), q.Tenant
	if err := q.Config.Validate(); err != nil {
		return store.Queue{}, err
	}
	if _, err := s.db.Queue(ctx, q.Tenant, q.ID); err != nil {
		return store.Queue{}, err
	}
	if err := s.engine.Do(ctx, acd.AddQueue{Config: q.Config}); err != nil {
		return store.Queue{}, err
	}
	if err := s.db.UpdateQueue(ctx, &q, s.now()); err != nil {
		return store.Queue{}, err
	}
	return q, nil
}

// ErrAmbiguousQueue: a queue name used by several queues cannot route calls.
var ErrAmbiguousQueue = errors.New("queue name used by several queues")

// ResolveInbound turns the queue argument of an inbound call (the dialplan's
// Stasis(<app>,queue,<queue>)) into the engine's queue id: a stored queue's
// id, or the name of exactly one queue.
func (s *Service) ResolveInbound(ctx context.Context, arg string) (string, error) {
	if id, err := store.ParseACDID(arg); err == nil {
		var known bool
		if err := s.engine.Read(ctx, func(v acd.View, _ time.Time) { _, qerr := v.Queue(store.ACDID(id)); known = qerr == nil }); err != nil {
			return "", err
		}
		if known {
			return store.ACDID(id), nil
		}
	}
	qs, err := s.db.QueuesNamed(ctx, arg)
	if err != nil {
		return "", err
	}
	switch len(qs) {
	case 0:
		return "", fmt.Errorf("queue %q: %w", arg, store.ErrNotFound)
	case 1:
		return store.ACDID(qs[0].ID), nil
	}
	return "", fmt.Errorf("queue %q: %w", arg, ErrAmbiguousQueue)
}

// Queue returns a tenant's queue.
func (s *Service) Queue(ctx context.Context, tenant string, id int64) (store.Queue, error) {
	return s.db.Queue(ctx, tenant, id)
}

// Queues lists a tenant's queues.
func (s *Service) Queues(ctx context.Context, tenant string) ([]store.Queue, error) {
	return s.db.Queues(ctx, tenant)
}

// DeleteQueue removes a queue; its waiting callers are hung up.
func (s *Service) DeleteQueue(ctx context.Context, tenant string, id int64) error {
	if _, err := s.db.Queue(ctx, tenant, id); err != nil {
		return err
	}
	if err := s.engine.Do(ctx, acd.RemoveQueue{Queue: store.ACDID(id)}); err != nil && !errors.Is(err, acd.ErrUnknownQueue) {
		return err
	}
	return s.db.DeleteQueue(ctx, tenant, id)
}

// CreateAgent stores and adds an agent (logged out unless status says otherwise).
func (s *Service) CreateAgent(ctx context.Context, tenant string, cfg acd.AgentConfig, status acd.Status, extra map[string]string) (store.Agent, error) {
	cfg.ID, cfg.Tenant = "new", tenant
	if err := cfg.Validate(); err != nil {
		return store.Agent{}, err
	}
	if status == "" {
		status = acd.LoggedOut
	}
	if _, err := acd.ParseStatus(string(status)); err != nil {
		return store.Agent{}, err
	}
	a := store.Agent{Tenant: tenant, Config: cfg, Status: acd.LoggedOut, Extra: extra}
	if err := s.db.CreateAgent(ctx, &a, s.now()); err != nil {
		return store.Agent{}, err
	}
	if err := s.engine.Do(ctx, acd.AddAgent{Config: a.Config}); err != nil {
		_ = s.db.DeleteAgent(ctx, tenant, a.ID)
		return store.Agent{}, err
	}
	if status != acd.LoggedOut {
		if err := s.SetAgentStatus(ctx, tenant, a.ID, status, "api"); err != nil {
			return store.Agent{}, err
		}
		a.Status = status
	}
	return a, nil
}

// UpdateAgent reconfigures an agent; a changed status is applied as by SetAgentStatus.
func (s *Service) UpdateAgent(ctx context.Context, a store.Agent, source string) (store.Agent, error) {
	a.Config.ID, a.Config.Tenant = store.ACDID(a.ID), a.Tenant
	if err := a.Config.Validate(); err != nil {
		return store.Agent{}, err
	}
	old, err := s.db.Agent(ctx, a.Tenant, a.ID)
	if err != nil {
		return store.Agent{}, err
	}
	if a.Status == "" {
		a.Status = old.Status
	}
	if _, err := acd.ParseStatus(string(a.Status)); err != nil {
		return store.Agent{}, err
	}
	if err := s.engine.Do(ctx, acd.AddAgent{Config: a.Config}); err != nil {
		return store.Agent{}, err
	}
	status := a.Status
	a.Status = old.Status
	if err := s.db.UpdateAgent(ctx, &a, s.now()); err != nil {
		return store.Agent{}, err
	}
	if status != old.Status {
		if err := s.SetAgentStatus(ctx, a.Tenant, a.ID, status, source); err != nil {
			return store.Agent{}, err
		}
		a.Status = status
	}
	return a, nil
}

// SetAgentStatus logs an agent in or out or puts it on break. source is
// who did it (api, phone, supervisor) and is carried on the agent event.
func (s *Service) SetAgentStatus(ctx context.Context, tenant string, id int64, status acd.Status, source string) error {
	if _, err := acd.ParseStatus(string(status)); err != nil {
		return err
	}
	if _, err := s.db.Agent(ctx, tenant, id); err != nil {
		return err
	}
	if err := s.engine.Do(ctx, acd.SetAgentStatus{Agent: store.ACDID(id), Status: status, Source: source}); err != nil {
		return err
	}
	return s.db.SetAgentStatus(ctx, id, status, s.now())
}

// Agent returns a tenant's agent.
func (s *Service) Agent(ctx context.Context, tenant string, id int64) (store.Agent, error) {
	return s.db.Agent(ctx, tenant, id)
}

// Agents lists a tenant's agents, optionally of one type.
func (s *Service) Agents(ctx context.Context, tenant string, typ acd.AgentType) ([]store.Agent, error) {
	return s.db.Agents(ctx, tenant, typ)
}

// ErrAgentInQueues: the agent is in queues and was not to be removed from them.
var ErrAgentInQueues = acd.ErrAgentInQueues

// DeleteAgent removes an agent; with removeFromQueues false it fails with
// ErrAgentInQueues while the agent is in any queue (ringme's rule).
func (s *Service) DeleteAgent(ctx context.Context, tenant string, id int64, removeFromQueues bool) error {
	if _, err := s.db.Agent(ctx, tenant, id); err != nil {
		return err
	}
	if !removeFromQueues {
		ts, err := s.db.Tiers(ctx, 0, id)
		if err != nil {
			return err
		}
		if len(ts) > 0 {
			return fmt.Errorf("agent %d: %w", id, ErrAgentInQueues)
		}
	}
	if err := s.engine.Do(ctx, acd.RemoveAgent{Agent: store.ACDID(id), RemoveFromQueues: true}); err != nil && !errors.Is(err, acd.ErrUnknownAgent) {
		return err
	}
	return s.db.DeleteAgent(ctx, tenant, id)
}

// SetTier puts a tenant's agent in a tenant's queue at level and position.
func (s *Service) SetTier(ctx context.Context, tenant string, t store.Tier) error {
	at := acd.Tier{Queue: store.ACDID(t.QueueID), Agent: store.ACDID(t.AgentID), Level: t.Level, Position: t.Position}
	if err := at.Validate(); err != nil {
		return err
	}
	if err := s.db.SetTier(ctx, tenant, t); err != nil {
		return err
	}
	return s.engine.Do(ctx, acd.SetTier{Tier: at})
}

// RemoveTier takes an agent out of a queue.
func (s *Service) RemoveTier(ctx context.Context, tenant string, queueID, agentID int64) error {
	if err := s.db.RemoveTier(ctx, tenant, queueID, agentID); err != nil {
		return err
	}
	if err := s.engine.Do(ctx, acd.RemoveTier{Queue: store.ACDID(queueID), Agent: store.ACDID(agentID)}); err != nil && !errors.Is(err, acd.ErrUnknownTier) {
		return err
	}
	return nil
}

// Tiers lists a tenant's queue's tiers.
func (s *Service) Tiers(ctx context.Context, tenant string, queueID int64) ([]store.Tier, error) {
	if _, err := s.db.Queue(ctx, tenant, queueID); err != nil {
		return nil, err
	}
	return s.db.Tiers(ctx, queueID, 0)
}

// Status reports a tenant's queue's counters and members, live from the engine.
func (s *Service) Status(ctx context.Context, tenant string, queueID int64) (acd.QueueStatus, []acd.Member, error) {
	if _, err := s.db.Queue(ctx, tenant, queueID); err != nil {
		return acd.QueueStatus{}, nil, err
	}
	var (
		st      acd.QueueStatus
		members []acd.Member
		rerr    error
	)
	err := s.engine.Read(ctx, func(v acd.View, now time.Time) {
		if st, rerr = v.QueueStatus(store.ACDID(queueID)); rerr != nil {
			return
		}
		members, rerr = v.Members(store.ACDID(queueID), now)
	})
	if err != nil {
		return acd.QueueStatus{}, nil, err
	}
	return st, members, rerr
}

// AgentState reports an agent's live state from the engine.
func (s *Service) AgentState(ctx context.Context, tenant string, id int64) (acd.AgentInfo, error) {
	if _, err := s.db.Agent(ctx, tenant, id); err != nil {
		return acd.AgentInfo{}, err
	}
	var (
		info acd.AgentInfo
		rerr error
	)
	if err := s.engine.Read(ctx, func(v acd.View, _ time.Time) { info, rerr = v.Agent(store.ACDID(id)) }); err != nil {
		return acd.AgentInfo{}, err
	}
	return info, rerr
}

// Sink keeps the stored agent statuses in step with the engine, which also
// changes them by itself (max_no_answer puts an agent on break). Its
// signature fits bus.SinkFunc.
func (s *Service) Sink(ctx context.Context, events []event.Event) error {
	for _, e := range events {
		if e.Type != event.AgentStatusChanged || e.Source != "system" {
			continue
		}
		id, err := store.ParseACDID(e.Agent)
		if err != nil {
			continue // not a stored agent
		}
		if err := s.db.SetAgentStatus(ctx, id, acd.Status(e.To), s.now()); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}
