package zxycalldialect

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// Script groups are the host's plugin state of the account: one entry per
// group at scriptKeyPrefix and its id zero-padded (so the host lists them
// by id), the group's JSON as the value; ids come from the count at
// scriptSeqKey.

const (
	scriptKeyPrefix = "outbound_group/"
	scriptSeqKey    = "outbound_group.seq"
)

// scriptGroup is one script group as stored.
type scriptGroup struct {
	ID              string `json:"-"`
	Name            string `json:"name"`
	Debug           bool   `json:"debug,omitempty"`
	LinkWordGroupID *int   `json:"link_word_group_id,omitempty"`
	TagSceneID      *int   `json:"tag_scene_id,omitempty"`
	// CreatedAt and UpdatedAt are stamps in datetimeLayout, Asia/Shanghai.
	CreatedAt string `json:"created_at,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"`
	// Seeded marks a default the plugin gave an account that had none.
	Seeded bool `json:"seeded,omitempty"`
}

// scriptKey is the state key of script group id; an id that is no
// positive integer names no group.
func scriptKey(id string) (string, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return "", false
	}
	return fmt.Sprintf("%s%019d", scriptKeyPrefix, n), true
}

// putScript creates (g.ID empty: a new id) or replaces a script group.
func putScript(ctx context.Context, host dialect.Host, account string, g scriptGroup) (scriptGroup, error) {
	if g.ID == "" {
		n, err := host.AddState(ctx, account, scriptSeqKey, 1, 0)
		if err != nil {
			return g, fmt.Errorf("number the script group: %w", err)
		}
		g.ID = strconv.FormatInt(n, 10)
	}
	key, ok := scriptKey(g.ID)
	if !ok {
		return g, fmt.Errorf("script group %q: %w", g.ID, dialect.ErrNotFound)
	}
	if err := host.PutState(ctx, account, key, mustJSON(g), 0); err != nil {
		return g, fmt.Errorf("store the script group: %w", err)
	}
	return g, nil
}

// getScript reads one of the account's script groups (dialect.ErrNotFound:
// none with that id).
func getScript(ctx context.Context, host dialect.Host, account, id string) (scriptGroup, error) {
	key, ok := scriptKey(id)
	if !ok {
		return scriptGroup{}, fmt.Errorf("script group %q: %w", truncate(id), dialect.ErrNotFound)
	}
	v, err := host.GetState(ctx, account, key)
	if err != nil {
		return scriptGroup{}, err
	}
	return decodeScript(id, v)
}

func decodeScript(id string, v []byte) (scriptGroup, error) {
	var g scriptGroup
	if err := json.Unmarshal(v, &g); err != nil {
		return g, fmt.Errorf("script group %s: %w", id, err)
	}
	g.ID = id
	return g, nil
}

// deleteScript removes a script group.
func deleteScript(ctx context.Context, host dialect.Host, account, id string) error {
	key, ok := scriptKey(id)
	if !ok {
		return nil
	}
	return host.DeleteState(ctx, account, key)
}

// allScripts lists the account's script groups by id.
func allScripts(ctx context.Context, host dialect.Host, account string) ([]scriptGroup, error) {
	var out []scriptGroup
	token := ""
	for {
		p, err := host.ListState(ctx, account, scriptKeyPrefix, token, dialect.MaxStateList)
		if err != nil {
			return nil, fmt.Errorf("list the script groups: %w", err)
		}
		for _, e := range p.Entries {
			n, err := strconv.ParseInt(e.Key[len(scriptKeyPrefix):], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("script group key %q: %w", e.Key, err)
			}
			g, err := decodeScript(strconv.FormatInt(n, 10), e.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		if token = p.NextToken; token == "" {
			return out, nil
		}
	}
}
