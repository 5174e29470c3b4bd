package zxycalldialect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// line is a caller line (线路): a trunk of the host.
type line = dialer.Trunk

// CallerLine is a line in the seed's caller_line shape (the list embeds it;
// GET and POST /v1/caller_line answer it). Fields the host has no value for
// are null.
type CallerLine struct {
	ID                         string  `json:"id"`
	Name                       string  `json:"name"`
	UserID                     string  `json:"user_id"`
	Description                *string `json:"description"`
	DeadlineAt                 *string `json:"deadline_at"`
	AvailableTime              *int    `json:"available_time"`
	BeginAt                    *string `json:"begin_at"`
	CallLine                   int     `json:"call_line"`
	CallLineUsed               *int    `json:"call_line_used"`
	CallNumberPrefix           *string `json:"call_number_prefix"`
	IsCallNumberEnable         int     `json:"is_call_number_enable"`
	IsCallNumberPrefixEditable int     `json:"is_call_number_prefix_editable"`
	DialString                 *string `json:"dial_string"`
	DialStringMode             *int    `json:"dial_string_mode"`
	DBPublicID                 *string `json:"db_public_id"`
	DBPrivateID                *string `json:"db_private_id"`
	NodeIP                     *string `json:"node_ip"`
	NodeStatus                 *string `json:"node_status"`
	CreatedAt                  *string `json:"created_at"`
	UpdatedAt                  *string `json:"updated_at"`
	Feature                    *int    `json:"feature"`
}

func stampPtr(t time.Time, loc *time.Location) *string {
	if t.IsZero() {
		return nil
	}
	s := t.In(loc).Format(datetimeLayout)
	return &s
}

var cst = func() *time.Location {
	l, err := time.LoadLocation(zone)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// callerLine renders l; tasks (when known) give call_line_used.
func callerLine(acct dialect.Account, l line, tasks []task) CallerLine {
	c := CallerLine{ID: l.ID, Name: l.Name, UserID: acct.ID, CallLine: l.MaxConcurrent,
		BeginAt: stampPtr(l.AvailableFrom, cst), DeadlineAt: stampPtr(l.AvailableUntil, cst)}
	if !l.AvailableFrom.IsZero() && !l.AvailableUntil.IsZero() {
		s := int(l.AvailableUntil.Sub(l.AvailableFrom) / time.Second)
		c.AvailableTime = &s
	}
	if l.CallerIDNumber != "" {
		n := l.CallerIDNumber
		c.CallNumberPrefix, c.IsCallNumberEnable = &n, 1
	}
	if tasks != nil {
		used := l.MaxConcurrent - residue(l, tasks, "")
		c.CallLineUsed = &used
	}
	return c
}

func getLine(ctx context.Context, host dialect.Host, account, id string) (line, error) {
	o, err := host.GetObject(ctx, account, dialect.KindTrunk, id)
	if err != nil {
		return line{}, err
	}
	return lineOf(o)
}

func lineOf(o dialect.Object) (line, error) {
	var l line
	if err := json.Unmarshal(o.Spec, &l); err != nil {
		return line{}, fmt.Errorf("trunk %s spec: %w", o.ID, err)
	}
	l.ID = o.ID
	return l, nil
}

func lineOrNil(ctx context.Context, host dialect.Host, account, id string) *line {
	l, err := getLine(ctx, host, account, id)
	if err != nil {
		return nil
	}
	return &l
}

func allLines(ctx context.Context, host dialect.Host, account string) ([]line, error) {
	return allObjects(ctx, host, account, dialect.KindTrunk, lineOf)
}

// LineInput is the body of POST /v1/caller_line (ours: the seed has no
// endpoint for lines).
type LineInput struct {
	Name        string          `json:"name"`
	CallLine    json.RawMessage `json:"call_line"`
	CallNumber  string          `json:"call_number"`
	AvailableAt string          `json:"available_at"`
	DeadlineAt  string          `json:"deadline_at"`
}

// DecodeLine reads a caller line body into a trunk.
func DecodeLine(body []byte) (line, *dialect.FieldError) {
	var in LineInput
	if err := json.Unmarshal(body, &in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return line{}, &dialect.FieldError{Field: te.Field, Reason: "must be a " + te.Type.String()}
		}
		return line{}, &dialect.FieldError{Field: "body", Reason: "must be a JSON object: " + err.Error()}
	}
	if strings.TrimSpace(in.Name) == "" {
		return line{}, required("name")
	}
	n, fe := decodeInt("call_line", in.CallLine)
	if fe != nil {
		return line{}, fe
	}
	if n == nil {
		return line{}, required("call_line")
	}
	if *n < 1 || *n > 10000 {
		return line{}, &dialect.FieldError{Field: "call_line", Reason: "must be 1–10000"}
	}
	l := line{Name: in.Name, MaxConcurrent: *n, CallerIDNumber: strings.TrimSpace(in.CallNumber)}
	for _, c := range l.CallerIDNumber {
		if c < '0' || c > '9' {
			return line{}, &dialect.FieldError{Field: "call_number", Value: in.CallNumber, Reason: "must be digits"}
		}
	}
	var err error
	if in.AvailableAt != "" {
		if l.AvailableFrom, err = time.ParseInLocation(datetimeLayout, in.AvailableAt, cst); err != nil {
			return line{}, &dialect.FieldError{Field: "available_at", Value: in.AvailableAt, Reason: "must be YYYY-MM-DD HH:MM:SS"}
		}
	}
	if in.DeadlineAt != "" {
		if l.AvailableUntil, err = time.ParseInLocation(datetimeLayout, in.DeadlineAt, cst); err != nil {
			return line{}, &dialect.FieldError{Field: "deadline_at", Value: in.DeadlineAt, Reason: "must be YYYY-MM-DD HH:MM:SS"}
		}
		if !l.AvailableFrom.IsZero() && !l.AvailableUntil.After(l.AvailableFrom) {
			return line{}, &dialect.FieldError{Field: "deadline_at", Value: in.DeadlineAt, Reason: "must be after available_at"}
		}
	}
	return l, nil
}

