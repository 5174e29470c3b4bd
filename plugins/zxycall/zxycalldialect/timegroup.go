package zxycalldialect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// Limits of the time group and rule bodies.
const (
	maxNameRunes = 100
	maxRanges    = 50
)

// TimeGroup is a blocked time group (禁呼时间) as GET/POST/PUT
// /v1/time_group answer it: the seed's disable_time_group with its
// windows (ours) in Asia/Shanghai.
type TimeGroup struct {
	DisableTimeGroup
	Ranges []TimeRange  `json:"ranges"`
	Dates  []DateRanges `json:"dates"`
}

// TimeRange is a daily window: start to end ("HH:MM" or "HH:MM:SS", end
// up to "24:00"; an end before the start runs past midnight) on weekdays
// 1 (Monday) to 7 (Sunday), every day when empty.
type TimeRange struct {
	Start    string `json:"start"`
	End      string `json:"end"`
	Weekdays []int  `json:"weekdays,omitempty"`
}

// DateRanges are windows on one date ("2026-10-01") only.
type DateRanges struct {
	Date   string      `json:"date"`
	Ranges []TimeRange `json:"ranges"`
}

func formatClock(d time.Duration) string {
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	if s != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

func timeRanges(rs []dialer.TimeRange) []TimeRange {
	out := make([]TimeRange, 0, len(rs))
	for _, r := range rs {
		tr := TimeRange{Start: formatClock(r.From), End: formatClock(r.To)}
		for _, d := range r.Days {
			tr.Weekdays = append(tr.Weekdays, (int(d)+6)%7+1)
		}
		out = append(out, tr)
	}
	return out
}

func timeGroupEntity(acct dialect.Account, g dialer.TimeGroup) TimeGroup {
	out := TimeGroup{DisableTimeGroup: DisableTimeGroup{UUID: g.ID, Name: g.Name, UserID: acct.ID}, Ranges: timeRanges(g.Ranges), Dates: []DateRanges{}}
	for _, d := range g.Dates {
		out.Dates = append(out.Dates, DateRanges{Date: d.Date, Ranges: timeRanges(d.Ranges)})
	}
	return out
}

// fields reads a JSON object's members; field names it in the error.
func fields(field string, b json.RawMessage) (map[string]json.RawMessage, *dialect.FieldError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, &dialect.FieldError{Field: field, Reason: "must be a JSON object"}
	}
	return m, nil
}

// items reads a JSON array (null or absent: none).
func items(field string, b json.RawMessage) ([]json.RawMessage, *dialect.FieldError) {
	if isNull(b) {
		return nil, nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, &dialect.FieldError{Field: field, Value: truncate(string(b)), Reason: "must be an array"}
	}
	return a, nil
}

func decodeName(m map[string]json.RawMessage) (string, *dialect.FieldError) {
	name, fe := decodeString("name", m["name"])
	switch {
	case fe != nil:
		return "", fe
	case name == nil || strings.TrimSpace(*name) == "":
		return "", required("name")
	case len([]rune(*name)) > maxNameRunes:
		return "", &dialect.FieldError{Field: "name", Reason: fmt.Sprintf("must be at most %d characters", maxNameRunes)}
	}
	return strings.TrimSpace(*name), nil
}

// parseClock reads "HH:MM" or "HH:MM:SS" from 00:00 to 24:00.
func parseClock(field string, b json.RawMessage) (time.Duration, *dialect.FieldError) {
	s, fe := decodeString(field, b)
	if fe != nil {
		return 0, fe
	}
	if s == nil {
		return 0, required(field)
	}
	bad := &dialect.FieldError{Field: field, Value: truncate(*s), Reason: "must be HH:MM or HH:MM:SS from 00:00 to 24:00"}
	parts := strings.Split(*s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, bad
	}
	limits := []int{24, 59, 59}
	var d time.Duration
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) != 2 || n < 0 || n > limits[i] {
			return 0, bad
		}
		d += time.Duration(n) * []time.Duration{time.Hour, time.Minute, time.Second}[i]
	}
	if d > 24*time.Hour {
		return 0, bad
	}
	return d, nil
}

