package dialer

import (
	"fmt"
	"slices"
	"time"
)

// TimeGroup is a named set of weekly time ranges in one time zone (udesk
// working_time, zxycall disable_dial_timegroup, twin24 allowCallTime*).
type TimeGroup struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Zone is an IANA zone ("Europe/Moscow"); empty means the Windows' Zone.
	Zone   string       `json:"zone,omitempty"`
	Ranges []TimeRange  `json:"ranges"`
	Dates  []DateRanges `json:"dates,omitempty"`
}

// TimeRange is [From, To) after local midnight on the given weekdays (all
// days when Days is empty). From > To wraps past midnight into the next day.
type TimeRange struct {
	Days []time.Weekday `json:"days,omitempty"`
	From time.Duration  `json:"from"`
	To   time.Duration  `json:"to"`
}

// DateRanges applies Ranges on one calendar date only ("2026-01-01"), e.g. a
// public holiday blocked all day.
type DateRanges struct {
	Date   string      `json:"date"`
	Ranges []TimeRange `json:"ranges"`
}

// Windows says when a campaign may dial: inside any Allowed group (always, if
// none) and outside every Blocked group.
type Windows struct {
	Allowed []TimeGroup `json:"allowed,omitempty"`
	Blocked []TimeGroup `json:"blocked,omitempty"`
	// Zone is the company's zone (default UTC).
	Zone string `json:"zone,omitempty"`
	// CalleeLocal evaluates the groups in the callee's own zone, derived from
	// the number (twin24 useTr). A number spanning several zones may be
	// dialled only when every one of them is open.
	CalleeLocal bool `json:"callee_local,omitempty"`
}

const day = 24 * time.Hour

