package ringmedialect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// A task scheduler is a callback campaign of the host (dial A, then B,
// bridge them); its tasks are the campaign's contacts.

// Scheduler statuses (ours: the vendor says a scheduler starts switched off).
const (
	schedulerActive   = "active"
	schedulerInactive = "inactive"
)

// defaultSchedulerName names a campaign whose scheduler has no name (the
// host requires one).
const defaultSchedulerName = "task_scheduler"

// attrCreated is the campaign Attrs key of the scheduler's create_date_utc.
const attrCreated = "create_date_utc"

// maxASRWindow bounds asr_window (the dialer's limit).
const maxASRWindow = 10000

// SchedulerRequest is the body of POST and PUT
// /client/{client_id}/task_scheduler/…; every field is optional.
type SchedulerRequest struct {
	Name                *string  `json:"name"`
	Status              *string  `json:"status"`
	ConcurrentTaskLimit *int64   `json:"concurrent_task_limit"`
	Interval            *int64   `json:"interval"`
	ASRThreshold        *float64 `json:"asr_threshold"`
	ASRWindow           *int64   `json:"asr_window"`
}

// Scheduler is a task scheduler (ours, from the vendor's field names):
// concurrent_task_limit (0: no limit), interval (seconds between task
// starts), asr_threshold and asr_window (pause while more than that share of
// the last asr_window attempts failed; window 0: never).
type Scheduler struct {
	ID                  wireID  `json:"id"`
	Name                string  `json:"name"`
	Status              string  `json:"status"`
	ConcurrentTaskLimit int64   `json:"concurrent_task_limit"`
	Interval            int64   `json:"interval"`
	ASRThreshold        float64 `json:"asr_threshold"`
	ASRWindow           int64   `json:"asr_window"`
	CreateDateUTC       string  `json:"create_date_utc"`
}

// apply checks r and sets what it carries on the campaign c.
func (r SchedulerRequest) apply(c *dialer.Campaign) error {
	if r.Name != nil {
		if len(*r.Name) > 255 {
			return &dialect.FieldError{Field: "name", Reason: "must be at most 255 bytes"}
		}
		c.Name = *r.Name
		if c.Name == "" {
			c.Name = defaultSchedulerName
		}
	}
	if r.Status != nil && *r.Status != schedulerActive && *r.Status != schedulerInactive {
		return &dialect.FieldError{Field: "status", Value: *r.Status, Reason: "must be active or inactive"}
	}
	if r.ConcurrentTaskLimit != nil {
		if *r.ConcurrentTaskLimit < 0 || *r.ConcurrentTaskLimit > maxLevel {
			return &dialect.FieldError{Field: "concurrent_task_limit", Value: strconv.FormatInt(*r.ConcurrentTaskLimit, 10),
				Reason: fmt.Sprintf("must be between 0 (no limit) and %d", maxLevel)}
		}
		c.Pacing.MaxConcurrentContacts = int(*r.ConcurrentTaskLimit)
	}
	if r.Interval != nil {
		d, err := seconds("interval", *r.Interval)
		if err != nil {
			return err
		}
		c.Pacing.StartInterval = d
	}
	if r.ASRWindow != nil {
		if *r.ASRWindow < 0 || *r.ASRWindow > maxASRWindow {
			return &dialect.FieldError{Field: "asr_window", Value: strconv.FormatInt(*r.ASRWindow, 10),
				Reason: fmt.Sprintf("must be between 0 (off) and %d attempts", maxASRWindow)}
		}
		c.Pacing.ASR.Window = int(*r.ASRWindow)
	}
	if r.ASRThreshold != nil {
		if *r.ASRThreshold < 0 || *r.ASRThreshold >= 1 {
			return &dialect.FieldError{Field: "asr_threshold", Value: strconv.FormatFloat(*r.ASRThreshold, 'g', -1, 64),
				Reason: "must be a failure ratio from 0 up to (not including) 1"}
		}
		c.Pacing.ASR.Threshold = *r.ASRThreshold
	}
	if c.Pacing.ASR.Window > 0 && c.Pacing.ASR.Threshold == 0 {
		return &dialect.FieldError{Field: "asr_threshold", Reason: "is required (above 0) when asr_window is set"}
	}
	return nil
}

