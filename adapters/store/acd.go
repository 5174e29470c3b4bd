package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-cc/switchboard/pkg/acd"
)

// The ACD's configuration is stored so that a restarted service rebuilds its
// engine: queues, agents (with their last status) and tiers. Ids are numbers;
// the engine knows them as their decimal strings (ACDID). A queue's and an
// agent's configuration is stored as the JSON of acd.QueueConfig and
// acd.AgentConfig, so their field names are part of the stored format.

// Queue is a stored ACD queue.
type Queue struct {
	bun.BaseModel `bun:"table:acd_queues"`

	ID        int64           `bun:"id,pk,autoincrement"`
	Tenant    string          `bun:"tenant,notnull"`
	Name      string          `bun:"name,notnull"`  // vendor-visible name, e.g. ringme "000*370"
	Label     string          `bun:"label,notnull"` // free text
	Config    acd.QueueConfig `bun:"config,type:json,notnull"`
	CreatedAt time.Time       `bun:"created_at,notnull"`
	UpdatedAt time.Time       `bun:"updated_at,notnull"`
}

// Agent is a stored ACD agent.
type Agent struct {
	bun.BaseModel `bun:"table:acd_agents"`

	ID     int64           `bun:"id,pk,autoincrement"`
	Tenant string          `bun:"tenant,notnull"`
	Type   acd.AgentType   `bun:"type,notnull"`
	Status acd.Status      `bun:"status,notnull"`
	Config acd.AgentConfig `bun:"config,type:json,notnull"`
	// Extra holds what a dialect keeps beside the agent (ringme extra_params).
	Extra     map[string]string `bun:"extra,type:json,notnull"`
	CreatedAt time.Time         `bun:"created_at,notnull"`
	UpdatedAt time.Time         `bun:"updated_at,notnull"`
}

// Tier is a stored agent-in-queue membership.
type Tier struct {
	bun.BaseModel `bun:"table:acd_tiers"`

	QueueID  int64 `bun:"queue_id,pk"`
	AgentID  int64 `bun:"agent_id,pk"`
	Level    int   `bun:"level,notnull"`
	Position int   `bun:"position,notnull"`
}

// ACDID is the id the engine knows a stored queue or agent by.
func ACDID(id int64) string { return strconv.FormatInt(id, 10) }

// ParseACDID is the inverse of ACDID.
func ParseACDID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, &FieldError{Field: "id", Reason: fmt.Sprintf("%q is not a positive integer", s)}
	}
	return id, nil
}

// CreateQueue stores q and gives it an id; q.Config.ID is set to match.
func (db *DB) CreateQueue(ctx context.Context, q *Queue, now time.Time) error {
	q.CreatedAt, q.UpdatedAt = now.UTC(), now.UTC()
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(q).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("store: create queue: %w", err)
		}
		q.Config.ID = ACDID(q.ID)
		if _, err := tx.NewUpdate().Model(q).Column("config").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("store: create queue: %w", err)
		}
		return nil
	})
}

// UpdateQueue overwrites a tenant's queue.
func (db *DB) UpdateQueue(ctx context.Context, q *Queue, now time.Time) error {
	q.UpdatedAt = now.UTC()
	q.Config.ID = ACDID(q.ID)
	res, err := db.NewUpdate().Model(q).Column("name", "label", "config", "updated_at").
		Where("id = ? AND tenant = ?", q.ID, q.Tenant).Exec(ctx)
	return affected(res, err, "queue", q.ID)
}

// Queue returns a tenant's queue.
func (db *DB) Queue(ctx context.Context, tenant string, id int64) (Queue, error) {
	var q Queue
	err := db.NewSelect().Model(&q).Where("id = ? AND tenant = ?", id, tenant).Scan(ctx)
	return q, notFound(err, "queue", ACDID(id))
}

// Queues lists a tenant's queues by id; tenant "" lists every tenant's.
func (db *DB) Queues(ctx context.Context, tenant string) ([]Queue, error) {
	var qs []Queue
	sel := db.NewSelect().Model(&qs).OrderExpr("id")
	if tenant != "" {
		sel = sel.Where("tenant = ?", tenant)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list queues: %w", err)
	}
	return qs, nil
}