func (w Windows) validate() error {
	if w.Zone != "" {
		if _, err := time.LoadLocation(w.Zone); err != nil {
			return &FieldError{Field: "windows.zone", Value: w.Zone, Reason: "unknown time zone"}
		}
	}
	check := func(kind string, groups []TimeGroup) error {
		for i, g := range groups {
			f := fmt.Sprintf("windows.%s[%d]", kind, i)
			if g.Zone != "" {
				if _, err := time.LoadLocation(g.Zone); err != nil {
					return &FieldError{Field: f + ".zone", Value: g.Zone, Reason: "unknown time zone"}
				}
			}
			if len(g.Ranges) == 0 && len(g.Dates) == 0 {
				return &FieldError{Field: f + ".ranges", Reason: "a time group needs at least one range"}
			}
			if err := validRanges(f+".ranges", g.Ranges); err != nil {
				return err
			}
			for j, d := range g.Dates {
				if _, err := time.Parse(time.DateOnly, d.Date); err != nil {
					return &FieldError{Field: fmt.Sprintf("%s.dates[%d].date", f, j), Value: d.Date, Reason: "must be YYYY-MM-DD"}
				}
				if err := validRanges(fmt.Sprintf("%s.dates[%d].ranges", f, j), d.Ranges); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := check("allowed", w.Allowed); err != nil {
		return err
	}
	return check("blocked", w.Blocked)
}

func validRanges(field string, rs []TimeRange) error {
	for i, r := range rs {
		if r.From < 0 || r.From > day || r.To < 0 || r.To > day {
			return &FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Value: fmt.Sprintf("%s-%s", r.From, r.To), Reason: "from and to must be within 0–24 h"}
		}
		if r.From == r.To {
			return &FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Value: fmt.Sprintf("%s-%s", r.From, r.To), Reason: "empty range"}
		}
		for _, d := range r.Days {
			if d < time.Sunday || d > time.Saturday {
				return &FieldError{Field: fmt.Sprintf("%s[%d].days", field, i), Value: fmt.Sprint(int(d)), Reason: "weekday must be 0–6"}
			}
		}
	}
	return nil
}

// zoneSet caches loaded locations; it is owned by the Dialer.
type zoneSet map[string]*time.Location

func (z zoneSet) get(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if l, ok := z[name]; ok {
		return l
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = nil // unknown zone: treated as closed by callers
	}
	z[name] = l
	return l
}

func inRanges(rs []TimeRange, t time.Time) bool {
	mid := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	off := t.Sub(mid)
	prevDay := mid.AddDate(0, 0, -1).Weekday()
	for _, r := range rs {
		if r.From < r.To {
			if off >= r.From && off < r.To && dayMatch(r.Days, t.Weekday()) {
				return true
			}
			continue
		}
		// Wraps midnight: [From, 24h) today, or [0, To) started yesterday.
		if off >= r.From && dayMatch(r.Days, t.Weekday()) {
			return true
		}
		if off < r.To && dayMatch(r.Days, prevDay) {
			return true
		}
	}
	return false
}

func dayMatch(days []time.Weekday, d time.Weekday) bool {
	return len(days) == 0 || slices.Contains(days, d)
}

func (g TimeGroup) contains(t time.Time) bool {
	if inRanges(g.Ranges, t) {
		return true
	}
	date := t.Format(time.DateOnly)
	for _, d := range g.Dates {
		if d.Date == date && inRanges(d.Ranges, t) {
			return true
		}
	}
	return false
}

// openIn reports whether dialling is allowed at t, evaluating the groups in
// zone loc (the callee's zone when CalleeLocal, else nil for each group's own).
func (w Windows) openIn(zs zoneSet, t time.Time, callee *time.Location) bool {
	loc := func(g TimeGroup) *time.Location {
		if callee != nil {
			return callee
		}
		if g.Zone != "" {
			return zs.get(g.Zone)
		}
		return zs.get(w.Zone)
	}
	if len(w.Allowed) > 0 {
		ok := false
		for _, g := range w.Allowed {
			l := loc(g)
			if l != nil && g.contains(t.In(l)) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, g := range w.Blocked {
		l := loc(g)
		if l == nil || g.contains(t.In(l)) {
			return false
		}
	}
	return true
}

// Open reports whether dialling is allowed at t for a number in zones (the
// number's zones matter only when CalleeLocal). Unknown zones are closed.
func (w Windows) open(zs zoneSet, t time.Time, zones []string) bool {
	if !w.CalleeLocal {
		return w.openIn(zs, t, nil)
	}
	if len(zones) == 0 {
		return false
	}
	for _, z := range zones {
		l := zs.get(z)
		if l == nil || !w.openIn(zs, t, l) {
			return false
		}
	}
	return true
}

func (w Windows) unrestricted() bool { return len(w.Allowed) == 0 && len(w.Blocked) == 0 }

// nextOpen returns the first moment at or after t when the windows are open,
// looking ahead up to eight days; ok is false when none is found.
func (w Windows) nextOpen(zs zoneSet, t time.Time, zones []string) (time.Time, bool) {
	if w.open(zs, t, zones) {
		return t, true
	}
	// Candidate instants are the range edges in every zone involved.
	var locs []*time.Location
	add := func(l *time.Location) {
		if l != nil && !slices.Contains(locs, l) {
			locs = append(locs, l)
		}
	}
	if w.CalleeLocal {
		for _, z := range zones {
			add(zs.get(z))
		}
	} else {
		add(zs.get(w.Zone))
		for _, g := range append(slices.Clone(w.Allowed), w.Blocked...) {
			if g.Zone != "" {
				add(zs.get(g.Zone))
			}
		}
	}
	var edges []time.Duration
	for _, g := range append(slices.Clone(w.Allowed), w.Blocked...) {
		for _, r := range g.Ranges {
			edges = append(edges, r.From, r.To%day)
		}
		for _, d := range g.Dates {
			for _, r := range d.Ranges {
				edges = append(edges, r.From, r.To%day)
			}
		}
	}
	edges = append(edges, 0)
	var cands []time.Time
	for _, l := range locs {
		lt := t.In(l)
		mid := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, l)
		for d := 0; d <= 8; d++ {
			base := mid.AddDate(0, 0, d)
			for _, e := range edges {
				h, m, s := int(e/time.Hour), int(e%time.Hour/time.Minute), int(e%time.Minute/time.Second)
				c := time.Date(base.Year(), base.Month(), base.Day(), h, m, s, int(e%time.Second), l)
				if c.After(t) {
					cands = append(cands, c)
				}
			}
		}
	}
	slices.SortFunc(cands, func(a, b time.Time) int { return a.Compare(b) })
	for _, c := range cands {
		if w.open(zs, c, zones) {
			return c, true
		}
	}
	return time.Time{}, false
}

// Open reports whether the windows allow dialling a number in zones at t
// (zones matter only when CalleeLocal).
func (w Windows) Open(t time.Time, zones []string) bool { return w.open(zoneSet{}, t, zones) }
