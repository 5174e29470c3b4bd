package dialer

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// State is a campaign's lifecycle state.
type State string

// Campaign states.
const (
	StateCreated  State = "created"
	StateRunning  State = "running"
	StateStopping State = "stopping" // no new calls; in-flight calls finish
	StateStopped  State = "stopped"
	StateFinished State = "finished" // every contact is done
)

// Contact statuses (ringme task status words, plus ours).
const (
	ContactScheduled         = "scheduled"
	ContactExecuted          = "executed"
	ContactDelayed           = "delayed" // waiting for a redial
	ContactDelayedASR        = "delayed_asr"
	ContactDelayedConcurrent = "delayed_concurrent_task"
	ContactDelayedInterval   = "delayed_interval"
	ContactDelayedWindow     = "delayed_window"
	ContactFinished          = "finished"
)

// Trunk is an outbound route (caller line) with a concurrency limit shared by
// every campaign on it (zxycall caller_line, udesk callout_number).
type Trunk struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// MaxConcurrent is the line's total concurrency (zxycall call_line); 0: unlimited.
	MaxConcurrent int `json:"max_concurrent"`
	// CallerIDNumber is the line's own number (zxycall call_number).
	CallerIDNumber string `json:"caller_id_number,omitempty"`
	// AvailableFrom and AvailableUntil bound when the line may be used
	// (zxycall available_at, deadline_at); zero: no bound.
	AvailableFrom  time.Time `json:"available_from,omitzero"`
	AvailableUntil time.Time `json:"available_until,omitzero"`
}

func (t Trunk) validate() error {
	if t.ID == "" {
		return &FieldError{Field: "trunk.id", Reason: "required"}
	}
	if t.MaxConcurrent < 0 {
		return &FieldError{Field: "trunk.max_concurrent", Value: fmt.Sprint(t.MaxConcurrent), Reason: "must not be negative"}
	}
	if !t.AvailableFrom.IsZero() && !t.AvailableUntil.IsZero() && !t.AvailableUntil.After(t.AvailableFrom) {
		return &FieldError{Field: "trunk.available_until", Value: t.AvailableUntil.String(), Reason: "must be after available_from"}
	}
	return nil
}

// Config configures a Dialer.
type Config struct {
	// CallIDPrefix makes call ids unique across Dialers and restarts.
	CallIDPrefix string
	// FetchBatch is how many contacts one FetchContacts asks for (default 500).
	FetchBatch int
}

