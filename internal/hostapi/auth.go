package hostapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// issuedToken is a token IssueToken minted. secretHash is the account's
// credential hash when it was issued: rotating the credential revokes it.
type issuedToken struct {
	dialect, account, kind string
	secretHash             string
	expires                time.Time // zero: until the credential rotates
}

// tokenStore keeps issued tokens in memory (a restart forgets them). It is
// a cache shared by every dialect's host, guarded by its mutex.
type tokenStore struct {
	mu     sync.Mutex
	byVal  map[string]issuedToken
	issues int
}

func newTokenStore() *tokenStore { return &tokenStore{byVal: map[string]issuedToken{}} }

func (t *tokenStore) add(value string, it issuedToken, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.issues++
	if t.issues%256 == 0 { // drop expired tokens now and then
		maps.DeleteFunc(t.byVal, func(_ string, v issuedToken) bool { return !v.expires.IsZero() && !now.Before(v.expires) })
	}
	t.byVal[value] = it
}

func (t *tokenStore) get(value string) (issuedToken, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	it, ok := t.byVal[value]
	return it, ok
}

// of lists the values of an account's tokens of kind.
func (t *tokenStore) of(dialectName, account, kind string) map[string]issuedToken {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]issuedToken{}
	for v, it := range t.byVal {
		if it.dialect == dialectName && it.account == account && it.kind == kind {
			out[v] = it
		}
	}
	return out
}

func accountOf(a store.Account) dialect.Account {
	return dialect.Account{ID: a.ID, Name: a.Name, Attrs: map[string]string{"dialect": a.Dialect, "email": a.Email}}
}

var errBadCredentials = fmt.Errorf("credentials do not match an account: %w", dialect.ErrUnauthenticated)

// byCredential finds an account of this dialect by the public half of its
// credential (emails compare case-insensitively, as accounts stores them).
func (h *Host) byCredential(ctx context.Context, principal string) (store.Account, error) {
	if principal == "" {
		return store.Account{}, errBadCredentials
	}
	a, err := h.svc.cfg.DB.AccountByCredential(ctx, h.dialect, principal)
	if errors.Is(err, store.ErrNotFound) && strings.Contains(principal, "@") {
		a, err = h.svc.cfg.DB.AccountByCredential(ctx, h.dialect, strings.ToLower(principal))
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Account{}, errBadCredentials
	}
	return a, err
}

// Authenticate checks a request's credentials against this dialect's accounts.
func (h *Host) Authenticate(ctx context.Context, cred dialect.Credentials) (dialect.Account, error) {
	switch cred.Scheme {
	case dialect.CredPassword:
		a, err := h.byCredential(ctx, cred.Principal)
		if err != nil {
			return dialect.Account{}, err
		}
		if !store.SecretMatches(a.SecretHash, cred.Secret) {
			return dialect.Account{}, errBadCredentials
		}
		return accountOf(a), nil
	case dialect.CredToken:
		if cred.Kind == "" { // the provisioned token, "key.secret"
			key, secret, ok := accounts.SplitToken(cred.Secret)
			if !ok {
				return dialect.Account{}, errBadCredentials
			}
			a, err := h.byCredential(ctx, key)
			if err != nil {
				return dialect.Account{}, err
			}
			if !store.SecretMatches(a.SecretHash, secret) {
				return dialect.Account{}, errBadCredentials
			}
			return accountOf(a), nil
		}
		it, ok := h.svc.tokens.get(cred.Secret)
		if !ok || it.dialect != h.dialect || it.kind != cred.Kind {
			return dialect.Account{}, errBadCredentials
		}
		return h.tokenAccount(ctx, it)
	case dialect.CredSignature:
		return h.checkSignature(ctx, cred)
	}
	return dialect.Account{}, &dialect.FieldError{Field: "scheme", Value: cred.Scheme, Reason: "must be password, token or signature"}
}

