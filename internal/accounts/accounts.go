// Package accounts provisions tenants: one account per customer of a
// dialect, with credentials in that vendor's shape (ringme client_id and
// client_secret, twin24 email and password, a zxycall token, udesk email and
// api_token). Only a hash of each secret is stored.
package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
)

// Dialects are the vendor dialects accounts can belong to.
var Dialects = []string{"ringme", "twin24", "zxycall", "udesk"}

// Credentials are what a tenant uses to authenticate, named as its vendor
// names them; printed once, never stored in clear.
type Credentials map[string]string

// FieldError names the input that is wrong.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Store is what provisioning needs of the database.
type Store interface {
	CreateAccount(ctx context.Context, a *store.Account, now time.Time) error
	Account(ctx context.Context, id string) (store.Account, error)
	RotateCredential(ctx context.Context, id, credentialID, secretHash string, now time.Time) error
}

// Request is a new account.
type Request struct {
	Dialect string
	Name    string
	Email   string
}

// Create provisions an account and returns it with its credentials.
func Create(ctx context.Context, db Store, req Request, now time.Time) (store.Account, Credentials, error) {
	if !slices.Contains(Dialects, req.Dialect) {
		return store.Account{}, nil, &FieldError{Field: "dialect", Reason: fmt.Sprintf("%q is not one of %s", req.Dialect, strings.Join(Dialects, ", "))}
	}
	if req.Email != "" {
		if _, err := mail.ParseAddress(req.Email); err != nil {
			return store.Account{}, nil, &FieldError{Field: "email", Reason: fmt.Sprintf("%q is not an email address", req.Email)}
		}
	}
	for range 5 { // a fresh random id collides only by extreme bad luck
		a := store.Account{ID: newTenantID(req.Dialect), Dialect: req.Dialect, Name: req.Name, Email: req.Email}
		if a.Name == "" {
			a.Name = req.Dialect + " tenant " + a.ID
		}
		if a.Email == "" && (req.Dialect == "twin24" || req.Dialect == "udesk") {
			a.Email = "tenant-" + a.ID + "@switchboard.local"
		}
		creds := issue(&a)
		err := db.CreateAccount(ctx, &a, now)
		if errors.Is(err, store.ErrDuplicate) {
			continue
		}
		if err != nil {
			return store.Account{}, nil, err
		}
		return a, creds, nil
	}
	return store.Account{}, nil, errors.New("accounts: could not find a free account id")
}

// Rotate replaces an account's secret (and token) and returns the new credentials.
func Rotate(ctx context.Context, db Store, id string, now time.Time) (Credentials, error) {
	a, err := db.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	creds := issue(&a)
	if err := db.RotateCredential(ctx, id, a.CredentialID, a.SecretHash, now); err != nil {
		return nil, err
	}
	return creds, nil
}

// issue makes new credentials for a and sets its CredentialID and SecretHash.
func issue(a *store.Account) Credentials {
	secret := randomSecret()
	a.SecretHash = store.HashSecret(secret)
	switch a.Dialect {
	case "ringme":
		a.CredentialID = a.ID
		return Credentials{"client_id": a.ID, "client_secret": secret}
	case "twin24":
		a.CredentialID = strings.ToLower(a.Email)
		return Credentials{"email": a.Email, "password": secret}
	case "zxycall":
		a.CredentialID = randomSecret()[:12]
		return Credentials{"token": a.CredentialID + "." + secret}
	default: // udesk
		a.CredentialID = strings.ToLower(a.Email)
		return Credentials{"email": a.Email, "api_token": secret}
	}
}

// SplitToken splits a zxycall token into its lookup key and secret.
func SplitToken(token string) (credentialID, secret string, ok bool) {
	return strings.Cut(token, ".")
}

// newTenantID: ringme's client ids are numbers (the vendor's documents use
// client 12), the others get a readable random id.
func newTenantID(dialect string) string {
	if dialect == "ringme" {
		n, _ := rand.Int(rand.Reader, big.NewInt(900_000_000))
		return fmt.Sprint(100_000_000 + n.Int64())
	}
	return dialect + "-" + randomSecret()[:10]
}

var secretEncoding = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// randomSecret returns 160 random bits, base32.
func randomSecret() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return secretEncoding.EncodeToString(b[:])
}