func (c *Config) setDefaults() {
	if c.FetchBatch == 0 {
		c.FetchBatch = 500
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.FetchBatch < 1 || c.FetchBatch > 100000 {
		return &FieldError{Field: "fetch_batch", Value: fmt.Sprint(c.FetchBatch), Reason: "must be 1–100000"}
	}
	return nil
}

// Output is what one step of a Dialer produced.
type Output struct {
	Decisions []Decision
	Events    []event.Event
	// Wake is when the Dialer wants Advance called even if nothing happens;
	// zero means never.
	Wake time.Time
}

// Dialer is the pure state machine of a set of campaigns sharing trunks. It
// is not safe for concurrent use: one goroutine owns it.
type Dialer struct {
	cfg       Config
	trunks    map[string]*trunkState
	campaigns map[string]*campaign
	order     []*campaign
	calls     map[telephony.CallID]*call
	deadlines deadlineHeap
	recordDue deadlineHeap // by call.recordAt
	zones     zoneSet
	seq       uint64
	out       Output
	now       time.Time
}

type trunkState struct {
	t        Trunk
	inflight int
}

// New returns an empty Dialer.
func New(cfg Config) (*Dialer, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Dialer{
		cfg:       cfg,
		trunks:    map[string]*trunkState{},
		campaigns: map[string]*campaign{},
		calls:     map[telephony.CallID]*call{},
		zones:     zoneSet{},
	}, nil
}

// Handle applies cmd at now and returns what follows. A bad command returns
// an error (a *FieldError for bad input) and changes nothing.
func (d *Dialer) Handle(now time.Time, cmd Command) (Output, error) {
	d.begin(now)
	if err := d.apply(now, cmd); err != nil {
		d.out = Output{}
		return Output{}, err
	}
	return d.finish(now), nil
}

// Advance lets time pass to now: due redials, opened windows, fresh pacing
// credit.
func (d *Dialer) Advance(now time.Time) Output {
	d.begin(now)
	return d.finish(now)
}

func (d *Dialer) begin(now time.Time) {
	if now.After(d.now) {
		d.now = now
	}
	d.out = Output{}
}

func (d *Dialer) finish(now time.Time) Output {
	d.pump(now)
	d.out.Wake = d.wake(now)
	out := d.out
	d.out = Output{}
	return out
}

func (d *Dialer) decide(x Decision)  { d.out.Decisions = append(d.out.Decisions, x) }
func (d *Dialer) emit(e event.Event) { d.out.Events = append(d.out.Events, e) }

func (d *Dialer) apply(now time.Time, cmd Command) error {
	switch c := cmd.(type) {
	case PutTrunk:
		if err := c.Trunk.validate(); err != nil {
			return err
		}
		if t, ok := d.trunks[c.Trunk.ID]; ok {
			t.t = c.Trunk
		} else {
			d.trunks[c.Trunk.ID] = &trunkState{t: c.Trunk}
		}
	case AddCampaign:
		return d.addCampaign(now, c.Campaign)
	case UpdateCampaign:
		return d.updateCampaign(now, c.Campaign)
	case RemoveCampaign:
		cp, err := d.campaign(c.Campaign)
		if err != nil {
			return err
		}
		if cp.state == StateRunning || cp.state == StateStopping {
			return fmt.Errorf("remove campaign %s: %w (%s)", c.Campaign, ErrState, cp.state)
		}
		delete(d.campaigns, c.Campaign)
		d.order = slices.DeleteFunc(d.order, func(x *campaign) bool { return x == cp })
	case StartCampaign:
		cp, err := d.campaign(c.Campaign)
		if err != nil {
			return err
		}
		switch cp.state {
		case StateRunning:
			return fmt.Errorf("start campaign %s: %w (already running)", c.Campaign, ErrState)
		case StateStopping:
			d.setState(now, cp, StateRunning, "api")
		default:
			d.setState(now, cp, StateRunning, "api")
		}
	case StopCampaign:
		cp, err := d.campaign(c.Campaign)
		if err != nil {
			return err
		}
		if cp.state != StateRunning && cp.state != StateFinished {
			return fmt.Errorf("stop campaign %s: %w (%s)", c.Campaign, ErrState, cp.state)
		}
		if cp.inflight > 0 {
			d.setState(now, cp, StateStopping, "api")
		} else {
			d.setState(now, cp, StateStopped, "api")
		}
	case AddContacts:
		return d.addContacts(now, c)
	case FetchFailed:
		cp, err := d.campaign(c.Campaign)
		if err != nil {
			return err
		}
		cp.fetchPending = false
		cp.fetchRetryAt = c.RetryAt
	case CallEvent:
		d.callEvent(now, c.Event)
	case AgentSupply:
		if c.Staffed < 0 || c.Idle < 0 || c.Idle > c.Staffed {
			return &FieldError{Field: "idle", Value: fmt.Sprintf("%d of %d", c.Idle, c.Staffed), Reason: "idle must be 0–staffed"}
		}
		for _, cp := range d.order {
			if cp.cfg.Queue == c.Queue {
				cp.supplyAt(now, c)
			}
		}
	case QueueResult:
		d.queueResult(now, c)
	case ScriptTransfer:
		return d.scriptTransfer(now, c.Call)
	case RecordingFailed:
		d.recordingFailed(c)
	case HangupCall:
		return d.hangupCall(now, c)
	case TransferCall:
		return d.transferByAPI(now, c)
	case Recall:
		return d.recall(now, c.Campaign, c.Number, c.At, c.Contact, false)
	case FollowOn:
		return d.recall(now, c.Campaign, c.Number, now, c.Contact, true)
	case CancelContact:
		return d.cancelContact(now, c.Campaign, c.Contact)
	case nil:
		return &FieldError{Field: "command", Reason: "nil"}
	default:
		return &FieldError{Field: "command", Value: fmt.Sprintf("%T", cmd), Reason: "unknown command"}
	}
	return nil
}

func (d *Dialer) campaign(id string) (*campaign, error) {
	cp, ok := d.campaigns[id]
	if !ok {
		return nil, fmt.Errorf("campaign %q: %w", id, ErrUnknownCampaign)
	}
	return cp, nil
}

func (d *Dialer) checkTrunk(c Campaign) error {
	if c.Trunk == "" {
		return nil
	}
	t, ok := d.trunks[c.Trunk]
	if !ok {
		return &FieldError{Field: "trunk", Value: c.Trunk, Reason: ErrUnknownTrunk.Error()}
	}
	if t.t.MaxConcurrent > 0 && c.Pacing.MaxConcurrent > t.t.MaxConcurrent {
		return &FieldError{Field: "pacing.max_concurrent", Value: fmt.Sprint(c.Pacing.MaxConcurrent), Reason: fmt.Sprintf("exceeds the trunk's concurrency %d", t.t.MaxConcurrent)}
	}
	return nil
}

func (d *Dialer) addCampaign(now time.Time, c Campaign) error {
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return err
	}
	if _, ok := d.campaigns[c.ID]; ok {
		return fmt.Errorf("campaign %q: %w", c.ID, ErrDuplicate)
	}
	if err := d.checkTrunk(c); err != nil {
		return err
	}
	cp := newCampaign(c, now)
	d.campaigns[c.ID] = cp
	d.order = append(d.order, cp)
	slices.SortFunc(d.order, func(a, b *campaign) int {
		if a.cfg.ID < b.cfg.ID {
			return -1
		}
		if a.cfg.ID > b.cfg.ID {
			return 1
		}
		return 0
	})
	d.emit(event.Event{Type: event.CampaignStateChanged, At: now, Tenant: c.Tenant, Campaign: c.ID, To: string(StateCreated), Source: "api"})
	if c.Start.Mode == StartNow {
		d.setState(now, cp, StateRunning, "system")
	}
	return nil
}

