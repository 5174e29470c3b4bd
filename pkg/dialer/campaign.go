// Package dialer is Switchboard's outbound dialer core: campaigns, contacts,
// attempts, pacing, redial rules, calling windows and the dialling modes
// (callback, ivr, preview, progressive, ratio, predictive).
//
// The core is a pure state machine, [Dialer]: it takes "now" and a [Command],
// and returns [Decision]s for the PBX port, domain events (pkg/event) and the
// next time it wants to be woken. It does no I/O and reads no clock. [Engine]
// is the goroutine that owns one Dialer in a running service; the simulator
// (pkg/dialer/sim) drives a Dialer directly in virtual time.
//
// One Dialer holds every campaign that shares a trunk (caller line), because
// per-trunk concurrency and priority sharing need one owner of the trunk's
// state. Campaigns on disjoint trunks may live in separate Dialers.
package dialer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Mode is how a campaign dials and where answered calls go.
type Mode string

// Campaign modes (see ARCHITECTURE.md).
const (
	// ModeCallback dials A (then each alternate A), and when A answers dials B
	// and bridges them (ringme task scheduler).
	ModeCallback Mode = "callback"
	// ModeIVR connects answered calls to a dialplan target (twin24 robot,
	// zxycall script, udesk task_type 4).
	ModeIVR Mode = "ivr"
	// ModePreview dials one call per idle agent, the agent having seen the contact.
	ModePreview Mode = "preview"
	// ModeProgressive dials one call per idle agent (udesk precision, task_type 1).
	ModeProgressive Mode = "progressive"
	// ModeRatio dials Ratio calls per idle agent (udesk proportion, task_type 2).
	ModeRatio Mode = "ratio"
	// ModePredictive dials adaptively under an abandon-rate cap (udesk task_type 3).
	ModePredictive Mode = "predictive"
)

// Modes lists every mode.
var Modes = []Mode{ModeCallback, ModeIVR, ModePreview, ModeProgressive, ModeRatio, ModePredictive}

// ParseMode returns the mode named s.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", &FieldError{Field: "mode", Value: s, Reason: "must be one of callback, ivr, preview, progressive, ratio, predictive"}
}

// usesAgents reports whether answered calls go to a queue of agents.
func (m Mode) usesAgents() bool {
	return m == ModePreview || m == ModeProgressive || m == ModeRatio || m == ModePredictive
}

// Campaign is an outbound job's configuration. The zero value of an optional
// field means "the default" (see SetDefaults).
type Campaign struct {
	ID          string `json:"id"`
	Tenant      string `json:"tenant,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"` // udesk description, twin24 taskComment, zxycall remark
	Mode        Mode   `json:"mode"`
	// DefaultRegion parses numbers without a country code (CLDR region, "RU", "CN").
	DefaultRegion string `json:"default_region"`
	// Queue receives answered calls in agent modes (udesk user_group_id); in ivr
	// mode it is the transfer target a script may ask for (zxycall customer_service_id).
	Queue       string      `json:"queue,omitempty"`
	Destination Destination `json:"destination"`
	CallerID    CallerID    `json:"caller_id"`
	// Trunk is the caller line used (zxycall caller_line_id, twin24 providerId, udesk callout_number).
	Trunk string `json:"trunk"`
	// Priority 1–100 (default 10) shares a trunk between campaigns (udesk priority).
	Priority int          `json:"priority"`
	Pacing   Pacing       `json:"pacing"`
	Windows  Windows      `json:"windows"`
	Start    Start        `json:"start"`
	Redial   RedialPolicy `json:"redial"`
	AMD      AMD          `json:"amd"`
	// RingTimeout is how long a number may ring (zxycall _originate_timeout); default 30 s.
	RingTimeout time.Duration `json:"ring_timeout"`
	// EffectiveTalk: an answered call whose talk is shorter is not_effective
	// (twin24 fullListTime). Zero turns the rule off.
	EffectiveTalk time.Duration `json:"effective_talk,omitempty"`
	Recording     Recording     `json:"recording"`
	// Ratio is the number of lines per idle agent in ratio mode (default 1.5).
	Ratio      float64    `json:"ratio,omitempty"`
	Predictive Predictive `json:"predictive"`
	// Variables are channel variables set on every originate (zxycall originate_variables).
	Variables     map[string]string `json:"variables,omitempty"`
	Subscriptions []Subscription    `json:"subscriptions,omitempty"`
	// Attrs keeps vendor fields the core does not act on (udesk force_policy_id,
	// twin24 fullListMethod, zxycall random_assignment_number, …).
	Attrs map[string]string `json:"attrs,omitempty"`
	// DedupeBy is what makes an imported contact a duplicate of one in the
	// list: DedupeNumber (also ""), its main number, or DedupeID, its id
	// only (ringme callback tasks, where many call the same A number).
	DedupeBy string `json:"dedupe_by,omitempty"`
}

