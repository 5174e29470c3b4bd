// Package sim runs a dialer campaign against the fake PBX in virtual time:
// no goroutines and no sleeping, so hours of calls take seconds. It models
// the agents itself (a pool with talk-time from the callee and a wrap-up time)
// and feeds the dialer the agent supply an ACD would.
package sim

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/pkg/telephony/telephonytest"
)

// Config describes one simulation.
type Config struct {
	Mode   dialer.Mode
	Agents int
	// AnswerRate is the share of calls a person answers.
	AnswerRate float64
	// MachineRate is the share answered by a machine (default 0).
	MachineRate float64
	// TalkTime is the mean talk time (exponential).
	TalkTime time.Duration
	// WrapUp is each agent's fixed after-call work (default 0).
	WrapUp   time.Duration
	Duration time.Duration
	// Rate is the campaign's CPS limit (zero: unlimited).
	Rate          dialer.Rate
	Burst         int
	MaxConcurrent int
	AbandonCap    float64
	Ratio         float64
	Seed          uint64
	// RingTime is the mean time to answer (exponential, default 8 s);
	// RingTimeout the originate timeout (default 30 s).
	RingTime    time.Duration
	RingTimeout time.Duration
	// Contacts caps the list (default: more than the run can dial). They are
	// generated on demand, never held all at once.
	Contacts int
	// Campaign, when set, overrides the generated campaign (its ID, mode and
	// queue are kept as given); used by tests for windows, redials, AMD.
	Campaign *dialer.Campaign
	// Rules override the PBX's generated rule.
	Rules []telephonytest.Rule
	// Start is the virtual start time (default telephonytest.DefaultStart).
	Start time.Time
	// Observe, when set, sees every step's output (for invariant tests).
	Observe func(now time.Time, out dialer.Output)
	// ObserveEvent, when set, sees every PBX call event as it is delivered.
	ObserveEvent func(e telephony.Event)
	// SampleEvery, when positive, records Result.Series: one Sample at the
	// end of every such interval of simulated time (for plots). Sampling
	// only reads the run's state; it does not change the run.
	SampleEvery time.Duration
}

// MaxSamples bounds Result.Series.
const MaxSamples = 100_000

// Sample is the campaign at the end of one sampling interval.
type Sample struct {
	// Seconds is the simulated time since the start.
	Seconds float64 `json:"t"`
	// Occupancy is the agents' busy share over the interval.
	Occupancy float64 `json:"occupancy"`
	// AbandonRate is abandoned / answered by a person so far.
	AbandonRate float64 `json:"abandon_rate"`
	// Dialled counts the calls originated in the interval; LiveCalls the
	// calls up at its end.
	Dialled   int `json:"dialled"`
	LiveCalls int `json:"live_calls"`
}

// Result is what a simulation measured. JSON names follow `switchboard simulate --json`.
type Result struct {
	Mode             string  `json:"mode"`
	Agents           int     `json:"agents"`
	SimulatedSeconds float64 `json:"simulated_seconds"`
	// Calls counts originated calls (A legs).
	Calls       int     `json:"calls"`
	CPSTarget   float64 `json:"cps_target"`
	CPSAchieved float64 `json:"cps_achieved"`
	// Occupancy is agents' busy time (talk and wrap-up) over their staffed time.
	Occupancy float64 `json:"occupancy"`
	// AbandonRate is abandoned / answered by a person over the whole run;
	// AbandonRateMaxWindow the highest over the rolling windows of the
	// campaign's abandon window (default 1 h) that fit in the run.
	AbandonRate          float64        `json:"abandon_rate"`
	AbandonRateMaxWindow float64        `json:"abandon_rate_max_window"`
	ContactsPerHour      float64        `json:"contacts_per_hour"`
	Answered             int            `json:"answered"`
	Connected            int            `json:"agent_connected"`
	Abandoned            int            `json:"abandoned"`
	ContactsDone         int            `json:"contacts_done"`
	MaxLiveCalls         int            `json:"max_live_calls"`
	Outcomes             map[string]int `json:"outcomes"`
	Steps                int            `json:"steps"`
	// Series holds the samples when Config.SampleEvery is set.
	Series []Sample `json:"series,omitempty"`
}