func decodeRanges(field string, b json.RawMessage) ([]dialer.TimeRange, *dialect.FieldError) {
	raw, fe := items(field, b)
	if fe != nil {
		return nil, fe
	}
	if len(raw) > maxRanges {
		return nil, &dialect.FieldError{Field: field, Reason: fmt.Sprintf("must have at most %d ranges", maxRanges)}
	}
	out := make([]dialer.TimeRange, 0, len(raw))
	for i, rb := range raw {
		f := fmt.Sprintf("%s[%d]", field, i)
		m, fe := fields(f, rb)
		if fe != nil {
			return nil, fe
		}
		var r dialer.TimeRange
		if r.From, fe = parseClock(f+".start", m["start"]); fe != nil {
			return nil, fe
		}
		if r.To, fe = parseClock(f+".end", m["end"]); fe != nil {
			return nil, fe
		}
		if r.From == r.To || r.From == 24*time.Hour {
			return nil, &dialect.FieldError{Field: f, Value: formatClock(r.From) + "-" + formatClock(r.To), Reason: "is empty (start must differ from end and be before 24:00)"}
		}
		days, fe := items(f+".weekdays", m["weekdays"])
		if fe != nil {
			return nil, fe
		}
		for j, db := range days {
			n, fe := decodeInt(fmt.Sprintf("%s.weekdays[%d]", f, j), db)
			if fe != nil {
				return nil, fe
			}
			if n == nil || *n < 1 || *n > 7 {
				return nil, &dialect.FieldError{Field: fmt.Sprintf("%s.weekdays[%d]", f, j), Value: truncate(string(db)), Reason: "must be 1 (Monday) to 7 (Sunday)"}
			}
			r.Days = append(r.Days, time.Weekday(*n%7))
		}
		out = append(out, r)
	}
	return out, nil
}

// DecodeTimeGroup reads the body of POST and PUT /v1/time_group (ours):
// {"name", "ranges": [{"start","end","weekdays"}], "dates": [{"date","ranges"}]},
// at least one range or date.
func DecodeTimeGroup(body []byte) (dialer.TimeGroup, *dialect.FieldError) {
	var g dialer.TimeGroup
	m, fe := fields("body", body)
	if fe != nil {
		return g, fe
	}
	if g.Name, fe = decodeName(m); fe != nil {
		return g, fe
	}
	if g.Ranges, fe = decodeRanges("ranges", m["ranges"]); fe != nil {
		return g, fe
	}
	dates, fe := items("dates", m["dates"])
	if fe != nil {
		return g, fe
	}
	if len(dates) > maxRanges {
		return g, &dialect.FieldError{Field: "dates", Reason: fmt.Sprintf("must have at most %d dates", maxRanges)}
	}
	for i, db := range dates {
		f := fmt.Sprintf("dates[%d]", i)
		dm, fe := fields(f, db)
		if fe != nil {
			return g, fe
		}
		date, fe := decodeString(f+".date", dm["date"])
		if fe != nil {
			return g, fe
		}
		if date == nil {
			return g, required(f + ".date")
		}
		if _, err := time.Parse(time.DateOnly, *date); err != nil {
			return g, &dialect.FieldError{Field: f + ".date", Value: truncate(*date), Reason: "must be YYYY-MM-DD"}
		}
		rs, fe := decodeRanges(f+".ranges", dm["ranges"])
		if fe != nil {
			return g, fe
		}
		if len(rs) == 0 {
			rs = []dialer.TimeRange{{From: 0, To: 24 * time.Hour}} // the whole date
		}
		g.Dates = append(g.Dates, dialer.DateRanges{Date: *date, Ranges: rs})
	}
	if len(g.Ranges) == 0 && len(g.Dates) == 0 {
		return g, &dialect.FieldError{Field: "ranges", Reason: "is required (or dates)"}
	}
	if g.Ranges == nil {
		g.Ranges = []dialer.TimeRange{}
	}
	return g, nil
}

const (
	timeGroupNotYours = "is not one of your time groups (enum_disable_dial_timegroup)"
	ruleNotYours      = "is not one of your rules (auto_recycle_rules)"
)

