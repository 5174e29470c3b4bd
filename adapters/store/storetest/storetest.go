// Package storetest opens real, migrated, throw-away databases for tests:
// a SQLite file in a temp dir, and a fresh schema in PostgreSQL's test
// database on 127.0.0.1:5432 whenever one is reachable.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/switchboard-cc/switchboard/adapters/store"
)

// PostgresAdminDSN is where tests look for PostgreSQL; SWITCHBOARD_TEST_PG overrides it.
func PostgresAdminDSN() string {
	if v := os.Getenv("SWITCHBOARD_TEST_PG"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Backend is a named way to open a fresh database.
type Backend struct {
	Name string
	Open func(t testing.TB) *store.DB
}

// Backends lists SQLite and PostgreSQL; PostgreSQL's Open skips the test
// (with the reason) when no server is reachable.
func Backends() []Backend {
	return []Backend{{"sqlite", SQLite}, {"postgres", Postgres}}
}

// Each runs fn as a subtest on every backend.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}

// SQLite opens and migrates a database file in a temp dir, closed at cleanup.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return SQLiteAt(t, t.TempDir())
}

// SQLiteAt opens and migrates the database file under dir (reopening it if it exists).
func SQLiteAt(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	migrateUp(t, db)
	return db
}

// PostgresReachable reports whether the test PostgreSQL answers, and why not.
func PostgresReachable() (bool, string) {
	dsn := PostgresAdminDSN()
	host := "127.0.0.1:5432"
	if i, j := strings.Index(dsn, "@"), strings.LastIndex(dsn, "/"); i >= 0 && j > i {
		host = dsn[i+1 : j]
	}
	c, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		return false, fmt.Sprintf("PostgreSQL not reachable at %s (%v); set SWITCHBOARD_TEST_PG or start it to run the PostgreSQL tests", host, err)
	}
	_ = c.Close()
	return true, ""
}

// Postgres opens and migrates a fresh schema on the test server (its own
// search_path), dropped at cleanup. It skips the test when PostgreSQL is not
// reachable.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	dsn := PostgresDSN(t)
	db, err := store.Open(context.Background(), store.Config{DSN: dsn})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	migrateUp(t, db)
	return db
}

// PostgresDSN creates a fresh, empty schema in the test database and returns
// a DSN whose search_path is that schema (understood by pgdriver and pgx);
// the schema is dropped at cleanup. A schema is much cheaper to create than
// a database. It skips the test when PostgreSQL is not reachable.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	if ok, why := PostgresReachable(); !ok {
		t.Skip(why)
	}
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(PostgresAdminDSN())))
	name := "sbtest_" + store.NewID("")
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		_ = admin.Close()
		t.Skipf("PostgreSQL reachable but cannot create a test schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			t.Logf("drop test schema %s: %v", name, err)
		}
	})
	dsn := PostgresAdminDSN()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + name
}

func migrateUp(t testing.TB, db *store.DB) {
	t.Helper()
	if _, err := db.MigrateUp(context.Background()); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
}
