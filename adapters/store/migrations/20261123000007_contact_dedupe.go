package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// registerContactDedupe lets a campaign's list hold several contacts with
// the same main number (a campaign deduping by contact id): the store
// checks numbers itself when the campaign dedupes by number.
func registerContactDedupe(m *migrate.Migrations) {
	m.MustRegister(contactDedupeUp, contactDedupeDown)
}

func contactDedupeUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`DROP INDEX dialer_contacts_number`,
		`CREATE INDEX dialer_contacts_number ON dialer_contacts (campaign_id, number)`,
	)
}

func contactDedupeDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db,
		`DROP INDEX dialer_contacts_number`,
		`CREATE UNIQUE INDEX dialer_contacts_number ON dialer_contacts (campaign_id, number)`,
	)
}