// tokenAccount returns an issued token's account if the token is still good.
func (h *Host) tokenAccount(ctx context.Context, it issuedToken) (dialect.Account, error) {
	if !it.expires.IsZero() && !h.svc.cfg.Now().Before(it.expires) {
		return dialect.Account{}, fmt.Errorf("token expired: %w", dialect.ErrUnauthenticated)
	}
	a, err := h.svc.cfg.DB.Account(ctx, it.account)
	if errors.Is(err, store.ErrNotFound) {
		return dialect.Account{}, errBadCredentials
	}
	if err != nil {
		return dialect.Account{}, err
	}
	if a.SecretHash != it.secretHash {
		return dialect.Account{}, fmt.Errorf("token revoked (credentials rotated): %w", dialect.ErrUnauthenticated)
	}
	return accountOf(a), nil
}

// checkSignature verifies a signature made with one of the principal's
// tokens of cred.Kind. The provisioned secret is stored only as a hash, so
// signatures made with it cannot be checked (not implemented).
func (h *Host) checkSignature(ctx context.Context, cred dialect.Credentials) (dialect.Account, error) {
	message, ok := cred.Params["message"]
	if !ok || !strings.Contains(message, "{secret}") && !strings.HasPrefix(cred.Params["algorithm"], "hmac-") {
		return dialect.Account{}, &dialect.FieldError{Field: "params.message", Reason: "is required, with {secret} where the secret goes"}
	}
	sign, err := signer(cred.Params["algorithm"])
	if err != nil {
		return dialect.Account{}, err
	}
	if cred.Kind == "" {
		return dialect.Account{}, notImplemented("signatures with the provisioned secret (only its hash is stored)")
	}
	a, err := h.byCredential(ctx, cred.Principal)
	if err != nil {
		return dialect.Account{}, err
	}
	got := []byte(strings.ToLower(cred.Secret))
	for value, it := range h.svc.tokens.of(h.dialect, a.ID, cred.Kind) {
		if subtle.ConstantTimeCompare(got, []byte(sign(value, message))) == 1 {
			return h.tokenAccount(ctx, it)
		}
	}
	return dialect.Account{}, errBadCredentials
}

// signer returns the lowercase hex signature of message with secret: a hash
// of the message with {secret} replaced, or an HMAC keyed by the secret.
func signer(algorithm string) (func(secret, message string) string, error) {
	var (
		newHash func() hash.Hash
		mac     bool
	)
	switch algorithm {
	case "sha256":
		newHash = sha256.New
	case "sha1":
		newHash = sha1.New
	case "hmac-sha256":
		newHash, mac = sha256.New, true
	case "hmac-sha1":
		newHash, mac = sha1.New, true
	default:
		return nil, &dialect.FieldError{Field: "params.algorithm", Value: algorithm, Reason: "must be sha256, sha1, hmac-sha256 or hmac-sha1"}
	}
	return func(secret, message string) string {
		var h hash.Hash
		if mac {
			h = hmac.New(newHash, []byte(secret))
			h.Write([]byte(message))
		} else {
			h = newHash()
			h.Write([]byte(strings.ReplaceAll(message, "{secret}", secret)))
		}
		return hex.EncodeToString(h.Sum(nil))
	}, nil
}

// IssueToken mints a token of req.Kind for one of this dialect's accounts.
func (h *Host) IssueToken(ctx context.Context, account string, req dialect.TokenRequest) (dialect.Token, error) {
	a, err := h.account(ctx, account)
	if err != nil {
		return dialect.Token{}, err
	}
	if req.Kind == "" {
		return dialect.Token{}, &dialect.FieldError{Field: "kind", Reason: "is required (access, refresh, api, …)"}
	}
	if req.TTL < 0 {
		return dialect.Token{}, &dialect.FieldError{Field: "ttl", Value: req.TTL.String(), Reason: "must not be negative"}
	}
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return dialect.Token{}, fmt.Errorf("issue token: %w", err)
	}
	now := h.svc.cfg.Now()
	t := dialect.Token{Value: hex.EncodeToString(b[:]), Kind: req.Kind}
	if req.TTL > 0 {
		t.ExpiresAt = now.Add(req.TTL)
	}
	h.svc.tokens.add(t.Value, issuedToken{dialect: h.dialect, account: a.ID, kind: req.Kind, secretHash: a.SecretHash, expires: t.ExpiresAt}, now)
	return t, nil
}
