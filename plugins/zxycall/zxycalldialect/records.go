package zxycalldialect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// Records keep what the host has no kind for: an agent group's name, line
// and status (its queue carries none of them) and the script groups. The
// host's outbound objects are closed kinds, so a record is the JSON of a
// zxycall object kept as the name of an inert redial_policy object (one
// with no rules, which no campaign names), behind recordPrefix. The rule
// views (recycleRuleOf, allRules) leave records out, and a rule's name may
// not start with the prefix. A host kind for dialect records would replace
// this carrier without changing the API.

// recordPrefix starts the name of every redial_policy object that carries
// a record.
const recordPrefix = "zxycall.record:"

// recordKind says what a record holds.
type recordKind string

// Record kinds.
const (
	recAgentGroup  recordKind = "customer_service"
	recScriptGroup recordKind = "outbound_group"
)

// errNotRule is a record met where a redial rule was looked for.
var errNotRule = fmt.Errorf("%w: not a redial rule", dialect.ErrNotFound)

// record is one zxycall object kept in a carrier.
type record struct {
	// ID is the carrier's host id: a script group's id. An agent group's id
	// is its queue's (Queue).
	ID   string     `json:"-"`
	Kind recordKind `json:"kind"`
	Name string     `json:"name"`
	// Queue is an agent group's queue.
	Queue string `json:"queue,omitempty"`
	// CallerLineID is an agent group's transfer line ("" for null).
	CallerLineID string `json:"caller_line_id,omitempty"`
	// Status is an agent group's 0 (disabled) or 1 (usable).
	Status int `json:"status,omitempty"`
	// Debug, LinkWordGroupID and TagSceneID are a script group's.
	Debug           bool `json:"debug,omitempty"`
	LinkWordGroupID *int `json:"link_word_group_id,omitempty"`
	TagSceneID      *int `json:"tag_scene_id,omitempty"`
	// CreatedAt and UpdatedAt are stamps in datetimeLayout, Asia/Shanghai.
	CreatedAt string `json:"created_at,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"`
}

// carrierName reads the name of a redial_policy object.
func carrierName(o dialect.Object) (string, error) {
	var n struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(o.Spec, &n); err != nil {
		return "", fmt.Errorf("%s %s spec: %w", o.Kind, o.ID, err)
	}
	return n.Name, nil
}

// isRecord reports whether o carries a record.
func isRecord(o dialect.Object) bool {
	name, err := carrierName(o)
	return err == nil && strings.HasPrefix(name, recordPrefix)
}

// recordOf reads the record o carries; an object that carries none, or one
// of another kind, is dialect.ErrNotFound.
func recordOf(kind recordKind) func(dialect.Object) (record, error) {
	return func(o dialect.Object) (record, error) {
		name, err := carrierName(o)
		if err != nil {
			return record{}, err
		}
		body, found := strings.CutPrefix(name, recordPrefix)
		if !found {
			return record{}, fmt.Errorf("%w: %s %s is not a %s", dialect.ErrNotFound, o.Kind, o.ID, kind)
		}
		var rec record
		if err := json.Unmarshal([]byte(body), &rec); err != nil {
			return record{}, fmt.Errorf("record %s: %w", o.ID, err)
		}
		if rec.Kind != kind {
			return record{}, fmt.Errorf("%w: %s %s is not a %s", dialect.ErrNotFound, o.Kind, o.ID, kind)
		}
		rec.ID = o.ID
		return rec, nil
	}
}

// carrier is the object that keeps rec.
func carrier(rec record) dialect.Object {
	return dialect.Object{Kind: dialect.KindRedialPolicy, ID: rec.ID,
		Spec: mustJSON(RedialSpec{ID: rec.ID, Name: recordPrefix + string(mustJSON(rec))})}
}

// putRecord creates (rec.ID empty) or replaces a record.
func putRecord(ctx context.Context, host dialect.Host, account string, rec record) (record, error) {
	o, err := host.PutObject(ctx, account, carrier(rec))
	if err != nil {
		return record{}, fmt.Errorf("store the %s: %w", rec.Kind, err)
	}
	return recordOf(rec.Kind)(o)
}

// getRecord reads one of the account's records of kind.
func getRecord(ctx context.Context, host dialect.Host, account string, kind recordKind, id string) (record, error) {
	o, err := host.GetObject(ctx, account, dialect.KindRedialPolicy, id)
	if err != nil {
		return record{}, err
	}
	return recordOf(kind)(o)
}

// allRecords lists the account's records of kind, by id.
func allRecords(ctx context.Context, host dialect.Host, account string, kind recordKind) ([]record, error) {
	objs, err := allObjects(ctx, host, account, dialect.KindRedialPolicy, func(o dialect.Object) (dialect.Object, error) { return o, nil })
	if err != nil {
		return nil, err
	}
	var out []record
	for _, o := range objs {
		rec, err := recordOf(kind)(o)
		if errors.Is(err, dialect.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// allRules lists the account's redial rules (no records), by id.
func allRules(ctx context.Context, host dialect.Host, account string) ([]RedialSpec, error) {
	objs, err := allObjects(ctx, host, account, dialect.KindRedialPolicy, func(o dialect.Object) (dialect.Object, error) { return o, nil })
	if err != nil {
		return nil, err
	}
	var out []RedialSpec
	for _, o := range objs {
		if isRecord(o) {
			continue
		}
		r, err := recycleRuleOf(o)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