// QueuesNamed lists the queues, of any tenant, with a name.
func (db *DB) QueuesNamed(ctx context.Context, name string) ([]Queue, error) {
	var qs []Queue
	if err := db.NewSelect().Model(&qs).Where("name = ?", name).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: queues named %q: %w", name, err)
	}
	return qs, nil
}

// DeleteQueue deletes a tenant's queue and its tiers.
func (db *DB) DeleteQueue(ctx context.Context, tenant string, id int64) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*Tier)(nil)).Where("queue_id = ?", id).
			Where("EXISTS (SELECT 1 FROM acd_queues WHERE id = ? AND tenant = ?)", id, tenant).Exec(ctx); err != nil {
			return fmt.Errorf("store: delete queue tiers: %w", err)
		}
		res, err := tx.NewDelete().Model((*Queue)(nil)).Where("id = ? AND tenant = ?", id, tenant).Exec(ctx)
		return affected(res, err, "queue", id)
	})
}

// CreateAgent stores a and gives it an id; a.Config.ID is set to match.
func (db *DB) CreateAgent(ctx context.Context, a *Agent, now time.Time) error {
	a.CreatedAt, a.UpdatedAt = now.UTC(), now.UTC()
	if a.Extra == nil {
		a.Extra = map[string]string{}
	}
	if a.Status == "" {
		a.Status = acd.LoggedOut
	}
	a.Type = a.Config.Type
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(a).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("store: create agent: %w", err)
		}
		a.Config.ID = ACDID(a.ID)
		if _, err := tx.NewUpdate().Model(a).Column("config").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("store: create agent: %w", err)
		}
		return nil
	})
}

// UpdateAgent overwrites a tenant's agent's configuration, status and extra.
func (db *DB) UpdateAgent(ctx context.Context, a *Agent, now time.Time) error {
	a.UpdatedAt = now.UTC()
	a.Config.ID = ACDID(a.ID)
	a.Type = a.Config.Type
	if a.Extra == nil {
		a.Extra = map[string]string{}
	}
	res, err := db.NewUpdate().Model(a).Column("type", "status", "config", "extra", "updated_at").
		Where("id = ? AND tenant = ?", a.ID, a.Tenant).Exec(ctx)
	return affected(res, err, "agent", a.ID)
}

// SetAgentStatus records an agent's status (any tenant: the engine changes
// statuses by itself, e.g. max_no_answer).
func (db *DB) SetAgentStatus(ctx context.Context, id int64, status acd.Status, now time.Time) error {
	res, err := db.NewUpdate().Model((*Agent)(nil)).Set("status = ?", status).Set("updated_at = ?", now.UTC()).
		Where("id = ?", id).Exec(ctx)
	return affected(res, err, "agent", id)
}

// Agent returns a tenant's agent.
func (db *DB) Agent(ctx context.Context, tenant string, id int64) (Agent, error) {
	var a Agent
	err := db.NewSelect().Model(&a).Where("id = ? AND tenant = ?", id, tenant).Scan(ctx)
	return a, notFound(err, "agent", ACDID(id))
}

// Agents lists a tenant's agents by id, optionally of one type; tenant ""
// lists every tenant's.
func (db *DB) Agents(ctx context.Context, tenant string, typ acd.AgentType) ([]Agent, error) {
	var as []Agent
	sel := db.NewSelect().Model(&as).OrderExpr("id")
	if tenant != "" {
		sel = sel.Where("tenant = ?", tenant)
	}
	if typ != "" {
		sel = sel.Where("type = ?", typ)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list agents: %w", err)
	}
	return as, nil
}