// scheduler is a stored scheduler: the campaign and its state.
type scheduler struct {
	id    string
	c     dialer.Campaign
	state dialer.State
}

func schedulerOf(o dialect.Object) (scheduler, error) {
	s := scheduler{id: o.ID}
	if err := json.Unmarshal(o.Spec, &s.c); err != nil {
		return scheduler{}, fmt.Errorf("decode campaign %s: %w", o.ID, err)
	}
	if len(o.Status) > 0 {
		var st struct {
			State dialer.State `json:"state"`
		}
		if err := json.Unmarshal(o.Status, &st); err != nil {
			return scheduler{}, fmt.Errorf("decode campaign %s status: %w", o.ID, err)
		}
		s.state = st.State
	}
	return s, nil
}

// active: the scheduler runs its tasks (a finished campaign takes up new
// tasks at once).
func (s scheduler) active() bool {
	return s.state == dialer.StateRunning || s.state == dialer.StateFinished
}

func (s scheduler) wire() Scheduler {
	p := s.c.Pacing
	status := schedulerInactive
	if s.active() {
		status = schedulerActive
	}
	return Scheduler{ID: wireID(s.id), Name: s.c.Name, Status: status, ConcurrentTaskLimit: int64(p.MaxConcurrentContacts),
		Interval: secs(p.StartInterval), ASRThreshold: p.ASR.Threshold, ASRWindow: int64(p.ASR.Window),
		CreateDateUTC: s.c.Attrs[attrCreated]}
}

// scheduler returns one of the client's schedulers; any other campaign is
// not found.
func (c *call) scheduler(ctx context.Context, id string) (scheduler, error) {
	o, err := c.host.GetObject(ctx, c.acct.ID, dialect.KindCampaign, id)
	if err != nil {
		return scheduler{}, err
	}
	s, err := schedulerOf(o)
	if err != nil {
		return scheduler{}, err
	}
	if s.c.Mode != dialer.ModeCallback {
		return scheduler{}, fmt.Errorf("campaign %s is not a task scheduler: %w", id, dialect.ErrNotFound)
	}
	return s, nil
}

// taskSchedulers routes /client/{client_id}/task_scheduler/….
func (c *call) taskSchedulers(ctx context.Context, seg []string) dialect.Response {
	m := c.req.Method
	if len(seg) == 0 {
		switch m {
		case http.MethodGet:
			return c.listSchedulers(ctx)
		case http.MethodPost:
			return c.createScheduler(ctx)
		}
		return methodNotAllowed(http.MethodGet, http.MethodPost)
	}
	if !validID(seg[0]) {
		return notFound("task scheduler")
	}
	id := seg[0]
	switch {
	case len(seg) == 1:
		switch m {
		case http.MethodGet:
			s, err := c.scheduler(ctx, id)
			if err != nil {
				return fail(err, "task scheduler")
			}
			return reply(http.StatusOK, s.wire())
		case http.MethodPut:
			return c.updateScheduler(ctx, id)
		case http.MethodDelete:
			return c.deleteScheduler(ctx, id)
		}
		return methodNotAllowed(http.MethodGet, http.MethodPut, http.MethodDelete)
	case len(seg) == 2 && seg[1] == "tasks":
		switch m {
		case http.MethodGet:
			return c.listTasks(ctx, id)
		case http.MethodPost:
			return c.createTasks(ctx, id)
		}
		return methodNotAllowed(http.MethodGet, http.MethodPost)
	case len(seg) == 3 && seg[1] == "task":
		if !validID(seg[2]) {
			return notFound("task")
		}
		switch m {
		case http.MethodGet:
			return c.getTask(ctx, id, seg[2])
		case http.MethodDelete:
			return c.cancelTask(ctx, id, seg[2])
		}
		return methodNotAllowed(http.MethodGet, http.MethodDelete)
	}
	return notFound("resource")
}

func (c *call) region() string {
	if c.acct.DefaultRegion != "" {
		return c.acct.DefaultRegion
	}
	return "RU"
}

