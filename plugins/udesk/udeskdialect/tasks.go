package udeskdialect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Limits and defaults of the seed (and ours, marked so in README.md).
const (
	DefaultPerPage  = 10
	MaxPerPage      = 100
	MaxImport       = 300       // numbers per add_numbers call
	MaxTaskNumbers  = 1_000_000 // numbers per task
	MaxCustomFields = 10
	maxNameLength   = 255 // ours: Udesk does not document it
	maxRecallCount  = 100 // ours: the dialer's redial limit
	// ivrContext is the dialplan context simple IVR tasks (task_type 4)
	// continue answered calls to, at extension user_group_id (ours).
	ivrContext = "udesk-ivr"
)

// Attrs keys under which the campaign keeps what the core does not act on.
const (
	attrTaskType       = "task_type"
	attrUserGroup      = "user_group_id"
	attrForcePolicy    = "force_policy_id"
	attrWorkingTime    = "working_time_id"
	attrRecallPolicy   = "recall_policy"
	attrRecallCount    = "recall_count"
	attrRecallInterval = "recall_interval"
	attrFollowOn       = "follow_on_policy"
	attrCreatedAt      = "created_at"
)

// china is the zone Udesk's times are shown in.
var china = time.FixedZone("CST", 8*3600)

// detailsTime is the layout of the task details' times (the seed's
// "2017-11-02T20:13:40.000+08:00").
const detailsTime = "2006-01-02T15:04:05.000-07:00"

// callResults maps Udesk's call result types to the core's outcomes.
var callResults = map[string][]telephony.Outcome{
	"customer_missed":   {telephony.OutcomeNoAnswer, telephony.OutcomeRejected},
	"agent_missed":      {telephony.OutcomeAbandoned},
	"customer_breakout": {telephony.OutcomeAbandoned},
	"phone_outline":     {telephony.OutcomeFailed, telephony.OutcomeCongestion},
	"phone_busy":        {telephony.OutcomeBusy},
}

var taskModes = map[int64]dialer.Mode{1: dialer.ModeProgressive, 2: dialer.ModeRatio, 3: dialer.ModePredictive, 4: dialer.ModeIVR}

// tenant is one authenticated request's account and host.
type tenant struct {
	host dialect.Host
	acct dialect.Account
	now  func() time.Time
	d    *Dialect
}

type handler func(ctx context.Context, t tenant, id string, req dialect.Request) (dialect.Response, *apiError)

type routed struct {
	id       string
	query    map[string]bool
	handle   handler
	isImport bool // add_numbers, limited to one call a second
}

// route finds the handler of a path under /open_api_v1/cc_ad_tasks.
func route(method string, parts []string) (routed, *apiError) {
	type key struct{ method, path string }
	path := strings.Join(parts, "/")
	id := ""
	switch {
	case len(parts) == 1 && !slices.Contains([]string{"add_numbers", "numbers", "recall", "follow_on", "results_callback"}, parts[0]):
		id, path = parts[0], ":id"
	case len(parts) == 2 && parts[1] == "open":
		id, path = parts[0], ":id/open"
	}
	routes := map[key]routed{
		{"GET", ""}:             {query: set("page", "per_page"), handle: listTasks},
		{"POST", ""}:            {handle: createTask},
		{"GET", ":id"}:          {handle: getTask},
		{"PUT", ":id"}:          {handle: updateTask},
		{"DELETE", ":id"}:       {handle: deleteTask},
		{"POST", ":id/open"}:    {handle: openTask},
		{"POST", "add_numbers"}: {handle: addNumbers, isImport: true},
		{"GET", "numbers"}:      {query: set("id", "start_number_id"), handle: numberPool},
		{"POST", "recall"}:      {handle: redialHandler("number", true)},
		{"POST", "follow_on"}:   {handle: redialHandler("called", false)},

		{"GET", "results_callback"}:    {handle: getResultsCallback},
		{"POST", "results_callback"}:   {handle: setResultsCallback},
		{"DELETE", "results_callback"}: {handle: deleteResultsCallback},
	}
	r, ok := routes[key{method, path}]
	if !ok {
		return routed{}, errf(http.StatusNotFound, CodeNotFound, "Resource not found", "no such endpoint: %s /open_api_v1/cc_ad_tasks/%s",
			method, strings.Join(parts, "/"))
	}
	r.id = id
	return r, nil
}

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// taskInput is a create request, checked.
type taskInput struct {
	Name, Description string
	TaskType          int64
	UserGroupID       int64
	ForcePolicyID     int64
	WorkingTimeID     int64
	Priority          int
	RecallPolicy      []string
	RecallCount       int
	RecallInterval    string
	Intervals         []time.Duration
	FollowOn          []string
	CalloutNumber     string
	CallLimit         int
}

