package ringmedialect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Limits of tasks.
const (
	// maxTasks bounds the tasks of one POST (ours).
	maxTasks = 1000
	// maxTryCount is the vendor's try_count limit.
	maxTryCount = dialer.MaxTries
	// maxTryAgainPause is the vendor's try_again_pause_caller limit (s).
	maxTryAgainPause = int64(dialer.MaxRetryPause / time.Second)
	// maxExtendedA bounds extended_a_numbers (ours).
	maxExtendedA = 8
	// defaultTasksPage and maxTasksPage size the task list (ours).
	defaultTasksPage = 100
	maxTasksPage     = 1000
)

// Keys of a task's contact Custom fields: what the host does not keep
// otherwise (numbers as sent, the extension, the creation time).
const (
	customANumber   = "a_number"
	customBNumber   = "b_number"
	customExtension = "extension_id"
	customCreated   = "create_date_utc"
	customExtendedA = "extended_a_numbers"
)

// startLayouts are the accepted start_time_utc formats (the seconds may be left out).
var startLayouts = []string{dateLayout, "2006-01-02 15:04"}

// TasksRequest is the body of POST …/task_scheduler/{id}/tasks/.
type TasksRequest struct {
	Tasks []json.RawMessage `json:"tasks"`
}

// TaskRequest is one task to add.
type TaskRequest struct {
	Name                *string         `json:"name"`
	ANumber             *flexString     `json:"a_number"`
	BNumber             *flexString     `json:"b_number"`
	ExtensionID         *int64          `json:"extension_id"`
	TryCount            *int64          `json:"try_count"`
	TryAgainPause       *flexString     `json:"try_again_pause"`
	TryAgainPauseCaller *flexString     `json:"try_again_pause_caller"`
	URLBefore           *string         `json:"url_before"`
	URLBeforeAgain      *string         `json:"url_before_again"`
	URLSuccess          *string         `json:"url_success"`
	URLAfter            *string         `json:"url_after"`
	StartTimeUTC        *string         `json:"start_time_utc"`
	CallbackParams      *CallbackParams `json:"callback_params"`
}

// CallbackParams are a task's optional callback parameters.
type CallbackParams struct {
	CallerIDName     *string      `json:"caller_id_name,omitempty"`
	CallerIDNumber   *flexString  `json:"caller_id_number,omitempty"`
	ExtendedANumbers []flexString `json:"extended_a_numbers"`
}

// Task is the vendor's task object.
type Task struct {
	Status         string          `json:"status"`
	ANumber        string          `json:"a_number"`
	BNumber        string          `json:"b_number"`
	ExtensionID    *int64          `json:"extension_id"`
	SchedulerID    wireID          `json:"scheduler_id"`
	FinishResult   *string         `json:"finish_result"`
	CDR            *string         `json:"cdr"`
	TryCount       int             `json:"try_count"`
	TryAgainPause  string          `json:"try_again_pause"`
	StartTimeUTC   *string         `json:"start_time_utc"`
	URLBefore      *string         `json:"url_before"`
	URLBeforeAgain *string         `json:"url_before_again"`
	URLAfter       *string         `json:"url_after"`
	URLSuccess     *string         `json:"url_success"`
	CreateDateUTC  string          `json:"create_date_utc"`
	ID             wireID          `json:"id"`
	Name           *string         `json:"name"`
	FinishComment  *string         `json:"finish_comment"`
	CallbackParams TaskCallbackOut `json:"callback_params"`
}

// TaskCallbackOut is a task's callback_params in responses.
type TaskCallbackOut struct {
	CallerIDName     *string  `json:"caller_id_name"`
	CallerIDNumber   *string  `json:"caller_id_number"`
	ExtendedANumbers []string `json:"extended_a_numbers"`
}

// newTask is a checked task ready to add.
type newTask struct {
	contact dialect.Contact
	urls    map[string]string // url_* set
	aE164   string
}

