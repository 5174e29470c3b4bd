package dialer

import (
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Command is an input to a Dialer.
type Command interface{ isCommand() }

// PutTrunk creates or replaces a trunk (caller line).
type PutTrunk struct{ Trunk Trunk }

// AddCampaign adds a campaign; its Start decides when it runs.
type AddCampaign struct{ Campaign Campaign }

// UpdateCampaign replaces a campaign's configuration. Mode, queue and trunk
// may change only while it is not running.
type UpdateCampaign struct{ Campaign Campaign }

// RemoveCampaign forgets a campaign that is not running.
type RemoveCampaign struct{ Campaign string }

// StartCampaign starts (or resumes) a campaign by hand (udesk open true,
// zxycall start).
type StartCampaign struct{ Campaign string }

// StopCampaign stops a campaign: no new calls; in-flight calls finish
// (udesk open false, zxycall stop).
type StopCampaign struct{ Campaign string }

// AddContacts gives a campaign contacts, normally in answer to FetchContacts.
// Exhausted says the source has no more for now; a later AddContacts with
// Exhausted false (e.g. after an import) wakes the campaign again. Total, when
// known (>0), is the list's size for progress reports.
type AddContacts struct {
	Campaign  string
	Contacts  []Contact
	Exhausted bool
	Total     int
}

// FetchFailed says the contact source failed; the Dialer asks again at RetryAt.
type FetchFailed struct {
	Campaign string
	RetryAt  time.Time
}

func (FetchFailed) isCommand() {}

// CallEvent is a call event heard from the PBX.
type CallEvent struct{ Event telephony.Event }

// AgentSupply reports the agents of a queue, from whichever ACD serves it.
// Send it whenever it changes, and right after a QueueResult.
type AgentSupply struct {
	Queue   string
	Staffed int // logged in and available to this queue
	Idle    int // free now
	Busy    []BusyAgent
}

// BusyAgent is an agent on a call or in wrap-up.
type BusyAgent struct {
	Since time.Time // on the call since
	// FreeAt is when the agent frees up, when known (in wrap-up); zero while talking.
	FreeAt time.Time
	// WrapUp follows the call of a talking agent.
	WrapUp time.Duration
}

// QueueResult says whether a call handed to a queue reached an agent.
type QueueResult struct {
	Call      telephony.CallID
	Connected bool
	Agent     string
}

// Recall redials a number at a given time (udesk recall). Contact is needed
// when the number's contact is no longer in memory (finished).
type Recall struct {
	Campaign string
	Number   string // E.164
	At       time.Time
	Contact  *Contact
}

// FollowOn dials a number again now (udesk follow_on).
type FollowOn struct {
	Campaign string
	Number   string // E.164
	Contact  *Contact
}

// CancelContact drops a contact the dialer holds before its next try: it
// is finished without more calls (contact.finished, reason "cancelled").
// A contact with a try under way is refused (ErrState); one the dialer
// does not hold is ErrUnknownContact.
type CancelContact struct {
	Campaign string
	Contact  string
}

// ScriptTransfer is an IVR/robot script asking for a human (twin24 secondExec,
// zxycall transfer to customer_service): the call goes where the campaign's
// Destination.Transfer says. A call the PBX reports with
// telephony.EventScriptTransfer takes the same path; attempt.finished then
// carries the attrs "transfer" (queue, channel or hangup) and
// "transfer_agent".
type ScriptTransfer struct{ Call telephony.CallID }

// RecordingFailed says the PBX did not start a Record: the attempt carries
// no recording.
type RecordingFailed struct {
	Call telephony.CallID
	Name string
}

// HangupCall hangs up a tenant's live campaign call (either leg of a
// callback), ringing or connected, on request (the host API). The attempt
// finishes when the PBX reports the hangup, with the outcome its course
// gives and reason ReasonHungUpByAPI. Another tenant's call, or one that is
// not live, is ErrUnknownCall.
type HangupCall struct {
	Tenant string
	Call   telephony.CallID
}

// TransferCall sends a tenant's answered campaign call on to To in the
// dialplan (ContinueDialplan); a callback's other leg is hung up. The
// attempt finishes when the transferred call hangs up, with reason
// ReasonTransferredByAPI. A call still ringing, in machine detection, in
// a queue or playing the abandon message wraps ErrState; another tenant's
// call is ErrUnknownCall.
type TransferCall struct {
	Tenant string
	Call   telephony.CallID
	To     telephony.DialplanTarget
}

// Reasons an attempt.finished carries after call control.
const (
	ReasonHungUpByAPI      = "hung_up_by_api"
	ReasonTransferredByAPI = "transferred_by_api"
)

func (HangupCall) isCommand()      {}
func (TransferCall) isCommand()    {}
func (RecordingFailed) isCommand() {}
func (ScriptTransfer) isCommand()  {}
func (PutTrunk) isCommand()        {}
func (AddCampaign) isCommand()     {}
func (UpdateCampaign) isCommand()  {}
func (RemoveCampaign) isCommand()  {}
func (StartCampaign) isCommand()   {}
func (StopCampaign) isCommand()    {}
func (AddContacts) isCommand()     {}
func (CallEvent) isCommand()       {}
func (AgentSupply) isCommand()     {}
func (QueueResult) isCommand()     {}
func (Recall) isCommand()          {}
func (FollowOn) isCommand()        {}
func (CancelContact) isCommand()   {}

// Decision is an output of a Dialer for the PBX port or the engine.
type Decision interface{ isDecision() }

// Originate places a call.
type Originate struct {
	Campaign string
	Contact  string
	Attempt  string
	Request  telephony.OriginateRequest
}

// Hangup hangs a call up.
type Hangup struct {
	Call  telephony.CallID
	Cause telephony.Cause
}

// ContinueDialplan sends an answered call to the dialplan (IVR/robot).
type ContinueDialplan struct {
	Call telephony.CallID
	To   telephony.DialplanTarget
}

// Bridge connects calls (callback A and B).
type Bridge struct {
	Bridge telephony.BridgeID
	Calls  []telephony.CallID
}

// Record starts recording a call, both directions, until it ends, under
// Name (the PBX stores it; a campaign with Recording.Enabled). If the PBX
// refuses, the engine reports RecordingFailed.
type Record struct {
	Call telephony.CallID
	Name string
}

// HandToQueue gives an answered call to the ACD queue; the ACD answers with a
// QueueResult within MaxWait (zero: the queue's own limits, for a script's
// transfer).
type HandToQueue struct {
	Call    telephony.CallID
	Queue   string
	MaxWait time.Duration
	// Contact and Campaign let the agent's screen show who it is (preview).
	Campaign string
	Contact  string
}

// Play plays a message to a call (an abandoned call's apology). The Dialer
// hangs the call up when the PBX reports the playback finished, or after
// MaxAbandonMessage.
type Play struct {
	Call  telephony.CallID
	Media string
}

// Redirect transfers a call to a target (a channel or number).
type Redirect struct {
	Call telephony.CallID
	To   telephony.Target
}

func (Redirect) isDecision() {}

// FetchContacts asks the engine for up to Max more contacts of Campaign.
type FetchContacts struct {
	Campaign string
	Max      int
}

func (Originate) isDecision()        {}
func (Hangup) isDecision()           {}
func (ContinueDialplan) isDecision() {}
func (Bridge) isDecision()           {}
func (Record) isDecision()           {}
func (HandToQueue) isDecision()      {}
func (Play) isDecision()             {}
func (FetchContacts) isDecision()    {}