func (d *Dialer) updateCampaign(now time.Time, c Campaign) error {
	cp, err := d.campaign(c.ID)
	if err != nil {
		return err
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return err
	}
	if err := d.checkTrunk(c); err != nil {
		return err
	}
	live := cp.state == StateRunning || cp.state == StateStopping
	if live && (c.Mode != cp.cfg.Mode || c.Queue != cp.cfg.Queue || c.Trunk != cp.cfg.Trunk) {
		return &FieldError{Field: "mode", Reason: "mode, queue and trunk change only while the campaign is not running"}
	}
	if c.Pacing.Rate != cp.cfg.Pacing.Rate || c.Pacing.Burst != cp.cfg.Pacing.Burst {
		cp.bucket = newTokenBucket(c.Pacing.Rate, c.Pacing.Burst, now)
	}
	cp.cfg = c
	cp.stride = strideFor(c.Priority)
	d.emit(event.Event{Type: event.CampaignChanged, At: now, Tenant: c.Tenant, Campaign: c.ID, Source: "api"})
	return nil
}

func (d *Dialer) setState(now time.Time, cp *campaign, to State, source string) {
	if cp.state == to {
		return
	}
	from := cp.state
	cp.state = to
	if to == StateRunning && (from == StateStopped || from == StateFinished || from == StateCreated) {
		cp.bucket = newTokenBucket(cp.cfg.Pacing.Rate, cp.cfg.Pacing.Burst, now)
	}
	d.emit(event.Event{Type: event.CampaignStateChanged, At: now, Tenant: cp.cfg.Tenant, Campaign: cp.cfg.ID, From: string(from), To: string(to), Source: source})
}