// prefixed names a field of the i-th task.
func prefixed(err error, i int) error {
	if fe, ok := asFieldError(err); ok {
		return &dialect.FieldError{Field: fmt.Sprintf("tasks[%d].%s", i, fe.Field), Value: fe.Value, Reason: fe.Reason}
	}
	return err
}

// number checks a phone number as the host will (the campaign's region).
func number(field, raw, region string) (string, error) {
	n, err := dialer.NormalizeNumber(raw, region)
	if err != nil {
		reason := "is not a valid phone number"
		if fe := (*dialer.FieldError)(nil); errors.As(err, &fe) {
			reason = "is not a valid phone number: " + fe.Reason
		}
		return "", &dialect.FieldError{Field: field, Value: raw, Reason: reason + " (national format of " + region + ", or +country code)"}
	}
	return n.E164, nil
}

// pauseSeconds reads try_again_pause (seconds, a number or a string of digits).
func pauseSeconds(field string, v flexString) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(v)), 10, 64)
	if err != nil || n < 0 || n > maxTryAgainPause {
		return 0, &dialect.FieldError{Field: field, Value: string(v), Reason: fmt.Sprintf("must be whole seconds from 0 to %d", maxTryAgainPause)}
	}
	return time.Duration(n) * time.Second, nil
}

