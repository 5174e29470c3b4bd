package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// registerSubscriptionContact narrows a dialect's campaign subscription to
// one contact's events before its plugin is asked to render.
func registerSubscriptionContact(m *migrate.Migrations) {
	m.MustRegister(subscriptionContactUp, subscriptionContactDown)
}

func subscriptionContactUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, `ALTER TABLE subscriptions ADD COLUMN contact TEXT NOT NULL DEFAULT ''`)
}

func subscriptionContactDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, `ALTER TABLE subscriptions DROP COLUMN contact`)
}
