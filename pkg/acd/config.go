package acd

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Strategy is how a queue chooses among free agents (mod_callcenter's names).
type Strategy string

// The nine strategies. In every strategy agents of the lowest level are
// tried first; within a level the strategy orders them.
const (
	// RingAll rings every free agent at once; the first to answer wins.
	RingAll Strategy = "ring-all"
	// LongestIdleAgent picks the agent whose last call ended longest ago.
	LongestIdleAgent Strategy = "longest-idle-agent"
	// RoundRobin continues from the agent after the one this queue offered last.
	RoundRobin Strategy = "round-robin"
	// TopDown walks the tier list from the top for each caller, resuming after
	// the agent that caller was last offered to.
	TopDown Strategy = "top-down"
	// AgentWithLeastTalkTime picks the agent with the least talk time.
	AgentWithLeastTalkTime Strategy = "agent-with-least-talk-time"
	// AgentWithFewestCalls picks the agent with the fewest answered calls.
	AgentWithFewestCalls Strategy = "agent-with-fewest-calls"
	// SequentiallyByAgentOrder always starts from the first position.
	SequentiallyByAgentOrder Strategy = "sequentially-by-agent-order"
	// Random picks a free agent at random.
	Random Strategy = "random"
	// RingProgressively rings one more agent every RingProgressivelyDelay,
	// keeping the earlier ones ringing; the first to answer wins.
	RingProgressively Strategy = "ring-progressively"
)

// Strategies lists every strategy.
var Strategies = []Strategy{
	RingAll, LongestIdleAgent, RoundRobin, TopDown, AgentWithLeastTalkTime,
	AgentWithFewestCalls, SequentiallyByAgentOrder, Random, RingProgressively,
}

// ParseStrategy returns the strategy named s.
func ParseStrategy(s string) (Strategy, error) {
	for _, st := range Strategies {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fieldErr("strategy", s, "unknown strategy")
}

// TimeBaseScore says which clock a caller's waiting score counts from.
type TimeBaseScore string

const (
	// ScoreFromQueue counts from when the caller joined this queue.
	ScoreFromQueue TimeBaseScore = "queue"
	// ScoreFromSystem counts from when the call entered the system, so a call
	// moved between queues keeps its seniority.
	ScoreFromSystem TimeBaseScore = "system"
)

// CounterReset says what happens to an agent's call count and talk time (the
// keys of the fewest-calls and least-talk-time strategies) when the agent
// becomes available.
type CounterReset string

const (
	// KeepCounters keeps the counters across status changes; they are reset
	// only by ResetAgentCounters (for example at the start of a shift). The
	// default.
	KeepCounters CounterReset = "keep"
	// ResetOnAvailable zeroes them whenever the agent becomes available, as
	// mod_callcenter does. A late log-in then gets every call until it catches
	// up with its colleagues.
	ResetOnAvailable CounterReset = "reset_on_available"
	// CatchUpOnAvailable raises them, when the agent becomes available, to the
	// lowest values among the other available agents of its queues (never
	// lowers them), so a late log-in takes its turn without being flooded.
	CatchUpOnAvailable CounterReset = "catch_up_on_available"
)

// QueueConfig is one inbound queue. Start from NewQueueConfig for the
// defaults; durations are whole seconds in the vendor APIs.
type QueueConfig struct {
	ID string
	// Tenant owns the queue; its events carry it, and only its agents may
	// be in the queue.
	Tenant   string
	Strategy Strategy
	// RingProgressivelyDelay is the pause before ring-progressively adds the next agent.
	RingProgressivelyDelay time.Duration

	// TierRulesApply makes higher levels wait: the next level is rung only
	// TierRuleWaitSecond after the current level started ringing.
	TierRulesApply            bool
	TierRuleWaitSecond        time.Duration
	TierRuleWaitMultiplyLevel bool // the wait is multiplied by the next level's number
	// TierRuleNoAgentNoWait skips at once a level where no agent is logged in.
	TierRuleNoAgentNoWait bool

	TimeBaseScore TimeBaseScore

	// MaxWaitTime: a caller not connected by then leaves to TimeoutTransferDst. 0: no limit.
	MaxWaitTime time.Duration
	// MaxWaitTimeWithNoAgent: when no agent has been logged in for this long,
	// waiting callers leave to NoAgentTimeoutTransferDst. 0: off.
	MaxWaitTimeWithNoAgent time.Duration
	// MaxWaitTimeWithNoAgentTimeReached: once that has happened, a new caller
	// may wait only this long before it leaves too.
	MaxWaitTimeWithNoAgentTimeReached time.Duration
	// ExitWithNoAvailableAgents: a caller leaves to ExitTransferDst when no
	// agent of the queue is available (status available or
	// available_on_demand), on joining or later.
	ExitWithNoAvailableAgents bool
	// ExitKey is the DTMF digit with which a waiting caller leaves to ExitTransferDst.
	ExitKey string

	// Transfer destinations (a dialplan target or number, as the adapter
	// understands it); empty means hang up.
	TimeoutTransferDst        string
	NoAgentTimeoutTransferDst string
	ExitTransferDst           string

	// DiscardAbandonedAfter is how long an abandoned caller is remembered;
	// with AbandonedResumeAllowed the same number rejoining within it gets
	// its old place back.
	DiscardAbandonedAfter  time.Duration
	AbandonedResumeAllowed bool

	// AnnounceSound is played to waiting callers every AnnounceFrequency.
	AnnounceSound     string
	AnnounceFrequency time.Duration

	// Sound is the queue's hold sound; SoundType "music" (MOH class) or "ringback".
	Sound     string
	SoundType string
	// RecordEnabled records connected calls.
	RecordEnabled bool
	// AgentAnnounceSound is played to the agent before the caller is connected.
	AgentAnnounceSound string
	// AgentReportWaitTime tells the agent how long the caller waited.
	AgentReportWaitTime bool

	// Attrs keeps a dialect's own fields of the queue (ringme's extension
	// name, label and status); the ACD does not act on them.
	Attrs map[string]string
}

// NewQueueConfig returns a queue with the defaults: longest-idle-agent,
// tier rules off (wait 300 s, no multiply, skip empty levels when on),
// score from the queue, abandoned callers remembered 60 s, "time reached"
// grace 5 s, progressive delay 10 s — mod_callcenter's defaults, except
// TierRuleNoAgentNoWait (see DESIGN in doc.go).
func NewQueueConfig(id string) QueueConfig {
	return QueueConfig{
		ID:                                id,
		Strategy:                          LongestIdleAgent,
		RingProgressivelyDelay:            10 * time.Second,
		TierRuleWaitSecond:                300 * time.Second,
		TierRuleNoAgentNoWait:             true,
		TimeBaseScore:                     ScoreFromQueue,
		MaxWaitTimeWithNoAgentTimeReached: 5 * time.Second,
		DiscardAbandonedAfter:             60 * time.Second,
		SoundType:                         "music",
	}
}

// maxDuration bounds every configured time, so arithmetic never overflows.
const maxDuration = 365 * 24 * time.Hour

// Validate reports the first field that is wrong.
func (q QueueConfig) Validate() error {
	if err := validateID("id", q.ID); err != nil {
		return err
	}
	if _, err := ParseStrategy(string(q.Strategy)); err != nil {
		return err
	}
	if q.TimeBaseScore != ScoreFromQueue && q.TimeBaseScore != ScoreFromSystem {
		return fieldErr("time_base_score", string(q.TimeBaseScore), `must be "queue" or "system"`)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"ring_progressively_delay", q.RingProgressivelyDelay},
		{"tier_rule_wait_second", q.TierRuleWaitSecond},
		{"max_wait_time", q.MaxWaitTime},
		{"max_wait_time_with_no_agent", q.MaxWaitTimeWithNoAgent},
		{"max_wait_time_with_no_agent_time_reached", q.MaxWaitTimeWithNoAgentTimeReached},
		{"discard_abandoned_after", q.DiscardAbandonedAfter},
		{"announce_frequency", q.AnnounceFrequency},
	} {
		if err := validateDuration(d.field, d.v); err != nil {
			return err
		}
	}
	if q.Strategy == RingProgressively && q.RingProgressivelyDelay <= 0 {
		return fieldErr("ring_progressively_delay", q.RingProgressivelyDelay.Seconds(), "must be positive for ring-progressively")
	}
	if q.ExitKey != "" && !isDTMF(q.ExitKey) {
		return fieldErr("exit_key", q.ExitKey, "must be one DTMF digit (0-9, *, #, A-D)")
	}
	if q.AnnounceFrequency > 0 && q.AnnounceSound == "" {
		return fieldErr("announce_sound", nil, "is required when announce_frequency is set")
	}
	switch q.SoundType {
	case "", "music", "ringback":
	default:
		return fieldErr("sound_type", q.SoundType, `must be "music" or "ringback"`)
	}
	return nil
}

func isDTMF(s string) bool {
	if len(s) != 1 {
		return false
	}
	c := s[0]
	return c >= '0' && c <= '9' || c == '*' || c == '#' || c >= 'A' && c <= 'D'
}

func validateDuration(field string, d time.Duration) error {
	if d < 0 {
		return fieldErr(field, d.Seconds(), "must not be negative")
	}
	if d > maxDuration {
		return fieldErr(field, d.Seconds(), "must be at most a year")
	}
	return nil
}

func validateID(field, id string) error {
	if id == "" {
		return fieldErr(field, nil, "is required")
	}
	if len(id) > 128 || !utf8.ValidString(id) {
		return fieldErr(field, id, "must be valid UTF-8 of at most 128 bytes")
	}
	return nil
}

// AgentType says how an agent is reached.
type AgentType string

const (
	// LocalAgent is an Asterisk endpoint (Extension).
	LocalAgent AgentType = "local"
	// RemoteAgent is an external number dialled through a trunk.
	RemoteAgent AgentType = "remote"
)

// Status is what the agent (or a supervisor) has chosen.
type Status string

const (
	LoggedOut Status = "logged_out"
	// Available agents take calls; after each call they are ready again by themselves.
	Available Status = "available"
	// AvailableOnDemand agents take one call and then go idle until they set
	// their state to waiting again.
	AvailableOnDemand Status = "available_on_demand"
	OnBreak           Status = "on_break"
)

// ParseStatus returns the status named s.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case LoggedOut, Available, AvailableOnDemand, OnBreak:
		return st, nil
	}
	return "", fieldErr("status", s, "must be logged_out, available, available_on_demand or on_break")
}

