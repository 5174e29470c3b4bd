package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Subscription is a webhook: where a tenant's events go and how.
// URL and secret checks belong to the webhook sender; the store keeps rows.
type Subscription struct {
	bun.BaseModel `bun:"table:subscriptions"`

	ID     string `bun:"id,pk"`
	Tenant string `bun:"tenant,notnull"` // empty: every tenant's events
	URL    string `bun:"url,notnull"`
	Method string `bun:"method,notnull"` // empty: the renderer's default
	Format string `bun:"format,notnull"` // renderer name (the dialect's own when Dialect is set); empty: "json"
	// Dialect is the dialect plugin that created the subscription and
	// renders its events; empty: a built-in format.
	Dialect string `bun:"dialect,notnull"`
	// Campaign limits the subscription to one campaign's events; empty: all.
	Campaign string `bun:"campaign,notnull"`
	// Agent limits the subscription to one agent's events; empty: all.
	Agent string `bun:"agent,notnull"`
	// Contact limits a campaign's subscription to one contact's events
	// (the dialer's contact id); empty: all.
	Contact string `bun:"contact,notnull"`
	// EventTypes, on a dialect's subscription, are the event types its
	// dialect is offered (patterns as in Events); empty: all. The dialect
	// reads Events itself.
	EventTypes []string `bun:"event_types,type:text"`
	// Attrs are the dialect's own settings (extra URLs, filters), kept as given.
	Attrs map[string]string `bun:"attrs,type:text"`
	// Events are the event types delivered: exact names, "<subject>.*" or "*".
	Events []string `bun:"events,notnull,type:text"`
	// Secret is the Standard Webhooks signing secret ("whsec_<base64>"); empty: unsigned.
	Secret         string    `bun:"secret,notnull"`
	MaxConcurrency int       `bun:"max_concurrency,notnull"` // 0: the sender's default
	TimeoutMS      int       `bun:"timeout_ms,notnull"`      // 0: the sender's default
	Active         bool      `bun:"active,notnull"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
	UpdatedAt      time.Time `bun:"updated_at,notnull"`
}

// Timeout is the per-request timeout, or 0 for the sender's default.
func (s Subscription) Timeout() time.Duration { return time.Duration(s.TimeoutMS) * time.Millisecond }

// CreateSubscription stores s; an empty ID gets a fresh "sub_" id.
func (db *DB) CreateSubscription(ctx context.Context, s *Subscription, now time.Time) error {
	if s.ID == "" {
		s.ID = NewID("sub_")
	}
	if s.URL == "" {
		return &FieldError{Field: "url", Reason: "required"}
	}
	if s.Events == nil {
		s.Events = []string{}
	}
	s.CreatedAt, s.UpdatedAt = now.UTC(), now.UTC()
	if _, err := db.NewInsert().Model(s).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("store: subscription %q: %w", s.ID, ErrDuplicate)
		}
		return fmt.Errorf("store: create subscription: %w", err)
	}
	return nil
}

// UpdateSubscription overwrites every field of an existing subscription.
func (db *DB) UpdateSubscription(ctx context.Context, s *Subscription, now time.Time) error {
	s.UpdatedAt = now.UTC()
	if s.Events == nil {
		s.Events = []string{}
	}
	res, err := db.NewUpdate().Model(s).ExcludeColumn("created_at").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: update subscription %q: %w", s.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: subscription %q: %w", s.ID, ErrNotFound)
	}
	return nil
}

// DeleteSubscription removes a subscription. Its stored deliveries stay.
func (db *DB) DeleteSubscription(ctx context.Context, id string) error {
	res, err := db.NewDelete().Model((*Subscription)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: delete subscription %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: subscription %q: %w", id, ErrNotFound)
	}
	return nil
}

// Subscription returns one subscription.
func (db *DB) Subscription(ctx context.Context, id string) (Subscription, error) {
	var s Subscription
	err := db.NewSelect().Model(&s).Where("id = ?", id).Scan(ctx)
	return s, notFound(err, "subscription", id)
}

// CampaignSubscriptions lists a tenant's subscriptions limited to one campaign, ordered by id.
func (db *DB) CampaignSubscriptions(ctx context.Context, tenant, campaign string) ([]Subscription, error) {
	var ss []Subscription
	err := db.NewSelect().Model(&ss).Where("tenant = ?", tenant).Where("campaign = ?", campaign).OrderExpr("id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: list subscriptions of campaign %q: %w", campaign, err)
	}
	return ss, nil
}

// Subscriptions lists subscriptions ordered by id; tenant "" lists all.
func (db *DB) Subscriptions(ctx context.Context, tenant string) ([]Subscription, error) {
	var ss []Subscription
	q := db.NewSelect().Model(&ss).OrderExpr("id")
	if tenant != "" {
		q = q.Where("tenant = ?", tenant)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list subscriptions: %w", err)
	}
	return ss, nil
}
