package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// registerContactRedial stores, with a contact's next due time, the number
// its next try starts with (a recall of one of its numbers) and whether
// that try is its only one (a contact brought back from done), so that a
// restart dials what was asked.
func registerContactRedial(m *migrate.Migrations) {
	m.MustRegister(contactRedialUp, contactRedialDown)
}

func contactRedialUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`ALTER TABLE dialer_contacts ADD COLUMN next_number TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE dialer_contacts ADD COLUMN next_once BOOLEAN NOT NULL DEFAULT FALSE`,
	)
}

func contactRedialDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`ALTER TABLE dialer_contacts DROP COLUMN next_once`,
		`ALTER TABLE dialer_contacts DROP COLUMN next_number`,
	)
}
