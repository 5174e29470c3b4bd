package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// registerDialer adds the outbound dialer: trunks, campaigns, their contacts
// (with each one's progress, so a restart goes on where it stopped) and the
// attempts (call history).
func registerDialer(m *migrate.Migrations) {
	m.MustRegister(dialerUp, dialerDown)
}

func dialerUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`CREATE TABLE dialer_trunks (
			id {{serial}},
			tenant TEXT NOT NULL,
			config {{json}} NOT NULL,
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL
		)`,
		`CREATE INDEX dialer_trunks_tenant ON dialer_trunks (tenant)`,
		`CREATE TABLE dialer_campaigns (
			id {{serial}},
			tenant TEXT NOT NULL,
			name TEXT NOT NULL DEFAULT '',
			state TEXT NOT NULL,
			config {{json}} NOT NULL,
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL
		)`,
		`CREATE INDEX dialer_campaigns_tenant ON dialer_campaigns (tenant)`,
		`CREATE TABLE dialer_contacts (
			seq {{serial}},
			campaign_id BIGINT NOT NULL REFERENCES dialer_campaigns (id) ON DELETE CASCADE,
			contact_id TEXT NOT NULL,
			number TEXT NOT NULL,
			data {{json}} NOT NULL,
			status TEXT NOT NULL,
			tries INTEGER NOT NULL DEFAULT 0,
			redials {{json}} NOT NULL DEFAULT '{}',
			follow_ons INTEGER NOT NULL DEFAULT 0,
			in_try BOOLEAN NOT NULL DEFAULT FALSE,
			next_due {{time}},
			outcome TEXT NOT NULL DEFAULT '',
			created_at {{time}} NOT NULL
		)`,
		`CREATE UNIQUE INDEX dialer_contacts_id ON dialer_contacts (campaign_id, contact_id)`,
		`CREATE UNIQUE INDEX dialer_contacts_number ON dialer_contacts (campaign_id, number)`,
		`CREATE INDEX dialer_contacts_open ON dialer_contacts (campaign_id, seq) WHERE status <> 'finished'`,
		`CREATE TABLE dialer_attempts (
			id TEXT PRIMARY KEY,
			attempt TEXT NOT NULL,
			campaign_id BIGINT NOT NULL REFERENCES dialer_campaigns (id) ON DELETE CASCADE,
			tenant TEXT NOT NULL DEFAULT '',
			contact_id TEXT NOT NULL,
			number TEXT NOT NULL,
			leg TEXT NOT NULL DEFAULT 'a',
			try INTEGER NOT NULL DEFAULT 0,
			caller_id TEXT NOT NULL DEFAULT '',
			started_at {{time}} NOT NULL,
			answered_at {{time}},
			connected_at {{time}},
			ended_at {{time}},
			outcome TEXT NOT NULL DEFAULT '',
			cause TEXT NOT NULL DEFAULT '',
			agent TEXT NOT NULL DEFAULT '',
			recording TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX dialer_attempts_contact ON dialer_attempts (campaign_id, contact_id, started_at)`,
		`CREATE INDEX dialer_attempts_open ON dialer_attempts (campaign_id) WHERE ended_at IS NULL`,
	)
}

func dialerDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, `DROP TABLE dialer_attempts`, `DROP TABLE dialer_contacts`, `DROP TABLE dialer_campaigns`, `DROP TABLE dialer_trunks`)
}
