package hostapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// PutSubscription creates a webhook subscription or replaces one of the
// account's. The subscription belongs to the calling plugin, which renders
// its events (webhook.DialectRenderer); the sender checks its URL, and the
// URLs among its Attrs, against the address policy now. A campaign- or
// agent-scoped subscription must name one of the account's campaigns or
// agents. A contact scope needs a campaign scope; the contact need not be
// imported yet (a dialect may subscribe before it imports).
func (h *Host) PutSubscription(ctx context.Context, account string, sub dialect.Subscription) (dialect.Subscription, error) {
	if _, err := h.account(ctx, account); err != nil {
		return dialect.Subscription{}, err
	}
	if sub.Contact != "" && sub.Campaign == "" {
		return dialect.Subscription{}, &dialect.FieldError{Field: "contact", Value: sub.Contact, Reason: "needs a campaign scope"}
	}
	if sub.Campaign != "" {
		n, err := parseID("campaign", sub.Campaign)
		if err != nil {
			return dialect.Subscription{}, err
		}
		if _, err := h.svc.cfg.DB.Campaign(ctx, account, n); err != nil {
			return dialect.Subscription{}, translate(err)
		}
	}
	if sub.Agent != "" {
		if _, err := h.GetAgent(ctx, account, sub.Agent); err != nil {
			return dialect.Subscription{}, err
		}
	}
	row := store.Subscription{ID: sub.ID, Tenant: account, URL: sub.URL, Method: sub.Method, Format: sub.Format, Events: sub.Events,
		Dialect: h.plugin, Campaign: sub.Campaign, Agent: sub.Agent, Contact: sub.Contact, EventTypes: sub.EventTypes, Attrs: sub.Attrs}
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
	return webhook.DialectSubscription(row), nil
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

// ListSubscriptions pages through the account's subscriptions (by id;
// the token is an offset, NextToken empty on the last page); the filter
// "campaign" narrows them to one campaign's.
func (h *Host) ListSubscriptions(ctx context.Context, account string, page dialect.Page) (dialect.SubscriptionPage, error) {
	if _, err := h.account(ctx, account); err != nil {
		return dialect.SubscriptionPage{}, err
	}
	var rows []store.Subscription
	var err error
	if c, ok := page.Filter["campaign"]; ok {
		rows, err = h.svc.cfg.DB.CampaignSubscriptions(ctx, account, c)
	} else {
		rows, err = h.svc.cfg.DB.Subscriptions(ctx, account)
	}
	if err != nil {
		return dialect.SubscriptionPage{}, translate(err)
	}
	subs := make([]dialect.Subscription, 0, len(rows))
	for _, r := range rows {
		subs = append(subs, webhook.DialectSubscription(r))
	}
	out, next, err := offsetPage(subs, page)
	if err != nil {
		return dialect.SubscriptionPage{}, err
	}
	return dialect.SubscriptionPage{Subscriptions: out, NextToken: next}, nil
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

// dropSubscriptions deletes the account's subscriptions scoped to an
// object that is gone (a campaign, an agent); their deliveries already
// stored are dead-lettered when next due, and can be replayed.
func (h *Host) dropSubscriptions(ctx context.Context, account string, scoped func(store.Subscription) bool) error {
	rows, err := h.svc.cfg.DB.Subscriptions(ctx, account)
	if err != nil {
		return translate(err)
	}
	for _, r := range rows {
		if !scoped(r) {
			continue
		}
		if err := h.svc.cfg.Webhooks.DeleteSubscription(ctx, r.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return translate(err)
		}
	}
	return nil
}