// Contact dedupe keys (Campaign.DedupeBy).
const (
	DedupeNumber = "number"
	DedupeID     = "id"
)

// DestinationKind says where an answered call goes.
type DestinationKind string

// Destination kinds.
const (
	DestQueue    DestinationKind = "queue"    // the campaign's Queue (agent modes)
	DestDialplan DestinationKind = "dialplan" // an IVR/robot script
	DestNumber   DestinationKind = "number"   // the contact's B number (callback)
)

// Destination is where an answered call goes, and what happens when a script
// asks for a human.
type Destination struct {
	Kind DestinationKind `json:"kind"`
	// Dialplan is the IVR/robot target (twin24 defaultExecData, zxycall destination_extension).
	Dialplan telephony.DialplanTarget `json:"dialplan,omitzero"`
	// Transfer is what a script's transfer request does (twin24 secondExec/secondExecData):
	// "queue" (the campaign Queue), "channel" (TransferTarget) or "hangup".
	Transfer       string           `json:"transfer,omitempty"`
	TransferTarget telephony.Target `json:"transfer_target,omitzero"`
}

// CallerIDMode is where the presented number comes from (twin24 cidType).
type CallerIDMode string

// Caller ID modes.
const (
	CallerIDFixed  CallerIDMode = "fixed"  // twin24 gornum, udesk callout_number, zxycall call_number
	CallerIDPool   CallerIDMode = "pool"   // rotate through Numbers
	CallerIDRandom CallerIDMode = "random" // a random one of Numbers
	CallerIDTrunk  CallerIDMode = "trunk"  // the trunk's own number
)

// CallerID is what the callee sees.
type CallerID struct {
	Mode   CallerIDMode `json:"mode"`
	Name   string       `json:"name,omitempty"`
	Number string       `json:"number,omitempty"`
	// Numbers is the pool for pool and random modes; PoolID names it (twin24 cidData).
	Numbers []string `json:"numbers,omitempty"`
	PoolID  string   `json:"pool_id,omitempty"`
}

// Pacing holds every limit on how fast and how much a campaign dials. All are
// enforced together.
type Pacing struct {
	// Rate is the calls-per-second limit (zero: unlimited).
	Rate Rate `json:"rate,omitzero"`
	// Burst is how many calls may go back to back after idling (default 1).
	Burst int `json:"burst,omitempty"`
	// MaxConcurrent caps the campaign's live calls (udesk call_limit, zxycall maximumcall). 0: unlimited.
	MaxConcurrent int `json:"max_concurrent,omitempty"`
	// PauseBetweenCalls keeps a channel idle after its call ends (zxycall
	// call_pause_second). Needs MaxConcurrent.
	PauseBetweenCalls time.Duration `json:"pause_between_calls,omitempty"`
	// MaxConcurrentContacts caps contacts in progress (ringme concurrent_task_limit). 0: unlimited.
	MaxConcurrentContacts int `json:"max_concurrent_contacts,omitempty"`
	// StartInterval is the least time between two contacts' first dials (ringme interval).
	StartInterval time.Duration `json:"start_interval,omitempty"`
	// ASR pauses the campaign while recent attempts fail too often (ringme delayed_asr).
	ASR ASRGuard `json:"asr,omitzero"`
}

// ASRGuard pauses dialling while the failure ratio of the last Window finished
// attempts is above Threshold. Window 0 turns it off.
type ASRGuard struct {
	Threshold float64 `json:"threshold"`
	Window    int     `json:"window"`
	// Cooldown is how long dialling pauses once tripped (default 60 s).
	Cooldown time.Duration `json:"cooldown,omitempty"`
}

// StartMode says how a campaign starts (twin24 startType).
type StartMode string

// Start modes.
const (
	StartManual StartMode = "manual" // by a Start command
	StartNow    StartMode = "now"    // as soon as it is added
	StartAt     StartMode = "at"     // at Start.At
)

// Start says when the campaign starts.
type Start struct {
	Mode StartMode `json:"mode"`
	At   time.Time `json:"at,omitzero"`
}