var createAttrs = []string{"name", "description", "task_type", "user_group_id", "force_policy_id", "priority", "working_time_id",
	"recall_policy", "recall_count", "recall_interval", "follow_on_policy", "callout_number", "call_limit"}

// parseCreate decodes and checks a create body in the order Udesk reports
// its errors: unknown attributes, then name, task_type, user_group_id,
// force_policy_id, working_time_id, then the optional fields.
func parseCreate(body []byte) (taskInput, *apiError) {
	var in taskInput
	m, aerr := object(body, createAttrs...)
	if aerr != nil {
		return in, aerr
	}
	if in.Name, aerr = parseName(m); aerr != nil {
		return in, aerr
	}
	tt, given, err := integer(m, "task_type")
	if err != nil || !given || taskModes[tt] == "" {
		return in, errf(http.StatusBadRequest, CodeBadTaskType, "Invalid task_type", "task_type is required and must be 1, 2, 3 or 4")
	}
	in.TaskType = tt
	if in.UserGroupID, given, err = integer(m, "user_group_id"); err != nil || !given || in.UserGroupID <= 0 {
		return in, errf(http.StatusBadRequest, CodeBadUserGroup, "Invalid user_group_id", "user_group_id is required and must be a positive integer")
	}
	if in.ForcePolicyID, given, err = integer(m, "force_policy_id"); err != nil || given && in.ForcePolicyID <= 0 {
		return in, errf(http.StatusBadRequest, CodeBadForcePolicy, "Invalid force_policy_id", "force_policy_id must be a positive integer")
	}
	if in.WorkingTimeID, given, err = integer(m, "working_time_id"); err != nil || given && in.WorkingTimeID <= 0 {
		return in, errf(http.StatusBadRequest, CodeBadWorkingTime, "Invalid working_time_id", "working_time_id must be a positive integer")
	}
	if in.Description, _, aerr = str(m, "description"); aerr != nil {
		return in, aerr
	}
	p, given, err := integer(m, "priority")
	switch {
	case err != nil:
		return in, badParam("priority", "%v", err)
	case !given:
		p = dialer.DefaultPriority
	case p < 1 || p > dialer.MaxPriority:
		return in, badParam("priority", "must be 1-100 (got %d)", p)
	}
	in.Priority = int(p)
	if in.RecallPolicy, aerr = parseResults(m, "recall_policy"); aerr != nil {
		return in, aerr
	}
	rc, _, err := integer(m, "recall_count")
	if err != nil || rc < 0 || rc > maxRecallCount {
		return in, badParam("recall_count", "must be an integer 0-%d", maxRecallCount)
	}
	in.RecallCount = int(rc)
	if in.RecallInterval, _, aerr = str(m, "recall_interval"); aerr != nil {
		return in, aerr
	}
	if in.Intervals, err = dialer.ParseIntervalList(in.RecallInterval); err != nil {
		return in, badParam("recall_interval", `must be comma-separated minutes such as "1,2,3" (got %q)`, in.RecallInterval)
	}
	if in.FollowOn, aerr = parseResults(m, "follow_on_policy"); aerr != nil {
		return in, aerr
	}
	if in.CalloutNumber, aerr = parseCallout(m); aerr != nil {
		return in, aerr
	}
	if in.CallLimit, aerr = parseCallLimit(m); aerr != nil {
		return in, aerr
	}
	return in, nil
}

func parseName(m map[string]json.RawMessage) (string, *apiError) {
	name, _, aerr := str(m, "name")
	if aerr != nil || strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > maxNameLength {
		return "", errf(http.StatusBadRequest, CodeBadName, "Invalid name", "name is required, at most %d characters", maxNameLength)
	}
	return name, nil
}