// State is what the agent is doing.
type State string

const (
	Idle      State = "idle"      // takes no calls
	Waiting   State = "waiting"   // ready for a call
	Receiving State = "receiving" // being rung with an offer
	InCall    State = "in_call"
	WrapUp    State = "wrap_up" // after a call, for WrapUpTime
)

// AgentConfig is one agent. Start from NewAgentConfig for the defaults.
type AgentConfig struct {
	ID string
	// Tenant owns the agent; its events carry it.
	Tenant string
	Type   AgentType
	// Extension is a local agent's endpoint; Number and Trunk a remote agent's.
	Extension string
	Number    string
	Trunk     string
	Name      string

	// CallTimeout is how long an offer rings before it counts as no answer.
	CallTimeout       time.Duration
	BusyDelayTime     time.Duration
	NoAnswerDelayTime time.Duration
	RejectDelayTime   time.Duration
	WrapUpTime        time.Duration
	// MaxNoAnswer consecutive unanswered offers put the agent on break. 0: never.
	MaxNoAnswer int
}

// NewAgentConfig returns an agent with the ringme defaults: 30 s call
// timeout, 10 s busy/no-answer/reject delays, no wrap-up.
func NewAgentConfig(id string, typ AgentType) AgentConfig {
	return AgentConfig{
		ID:                id,
		Type:              typ,
		CallTimeout:       30 * time.Second,
		BusyDelayTime:     10 * time.Second,
		NoAnswerDelayTime: 10 * time.Second,
		RejectDelayTime:   10 * time.Second,
	}
}

