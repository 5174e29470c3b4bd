package inbound_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/ari"
	"github.com/switchboard-cc/switchboard/adapters/inbound"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// events collects the ACD's domain events.
type events struct {
	mu  sync.Mutex
	all []event.Event
	ch  chan event.Event
}

func (e *events) Publish(es ...event.Event) {
	e.mu.Lock()
	e.all = append(e.all, es...)
	e.mu.Unlock()
	for _, ev := range es {
		select {
		case e.ch <- ev:
		default:
		}
	}
}

// wait returns the first event of type typ that matches, or fails after a
// (real) timeout.
func (e *events) wait(t *testing.T, typ event.Type, match func(event.Event) bool) event.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	seen := 0
	for {
		e.mu.Lock()
		for ; seen < len(e.all); seen++ {
			if ev := e.all[seen]; ev.Type == typ && (match == nil || match(ev)) {
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		select {
		case <-e.ch:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s event", typ)
		}
	}
}

type rig struct {
	emu     *asterisk.Server
	port    *ari.Adapter
	engine  *acd.Engine
	binding *inbound.Binding
	events  *events
	ctx     context.Context
	results chan handoffResult
}

type handoffResult struct {
	call      telephony.CallID
	connected bool
	agent     string
}

// newRig runs the ACD engine, the ARI adapter and the binding against the
// emulator, all on one clock running 20 times faster than the wall.
func newRig(t *testing.T) *rig {
	t.Helper()
	clk := &asterisk.Scaled{Factor: 20}
	emu, err := asterisk.Start(asterisk.Config{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	port, err := ari.New(ari.Config{
		Servers:       []ari.ServerConfig{{Name: "emu", URL: emu.ARIURL(), User: "ari", Password: "ari"}},
		LocalTemplate: "Local/{extension}@agents", NumberTemplate: "Local/{number}@customers",
		Clock: clk, MinBackoff: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	port.Start()
	t.Cleanup(func() { port.Close() })
	results := make(chan handoffResult, 8)
	binding, err := inbound.New(inbound.Config{Port: port, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnHandoffResult: func(call telephony.CallID, connected bool, agent string) {
			results <- handoffResult{call, connected, agent}
		}})
	if err != nil {
		t.Fatal(err)
	}
	evs := &events{ch: make(chan event.Event, 64)}
	engine, err := acd.NewEngine(acd.EngineConfig{Clock: clk, Decisions: binding, Events: evs})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := binding.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = engine.Run(ctx) })
	wg.Go(func() {
		if err := binding.Run(ctx, engine); err != nil {
			t.Errorf("binding: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	deadline := time.Now().Add(5 * time.Second)
	for port.Healthy() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("adapter never connected: %v", port.Healthy())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return &rig{emu: emu, port: port, engine: engine, binding: binding, events: evs, ctx: ctx, results: results}
}

// eventually waits (in real time) until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) do(t *testing.T, cmds ...acd.Command) {
	t.Helper()
	for _, c := range cmds {
		if err := r.engine.Do(r.ctx, c); err != nil {
			t.Fatalf("%T: %v", c, err)
		}
	}
}

func (r *rig) agent(t *testing.T, id, ext string, level int, mod func(*acd.AgentConfig)) {
	t.Helper()
	cfg := acd.NewAgentConfig(id, acd.LocalAgent)
	cfg.Extension = ext
	if mod != nil {
		mod(&cfg)
	}
	r.do(t, acd.AddAgent{Config: cfg}, acd.SetTier{Tier: acd.Tier{Queue: "support", Agent: id, Level: level}},
		acd.SetAgentStatus{Agent: id, Status: acd.Available})
}

func (r *rig) agentState(t *testing.T, id string) acd.State {
	t.Helper()
	var st acd.State
	if err := r.engine.Read(r.ctx, func(v acd.View, _ time.Time) {
		info, err := v.Agent(id)
		if err != nil {
			t.Error(err)
		}
		st = info.State
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// A caller joins a ring-all queue: both agents ring, the one that answers is
// bridged and recorded, the other offer is cancelled; the caller hangs up and
// the agent wraps up.
func TestQueueCallThroughARI(t *testing.T) {
	r := newRig(t)
	q := acd.NewQueueConfig("support")
	q.Strategy = acd.RingAll
	q.RecordEnabled = true
	r.do(t, acd.AddQueue{Config: q})
	if err := r.emu.SetEndpoint("agents", "1001", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := r.emu.SetEndpoint("agents", "1002", asterisk.Behaviour{Result: asterisk.ResultNoAnswer}); err != nil {
		t.Fatal(err)
	}
	r.agent(t, "a1", "1001", 0, func(c *acd.AgentConfig) { c.WrapUpTime = 30 * time.Second })
	r.agent(t, "a2", "1002", 0, nil)

	callID, err := r.emu.Call("Local/support@switchboard-in", "89215650644")
	if err != nil {
		t.Fatal(err)
	}
	joined := r.events.wait(t, event.CallerJoined, nil)
	if joined.Call != callID || joined.Number != "89215650644" || joined.Queue != "support" {
		t.Fatalf("joined %+v", joined)
	}
	r.events.wait(t, event.CallerOffered, func(e event.Event) bool { return e.Agent == "a1" })
	r.events.wait(t, event.CallerOffered, func(e event.Event) bool { return e.Agent == "a2" })
	bridged := r.events.wait(t, event.CallerBridged, nil)
	if bridged.Agent != "a1" {
		t.Fatalf("bridged to %s, want a1 (a2 never answers)", bridged.Agent)
	}
	r.events.wait(t, event.OfferCancelled, func(e event.Event) bool { return e.Agent == "a2" })
	eventually(t, "the queue call's bridge", func() bool { return len(r.emu.Bridges()) == 1 })
	if st := r.agentState(t, "a2"); st != acd.Waiting {
		t.Fatalf("a2 %s after its offer was cancelled", st)
	}

	if err := r.emu.HangupChannel(callID, 16); err != nil {
		t.Fatal(err)
	}
	ended := r.events.wait(t, event.CallEnded, nil)
	if ended.Agent != "a1" || ended.Call != callID {
		t.Fatalf("ended %+v", ended)
	}
	r.events.wait(t, event.AgentStateChanged, func(e event.Event) bool { return e.Agent == "a1" && e.To == string(acd.WrapUp) })
	r.events.wait(t, event.AgentStateChanged, func(e event.Event) bool { return e.Agent == "a1" && e.To == string(acd.Waiting) })
	eventually(t, "no channels and a recording", func() bool { return len(r.emu.Channels()) == 0 && len(r.emu.Recordings()) > 0 })
	if recs := r.emu.Recordings(); !slices.Equal(recs, []string{"queue-support-" + callID}) {
		t.Fatalf("recordings %v", recs)
	}
}

// Agent legs that end busy or unanswered go back to the ACD as offer
// results, with their delays; the caller is offered to the next agent.
func TestBusyAgentThenNextByStrategy(t *testing.T) {
	r := newRig(t)
	q := acd.NewQueueConfig("support")
	q.Strategy = acd.TopDown
	r.do(t, acd.AddQueue{Config: q})
	if err := r.emu.SetEndpoint("agents", "2001", asterisk.Behaviour{Result: asterisk.ResultBusy}); err != nil {
		t.Fatal(err)
	}
	if err := r.emu.SetEndpoint("agents", "2002", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	r.agent(t, "first", "2001", 0, nil)
	r.agent(t, "second", "2002", 1, nil)
	callID, err := r.emu.Call("Local/support@switchboard-in", "89876543210")
	if err != nil {
		t.Fatal(err)
	}
	failed := r.events.wait(t, event.OfferFailed, nil)
	if failed.Agent != "first" || failed.Reason != string(acd.OfferBusy) {
		t.Fatalf("first offer ended %+v, want busy", failed)
	}
	bridged := r.events.wait(t, event.CallerBridged, nil)
	if bridged.Agent != "second" || bridged.Call != callID {
		t.Fatalf("bridged %+v", bridged)
	}
	// The agent hangs up after 20 s: the caller is hung up too.
	ended := r.events.wait(t, event.CallEnded, nil)
	if ended.Agent != "second" {
		t.Fatalf("ended %+v", ended)
	}
	eventually(t, "no channels after the call", func() bool { return len(r.emu.Channels()) == 0 })
}

// A caller of a queue that does not exist is hung up, not left in Stasis.
func TestUnknownQueueHangsUp(t *testing.T) {
	r := newRig(t)
	if _, err := r.emu.Call("Local/nosuchqueue@switchboard-in", "1"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the caller hung up", func() bool { return len(r.emu.Channels()) == 0 })
}

// The max-wait timeout transfers the caller into the dialplan.
func TestTimeoutTransfer(t *testing.T) {
	r := newRig(t)
	q := acd.NewQueueConfig("support")
	q.MaxWaitTime = 10 * time.Second
	q.TimeoutTransferDst = "hold,timeout,1"
	r.do(t, acd.AddQueue{Config: q})
	callID, err := r.emu.Call("Local/support@switchboard-in", "5")
	if err != nil {
		t.Fatal(err)
	}
	left := r.events.wait(t, event.CallerLeft, nil)
	if left.Call != callID || left.Reason != string(acd.ReasonTimeout) {
		t.Fatalf("left %+v", left)
	}
}

// The ARI WebSocket drops in the middle of a connected call and the caller
// hangs up while it is down: after the reconnect the adapter settles the
// call, so the ACD ends it and the agent is not left in a call.
func TestWebSocketDropMidCall(t *testing.T) {
	r := newRig(t)
	r.do(t, acd.AddQueue{Config: acd.NewQueueConfig("support")})
	if err := r.emu.SetEndpoint("agents", "3001", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second}); err != nil {
		t.Fatal(err)
	}
	r.agent(t, "a1", "3001", 0, nil)
	callID, err := r.emu.Call("Local/support@switchboard-in", "7")
	if err != nil {
		t.Fatal(err)
	}
	r.events.wait(t, event.CallerBridged, nil)
	eventually(t, "the bridge", func() bool { return len(r.emu.Bridges()) == 1 })
	r.emu.DropWebSockets()
	if err := r.emu.HangupChannel(callID, 16); err != nil {
		t.Fatal(err)
	}
	ended := r.events.wait(t, event.CallEnded, nil)
	if ended.Call != callID || ended.Agent != "a1" {
		t.Fatalf("ended %+v", ended)
	}
	eventually(t, "a1 free again", func() bool { return r.agentState(t, "a1") == acd.Waiting })
	eventually(t, "no channels left", func() bool { return len(r.emu.Channels()) == 0 })
}

// A call may name its queue by name when the binding resolves names.
func TestQueueByName(t *testing.T) {
	clk := &asterisk.Scaled{Factor: 20}
	emu, err := asterisk.Start(asterisk.Config{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	port, err := ari.New(ari.Config{Servers: []ari.ServerConfig{{Name: "emu", URL: emu.ARIURL(), User: "ari", Password: "ari"}},
		LocalTemplate: "Local/{extension}@agents", Clock: clk, MinBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	port.Start()
	t.Cleanup(func() { port.Close() })
	binding, err := inbound.New(inbound.Config{Port: port, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ResolveQueue: func(_ context.Context, arg string) (string, error) {
			if arg == "sales" {
				return "7", nil
			}
			return "", errors.New("no such queue")
		}})
	if err != nil {
		t.Fatal(err)
	}
	evs := &events{ch: make(chan event.Event, 64)}
	engine, _ := acd.NewEngine(acd.EngineConfig{Clock: clk, Decisions: binding, Events: evs})
	ctx, cancel := context.WithCancel(context.Background())
	if err := binding.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = engine.Run(ctx) })
	wg.Go(func() { _ = binding.Run(ctx, engine) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	if err := engine.Do(ctx, acd.AddQueue{Config: acd.NewQueueConfig("7")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the adapter connected", func() bool { return port.Healthy() == nil })
	callID, err := emu.Call("Local/sales@switchboard-in", "5")
	if err != nil {
		t.Fatal(err)
	}
	if j := evs.wait(t, event.CallerJoined, nil); j.Queue != "7" || j.Call != callID {
		t.Fatalf("joined %+v", j)
	}
}

// An outbound call answered by a customer is handed to a queue: an agent is
// connected and the hand-off reports it; with no agent, the call's own
// MaxWait ends it and the hand-off reports that too.
func TestHandToQueue(t *testing.T) {
	r := newRig(t)
	r.do(t, acd.AddQueue{Config: acd.NewQueueConfig("support")})
	if err := r.emu.SetEndpoint("agents", "4001", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second}); err != nil {
		t.Fatal(err)
	}
	r.agent(t, "a1", "4001", 0, nil)
	evs, err := r.port.Events(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	dial := func(id telephony.CallID) {
		t.Helper()
		if err := r.port.Originate(r.ctx, telephony.OriginateRequest{Call: id, Target: telephony.Target{Number: "5550100"}, Timeout: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(10 * time.Second)
		for {
			select {
			case ev := <-evs:
				if ev.Call == id && ev.Kind == telephony.EventAnswered {
					return
				}
			case <-deadline:
				t.Fatalf("%s never answered", id)
			}
		}
	}
	wait := func() handoffResult {
		t.Helper()
		select {
		case res := <-r.results:
			return res
		case <-time.After(10 * time.Second):
			t.Fatal("no hand-off result")
		}
		return handoffResult{}
	}
	dial("out-1")
	if err := r.binding.HandToQueue(r.ctx, "out-1", "support", "contact 7", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if res := wait(); res.call != "out-1" || !res.connected || res.agent != "a1" {
		t.Fatalf("first hand-off %+v, want connected to a1", res)
	}
	dial("out-2") // a1 is busy with out-1
	if err := r.binding.HandToQueue(r.ctx, "out-2", "support", "contact 8", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if res := wait(); res.call != "out-2" || res.connected {
		t.Fatalf("second hand-off %+v, want not connected", res)
	}
	if err := r.binding.HandToQueue(r.ctx, "out-3", "nosuchqueue", "", time.Second); err != nil {
		t.Fatal(err)
	}
	if res := wait(); res.call != "out-3" || res.connected {
		t.Fatalf("hand-off to an unknown queue %+v", res)
	}
}

// A connected caller taken out on request (RemoveCaller, TransferCaller)
// loses its agent: the agent's leg is hung up and the bridge goes, the
// agent is free for the next call, and the caller is hung up or continues
// in the dialplan at the destination.
func TestRemoveConnectedCaller(t *testing.T) {
	for _, c := range []struct {
		name   string
		cmd    func(call string) acd.Command
		reason acd.LeaveReason
		dst    string // the dialplan context the caller is in afterwards; "": hung up
	}{
		{"hung up", func(call string) acd.Command { return acd.RemoveCaller{Caller: call, Queue: "support"} }, acd.ReasonRemoved, ""},
		{"transferred", func(call string) acd.Command {
			return acd.TransferCaller{Caller: call, Queue: "support", Destination: "hold,moved,1"}
		}, acd.ReasonTransferred, "hold"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			r.do(t, acd.AddQueue{Config: acd.NewQueueConfig("support")})
			if err := r.emu.SetEndpoint("agents", "5001", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second}); err != nil {
				t.Fatal(err)
			}
			r.agent(t, "a1", "5001", 0, nil)
			callID, err := r.emu.Call("Local/support@switchboard-in", "89215650644")
			if err != nil {
				t.Fatal(err)
			}
			r.events.wait(t, event.CallerBridged, nil)
			eventually(t, "the bridge", func() bool { return len(r.emu.Bridges()) == 1 })
			agentLeg := ""
			for _, ch := range r.emu.BridgeChannels(r.emu.Bridges()[0]) {
				if ch != callID {
					agentLeg = ch
				}
			}
			r.do(t, c.cmd(callID))
			if left := r.events.wait(t, event.CallerLeft, nil); left.Call != callID || left.Reason != string(c.reason) || left.Agent != "a1" {
				t.Fatalf("caller.left %+v", left)
			}
			eventually(t, "the bridge and the agent's leg gone", func() bool {
				return len(r.emu.Bridges()) == 0 && !slices.Contains(r.emu.Channels(), agentLeg)
			})
			eventually(t, "a1 free again", func() bool { return r.agentState(t, "a1") == acd.Waiting })
			if c.dst == "" {
				eventually(t, "the caller hung up", func() bool { return !slices.Contains(r.emu.Channels(), callID) })
				return
			}
			eventually(t, "the caller in "+c.dst, func() bool { return channelContext(t, r.emu, callID) == c.dst })
		})
	}
}

// channelContext reads a channel's dialplan context over ARI ("" when it
// is gone).
func channelContext(t *testing.T, emu *asterisk.Server, id string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, emu.ARIURL()+"/channels/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("ari", "ari")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ch struct {
		Dialplan struct {
			Context string `json:"context"`
		} `json:"dialplan"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&ch) != nil {
		return ""
	}
	return ch.Dialplan.Context
}