// task checks r and makes the contact the host stores for it.
func (r TaskRequest) task(id, region string, now time.Time) (newTask, error) {
	t := newTask{contact: dialect.Contact{ID: id, MaxTries: 1, Custom: map[string]string{customCreated: now.UTC().Format(dateLayout)}},
		urls: map[string]string{}}
	c := &t.contact
	if r.Name != nil {
		if len(*r.Name) > 255 {
			return newTask{}, &dialect.FieldError{Field: "name", Reason: "must be at most 255 bytes"}
		}
		c.Name = *r.Name
	}
	for _, f := range []struct {
		name string
		v    *flexString
	}{{customANumber, r.ANumber}, {customBNumber, r.BNumber}} {
		if f.v == nil || strings.TrimSpace(string(*f.v)) == "" {
			return newTask{}, &dialect.FieldError{Field: f.name, Reason: "is required"}
		}
		if len(*f.v) > 32 {
			return newTask{}, &dialect.FieldError{Field: f.name, Reason: "must be at most 32 characters"}
		}
	}
	a, b := strings.TrimSpace(string(*r.ANumber)), strings.TrimSpace(string(*r.BNumber))
	var err error
	if t.aE164, err = number(customANumber, a, region); err != nil {
		return newTask{}, err
	}
	if _, err := number(customBNumber, b, region); err != nil {
		return newTask{}, err
	}
	c.Numbers, c.Callback = []string{a}, b
	c.Custom[customANumber], c.Custom[customBNumber] = string(*r.ANumber), string(*r.BNumber)
	if r.ExtensionID != nil {
		if *r.ExtensionID <= 0 {
			return newTask{}, &dialect.FieldError{Field: "extension_id", Value: strconv.FormatInt(*r.ExtensionID, 10), Reason: "must be a positive extension id"}
		}
		c.Custom[customExtension] = strconv.FormatInt(*r.ExtensionID, 10)
	}
	if r.TryCount != nil {
		if *r.TryCount < 1 || *r.TryCount > maxTryCount {
			return newTask{}, &dialect.FieldError{Field: "try_count", Value: strconv.FormatInt(*r.TryCount, 10), Reason: fmt.Sprintf("must be from 1 to %d", maxTryCount)}
		}
		c.MaxTries = int(*r.TryCount)
	}
	if r.TryAgainPause != nil {
		if c.RetryPause, err = pauseSeconds("try_again_pause", *r.TryAgainPause); err != nil {
			return newTask{}, err
		}
	}
	if r.TryAgainPauseCaller != nil {
		p, err := pauseSeconds("try_again_pause_caller", *r.TryAgainPauseCaller)
		if err != nil {
			return newTask{}, err
		}
		if r.TryAgainPause != nil && p != c.RetryPause {
			return newTask{}, &dialect.FieldError{Field: "try_again_pause_caller", Value: string(*r.TryAgainPauseCaller), Reason: "differs from try_again_pause; send one of them"}
		}
		c.RetryPause = p
	}
	for _, u := range []struct {
		name string
		v    *string
	}{{URLBefore, r.URLBefore}, {URLBeforeAgain, r.URLBeforeAgain}, {URLSuccess, r.URLSuccess}, {URLAfter, r.URLAfter}} {
		if u.v == nil || *u.v == "" {
			continue
		}
		if err := checkWebhookURL(u.name, *u.v); err != nil {
			return newTask{}, err
		}
		t.urls[u.name] = *u.v
	}
	if r.StartTimeUTC != nil && *r.StartTimeUTC != "" {
		var at time.Time
		for _, l := range startLayouts {
			if at, err = time.ParseInLocation(l, strings.TrimSpace(*r.StartTimeUTC), time.UTC); err == nil {
				break
			}
		}
		if err != nil {
			return newTask{}, &dialect.FieldError{Field: "start_time_utc", Value: *r.StartTimeUTC, Reason: "must be YYYY-MM-DD HH:MM:SS (UTC)"}
		}
		c.NotBefore = at
	}
	if p := r.CallbackParams; p != nil {
		if err := t.callerID(p); err != nil {
			return newTask{}, err
		}
		if len(p.ExtendedANumbers) > maxExtendedA {
			return newTask{}, &dialect.FieldError{Field: "callback_params.extended_a_numbers", Reason: fmt.Sprintf("must hold at most %d numbers", maxExtendedA)}
		}
		raw := make([]string, 0, len(p.ExtendedANumbers))
		seen := map[string]bool{t.aE164: true}
		for j, n := range p.ExtendedANumbers {
			s := strings.TrimSpace(string(n))
			field := fmt.Sprintf("callback_params.extended_a_numbers[%d]", j)
			e164, err := number(field, s, region)
			if err != nil {
				return newTask{}, err
			}
			if seen[e164] {
				return newTask{}, &dialect.FieldError{Field: field, Value: s, Reason: "repeats a_number or another extended number"}
			}
			seen[e164] = true
			c.Numbers = append(c.Numbers, s)
			raw = append(raw, string(n))
		}
		if len(raw) > 0 {
			b, _ := json.Marshal(raw)
			c.Custom[customExtendedA] = string(b)
		}
	}
	return t, nil
}

// callerID sets the caller ID the task's calls present (A's and B's
// legs) from callback_params, checked as the dialer keeps it; empty
// values leave the scheduler's.
func (t *newTask) callerID(p *CallbackParams) error {
	var in dialer.CallerID
	if p.CallerIDName != nil {
		in.Name = *p.CallerIDName
	}
	if p.CallerIDNumber != nil {
		in.Number = strings.TrimSpace(string(*p.CallerIDNumber))
	}
	cid, err := dialer.ContactCallerID(&in)
	if fe := (*dialer.FieldError)(nil); errors.As(err, &fe) {
		field := "callback_params.caller_id_number"
		if fe.Field == "caller_id.name" {
			field = "callback_params.caller_id_name"
		}
		return &dialect.FieldError{Field: field, Value: fe.Value, Reason: fe.Reason}
	}
	if err != nil {
		return err
	}
	if cid != nil {
		t.contact.CallerIDName, t.contact.CallerIDNumber = cid.Name, cid.Number
	}
	return nil
}

// taskEventTypes are the events a task's webhooks render from.
var taskEventTypes = []string{string(event.AttemptStarted), string(event.AttemptConnected), string(event.ContactFinished)}