// AMD configures answering-machine detection (twin24 detectRobot/detectRobotMode).
type AMD struct {
	Enabled bool `json:"enabled"`
	// OnMachine is "hangup" (twin24 back) or "continue" (twin24 forward).
	OnMachine string `json:"on_machine,omitempty"`
}

// Recording configures call recording (twin24 recordCall/recTrimLeft).
type Recording struct {
	Enabled  bool          `json:"enabled"`
	TrimLeft time.Duration `json:"trim_left,omitempty"`
}

// Predictive tunes predictive mode.
type Predictive struct {
	// AbandonCap is the highest abandon rate allowed over AbandonWindow (default 0.03).
	AbandonCap float64 `json:"abandon_cap"`
	// AbandonWindow is the rolling window the cap applies to (default 1 h).
	AbandonWindow time.Duration `json:"abandon_window"`
	// ConnectWithin is how long an answered call may wait for an agent before
	// it is abandoned to AbandonMedia (default 2 s, the regulators' figure).
	ConnectWithin time.Duration `json:"connect_within"`
	// AbandonMedia is played to an abandoned call (default "sound:sorry").
	AbandonMedia string `json:"abandon_media,omitempty"`
	// InitialAnswerRate seeds the answer-rate estimate before measurements (default 0.3).
	InitialAnswerRate float64 `json:"initial_answer_rate,omitempty"`
	// MaxLinesPerAgent bounds over-dialling (default 6).
	MaxLinesPerAgent float64 `json:"max_lines_per_agent,omitempty"`
}

// Subscription is a webhook: where, how and for which events (ringme url_*,
// twin24 webhookUrls, zxycall call_notify_url). Delivery is not the core's job.
type Subscription struct {
	URL    string   `json:"url"`
	Method string   `json:"method,omitempty"`
	Format string   `json:"format,omitempty"`
	Events []string `json:"events,omitempty"`
}

// Defaults used by SetDefaults.
const (
	DefaultPriority      = 10
	DefaultRingTimeout   = 30 * time.Second
	DefaultRatio         = 1.5
	DefaultAbandonCap    = 0.03
	DefaultAbandonWindow = time.Hour
	DefaultConnectWithin = 2 * time.Second
	DefaultASRCooldown   = time.Minute
	MaxCustomFields      = 10
	MaxPriority          = 100
	MaxCPS               = 200
)

// SetDefaults fills the zero optional fields.
func (c *Campaign) SetDefaults() {
	if c.Priority == 0 {
		c.Priority = DefaultPriority
	}
	if c.RingTimeout == 0 {
		c.RingTimeout = DefaultRingTimeout
	}
	if c.Start.Mode == "" {
		c.Start.Mode = StartManual
	}
	if c.CallerID.Mode == "" {
		if c.CallerID.Number != "" {
			c.CallerID.Mode = CallerIDFixed
		} else {
			c.CallerID.Mode = CallerIDTrunk
		}
	}
	if c.Destination.Kind == "" {
		switch {
		case c.Mode == ModeCallback:
			c.Destination.Kind = DestNumber
		case c.Mode == ModeIVR:
			c.Destination.Kind = DestDialplan
		default:
			c.Destination.Kind = DestQueue
		}
	}
	if c.Mode == ModeRatio && c.Ratio == 0 {
		c.Ratio = DefaultRatio
	}
	if c.Pacing.Burst == 0 {
		c.Pacing.Burst = 1
	}
	if c.Pacing.ASR.Window > 0 && c.Pacing.ASR.Cooldown == 0 {
		c.Pacing.ASR.Cooldown = DefaultASRCooldown
	}
	if c.AMD.Enabled && c.AMD.OnMachine == "" {
		c.AMD.OnMachine = "hangup"
	}
	p := &c.Predictive
	if p.AbandonCap == 0 {
		p.AbandonCap = DefaultAbandonCap
	}
	if p.AbandonWindow == 0 {
		p.AbandonWindow = DefaultAbandonWindow
	}
	if p.ConnectWithin == 0 {
		p.ConnectWithin = DefaultConnectWithin
	}
	if p.AbandonMedia == "" {
		p.AbandonMedia = "sound:sorry"
	}
	if p.InitialAnswerRate == 0 {
		p.InitialAnswerRate = 0.3
	}
	if p.MaxLinesPerAgent == 0 {
		p.MaxLinesPerAgent = 6
	}
	c.Redial.setDefaults()
}

