package twin24dialect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// An autoCall's webhookUrls are host subscriptions: one per URL, limited to
// the autoCall's campaign, in format "twin24" (RenderEvent renders them).
// The host lists subscriptions by id, so each keeps its position in
// webhookUrls in its Attrs.
const (
	attrIndex = "twin24.index"
	// subPage is the page size for listing subscriptions.
	subPage = 1000
)

// hookSubscription is the subscription for webhookUrls[i] of a campaign.
func hookSubscription(id, campaign string, i int, url string) dialect.Subscription {
	return dialect.Subscription{ID: id, Campaign: campaign, URL: url, Method: http.MethodPost, Format: webhookFormat,
		Events: []string{EventCallResult, EventFinished}, Attrs: map[string]string{attrIndex: strconv.Itoa(i)}}
}

func hookIndex(s dialect.Subscription) int {
	if n, err := strconv.Atoi(s.Attrs[attrIndex]); err == nil {
		return n
	}
	return math.MaxInt
}

// hooksOf lists the account's twin24 subscriptions by campaign, each
// campaign's in webhookUrls order; campaign "" lists every campaign's.
func hooksOf(ctx context.Context, host dialect.Host, account, campaign string) (map[string][]dialect.Subscription, error) {
	var filter map[string]string
	if campaign != "" {
		filter = map[string]string{"campaign": campaign}
	}
	out := map[string][]dialect.Subscription{}
	for off := 0; ; {
		token := ""
		if off > 0 {
			token = strconv.Itoa(off)
		}
		subs, err := host.ListSubscriptions(ctx, account, dialect.Page{Size: subPage, Token: token, Filter: filter})
		if err != nil {
			return nil, fmt.Errorf("list subscriptions: %w", err)
		}
		for _, s := range subs.Subscriptions {
			if s.Format == webhookFormat && s.Campaign != "" && (campaign == "" || s.Campaign == campaign) {
				out[s.Campaign] = append(out[s.Campaign], s)
			}
		}
		if len(subs.Subscriptions) < subPage {
			break
		}
		off += len(subs.Subscriptions)
	}
	for _, subs := range out {
		slices.SortStableFunc(subs, func(a, b dialect.Subscription) int { return cmp.Compare(hookIndex(a), hookIndex(b)) })
	}
	return out, nil
}

func urlsOf(subs []dialect.Subscription) []string {
	out := make([]string, 0, len(subs))
	for _, s := range subs {
		out = append(out, s.URL)
	}
	return out
}

// hookSync is a change of a campaign's subscriptions under way: undo puts
// back what was there, commit deletes the subscriptions no longer wanted.
type hookSync struct {
	host     dialect.Host
	account  string
	created  []string               // ids of new subscriptions
	replaced []dialect.Subscription // old versions of replaced ones
	stale    []dialect.Subscription // to delete on commit
}

// syncHooks makes a campaign's subscriptions (old, as hooksOf lists them)
// carry urls: it replaces those whose URL or position changed and creates
// the missing ones; it deletes nothing until commit. A URL the host refuses
// comes back as a field error on webhookUrls[i] (every refused one), after
// everything done has been undone.
func syncHooks(ctx context.Context, host dialect.Host, account, campaign string, old []dialect.Subscription, urls []string) (*hookSync, Errors, error) {
	s := &hookSync{host: host, account: account}
	errs := Errors{}
	for i, u := range urls {
		want := hookSubscription("", campaign, i, u)
		if i < len(old) {
			if same(old[i], want) {
				continue
			}
			want.ID = old[i].ID
		}
		got, err := host.PutSubscription(ctx, account, want)
		var fe *dialect.FieldError
		switch {
		case errors.As(err, &fe):
			reason := fe.Reason
			if fe.Field != "url" {
				reason = fe.Field + ": " + fe.Reason
			}
			errs.add(fmt.Sprintf("webhookUrls[%d]", i), reason)
			continue
		case err != nil:
			return nil, nil, errors.Join(fmt.Errorf("subscription for webhookUrls[%d]: %w", i, err), s.undo(ctx))
		}
		if want.ID == "" {
			s.created = append(s.created, got.ID)
		} else {
			s.replaced = append(s.replaced, old[i])
		}
	}
	if len(errs) > 0 {
		if err := s.undo(ctx); err != nil {
			return nil, nil, err
		}
		return nil, errs, nil
	}
	if len(urls) < len(old) {
		s.stale = old[len(urls):]
	}
	return s, nil, nil
}

// same reports whether a stored subscription is already what is wanted.
func same(have, want dialect.Subscription) bool {
	return have.URL == want.URL && have.Method == want.Method && have.Format == want.Format &&
		slices.Equal(have.Events, want.Events) && have.Attrs[attrIndex] == want.Attrs[attrIndex]
}

// undo deletes the subscriptions created and puts back the replaced ones.
// It runs to its end even when the request is cancelled.
func (s *hookSync) undo(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for _, id := range s.created {
		if err := s.host.DeleteSubscription(ctx, s.account, id); err != nil && !errors.Is(err, dialect.ErrNotFound) {
			errs = append(errs, fmt.Errorf("undo: delete subscription %s: %w", id, err))
		}
	}
	for _, old := range s.replaced {
		if _, err := s.host.PutSubscription(ctx, s.account, old); err != nil {
			errs = append(errs, fmt.Errorf("undo: restore subscription %s: %w", old.ID, err))
		}
	}
	s.created, s.replaced = nil, nil
	return errors.Join(errs...)
}

// commit deletes the subscriptions the campaign no longer has.
func (s *hookSync) commit(ctx context.Context) error {
	return deleteHooks(context.WithoutCancel(ctx), s.host, s.account, s.stale)
}

// deleteHooks deletes subscriptions (ones already gone are no error).
func deleteHooks(ctx context.Context, host dialect.Host, account string, subs []dialect.Subscription) error {
	var errs []error
	for _, sub := range subs {
		if err := host.DeleteSubscription(ctx, account, sub.ID); err != nil && !errors.Is(err, dialect.ErrNotFound) {
			errs = append(errs, fmt.Errorf("delete subscription %s: %w", sub.ID, err))
		}
	}
	return errors.Join(errs...)
}
