// Package event defines the domain events of Switchboard: the one schema that
// every sink (webhooks, agent events, dashboard, metrics, dialect plugins)
// consumes. The ACD, the dialer and the adapters emit these values; they carry
// no behaviour.
package event

import "time"

// Type names what happened, as "<subject>.<verb>".
type Type string

// Queue and caller events (pkg/acd).
const (
	CallerJoined    Type = "caller.joined"  // a caller entered a queue
	CallerOffered   Type = "caller.offered" // a caller was offered to an agent (the agent is rung)
	OfferCancelled  Type = "caller.offer_cancelled"
	OfferFailed     Type = "caller.offer_failed" // the agent did not take the offer (Reason: no_answer, busy, rejected, failed)
	CallerBridged   Type = "caller.bridged"      // an agent answered and the caller is connected
	CallerAnnounced Type = "caller.announced"    // the periodic announcement was played
	CallerLeft      Type = "caller.left"         // the caller is gone from the queue (Reason says why)
	CallEnded       Type = "call.ended"          // a bridged queue call ended
	QueueChanged    Type = "queue.changed"       // a queue was created or reconfigured
	QueueRemoved    Type = "queue.removed"
)

// Agent events (pkg/acd).
const (
	AgentStatusChanged Type = "agent.status_changed" // logged_out / available / available_on_demand / on_break
	AgentStateChanged  Type = "agent.state_changed"  // idle / waiting / receiving / in_call / wrap_up
	AgentChanged       Type = "agent.changed"        // an agent was created or reconfigured
	AgentRemoved       Type = "agent.removed"
	TierChanged        Type = "tier.changed"
	TierRemoved        Type = "tier.removed"
)

// Campaign and attempt events (pkg/dialer).
const (
	CampaignStateChanged Type = "campaign.state_changed"
	CampaignProgress     Type = "campaign.progress"
	AttemptStarted       Type = "attempt.started"   // a contact's number is being dialled
	AttemptAnswered      Type = "attempt.answered"  // the callee answered
	AttemptConnected     Type = "attempt.connected" // the answered call reached its destination (agent, IVR, B leg)
	AttemptFinished      Type = "attempt.finished"  // the attempt ended with Outcome
	ContactScheduled     Type = "contact.scheduled" // a redial was scheduled (Attrs["at"], "number", "once")
	ContactFinished      Type = "contact.finished"  // no more attempts for this contact
	CampaignChanged      Type = "campaign.changed"  // a campaign was reconfigured
	CampaignDelayed      Type = "campaign.delayed"  // dialling paused for a while (Reason: delayed_asr; Attrs["until"])
	ContactRejected      Type = "contact.rejected"  // a contact was not accepted (Reason: duplicate, invalid_number, …)
)

// Event is one thing that happened. Fields that do not apply stay empty.
type Event struct {
	// ID identifies the event for idempotency: sinks derive their delivery
	// ids from it, so an event carried twice is delivered once. Engines may
	// leave it empty; the bus or the outbox assigns one.
	ID       string    `json:"id,omitempty"`
	Type     Type      `json:"type"`
	At       time.Time `json:"at"`
	Tenant   string    `json:"tenant,omitempty"`
	Queue    string    `json:"queue,omitempty"`
	Agent    string    `json:"agent,omitempty"`
	Call     string    `json:"call,omitempty"` // a caller's or attempt's call id
	Campaign string    `json:"campaign,omitempty"`
	Contact  string    `json:"contact,omitempty"`
	Attempt  string    `json:"attempt,omitempty"`
	From     string    `json:"from,omitempty"` // previous status/state
	To       string    `json:"to,omitempty"`   // new status/state
	Reason   string    `json:"reason,omitempty"`
	Outcome  string    `json:"outcome,omitempty"`
	// Number is the caller's or callee's phone number.
	Number string `json:"number,omitempty"`
	// DurationMS is how long, in milliseconds: the wait for caller.bridged
	// and caller.left, the talk time for call.ended.
	DurationMS int64 `json:"duration_ms,omitempty"`
	// Source says who caused a change (api, phone, supervisor, system).
	Source string            `json:"source,omitempty"`
	Attrs  map[string]string `json:"attrs,omitempty"`
}

// Publisher takes events out of an engine. Implementations must not block for
// long: engines call it while they own their state.
type Publisher interface {
	Publish(events ...Event)
}

// PublisherFunc adapts a function to Publisher.
type PublisherFunc func(events ...Event)

// Publish calls f.
func (f PublisherFunc) Publish(events ...Event) { f(events...) }

// Discard is a Publisher that drops every event.
var Discard Publisher = PublisherFunc(func(...Event) {})
