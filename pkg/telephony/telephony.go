// Package telephony is the PBX port: what the core asks of a PBX (originate,
// answer, bridge, hang up, play, record, continue to dialplan, redirect) and
// the call events it hears back. adapters/ari and adapters/ami implement it
// for Asterisk; telephonytest implements it on a virtual clock.
//
// Consumers take the smallest interface they need (Originator, Controller,
// Bridger, Recorder, Media, EventSource); Port is all of them.
package telephony

import (
	"context"
	"time"
)

// CallID names one call leg. The core chooses it when it originates; the PBX
// assigns it for inbound calls.
type CallID string

// BridgeID names one mixing bridge.
type BridgeID string

// Target is whom to dial. Exactly one of Extension and Number is set. The
// adapter turns it into a dial string with its configured templates (local
// agents "PJSIP/{extension}", numbers "PJSIP/{number}@{trunk}").
type Target struct {
	Extension string `json:"extension,omitempty"` // a local endpoint, e.g. "1001"
	Number    string `json:"number,omitempty"`    // an external number, E.164 when known
	Trunk     string `json:"trunk,omitempty"`     // the trunk (caller line) for Number
}

// String renders the target for logs.
func (t Target) String() string {
	if t.Extension != "" {
		return "ext:" + t.Extension
	}
	if t.Trunk != "" {
		return t.Number + "@" + t.Trunk
	}
	return t.Number
}

// DialplanTarget is a place in the Asterisk dialplan (IVR, robot script).
type DialplanTarget struct {
	Context   string `json:"context"`
	Extension string `json:"extension"`
	Priority  int    `json:"priority"`
}

// OriginateRequest asks the PBX to place a call.
type OriginateRequest struct {
	Call           CallID
	Target         Target
	CallerIDName   string
	CallerIDNumber string
	// Timeout is how long the callee may ring before the PBX gives up (no_answer).
	Timeout   time.Duration
	Variables map[string]string
	// DetectMachine routes the answered call through answering-machine detection;
	// the result arrives as an EventMachineDetection event.
	DetectMachine bool
}

// Originator places calls.
type Originator interface {
	Originate(ctx context.Context, req OriginateRequest) error
}

// Controller acts on one call leg.
type Controller interface {
	Answer(ctx context.Context, call CallID) error
	Hangup(ctx context.Context, call CallID, cause Cause) error
	// Continue sends the call to the dialplan (it leaves the core's control).
	Continue(ctx context.Context, call CallID, to DialplanTarget) error
	// Redirect transfers the call to another target (blind transfer).
	Redirect(ctx context.Context, call CallID, to Target) error
}

// Bridger connects call legs.
type Bridger interface {
	// Bridge puts the calls into the mixing bridge, creating it if needed.
	Bridge(ctx context.Context, bridge BridgeID, calls ...CallID) error
	// Unbridge removes a call from a bridge.
	Unbridge(ctx context.Context, bridge BridgeID, call CallID) error
	DestroyBridge(ctx context.Context, bridge BridgeID) error
	// RecordBridge starts recording the bridge under name.
	RecordBridge(ctx context.Context, bridge BridgeID, name string) error
}

// Recorder records calls.
type Recorder interface {
	// RecordCall records both directions of a call under name, from now
	// until the call ends, wherever it goes (the dialplan, a bridge). The
	// PBX stores the file under name; a name already used is overwritten.
	RecordCall(ctx context.Context, call CallID, name string) error
}

// Media plays sounds to a call.
type Media interface {
	// Play plays a sound (an Asterisk media URI such as "sound:queue-periodic-announce").
	Play(ctx context.Context, call CallID, media string) error
	StartMOH(ctx context.Context, call CallID, class string) error
	StopMOH(ctx context.Context, call CallID) error
	// StartRinging plays ringback to the caller instead of music.
	StartRinging(ctx context.Context, call CallID) error
}

// EventSource streams call events. The channel closes when ctx ends.
type EventSource interface {
	Events(ctx context.Context) (<-chan Event, error)
}

// Port is the whole PBX port.
type Port interface {
	Originator
	Controller
	Bridger
	Recorder
	Media
	EventSource
}

// EventKind says what a call event is.
type EventKind string

// Call event kinds.
const (
	// EventIncoming is a call that entered the core from the dialplan,
	// e.g. Stasis(switchboard,queue,<queue>); Args holds the app arguments.
	EventIncoming         EventKind = "incoming"
	EventRinging          EventKind = "ringing"
	EventAnswered         EventKind = "answered"
	EventHangup           EventKind = "hangup"
	EventDTMF             EventKind = "dtmf"
	EventMachineDetection EventKind = "machine_detection"
	EventPlaybackFinished EventKind = "playback_finished"
	EventOriginateFailed  EventKind = "originate_failed"
	// EventScriptTransfer is a call the core sent to the dialplan (an IVR or
	// robot script) coming back asking for a human, e.g. with
	// Stasis(switchboard,handoff).
	EventScriptTransfer EventKind = "script_transfer"
)

// Event is something that happened to a call.
type Event struct {
	Kind EventKind
	Call CallID
	At   time.Time
	// Hangup and OriginateFailed: the cause and the outcome it maps to.
	Cause   Cause
	Outcome Outcome
	// DTMF: the digit.
	Digit string
	// MachineDetection: true when a machine answered.
	Machine bool
	// Incoming: the caller's number and the dialplan arguments;
	// ScriptTransfer: the arguments after the hand-off word.
	CallerNumber string
	Args         []string
	// Server is the PBX that owns the call, for deployments with several.
	Server string
}
