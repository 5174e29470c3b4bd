package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// registerPluginState adds plugin_state: the small entries a dialect
// plugin keeps in the host (used nonces, rate counts), per plugin and
// account. expires_ms is Unix milliseconds, 0 for never: an integer
// compares the same on SQLite and PostgreSQL; name is byte-ordered on both,
// so a prefix listing is a range scan of the primary key.
func registerPluginState(m *migrate.Migrations) {
	m.MustRegister(pluginStateUp, pluginStateDown)
}

func pluginStateUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`CREATE TABLE plugin_state (
			plugin     TEXT NOT NULL,
			account    TEXT NOT NULL,
			name       {{bytetext}} NOT NULL,
			value      {{bytes}} NOT NULL,
			counter    BIGINT NOT NULL DEFAULT 0,
			expires_ms BIGINT NOT NULL DEFAULT 0,
			PRIMARY KEY (plugin, account, name)
		)`,
		`CREATE INDEX plugin_state_expires ON plugin_state (expires_ms) WHERE expires_ms <> 0`,
	)
}

func pluginStateDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, `DROP TABLE plugin_state`)
}