// subscription is the task's webhook subscription, nil without URLs: the
// host offers it only the task's own events (its contact).
func (t newTask) subscription(scheduler string) *dialect.Subscription {
	if len(t.urls) == 0 {
		return nil
	}
	sub := &dialect.Subscription{Campaign: scheduler, Contact: t.contact.ID, Method: http.MethodPost, Format: TaskEventFormat, EventTypes: taskEventTypes,
		Attrs: map[string]string{attrTaskID: t.contact.ID, attrANumber: t.contact.Custom[customANumber],
			attrBNumber: t.contact.Custom[customBNumber], attrAE164: t.aE164}}
	for _, k := range taskURLs {
		if u, ok := t.urls[k]; ok {
			sub.Attrs[k] = u
			sub.Events = append(sub.Events, k)
			if sub.URL == "" {
				sub.URL = u
			}
		}
	}
	return sub
}

// contacts returns every task of the scheduler, in the order they were added.
func (c *call) contacts(ctx context.Context, scheduler string) ([]dialect.Contact, error) {
	var out []dialect.Contact
	err := eachPage(func(token string) (string, error) {
		p, err := c.host.ListContacts(ctx, c.acct.ID, scheduler, dialect.Page{Size: hostPage, Token: token})
		out = append(out, p.Contacts...)
		return p.NextToken, err
	})
	return out, err
}

// taskSubs returns the webhook subscriptions of the scheduler's tasks.
func (c *call) taskSubs(ctx context.Context, scheduler string) ([]dialect.Subscription, error) {
	return c.subscriptions(ctx, map[string]string{"campaign": scheduler}, func(s dialect.Subscription) bool {
		return s.Format == TaskEventFormat && s.Campaign == scheduler
	})
}

// createTasks adds tasks to a scheduler. Every task is checked first (an
// error names tasks[i].<field>); then the webhooks are registered (the host
// checks their URLs), then the tasks are added.
func (c *call) createTasks(ctx context.Context, sid string) dialect.Response {
	var in TasksRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "task")
	}
	if len(in.Tasks) == 0 {
		return badField("tasks", "must hold one or more tasks")
	}
	if len(in.Tasks) > maxTasks {
		return badField("tasks", fmt.Sprintf("must hold at most %d tasks", maxTasks))
	}
	s, err := c.scheduler(ctx, sid)
	if err != nil {
		return fail(err, "task scheduler")
	}
	existing, err := c.contacts(ctx, sid)
	if err != nil {
		return fail(err, "task")
	}
	var inUse int64
	firstNumbers := map[string]bool{}
	for _, ct := range existing {
		if n, err := strconv.ParseInt(ct.ID, 10, 64); err == nil {
			inUse = max(inUse, n)
		}
		if len(ct.Numbers) > 0 {
			firstNumbers[ct.Numbers[0]] = true
		}
	}
	now := c.d.cfg.Now()
	tasks := make([]newTask, 0, len(in.Tasks))
	for i, raw := range in.Tasks {
		var r TaskRequest
		if err := decode(raw, &r); err != nil {
			return fail(prefixed(err, i), "task")
		}
		t, err := r.task("", s.c.DefaultRegion, now)
		if err != nil {
			return fail(prefixed(err, i), "task")
		}
		if s.c.DedupeBy != dialer.DedupeID && firstNumbers[t.aE164] {
			// A scheduler stored before schedulers deduped tasks by id
			// (any PUT of it lifts this).
			return errorReply(http.StatusConflict, "already_exists", fmt.Sprintf("tasks[%d].a_number", i),
				"this task scheduler keeps one task per a_number until it is next changed (PUT): it has a task for "+t.contact.Numbers[0]+" already")
		}
		firstNumbers[t.aE164] = true
		tasks = append(tasks, t)
	}
	for i := range tasks {
		id, err := nextID(ctx, c.host, c.acct.ID, "task:"+sid, inUse)
		if err != nil {
			return fail(err, "task")
		}
		tasks[i].contact.ID = strconv.FormatInt(id, 10)
	}
	subs := map[int]string{} // task index → its subscription
	undo := func(keep func(int) bool) {
		for i, id := range subs {
			if !keep(i) {
				_ = c.host.DeleteSubscription(ctx, c.acct.ID, id)
			}
		}
	}
	none := func(int) bool { return false }
	for i, t := range tasks {
		sub := t.subscription(sid)
		if sub == nil {
			continue
		}
		stored, err := c.host.PutSubscription(ctx, c.acct.ID, *sub)
		if err != nil {
			undo(none)
			return fail(prefixed(subscriptionField(err, *sub), i), "task")
		}
		subs[i] = stored.ID
	}
	res, err := c.host.ImportContacts(ctx, c.acct.ID, sid, func(yield func(dialect.Contact, error) bool) {
		for _, t := range tasks {
			if !yield(t.contact, nil) {
				return
			}
		}
	})
	if err != nil {
		undo(none)
		return fail(err, "task")
	}
	if len(res.Rejected) > 0 {
		// Another request took a task id (or, in a scheduler stored
		// before tasks were deduped by id, an a_number) meanwhile: the
		// rejected tasks lose their webhooks; the others were added.
		rejected := map[int]bool{}
		for _, rj := range res.Rejected {
			if rj.Field != "numbers" {
				rejected[rj.Index] = true
			}
		}
		undo(func(i int) bool { return !rejected[i] })
		for _, rj := range res.Rejected {
			if rejected[rj.Index] {
				field := fmt.Sprintf("tasks[%d]", rj.Index)
				return errorReply(http.StatusConflict, "failed_precondition", field,
					fmt.Sprintf("%s was not added (%s); %d of %d tasks were added", field, rj.Reason, res.Accepted, len(tasks)))
			}
		}
	}
	out := make([]Task, 0, len(tasks))
	for _, t := range tasks {
		ct := t.contact
		ct.Status = dialer.ContactScheduled
		out = append(out, taskOf(sid, ct, t.urls, nil))
	}
	return reply(http.StatusCreated, out)
}

