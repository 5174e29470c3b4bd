package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun/migrate"

	"github.com/switchboard-cc/switchboard/adapters/store/migrations"
)

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Name      string // timestamp_comment
	Applied   bool
	Group     int64
	AppliedAt time.Time
}

func (db *DB) migrator(ctx context.Context) (*migrate.Migrator, error) {
	m := migrate.NewMigrator(db.DB, migrations.All(), migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("store: init migrations table: %w", err)
	}
	return m, nil
}

// MigrateUp applies every pending migration as one group and returns their names.
func (db *DB) MigrateUp(ctx context.Context) ([]string, error) {
	m, err := db.migrator(ctx)
	if err != nil {
		return nil, err
	}
	g, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate up: %w", err)
	}
	return names(g), nil
}

// MigrateDown rolls back the last applied group and returns the migrations undone.
func (db *DB) MigrateDown(ctx context.Context) ([]string, error) {
	m, err := db.migrator(ctx)
	if err != nil {
		return nil, err
	}
	g, err := m.Rollback(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate down: %w", err)
	}
	return names(g), nil
}

// MigrationStatus lists every known migration in order with its state.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	m, err := db.migrator(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(ms))
	for _, x := range ms {
		out = append(out, MigrationStatus{Name: x.String(), Applied: x.IsApplied(), Group: x.GroupID, AppliedAt: x.MigratedAt})
	}
	return out, nil
}

func names(g *migrate.MigrationGroup) []string {
	if g == nil {
		return nil
	}
	out := make([]string, 0, len(g.Migrations))
	for _, m := range g.Migrations {
		out = append(out, m.String())
	}
	return out
}
