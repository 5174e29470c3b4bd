package zxycalldialect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// Attrs keys the dialect keeps on a campaign.
const (
	attrCreated     = "create_datetime"
	attrAltered     = "alter_datetime"
	attrTimegroup   = "disable_dial_timegroup"
	attrRecycleRule = "auto_recycle_rule_id"
	attrScript      = "destination_extension"
	attrCustomer    = "customer_service_id"
	attrRandom      = "random_assignment_number"
	attrRecycle     = "recycle_limit"
	scriptContext   = "default"
)

// campaignStatus is the part of the host's campaign status the dialect reads.
type campaignStatus struct {
	State dialer.State `json:"state"`
	Stats dialer.Stats `json:"stats"`
}

// task is a stored campaign as the dialect reads it.
type task struct {
	ID     string
	Spec   dialer.Campaign
	Status campaignStatus
}

func taskOf(o dialect.Object) (task, error) {
	t := task{ID: o.ID}
	if err := json.Unmarshal(o.Spec, &t.Spec); err != nil {
		return t, fmt.Errorf("campaign %s spec: %w", o.ID, err)
	}
	if len(o.Status) > 0 {
		if err := json.Unmarshal(o.Status, &t.Status); err != nil {
			return t, fmt.Errorf("campaign %s status: %w", o.ID, err)
		}
	}
	return t, nil
}

func (t task) running() bool {
	return t.Status.State == dialer.StateRunning || t.Status.State == dialer.StateStopping
}

func (t task) attrInt(k string) *int {
	n, err := strconv.Atoi(t.Spec.Attrs[k])
	if err != nil {
		return nil
	}
	return &n
}

func allTasks(ctx context.Context, host dialect.Host, account string) ([]task, error) {
	return allObjects(ctx, host, account, dialect.KindCampaign, taskOf)
}