// subscriptionField names the task's field a host error on its webhook
// subscription is about ("url" or "attrs.url_after": the task's url_*).
func subscriptionField(err error, sub dialect.Subscription) error {
	fe, ok := asFieldError(err)
	if !ok {
		return err
	}
	field := strings.TrimPrefix(fe.Field, "attrs.")
	if field == "url" {
		for _, k := range taskURLs {
			if sub.Attrs[k] == sub.URL {
				field = k
				break
			}
		}
	}
	return &dialect.FieldError{Field: field, Value: fe.Value, Reason: fe.Reason}
}

// lastCall is a task's latest A leg in the call history.
type lastCall struct {
	call    string
	outcome string
}

// lastCallOf reads the task's latest A leg.
func (c *call) lastCallOf(ctx context.Context, sid, task string) (*lastCall, error) {
	var last *lastCall
	err := eachPage(func(token string) (string, error) {
		p, err := c.host.CallHistory(ctx, c.acct.ID, dialect.CallQuery{Campaign: sid, Contact: task, Page: dialect.Page{Size: hostPage, Token: token}})
		for _, r := range p.Calls {
			if r.Attrs["leg"] != "b" {
				last = &lastCall{call: r.Call, outcome: r.Outcome}
			}
		}
		return p.NextToken, err
	})
	return last, err
}

