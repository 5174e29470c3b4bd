package zxycalldialect

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Time groups (禁呼时间) and redial rules (重呼规则) are the account's host
// objects (dialect.KindTimeGroup, dialect.KindRedialPolicy). A task copies
// the ones it names into its campaign (Windows.Blocked, Redial); changing
// one copies it again into the tasks that name it.
//
// An account that has none of a kind is given the defaults below when it
// first lists them (as zxycall gives every user its default rule): the
// seed's three blocked time groups, with our windows, and two rules.

var defaultTimeGroups = []dialer.TimeGroup{
	{Name: "休息时间", Ranges: []dialer.TimeRange{{From: 21 * time.Hour, To: 9 * time.Hour}}},
	{Name: "午休时间", Ranges: []dialer.TimeRange{{From: 12 * time.Hour, To: 13*time.Hour + 30*time.Minute}}},
	{Name: "早会时间", Ranges: []dialer.TimeRange{{From: 9 * time.Hour, To: 9*time.Hour + 30*time.Minute}}},
}

// RedialSpec is the spec of a redial_policy object: a named redial rule.
type RedialSpec struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	dialer.RedialPolicy
}

var defaultRecycleRules = []RedialSpec{
	{Name: "默认", RedialPolicy: dialer.RedialPolicy{Rules: map[telephony.Outcome]dialer.RedialRule{
		telephony.OutcomeNoAnswer:   {Count: 2, Intervals: []time.Duration{30 * time.Minute}},
		telephony.OutcomeBusy:       {Count: 2, Intervals: []time.Duration{30 * time.Minute}},
		telephony.OutcomeCongestion: {Count: 2, Intervals: []time.Duration{30 * time.Minute}},
	}}},
	{Name: "不重呼"},
}

func timeGroupOf(o dialect.Object) (dialer.TimeGroup, error) {
	var g dialer.TimeGroup
	if err := json.Unmarshal(o.Spec, &g); err != nil {
		return g, fmt.Errorf("time group %s spec: %w", o.ID, err)
	}
	g.ID = o.ID
	return g, nil
}

// recycleRuleOf reads a rule.
func recycleRuleOf(o dialect.Object) (RedialSpec, error) {
	var r RedialSpec
	if err := json.Unmarshal(o.Spec, &r); err != nil {
		return r, fmt.Errorf("redial policy %s spec: %w", o.ID, err)
	}
	r.ID = o.ID
	return r, nil
}

// lookup reads one of the account's objects; an id that is not one of
// them (or no id of the host's at all, or an object conv does not take) is
// a FieldError on field.
func lookup[T any](ctx context.Context, host dialect.Host, account string, kind dialect.Kind, id, field, reason string, conv func(dialect.Object) (T, error)) (T, error) {
	var zero T
	o, err := host.GetObject(ctx, account, kind, id)
	if err != nil && !errors.Is(err, dialect.ErrNotFound) {
		return zero, err
	}
	var v T
	if err == nil {
		v, err = conv(o)
	}
	if errors.Is(err, dialect.ErrNotFound) {
		return zero, &dialect.FieldError{Field: field, Value: truncate(id), Reason: reason}
	}
	return v, err
}

// seedKind says which objects seeded lists and when two are the same default.
type seedKind struct {
	kind dialect.Kind
	// key is what two copies of one default share (its name).
	key func(dialect.Object) (string, error)
}

func (k seedKind) list(ctx context.Context, host dialect.Host, account string) ([]dialect.Object, error) {
	return allObjects(ctx, host, account, k.kind, func(o dialect.Object) (dialect.Object, error) { return o, nil })
}

// nameKey is the key of objects whose spec has a name.
func nameKey(o dialect.Object) (string, error) {
	var n struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(o.Spec, &n); err != nil {
		return "", fmt.Errorf("%s %s spec: %w", o.Kind, o.ID, err)
	}
	return n.Name, nil
}

// compareIDs orders the host's decimal ids numerically.
func compareIDs(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA != nil || errB != nil {
		return cmp.Compare(a, b)
	}
	return cmp.Compare(x, y)
}

// seeded lists the account's objects of a kind, first giving an account
// that has none the defaults (specs). Two requests seeding at once both
// create them; each then deletes what it created when an object with the
// same key has a lower id, so one set remains.
func seeded[T any](ctx context.Context, host dialect.Host, account string, k seedKind, defaults []any, conv func(dialect.Object) (T, error)) ([]T, error) {
	objs, err := k.list(ctx, host, account)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		if objs, err = seed(ctx, host, account, k, defaults); err != nil {
			return nil, err
		}
	}
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		v, err := conv(o)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// seed creates the defaults and returns the account's objects after.
func seed(ctx context.Context, host dialect.Host, account string, k seedKind, defaults []any) ([]dialect.Object, error) {
	mine := map[string]string{} // id → key
	for _, spec := range defaults {
		o, err := host.PutObject(ctx, account, dialect.Object{Kind: k.kind, Spec: mustJSON(spec)})
		if err != nil {
			return nil, fmt.Errorf("create the default %s: %w", k.kind, err)
		}
		if mine[o.ID], err = k.key(o); err != nil {
			return nil, err
		}
	}
	objs, err := k.list(ctx, host, account)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		if keys[i], err = k.key(o); err != nil {
			return nil, err
		}
	}
	var drop []string
	for id, key := range mine {
		older := false
		for i, o := range objs {
			older = older || keys[i] == key && compareIDs(o.ID, id) < 0
		}
		if older {
			if err := host.DeleteObject(ctx, account, k.kind, id); err != nil && !errors.Is(err, dialect.ErrNotFound) {
				return nil, fmt.Errorf("delete a default %s seeded twice: %w", k.kind, err)
			}
			drop = append(drop, id)
		}
	}
	return slices.DeleteFunc(objs, func(o dialect.Object) bool { return slices.Contains(drop, o.ID) }), nil
}

func timeGroups(ctx context.Context, host dialect.Host, account string) ([]dialer.TimeGroup, error) {
	defaults := make([]any, len(defaultTimeGroups))
	for i, g := range defaultTimeGroups {
		defaults[i] = g
	}
	return seeded(ctx, host, account, seedKind{kind: dialect.KindTimeGroup, key: nameKey}, defaults, timeGroupOf)
}

func recycleRules(ctx context.Context, host dialect.Host, account string) ([]RedialSpec, error) {
	defaults := make([]any, len(defaultRecycleRules))
	for i, r := range defaultRecycleRules {
		defaults[i] = r
	}
	return seeded(ctx, host, account, seedKind{kind: dialect.KindRedialPolicy, key: nameKey}, defaults, recycleRuleOf)
}

// allRules lists the account's redial rules by id.
func allRules(ctx context.Context, host dialect.Host, account string) ([]RedialSpec, error) {
	return allObjects(ctx, host, account, dialect.KindRedialPolicy, recycleRuleOf)
}

// defaultRule is the account's default rule (is_default): its oldest, the
// seeded 默认 unless that was deleted.
func defaultRule(rules []RedialSpec) string {
	id := ""
	for _, r := range rules {
		if id == "" || compareIDs(r.ID, id) < 0 {
			id = r.ID
		}
	}
	return id
}