// allObjects lists every object of a kind of the account, converted.
func allObjects[T any](ctx context.Context, host dialect.Host, account string, kind dialect.Kind, conv func(dialect.Object) (T, error)) ([]T, error) {
	var out []T
	page := dialect.Page{Size: 1000}
	for {
		p, err := host.ListObjects(ctx, account, kind, page)
		if err != nil {
			return nil, err
		}
		for _, o := range p.Objects {
			v, err := conv(o)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if p.NextToken == "" {
			return out, nil
		}
		page.Token = p.NextToken
	}
}

// residue is a line's free concurrency: its call_line less the maximumcall
// of the running tasks on it (other than except).
func residue(l line, tasks []task, except string) int {
	r := l.MaxConcurrent
	for _, t := range tasks {
		if t.ID != except && t.Spec.Trunk == l.ID && t.running() {
			r -= t.Spec.Pacing.MaxConcurrent
		}
	}
	return max(r, 0)
}

func (d *Dialect) stamp(t time.Time) string { return t.In(d.loc).Format(datetimeLayout) }

// campaign maps a decoded task onto a dialer.Campaign, checking the
// references (line, time group, redial rule, agent group) it names.
// prev is the task being changed (nil on create).
func (d *Dialect) campaign(ctx context.Context, host dialect.Host, acct dialect.Account, in TaskInput, prev *task) (dialer.Campaign, *dialect.FieldError, error) {
	l, err := getLine(ctx, host, acct.ID, *in.CallerLineID)
	if errors.Is(err, dialect.ErrNotFound) {
		return dialer.Campaign{}, &dialect.FieldError{Field: "caller_line_id", Value: *in.CallerLineID, Reason: "is not one of your caller lines (caller_line_list)"}, nil
	} else if err != nil {
		return dialer.Campaign{}, nil, err
	}
	var fe *dialect.FieldError
	tg, err := lookup(ctx, host, acct.ID, dialect.KindTimeGroup, *in.DisableDialTimegroup, "disable_dial_timegroup", timeGroupNotYours, timeGroupOf)
	if errors.As(err, &fe) {
		return dialer.Campaign{}, fe, nil
	} else if err != nil {
		return dialer.Campaign{}, nil, err
	}
	rule, err := lookup(ctx, host, acct.ID, dialect.KindRedialPolicy, strconv.Itoa(*in.AutoRecycleRuleID), "auto_recycle_rule_id", ruleNotYours, recycleRuleOf)
	if errors.As(err, &fe) {
		return dialer.Campaign{}, fe, nil
	} else if err != nil {
		return dialer.Campaign{}, nil, err
	}
	script, err := getScript(ctx, host, acct.ID, strconv.Itoa(*in.DestinationExtension))
	if errors.Is(err, dialect.ErrNotFound) {
		return dialer.Campaign{}, &dialect.FieldError{Field: "destination_extension", Value: strconv.Itoa(*in.DestinationExtension), Reason: scriptGroupNotYours}, nil
	} else if err != nil {
		return dialer.Campaign{}, nil, err
	}
	if l.MaxConcurrent > 0 {
		tasks, err := allTasks(ctx, host, acct.ID)
		if err != nil {
			return dialer.Campaign{}, nil, err
		}
		except := ""
		if prev != nil {
			except = prev.ID
		}
		if r := residue(l, tasks, except); *in.Maximumcall > r {
			return dialer.Campaign{}, &dialect.FieldError{Field: "maximumcall", Value: strconv.Itoa(*in.Maximumcall),
				Reason: fmt.Sprintf("must not exceed the line's residue (%d)", r)}, nil
		}
	}
	if *in.CallPauseSecond > 0 && *in.Maximumcall == 0 {
		return dialer.Campaign{}, &dialect.FieldError{Field: "call_pause_second", Reason: "needs maximumcall"}, nil
	}
	now := d.stamp(d.now())
	c := dialer.Campaign{
		Name:          *in.Name,
		Mode:          dialer.ModeIVR,
		DefaultRegion: acct.DefaultRegion,
		Trunk:         l.ID,
		Pacing:        dialer.Pacing{MaxConcurrent: *in.Maximumcall, PauseBetweenCalls: time.Duration(*in.CallPauseSecond) * time.Second},
		Windows:       dialer.Windows{Zone: zone, Blocked: []dialer.TimeGroup{tg}},
		Redial:        rule.RedialPolicy,
		RingTimeout:   time.Duration(*in.OriginateTimeout) * time.Second,
		Start:         dialer.Start{Mode: dialer.StartManual},
		Attrs: map[string]string{
			attrCreated: now, attrAltered: now, attrTimegroup: tg.ID, attrRecycleRule: rule.ID,
			attrScript: script.ID, attrRandom: "0", attrRecycle: "0",
		},
	}
	applyScript(&c, script)
	if u := in.notifyURL(); u != "" {
		c.Attrs[attrNotifyURL], c.Attrs[attrNotifyType] = u, strconv.Itoa(notifyTypeJSON)
	}
	if prev != nil {
		if v := prev.Spec.Attrs[attrCreated]; v != "" {
			c.Attrs[attrCreated] = v
		}
	}
	if l.CallerIDNumber != "" {
		c.CallerID = dialer.CallerID{Mode: dialer.CallerIDFixed, Number: l.CallerIDNumber}
	} else {
		c.CallerID = dialer.CallerID{Mode: dialer.CallerIDTrunk}
	}
	if in.Remark != nil {
		c.Description = *in.Remark
	}
	if in.CustomerServiceID != nil {
		id := strconv.Itoa(*in.CustomerServiceID)
		if fe, err := usableAgentGroup(ctx, host, acct.ID, id); fe != nil || err != nil {
			return dialer.Campaign{}, fe, err
		}
		c.Queue = id
		c.Destination.Transfer = "queue"
		c.Attrs[attrCustomer] = id
	}
	return c, nil, nil
}

func (d *Dialect) createTask(w http.ResponseWriter, r *http.Request) {
	d.putTask(w, r, "")
}

func (d *Dialect) updateTask(w http.ResponseWriter, r *http.Request) {
	d.putTask(w, r, r.PathValue("task_id"))
}

func (d *Dialect) putTask(w http.ResponseWriter, r *http.Request, id string) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	var prev *task
	if id != "" {
		t, err := getTask(ctx, host, acct.ID, id)
		if err != nil {
			failErr(w, err)
			return
		}
		prev = &t
	}
	in, valid := decodeRequest(w, r, DecodeTask)
	if !valid {
		return
	}
	c, fe, err := d.campaign(ctx, host, acct, in, prev)
	if fe != nil {
		failErr(w, fe)
		return
	}
	if err != nil {
		failErr(w, err)
		return
	}
	c.ID = id
	stored, err := storeTask(ctx, host, acct.ID, c, in.notifyURL())
	if err != nil {
		failErr(w, err)
		return
	}
	t, err := taskOf(stored)
	if err != nil {
		failErr(w, err)
		return
	}
	ok(w, d.entity(acct, t, lineOrNil(ctx, host, acct.ID, t.Spec.Trunk), scriptsOf(ctx, host, acct.ID)))
}

