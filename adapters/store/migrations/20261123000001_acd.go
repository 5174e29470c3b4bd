package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// registerACD adds the ACD's configuration: queues, agents and their tiers.
// Numeric ids, because the vendor APIs use numbers (ringme extension 208,
// agent 1).
func registerACD(m *migrate.Migrations) {
	m.MustRegister(acdUp, acdDown)
}

func acdUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`CREATE TABLE acd_queues (
			id {{serial}},
			tenant TEXT NOT NULL,
			name TEXT NOT NULL DEFAULT '',
			label TEXT NOT NULL DEFAULT '',
			config {{json}} NOT NULL,
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL
		)`,
		`CREATE INDEX acd_queues_tenant ON acd_queues (tenant)`,
		`CREATE TABLE acd_agents (
			id {{serial}},
			tenant TEXT NOT NULL,
			type TEXT NOT NULL,
			status TEXT NOT NULL,
			config {{json}} NOT NULL,
			extra {{json}} NOT NULL,
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL
		)`,
		`CREATE INDEX acd_agents_tenant ON acd_agents (tenant)`,
		`CREATE TABLE acd_tiers (
			queue_id BIGINT NOT NULL REFERENCES acd_queues (id) ON DELETE CASCADE,
			agent_id BIGINT NOT NULL REFERENCES acd_agents (id) ON DELETE CASCADE,
			level BIGINT NOT NULL,
			position BIGINT NOT NULL,
			PRIMARY KEY (queue_id, agent_id)
		)`,
		`CREATE INDEX acd_tiers_agent ON acd_tiers (agent_id)`,
	)
}

func acdDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, `DROP TABLE acd_tiers`, `DROP TABLE acd_agents`, `DROP TABLE acd_queues`)
}
