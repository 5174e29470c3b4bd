package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// registerSubscriptionScope narrows a dialect's subscriptions before its
// plugin is asked to render: to one agent's events, and to event types.
func registerSubscriptionScope(m *migrate.Migrations) {
	m.MustRegister(subscriptionScopeUp, subscriptionScopeDown)
}

func subscriptionScopeUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`ALTER TABLE subscriptions ADD COLUMN agent TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE subscriptions ADD COLUMN event_types {{json}}`,
	)
}

func subscriptionScopeDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`ALTER TABLE subscriptions DROP COLUMN event_types`,
		`ALTER TABLE subscriptions DROP COLUMN agent`,
	)
}
