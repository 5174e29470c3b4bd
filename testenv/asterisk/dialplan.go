package asterisk

import (
	"fmt"
	"strings"
	"time"
)

// App is one dialplan priority: an application and its data. ${EXTEN} in
// Data is replaced by the extension being run.
type App struct {
	Name string
	Data string
}

// Context is a dialplan context: explicit extensions, and a pattern used for
// any other extension (like `_X.` in the traces' extensions.conf).
type Context struct {
	Extensions map[string][]App
	Any        []App
}

// Dialplan maps context names to contexts.
type Dialplan map[string]*Context

func (d Dialplan) lookup(ctx, exten string) ([]App, bool) {
	c, ok := d[ctx]
	if !ok {
		return nil, false
	}
	if apps, ok := c.Extensions[exten]; ok {
		return apps, true
	}
	if c.Any != nil && len(exten) >= 2 {
		return c.Any, true
	}
	return nil, false
}

func apps(pairs ...string) []App {
	out := make([]App, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, App{Name: pairs[i], Data: pairs[i+1]})
	}
	return out
}

// robotScenario stands in for a vendor's robot or IVR scenario.
func robotScenario() []App {
	return apps("NoOp", "Scenario ${EXTEN}", "Answer", "", "Wait", "8", "Hangup", "")
}

// handoffScenario stands in for a robot that talks for secs and then asks
// for a human, as a real script does: Goto(switchboard-handoff,s,1).
func handoffScenario(secs string) []App {
	return apps("NoOp", "Scenario ${EXTEN} asking for a human", "Answer", "", "Wait", secs, "Goto", "switchboard-handoff,s,1")
}

// DefaultDialplan is DefaultDialplanFor the Stasis app "switchboard".
func DefaultDialplan() Dialplan { return DefaultDialplanFor("switchboard") }

// DefaultDialplanFor is the extensions.conf of the traces plus the
// switchboard-in, switchboard-amd and switchboard-out contexts for the Stasis
// application app (see testenv/compose/asterisk/extensions.conf).
func DefaultDialplanFor(app string) Dialplan {
	amd := apps("NoOp", "AMD ${EXTEN}", "AMD", "", "Stasis", app+",amd,${AMDSTATUS},${AMDCAUSE}", "Hangup", "")
	return Dialplan{
		"agents":         {Any: apps("NoOp", "Agent ${EXTEN} answering", "Answer", "", "Wait", "5", "Hangup", "")},
		"customers":      {Any: apps("NoOp", "Customer ${EXTEN}", "Ringing", "", "Wait", "2", "Answer", "", "Wait", "10", "Hangup", "")},
		"busy":           {Any: apps("NoOp", "Busy ${EXTEN}", "Busy", "")},
		"noanswer":       {Any: apps("NoOp", "No answer ${EXTEN}", "Ringing", "", "Wait", "3600")},
		"reject":         {Any: apps("NoOp", "Reject ${EXTEN}", "Ringing", "", "Wait", "1", "Hangup", "21")},
		"congestion":     {Any: apps("NoOp", "Congestion ${EXTEN}", "Congestion", "")},
		"stasis":         {Any: apps("NoOp", "Inbound ${EXTEN} to Stasis", "Stasis", "callcentre,inbound,${EXTEN}", "Hangup", "")},
		"queue-in":       {Any: apps("NoOp", "Queue call ${EXTEN}", "Queue", "support,,,,60", "Hangup", "")},
		"queue-overflow": {Any: apps("NoOp", "Overflow queue call ${EXTEN}", "Queue", "overflow,,,,60", "Hangup", "")},
		"hold":           {Any: apps("NoOp", "Holding ${EXTEN}", "Wait", "60", "Hangup", "")},
		// The vendor dialects' robot/IVR scenarios (twin24-robot,<uuid>;
		// udesk-ivr,<ivr>; zxycall's default,<extension>): stand-ins that
		// answer and talk 8 s, so a campaign made through a dialect's API
		// has calls to watch. Tests program their own with SetEndpoint.
		"twin24-robot": {Any: robotScenario()},
		"udesk-ivr":    {Any: robotScenario()},
		"default":      {Any: robotScenario()},
		// robot-handoff is a scenario that talks 3 s and asks for a human.
		"robot-handoff": {Any: handoffScenario("3")},
		// switchboard-handoff returns a call a script asks a human for to
		// the app: Stasis(<app>,handoff) (see testenv/compose/extensions.conf).
		"switchboard-handoff": {Extensions: map[string][]App{"s": apps("NoOp", "Hand-off to "+app, "Stasis", app+",handoff", "Hangup", "")}},
		// endpoints are the phones behind PJSIP/<ext> and PJSIP/<number>@<trunk>
		// dial strings: by default they ring 2 s and answer; program one
		// with SetEndpoint("endpoints", <ext or number>, …).
		"endpoints": {Any: apps("NoOp", "Phone ${EXTEN}", "Ringing", "", "Wait", "2", "Answer", "", "Wait", "3600", "Hangup", "")},
		// switchboard-out holds an answered AMI-originated call (a real
		// deployment routes it to Stasis, a queue or an IVR).
		"switchboard-out": {Extensions: map[string][]App{"s": apps("NoOp", "Outbound answered", "Wait", "3600", "Hangup", "")}},
		// switchboard-in hands an inbound call to the switchboard app's queue
		// <exten> (see testenv/compose/extensions.conf).
		"switchboard-in": {Any: apps("NoOp", "Inbound ${EXTEN}", "Stasis", app+",queue,${EXTEN}", "Hangup", "")},
		// switchboard-amd runs AMD() on an answered outbound call and hands it
		// back to the Stasis app with the result.
		"switchboard-amd": {Extensions: map[string][]App{"s": amd}, Any: amd},
	}
}