// taskStatuses maps the dialer's contact statuses to the vendor's.
var taskStatuses = map[string]string{
	dialer.ContactScheduled: "scheduled", dialer.ContactExecuted: "executed", dialer.ContactDelayed: "delayed",
	dialer.ContactDelayedASR: "delayed_asr", dialer.ContactDelayedConcurrent: "delayed_concurrent_task",
	dialer.ContactDelayedInterval: "delayed_interval", dialer.ContactDelayedWindow: "delayed", dialer.ContactFinished: "finished",
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// taskOf is the vendor's task for a stored contact, its webhook URLs and
// its latest call.
func taskOf(sid string, ct dialect.Contact, urls map[string]string, last *lastCall) Task {
	status := taskStatuses[ct.Status]
	if status == "" {
		status = "scheduled"
	}
	t := Task{Status: status, ANumber: ct.Custom[customANumber], BNumber: ct.Custom[customBNumber], SchedulerID: wireID(sid),
		TryCount: max(ct.MaxTries, 1), TryAgainPause: secondsString(ct.RetryPause), URLBefore: nonEmpty(urls[URLBefore]),
		URLBeforeAgain: nonEmpty(urls[URLBeforeAgain]), URLAfter: nonEmpty(urls[URLAfter]), URLSuccess: nonEmpty(urls[URLSuccess]),
		CreateDateUTC: ct.Custom[customCreated], ID: wireID(ct.ID), Name: nonEmpty(ct.Name),
		CallbackParams: TaskCallbackOut{CallerIDName: nonEmpty(ct.CallerIDName), CallerIDNumber: nonEmpty(ct.CallerIDNumber), ExtendedANumbers: []string{}}}
	if t.ANumber == "" && len(ct.Numbers) > 0 {
		t.ANumber = ct.Numbers[0]
	}
	if t.BNumber == "" {
		t.BNumber = ct.Callback
	}
	if e, err := strconv.ParseInt(ct.Custom[customExtension], 10, 64); err == nil {
		t.ExtensionID = &e
	}
	if !ct.NotBefore.IsZero() {
		t.StartTimeUTC = nonEmpty(ct.NotBefore.UTC().Format(dateLayout))
	}
	if s := ct.Custom[customExtendedA]; s != "" {
		_ = json.Unmarshal([]byte(s), &t.CallbackParams.ExtendedANumbers)
	}
	if last == nil && status == "finished" {
		// Finished without a call: only a cancel (DELETE) does that.
		result := "failed"
		t.FinishResult, t.FinishComment = &result, nonEmpty("cancelled")
	}
	if last != nil {
		t.CDR = nonEmpty(last.call)
		if status == "finished" {
			result := "failed"
			if last.outcome == string(telephony.OutcomeAnswered) {
				result = "success"
			}
			t.FinishResult = &result
			t.FinishComment = nonEmpty(finishComment(result, last.outcome))
		}
	}
	return t
}

// urlsOf are a task subscription's URLs.
func urlsOf(s dialect.Subscription) map[string]string {
	m := map[string]string{}
	for _, k := range taskURLs {
		if u := s.Attrs[k]; u != "" {
			m[k] = u
		}
	}
	return m
}

// wireTask reads what a task's response needs beyond its contact.
func (c *call) wireTask(ctx context.Context, sid string, ct dialect.Contact, subs map[string]dialect.Subscription) (Task, error) {
	var last *lastCall
	if ct.Tries > 0 || ct.Status != dialer.ContactScheduled {
		var err error
		if last, err = c.lastCallOf(ctx, sid, ct.ID); err != nil {
			return Task{}, err
		}
	}
	return taskOf(sid, ct, urlsOf(subs[ct.ID]), last), nil
}

// subsByTask indexes the scheduler's task subscriptions by task id.
func (c *call) subsByTask(ctx context.Context, sid string) (map[string]dialect.Subscription, error) {
	subs, err := c.taskSubs(ctx, sid)
	if err != nil {
		return nil, err
	}
	m := make(map[string]dialect.Subscription, len(subs))
	for _, s := range subs {
		m[s.Attrs[attrTaskID]] = s
	}
	return m, nil
}

func (c *call) getTask(ctx context.Context, sid, id string) dialect.Response {
	if _, err := c.scheduler(ctx, sid); err != nil {
		return fail(err, "task scheduler")
	}
	cts, err := c.contacts(ctx, sid)
	if err != nil {
		return fail(err, "task")
	}
	i := slices.IndexFunc(cts, func(ct dialect.Contact) bool { return ct.ID == id })
	if i < 0 {
		return notFound("task")
	}
	subs, err := c.subsByTask(ctx, sid)
	if err != nil {
		return fail(err, "task")
	}
	t, err := c.wireTask(ctx, sid, cts[i], subs)
	if err != nil {
		return fail(err, "task")
	}
	return reply(http.StatusOK, t)
}

// listTasks pages through a scheduler's tasks in the order they were
// added: ?limit= (default 100, at most 1000) and ?page_token= (from the
// previous page's X-Next-Page-Token header, absent on the last page).
func (c *call) listTasks(ctx context.Context, sid string) dialect.Response {
	size := defaultTasksPage
	if v := c.req.Query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxTasksPage {
			return badField("limit", fmt.Sprintf("must be from 1 to %d (got %q)", maxTasksPage, v))
		}
		size = n
	}
	if _, err := c.scheduler(ctx, sid); err != nil {
		return fail(err, "task scheduler")
	}
	p, err := c.host.ListContacts(ctx, c.acct.ID, sid, dialect.Page{Size: size, Token: c.req.Query.Get("page_token")})
	if err != nil {
		if _, ok := asFieldError(err); ok {
			return badField("page_token", "is not a token this list gave")
		}
		return fail(err, "task")
	}
	subs, err := c.subsByTask(ctx, sid)
	if err != nil {
		return fail(err, "task")
	}
	out := make([]Task, 0, len(p.Contacts))
	for _, ct := range p.Contacts {
		t, err := c.wireTask(ctx, sid, ct, subs)
		if err != nil {
			return fail(err, "task")
		}
		out = append(out, t)
	}
	resp := reply(http.StatusOK, out)
	if p.NextToken != "" {
		resp.Header.Set("X-Next-Page-Token", p.NextToken)
	}
	return resp
}

