package ari_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/ari"
	"github.com/switchboard-cc/switchboard/adapters/inbound"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

type acdRecorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *acdRecorder) Publish(es ...event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, es...)
}

func (r *acdRecorder) has(pred func(event.Event) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if pred(e) {
			return true
		}
	}
	return false
}

func (r *acdRecorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, fmt.Sprintf("%s q=%s a=%s %s->%s %s", e.Type, e.Queue, e.Agent, e.From, e.To, e.Reason))
	}
	return out
}

type acdEnv struct {
	t    *testing.T
	port *ari.Adapter
	emu  *asterisk.Server
	eng  *acd.Engine
	rec  *acdRecorder
	ctx  context.Context
}

func newACDEnv(t *testing.T, minBackoff time.Duration) *acdEnv {
	t.Helper()
	return newACDEnvDisorder(t, minBackoff, nil)
}

// newACDEnvDisorder is newACDEnv with the emulator's Disorder (nil for none).
func newACDEnvDisorder(t *testing.T, minBackoff time.Duration, d *asterisk.Disorder) *acdEnv {
	t.Helper()
	clk := &asterisk.Scaled{Factor: 10}
	emu, err := asterisk.Start(asterisk.Config{Clock: clk, Disorder: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	port, err := ari.New(ari.Config{Servers: []ari.ServerConfig{{Name: "emu", URL: emu.ARIURL(), User: "ari", Password: "ari"}},
		LocalTemplate: "Local/{extension}@agents", Clock: clk, MinBackoff: minBackoff})
	if err != nil {
		t.Fatal(err)
	}
	port.Start()
	t.Cleanup(func() { port.Close() })
	for deadline := time.Now().Add(5 * time.Second); port.Healthy() != nil; {
		if time.Now().After(deadline) {
			t.Fatal(port.Healthy())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	rec := &acdRecorder{}
	// The product's call control: adapters/inbound binds the ACD to the port.
	binding, err := inbound.New(inbound.Config{Port: port, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := acd.NewEngine(acd.EngineConfig{Clock: clk, Decisions: binding, Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := binding.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = eng.Run(ctx) }()
	go func() {
		defer wg.Done()
		if err := binding.Run(ctx, eng); err != nil {
			t.Errorf("binding: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return &acdEnv{t: t, port: port, emu: emu, eng: eng, rec: rec, ctx: ctx}
}

func (e *acdEnv) do(cmds ...acd.Command) {
	e.t.Helper()
	for _, c := range cmds {
		if err := e.eng.Do(e.ctx, c); err != nil {
			e.t.Fatalf("%T: %v", c, err)
		}
	}
}

func (e *acdEnv) agent(id, ext string, wrap time.Duration, queue string, pos int) {
	e.t.Helper()
	cfg := acd.NewAgentConfig(id, acd.LocalAgent)
	cfg.Extension, cfg.WrapUpTime, cfg.CallTimeout = ext, wrap, 4*time.Second
	e.do(acd.AddAgent{Config: cfg}, acd.SetTier{Tier: acd.Tier{Queue: queue, Agent: id, Level: 1, Position: pos}},
		acd.SetAgentStatus{Agent: id, Status: acd.Available, Source: "api"})
}

func (e *acdEnv) waitFor(what string, pred func(event.Event) bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !e.rec.has(pred) {
		if time.Now().After(deadline) {
			e.t.Fatalf("no %s; events:\n%s", what, strings.Join(e.rec.lines(), "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitIdle waits until the PBX has no channels and every agent is waiting.
func (e *acdEnv) waitIdle(agents ...string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var states []string
		_ = e.eng.Read(e.ctx, func(v acd.View, _ time.Time) {
			for _, a := range agents {
				info, _ := v.Agent(a)
				states = append(states, a+"="+string(info.State))
			}
		})
		chans := e.emu.Channels()
		ok := len(chans) == 0
		for _, s := range states {
			ok = ok && strings.HasSuffix(s, "="+string(acd.Waiting))
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("not idle: agents %v, channels %v; events:\n%s", states, chans, strings.Join(e.rec.lines(), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func typed(t event.Type, agent string) func(event.Event) bool {
	return func(e event.Event) bool { return e.Type == t && (agent == "" || e.Agent == agent) }
}

// A caller joins a ring-all queue; both agents ring, the quicker answers, the
// call is bridged and recorded, the agent hangs up, wrap-up, ready again.
func TestACDRingAllBridgeRecordWrapUp(t *testing.T) { acdRingAllBridgeRecordWrapUp(t, nil) }

func acdRingAllBridgeRecordWrapUp(t *testing.T, d *asterisk.Disorder) {
	e := newACDEnvDisorder(t, 0, d)
	if err := e.emu.SetEndpoint("agents", "1001", asterisk.Behaviour{Result: asterisk.ResultAnswer, HangupAfter: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := e.emu.SetEndpoint("agents", "1002", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: 3 * time.Second, HangupAfter: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	q := acd.NewQueueConfig("support")
	q.Strategy, q.RecordEnabled = acd.RingAll, true
	e.do(acd.AddQueue{Config: q})
	e.agent("a1", "1001", 2*time.Second, "support", 1)
	e.agent("a2", "1002", 0, "support", 2)
	if _, err := e.emu.Call("Local/support@switchboard-in", "5551234"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("caller.joined", typed(event.CallerJoined, ""))
	e.waitFor("offer to a1", typed(event.CallerOffered, "a1"))
	e.waitFor("offer to a2", typed(event.CallerOffered, "a2"))
	e.waitFor("bridged to a1", typed(event.CallerBridged, "a1"))
	e.waitFor("a2's offer cancelled", typed(event.OfferCancelled, "a2"))
	e.waitFor("call.ended", typed(event.CallEnded, "a1"))
	e.waitFor("a1 wrap-up", func(ev event.Event) bool {
		return ev.Type == event.AgentStateChanged && ev.Agent == "a1" && ev.To == "wrap_up"
	})
	e.waitFor("caller.left completed", func(ev event.Event) bool { return ev.Type == event.CallerLeft && ev.Reason == "completed" })
	e.waitIdle("a1", "a2")
	if recs := e.emu.Recordings(); len(recs) != 1 || !strings.HasPrefix(recs[0], "queue-support-") {
		t.Errorf("recordings %v", recs)
	}
	if e.rec.has(typed(event.CallerBridged, "a2")) {
		t.Error("the caller was bridged to a2 too")
	}
}

// sequentially-by-agent-order: the first agent never answers; after its
// call timeout the ACD moves on to the second.
func TestACDSequentialNoAnswerMovesOn(t *testing.T) {
	e := newACDEnv(t, 0)
	if err := e.emu.SetEndpoint("agents", "2101", asterisk.Behaviour{Result: asterisk.ResultNoAnswer}); err != nil {
		t.Fatal(err)
	}
	if err := e.emu.SetEndpoint("agents", "2102", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	q := acd.NewQueueConfig("sales")
	q.Strategy = acd.SequentiallyByAgentOrder
	e.do(acd.AddQueue{Config: q})
	e.agent("b1", "2101", 0, "sales", 1)
	e.agent("b2", "2102", 0, "sales", 2)
	if _, err := e.emu.Call("Local/sales@switchboard-in", "5555678"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("offer to b1", typed(event.CallerOffered, "b1"))
	e.waitFor("b1 no answer", func(ev event.Event) bool {
		return (ev.Type == event.OfferFailed || ev.Type == event.OfferCancelled) && ev.Agent == "b1"
	})
	e.waitFor("offer to b2", typed(event.CallerOffered, "b2"))
	e.waitFor("bridged to b2", typed(event.CallerBridged, "b2"))
	e.waitFor("call.ended", typed(event.CallEnded, "b2"))
	e.waitIdle("b2")
}

// A WebSocket drop in the middle of a bridged call: the agent hangs up while
// the adapter is away; the reconcile after the reconnect reports it, the
// call ends, the caller is hung up and the agent is not left stuck in_call.
func TestACDWebSocketDropMidCall(t *testing.T) { acdWebSocketDropMidCall(t, nil) }

func acdWebSocketDropMidCall(t *testing.T, d *asterisk.Disorder) {
	e := newACDEnvDisorder(t, 5*time.Second, d) // on the emulator's clock: 0.5 s of real time
	if err := e.emu.SetEndpoint("agents", "3101", asterisk.Behaviour{Result: asterisk.ResultAnswer}); err != nil {
		t.Fatal(err)
	}
	q := acd.NewQueueConfig("care")
	e.do(acd.AddQueue{Config: q})
	e.agent("c1", "3101", 0, "care", 1)
	if _, err := e.emu.Call("Local/care@switchboard-in", "5550000"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("bridged to c1", typed(event.CallerBridged, "c1"))
	// caller.bridged is the ACD's decision; wait for the PBX bridge itself.
	var leg string
	for deadline := time.Now().Add(5 * time.Second); leg == ""; {
		for _, b := range e.emu.Bridges() {
			for _, id := range e.emu.BridgeChannels(b) {
				if strings.Contains(id, "-offer-") && !strings.HasSuffix(id, "-2") {
					leg = id
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no bridged agent leg among %v", e.emu.Channels())
		}
		time.Sleep(time.Millisecond)
	}
	e.emu.DropWebSockets()
	for deadline := time.Now().Add(2 * time.Second); e.port.Healthy() == nil; {
		if time.Now().After(deadline) {
			t.Fatal("adapter never noticed the drop")
		}
		time.Sleep(time.Millisecond)
	}
	if err := e.emu.HangupChannel(leg, 16); err != nil { // the agent hangs up; the event is lost
		t.Fatal(err)
	}
	if e.port.Healthy() == nil {
		t.Fatal("reconnected before the hang-up: the test did not lose the event")
	}
	if e.rec.has(typed(event.CallEnded, "c1")) {
		t.Fatal("call.ended before the reconnect")
	}
	e.waitFor("call.ended after reconnect", typed(event.CallEnded, "c1"))
	if n := e.port.Reconnects()["emu"]; n != 1 {
		t.Errorf("reconnects %d", n)
	}
	e.waitIdle("c1")
}

// Behaviours 8, 9 and 14 against the ACD: the same calls with the emulator's
// Disorder on (cross-channel interleaving, skewed timestamps, shuffled JSON
// fields), for a few seeds.
func TestACDUnderDisorder(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		d := &asterisk.Disorder{Seed: seed}
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Run("RingAllBridgeRecordWrapUp", func(t *testing.T) { acdRingAllBridgeRecordWrapUp(t, d) })
			t.Run("WebSocketDropMidCall", func(t *testing.T) { acdWebSocketDropMidCall(t, d) })
		})
	}
}