// Validate reports the first bad field as a *FieldError.
func (c *Campaign) Validate() error {
	if strings.TrimSpace(c.ID) == "" {
		return &FieldError{Field: "id", Reason: "required"}
	}
	if strings.TrimSpace(c.Name) == "" {
		return &FieldError{Field: "name", Reason: "required"}
	}
	if !slices.Contains(Modes, c.Mode) {
		return &FieldError{Field: "mode", Value: string(c.Mode), Reason: "must be one of callback, ivr, preview, progressive, ratio, predictive"}
	}
	if err := validRegion(c.DefaultRegion); err != nil {
		return err
	}
	if c.Mode.usesAgents() && c.Queue == "" {
		return &FieldError{Field: "queue", Reason: fmt.Sprintf("required in %s mode", c.Mode)}
	}
	if err := c.Destination.validate(c); err != nil {
		return err
	}
	if err := c.CallerID.validate(); err != nil {
		return err
	}
	if c.Priority < 1 || c.Priority > MaxPriority {
		return &FieldError{Field: "priority", Value: fmt.Sprint(c.Priority), Reason: "must be 1–100"}
	}
	if err := c.Pacing.validate(); err != nil {
		return err
	}
	if err := c.Windows.validate(); err != nil {
		return err
	}
	switch c.Start.Mode {
	case StartManual, StartNow:
	case StartAt:
		if c.Start.At.IsZero() {
			return &FieldError{Field: "start.at", Reason: "required when start mode is at"}
		}
	default:
		return &FieldError{Field: "start.mode", Value: string(c.Start.Mode), Reason: "must be manual, now or at"}
	}
	if err := c.Redial.validate(); err != nil {
		return err
	}
	if c.AMD.Enabled && c.AMD.OnMachine != "hangup" && c.AMD.OnMachine != "continue" {
		return &FieldError{Field: "amd.on_machine", Value: c.AMD.OnMachine, Reason: "must be hangup or continue"}
	}
	if c.RingTimeout < time.Second || c.RingTimeout > 10*time.Minute {
		return &FieldError{Field: "ring_timeout", Value: c.RingTimeout.String(), Reason: "must be 1 s–10 min"}
	}
	if c.EffectiveTalk < 0 {
		return &FieldError{Field: "effective_talk", Value: c.EffectiveTalk.String(), Reason: "must not be negative"}
	}
	if c.Recording.TrimLeft < 0 {
		return &FieldError{Field: "recording.trim_left", Value: c.Recording.TrimLeft.String(), Reason: "must not be negative"}
	}
	if c.Mode == ModeRatio && (c.Ratio < 1 || c.Ratio > 20) {
		return &FieldError{Field: "ratio", Value: fmt.Sprint(c.Ratio), Reason: "must be 1–20"}
	}
	p := c.Predictive
	if p.AbandonCap <= 0 || p.AbandonCap >= 1 {
		return &FieldError{Field: "predictive.abandon_cap", Value: fmt.Sprint(p.AbandonCap), Reason: "must be in (0, 1)"}
	}
	if p.AbandonWindow < time.Minute {
		return &FieldError{Field: "predictive.abandon_window", Value: p.AbandonWindow.String(), Reason: "must be at least 1 min"}
	}
	if p.ConnectWithin <= 0 || p.ConnectWithin > time.Minute {
		return &FieldError{Field: "predictive.connect_within", Value: p.ConnectWithin.String(), Reason: "must be in (0, 1 min]"}
	}
	if p.InitialAnswerRate <= 0 || p.InitialAnswerRate > 1 {
		return &FieldError{Field: "predictive.initial_answer_rate", Value: fmt.Sprint(p.InitialAnswerRate), Reason: "must be in (0, 1]"}
	}
	if p.MaxLinesPerAgent < 1 || p.MaxLinesPerAgent > 50 {
		return &FieldError{Field: "predictive.max_lines_per_agent", Value: fmt.Sprint(p.MaxLinesPerAgent), Reason: "must be 1–50"}
	}
	if c.DedupeBy != "" && c.DedupeBy != DedupeNumber && c.DedupeBy != DedupeID {
		return &FieldError{Field: "dedupe_by", Value: c.DedupeBy, Reason: "must be number or id"}
	}
	for i, s := range c.Subscriptions {
		if s.URL == "" {
			return &FieldError{Field: fmt.Sprintf("subscriptions[%d].url", i), Reason: "required"}
		}
	}
	return nil
}

