// Package store is Switchboard's SQL storage: opening SQLite (the embedded
// default) or PostgreSQL through bun, the migrations, and the repositories the
// service uses (accounts, webhook subscriptions and deliveries, the outbox).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/switchboard-cc/switchboard/pkg/clock"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DefaultFileName is the SQLite file created under Config.DataDir.
const DefaultFileName = "switchboard.db"

// Config says which database to open.
type Config struct {
	// DSN selects PostgreSQL when it starts with postgres:// or postgresql://.
	// A "sqlite:" or "file:" prefix or a path ending in .db names a SQLite file.
	// Empty means SQLite at DataDir/switchboard.db.
	DSN string
	// DataDir holds the SQLite file when DSN is empty. Default "./data".
	DataDir string
	// BusyTimeout is how long a SQLite writer waits for the lock. Default 5 s.
	BusyTimeout time.Duration
	// MaxOpenConns caps the pool. Defaults: 1 on SQLite (one writer at a time
	// anyway; queueing in Go avoids SQLite's sleeping busy handler), 16 on PostgreSQL.
	MaxOpenConns int
	// CheckpointEvery is how often a SQLite database's WAL is checkpointed
	// in the background. Default 1 s.
	CheckpointEvery time.Duration
	// Clock drives the checkpoint timer. Default clock.Real{}.
	Clock clock.Clock
	// Logger receives start-up notes. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = 5 * time.Second
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = time.Second
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports a configuration that cannot be opened.
func (c Config) Validate() error {
	if c.BusyTimeout < 0 {
		return &FieldError{Field: "busy_timeout", Reason: "must not be negative"}
	}
	if c.CheckpointEvery < 0 {
		return &FieldError{Field: "checkpoint_every", Reason: "must not be negative"}
	}
	if c.MaxOpenConns < 0 {
		return &FieldError{Field: "max_open_conns", Reason: "must not be negative"}
	}
	if strings.Contains(c.DSN, "://") && !isPostgresDSN(c.DSN) {
		return &FieldError{Field: "db", Reason: fmt.Sprintf("unsupported database URL scheme in %q (want postgres:// or a SQLite path)", redact(c.DSN))}
	}
	return nil
}

// FieldError is a bad configuration or input value, naming its field.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// DB is an open database with its dialect.
type DB struct {
	*bun.DB
	dialect Dialect
	dsn     string

	stopCheckpoints func() // SQLite: stops the background checkpointer

	notifyMu sync.Mutex
	outboxCh []chan struct{}
}

// DSN is the PostgreSQL URL the DB was opened with (empty on SQLite), for
// components that need their own connections to the same database.
func (db *DB) DSN() string { return db.dsn }

// Dialect reports which SQL engine the DB talks to.
func (db *DB) Dialect() Dialect { return db.dialect }

// Open connects to the configured database. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if isPostgresDSN(cfg.DSN) {
		return openPostgres(ctx, cfg)
	}
	return openSQLite(ctx, cfg)
}

func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func openPostgres(ctx context.Context, cfg Config) (*DB, error) {
	dsn := cfg.DSN
	if !strings.Contains(dsn, "sslmode=") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + "sslmode=disable"
	}
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	n := cfg.MaxOpenConns
	if n == 0 {
		n = 16
	}
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	db := &DB{DB: bun.NewDB(sqldb, pgdialect.New()), dialect: Postgres, dsn: dsn}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: connect to postgres %s: %w", redact(cfg.DSN), err)
	}
	return db, nil
}

func openSQLite(ctx context.Context, cfg Config) (*DB, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(cfg.DSN, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		path = filepath.Join(cfg.DataDir, DefaultFileName)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	// WAL lets readers run beside the writer; synchronous=NORMAL is durable
	// across process crashes in WAL mode; _txlock=immediate takes the write
	// lock at BEGIN so concurrent writers wait (busy_timeout) instead of
	// failing. Automatic checkpoints are off: a checkpoint fsyncs, and done
	// by the committing connection it would stall every writer behind it;
	// a background connection checkpoints instead (see checkpoints).
	base := fmt.Sprintf("file:%s?_pragma=journal_mode(WAL)&_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)",
		path, cfg.BusyTimeout.Milliseconds())
	dsn := base + "&_pragma=wal_autocheckpoint(0)&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	n := cfg.MaxOpenConns
	if n == 0 {
		n = 1
	}
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxIdleTime(0)
	db := &DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), dialect: SQLite}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: read sqlite journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		_ = db.Close()
		return nil, fmt.Errorf("store: sqlite %s: journal_mode is %q, want wal", path, mode)
	}
	ckdb, err := sql.Open("sqlite", base)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open sqlite checkpointer %s: %w", path, err)
	}
	ckdb.SetMaxOpenConns(1)
	db.stopCheckpoints = checkpoints(ckdb, cfg)
	return db, nil
}

// checkpoints copies the WAL into the database file every
// cfg.CheckpointEvery without blocking writers (PASSIVE), until stopped.
func checkpoints(ckdb *sql.DB, cfg Config) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			t := cfg.Clock.NewTimer(cfg.CheckpointEvery)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			if _, err := ckdb.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
				cfg.Logger.Warn("store: sqlite checkpoint", "err", err)
			}
		}
	}()
	return func() {
		cancel()
		<-done
		_ = ckdb.Close()
	}
}

// Close stops background work and closes the database.
func (db *DB) Close() error {
	if db.stopCheckpoints != nil {
		db.stopCheckpoints()
		db.stopCheckpoints = nil
	}
	return db.DB.Close()
}

// redact hides a password in a database URL.
func redact(dsn string) string {
	at := strings.LastIndexByte(dsn, '@')
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	cred := dsn[scheme+3 : at]
	if i := strings.IndexByte(cred, ':'); i >= 0 {
		return dsn[:scheme+3] + cred[:i] + ":***" + dsn[at:]
	}
	return dsn
}