func (d *Dialer) addContacts(now time.Time, c AddContacts) error {
	cp, err := d.campaign(c.Campaign)
	if err != nil {
		return err
	}
	for i, ct := range c.Contacts {
		if err := ct.validate(cp.cfg.Mode); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				fe.Field = fmt.Sprintf("contacts[%d].%s", i, fe.Field)
			}
			return err
		}
	}
	cp.fetchPending = false
	cp.exhausted = c.Exhausted
	if c.Total > 0 {
		cp.stats.Total = c.Total
	}
	for _, ct := range c.Contacts {
		if _, ok := cp.active[ct.ID]; ok {
			d.emit(event.Event{Type: event.ContactRejected, At: now, Tenant: cp.cfg.Tenant, Campaign: cp.cfg.ID, Contact: ct.ID, Reason: ReasonDuplicate})
			continue
		}
		cs := d.newContactState(cp, ct)
		cp.stats.Loaded++
		if ct.Progress != nil && d.restoreProgress(now, cp, cs, *ct.Progress) {
			continue
		}
		if !ct.NotBefore.IsZero() && ct.NotBefore.After(now) {
			cs.due = ct.NotBefore
			cs.status = ContactScheduled
			cp.delayed.add(cs)
			continue
		}
		cp.fresh.push(cs)
	}
	if cp.stats.Total < cp.stats.Loaded {
		cp.stats.Total = cp.stats.Loaded
	}
	if cp.state == StateFinished && (cp.fresh.len() > 0 || len(cp.delayed) > 0 || !c.Exhausted) {
		d.setState(now, cp, StateRunning, "system")
	}
	return nil
}

// restoreProgress gives a contact loaded from storage its history; true when
// that placed (or finished) it.
func (d *Dialer) restoreProgress(now time.Time, cp *campaign, cs *contactState, p Progress) bool {
	cs.tries = p.Tries
	maps.Copy(cs.byOutcome, p.Redials)
	cs.followOns = p.FollowOns
	if p.Tries > 0 {
		cp.stats.Executed++
	}
	due := p.Due
	if p.Once {
		cs.recalled = true
	}
	if i := slices.IndexFunc(cs.c.Numbers, func(n Number) bool { return n.E164 == p.Number }); i >= 0 && !p.Interrupted {
		cs.numIdx = i
	}
	if p.Interrupted {
		o := telephony.OutcomeFailed
		if p.Once {
			// The one try of a recalled contact was cut short.
			d.finishContact(now, cp, cs, o)
			return true
		}
		dec := cp.cfg.Redial.decide(o, contactTries{tries: cs.tries, byOutcome: cs.byOutcome, followOns: cs.followOns,
			maxTries: cs.c.MaxTries, retryPause: cs.c.RetryPause})
		switch {
		case dec.followOn:
			cs.followOns++
			d.delay(now, cp, cs, now, ContactDelayed, "follow_on", o)
		case dec.again:
			cs.byOutcome[o]++
			at := now.Add(dec.after)
			if due.After(at) {
				at = due
			}
			d.delay(now, cp, cs, at, ContactDelayed, "redial", o)
		default:
			d.finishContact(now, cp, cs, o)
		}
		return true
	}
	if due.After(now) {
		cs.status = ContactDelayed
		cs.due = due
		cs.inDelay = true
		cp.delayed.add(cs)
		return true
	}
	if p.Tries > 0 {
		cp.retry.push(cs)
		return true
	}
	return false
}

func (d *Dialer) newContactState(cp *campaign, ct Contact) *contactState {
	d.seq++
	cs := &contactState{c: ct, seq: d.seq, status: ContactScheduled, byOutcome: map[telephony.Outcome]int{}}
	cp.active[ct.ID] = cs
	for _, n := range ct.Numbers {
		cp.byNumber[n.E164] = cs
	}
	return cs
}