func (c *call) createScheduler(ctx context.Context) dialect.Response {
	var in SchedulerRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "task scheduler")
	}
	camp := dialer.Campaign{Name: defaultSchedulerName, Mode: dialer.ModeCallback, DefaultRegion: c.region(),
		Start: dialer.Start{Mode: dialer.StartManual}, Redial: dialer.RedialPolicy{MaxTries: 1},
		Attrs: map[string]string{attrCreated: c.d.cfg.Now().UTC().Format(dateLayout)}}
	if err := in.apply(&camp); err != nil {
		return fail(err, "task scheduler")
	}
	s, err := c.putScheduler(ctx, "", camp)
	if err != nil {
		return fail(err, "task scheduler")
	}
	if in.Status != nil && *in.Status == schedulerActive {
		if s, err = c.schedulerAction(ctx, s.id, dialect.CampaignStart); err != nil {
			return fail(err, "task scheduler")
		}
	}
	return reply(http.StatusCreated, s.wire())
}

func (c *call) putScheduler(ctx context.Context, id string, camp dialer.Campaign) (scheduler, error) {
	camp.ID = id
	// Tasks are told apart by id: many may call the same a_number.
	camp.DedupeBy = dialer.DedupeID
	spec, err := json.Marshal(camp)
	if err != nil {
		return scheduler{}, fmt.Errorf("encode campaign: %w", err)
	}
	o, err := c.host.PutObject(ctx, c.acct.ID, dialect.Object{Kind: dialect.KindCampaign, ID: id, Spec: spec})
	if err != nil {
		return scheduler{}, err
	}
	return schedulerOf(o)
}

func (c *call) schedulerAction(ctx context.Context, id string, a dialect.CampaignAction) (scheduler, error) {
	o, err := c.host.CampaignAction(ctx, c.acct.ID, id, a)
	if err != nil {
		return scheduler{}, err
	}
	return schedulerOf(o)
}

func (c *call) listSchedulers(ctx context.Context) dialect.Response {
	out := []Scheduler{}
	err := eachPage(func(token string) (string, error) {
		p, err := c.host.ListObjects(ctx, c.acct.ID, dialect.KindCampaign, dialect.Page{Size: hostPage, Token: token})
		if err != nil {
			return "", err
		}
		for _, o := range p.Objects {
			s, err := schedulerOf(o)
			if err != nil {
				return "", err
			}
			if s.c.Mode == dialer.ModeCallback {
				out = append(out, s.wire())
			}
		}
		return p.NextToken, nil
	})
	if err != nil {
		return fail(err, "task scheduler")
	}
	return reply(http.StatusOK, out)
}

func (c *call) updateScheduler(ctx context.Context, id string) dialect.Response {
	var in SchedulerRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "task scheduler")
	}
	s, err := c.scheduler(ctx, id)
	if err != nil {
		return fail(err, "task scheduler")
	}
	camp := s.c
	if err := in.apply(&camp); err != nil {
		return fail(err, "task scheduler")
	}
	if s, err = c.putScheduler(ctx, id, camp); err != nil {
		return fail(err, "task scheduler")
	}
	if in.Status != nil && (*in.Status == schedulerActive) != s.active() {
		a := dialect.CampaignStop
		if *in.Status == schedulerActive {
			a = dialect.CampaignStart
		}
		if s, err = c.schedulerAction(ctx, id, a); err != nil {
			return fail(err, "task scheduler")
		}
	}
	return reply(http.StatusOK, s.wire())
}

// deleteScheduler removes a scheduler with its tasks and their webhooks.
func (c *call) deleteScheduler(ctx context.Context, id string) dialect.Response {
	if _, err := c.scheduler(ctx, id); err != nil {
		return fail(err, "task scheduler")
	}
	if err := c.host.DeleteObject(ctx, c.acct.ID, dialect.KindCampaign, id); err != nil {
		if isPrecondition(err) {
			return errorReply(http.StatusConflict, "failed_precondition", "status",
				"the task scheduler is running or still ending its calls; switch it off (status inactive) and retry once its calls ended")
		}
		return fail(err, "task scheduler")
	}
	subs, err := c.taskSubs(ctx, id)
	if err != nil {
		return fail(err, "task")
	}
	for _, s := range subs {
		if err := c.host.DeleteSubscription(ctx, c.acct.ID, s.ID); err != nil {
			return fail(err, "task")
		}
	}
	return dialect.Response{Status: http.StatusNoContent}
}

// secondsString writes a duration in whole seconds as a string (the
// vendor's type for try_again_pause).
func secondsString(d time.Duration) string { return strconv.FormatInt(secs(d), 10) }