func (c *Config) setDefaults() {
	if c.RingTime == 0 {
		c.RingTime = 8 * time.Second
	}
	if c.RingTimeout == 0 {
		c.RingTimeout = 30 * time.Second
	}
	if c.TalkTime == 0 {
		c.TalkTime = 120 * time.Second
	}
	if c.Start.IsZero() {
		c.Start = telephonytest.DefaultStart
	}
	if c.AbandonCap == 0 {
		c.AbandonCap = dialer.DefaultAbandonCap
	}
	if c.Contacts == 0 {
		c.Contacts = 50_000_000
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if _, err := dialer.ParseMode(string(c.Mode)); err != nil {
		return err
	}
	agentMode := c.Mode != dialer.ModeIVR && c.Mode != dialer.ModeCallback
	if agentMode && (c.Agents < 1 || c.Agents > 10000) {
		return &dialer.FieldError{Field: "agents", Value: strconv.Itoa(c.Agents), Reason: "must be 1–10000 in an agent mode"}
	}
	if c.Agents < 0 {
		return &dialer.FieldError{Field: "agents", Value: strconv.Itoa(c.Agents), Reason: "must not be negative"}
	}
	if c.AnswerRate < 0 || c.AnswerRate > 1 || c.MachineRate < 0 || c.AnswerRate+c.MachineRate > 1 {
		return &dialer.FieldError{Field: "answer-rate", Value: fmt.Sprint(c.AnswerRate), Reason: "must be in [0, 1] (with the machine rate)"}
	}
	if c.Duration <= 0 || c.Duration > 7*24*time.Hour {
		return &dialer.FieldError{Field: "duration", Value: c.Duration.String(), Reason: "must be in (0, 168h]"}
	}
	if c.TalkTime <= 0 {
		return &dialer.FieldError{Field: "talk-time", Value: c.TalkTime.String(), Reason: "must be positive"}
	}
	if c.WrapUp < 0 {
		return &dialer.FieldError{Field: "wrap-up", Value: c.WrapUp.String(), Reason: "must not be negative"}
	}
	if c.MaxConcurrent < 0 {
		return &dialer.FieldError{Field: "max-concurrent", Value: strconv.Itoa(c.MaxConcurrent), Reason: "must not be negative"}
	}
	if c.SampleEvery < 0 || (c.SampleEvery > 0 && c.Duration/c.SampleEvery > MaxSamples) {
		return &dialer.FieldError{Field: "sample-every", Value: c.SampleEvery.String(), Reason: fmt.Sprintf("must be positive and give at most %d samples", MaxSamples)}
	}
	if c.Contacts < 0 {
		return &dialer.FieldError{Field: "contacts", Value: strconv.Itoa(c.Contacts), Reason: "must not be negative"}
	}
	return nil
}

// Run simulates one campaign.
func Run(cfg Config) (Result, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	s, err := newRun(cfg)
	if err != nil {
		return Result{}, err
	}
	return s.run()
}

type agent struct {
	id     string
	call   telephony.CallID
	since  time.Time
	freeAt time.Time // wrap-up end; zero while talking or idle
	busy   bool
}

type waiting struct {
	call     telephony.CallID
	deadline time.Time
}

type runner struct {
	cfg      Config
	d        *dialer.Dialer
	pbx      *telephonytest.PBX
	campaign dialer.Campaign
	now      time.Time
	end      time.Time
	wake     time.Time
	next     int // next generated contact
	agents   []*agent
	byCall   map[telephony.CallID]*agent
	wait     []waiting
	supplyOK bool

	res        Result
	busySec    float64
	occAt      time.Time
	busyAgents int
	answers    []answerRec
	proto      dialer.Number
	busyBuf    []dialer.BusyAgent

	abandonedN   int
	nextSample   time.Time
	sampledBusy  float64
	sampledCalls int
}

type answerRec struct {
	at        time.Time
	abandoned bool
}

const campaignID = "sim"

func newRun(cfg Config) (*runner, error) {
	d, err := dialer.New(dialer.Config{CallIDPrefix: "c", FetchBatch: 500})
	if err != nil {
		return nil, err
	}
	rules := cfg.Rules
	if rules == nil {
		rest := 1 - cfg.AnswerRate - cfg.MachineRate
		rules = []telephonytest.Rule{{
			Answer: cfg.AnswerRate, Machine: cfg.MachineRate,
			Busy: rest * 0.25, NoAnswer: rest * 0.55, Congestion: rest * 0.1, Failed: rest * 0.1,
			RingTime: telephonytest.Dist{Kind: telephonytest.Exponential, Mean: cfg.RingTime, Min: time.Second}, TalkTime: telephonytest.Exp(cfg.TalkTime),
			QuickTime: telephonytest.Dist{Kind: telephonytest.Uniform, Min: time.Second, Max: 5 * time.Second},
		}}
	}
	pbx := telephonytest.New(telephonytest.Config{Start: cfg.Start, Seed: cfg.Seed, Rules: rules})
	pbx.RecordActions(false)
	r := &runner{cfg: cfg, d: d, pbx: pbx, now: cfg.Start, end: cfg.Start.Add(cfg.Duration), byCall: map[telephony.CallID]*agent{},
		occAt: cfg.Start, nextSample: cfg.Start.Add(cfg.SampleEvery)}
	r.res.Outcomes = map[string]int{}
	agents := cfg.Agents
	if cfg.Mode == dialer.ModeIVR || cfg.Mode == dialer.ModeCallback {
		agents = 0 // answered calls go to the dialplan or a B number, not agents
	}
	for i := range agents {
		r.agents = append(r.agents, &agent{id: "agent-" + strconv.Itoa(i+1)})
	}
	c := dialer.Campaign{
		ID: campaignID, Name: "simulation", Mode: cfg.Mode, DefaultRegion: "RU", Queue: "sales",
		Start:      dialer.Start{Mode: dialer.StartNow},
		Pacing:     dialer.Pacing{Rate: cfg.Rate, Burst: cfg.Burst, MaxConcurrent: cfg.MaxConcurrent},
		Predictive: dialer.Predictive{AbandonCap: cfg.AbandonCap},
		Ratio:      cfg.Ratio,
	}
	switch cfg.Mode {
	case dialer.ModeIVR:
		c.Queue = ""
		c.Destination = dialer.Destination{Kind: dialer.DestDialplan, Dialplan: telephony.DialplanTarget{Context: "robot", Extension: "s", Priority: 1}}
	case dialer.ModeCallback:
		c.Queue = ""
	}
	if cfg.Campaign != nil {
		c = *cfg.Campaign
		c.ID = campaignID
	}
	c.SetDefaults()
	r.campaign = c
	if r.proto, err = dialer.NormalizeNumber(contactNumber(0), "RU"); err != nil {
		return nil, fmt.Errorf("simulate: synthetic numbers: %w", err)
	}
	return r, nil
}

// contactNumber makes the i-th synthetic number: valid Russian mobiles.
func contactNumber(i int) string { return fmt.Sprintf("+7921%07d", i%10_000_000) }

// synthNumber builds the i-th number as NewContact would. Every synthetic
// number is in the +7 921 mobile range, so one is parsed with the phone
// library (in newRun) and the rest share its region and zones: the
// simulation measures the dialer, not number parsing (BenchmarkNewContact).
func (r *runner) synthNumber(i int) dialer.Number {
	e := contactNumber(i)
	return dialer.Number{Raw: e, E164: e, Region: r.proto.Region, Zones: r.proto.Zones}
}

// fetch serves FetchContacts from the generator (or the configured cap).
func (r *runner) fetch(max int) dialer.AddContacts {
	var batch []dialer.Contact
	for len(batch) < max && r.next < r.cfg.Contacts {
		i := r.next
		r.next++
		c := dialer.Contact{ID: "k" + strconv.Itoa(i), Name: "Contact " + strconv.Itoa(i), Numbers: []dialer.Number{r.synthNumber(i)}}
		if r.campaign.Mode == dialer.ModeCallback {
			b := r.synthNumber(i + 5_000_000)
			c.Callback = &b
		}
		batch = append(batch, c)
	}
	return dialer.AddContacts{Campaign: campaignID, Contacts: batch, Exhausted: r.next >= r.cfg.Contacts, Total: r.cfg.Contacts}
}

func (r *runner) handle(cmd dialer.Command) error {
	out, err := r.d.Handle(r.now, cmd)
	if err != nil {
		return err
	}
	return r.apply(out)
}

// apply carries out a step's decisions, feeding results straight back.
func (r *runner) apply(out dialer.Output) error {
	if r.cfg.Observe != nil {
		r.cfg.Observe(r.now, out)
	}
	r.wake = out.Wake
	ctx := context.Background()
	for _, x := range out.Decisions {
		switch x := x.(type) {
		case dialer.Originate:
			if err := r.pbx.Originate(ctx, x.Request); err != nil {
				return fmt.Errorf("simulate: %w", err)
			}
			if r.now.Before(r.end) && x.Request.Variables["SWITCHBOARD_LEG"] == "" {
				r.res.Calls++
			}
		case dialer.Hangup:
			_ = r.pbx.Hangup(ctx, x.Call, x.Cause) // the call may be gone already
		case dialer.Play:
			_ = r.pbx.Play(ctx, x.Call, x.Media)
		case dialer.ContinueDialplan:
			_ = r.pbx.Continue(ctx, x.Call, x.To)
		case dialer.Bridge:
			_ = r.pbx.Bridge(ctx, x.Bridge, x.Calls...)
		case dialer.HandToQueue:
			if a := r.idleAgent(); a != nil {
				if err := r.connect(a, x.Call); err != nil {
					return err
				}
			} else {
				r.wait = append(r.wait, waiting{call: x.Call, deadline: r.now.Add(x.MaxWait)})
			}
		case dialer.FetchContacts:
			if err := r.handle(r.fetch(x.Max)); err != nil {
				return err
			}
		}
	}
	for _, e := range out.Events {
		if e.Campaign != campaignID {
			continue
		}
		switch e.Type {
		case "attempt.finished":
			r.res.Outcomes[e.Outcome]++
			switch telephony.Outcome(e.Outcome) {
			case telephony.OutcomeAnswered, telephony.OutcomeNotEffective, telephony.OutcomeAbandoned:
				// A person answered (machines are not counted).
				r.answers = append(r.answers, answerRec{at: e.At, abandoned: e.Outcome == string(telephony.OutcomeAbandoned)})
				if e.Outcome == string(telephony.OutcomeAbandoned) {
					r.abandonedN++
				}
			}
		case "contact.finished":
			r.res.ContactsDone++
		}
	}
	return nil
}

func (r *runner) idleAgent() *agent {
	for _, a := range r.agents {
		if !a.busy {
			return a
		}
	}
	return nil
}

func (r *runner) setBusy(delta int) {
	r.integrate()
	r.busyAgents += delta
	r.supplyOK = false
}

func (r *runner) integrate() {
	if r.now.After(r.occAt) {
		end := r.now
		if end.After(r.end) {
			end = r.end
		}
		if end.After(r.occAt) {
			r.busySec += end.Sub(r.occAt).Seconds() * float64(r.busyAgents)
			r.occAt = end
		}
	}
}

func (r *runner) connect(a *agent, call telephony.CallID) error {
	a.busy, a.call, a.since, a.freeAt = true, call, r.now, time.Time{}
	r.byCall[call] = a
	r.setBusy(1)
	return r.handle(dialer.QueueResult{Call: call, Connected: true, Agent: a.id})
}

// supply reports the agent pool to the dialer.
func (r *runner) supply() error {
	if r.supplyOK || len(r.agents) == 0 {
		return nil
	}
	r.supplyOK = true
	s := dialer.AgentSupply{Queue: r.campaign.Queue, Staffed: len(r.agents), Busy: r.busyBuf[:0]}
	for _, a := range r.agents {
		if !a.busy {
			s.Idle++
			continue
		}
		s.Busy = append(s.Busy, dialer.BusyAgent{Since: a.since, FreeAt: a.freeAt, WrapUp: r.cfg.WrapUp})
	}
	r.busyBuf = s.Busy
	return r.handle(s)
}

// agentWork handles wrap-up ends and connect deadlines due now.
func (r *runner) agentWork() error {
	for _, a := range r.agents {
		if a.busy && !a.freeAt.IsZero() && !a.freeAt.After(r.now) {
			a.busy, a.freeAt = false, time.Time{}
			r.setBusy(-1)
			if len(r.wait) > 0 {
				w := r.wait[0]
				r.wait = r.wait[1:]
				if err := r.connect(a, w.call); err != nil {
					return err
				}
			}
		}
	}
	for len(r.wait) > 0 && !r.wait[0].deadline.After(r.now) {
		w := r.wait[0]
		r.wait = r.wait[1:]
		if err := r.handle(dialer.QueueResult{Call: w.call, Connected: false}); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) nextAgentTime() (time.Time, bool) {
	var t time.Time
	ok := false
	for _, a := range r.agents {
		if a.busy && !a.freeAt.IsZero() && (!ok || a.freeAt.Before(t)) {
			t, ok = a.freeAt, true
		}
	}
	if len(r.wait) > 0 && (!ok || r.wait[0].deadline.Before(t)) {
		t, ok = r.wait[0].deadline, true
	}
	return t, ok
}

func (r *runner) callEnded(e telephony.Event) {
	if a := r.byCall[e.Call]; a != nil {
		delete(r.byCall, e.Call)
		a.call = ""
		if r.cfg.WrapUp > 0 {
			a.freeAt = r.now.Add(r.cfg.WrapUp)
			r.supplyOK = false
		} else {
			a.busy = false
			r.setBusy(-1)
		}
	}
	r.wait = slices.DeleteFunc(r.wait, func(w waiting) bool { return w.call == e.Call })
}

func (r *runner) run() (Result, error) {
	if err := r.handle(dialer.AddCampaign{Campaign: r.campaign}); err != nil {
		return Result{}, err
	}
	if err := r.supply(); err != nil {
		return Result{}, err
	}
	for {
		next := r.end
		if t, ok := r.pbx.NextAt(); ok && t.Before(next) {
			next = t
		}
		if !r.wake.IsZero() && r.wake.Before(next) {
			next = r.wake
		}
		if t, ok := r.nextAgentTime(); ok && t.Before(next) {
			next = t
		}
		if next.After(r.end) || (next.Equal(r.end) && r.now.Equal(r.end)) {
			break
		}
		r.sample(next, false)
		r.now = next
		r.pbx.Clock().Set(next)
		r.res.Steps++
		for _, e := range r.pbx.PopDue(next) {
			if r.cfg.ObserveEvent != nil {
				r.cfg.ObserveEvent(e)
			}
			if e.Kind == telephony.EventHangup {
				r.callEnded(e)
			}
			if err := r.handle(dialer.CallEvent{Event: e}); err != nil {
				return Result{}, err
			}
		}
		if err := r.agentWork(); err != nil {
			return Result{}, err
		}
		if err := r.supply(); err != nil {
			return Result{}, err
		}
		if err := r.apply(r.d.Advance(r.now)); err != nil {
			return Result{}, err
		}
		if r.now.Equal(r.end) {
			break
		}
	}
	r.now = r.end
	r.sample(r.end, true)
	r.integrate()
	return r.result(), nil
}

// sample records the samples due before until (or at it, when inclusive).
// The state is constant between steps, so a sample between two steps sees
// the state the earlier one left.
func (r *runner) sample(until time.Time, inclusive bool) {
	if r.cfg.SampleEvery <= 0 {
		return
	}
	for r.nextSample.Before(until) || (inclusive && r.nextSample.Equal(until)) {
		t := r.nextSample
		busy := r.busySec
		if t.After(r.occAt) {
			busy += t.Sub(r.occAt).Seconds() * float64(r.busyAgents)
		}
		s := Sample{Seconds: t.Sub(r.cfg.Start).Seconds(), Dialled: r.res.Calls - r.sampledCalls}
		if n := len(r.agents); n > 0 {
			s.Occupancy = (busy - r.sampledBusy) / (r.cfg.SampleEvery.Seconds() * float64(n))
		}
		if len(r.answers) > 0 {
			s.AbandonRate = float64(r.abandonedN) / float64(len(r.answers))
		}
		s.LiveCalls, _ = r.pbx.Live()
		r.sampledBusy, r.sampledCalls = busy, r.res.Calls
		r.res.Series = append(r.res.Series, s)
		r.nextSample = t.Add(r.cfg.SampleEvery)
	}
}

func (r *runner) result() Result {
	res := r.res
	secs := r.cfg.Duration.Seconds()
	res.Mode = string(r.cfg.Mode)
	res.Agents = len(r.agents)
	res.SimulatedSeconds = secs
	res.CPSTarget = r.cfg.Rate.CPS()
	res.CPSAchieved = float64(res.Calls) / secs
	if len(r.agents) > 0 {
		res.Occupancy = r.busySec / (secs * float64(len(r.agents)))
	}
	st, _ := r.d.Stats(campaignID, r.end)
	res.Connected = st.AgentConnected
	for _, a := range r.answers {
		res.Answered++
		if a.abandoned {
			res.Abandoned++
		}
	}
	if res.Answered > 0 {
		res.AbandonRate = float64(res.Abandoned) / float64(res.Answered)
	}
	res.AbandonRateMaxWindow = maxWindowRate(r.answers, r.cfg.Start, r.campaign.Predictive.AbandonWindow)
	res.ContactsPerHour = float64(res.ContactsDone) / (secs / 3600)
	_, res.MaxLiveCalls = r.pbx.Live()
	res.CPSAchieved = math.Round(res.CPSAchieved*1e6) / 1e6
	return res
}

// maxWindowRate is the highest abandoned/answered ratio over the rolling
// windows (t-w, t] that fit in the run (t ≥ start+w), evaluated at every
// answer; when the run is shorter than w it is the whole run's rate.
func maxWindowRate(recs []answerRec, start time.Time, w time.Duration) float64 {
	best := 0.0
	lo, ab, abAll := 0, 0, 0
	for hi, x := range recs {
		if x.abandoned {
			ab++
			abAll++
		}
		for !recs[lo].at.After(x.at.Add(-w)) {
			if recs[lo].abandoned {
				ab--
			}
			lo++
		}
		if x.at.Sub(start) >= w {
			best = math.Max(best, float64(ab)/float64(hi-lo+1))
		}
	}
	if len(recs) > 0 && recs[len(recs)-1].at.Sub(start) < w {
		return float64(abAll) / float64(len(recs))
	}
	return best
}
