package hostapi

import (
	"context"
	"fmt"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// PutSubscription creates a webhook subscription (the sender checks its URL
// against the address policy and resolves its host now) or replaces one of
// the account's. Campaign-scoped subscriptions and Attrs are not stored yet.
func (h *Host) PutSubscription(ctx context.Context, account string, sub dialect.Subscription) (dialect.Subscription, error) {
	if _, err := h.account(ctx, account); err != nil {
		return dialect.Subscription{}, err
	}
	if sub.Campaign != "" {
		return dialect.Subscription{}, notImplemented("campaign-scoped subscriptions")
	}
	if len(sub.Attrs) > 0 {
		return dialect.Subscription{}, notImplemented("subscription attrs")
	}
	events := sub.Events
	if len(events) == 0 {
		events = []string{"*"}
	}
	row := store.Subscription{ID: sub.ID, Tenant: account, URL: sub.URL, Method: sub.Method, Format: sub.Format, Events: events}
	if sub.ID == "" {
		if err := h.svc.cfg.Webhooks.CreateSubscription(ctx, &row); err != nil {
			return dialect.Subscription{}, translate(err)
		}
	} else {
		old, err := h.subscription(ctx, account, sub.ID)
		if err != nil {
			return dialect.Subscription{}, err
		}
		row.Secret, row.MaxConcurrency, row.TimeoutMS, row.Active = old.Secret, old.MaxConcurrency, old.TimeoutMS, old.Active
		if err := h.svc.cfg.Webhooks.UpdateSubscription(ctx, &row); err != nil {
			return dialect.Subscription{}, translate(err)
		}
	}
	return subscriptionOf(row), nil
}

func (h *Host) subscription(ctx context.Context, account, id string) (store.Subscription, error) {
	s, err := h.svc.cfg.DB.Subscription(ctx, id)
	if err != nil {
		return store.Subscription{}, translate(err)
	}
	if s.Tenant != account {
		return store.Subscription{}, fmt.Errorf("subscription %q: %w", id, dialect.ErrNotFound)
	}
	return s, nil
}

func subscriptionOf(s store.Subscription) dialect.Subscription {
	return dialect.Subscription{ID: s.ID, Account: s.Tenant, URL: s.URL, Method: s.Method, Format: s.Format, Events: s.Events}
}

// ListSubscriptions pages through the account's subscriptions.
func (h *Host) ListSubscriptions(ctx context.Context, account string, page dialect.Page) ([]dialect.Subscription, error) {
	if _, err := h.account(ctx, account); err != nil {
		return nil, err
	}
	rows, err := h.svc.cfg.DB.Subscriptions(ctx, account)
	if err != nil {
		return nil, translate(err)
	}
	subs := make([]dialect.Subscription, 0, len(rows))
	for _, r := range rows {
		subs = append(subs, subscriptionOf(r))
	}
	out, _, err := offsetPage(subs, page)
	return out, err
}

// DeleteSubscription removes one of the account's subscriptions.
func (h *Host) DeleteSubscription(ctx context.Context, account, id string) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	if _, err := h.subscription(ctx, account, id); err != nil {
		return err
	}
	return translate(h.svc.cfg.Webhooks.DeleteSubscription(ctx, id))
}