// storeTask creates (c.ID empty) or replaces a task's campaign and makes
// notify its call_notify_url subscription; when either fails, neither is
// left changed (as far as putting back works: the error says if not).
func storeTask(ctx context.Context, host dialect.Host, account string, c dialer.Campaign, notify string) (dialect.Object, error) {
	obj := dialect.Object{Kind: dialect.KindCampaign, ID: c.ID, Spec: mustJSON(c)}
	if c.ID == "" {
		stored, err := host.PutObject(ctx, account, obj)
		if err != nil || notify == "" {
			return stored, err
		}
		if _, err := setNotify(ctx, host, account, stored.ID, notify); err != nil {
			return dialect.Object{}, withUndo(ctx, err, func(ctx context.Context) error {
				return host.DeleteObject(ctx, account, dialect.KindCampaign, stored.ID)
			})
		}
		return stored, nil
	}
	undo, err := setNotify(ctx, host, account, c.ID, notify)
	if err != nil {
		return dialect.Object{}, err
	}
	stored, err := host.PutObject(ctx, account, obj)
	if err != nil {
		return dialect.Object{}, withUndo(ctx, err, undo)
	}
	return stored, nil
}

// withUndo runs undo after err, on a context that outlives a cancelled
// request, and adds its failure to err.
func withUndo(ctx context.Context, err error, undo undoFunc) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	if uerr := undo(ctx); uerr != nil {
		return &undoError{err: err, undo: uerr}
	}
	return err
}

// undoError is a failed change whose undoing failed too: what is stored is
// half changed, which the client must hear as an internal error.
type undoError struct{ err, undo error }

func (e *undoError) Error() string { return e.err.Error() + "; putting back failed: " + e.undo.Error() }

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // dialer types always encode
	}
	return b
}

func readBody(r *http.Request) ([]byte, error) {
	var b []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		b = append(b, buf[:n]...)
		if len(b) > maxImportBodyBytes {
			return nil, errors.New("is larger than 32 MiB")
		}
		if err != nil {
			return b, nil
		}
	}
}

// decodeRequest reads the request's body and decodes it, answering the
// vendor's error (naming the field) when either fails.
func decodeRequest[T any](w http.ResponseWriter, r *http.Request, decode func([]byte) (T, *dialect.FieldError)) (T, bool) {
	body, err := readBody(r)
	if err != nil {
		badParam(w, "body", err.Error())
		var zero T
		return zero, false
	}
	v, fe := decode(body)
	if fe != nil {
		failErr(w, fe)
		return v, false
	}
	return v, true
}

