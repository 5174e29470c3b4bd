// Package hostapi is the service's dialect.Host: what a dialect plugin calls
// back to act on the contact centre. Each dialect gets its own view (For),
// which sees only the accounts provisioned for it (internal/accounts), and
// every call sees only the named account's objects: another account's queue
// is not found, not forbidden.
//
// Inbound queues, agents and tiers go through internal/queues (stored and
// live in the ACD at once); campaigns, trunks, time groups, redial
// policies, contacts and call history through internal/campaigns;
// subscriptions through the webhook sender (which checks the address
// policy when one is created). Ids are the store's numeric ids as decimal
// strings, assigned here: a vendor's API cannot choose them.
//
// Outbound objects: every kind is created, replaced, read, listed and
// deleted. Time groups and redial policies are stored per account and
// checked with the dialer's own validation (field errors name the spec's
// fields: "ranges[0]", "rules.busy.count"); a redial policy's spec is a
// dialer.RedialPolicy with "id" and an optional "name". Campaigns hold
// copies of them, so they can always change or go. A trunk is replaced at
// once, also under running campaigns, but not below the concurrency of a
// campaign on it (a field error on trunk.max_concurrent); deleting a trunk
// that a campaign uses, running or not, is dialect.ErrFailedPrecondition.
//
// Not backed yet: signatures made with an account's provisioned secret
// (dialect.ErrNotImplemented: only its hash is stored), and inbound queue
// calls in CallHistory (only dialled attempts are kept).
// Issued tokens live in memory: a restart of the service forgets them.
//
// Plugin state (PutState and the rest) is stored per plugin and account in
// the store's plugin_state table, so it outlives restarts of the plugin
// and of the service; expired entries are swept at most once a minute by
// the state writes themselves (and by SweepState).
package hostapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/campaigns"
	"github.com/switchboard-cc/switchboard/internal/queues"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// Subscriptions is what the host needs of the webhook sender: *webhook.Sender.
type Subscriptions interface {
	CreateSubscription(ctx context.Context, sub *store.Subscription) error
	UpdateSubscription(ctx context.Context, sub *store.Subscription) error
	DeleteSubscription(ctx context.Context, id string) error
}

// Config wires a Service.
type Config struct {
	DB        *store.DB
	Queues    *queues.Service
	Campaigns *campaigns.Service
	Webhooks  Subscriptions
	// Now is the clock for token expiry; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports a missing part.
func (c Config) Validate() error {
	switch {
	case c.DB == nil:
		return errors.New("hostapi: DB is required")
	case c.Queues == nil:
		return errors.New("hostapi: Queues is required")
	case c.Campaigns == nil:
		return errors.New("hostapi: Campaigns is required")
	case c.Webhooks == nil:
		return errors.New("hostapi: Webhooks is required")
	}
	return nil
}

// Service holds what every dialect's host shares: the parts and the issued tokens.
type Service struct {
	cfg    Config
	tokens *tokenStore
	// lastSweep is when expired plugin state was last swept (Unix ms).
	lastSweep atomic.Int64
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, tokens: newTokenStore()}, nil
}

// For returns the host API of the dialect plugin of that name, serving
// the accounts provisioned for it.
func (s *Service) For(name string) dialect.Host { return s.ForPlugin(name, name) }

// ForPlugin returns the host API of the dialect plugin named plugin: it
// authenticates the accounts provisioned for accountsDialect, and the
// subscriptions it creates are rendered by that plugin.
func (s *Service) ForPlugin(plugin, accountsDialect string) dialect.Host {
	return &Host{svc: s, plugin: plugin, dialect: accountsDialect}
}

// Host is one dialect's host API.
type Host struct {
	svc     *Service
	plugin  string
	dialect string
}

var _ dialect.Host = (*Host)(nil)

// account checks that id is an account of this host's dialect.
func (h *Host) account(ctx context.Context, id string) (store.Account, error) {
	if id == "" {
		return store.Account{}, &dialect.FieldError{Field: "account", Reason: "is required"}
	}
	a, err := h.svc.cfg.DB.Account(ctx, id)
	if err != nil {
		return store.Account{}, translate(err)
	}
	if a.Dialect != h.dialect {
		return store.Account{}, fmt.Errorf("account %q: %w", id, dialect.ErrNotFound)
	}
	return a, nil
}

// parseID turns an object id into the store's id; an id that is not a
// store id names nothing.
func parseID(what, id string) (int64, error) {
	n, err := store.ParseACDID(id)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", what, id, dialect.ErrNotFound)
	}
	return n, nil
}

// notImplemented says which part of the host API is not backed yet.
func notImplemented(what string) error {
	return fmt.Errorf("%s: %w", what, dialect.ErrNotImplemented)
}

// translate turns the store's, the engines' and the sender's errors into
// the dialect's vocabulary, keeping the original in the chain.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var (
		dfe  *dialect.FieldError
		sfe  *store.FieldError
		drfe *dialer.FieldError
		ue   *webhook.URLError
	)
	switch {
	case errors.As(err, &dfe):
		return err
	case errors.As(err, &ue):
		return &dialect.FieldError{Field: ue.Field(), Value: ue.URL, Reason: ue.Reason}
	case errors.As(err, &sfe):
		return &dialect.FieldError{Field: sfe.Field, Reason: sfe.Reason}
	case errors.As(err, &drfe):
		return &dialect.FieldError{Field: drfe.Field, Value: drfe.Value, Reason: drfe.Reason}
	}
	for _, m := range []struct{ from, to error }{
		{store.ErrNotFound, dialect.ErrNotFound}, {store.ErrDuplicate, dialect.ErrConflict},
		{dialer.ErrUnknownCampaign, dialect.ErrNotFound}, {dialer.ErrUnknownTrunk, dialect.ErrNotFound},
		{dialer.ErrUnknownContact, dialect.ErrNotFound}, {dialer.ErrUnknownCall, dialect.ErrNotFound}, {dialer.ErrDuplicate, dialect.ErrConflict},
		{dialer.ErrState, dialect.ErrFailedPrecondition}, {dialer.ErrEngineStopped, dialect.ErrUnavailable},
	} {
		if errors.Is(err, m.from) && !errors.Is(err, m.to) {
			return fmt.Errorf("%w: %w", m.to, err)
		}
	}
	return dialect.FromCore(err)
}
