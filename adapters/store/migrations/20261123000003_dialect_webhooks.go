package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// registerDialectWebhooks lets a dialect plugin own subscriptions: the
// dialect that renders them, the campaign they are limited to and the
// dialect's own attributes; and lets one event's delivery go to a URL and
// with headers of its own (a vendor's several callback URLs).
func registerDialectWebhooks(m *migrate.Migrations) {
	m.MustRegister(dialectWebhooksUp, dialectWebhooksDown)
}

func dialectWebhooksUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`ALTER TABLE subscriptions ADD COLUMN dialect TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE subscriptions ADD COLUMN campaign TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE subscriptions ADD COLUMN attrs {{json}}`,
		`CREATE INDEX subscriptions_campaign ON subscriptions (tenant, campaign)`,
		`ALTER TABLE deliveries ADD COLUMN url TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE deliveries ADD COLUMN header {{json}}`,
	)
}

func dialectWebhooksDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`DROP INDEX subscriptions_campaign`,
		`ALTER TABLE deliveries DROP COLUMN header`,
		`ALTER TABLE deliveries DROP COLUMN url`,
		`ALTER TABLE subscriptions DROP COLUMN attrs`,
		`ALTER TABLE subscriptions DROP COLUMN campaign`,
		`ALTER TABLE subscriptions DROP COLUMN dialect`,
	)
}
