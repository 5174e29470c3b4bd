package acd

import (
	"fmt"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Decision is an output of the ACD for the PBX side to carry out. Every
// exported type in this file whose name starts with a verb is one.
type Decision interface{ isDecision() }

// OfferID names one offer of one caller to one agent.
type OfferID uint64

// String formats the id for logs and call variables.
func (id OfferID) String() string { return fmt.Sprintf("offer-%d", id) }

// Hold starts hold for a caller that joined: music (Sound as MOH class) or ringback.
type Hold struct {
	Caller    string
	Sound     string
	SoundType string
}

// Offer rings an agent for a caller. The PBX side reports the result with
// OfferResult; the ACD itself cancels the offer after Timeout.
type Offer struct {
	ID     OfferID
	Caller string
	Queue  string
	Agent  string
	Target telephony.Target
	// CallerNumber and CallerName to present to the agent.
	CallerNumber string
	CallerName   string
	Timeout      time.Duration
}

// CancelOffer stops ringing an agent (another agent answered, the caller
// left, or the offer timed out).
type CancelOffer struct {
	ID     OfferID
	Caller string
	Agent  string
}

// Connect bridges a caller with the agent that answered offer ID.
type Connect struct {
	ID     OfferID
	Caller string
	Queue  string
	Agent  string
	Record bool
	// AgentAnnounceSound is played to the agent first, when set.
	AgentAnnounceSound string
	// Waited is how long the caller waited, for AgentReportWaitTime queues (else zero).
	Waited time.Duration
}

// Announce plays the queue's periodic announcement to a waiting caller.
type Announce struct {
	Caller string
	Sound  string
}

// Transfer sends a caller that leaves the queue to a destination. A caller
// that was connected (TransferCaller) leaves its agent: the PBX side drops
// the agent's leg and the bridge first.
type Transfer struct {
	Caller      string
	Destination string
	Reason      LeaveReason
}

// HangupCaller hangs up a caller that leaves the queue with nowhere to go.
// For a connected caller (RemoveCaller) the agent's leg goes too.
type HangupCaller struct {
	Caller string
	Reason LeaveReason
}

func (Hold) isDecision()         {}
func (Offer) isDecision()        {}
func (CancelOffer) isDecision()  {}
func (Connect) isDecision()      {}
func (Announce) isDecision()     {}
func (Transfer) isDecision()     {}
func (HangupCaller) isDecision() {}

// LeaveReason says why a caller left a queue.
type LeaveReason string

// Reasons a caller leaves.
const (
	ReasonAbandoned      LeaveReason = "abandoned"        // hung up while waiting
	ReasonTimeout        LeaveReason = "timeout"          // max_wait_time
	ReasonNoAgentTimeout LeaveReason = "no_agent_timeout" // max_wait_time_with_no_agent
	ReasonNoAvailable    LeaveReason = "no_available_agents"
	ReasonExitKey        LeaveReason = "exit_key"
	ReasonQueueRemoved   LeaveReason = "queue_removed"
	ReasonCompleted      LeaveReason = "completed" // was connected and the call ended
	// ReasonRemoved: taken out on request and hung up (RemoveCaller).
	ReasonRemoved LeaveReason = "removed"
	// ReasonTransferred: taken out on request and sent to a destination (TransferCaller).
	ReasonTransferred LeaveReason = "transferred"
)
