package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Account is a tenant: one customer of one dialect, with its credential.
// Only a hash of the secret half of the credential is stored.
type Account struct {
	bun.BaseModel `bun:"table:accounts"`

	ID      string `bun:"id,pk"` // the tenant id
	Dialect string `bun:"dialect,notnull"`
	Name    string `bun:"name,notnull"`
	Email   string `bun:"email,notnull"`
	// CredentialID is the public half used to find the account: a client_id,
	// an email or a token's lookup key, depending on the dialect.
	CredentialID string    `bun:"credential_id,notnull"`
	SecretHash   string    `bun:"secret_hash,notnull"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
	UpdatedAt    time.Time `bun:"updated_at,notnull"`
}

// ErrDuplicate is returned when a unique key is already taken.
var ErrDuplicate = errors.New("store: already exists")

func (a *Account) validate() error {
	switch {
	case strings.TrimSpace(a.ID) == "":
		return &FieldError{Field: "id", Reason: "required"}
	case strings.TrimSpace(a.Dialect) == "":
		return &FieldError{Field: "dialect", Reason: "required"}
	case strings.TrimSpace(a.CredentialID) == "":
		return &FieldError{Field: "credential_id", Reason: "required"}
	case a.SecretHash == "":
		return &FieldError{Field: "secret_hash", Reason: "required"}
	}
	return nil
}

// CreateAccount stores a new account. CreatedAt/UpdatedAt default to now.
func (db *DB) CreateAccount(ctx context.Context, a *Account, now time.Time) error {
	if err := a.validate(); err != nil {
		return err
	}
	a.CreatedAt, a.UpdatedAt = now.UTC(), now.UTC()
	if _, err := db.NewInsert().Model(a).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("store: account %q: %w", a.ID, ErrDuplicate)
		}
		return fmt.Errorf("store: create account %q: %w", a.ID, err)
	}
	return nil
}

// Account returns the account with id.
func (db *DB) Account(ctx context.Context, id string) (Account, error) {
	var a Account
	err := db.NewSelect().Model(&a).Where("id = ?", id).Scan(ctx)
	return a, notFound(err, "account", id)
}

// AccountByCredential finds an account by dialect and the public half of its credential.
func (db *DB) AccountByCredential(ctx context.Context, dialect, credentialID string) (Account, error) {
	var a Account
	err := db.NewSelect().Model(&a).Where("dialect = ? AND credential_id = ?", dialect, credentialID).Scan(ctx)
	return a, notFound(err, "account credential", dialect+"/"+credentialID)
}

// AccountsByCredential lists the accounts of every dialect whose credential's
// public half is credentialID, ordered by id.
func (db *DB) AccountsByCredential(ctx context.Context, credentialID string) ([]Account, error) {
	var as []Account
	if err := db.NewSelect().Model(&as).Where("credential_id = ?", credentialID).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: accounts by credential: %w", err)
	}
	return as, nil
}

// Accounts lists accounts, optionally of one dialect, ordered by id.
func (db *DB) Accounts(ctx context.Context, dialect string) ([]Account, error) {
	var as []Account
	q := db.NewSelect().Model(&as).OrderExpr("id")
	if dialect != "" {
		q = q.Where("dialect = ?", dialect)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list accounts: %w", err)
	}
	return as, nil
}

// RotateCredential replaces an account's credential.
func (db *DB) RotateCredential(ctx context.Context, id, credentialID, secretHash string, now time.Time) error {
	if credentialID == "" {
		return &FieldError{Field: "credential_id", Reason: "required"}
	}
	if secretHash == "" {
		return &FieldError{Field: "secret_hash", Reason: "required"}
	}
	res, err := db.NewUpdate().Model((*Account)(nil)).
		Set("credential_id = ?", credentialID).Set("secret_hash = ?", secretHash).Set("updated_at = ?", now.UTC()).
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("store: credential %q: %w", credentialID, ErrDuplicate)
		}
		return fmt.Errorf("store: rotate credential of %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: account %q: %w", id, ErrNotFound)
	}
	return nil
}

func notFound(err error, what, key string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s %q: %w", what, key, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: read %s %q: %w", what, key, err)
	}
	return nil
}

func isUniqueViolation(err error) bool {
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || // SQLite
		strings.Contains(s, "SQLSTATE=23505") || strings.Contains(s, "duplicate key value") // PostgreSQL
}