// DeleteAgent deletes a tenant's agent and its tiers.
func (db *DB) DeleteAgent(ctx context.Context, tenant string, id int64) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*Tier)(nil)).Where("agent_id = ?", id).
			Where("EXISTS (SELECT 1 FROM acd_agents WHERE id = ? AND tenant = ?)", id, tenant).Exec(ctx); err != nil {
			return fmt.Errorf("store: delete agent tiers: %w", err)
		}
		res, err := tx.NewDelete().Model((*Agent)(nil)).Where("id = ? AND tenant = ?", id, tenant).Exec(ctx)
		return affected(res, err, "agent", id)
	})
}

// SetTier adds or changes a tier. The queue and the agent must both be the tenant's.
func (db *DB) SetTier(ctx context.Context, tenant string, t Tier) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, chk := range []struct {
			table, what string
			id          int64
		}{{"acd_queues", "queue", t.QueueID}, {"acd_agents", "agent", t.AgentID}} {
			n, err := tx.NewSelect().Table(chk.table).Where("id = ? AND tenant = ?", chk.id, tenant).Count(ctx)
			if err != nil {
				return fmt.Errorf("store: set tier: %w", err)
			}
			if n == 0 {
				return fmt.Errorf("store: %s %q: %w", chk.what, ACDID(chk.id), ErrNotFound)
			}
		}
		_, err := tx.NewInsert().Model(&t).On("CONFLICT (queue_id, agent_id) DO UPDATE").
			Set("level = EXCLUDED.level").Set("position = EXCLUDED.position").Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: set tier: %w", err)
		}
		return nil
	})
}

// RemoveTier takes a tenant's agent out of a tenant's queue.
func (db *DB) RemoveTier(ctx context.Context, tenant string, queueID, agentID int64) error {
	res, err := db.NewDelete().Model((*Tier)(nil)).Where("queue_id = ? AND agent_id = ?", queueID, agentID).
		Where("EXISTS (SELECT 1 FROM acd_queues WHERE id = ? AND tenant = ?)", queueID, tenant).Exec(ctx)
	return affected(res, err, "tier", queueID)
}

// Tiers lists tiers by queue and agent: of one queue (queueID > 0), of one
// agent (agentID > 0), or all.
func (db *DB) Tiers(ctx context.Context, queueID, agentID int64) ([]Tier, error) {
	var ts []Tier
	sel := db.NewSelect().Model(&ts).OrderExpr("queue_id, level, position, agent_id")
	if queueID > 0 {
		sel = sel.Where("queue_id = ?", queueID)
	}
	if agentID > 0 {
		sel = sel.Where("agent_id = ?", agentID)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list tiers: %w", err)
	}
	return ts, nil
}

// ACDCommands returns the commands that rebuild an ACD engine from the
// stored configuration: queues, agents, tiers, then agent statuses.
func (db *DB) ACDCommands(ctx context.Context) ([]acd.Command, error) {
	qs, err := db.Queues(ctx, "")
	if err != nil {
		return nil, err
	}
	as, err := db.Agents(ctx, "", "")
	if err != nil {
		return nil, err
	}
	ts, err := db.Tiers(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	cmds := make([]acd.Command, 0, len(qs)+2*len(as)+len(ts))
	for _, q := range qs {
		q.Config.ID, q.Config.Tenant = ACDID(q.ID), q.Tenant
		cmds = append(cmds, acd.AddQueue{Config: q.Config})
	}
	for _, a := range as {
		a.Config.ID, a.Config.Tenant = ACDID(a.ID), a.Tenant
		cmds = append(cmds, acd.AddAgent{Config: a.Config})
	}
	for _, t := range ts {
		cmds = append(cmds, acd.SetTier{Tier: acd.Tier{Queue: ACDID(t.QueueID), Agent: ACDID(t.AgentID), Level: t.Level, Position: t.Position}})
	}
	for _, a := range as {
		if a.Status != acd.LoggedOut {
			cmds = append(cmds, acd.SetAgentStatus{Agent: ACDID(a.ID), Status: a.Status, Source: "system"})
		}
	}
	return cmds, nil
}

func affected(res sql.Result, err error, what string, id int64) error {
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", what, ACDID(id), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", what, ACDID(id), err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s %q: %w", what, ACDID(id), ErrNotFound)
	}
	return nil
}
