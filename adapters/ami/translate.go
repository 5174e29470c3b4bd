package ami

import (
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Agent states and statuses, in the native ACD's words (pkg/acd).
const (
	stateWaiting   = "waiting"
	stateReceiving = "receiving"
	stateInCall    = "in_call"

	statusLoggedOut = "logged_out"
	statusAvailable = "available"
	statusOnBreak   = "on_break"
)

// Translator turns app_queue AMI events into the domain events the native
// ACD emits (caller.joined, caller.offered, caller.offer_failed,
// caller.offer_cancelled, caller.bridged, caller.left, call.ended,
// agent.status_changed, agent.state_changed). It is a pure state machine:
// feed it frames in arrival order with the time they arrived.
//
// Agents are named by MemberName (the native ACD's agent id), calls by the
// caller channel's Uniqueid.
type Translator struct {
	callers map[string]*qcaller // by caller Uniqueid
	legs    map[string]*qleg    // member legs by DestChannel name
	states  map[string]string   // agent -> state
	status  map[string]string   // queue|agent -> status
}

type qcaller struct {
	queue     string
	number    string
	leftOK    bool // QueueCallerLeave seen, waiting to learn why
	abandoned bool
	agent     string
}

type qleg struct {
	call, queue, agent string
	done               bool
}

// NewTranslator returns an empty translator.
func NewTranslator() *Translator {
	return &Translator{callers: map[string]*qcaller{}, legs: map[string]*qleg{}, states: map[string]string{}, status: map[string]string{}}
}

func agentOf(f Frame) string {
	if n := f.Get("MemberName"); n != "" {
		return n
	}
	return f.Get("Interface")
}

func (t *Translator) setState(out []event.Event, at time.Time, agent, to string) []event.Event {
	from := t.states[agent]
	if from == "" {
		from = stateWaiting
	}
	if from == to {
		return out
	}
	t.states[agent] = to
	return append(out, event.Event{Type: event.AgentStateChanged, At: at, Agent: agent, From: from, To: to, Source: "phone"})
}

func (t *Translator) setStatus(out []event.Event, at time.Time, queue, agent, to, reason string) []event.Event {
	k := queue + "|" + agent
	from := t.status[k]
	if from == "" {
		from = statusLoggedOut
	}
	if from == to {
		return out
	}
	t.status[k] = to
	if to == statusLoggedOut {
		delete(t.status, k)
	}
	return append(out, event.Event{Type: event.AgentStatusChanged, At: at, Queue: queue, Agent: agent, From: from, To: to, Reason: reason, Source: "api"})
}

func ms(seconds int) int64 { return int64(seconds) * 1000 }

// Translate returns the domain events one AMI frame produces.
func (t *Translator) Translate(f Frame, at time.Time) []event.Event {
	var out []event.Event
	ev := f.Get("Event")
	call := f.Get("Uniqueid")
	queue := f.Get("Queue")
	// A caller who left the queue without being connected: QueueCallerLeave
	// comes before AgentConnect (behaviour 13), so the reason is settled by
	// the caller's next event.
	if c := t.callers[call]; c != nil && c.leftOK && ev != "AgentConnect" && ev != "QueueCallerLeave" {
		switch ev {
		case "Newexten", "Hangup", "HangupRequest", "SoftHangupRequest", "VarSet":
			reason := "timeout"
			if ev == "VarSet" && f.Get("Variable") != "QUEUESTATUS" {
				break
			}
			if ev == "VarSet" {
				reason = strings.ToLower(f.Get("Value"))
			}
			out = append(out, event.Event{Type: event.CallerLeft, At: at, Queue: c.queue, Call: call, Number: c.number, Reason: reason})
			delete(t.callers, call)
		}
	}
	switch ev {
	case "QueueCallerJoin":
		num := f.Get("CallerIDNum")
		if num == "<unknown>" {
			num = ""
		}
		t.callers[call] = &qcaller{queue: queue, number: num}
		out = append(out, event.Event{Type: event.CallerJoined, At: at, Queue: queue, Call: call, Number: num,
			Attrs: map[string]string{"position": f.Get("Position")}})
	case "AgentCalled":
		agent := agentOf(f)
		t.legs[f.Get("DestChannel")] = &qleg{call: call, queue: queue, agent: agent}
		num := ""
		if c := t.callers[call]; c != nil {
			num = c.number
		}
		out = append(out, event.Event{Type: event.CallerOffered, At: at, Queue: queue, Call: call, Agent: agent, Number: num,
			Attrs: map[string]string{"interface": f.Get("Interface")}})
		out = t.setState(out, at, agent, stateReceiving)
	case "AgentRingNoAnswer":
		if l := t.legs[f.Get("DestChannel")]; l != nil && !l.done {
			l.done = true
			out = append(out, event.Event{Type: event.OfferFailed, At: at, Queue: l.queue, Call: l.call, Agent: l.agent, Reason: "no_answer",
				DurationMS: int64(f.Int("RingTime"))}) // app_queue reports RingTime in ms here
			out = t.setState(out, at, l.agent, stateWaiting)
		}
	case "DialEnd":
		l := t.legs[f.Get("DestChannel")]
		if l == nil || l.done {
			break
		}
		switch st := f.Get("DialStatus"); st {
		case "ANSWER":
		case "CANCEL":
			l.done = true
			out = append(out, event.Event{Type: event.OfferCancelled, At: at, Queue: l.queue, Call: l.call, Agent: l.agent})
			out = t.setState(out, at, l.agent, stateWaiting)
		default:
			l.done = true
			reason := "failed"
			switch st {
			case "BUSY":
				reason = "busy"
			case "NOANSWER":
				reason = "no_answer"
			}
			out = append(out, event.Event{Type: event.OfferFailed, At: at, Queue: l.queue, Call: l.call, Agent: l.agent, Reason: reason})
			out = t.setState(out, at, l.agent, stateWaiting)
		}
	case "Hangup":
		delete(t.legs, f.Get("Channel"))
	case "AgentConnect":
		agent := agentOf(f)
		if l := t.legs[f.Get("DestChannel")]; l != nil {
			l.done = true
		}
		c := t.callers[call]
		if c == nil {
			c = &qcaller{queue: queue}
			t.callers[call] = c
		}
		c.leftOK, c.agent = false, agent
		out = append(out, event.Event{Type: event.CallerBridged, At: at, Queue: queue, Call: call, Agent: agent, Number: c.number,
			DurationMS: ms(f.Int("HoldTime"))})
		out = t.setState(out, at, agent, stateInCall)
	case "AgentComplete":
		agent := agentOf(f)
		num := ""
		if c := t.callers[call]; c != nil {
			num = c.number
		}
		delete(t.callers, call)
		out = append(out,
			event.Event{Type: event.CallEnded, At: at, Queue: queue, Call: call, Agent: agent, Number: num,
				DurationMS: ms(f.Int("TalkTime")), Reason: f.Get("Reason")},
			event.Event{Type: event.CallerLeft, At: at, Queue: queue, Call: call, Agent: agent, Number: num,
				Reason: "completed", DurationMS: ms(f.Int("HoldTime"))})
		out = t.setState(out, at, agent, stateWaiting)
	case "QueueCallerAbandon":
		c := t.callers[call]
		num := ""
		if c != nil {
			num = c.number
		}
		delete(t.callers, call)
		out = append(out, event.Event{Type: event.CallerLeft, At: at, Queue: queue, Call: call, Number: num, Reason: "abandoned",
			DurationMS: ms(f.Int("HoldTime"))})
	case "QueueCallerLeave":
		if c := t.callers[call]; c != nil {
			c.leftOK = true
		}
	case "QueueMemberAdded":
		to := statusAvailable
		if f.Get("Paused") == "1" {
			to = statusOnBreak
		}
		out = t.setStatus(out, at, queue, agentOf(f), to, f.Get("PausedReason"))
	case "QueueMemberRemoved":
		out = t.setStatus(out, at, queue, agentOf(f), statusLoggedOut, "")
	case "QueueMemberPause":
		to := statusAvailable
		if f.Get("Paused") == "1" {
			to = statusOnBreak
		}
		out = t.setStatus(out, at, queue, agentOf(f), to, f.Get("PausedReason"))
	}
	return out
}
