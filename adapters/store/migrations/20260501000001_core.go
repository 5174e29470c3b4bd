package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

func registerCore(m *migrate.Migrations) {
	m.MustRegister(coreUp, coreDown)
}

func coreUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`CREATE TABLE accounts (
			id TEXT PRIMARY KEY,
			dialect TEXT NOT NULL,
			name TEXT NOT NULL DEFAULT '',
			email TEXT NOT NULL DEFAULT '',
			credential_id TEXT NOT NULL,
			secret_hash TEXT NOT NULL,
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL
		)`,
		`CREATE UNIQUE INDEX accounts_credential ON accounts (dialect, credential_id)`,
		`CREATE TABLE subscriptions (
			id TEXT PRIMARY KEY,
			tenant TEXT NOT NULL DEFAULT '',
			url TEXT NOT NULL,
			method TEXT NOT NULL DEFAULT '',
			format TEXT NOT NULL DEFAULT '',
			events {{json}} NOT NULL,
			secret TEXT NOT NULL DEFAULT '',
			max_concurrency INTEGER NOT NULL DEFAULT 0,
			timeout_ms INTEGER NOT NULL DEFAULT 0,
			active BOOLEAN NOT NULL DEFAULT TRUE,
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL
		)`,
		`CREATE INDEX subscriptions_tenant ON subscriptions (tenant)`,
		`CREATE TABLE deliveries (
			seq {{serial}},
			id TEXT NOT NULL UNIQUE,
			subscription_id TEXT NOT NULL,
			tenant TEXT NOT NULL DEFAULT '',
			event_id TEXT NOT NULL,
			event_type TEXT NOT NULL,
			method TEXT NOT NULL,
			content_type TEXT NOT NULL DEFAULT '',
			query TEXT NOT NULL DEFAULT '',
			body {{bytes}},
			state TEXT NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0,
			next_attempt_ns BIGINT NOT NULL,
			lease_until_ns BIGINT NOT NULL DEFAULT 0,
			last_status INTEGER NOT NULL DEFAULT 0,
			last_error TEXT NOT NULL DEFAULT '',
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL,
			finished_at {{time}}
		)`,
		`CREATE INDEX deliveries_due ON deliveries (next_attempt_ns, seq) WHERE state = 'pending'`,
		`CREATE INDEX deliveries_dead ON deliveries (subscription_id, seq) WHERE state = 'dead'`,
		`CREATE TABLE outbox (
			seq {{serial}},
			event_id TEXT NOT NULL,
			topic TEXT NOT NULL,
			payload {{bytes}} NOT NULL,
			created_at {{time}} NOT NULL
		)`,
	)
}

func coreDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`DROP TABLE outbox`,
		`DROP TABLE deliveries`,
		`DROP TABLE subscriptions`,
		`DROP TABLE accounts`,
	)
}
