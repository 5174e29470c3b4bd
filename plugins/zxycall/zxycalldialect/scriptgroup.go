package zxycalldialect

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strconv"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// Script groups (话术分组, outbound_group) are kept in the host's plugin
// state (scriptstore.go), with ids of their own. A task's
// destination_extension names one, and its calls run the dialplan target
// default,<id>,1 (the seed's destination_context "default"); a group's
// debug is the channel variable ZXYCALL_DEBUG=1 on the task's calls. An
// account that has none is given defaultScriptGroup when it first lists
// them (as time groups); default is the account's oldest group.

const (
	scriptGroupNotYours = "is not one of your script groups (outbound_group)"
	defaultScriptGroup  = "默认话术"
	// debugVariable is set to "1" on the calls of a task whose script group
	// is in debug mode (every prompt by TTS).
	debugVariable = "ZXYCALL_DEBUG"
)

// ScriptGroupInput is the body of POST /v1/outbound_group and PUT
// /v1/outbound_group/{id} (ours): {"name", "debug", "link_word_group_id",
// "tag_scene_id", "default"}.
type ScriptGroupInput struct {
	Name            string
	Debug           bool
	LinkWordGroupID *int
	TagSceneID      *int
	// Default is default as sent (nil: not sent); it is read-only.
	Default *bool
}

// DecodeScriptGroup reads a script group body; integers may be strings of
// digits, booleans also 0 or 1.
func DecodeScriptGroup(body []byte) (ScriptGroupInput, *dialect.FieldError) {
	var in ScriptGroupInput
	m, fe := fields("body", body)
	if fe != nil {
		return in, fe
	}
	if in.Name, fe = decodeName(m); fe != nil {
		return in, fe
	}
	debug, fe := decodeBool("debug", m["debug"])
	if fe != nil {
		return in, fe
	}
	in.Debug = debug != nil && *debug
	if in.Default, fe = decodeBool("default", m["default"]); fe != nil {
		return in, fe
	}
	for _, f := range []struct {
		name string
		dst  **int
	}{{"link_word_group_id", &in.LinkWordGroupID}, {"tag_scene_id", &in.TagSceneID}} {
		v, fe := decodeInt(f.name, m[f.name])
		if fe != nil {
			return in, fe
		}
		if v != nil && *v <= 0 {
			return in, &dialect.FieldError{Field: f.name, Value: strconv.Itoa(*v), Reason: "must be a positive id or null"}
		}
		*f.dst = v
	}
	return in, nil
}

// decodeBool reads true, false, 1 or 0 (null or absent: nil).
func decodeBool(field string, b []byte) (*bool, *dialect.FieldError) {
	if isNull(b) {
		return nil, nil
	}
	var v bool
	switch string(b) {
	case "true", "1", `"1"`, `"true"`:
		v = true
	case "false", "0", `"0"`, `"false"`:
	default:
		return nil, &dialect.FieldError{Field: field, Value: truncate(string(b)), Reason: "must be true or false"}
	}
	return &v, nil
}

// scriptGroups lists the account's script groups, first giving an account
// that has none the default. Of the defaults concurrent first listers give,
// each lister keeps only the one with the least id.
func (d *Dialect) scriptGroups(ctx context.Context, host dialect.Host, account string) ([]scriptGroup, error) {
	gs, err := allScripts(ctx, host, account)
	if err != nil || len(gs) > 0 {
		return gs, err
	}
	now := d.stamp(d.now())
	if _, err := putScript(ctx, host, account, scriptGroup{Name: defaultScriptGroup, CreatedAt: now, UpdatedAt: now, Seeded: true}); err != nil {
		return nil, fmt.Errorf("create the default script group: %w", err)
	}
	if gs, err = allScripts(ctx, host, account); err != nil {
		return nil, err
	}
	first := ""
	for _, g := range gs {
		if g.Seeded && first == "" {
			first = g.ID
		}
	}
	out := gs[:0]
	for _, g := range gs {
		if g.Seeded && g.ID != first {
			if err := deleteScript(ctx, host, account, g.ID); err != nil {
				return nil, fmt.Errorf("drop a second default script group: %w", err)
			}
			continue
		}
		out = append(out, g)
	}
	return out, nil
}

// oldest is the id of the oldest group ("" for none): the default group.
func oldest(gs []scriptGroup) string {
	id := ""
	for _, g := range gs {
		if id == "" || compareIDs(g.ID, id) < 0 {
			id = g.ID
		}
	}
	return id
}

// scripts is the account's script groups by id, with the default's id.
type scripts struct {
	groups map[string]scriptGroup
	def    string
}