// putLine creates (no id) or replaces a caller line. A line's call_line
// may not drop below the maximumcall of the running tasks on it.
func (d *Dialect) putLine(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	id := r.PathValue("id")
	var tasks []task
	if id != "" {
		if _, err := getLine(ctx, host, acct.ID, id); err != nil {
			failErr(w, err)
			return
		}
		var err error
		if tasks, err = allTasks(ctx, host, acct.ID); err != nil {
			failErr(w, err)
			return
		}
	}
	l, valid := decodeRequest(w, r, DecodeLine)
	if !valid {
		return
	}
	l.ID = id
	if used := inUse(id, tasks); l.MaxConcurrent < used {
		failErr(w, &dialect.FieldError{Field: "call_line", Value: strconv.Itoa(l.MaxConcurrent),
			Reason: fmt.Sprintf("must be at least %d, the maximumcall of the running tasks on the line", used)})
		return
	}
	o, err := host.PutObject(ctx, acct.ID, dialect.Object{Kind: dialect.KindTrunk, ID: id, Spec: mustJSON(l)})
	if err != nil {
		failErr(w, lineError(err))
		return
	}
	if l, err = lineOf(o); err != nil {
		failErr(w, err)
		return
	}
	if tasks == nil {
		tasks = []task{}
	}
	ok(w, callerLine(acct, l, tasks))
}

// inUse is the maximumcall of the running tasks on line id.
func inUse(id string, tasks []task) int {
	n := 0
	for _, t := range tasks {
		if t.Spec.Trunk == id && t.running() {
			n += t.Spec.Pacing.MaxConcurrent
		}
	}
	return n
}

// lineError names the line's fields in the host's refusal of a trunk.
func lineError(err error) error {
	var fe *dialect.FieldError
	if errors.As(err, &fe) && strings.HasSuffix(fe.Field, "max_concurrent") {
		return &dialect.FieldError{Field: "call_line", Value: fe.Value, Reason: fe.Reason}
	}
	return err
}

// deleteLine deletes a caller line no task uses (the host refuses one a
// campaign names: 10009) and no agent group transfers on (10009 naming
// the groups).
func (d *Dialect) deleteLine(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	if _, err := getLine(ctx, host, acct.ID, r.PathValue("id")); err != nil {
		failErr(w, err)
		return
	}
	groups, err := linesAgentGroups(ctx, host, acct.ID, r.PathValue("id"))
	if err != nil {
		failErr(w, err)
		return
	}
	if len(groups) > 0 {
		fail(w, CodeState, fmt.Sprintf("状态不允许: the transfer line of agent groups %s (change them first)", strings.Join(groups, ", ")))
		return
	}
	if err := host.DeleteObject(ctx, acct.ID, dialect.KindTrunk, r.PathValue("id")); err != nil {
		failErr(w, err)
		return
	}
	success(w, nil)
}

func (d *Dialect) getLine(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	l, err := getLine(ctx, host, acct.ID, r.PathValue("id"))
	if err != nil {
		failErr(w, err)
		return
	}
	tasks, err := allTasks(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	ok(w, callerLine(acct, l, tasks))
}

func (d *Dialect) listLines(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	ls, err := allLines(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	tasks, err := allTasks(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	out := make([]CallerLine, 0, len(ls))
	for _, l := range ls {
		out = append(out, callerLine(acct, l, tasks))
	}
	ok(w, struct {
		Data []CallerLine `json:"data"`
	}{out})
}
