package pluginhosttest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// stateEntry is one plugin state entry; a zero expires never expires.
type stateEntry struct {
	value   []byte
	count   int64
	expires time.Time
}

func (e stateEntry) live(now time.Time) bool { return e.expires.IsZero() || now.Before(e.expires) }

func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl == 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

// stateCall checks a state call and returns its map key and the live
// entry there (ok false: none), with h.mu held; the caller unlocks.
func (h *Host) stateCall(ctx context.Context, method, account, key string, value []byte, ttl time.Duration) ([2]string, stateEntry, bool, error) {
	if err := h.before(ctx, method, account); err != nil {
		return [2]string{}, stateEntry{}, false, err
	}
	if err := dialect.CheckState(key, value, ttl); err != nil {
		return [2]string{}, stateEntry{}, false, fmt.Errorf("%s: %w", method, err)
	}
	h.mu.Lock()
	k := [2]string{account, key}
	e, ok := h.state[k]
	if ok && !e.live(h.cfg.Now()) {
		delete(h.state, k)
		return k, stateEntry{}, false, nil
	}
	return k, e, ok, nil
}

// PutState stores value at key (see dialect.Host).
func (h *Host) PutState(ctx context.Context, account, key string, value []byte, ttl time.Duration) error {
	k, e, _, err := h.stateCall(ctx, "PutState", account, key, value, ttl)
	if err != nil {
		return err
	}
	defer h.mu.Unlock()
	h.state[k] = stateEntry{value: slices.Clone(value), count: e.count, expires: expiry(h.cfg.Now(), ttl)}
	return nil
}

// PutStateIfAbsent stores value at key unless a live entry is there.
func (h *Host) PutStateIfAbsent(ctx context.Context, account, key string, value []byte, ttl time.Duration) (bool, error) {
	k, _, ok, err := h.stateCall(ctx, "PutStateIfAbsent", account, key, value, ttl)
	if err != nil {
		return false, err
	}
	defer h.mu.Unlock()
	if ok {
		return false, nil
	}
	h.state[k] = stateEntry{value: slices.Clone(value), expires: expiry(h.cfg.Now(), ttl)}
	return true, nil
}

// GetState returns the value at key, or dialect.ErrNotFound.
func (h *Host) GetState(ctx context.Context, account, key string) ([]byte, error) {
	_, e, ok, err := h.stateCall(ctx, "GetState", account, key, nil, 0)
	if err != nil {
		return nil, err
	}
	defer h.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("state %q: %w", key, dialect.ErrNotFound)
	}
	return slices.Clone(e.value), nil
}

// DeleteState removes the entry at key.
func (h *Host) DeleteState(ctx context.Context, account, key string) error {
	k, _, _, err := h.stateCall(ctx, "DeleteState", account, key, nil, 0)
	if err != nil {
		return err
	}
	defer h.mu.Unlock()
	delete(h.state, k)
	return nil
}

// AddState adds delta to the count at key and returns it.
func (h *Host) AddState(ctx context.Context, account, key string, delta int64, ttl time.Duration) (int64, error) {
	k, e, ok, err := h.stateCall(ctx, "AddState", account, key, nil, ttl)
	if err != nil {
		return 0, err
	}
	defer h.mu.Unlock()
	if !ok {
		e = stateEntry{expires: expiry(h.cfg.Now(), ttl)}
	}
	e.count += delta
	h.state[k] = e
	return e.count, nil
}

// ListState pages through the live entries whose keys start with prefix,
// by key.
func (h *Host) ListState(ctx context.Context, account, prefix, pageToken string, limit int) (dialect.StatePage, error) {
	if err := h.before(ctx, "ListState", account); err != nil {
		return dialect.StatePage{}, err
	}
	n, err := dialect.CheckStateList(prefix, pageToken, limit)
	if err != nil {
		return dialect.StatePage{}, fmt.Errorf("ListState: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.cfg.Now()
	var keys []string
	for k, e := range h.state {
		if k[0] == account && strings.HasPrefix(k[1], prefix) && k[1] > pageToken && e.live(now) {
			keys = append(keys, k[1])
		}
	}
	slices.Sort(keys)
	var p dialect.StatePage
	for i, key := range keys {
		if i == n {
			p.NextToken = keys[i-1]
			break
		}
		e := h.state[[2]string{account, key}]
		p.Entries = append(p.Entries, dialect.StateEntry{Key: key, Value: append([]byte{}, e.value...), Count: e.count})
	}
	return p, nil
}