// scriptsOf reads the account's script groups for rendering tasks; on an
// error the tasks show only their groups' ids.
func scriptsOf(ctx context.Context, host dialect.Host, account string) scripts {
	recs, err := allScripts(ctx, host, account)
	if err != nil {
		return scripts{}
	}
	s := scripts{groups: make(map[string]scriptGroup, len(recs)), def: oldest(recs)}
	for _, r := range recs {
		s.groups[r.ID] = r
	}
	return s
}

// group renders the script group id names (only its id when unknown).
func (s scripts) group(acct dialect.Account, id int) Group {
	rec, ok := s.groups[strconv.Itoa(id)]
	if !ok {
		return Group{ID: id, UserID: acct.ID}
	}
	return scriptGroupEntity(acct, rec, s.def)
}

func scriptGroupEntity(acct dialect.Account, rec scriptGroup, def string) Group {
	id, _ := strconv.Atoi(rec.ID)
	return Group{ID: id, Name: &rec.Name, UserID: acct.ID, Debug: rec.Debug, CreatedAt: optional(rec.CreatedAt),
		UpdatedAt: optional(rec.UpdatedAt), LinkWordGroupID: rec.LinkWordGroupID, TagSceneID: rec.TagSceneID, Default: rec.ID == def}
}

// applyScript points c at script group g: its dialplan target and debug.
func applyScript(c *dialer.Campaign, g scriptGroup) {
	c.Destination.Kind = dialer.DestDialplan
	c.Destination.Dialplan.Context, c.Destination.Dialplan.Extension, c.Destination.Dialplan.Priority = scriptContext, g.ID, 1
	c.Variables = maps.Clone(c.Variables)
	if g.Debug {
		if c.Variables == nil {
			c.Variables = map[string]string{}
		}
		c.Variables[debugVariable] = "1"
	} else {
		delete(c.Variables, debugVariable)
	}
	if len(c.Variables) == 0 {
		c.Variables = nil
	}
}

func (d *Dialect) listScriptGroups(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	gs, err := d.scriptGroups(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	def := oldest(gs)
	out := make([]Group, 0, len(gs))
	for _, g := range gs {
		out = append(out, scriptGroupEntity(acct, g, def))
	}
	ok(w, struct {
		Data []Group `json:"data"`
	}{out})
}

func (d *Dialect) getScriptGroup(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	g, err := getScript(ctx, host, acct.ID, r.PathValue("id"))
	if err != nil {
		failErr(w, err)
		return
	}
	s := scriptsOf(ctx, host, acct.ID)
	ok(w, scriptGroupEntity(acct, g, s.def))
}

// putScriptGroup creates (no id) or changes a script group; a changed one's
// debug is copied into the tasks that name it.
func (d *Dialect) putScriptGroup(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	id := r.PathValue("id")
	var prev scriptGroup
	if id != "" {
		var err error
		if prev, err = getScript(ctx, host, acct.ID, id); err != nil {
			failErr(w, err)
			return
		}
	}
	in, valid := decodeRequest(w, r, DecodeScriptGroup)
	if !valid {
		return
	}
	recs, err := allScripts(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	// A new group is the default only in an account that has none.
	isDefault := (id == "" && len(recs) == 0) || (id != "" && oldest(recs) == id)
	if in.Default != nil && *in.Default != isDefault {
		failErr(w, &dialect.FieldError{Field: "default", Value: strconv.FormatBool(*in.Default),
			Reason: "is read-only: the default script group is the account's oldest (" + strconv.FormatBool(isDefault) + " here)"})
		return
	}
	now := d.stamp(d.now())
	rec := scriptGroup{ID: id, Name: in.Name, Debug: in.Debug, LinkWordGroupID: in.LinkWordGroupID,
		TagSceneID: in.TagSceneID, CreatedAt: now, UpdatedAt: now}
	if id != "" && prev.CreatedAt != "" {
		rec.CreatedAt, rec.Seeded = prev.CreatedAt, prev.Seeded
	}
	stored, err := putScript(ctx, host, acct.ID, rec)
	if err != nil {
		failErr(w, err)
		return
	}
	if id != "" {
		if err := d.recopy(ctx, host, acct.ID, attrScript, id, func(c *dialer.Campaign) { applyScript(c, stored) }); err != nil {
			fail(w, CodeInternal, "内部错误: the script group changed, but not in every task that uses it: "+err.Error())
			return
		}
	}
	def := oldest(recs)
	if def == "" {
		def = stored.ID
	}
	ok(w, scriptGroupEntity(acct, stored, def))
}

// deleteScriptGroup deletes a script group no task names.
func (d *Dialect) deleteScriptGroup(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	id := r.PathValue("id")
	if _, err := getScript(ctx, host, acct.ID, id); err != nil {
		failErr(w, err)
		return
	}
	if refuseInUse(ctx, w, host, acct.ID, attrScript, id) {
		return
	}
	if err := deleteScript(ctx, host, acct.ID, id); err != nil {
		failErr(w, err)
		return
	}
	success(w, nil)
}
