package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// The dialer's configuration is stored so that a restarted service rebuilds
// its engine: trunks and campaigns, each as the JSON of dialer.Trunk and
// dialer.Campaign (their field names are part of the stored format), with a
// campaign's last lifecycle state. Ids are numbers; the dialer knows them as
// their decimal strings (ACDID).

// Trunk is a stored caller line.
type Trunk struct {
	bun.BaseModel `bun:"table:dialer_trunks"`

	ID        int64        `bun:"id,pk,autoincrement"`
	Tenant    string       `bun:"tenant,notnull"`
	Config    dialer.Trunk `bun:"config,type:json,notnull"`
	CreatedAt time.Time    `bun:"created_at,notnull"`
	UpdatedAt time.Time    `bun:"updated_at,notnull"`
}

// Campaign is a stored outbound campaign.
type Campaign struct {
	bun.BaseModel `bun:"table:dialer_campaigns"`

	ID     int64        `bun:"id,pk,autoincrement"`
	Tenant string       `bun:"tenant,notnull"`
	Name   string       `bun:"name,notnull"`
	State  dialer.State `bun:"state,notnull"`
	// Config is the dialer's campaign; its ID and Tenant match the row's.
	Config    dialer.Campaign `bun:"config,type:json,notnull"`
	CreatedAt time.Time       `bun:"created_at,notnull"`
	UpdatedAt time.Time       `bun:"updated_at,notnull"`
}

// CreateTrunk stores t and gives it an id; t.Config.ID is set to match.
func (db *DB) CreateTrunk(ctx context.Context, t *Trunk, now time.Time) error {
	t.CreatedAt, t.UpdatedAt = now.UTC(), now.UTC()
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(t).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("store: create trunk: %w", err)
		}
		t.Config.ID = ACDID(t.ID)
		if _, err := tx.NewUpdate().Model(t).Column("config").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("store: create trunk: %w", err)
		}
		return nil
	})
}

// UpdateTrunk overwrites a tenant's trunk.
func (db *DB) UpdateTrunk(ctx context.Context, t *Trunk, now time.Time) error {
	t.UpdatedAt = now.UTC()
	t.Config.ID = ACDID(t.ID)
	res, err := db.NewUpdate().Model(t).Column("config", "updated_at").Where("id = ? AND tenant = ?", t.ID, t.Tenant).Exec(ctx)
	return affected(res, err, "trunk", t.ID)
}

// Trunk returns a tenant's trunk.
func (db *DB) Trunk(ctx context.Context, tenant string, id int64) (Trunk, error) {
	var t Trunk
	err := db.NewSelect().Model(&t).Where("id = ? AND tenant = ?", id, tenant).Scan(ctx)
	return t, notFound(err, "trunk", ACDID(id))
}

// Trunks lists a tenant's trunks by id; tenant "" lists every tenant's.
func (db *DB) Trunks(ctx context.Context, tenant string) ([]Trunk, error) {
	var ts []Trunk
	sel := db.NewSelect().Model(&ts).OrderExpr("id")
	if tenant != "" {
		sel = sel.Where("tenant = ?", tenant)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list trunks: %w", err)
	}
	return ts, nil
}

// CreateCampaign stores c and gives it an id; c.Config.ID and Tenant are set
// to match. A new campaign's state is created.
func (db *DB) CreateCampaign(ctx context.Context, c *Campaign, now time.Time) error {
	c.CreatedAt, c.UpdatedAt = now.UTC(), now.UTC()
	if c.State == "" {
		c.State = dialer.StateCreated
	}
	c.Config.Tenant = c.Tenant
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(c).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("store: create campaign: %w", err)
		}
		c.Config.ID = ACDID(c.ID)
		if _, err := tx.NewUpdate().Model(c).Column("config").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("store: create campaign: %w", err)
		}
		return nil
	})
}

// UpdateCampaign overwrites a tenant's campaign's name and configuration.
func (db *DB) UpdateCampaign(ctx context.Context, c *Campaign, now time.Time) error {
	c.UpdatedAt = now.UTC()
	c.Config.ID, c.Config.Tenant = ACDID(c.ID), c.Tenant
	res, err := db.NewUpdate().Model(c).Column("name", "config", "updated_at").Where("id = ? AND tenant = ?", c.ID, c.Tenant).Exec(ctx)
	return affected(res, err, "campaign", c.ID)
}

// SetCampaignState records a campaign's lifecycle state.
func (db *DB) SetCampaignState(ctx context.Context, id int64, state dialer.State, now time.Time) error {
	res, err := db.NewUpdate().Model((*Campaign)(nil)).Set("state = ?", state).Set("updated_at = ?", now.UTC()).Where("id = ?", id).Exec(ctx)
	return affected(res, err, "campaign", id)
}

// Campaign returns a tenant's campaign.
func (db *DB) Campaign(ctx context.Context, tenant string, id int64) (Campaign, error) {
	var c Campaign
	err := db.NewSelect().Model(&c).Where("id = ? AND tenant = ?", id, tenant).Scan(ctx)
	return c, notFound(err, "campaign", ACDID(id))
}

// Campaigns lists a tenant's campaigns by id; tenant "" lists every tenant's.
func (db *DB) Campaigns(ctx context.Context, tenant string) ([]Campaign, error) {
	var cs []Campaign
	sel := db.NewSelect().Model(&cs).OrderExpr("id")
	if tenant != "" {
		sel = sel.Where("tenant = ?", tenant)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list campaigns: %w", err)
	}
	return cs, nil
}

// DeleteCampaign deletes a tenant's campaign with its contacts and attempts.
func (db *DB) DeleteCampaign(ctx context.Context, tenant string, id int64) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		owned := tx.NewSelect().Model((*Campaign)(nil)).Column("id").Where("id = ? AND tenant = ?", id, tenant)
		if _, err := tx.NewDelete().Model((*Attempt)(nil)).Where("campaign_id IN (?)", owned).Exec(ctx); err != nil {
			return fmt.Errorf("store: delete campaign attempts: %w", err)
		}
		if _, err := tx.NewDelete().Model((*Contact)(nil)).Where("campaign_id IN (?)", owned).Exec(ctx); err != nil {
			return fmt.Errorf("store: delete campaign contacts: %w", err)
		}
		res, err := tx.NewDelete().Model((*Campaign)(nil)).Where("id = ? AND tenant = ?", id, tenant).Exec(ctx)
		return affected(res, err, "campaign", id)
	})
}
