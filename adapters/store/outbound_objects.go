package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// Time groups and redial policies are kept per tenant apart from campaigns
// (a dialect copies them into the campaigns that name them), as the JSON of
// dialer.TimeGroup and dialer.RedialPolicy. Like trunks, their ids are
// numbers known outside as decimal strings (ACDID).

// TimeGroup is a stored time group.
type TimeGroup struct {
	bun.BaseModel `bun:"table:dialer_time_groups"`

	ID     int64  `bun:"id,pk,autoincrement"`
	Tenant string `bun:"tenant,notnull"`
	// Config's ID matches the row's.
	Config    dialer.TimeGroup `bun:"config,type:json,notnull"`
	CreatedAt time.Time        `bun:"created_at,notnull"`
	UpdatedAt time.Time        `bun:"updated_at,notnull"`
}

// RedialPolicy is a stored, named redial policy.
type RedialPolicy struct {
	bun.BaseModel `bun:"table:dialer_redial_policies"`

	ID        int64               `bun:"id,pk,autoincrement"`
	Tenant    string              `bun:"tenant,notnull"`
	Name      string              `bun:"name,notnull"`
	Config    dialer.RedialPolicy `bun:"config,type:json,notnull"`
	CreatedAt time.Time           `bun:"created_at,notnull"`
	UpdatedAt time.Time           `bun:"updated_at,notnull"`
}

// CreateTimeGroup stores g and gives it an id; g.Config.ID is set to match.
func (db *DB) CreateTimeGroup(ctx context.Context, g *TimeGroup, now time.Time) error {
	g.CreatedAt, g.UpdatedAt = now.UTC(), now.UTC()
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(g).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("store: create time group: %w", err)
		}
		g.Config.ID = ACDID(g.ID)
		if _, err := tx.NewUpdate().Model(g).Column("config").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("store: create time group: %w", err)
		}
		return nil
	})
}

// UpdateTimeGroup overwrites a tenant's time group.
func (db *DB) UpdateTimeGroup(ctx context.Context, g *TimeGroup, now time.Time) error {
	g.UpdatedAt = now.UTC()
	g.Config.ID = ACDID(g.ID)
	res, err := db.NewUpdate().Model(g).Column("config", "updated_at").Where("id = ? AND tenant = ?", g.ID, g.Tenant).Exec(ctx)
	return affected(res, err, "time group", g.ID)
}

// TimeGroup returns a tenant's time group.
func (db *DB) TimeGroup(ctx context.Context, tenant string, id int64) (TimeGroup, error) {
	return ownedRow[TimeGroup](ctx, db, "time group", tenant, id)
}

// TimeGroups lists a tenant's time groups by id.
func (db *DB) TimeGroups(ctx context.Context, tenant string) ([]TimeGroup, error) {
	return ownedRows[TimeGroup](ctx, db, "time groups", tenant)
}

// DeleteTimeGroup deletes a tenant's time group.
func (db *DB) DeleteTimeGroup(ctx context.Context, tenant string, id int64) error {
	return deleteOwned[TimeGroup](ctx, db, "time group", tenant, id)
}

// CreateRedialPolicy stores p and gives it an id.
func (db *DB) CreateRedialPolicy(ctx context.Context, p *RedialPolicy, now time.Time) error {
	p.CreatedAt, p.UpdatedAt = now.UTC(), now.UTC()
	if _, err := db.NewInsert().Model(p).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("store: create redial policy: %w", err)
	}
	return nil
}

// UpdateRedialPolicy overwrites a tenant's redial policy's name and rules.
func (db *DB) UpdateRedialPolicy(ctx context.Context, p *RedialPolicy, now time.Time) error {
	p.UpdatedAt = now.UTC()
	res, err := db.NewUpdate().Model(p).Column("name", "config", "updated_at").Where("id = ? AND tenant = ?", p.ID, p.Tenant).Exec(ctx)
	return affected(res, err, "redial policy", p.ID)
}

// RedialPolicy returns a tenant's redial policy.
func (db *DB) RedialPolicy(ctx context.Context, tenant string, id int64) (RedialPolicy, error) {
	return ownedRow[RedialPolicy](ctx, db, "redial policy", tenant, id)
}

// RedialPolicies lists a tenant's redial policies by id.
func (db *DB) RedialPolicies(ctx context.Context, tenant string) ([]RedialPolicy, error) {
	return ownedRows[RedialPolicy](ctx, db, "redial policies", tenant)
}

// DeleteRedialPolicy deletes a tenant's redial policy.
func (db *DB) DeleteRedialPolicy(ctx context.Context, tenant string, id int64) error {
	return deleteOwned[RedialPolicy](ctx, db, "redial policy", tenant, id)
}

// DeleteTrunk deletes a tenant's trunk. It does not look for campaigns on
// it: that is the caller's business (internal/campaigns refuses).
func (db *DB) DeleteTrunk(ctx context.Context, tenant string, id int64) error {
	return deleteOwned[Trunk](ctx, db, "trunk", tenant, id)
}

// ownedRow reads the row of table T with id if it is tenant's.
func ownedRow[T any](ctx context.Context, db *DB, what, tenant string, id int64) (T, error) {
	var row T
	err := db.NewSelect().Model(&row).Where("id = ? AND tenant = ?", id, tenant).Scan(ctx)
	return row, notFound(err, what, ACDID(id))
}

// ownedRows lists tenant's rows of table T by id.
func ownedRows[T any](ctx context.Context, db *DB, what, tenant string) ([]T, error) {
	var rows []T
	if err := db.NewSelect().Model(&rows).Where("tenant = ?", tenant).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list %s: %w", what, err)
	}
	return rows, nil
}

// deleteOwned deletes the row of table T with id if it is tenant's.
func deleteOwned[T any](ctx context.Context, db *DB, what, tenant string, id int64) error {
	res, err := db.NewDelete().Model((*T)(nil)).Where("id = ? AND tenant = ?", id, tenant).Exec(ctx)
	return affected(res, err, what, id)
}