// parseResults reads a comma-separated list of call result types.
func parseResults(m map[string]json.RawMessage, key string) ([]string, *apiError) {
	s, _, aerr := str(m, key)
	if aerr != nil {
		return nil, aerr
	}
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if callResults[p] == nil {
			return nil, badParam(key, "%q is not a call result type (customer_missed, agent_missed, customer_breakout, phone_outline, phone_busy)", p)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func parseCallout(m map[string]json.RawMessage) (string, *apiError) {
	s, given, aerr := str(m, "callout_number")
	if aerr != nil {
		return "", errf(http.StatusBadRequest, CodeBadCalloutNumber, "Invalid callout_number", "callout_number must be a string")
	}
	if !given {
		return "", nil
	}
	digits := strings.TrimPrefix(s, "+")
	if len(digits) < 3 || len(digits) > 20 || strings.Trim(digits, "0123456789") != "" {
		return "", errf(http.StatusBadRequest, CodeBadCalloutNumber, "Invalid callout_number", "callout_number %q is not a phone number", s)
	}
	return s, nil
}

func parseCallLimit(m map[string]json.RawMessage) (int, *apiError) {
	n, given, err := integer(m, "call_limit")
	if err != nil || given && (n < 1 || n > math.MaxInt32) {
		return 0, badParam("call_limit", "must be a positive integer")
	}
	return int(n), nil
}

// campaign builds the core campaign of a create request.
func (in taskInput) campaign(region string, created time.Time) dialer.Campaign {
	c := dialer.Campaign{Name: in.Name, Description: in.Description, Mode: taskModes[in.TaskType], DefaultRegion: region,
		Priority: in.Priority, Pacing: dialer.Pacing{MaxConcurrent: in.CallLimit},
		Attrs: map[string]string{
			attrTaskType:  strconv.FormatInt(in.TaskType, 10),
			attrUserGroup: strconv.FormatInt(in.UserGroupID, 10),
			attrCreatedAt: created.UTC().Format(time.RFC3339),
		}}
	if c.Mode == dialer.ModeIVR {
		c.Destination = dialer.Destination{Kind: dialer.DestDialplan,
			Dialplan: telephony.DialplanTarget{Context: ivrContext, Extension: c.Attrs[attrUserGroup], Priority: 1}}
	} else {
		c.Queue = c.Attrs[attrUserGroup]
	}
	if in.CalloutNumber != "" {
		c.CallerID = dialer.CallerID{Mode: dialer.CallerIDFixed, Number: in.CalloutNumber}
	}
	for k, v := range map[string]int64{attrForcePolicy: in.ForcePolicyID, attrWorkingTime: in.WorkingTimeID} {
		if v > 0 {
			c.Attrs[k] = strconv.FormatInt(v, 10)
		}
	}
	c.Attrs[attrRecallCount] = strconv.Itoa(in.RecallCount)
	if in.RecallInterval != "" {
		c.Attrs[attrRecallInterval] = in.RecallInterval
	}
	if len(in.RecallPolicy) > 0 {
		c.Attrs[attrRecallPolicy] = strings.Join(in.RecallPolicy, ",")
	}
	if len(in.FollowOn) > 0 {
		c.Attrs[attrFollowOn] = strings.Join(in.FollowOn, ",")
	}
	if in.RecallCount > 0 && len(in.RecallPolicy) > 0 {
		c.Redial.Rules = map[telephony.Outcome]dialer.RedialRule{}
		for _, r := range in.RecallPolicy {
			for _, o := range callResults[r] {
				c.Redial.Rules[o] = dialer.RedialRule{Count: in.RecallCount, Intervals: in.Intervals}
			}
		}
	}
	for _, r := range in.FollowOn {
		for _, o := range callResults[r] {
			if !slices.Contains(c.Redial.FollowOn, o) {
				c.Redial.FollowOn = append(c.Redial.FollowOn, o)
			}
		}
	}
	return c
}

func region(a dialect.Account) string {
	if a.DefaultRegion != "" {
		return a.DefaultRegion
	}
	return "CN"
}

// trunkFor finds the account's trunk (relay line) whose caller ID is number,
// and checks callLimit against its concurrency.
func (t tenant) trunkFor(ctx context.Context, number string, callLimit int) (string, *apiError) {
	token := ""
	for {
		page, err := t.host.ListObjects(ctx, t.acct.ID, dialect.KindTrunk, dialect.Page{Size: 100, Token: token})
		if err != nil {
			return "", hostError(err, "")
		}
		for _, o := range page.Objects {
			var tr dialer.Trunk
			if json.Unmarshal(o.Spec, &tr) != nil || tr.CallerIDNumber != number {
				continue
			}
			if callLimit > 0 && tr.MaxConcurrent > 0 && callLimit > tr.MaxConcurrent {
				return "", errf(http.StatusBadRequest, CodeCallLimitTooLarge, "Does not meet the current concurrent call limit for the dialing number",
					"call_limit %d exceeds the %d concurrent calls of relay number %s", callLimit, tr.MaxConcurrent, number)
			}
			return o.ID, nil
		}
		if page.NextToken == "" {
			return "", errf(http.StatusBadRequest, CodeBadCalloutNumber, "Invalid callout_number",
				"callout_number %s is not a relay number of this company", number)
		}
		token = page.NextToken
	}
}

// checkLimit checks a call_limit against the task's trunk.
func (t tenant) checkLimit(ctx context.Context, c dialer.Campaign) *apiError {
	if c.Trunk == "" || c.Pacing.MaxConcurrent == 0 {
		return nil
	}
	o, err := t.host.GetObject(ctx, t.acct.ID, dialect.KindTrunk, c.Trunk)
	if err != nil {
		return hostError(err, "")
	}
	var tr dialer.Trunk
	if err := json.Unmarshal(o.Spec, &tr); err != nil {
		return hostError(fmt.Errorf("decode trunk %s: %w", c.Trunk, err), "")
	}
	if tr.MaxConcurrent > 0 && c.Pacing.MaxConcurrent > tr.MaxConcurrent {
		return errf(http.StatusBadRequest, CodeCallLimitTooLarge, "Does not meet the current concurrent call limit for the dialing number",
			"call_limit %d exceeds the %d concurrent calls of relay number %s", c.Pacing.MaxConcurrent, tr.MaxConcurrent, tr.CallerIDNumber)
	}
	return nil
}

func putCampaign(ctx context.Context, t tenant, id string, c dialer.Campaign) (dialect.Object, *apiError) {
	spec, err := json.Marshal(c)
	if err != nil {
		return dialect.Object{}, hostError(fmt.Errorf("encode campaign: %w", err), id)
	}
	o, err := t.host.PutObject(ctx, t.acct.ID, dialect.Object{Kind: dialect.KindCampaign, ID: id, Spec: spec})
	if err != nil {
		return dialect.Object{}, hostError(err, id)
	}
	return o, nil
}

func createTask(ctx context.Context, t tenant, _ string, req dialect.Request) (dialect.Response, *apiError) {
	in, aerr := parseCreate(req.Body)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	c := in.campaign(region(t.acct), t.now())
	if in.CalloutNumber != "" {
		if c.Trunk, aerr = t.trunkFor(ctx, in.CalloutNumber, in.CallLimit); aerr != nil {
			return dialect.Response{}, aerr
		}
	}
	o, aerr := putCampaign(ctx, t, "", c)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	return reply(http.StatusOK, struct {
		Code int `json:"code"`
		ID   any `json:"id"`
	}{CodeOK, idValue(o.ID)}), nil
}

// idValue is a host id as Udesk's integer when it is one.
func idValue(id string) any {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return id
}

// validID reports whether id can name a task (a positive integer).
func validID(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	return err == nil && n > 0
}

// task is a stored campaign with its status.
type task struct {
	id     string
	c      dialer.Campaign
	state  dialer.State
	stats  dialer.Stats
	counts map[string]int
}

func (t tenant) task(ctx context.Context, id string) (task, *apiError) {
	if id == "" {
		return task{}, notFound("")
	}
	if !validID(id) {
		return task{}, notFound(id)
	}
	o, err := t.host.GetObject(ctx, t.acct.ID, dialect.KindCampaign, id)
	if err != nil {
		return task{}, hostError(err, id)
	}
	return decodeTask(o)
}

func decodeTask(o dialect.Object) (task, *apiError) {
	tk := task{id: o.ID}
	if err := json.Unmarshal(o.Spec, &tk.c); err != nil {
		return task{}, hostError(fmt.Errorf("decode campaign %s: %w", o.ID, err), o.ID)
	}
	if len(o.Status) > 0 {
		var st struct {
			State    dialer.State   `json:"state"`
			Stats    dialer.Stats   `json:"stats"`
			Contacts map[string]int `json:"contacts"`
		}
		if err := json.Unmarshal(o.Status, &st); err != nil {
			return task{}, hostError(fmt.Errorf("decode campaign %s status: %w", o.ID, err), o.ID)
		}
		tk.state, tk.stats, tk.counts = st.State, st.Stats, st.Contacts
	}
	return tk, nil
}

// status is Udesk's task status: 1 enabled (running), 2 disabled, 3 stopping.
func (tk task) status() int {
	switch tk.state {
	case dialer.StateRunning:
		return 1
	case dialer.StateStopping:
		return 3
	}
	return 2
}

func (tk task) customers() int {
	n := 0
	for _, v := range tk.counts {
		n += v
	}
	if n == 0 {
		n = tk.stats.Total
	}
	return n
}

// rate formats a ratio as Udesk does: "0.0", "0.67", "1.0".
func rate(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	s := strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func attrInt(c dialer.Campaign, key string) *int64 {
	n, err := strconv.ParseInt(c.Attrs[key], 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

func attrList(c dialer.Campaign, key string) []string {
	out := []string{}
	for p := range strings.SplitSeq(c.Attrs[key], ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (tk task) created() time.Time {
	at, _ := time.Parse(time.RFC3339, tk.c.Attrs[attrCreatedAt])
	return at.In(china)
}

// Stats are the statistics fields of a task, in the seed's order.
type Stats struct {
	CustomerCount        int    `json:"customer_count"`
	ExecuteCustomerCount int    `json:"execute_customer_count"`
	CustomerAnswerCount  int    `json:"customer_answer_count"`
	AgentAnswerCount     int    `json:"agent_answer_count"`
	CallSuccessRate      string `json:"call_success_rate"`
	AgentAnswerRate      string `json:"agent_answer_rate"`
	AgentUseRate         string `json:"agent_use_rate"`
	DisturbRate          string `json:"disturb_rate"`
	MinuteCallRate       string `json:"minute_call_rate"`
	MinuteAgentUseRate   string `json:"minute_agent_use_rate"`
	MinuteDisturbRate    string `json:"minute_disturb_rate"`
}

func (tk task) statistics() Stats {
	s := tk.stats
	return Stats{CustomerCount: tk.customers(), ExecuteCustomerCount: s.Executed, CustomerAnswerCount: s.CustomerAnswered,
		AgentAnswerCount: s.AgentConnected, CallSuccessRate: rate(s.CallSuccessRate), AgentAnswerRate: rate(s.AgentAnswerRate),
		AgentUseRate: rate(s.AgentUseRate), DisturbRate: rate(s.DisturbRate), MinuteCallRate: rate(s.MinuteCallRate),
		MinuteAgentUseRate: rate(s.MinuteAgentUseRate), MinuteDisturbRate: rate(s.MinuteDisturbRate)}
}

// ListItem is one task of GET /cc_ad_tasks (Data Structure - Automatic
// Outbound Call Task).
type ListItem struct {
	ID            any     `json:"id"`
	Name          string  `json:"name"`
	Description   *string `json:"description"`
	TaskType      *int64  `json:"task_type"`
	UserGroupID   *int64  `json:"user_group_id"`
	CustomerCount int     `json:"customer_count"`
	CalloutNumber *string `json:"callout_number"`
	CreatedAt     string  `json:"created_at"`
	Status        int     `json:"status"`
	Stats
}

func (tk task) listItem() ListItem {
	st := tk.statistics()
	return ListItem{ID: idValue(tk.id), Name: tk.c.Name, Description: nullable(tk.c.Description), TaskType: attrInt(tk.c, attrTaskType),
		UserGroupID: attrInt(tk.c, attrUserGroup), CustomerCount: st.CustomerCount, CalloutNumber: nullable(tk.c.CallerID.Number),
		CreatedAt: tk.created().Format(time.DateTime), Status: tk.status(), Stats: st}
}

// Details is GET /cc_ad_tasks/:id's item (Data Structure - Automatic
// Outbound Call Task Details).
type Details struct {
	ID               any      `json:"id"`
	Name             string   `json:"name"`
	Status           int      `json:"status"`
	CallLimit        *int     `json:"call_limit"`
	CalloutNumber    *string  `json:"callout_number"`
	TaskType         *int64   `json:"task_type"`
	ForcePolicyID    *int64   `json:"force_policy_id"`
	UserGroupID      *int64   `json:"user_group_id"`
	Description      *string  `json:"description"`
	CreatedAt        string   `json:"created_at"`
	ScheduleID       *int64   `json:"schedule_id"`
	RedialTimes      int64    `json:"redial_times"`
	RedialGuide      []string `json:"redial_guide"`
	RedialScene      []string `json:"redial_scene"`
	RedialMultiScene []string `json:"redial_multi_scene"`
	Priority         int      `json:"priority"`
	ForcePolicyName  *string  `json:"force_policy_name"`
	ScheduleName     *string  `json:"schedule_name"`
	Stats
}

func (tk task) details() Details {
	d := Details{ID: idValue(tk.id), Name: tk.c.Name, Status: tk.status(), CalloutNumber: nullable(tk.c.CallerID.Number),
		TaskType: attrInt(tk.c, attrTaskType), ForcePolicyID: attrInt(tk.c, attrForcePolicy), UserGroupID: attrInt(tk.c, attrUserGroup),
		Description: nullable(tk.c.Description), CreatedAt: tk.created().Format(detailsTime),
		ScheduleID: attrInt(tk.c, attrWorkingTime), RedialGuide: attrList(tk.c, attrRecallInterval),
		RedialScene: attrList(tk.c, attrRecallPolicy), RedialMultiScene: attrList(tk.c, attrFollowOn), Priority: tk.c.Priority,
		Stats: tk.statistics()}
	if n := tk.c.Pacing.MaxConcurrent; n > 0 {
		d.CallLimit = &n
	}
	if n := attrInt(tk.c, attrRecallCount); n != nil {
		d.RedialTimes = *n
	}
	return d
}

func getTask(ctx context.Context, t tenant, id string, _ dialect.Request) (dialect.Response, *apiError) {
	tk, aerr := t.task(ctx, id)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	return reply(http.StatusOK, struct {
		Code int     `json:"code"`
		Item Details `json:"item"`
	}{CodeOK, tk.details()}), nil
}

// Meta is a list's pagination.
type Meta struct {
	CurrentPage  int `json:"current_page"`
	TotalPages   int `json:"total_pages"`
	TotalEntries int `json:"total_entries"`
}

func pageParam(q map[string][]string, key string, def int) (int, *apiError) {
	v := q[key]
	if len(v) == 0 || v[0] == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 1 {
		return 0, badParam(key, "must be a positive integer (got %q)", v[0])
	}
	return n, nil
}

func listTasks(ctx context.Context, t tenant, _ string, req dialect.Request) (dialect.Response, *apiError) {
	page, aerr := pageParam(req.Query, "page", 1)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	per, aerr := pageParam(req.Query, "per_page", DefaultPerPage)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	per = min(per, MaxPerPage)
	var all []dialect.Object
	token := ""
	for {
		p, err := t.host.ListObjects(ctx, t.acct.ID, dialect.KindCampaign, dialect.Page{Size: 100, Token: token})
		if err != nil {
			return dialect.Response{}, hostError(err, "")
		}
		all = append(all, p.Objects...)
		if p.NextToken == "" {
			break
		}
		token = p.NextToken
	}
	items := []ListItem{}
	for i := (page - 1) * per; i < len(all) && i < page*per && i >= 0; i++ {
		tk, aerr := decodeTask(all[i])
		if aerr != nil {
			return dialect.Response{}, aerr
		}
		items = append(items, tk.listItem())
	}
	return reply(http.StatusOK, struct {
		Code  int        `json:"code"`
		Tasks []ListItem `json:"cc_ad_tasks"`
		Meta  Meta       `json:"meta"`
	}{CodeOK, items, Meta{CurrentPage: page, TotalPages: (len(all) + per - 1) / per, TotalEntries: len(all)}}), nil
}

func updateTask(ctx context.Context, t tenant, id string, req dialect.Request) (dialect.Response, *apiError) {
	m, aerr := object(req.Body, "name", "description", "callout_number", "call_limit")
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	name, aerr := parseName(m)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	desc, descGiven, aerr := str(m, "description")
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	callout, aerr := parseCallout(m)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	limit, aerr := parseCallLimit(m)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	tk, aerr := t.task(ctx, id)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	c := tk.c
	c.Name = name
	if descGiven || isNullGiven(m, "description") {
		c.Description = desc
	}
	if limit > 0 {
		c.Pacing.MaxConcurrent = limit
	}
	if callout != "" {
		if c.Trunk, aerr = t.trunkFor(ctx, callout, c.Pacing.MaxConcurrent); aerr != nil {
			return dialect.Response{}, aerr
		}
		c.CallerID = dialer.CallerID{Mode: dialer.CallerIDFixed, Number: callout}
	} else if aerr := t.checkLimit(ctx, c); aerr != nil {
		return dialect.Response{}, aerr
	}
	if _, aerr := putCampaign(ctx, t, tk.id, c); aerr != nil {
		return dialect.Response{}, aerr
	}
	return ok(), nil
}

func isNullGiven(m map[string]json.RawMessage, key string) bool {
	raw, ok := m[key]
	return ok && isNull(raw)
}

// deleteTask removes a closed task (ours: the seed has no delete).
func deleteTask(ctx context.Context, t tenant, id string, _ dialect.Request) (dialect.Response, *apiError) {
	tk, aerr := t.task(ctx, id)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	if tk.state == dialer.StateRunning || tk.state == dialer.StateStopping {
		return dialect.Response{}, errf(http.StatusConflict, CodeUnknown, "Unknown error", "the task is open; close it before deleting it")
	}
	if err := t.host.DeleteObject(ctx, t.acct.ID, dialect.KindCampaign, tk.id); err != nil {
		return dialect.Response{}, hostError(err, id)
	}
	return ok(), nil
}

func openTask(ctx context.Context, t tenant, id string, req dialect.Request) (dialect.Response, *apiError) {
	m, aerr := object(req.Body, "open", "callout_number")
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	open, valid := boolean(m, "open")
	if !valid {
		return dialect.Response{}, errf(http.StatusBadRequest, CodeBadOpen, "Parameter open cannot be empty and must be true/false",
			"open must be true or false")
	}
	callout, aerr := parseCallout(m)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	tk, aerr := t.task(ctx, id)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	switch {
	case open && tk.state == dialer.StateRunning:
		return dialect.Response{}, errf(http.StatusConflict, CodeAlreadyOpen, "Automatic outbound call task is starting, no need to start again",
			"task %s is already open", tk.id)
	case !open && tk.state != dialer.StateRunning:
		return dialect.Response{}, errf(http.StatusConflict, CodeAlreadyClosed, "The task is already closing, no need to close again",
			"task %s is already closed", tk.id)
	}
	if callout != "" && callout != tk.c.CallerID.Number {
		c := tk.c
		if c.Trunk, aerr = t.trunkFor(ctx, callout, c.Pacing.MaxConcurrent); aerr != nil {
			return dialect.Response{}, aerr
		}
		c.CallerID = dialer.CallerID{Mode: dialer.CallerIDFixed, Number: callout}
		if _, aerr := putCampaign(ctx, t, tk.id, c); aerr != nil {
			return dialect.Response{}, aerr
		}
	}
	action := dialect.CampaignStop
	if open {
		action = dialect.CampaignStart
	}
	if _, err := t.host.CampaignAction(ctx, t.acct.ID, tk.id, action); err != nil {
		if errors.Is(err, dialect.ErrFailedPrecondition) && open {
			return dialect.Response{}, errf(http.StatusConflict, CodeAlreadyOpen, "Automatic outbound call task is starting, no need to start again", "%v", err)
		}
		return dialect.Response{}, hostError(err, id)
	}
	return ok(), nil
}