func (d *Dialect) listTimeGroups(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	gs, err := timeGroups(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	out := make([]TimeGroup, 0, len(gs))
	for _, g := range gs {
		out = append(out, timeGroupEntity(acct, g))
	}
	ok(w, struct {
		Data []TimeGroup `json:"data"`
	}{out})
}

func (d *Dialect) getTimeGroup(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	o, err := host.GetObject(ctx, acct.ID, dialect.KindTimeGroup, r.PathValue("id"))
	if err != nil {
		failErr(w, err)
		return
	}
	g, err := timeGroupOf(o)
	if err != nil {
		failErr(w, err)
		return
	}
	ok(w, timeGroupEntity(acct, g))
}

// putTimeGroup creates (no id) or replaces a time group; a replaced one is
// copied again into the tasks that name it.
func (d *Dialect) putTimeGroup(w http.ResponseWriter, r *http.Request) {
	g, stored := putObject(d, w, r, catalogKind[dialer.TimeGroup]{
		kind: dialect.KindTimeGroup, attr: attrTimegroup, what: "time group",
		decode: DecodeTimeGroup, setID: func(g *dialer.TimeGroup, id string) { g.ID = id }, of: timeGroupOf,
		apply: func(c *dialer.Campaign, g dialer.TimeGroup) { c.Windows.Blocked = []dialer.TimeGroup{g} },
	})
	if stored {
		ok(w, timeGroupEntity(reqAccount(r), g))
	}
}

func (d *Dialect) deleteTimeGroup(w http.ResponseWriter, r *http.Request) {
	d.deleteObject(w, r, dialect.KindTimeGroup, attrTimegroup, nil)
}

// catalogKind describes a catalog object (time group or rule) for putObject.
type catalogKind[T any] struct {
	kind   dialect.Kind
	attr   string // the task attr that names an object of this kind
	what   string // for messages
	decode func([]byte) (T, *dialect.FieldError)
	setID  func(*T, string)
	of     func(dialect.Object) (T, error)
	apply  func(*dialer.Campaign, T)
}

// putObject creates (no id) or replaces a catalog object and, when it
// replaced one, copies it again into the tasks that name it. ok is false
// when it has already answered with an error.
func putObject[T any](d *Dialect, w http.ResponseWriter, r *http.Request, k catalogKind[T]) (v T, ok bool) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	id := r.PathValue("id")
	if id != "" {
		o, err := host.GetObject(ctx, acct.ID, k.kind, id)
		if err == nil {
			_, err = k.of(o)
		}
		if err != nil {
			failErr(w, err)
			return v, false
		}
	}
	v, valid := decodeRequest(w, r, k.decode)
	if !valid {
		return v, false
	}
	k.setID(&v, id)
	o, err := host.PutObject(ctx, acct.ID, dialect.Object{Kind: k.kind, ID: id, Spec: mustJSON(v)})
	if err != nil {
		failErr(w, err)
		return v, false
	}
	if v, err = k.of(o); err != nil {
		failErr(w, err)
		return v, false
	}
	if id != "" {
		if err := d.recopy(ctx, host, acct.ID, k.attr, id, func(c *dialer.Campaign) { k.apply(c, v) }); err != nil {
			fail(w, CodeInternal, "内部错误: the "+k.what+" changed, but not in every task that uses it: "+err.Error())
			return v, false
		}
	}
	return v, true
}

// deleteObject deletes a time group, rule or script group that no task
// names (its attr); check (when set) refuses objects of kind that are not
// of the view (ErrNotFound).
func (d *Dialect) deleteObject(w http.ResponseWriter, r *http.Request, kind dialect.Kind, attr string, check func(dialect.Object) error) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	id := r.PathValue("id")
	o, err := host.GetObject(ctx, acct.ID, kind, id)
	if err == nil && check != nil {
		err = check(o)
	}
	if err != nil {
		failErr(w, err)
		return
	}
	if refuseInUse(ctx, w, host, acct.ID, attr, id) {
		return
	}
	if err := host.DeleteObject(ctx, acct.ID, kind, id); err != nil {
		failErr(w, err)
		return
	}
	success(w, nil)
}

// refuseInUse answers (and reports true) when a task's attr names id: the
// object it names cannot be deleted, or when the tasks cannot be read.
func refuseInUse(ctx context.Context, w http.ResponseWriter, host dialect.Host, account, attr, id string) bool {
	tasks, err := allTasks(ctx, host, account)
	if err != nil {
		failErr(w, err)
		return true
	}
	var users []string
	for _, t := range tasks {
		if t.Spec.Attrs[attr] == id {
			users = append(users, t.ID)
		}
	}
	if len(users) > 0 {
		fail(w, CodeState, fmt.Sprintf("状态不允许: in use by tasks %s (change them first)", strings.Join(users, ", ")))
		return true
	}
	return false
}

// recopy copies a changed time group or rule into every task whose attr
// names id, and says which tasks it could not change.
func (d *Dialect) recopy(ctx context.Context, host dialect.Host, account, attr, id string, apply func(*dialer.Campaign)) error {
	tasks, err := allTasks(ctx, host, account)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range tasks {
		if t.Spec.Attrs[attr] != id {
			continue
		}
		c := t.Spec
		c.Attrs = maps.Clone(c.Attrs)
		c.Attrs[attrAltered] = d.stamp(d.now())
		apply(&c)
		if _, err := host.PutObject(ctx, account, dialect.Object{Kind: dialect.KindCampaign, ID: t.ID, Spec: mustJSON(c)}); err != nil {
			errs = append(errs, fmt.Errorf("task %s: %w", t.ID, err))
		}
	}
	return errors.Join(errs...)
}
