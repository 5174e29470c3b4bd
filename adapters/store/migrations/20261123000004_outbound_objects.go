package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// registerOutboundObjects adds the outbound objects a tenant keeps apart from
// its campaigns: time groups and redial policies (a dialect copies them into
// the campaigns that name them).
func registerOutboundObjects(m *migrate.Migrations) {
	m.MustRegister(outboundObjectsUp, outboundObjectsDown)
}

func outboundObjectsUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`CREATE TABLE dialer_time_groups (
			id {{serial}},
			tenant TEXT NOT NULL,
			config {{json}} NOT NULL,
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL
		)`,
		`CREATE INDEX dialer_time_groups_tenant ON dialer_time_groups (tenant)`,
		`CREATE TABLE dialer_redial_policies (
			id {{serial}},
			tenant TEXT NOT NULL,
			name TEXT NOT NULL DEFAULT '',
			config {{json}} NOT NULL,
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL
		)`,
		`CREATE INDEX dialer_redial_policies_tenant ON dialer_redial_policies (tenant)`,
	)
}

func outboundObjectsDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, `DROP TABLE dialer_redial_policies`, `DROP TABLE dialer_time_groups`)
}