// Validate reports the first field that is wrong.
func (a AgentConfig) Validate() error {
	if err := validateID("id", a.ID); err != nil {
		return err
	}
	switch a.Type {
	case LocalAgent:
		if a.Extension == "" {
			return fieldErr("extension", nil, "is required for a local agent")
		}
	case RemoteAgent:
		if a.Number == "" {
			return fieldErr("number", nil, "is required for a remote agent")
		}
	default:
		return fieldErr("type", string(a.Type), `must be "local" or "remote"`)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"call_timeout", a.CallTimeout},
		{"busy_delay_time", a.BusyDelayTime},
		{"no_answer_delay_time", a.NoAnswerDelayTime},
		{"reject_delay_time", a.RejectDelayTime},
		{"wrap_up_time", a.WrapUpTime},
	} {
		if err := validateDuration(d.field, d.v); err != nil {
			return err
		}
	}
	if a.CallTimeout == 0 {
		return fieldErr("call_timeout", 0, "must be positive")
	}
	if a.MaxNoAnswer < 0 {
		return fieldErr("max_no_answer", a.MaxNoAnswer, "must not be negative")
	}
	return nil
}

// Tier puts an agent in a queue at a level and position. Lower levels are
// rung first; within a level, lower positions first where the strategy
// orders by position.
type Tier struct {
	Queue    string
	Agent    string
	Level    int
	Position int
}

// maxLevel bounds levels and positions to what the vendor APIs accept.
const maxLevel = 1 << 30

// Validate reports the first field that is wrong.
func (t Tier) Validate() error {
	if err := validateID("queue", t.Queue); err != nil {
		return err
	}
	if err := validateID("agent_id", t.Agent); err != nil {
		return err
	}
	if t.Level < 0 || t.Level > maxLevel {
		return fieldErr("level", t.Level, fmt.Sprintf("must be between 0 and %d", maxLevel))
	}
	if t.Position < 0 || t.Position > maxLevel {
		return fieldErr("position", t.Position, fmt.Sprintf("must be between 0 and %d", maxLevel))
	}
	return nil
}