func getTask(ctx context.Context, host dialect.Host, account, id string) (task, error) {
	o, err := host.GetObject(ctx, account, dialect.KindCampaign, id)
	if err != nil {
		return task{}, err
	}
	return taskOf(o)
}

func (d *Dialect) getTask(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	t, err := getTask(ctx, host, acct.ID, r.PathValue("task_id"))
	if err != nil {
		failErr(w, err)
		return
	}
	ok(w, d.entity(acct, t, lineOrNil(ctx, host, acct.ID, t.Spec.Trunk), scriptsOf(ctx, host, acct.ID)))
}

func (d *Dialect) listTasks(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	tasks, err := allTasks(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	rs, err := allRules(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	rules := make(map[string]RedialSpec, len(rs))
	for _, r := range rs {
		rules[r.ID] = r
	}
	def := defaultRule(rs)
	sg := scriptsOf(ctx, host, acct.ID)
	lines := map[string]*line{}
	out := make([]ListEntity, 0, len(tasks))
	for _, t := range tasks {
		l, seen := lines[t.Spec.Trunk]
		if !seen {
			l = lineOrNil(ctx, host, acct.ID, t.Spec.Trunk)
			lines[t.Spec.Trunk] = l
		}
		out = append(out, d.listEntity(acct, t, l, sg, rules, def))
	}
	ok(w, struct {
		Data []ListEntity `json:"data"`
	}{out})
}

func (d *Dialect) destroyTask(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	id := r.PathValue("task_id")
	t, err := getTask(ctx, host, acct.ID, id)
	if err != nil {
		failErr(w, err)
		return
	}
	if t.running() {
		fail(w, CodeState, "状态不允许: 任务运行中, 请先暂停 (stop the task first)")
		return
	}
	undo, err := setNotify(ctx, host, acct.ID, id, "")
	if err != nil {
		failErr(w, err)
		return
	}
	if err := host.DeleteObject(ctx, acct.ID, dialect.KindCampaign, id); err != nil {
		failErr(w, withUndo(ctx, err, undo))
		return
	}
	success(w, nil)
}

func (d *Dialect) action(a dialect.CampaignAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
		id := r.PathValue("task_id")
		t, err := getTask(ctx, host, acct.ID, id)
		if err != nil {
			failErr(w, err)
			return
		}
		l := lineOrNil(ctx, host, acct.ID, t.Spec.Trunk)
		if a == dialect.CampaignStart && !t.running() && l != nil && l.MaxConcurrent > 0 {
			tasks, err := allTasks(ctx, host, acct.ID)
			if err != nil {
				failErr(w, err)
				return
			}
			if rs := residue(*l, tasks, id); t.Spec.Pacing.MaxConcurrent > rs {
				fail(w, CodeState, fmt.Sprintf("状态不允许: maximumcall %d exceeds the line's residue (%d)", t.Spec.Pacing.MaxConcurrent, rs))
				return
			}
		}
		o, err := host.CampaignAction(ctx, acct.ID, id, a)
		if err != nil {
			failErr(w, err)
			return
		}
		if t, err = taskOf(o); err != nil {
			failErr(w, err)
			return
		}
		ok(w, d.entity(acct, t, l, scriptsOf(ctx, host, acct.ID)))
	}
}

func (d *Dialect) progress(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	t, err := getTask(ctx, host, acct.ID, r.PathValue("task_id"))
	if err != nil {
		failErr(w, err)
		return
	}
	success(w, progressOf(t))
}

// ProgressBar is a task's progress.
type ProgressBar struct {
	Total    int `json:"total"`
	Progress int `json:"progress"`
	Percent  int `json:"percent"`
}

func progressOf(t task) ProgressBar {
	s := t.Status.Stats
	p := s.Percent
	if math.IsNaN(p) || math.IsInf(p, 0) {
		p = 0
	}
	return ProgressBar{Total: s.Total, Progress: s.Done, Percent: int(math.Round(p))}
}
