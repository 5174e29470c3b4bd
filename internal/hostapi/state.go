package hostapi

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// sweepEvery is the least time between two sweeps of expired plugin state.
const sweepEvery = time.Minute

// stateKey checks a state call (the account is this dialect's, the key,
// value and ttl within limits) and names its entry.
func (h *Host) stateKey(ctx context.Context, method, account, key string, value []byte, ttl time.Duration) (store.StateKey, error) {
	if _, err := h.account(ctx, account); err != nil {
		return store.StateKey{}, err
	}
	if err := dialect.CheckState(key, value, ttl); err != nil {
		return store.StateKey{}, fmt.Errorf("%s: %w", method, err)
	}
	return store.StateKey{Plugin: h.plugin, Account: account, Name: key}, nil
}

func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl == 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

// PutState stores a plugin state value (see dialect.Host).
func (h *Host) PutState(ctx context.Context, account, key string, value []byte, ttl time.Duration) error {
	k, err := h.stateKey(ctx, "PutState", account, key, value, ttl)
	if err != nil {
		return err
	}
	now := h.svc.cfg.Now()
	if err := h.svc.cfg.DB.PutState(ctx, k, value, expiry(now, ttl), now); err != nil {
		return translate(err)
	}
	h.svc.maybeSweep(ctx, now)
	return nil
}

// PutStateIfAbsent stores a plugin state value unless a live one is there.
func (h *Host) PutStateIfAbsent(ctx context.Context, account, key string, value []byte, ttl time.Duration) (bool, error) {
	k, err := h.stateKey(ctx, "PutStateIfAbsent", account, key, value, ttl)
	if err != nil {
		return false, err
	}
	now := h.svc.cfg.Now()
	stored, err := h.svc.cfg.DB.PutStateIfAbsent(ctx, k, value, expiry(now, ttl), now)
	if err != nil {
		return false, translate(err)
	}
	h.svc.maybeSweep(ctx, now)
	return stored, nil
}

// GetState returns a plugin state value, or dialect.ErrNotFound.
func (h *Host) GetState(ctx context.Context, account, key string) ([]byte, error) {
	k, err := h.stateKey(ctx, "GetState", account, key, nil, 0)
	if err != nil {
		return nil, err
	}
	v, err := h.svc.cfg.DB.GetState(ctx, k, h.svc.cfg.Now())
	return v, translate(err)
}

// DeleteState removes a plugin state entry.
func (h *Host) DeleteState(ctx context.Context, account, key string) error {
	k, err := h.stateKey(ctx, "DeleteState", account, key, nil, 0)
	if err != nil {
		return err
	}
	return translate(h.svc.cfg.DB.DeleteState(ctx, k))
}

// AddState adds to a plugin state count and returns it.
func (h *Host) AddState(ctx context.Context, account, key string, delta int64, ttl time.Duration) (int64, error) {
	k, err := h.stateKey(ctx, "AddState", account, key, nil, ttl)
	if err != nil {
		return 0, err
	}
	now := h.svc.cfg.Now()
	n, err := h.svc.cfg.DB.AddState(ctx, k, delta, expiry(now, ttl), now)
	if err != nil {
		return 0, translate(err)
	}
	h.svc.maybeSweep(ctx, now)
	return n, nil
}

// maybeSweep sweeps expired plugin state when the last sweep is
// sweepEvery old; of concurrent callers only one sweeps. A failed sweep is
// logged: the entries it left are absent to every call anyway.
func (s *Service) maybeSweep(ctx context.Context, now time.Time) {
	last := s.lastSweep.Load()
	if now.UnixMilli()-last < sweepEvery.Milliseconds() || !s.lastSweep.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	if _, err := s.SweepState(ctx); err != nil {
		s.cfg.Logger.WarnContext(ctx, "sweep plugin state", "err", err)
	}
}

// SweepState deletes every plugin's expired state entries now and returns
// how many.
func (s *Service) SweepState(ctx context.Context) (int64, error) {
	n, err := s.cfg.DB.SweepState(ctx, s.cfg.Now())
	if err != nil {
		return 0, fmt.Errorf("hostapi: %w", err)
	}
	return n, nil
}

// ListState pages through live plugin state entries by key (see
// dialect.Host); a page token is the last key of the page before.
func (h *Host) ListState(ctx context.Context, account, prefix, pageToken string, limit int) (dialect.StatePage, error) {
	if _, err := h.account(ctx, account); err != nil {
		return dialect.StatePage{}, err
	}
	n, err := dialect.CheckStateList(prefix, pageToken, limit)
	if err != nil {
		return dialect.StatePage{}, fmt.Errorf("ListState: %w", err)
	}
	rows, err := h.svc.cfg.DB.ListState(ctx, h.plugin, account, prefix, pageToken, n+1, h.svc.cfg.Now())
	if err != nil {
		return dialect.StatePage{}, translate(err)
	}
	var p dialect.StatePage
	for i, r := range rows {
		if i == n {
			p.NextToken = rows[i-1].Name
			break
		}
		p.Entries = append(p.Entries, dialect.StateEntry{Key: r.Name, Value: r.Value, Count: r.Counter})
	}
	return p, nil
}