func (d Destination) validate(c *Campaign) error {
	switch d.Kind {
	case DestQueue:
		if c.Queue == "" {
			return &FieldError{Field: "queue", Reason: "required when destination is queue"}
		}
		if !c.Mode.usesAgents() {
			return &FieldError{Field: "destination.kind", Value: string(d.Kind), Reason: fmt.Sprintf("queue destination needs an agent mode, not %s", c.Mode)}
		}
	case DestDialplan:
		if d.Dialplan.Context == "" {
			return &FieldError{Field: "destination.dialplan.context", Reason: "required for a dialplan destination"}
		}
		if d.Dialplan.Extension == "" {
			return &FieldError{Field: "destination.dialplan.extension", Reason: "required for a dialplan destination"}
		}
		if d.Dialplan.Priority < 0 {
			return &FieldError{Field: "destination.dialplan.priority", Value: fmt.Sprint(d.Dialplan.Priority), Reason: "must not be negative"}
		}
	case DestNumber:
		if c.Mode != ModeCallback {
			return &FieldError{Field: "destination.kind", Value: string(d.Kind), Reason: "number destination is for callback mode"}
		}
	default:
		return &FieldError{Field: "destination.kind", Value: string(d.Kind), Reason: "must be queue, dialplan or number"}
	}
	switch d.Transfer {
	case "", "hangup":
	case "queue":
		if c.Queue == "" {
			return &FieldError{Field: "queue", Reason: "required when destination.transfer is queue"}
		}
	case "channel":
		if d.TransferTarget.Extension == "" && d.TransferTarget.Number == "" {
			return &FieldError{Field: "destination.transfer_target", Reason: "required when destination.transfer is channel"}
		}
	default:
		return &FieldError{Field: "destination.transfer", Value: d.Transfer, Reason: "must be queue, channel or hangup"}
	}
	return nil
}

func (c CallerID) validate() error {
	switch c.Mode {
	case CallerIDFixed:
		if c.Number == "" {
			return &FieldError{Field: "caller_id.number", Reason: "required for a fixed caller ID"}
		}
	case CallerIDPool, CallerIDRandom:
		if len(c.Numbers) == 0 {
			return &FieldError{Field: "caller_id.numbers", Reason: fmt.Sprintf("required for a %s caller ID", c.Mode)}
		}
	case CallerIDTrunk:
	default:
		return &FieldError{Field: "caller_id.mode", Value: string(c.Mode), Reason: "must be fixed, pool, random or trunk"}
	}
	return nil
}

func (p Pacing) validate() error {
	if !p.Rate.IsZero() {
		if err := p.Rate.validate("pacing.rate"); err != nil {
			return err
		}
	}
	if p.Burst < 1 || p.Burst > 10000 {
		return &FieldError{Field: "pacing.burst", Value: fmt.Sprint(p.Burst), Reason: "must be 1–10000"}
	}
	if p.MaxConcurrent < 0 {
		return &FieldError{Field: "pacing.max_concurrent", Value: fmt.Sprint(p.MaxConcurrent), Reason: "must not be negative"}
	}
	if p.PauseBetweenCalls < 0 {
		return &FieldError{Field: "pacing.pause_between_calls", Value: p.PauseBetweenCalls.String(), Reason: "must not be negative"}
	}
	if p.PauseBetweenCalls > 0 && p.MaxConcurrent == 0 {
		return &FieldError{Field: "pacing.pause_between_calls", Value: p.PauseBetweenCalls.String(), Reason: "needs pacing.max_concurrent (the number of channels)"}
	}
	if p.MaxConcurrentContacts < 0 {
		return &FieldError{Field: "pacing.max_concurrent_contacts", Value: fmt.Sprint(p.MaxConcurrentContacts), Reason: "must not be negative"}
	}
	if p.StartInterval < 0 {
		return &FieldError{Field: "pacing.start_interval", Value: p.StartInterval.String(), Reason: "must not be negative"}
	}
	if p.ASR.Window < 0 || p.ASR.Window > 10000 {
		return &FieldError{Field: "pacing.asr.window", Value: fmt.Sprint(p.ASR.Window), Reason: "must be 0–10000"}
	}
	if p.ASR.Window > 0 && (p.ASR.Threshold <= 0 || p.ASR.Threshold >= 1) {
		return &FieldError{Field: "pacing.asr.threshold", Value: fmt.Sprint(p.ASR.Threshold), Reason: "must be in (0, 1)"}
	}
	if p.ASR.Cooldown < 0 {
		return &FieldError{Field: "pacing.asr.cooldown", Value: p.ASR.Cooldown.String(), Reason: "must not be negative"}
	}
	return nil
}
