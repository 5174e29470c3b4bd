package ringmedialect

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// Sizes of the call history list (ours).
const (
	defaultHistoryPage = 100
	maxHistoryPage     = 1000
)

// historyEntry is one call of the history with the time it is ordered
// and filtered by: its A leg's start (the earliest leg's without one).
type historyEntry struct {
	CallHistory
	start time.Time
	// aStart and first are the A leg's start and the earliest other leg's.
	aStart, first time.Time
}

// history reads the client's call records matching q (every page) and
// groups them into calls, oldest first (ties by call_uuid).
func (c *call) history(ctx context.Context, q dialect.CallQuery) ([]historyEntry, error) {
	byCall := map[string]*historyEntry{}
	err := eachPage(func(token string) (string, error) {
		q.Page = dialect.Page{Size: hostPage, Token: token}
		p, err := c.host.CallHistory(ctx, c.acct.ID, q)
		if err != nil {
			return "", err
		}
		for _, r := range p.Calls {
			e := byCall[r.Call]
			if e == nil {
				e = &historyEntry{CallHistory: CallHistory{CallUUID: r.Call, Direction: r.Direction, SchedulerID: wireID(r.Campaign), TaskID: wireID(r.Contact)}}
				byCall[r.Call] = e
			}
			leg := r.Attrs["leg"]
			if leg == "" {
				leg = "a"
			}
			switch {
			case r.Started.IsZero():
			case leg == "a":
				e.aStart = r.Started
			case e.first.IsZero() || r.Started.Before(e.first):
				e.first = r.Started
			}
			e.Legs = append(e.Legs, CallLeg{Leg: leg, Number: r.Number, CallerID: nonEmpty(r.CallerID), StartTime: utc(r.Started),
				AnswerTime: utc(r.Answered), EndTime: utc(r.Ended), Result: nonEmpty(r.Outcome), Comment: nonEmpty(r.Cause)})
		}
		return p.NextToken, nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]historyEntry, 0, len(byCall))
	for _, e := range byCall {
		e.start = e.aStart
		if e.start.IsZero() {
			e.start = e.first
		}
		slices.SortStableFunc(e.Legs, func(a, b CallLeg) int { return compareIDs(a.Leg, b.Leg) })
		out = append(out, *e)
	}
	slices.SortFunc(out, historyOrder)
	return out, nil
}

func historyOrder(a, b historyEntry) int {
	return cmp.Or(a.start.Compare(b.start), strings.Compare(a.CallUUID, b.CallUUID))
}

// historyToken is the position after e: its start and call_uuid.
func historyToken(e historyEntry) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(e.start.UnixNano(), 10) + " " + e.CallUUID))
}

func parseHistoryToken(tok string) (historyEntry, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return historyEntry{}, false
	}
	ns, id, ok := strings.Cut(string(b), " ")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return historyEntry{}, false
	}
	return historyEntry{CallHistory: CallHistory{CallUUID: id}, start: time.Unix(0, n).UTC()}, true
}

// historyTime reads a date_from / date_to filter (UTC, the seconds may be left out).
func historyTime(field, v string) (time.Time, error) {
	for _, l := range startLayouts {
		if t, err := time.ParseInLocation(l, strings.TrimSpace(v), time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &dialect.FieldError{Field: field, Value: v, Reason: "must be YYYY-MM-DD HH:MM:SS (UTC)"}
}

// listCallHistory serves GET /client/{client_id}/call_history/: the
// client's calls, each as GET …/call_history/{call_uuid} answers it,
// oldest first (by the A leg's start). Filters, all optional:
// scheduler_id; task_id (with scheduler_id: task ids count per
// scheduler); date_from and date_to (UTC, YYYY-MM-DD HH:MM[:SS]; calls
// whose A leg started at or after date_from and before date_to); number
// (a call with a leg to it, in any format the task's numbers take).
// Paged as the task list: ?limit= (default 100, at most 1000) and
// ?page_token= from the previous page's X-Next-Page-Token header (absent
// on the last page); the token is a position, so calls made meanwhile
// shift nothing.
func (c *call) listCallHistory(ctx context.Context) dialect.Response {
	qv := c.req.Query
	size := defaultHistoryPage
	if v := qv.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxHistoryPage {
			return badField("limit", fmt.Sprintf("must be from 1 to %d (got %q)", maxHistoryPage, v))
		}
		size = n
	}
	var after *historyEntry
	if v := qv.Get("page_token"); v != "" {
		e, ok := parseHistoryToken(v)
		if !ok {
			return badField("page_token", "is not a token this list gave")
		}
		after = &e
	}
	var q dialect.CallQuery
	sid, task := qv.Get("scheduler_id"), qv.Get("task_id")
	if sid != "" && !validID(sid) {
		return badField("scheduler_id", fmt.Sprintf("must be a task scheduler id (got %q)", sid))
	}
	if task != "" && !validID(task) {
		return badField("task_id", fmt.Sprintf("must be a task id (got %q)", task))
	}
	if task != "" && sid == "" {
		return badField("task_id", "needs scheduler_id (task ids count per task scheduler)")
	}
	var from, to time.Time
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"date_from", &from}, {"date_to", &to}} {
		if v := qv.Get(f.name); v != "" {
			t, err := historyTime(f.name, v)
			if err != nil {
				return fail(err, "call")
			}
			*f.t = t
		}
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return badField("date_to", "must be after date_from")
	}
	dialled := ""
	if v := qv.Get("number"); v != "" {
		n, err := number("number", v, c.region())
		if err != nil {
			return fail(err, "call")
		}
		dialled = n
	}
	if sid != "" {
		if _, err := c.scheduler(ctx, sid); err != nil {
			return fail(err, "task scheduler")
		}
		q.Campaign, q.Contact = sid, task
	}
	all, err := c.history(ctx, q)
	if err != nil {
		return fail(err, "call")
	}
	out := make([]CallHistory, 0, min(size, len(all)))
	more := false
	for _, e := range all {
		switch {
		case after != nil && historyOrder(e, *after) <= 0,
			!from.IsZero() && e.start.Before(from),
			!to.IsZero() && !e.start.Before(to),
			dialled != "" && !slices.ContainsFunc(e.Legs, func(l CallLeg) bool { return l.Number == dialled }):
			continue
		}
		if len(out) == size {
			more = true
			break
		}
		out = append(out, e.CallHistory)
		after = &e
	}
	resp := reply(http.StatusOK, out)
	if more {
		resp.Header.Set("X-Next-Page-Token", historyToken(*after))
	}
	return resp
}

// callByUUID is one call of the client's history, nil when it has none
// such. The host cannot look a call up by its id: the whole history is read.
func (c *call) callByUUID(ctx context.Context, uuid string) (*CallHistory, error) {
	all, err := c.history(ctx, dialect.CallQuery{})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(all, func(e historyEntry) bool { return e.CallUUID == uuid })
	if i < 0 {
		return nil, nil
	}
	return &all[i].CallHistory, nil
}