// recall schedules one more try of a number at a time (udesk recall), or now
// as a follow-on call.
func (d *Dialer) recall(now time.Time, campaignID, number string, at time.Time, ct *Contact, followOn bool) error {
	cp, err := d.campaign(campaignID)
	if err != nil {
		return err
	}
	field := "after_at"
	if followOn {
		field = "called"
	}
	if at.IsZero() {
		return &FieldError{Field: field, Reason: "required"}
	}
	cs := cp.byNumber[number]
	if cs == nil {
		if ct == nil {
			return &FieldError{Field: "number", Value: number, Reason: ErrUnknownContact.Error()}
		}
		if err := ct.validate(cp.cfg.Mode); err != nil {
			return err
		}
		if !slices.ContainsFunc(ct.Numbers, func(n Number) bool { return n.E164 == number }) {
			return &FieldError{Field: "number", Value: number, Reason: "not a number of the given contact"}
		}
		cs = d.newContactState(cp, *ct)
		cs.recalled = true
		if ct.Progress != nil {
			cs.tries = ct.Progress.Tries // the try is counted on from the earlier ones
		}
		cp.stats.Done-- // it is counted again when it finishes
	}
	i := max(slices.IndexFunc(cs.c.Numbers, func(n Number) bool { return n.E164 == number }), 0)
	if cs.inTry {
		// On a call: the extra try is used when this one ends.
		cs.recallAt, cs.recallIdx = at, i
		return nil
	}
	cs.numIdx = i
	if cs.queued {
		// Queued for a try, which now starts with the number: the extra
		// try is used when it ends.
		cs.recallAt, cs.recallIdx = at, i
		return nil
	}
	if cs.inDelay {
		cp.delayed.remove(cs)
	}
	cs.due = at
	cs.status = ContactDelayed
	cp.delayed.add(cs)
	cs.inDelay = true
	d.emit(event.Event{Type: event.ContactScheduled, At: now, Tenant: cp.cfg.Tenant, Campaign: cp.cfg.ID, Contact: cs.c.ID, Reason: map[bool]string{true: "follow_on", false: "recall"}[followOn], Attrs: scheduledAttrs(cs, at)})
	if cp.state == StateFinished {
		d.setState(now, cp, StateRunning, "system")
	}
	return nil
}

// cancelContact finishes a contact that has no try under way, taking it
// out of whichever queue it waits in.
func (d *Dialer) cancelContact(now time.Time, campaignID, contactID string) error {
	cp, err := d.campaign(campaignID)
	if err != nil {
		return err
	}
	cs, ok := cp.active[contactID]
	if !ok {
		return fmt.Errorf("cancel contact %q: %w", contactID, ErrUnknownContact)
	}
	if cs.inTry {
		return fmt.Errorf("cancel contact %q: %w (a try is under way)", contactID, ErrState)
	}
	if cs.inDelay {
		cp.delayed.remove(cs)
		cs.inDelay = false
	}
	if cs.queued {
		cp.fresh.drop(cs)
		cp.retry.drop(cs)
		cp.cont.drop(cs)
		cp.parked = slices.DeleteFunc(cp.parked, func(p *contactState) bool { return p == cs })
		cs.queued = false
	}
	d.endContact(now, cp, cs, "", "cancelled")
	return nil
}

// Stats returns a campaign's statistics at now.
func (d *Dialer) Stats(id string, now time.Time) (Stats, error) {
	cp, err := d.campaign(id)
	if err != nil {
		return Stats{}, err
	}
	return cp.snapshot(now), nil
}

// State returns a campaign's lifecycle state.
func (d *Dialer) State(id string) (State, error) {
	cp, err := d.campaign(id)
	if err != nil {
		return "", err
	}
	return cp.state, nil
}

// ContactStatus returns the status of a contact still in memory (ringme task status).
func (d *Dialer) ContactStatus(campaignID, contactID string) (string, error) {
	cp, err := d.campaign(campaignID)
	if err != nil {
		return "", err
	}
	cs, ok := cp.active[contactID]
	if !ok {
		return "", fmt.Errorf("contact %q: %w", contactID, ErrUnknownContact)
	}
	if cs.queued && !cs.inTry && d.now.Before(cp.asrUntil) {
		return ContactDelayedASR, nil
	}
	return cs.status, nil
}

// LiveCalls is the number of calls the Dialer has in flight.
func (d *Dialer) LiveCalls() int { return len(d.calls) }

// wake is the earliest time something becomes due.
func (d *Dialer) wake(now time.Time) time.Time {
	var w time.Time
	add := func(t time.Time) {
		if t.After(now) && (w.IsZero() || t.Before(w)) {
			w = t
		}
	}
	for _, cp := range d.order {
		for _, t := range cp.wakes {
			add(t)
		}
	}
	if x, ok := d.deadlines.top(); ok {
		add(x.at)
	}
	if x, ok := d.recordDueTop(); ok {
		add(x.at)
	}
	return w
}