// cancelTask cancels a task not yet executed (no try made, none under
// way): the host finishes its contact, and its webhooks are dropped (a
// cancelled task calls no url_after). It answers 204; an executed or
// finished task 409 failed_precondition naming status.
func (c *call) cancelTask(ctx context.Context, sid, id string) dialect.Response {
	if _, err := c.scheduler(ctx, sid); err != nil {
		return fail(err, "task scheduler")
	}
	cts, err := c.contacts(ctx, sid)
	if err != nil {
		return fail(err, "task")
	}
	i := slices.IndexFunc(cts, func(ct dialect.Contact) bool { return ct.ID == id })
	if i < 0 {
		return notFound("task")
	}
	executed := func(status string) dialect.Response {
		return errorReply(http.StatusConflict, "failed_precondition", "status",
			"the task is "+status+": only a task not yet executed can be cancelled")
	}
	if ct := cts[i]; ct.Tries > 0 || ct.Status == dialer.ContactExecuted || ct.Status == dialer.ContactFinished {
		return executed(taskStatuses[ct.Status])
	}
	if err := c.host.CancelContact(ctx, c.acct.ID, sid, id); err != nil {
		if isPrecondition(err) {
			return executed("executed")
		}
		return fail(err, "task")
	}
	subs, err := c.subsByTask(ctx, sid)
	if err != nil {
		return fail(err, "task")
	}
	if s, ok := subs[id]; ok {
		if err := c.host.DeleteSubscription(ctx, c.acct.ID, s.ID); err != nil && !errors.Is(err, dialect.ErrNotFound) {
			return fail(err, "task")
		}
	}
	return dialect.Response{Status: http.StatusNoContent}
}

// asFieldError finds the *dialect.FieldError in err's chain.
func asFieldError(err error) (*dialect.FieldError, bool) {
	var fe *dialect.FieldError
	ok := errors.As(err, &fe)
	return fe, ok
}
