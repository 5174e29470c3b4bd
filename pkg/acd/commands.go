package acd

import "time"

// Command is an input to the ACD. Every exported type in this file is one.
type Command interface{ isCommand() }

// AddQueue creates a queue, or reconfigures it when it exists (callers keep
// their places; a new strategy applies to the next decision).
type AddQueue struct{ Config QueueConfig }

// RemoveQueue deletes a queue; its waiting callers leave with ReasonQueueRemoved.
type RemoveQueue struct{ Queue string }

// AddAgent creates or reconfigures an agent. A new agent is logged out.
type AddAgent struct{ Config AgentConfig }

// RemoveAgent deletes an agent. With RemoveFromQueues false it fails with
// ErrAgentInQueues while the agent has tiers.
type RemoveAgent struct {
	Agent            string
	RemoveFromQueues bool
}

// SetTier adds an agent to a queue or changes its level and position.
type SetTier struct{ Tier Tier }

// RemoveTier takes an agent out of a queue.
type RemoveTier struct{ Queue, Agent string }

// SetAgentStatus changes an agent's status. Source says who did it (api,
// phone, supervisor, system) and is carried on the event.
type SetAgentStatus struct {
	Agent  string
	Status Status
	Source string
}

// SetAgentState lets an agent set its state by hand: Waiting (ready again,
// the way available_on_demand agents take their next call) or Idle (stop
// taking calls without changing status). Other states are the ACD's.
type SetAgentState struct {
	Agent string
	State State
}

// ResetAgentCounters zeroes an agent's calls and talk time (the keys of the
// fewest-calls and least-talk-time strategies).
type ResetAgentCounters struct{ Agent string }

// Join puts a call into a queue.
type Join struct {
	Queue  string
	Caller string // the call's id; unique among live callers
	Number string // the caller's number, for status and abandoned-resume
	Name   string
	// Priority adds to the caller's waiting score, in seconds (mod_callcenter's
	// base score): a caller with priority 60 is served as if it had waited a
	// minute longer.
	Priority int
	// EnteredSystem is when the call entered the system (for time_base_score
	// "system"); zero means now.
	EnteredSystem time.Time
	// MaxWait caps this caller's wait below the queue's max_wait_time (a
	// dialer's answered call must reach an agent quickly); zero: the queue's.
	MaxWait time.Duration
}

// Hangup reports that a caller hung up (or was hung up), waiting or connected.
type Hangup struct{ Caller string }

// DTMF reports a digit the caller pressed.
type DTMF struct {
	Caller string
	Digit  string
}

// OfferResult reports how an offer ended at the agent's side.
type OfferResult struct {
	Offer  OfferID
	Result OfferOutcome
}

// OfferOutcome is how an agent's leg ended.
type OfferOutcome string

// Offer outcomes.
const (
	// OfferAnswered: the agent answered; the ACD connects the caller.
	OfferAnswered OfferOutcome = "answered"
	OfferNoAnswer OfferOutcome = "no_answer"
	OfferBusy     OfferOutcome = "busy"
	OfferRejected OfferOutcome = "rejected"
	// OfferFailed: the agent could not be reached (unregistered, congestion);
	// treated as no answer.
	OfferFailed OfferOutcome = "failed"
)

// CallEnded reports that a connected call ended (either side hung up).
type CallEnded struct{ Caller string }

// RemoveCaller takes a caller out of its queue on request (an API's hang-up)
// and hangs it up (the HangupCaller decision). A caller not yet connected
// leaves as on a timeout: its offers are cancelled and caller.left carries
// Reason. A connected caller's call ends: call.ended for its agent (who
// wraps up as after any call), then caller.left with Reason; the PBX side
// drops the agent's leg with the caller's.
type RemoveCaller struct {
	Caller string
	// Queue, when set, is the queue the caller must be in: a caller of
	// another queue is ErrUnknownCaller, as an unknown one is (so a tenant
	// can act only on its own queues' callers).
	Queue string
	// Reason goes on caller.left; empty means ReasonRemoved. It must not be
	// abandoned or completed, which say the caller hung up itself.
	Reason LeaveReason
}

// TransferCaller takes a caller out of its queue on request and sends it to
// Destination (the Transfer decision), waiting or connected, with the
// events of RemoveCaller; Reason defaults to ReasonTransferred.
type TransferCaller struct {
	Caller string
	// Queue, when set, is the queue the caller must be in (see RemoveCaller).
	Queue string
	// Destination is a transfer destination as the queues' own
	// (TimeoutTransferDst): a dialplan target or number the PBX side
	// understands; required, at most 256 bytes of UTF-8.
	Destination string
	Reason      LeaveReason
}

func (AddQueue) isCommand()           {}
func (RemoveQueue) isCommand()        {}
func (AddAgent) isCommand()           {}
func (RemoveAgent) isCommand()        {}
func (SetTier) isCommand()            {}
func (RemoveTier) isCommand()         {}
func (SetAgentStatus) isCommand()     {}
func (SetAgentState) isCommand()      {}
func (ResetAgentCounters) isCommand() {}
func (Join) isCommand()               {}
func (Hangup) isCommand()             {}
func (DTMF) isCommand()               {}
func (OfferResult) isCommand()        {}
func (CallEnded) isCommand()          {}
func (RemoveCaller) isCommand()       {}
func (TransferCaller) isCommand()     {}
