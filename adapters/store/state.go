package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// StateKey names one plugin state entry: a dialect plugin's entry for one
// of its accounts. The table is plugin_state; an entry holds a value and
// a counter, and expires at a time (or never). An expired entry is absent
// to every call here; SweepState deletes it.
type StateKey struct {
	Plugin  string
	Account string
	Name    string
}

func (k StateKey) String() string { return k.Plugin + "/" + k.Account + "/" + k.Name }

// expiresMS is the stored expiry: Unix milliseconds, 0 for never.
func expiresMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// expiredSQL is true for the existing row's expiry when it is over at now (the argument).
const expiredSQL = `(plugin_state.expires_ms <> 0 AND plugin_state.expires_ms <= ?)`

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// PutState stores value at k, expiring at expires (zero: never), and keeps
// the entry's counter unless the entry had expired by now.
func (db *DB) PutState(ctx context.Context, k StateKey, value []byte, expires, now time.Time) error {
	_, err := db.NewRaw(`INSERT INTO plugin_state (plugin, account, name, value, counter, expires_ms) VALUES (?, ?, ?, ?, 0, ?)
		ON CONFLICT (plugin, account, name) DO UPDATE SET value = excluded.value, expires_ms = excluded.expires_ms,
		counter = CASE WHEN `+expiredSQL+` THEN 0 ELSE plugin_state.counter END`,
		k.Plugin, k.Account, k.Name, nonNil(value), expiresMS(expires), now.UnixMilli()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: put state %s: %w", k, err)
	}
	return nil
}

// PutStateIfAbsent stores value at k only when no live entry is there, in
// one statement (atomic on both engines), and reports whether it stored.
func (db *DB) PutStateIfAbsent(ctx context.Context, k StateKey, value []byte, expires, now time.Time) (bool, error) {
	res, err := db.NewRaw(`INSERT INTO plugin_state (plugin, account, name, value, counter, expires_ms) VALUES (?, ?, ?, ?, 0, ?)
		ON CONFLICT (plugin, account, name) DO UPDATE SET value = excluded.value, counter = 0, expires_ms = excluded.expires_ms
		WHERE `+expiredSQL,
		k.Plugin, k.Account, k.Name, nonNil(value), expiresMS(expires), now.UnixMilli()).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("store: put state %s if absent: %w", k, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: put state %s if absent: %w", k, err)
	}
	return n > 0, nil
}

// GetState returns the value at k, or ErrNotFound when no live entry is there.
func (db *DB) GetState(ctx context.Context, k StateKey, now time.Time) ([]byte, error) {
	var v []byte
	err := db.NewRaw(`SELECT value FROM plugin_state WHERE plugin = ? AND account = ? AND name = ? AND (expires_ms = 0 OR expires_ms > ?)`,
		k.Plugin, k.Account, k.Name, now.UnixMilli()).Scan(ctx, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: state %s: %w", k, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get state %s: %w", k, err)
	}
	return nonNil(v), nil
}

// DeleteState removes the entry at k; removing nothing is no error.
func (db *DB) DeleteState(ctx context.Context, k StateKey) error {
	_, err := db.NewRaw(`DELETE FROM plugin_state WHERE plugin = ? AND account = ? AND name = ?`, k.Plugin, k.Account, k.Name).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: delete state %s: %w", k, err)
	}
	return nil
}

// AddState adds delta to the counter at k in one statement and returns
// the new counter. With no live entry there, the entry starts afresh (an
// empty value, counter delta) expiring at expires; a live one keeps its
// value and expiry.
func (db *DB) AddState(ctx context.Context, k StateKey, delta int64, expires, now time.Time) (int64, error) {
	nowMS := now.UnixMilli()
	var n int64
	err := db.NewRaw(`INSERT INTO plugin_state (plugin, account, name, value, counter, expires_ms) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (plugin, account, name) DO UPDATE SET
		counter = CASE WHEN `+expiredSQL+` THEN excluded.counter ELSE plugin_state.counter + excluded.counter END,
		value = CASE WHEN `+expiredSQL+` THEN excluded.value ELSE plugin_state.value END,
		expires_ms = CASE WHEN `+expiredSQL+` THEN excluded.expires_ms ELSE plugin_state.expires_ms END
		RETURNING counter`,
		k.Plugin, k.Account, k.Name, []byte{}, delta, expiresMS(expires), nowMS, nowMS, nowMS).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("store: add state %s: %w", k, err)
	}
	return n, nil
}

// StateRow is one live plugin state entry (ListState).
type StateRow struct {
	Name    string `bun:"name"`
	Value   []byte `bun:"value"`
	Counter int64  `bun:"counter"`
}

// ListState returns up to limit of the live entries of plugin and account
// whose names start with prefix and sort after after ("" for from the
// first), by name in byte order. It is a range on the primary key
// (plugin, account, name): the prefix is bounds, never a LIKE pattern.
func (db *DB) ListState(ctx context.Context, plugin, account, prefix, after string, limit int, now time.Time) ([]StateRow, error) {
	const name = "name" // byte-ordered on both databases (migration 000008)
	q := `SELECT name, value, counter FROM plugin_state WHERE plugin = ? AND account = ? AND (expires_ms = 0 OR expires_ms > ?)`
	args := []any{plugin, account, now.UnixMilli()}
	if after < prefix {
		q += ` AND ` + name + ` >= ?`
		args = append(args, prefix)
	} else {
		q += ` AND ` + name + ` > ?`
		args = append(args, after)
	}
	if end, ok := prefixEnd(prefix); ok {
		q += ` AND ` + name + ` < ?`
		args = append(args, end)
	}
	q += ` ORDER BY ` + name + ` LIMIT ?`
	args = append(args, limit)
	var rows []StateRow
	if err := db.NewRaw(q, args...).Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: list state %s/%s/%s*: %w", plugin, account, prefix, err)
	}
	for i := range rows {
		rows[i].Value = nonNil(rows[i].Value)
	}
	return rows, nil
}

// prefixEnd is the least string above every string that starts with
// prefix (ok false: there is none). A UTF-8 prefix gets a UTF-8 bound (its
// last code point raised; code point order is byte order), as PostgreSQL
// takes no other text.
func prefixEnd(prefix string) (string, bool) {
	if utf8.ValidString(prefix) {
		rs := []rune(prefix)
		for i := len(rs) - 1; i >= 0; i-- {
			r := rs[i] + 1
			if r == 0xd800 {
				r = 0xe000 // past the surrogates, which UTF-8 cannot hold
			}
			if r <= utf8.MaxRune {
				rs[i] = r
				return string(rs[:i+1]), true
			}
		}
		return "", false
	}
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// SweepState deletes the entries expired by now and returns how many.
func (db *DB) SweepState(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.NewRaw(`DELETE FROM plugin_state WHERE expires_ms <> 0 AND expires_ms <= ?`, now.UnixMilli()).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: sweep state: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// StateCount returns how many entries, live or expired, the table holds
// for a plugin (all plugins when plugin is empty).
func (db *DB) StateCount(ctx context.Context, plugin string) (int, error) {
	var n int
	q := `SELECT COUNT(*) FROM plugin_state`
	args := []any{}
	if plugin != "" {
		q += ` WHERE plugin = ?`
		args = append(args, plugin)
	}
	if err := db.NewRaw(q, args...).Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("store: count state: %w", err)
	}
	return n, nil
}