func callerID(cp *campaign, cs *contactState, seq uint64, trunk *trunkState) (string, string) {
	cid := cp.cfg.CallerID
	if cs.c.CallerID != nil {
		if cs.c.CallerID.Name != "" {
			cid.Name = cs.c.CallerID.Name
		}
		if cs.c.CallerID.Number != "" {
			return cid.Name, cs.c.CallerID.Number
		}
	}
	switch cid.Mode {
	case CallerIDFixed:
		return cid.Name, cid.Number
	case CallerIDPool:
		cp.poolNext++
		return cid.Name, cid.Numbers[(cp.poolNext-1)%uint64(len(cid.Numbers))]
	case CallerIDRandom:
		h := seq*0x9E3779B97F4A7C15 ^ seq>>7
		return cid.Name, cid.Numbers[h%uint64(len(cid.Numbers))]
	}
	if trunk != nil {
		return cid.Name, trunk.t.CallerIDNumber
	}
	return cid.Name, ""
}

func (d *Dialer) newCallID(cp *campaign) telephony.CallID {
	d.seq++
	return telephony.CallID(d.cfg.CallIDPrefix + cp.cfg.ID + "-" + strconv.FormatUint(d.seq, 10))
}

// trunkFree is how many more calls the campaign's trunk takes now.
func (d *Dialer) trunkFree(cp *campaign, now time.Time) int {
	if cp.cfg.Trunk == "" {
		return math.MaxInt32
	}
	t := d.trunks[cp.cfg.Trunk]
	if t == nil {
		return 0
	}
	if !t.t.AvailableFrom.IsZero() && now.Before(t.t.AvailableFrom) {
		cp.wakes = append(cp.wakes, t.t.AvailableFrom)
		return 0
	}
	if !t.t.AvailableUntil.IsZero() && !now.Before(t.t.AvailableUntil) {
		return 0
	}
	if t.t.MaxConcurrent == 0 {
		return math.MaxInt32
	}
	return t.t.MaxConcurrent - t.inflight
}

// pump starts every call the limits allow now, sharing trunks by priority.
func (d *Dialer) pump(now time.Time) {
	d.expireCalls(now)
	d.startDueRecordings(now)
	var cands []*campaign
	for _, cp := range d.order {
		cp.wakes = cp.wakes[:0]
		d.housekeep(now, cp)
		if n := cp.allowance(now, d.zones); n > 0 {
			cp.allow = n
			cands = append(cands, cp)
		}
	}
	for len(cands) > 0 {
		// Stride scheduling: the campaign furthest behind its priority share goes next.
		best := 0
		for i, cp := range cands {
			if cp.pass < cands[best].pass {
				best = i
			}
		}
		cp := cands[best]
		legs := 1
		if cp.cfg.Mode == ModeCallback {
			legs = 2 // the B leg's channel is reserved with A's
		}
		ok := false
		if d.trunkFree(cp, now) >= legs && cp.channelsFree(now) >= legs {
			ok = d.dialNext(now, cp, legs)
		}
		if !ok {
			cands = slices.Delete(cands, best, best+1)
			continue
		}
		cp.pass += cp.stride
		cp.allow--
		if cp.allow <= 0 {
			cands = slices.Delete(cands, best, best+1)
		}
	}
	for _, cp := range d.order {
		// Record when the limits that stopped this round relax.
		cp.limits(now, d.zones, true)
		d.maybeFetch(now, cp)
		d.maybeFinish(now, cp)
	}
	// Keep passes small and comparable: campaigns that idled do not bank credit.
	var minPass uint64 = math.MaxUint64
	for _, cp := range d.order {
		minPass = min(minPass, cp.pass)
	}
	for _, cp := range d.order {
		cp.pass -= minPass
	}
}

func strideFor(priority int) uint64 { return uint64(1_000_000 / priority) }

// housekeep moves due contacts to the ready queue and records wake times.
func (d *Dialer) housekeep(now time.Time, cp *campaign) {
	for {
		cs := cp.delayed.popDue(now)
		if cs == nil {
			break
		}
		cs.inDelay = false
		cp.retry.push(cs)
	}
	if t, ok := cp.delayed.nextDue(); ok && (cp.state == StateRunning || cp.state == StateCreated) {
		cp.wakes = append(cp.wakes, t)
	}
	if cp.state == StateCreated && cp.cfg.Start.Mode == StartAt {
		if !now.Before(cp.cfg.Start.At) {
			d.setState(now, cp, StateRunning, "system")
		} else {
			cp.wakes = append(cp.wakes, cp.cfg.Start.At)
		}
	}
}