// Behaviour programs an emulated endpoint (an extension in a context).
type Behaviour struct {
	// Result is what the far end does: answer, busy, noanswer, congestion, machine, reject.
	Result Result
	// RingFor is how long it rings before it answers (Answer, Machine).
	RingFor time.Duration
	// HangupAfter is how long it talks after answering before it hangs up
	// (0: it stays until the other side hangs up).
	HangupAfter time.Duration
	// HandoffAfter, when set, makes an answering endpoint a robot script
	// that talks this long and then asks for a human: it goes to
	// switchboard-handoff,s,1 (Stasis(<app>,handoff)) instead of hanging up.
	HandoffAfter time.Duration
}

// Result is what an emulated endpoint does when called.
type Result string

// Endpoint results.
const (
	ResultAnswer     Result = "answer"
	ResultBusy       Result = "busy"
	ResultNoAnswer   Result = "noanswer"
	ResultCongestion Result = "congestion"
	ResultMachine    Result = "machine"
	ResultReject     Result = "reject"
	// ResultUnallocated: the number does not exist (Q.850 1).
	ResultUnallocated Result = "unallocated"
)

func (b Behaviour) apps(exten string) ([]App, error) {
	secs := func(d time.Duration) string { return fmt.Sprintf("%g", d.Seconds()) }
	talk := apps("Wait", "3600")
	switch {
	case b.HandoffAfter > 0:
		talk = apps("Wait", secs(b.HandoffAfter), "Goto", "switchboard-handoff,s,1")
	case b.HangupAfter > 0:
		talk = apps("Wait", secs(b.HangupAfter), "Hangup", "")
	}
	out := apps("NoOp", "Endpoint "+exten)
	switch b.Result {
	case ResultAnswer, ResultMachine:
		if b.Result == ResultMachine {
			out = append(out, App{"Set", "AMD_EMULATED=MACHINE"})
		}
		if b.RingFor > 0 {
			out = append(out, apps("Ringing", "", "Wait", secs(b.RingFor))...)
		}
		out = append(out, App{"Answer", ""})
		out = append(out, talk...)
	case ResultBusy:
		out = append(out, App{"Busy", ""})
	case ResultNoAnswer:
		out = append(out, apps("Ringing", "", "Wait", "3600")...)
	case ResultCongestion:
		out = append(out, App{"Congestion", ""})
	case ResultReject:
		if b.RingFor > 0 {
			out = append(out, apps("Ringing", "", "Wait", secs(b.RingFor))...)
		}
		out = append(out, App{"Hangup", "21"})
	case ResultUnallocated:
		out = append(out, App{"Hangup", "1"})
	default:
		return nil, fmt.Errorf("asterisk emulator: endpoint %s: unknown result %q", exten, b.Result)
	}
	return out, nil
}

// SetEndpoint programs extension exten in context ctx (e.g. "customers",
// "5550100") to behave as b. It replaces any earlier program.
func (s *Server) SetEndpoint(ctx, exten string, b Behaviour) error {
	prog, err := b.apps(exten)
	if err != nil {
		return err
	}
	return s.do(func() {
		c := s.st.dialplan[ctx]
		if c == nil {
			c = &Context{}
			s.st.dialplan[ctx] = c
		}
		if c.Extensions == nil {
			c.Extensions = map[string][]App{}
		}
		c.Extensions[exten] = prog
	})
}

func substitute(data string, vars func(string) string) string {
	for {
		i := strings.Index(data, "${")
		if i < 0 {
			return data
		}
		j := strings.Index(data[i:], "}")
		if j < 0 {
			return data
		}
		data = data[:i] + vars(data[i+2:i+j]) + data[i+j+1:]
	}
}

// QueueConfig is one app_queue queue.
type QueueConfig struct {
	Name     string
	Strategy string // ringall, rrmemory, linear, leastrecent, fewestcalls
	Timeout  time.Duration
	Retry    time.Duration
	Members  []MemberConfig
}

// MemberConfig is a static queue member.
type MemberConfig struct {
	Interface string // e.g. Local/1001@agents
	Name      string
}

// DefaultQueues is the queues.conf of the traces.
func DefaultQueues() []QueueConfig {
	return []QueueConfig{
		{Name: "overflow", Strategy: "ringall", Timeout: 3 * time.Second, Retry: time.Second,
			Members: []MemberConfig{{"Local/2001@noanswer", "Agent 2001"}}},
		{Name: "support", Strategy: "ringall", Timeout: 15 * time.Second, Retry: 2 * time.Second,
			Members: []MemberConfig{{"Local/1001@agents", "Agent 1001"}, {"Local/1002@agents", "Agent 1002"}}},
	}
}