func (d *Dialer) maybeFetch(now time.Time, cp *campaign) {
	if cp.exhausted || cp.fetchPending || cp.state != StateRunning {
		return
	}
	if cp.fresh.len() >= d.cfg.FetchBatch/2 {
		return
	}
	if now.Before(cp.fetchRetryAt) {
		cp.wakes = append(cp.wakes, cp.fetchRetryAt)
		return
	}
	cp.fetchPending = true
	d.decide(FetchContacts{Campaign: cp.cfg.ID, Max: d.cfg.FetchBatch})
}

func (d *Dialer) maybeFinish(now time.Time, cp *campaign) {
	if cp.state == StateStopping && cp.inflight == 0 {
		d.setState(now, cp, StateStopped, "system")
		return
	}
	if cp.state != StateRunning || !cp.exhausted || cp.fetchPending {
		return
	}
	if cp.fresh.len() == 0 && cp.retry.len() == 0 && cp.cont.len() == 0 && len(cp.delayed) == 0 && cp.inProgress == 0 && cp.inflight == 0 && len(cp.parked) == 0 {
		d.setState(now, cp, StateFinished, "system")
		cp.progress(d, now, true)
	}
}

// dialNext starts the next contact's call; false when none can start now.
func (d *Dialer) dialNext(now time.Time, cp *campaign, legs int) bool {
	cs := cp.nextContact(now, d)
	if cs == nil {
		return false
	}
	num := cs.c.Numbers[cs.numIdx]
	var trunk *trunkState
	if cp.cfg.Trunk != "" {
		trunk = d.trunks[cp.cfg.Trunk]
		trunk.inflight += legs
	}
	cp.inflight += legs
	cp.bucket.take(now)
	if !cs.inTry {
		cs.inTry = true
		cs.tries++
		cp.inProgress++
		cp.lastStart = now
		if cs.tries == 1 && !cs.recalled {
			cp.stats.Executed++
		}
	}
	cs.status = ContactExecuted
	cs.attempts++
	id := d.newCallID(cp)
	name, number := callerID(cp, cs, d.seq, trunk)
	vars := map[string]string{"SWITCHBOARD_CAMPAIGN": cp.cfg.ID, "SWITCHBOARD_CONTACT": cs.c.ID}
	maps.Copy(vars, cp.cfg.Variables)
	maps.Copy(vars, cs.c.Variables)
	c := &call{
		id: id, cp: cp, cs: cs, attempt: string(id), number: num.E164, started: now, ringIdx: -1,
		trunk: trunk, legs: legs, deadline: now.Add(cp.cfg.RingTimeout + watchdogGrace),
	}
	d.calls[id] = c
	d.deadlines.add(c)
	cp.dialing[num.E164] = id
	cp.stats.Dialled++
	cp.addRinging(c)
	d.decide(Originate{Campaign: cp.cfg.ID, Contact: cs.c.ID, Attempt: c.attempt, Request: telephony.OriginateRequest{
		Call: id, Target: telephony.Target{Number: num.E164, Trunk: cp.cfg.Trunk}, CallerIDName: name, CallerIDNumber: number,
		Timeout: cp.cfg.RingTimeout, Variables: vars, DetectMachine: cp.cfg.AMD.Enabled,
	}})
	d.emit(event.Event{Type: event.AttemptStarted, At: now, Tenant: cp.cfg.Tenant, Campaign: cp.cfg.ID, Contact: cs.c.ID, Attempt: c.attempt, Call: string(id),
		Attrs: map[string]string{"number": num.E164, "raw": num.Raw, "try": strconv.Itoa(cs.tries), "caller_id": number}})
	return true
}

// MaxAbandonMessage bounds how long an abandoned call's apology may play.
const MaxAbandonMessage = 30 * time.Second

// watchdogGrace is how long past its ring timeout a call may stay silent
// before the dialer hangs it up itself.
const watchdogGrace = 15 * time.Second
