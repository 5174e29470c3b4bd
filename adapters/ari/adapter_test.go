package ari

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// env is an adapter connected to an emulator (or, with ARI_URL set, to a
// real Asterisk configured with testenv/compose).
type env struct {
	t     *testing.T
	emu   *asterisk.Server // nil against a real Asterisk
	a     *Adapter
	evs   <-chan telephony.Event
	ctx   context.Context
	extra []telephony.Event
}

func newEnv(t *testing.T, tweak func(*Config)) *env {
	t.Helper()
	return newEnvDisorder(t, nil, tweak)
}

// newEnvDisorder is newEnv with the emulator's Disorder (nil for none).
func newEnvDisorder(t *testing.T, d *asterisk.Disorder, tweak func(*Config)) *env {
	t.Helper()
	cfg := Config{LocalTemplate: "Local/{extension}@agents", NumberTemplate: "Local/{number}@customers", MinBackoff: 20 * time.Millisecond}
	var emu *asterisk.Server
	if u := os.Getenv("ARI_URL"); u != "" {
		cfg.Servers = []ServerConfig{{Name: "asterisk", URL: u, User: envOr("ARI_USER", "ari"), Password: envOr("ARI_PASSWORD", "ari")}}
	} else {
		var err error
		emu, err = asterisk.Start(asterisk.Config{Clock: &asterisk.Scaled{Factor: 10}, Disorder: d})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { emu.Close() })
		cfg.Servers = []ServerConfig{{Name: "emu", URL: emu.ARIURL(), User: "ari", Password: "ari"}}
	}
	if tweak != nil {
		tweak(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.Start()
	t.Cleanup(func() {
		cancel()
		a.Close()
	})
	evs, err := a.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, emu: emu, a: a, evs: evs, ctx: ctx}
	e.waitHealthy()
	return e
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// rest makes a plain ARI request (to set up simulated phones).
func (e *env) rest(method, path string) {
	e.t.Helper()
	srv := e.a.servers[0].cfg
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.SetBasicAuth(srv.User, srv.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		e.t.Fatalf("%s %s: %s", method, path, resp.Status)
	}
}

func (e *env) needEmulator() {
	if e.emu == nil {
		e.t.Skip("needs the emulator's programmable endpoints (ARI_URL is set)")
	}
}

func (e *env) waitHealthy() {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if e.a.Healthy() == nil {
			time.Sleep(20 * time.Millisecond) // let the app register
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("not healthy: %v", e.a.Healthy())
}

// next waits for an event of kind for call (any call when call is "").
func (e *env) next(kind telephony.EventKind, call telephony.CallID) telephony.Event {
	e.t.Helper()
	for i, ev := range e.extra {
		if ev.Kind == kind && (call == "" || ev.Call == call) {
			e.extra = append(e.extra[:i], e.extra[i+1:]...)
			return ev
		}
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-e.evs:
			if !ok {
				e.t.Fatal("event stream closed")
			}
			if ev.Kind == kind && (call == "" || ev.Call == call) {
				return ev
			}
			e.extra = append(e.extra, ev)
		case <-timeout:
			e.t.Fatalf("no %s for %q; other events: %+v", kind, call, e.extra)
		}
	}
}

func (e *env) originate(req telephony.OriginateRequest) {
	e.t.Helper()
	if err := e.a.Originate(e.ctx, req); err != nil {
		e.t.Fatalf("originate %s: %v", req.Call, err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := ServerConfig{URL: "http://127.0.0.1:8088/ari", User: "ari", Password: "ari"}
	tests := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"no servers", Config{}, "Servers"},
		{"bad url", Config{Servers: []ServerConfig{{URL: "ftp://x", User: "a", Password: "b"}}}, "Servers[0].URL"},
		{"no password", Config{Servers: []ServerConfig{{URL: "http://x/ari", User: "a"}}}, "Servers[0].User"},
		{"duplicate", Config{Servers: []ServerConfig{ok, ok}}, "Servers[1].Name"},
		{"local template", Config{Servers: []ServerConfig{ok}, LocalTemplate: "PJSIP/1001"}, "LocalTemplate"},
		{"number template", Config{Servers: []ServerConfig{ok}, NumberTemplate: "PJSIP/x@y"}, "NumberTemplate"},
		{"trunk template", Config{Servers: []ServerConfig{ok}, TrunkTemplates: map[string]string{"t1": "SIP/x"}}, "TrunkTemplates[t1]"},
		{"app", Config{Servers: []ServerConfig{ok}, App: "a,b"}, "App"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%s: err %v, want a ConfigError on %s", tt.name, err, tt.field)
		}
	}
	if _, err := New(Config{Servers: []ServerConfig{ok}}); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func TestDialString(t *testing.T) {
	cfg := Config{TrunkTemplates: map[string]string{"mobile": "Local/{number}@mobile-{trunk}"}}
	cfg.setDefaults()
	tests := []struct {
		target telephony.Target
		want   string
		field  string
	}{
		{telephony.Target{Extension: "1001"}, "PJSIP/1001", ""},
		{telephony.Target{Number: "+15551234", Trunk: "carrier"}, "PJSIP/+15551234@carrier", ""},
		{telephony.Target{Number: "5551234", Trunk: "mobile"}, "Local/5551234@mobile-mobile", ""},
		{telephony.Target{Number: "5551234"}, "", "Target.Trunk"},
		{telephony.Target{}, "", "Target"},
		{telephony.Target{Extension: "1", Number: "2"}, "", "Target"},
		{telephony.Target{Extension: "10/01"}, "", "Target.Extension"},
		{telephony.Target{Number: "1@x", Trunk: "t"}, "", "Target.Number"},
	}
	for _, tt := range tests {
		got, err := cfg.DialString(tt.target)
		var ie *InvalidRequestError
		switch {
		case tt.field == "" && (err != nil || got != tt.want):
			t.Errorf("%v: %q, %v; want %q", tt.target, got, err, tt.want)
		case tt.field != "" && (!errors.As(err, &ie) || ie.Field != tt.field):
			t.Errorf("%v: err %v, want InvalidRequestError on %s", tt.target, err, tt.field)
		}
	}
	cfg2 := Config{LocalTemplate: "Local/{extension}@agents"}
	cfg2.setDefaults()
	if got, _ := cfg2.DialString(telephony.Target{Extension: "1001"}); got != "Local/1001@agents" {
		t.Errorf("configured local template: %q", got)
	}
}

func TestOriginateAnswerHangup(t *testing.T) { originateAnswerHangup(t, nil) }

func originateAnswerHangup(t *testing.T, d *asterisk.Disorder) {
	e := newEnvDisorder(t, d, nil)
	e.originate(telephony.OriginateRequest{Call: "c1", Target: telephony.Target{Number: "100"}, CallerIDName: "Call Centre",
		CallerIDNumber: "5551000", Timeout: 30 * time.Second, Variables: map[string]string{"CC_CALL_ID": "c1"}})
	e.next(telephony.EventRinging, "c1")
	ans := e.next(telephony.EventAnswered, "c1")
	if ans.Server == "" || ans.At.IsZero() {
		t.Errorf("answered event %+v", ans)
	}
	if err := e.a.Hangup(e.ctx, "c1", telephony.CauseNormalClearing); err != nil {
		t.Fatal(err)
	}
	h := e.next(telephony.EventHangup, "c1")
	if h.Cause != telephony.CauseNormalClearing {
		t.Errorf("hangup cause %d", h.Cause)
	}
	if err := e.a.Hangup(e.ctx, "c1", 16); !errors.Is(err, ErrUnknownCall) {
		t.Errorf("hangup of an ended call: %v, want ErrUnknownCall", err)
	}
	if err := e.a.Originate(e.ctx, telephony.OriginateRequest{Call: "c2"}); err == nil {
		t.Error("originate without a target succeeded")
	}
}

// Every unanswered outcome, through the Q.850 table (behaviour 4: the ;1
// busy leg has cause 0, the adapter takes the cause from the Dial status).
func TestOriginateOutcomes(t *testing.T) { originateOutcomes(t, nil) }

func originateOutcomes(t *testing.T, d *asterisk.Disorder) {
	e := newEnvDisorder(t, d, func(c *Config) {
		c.TrunkTemplates = map[string]string{}
		for _, ctx := range []string{"busy", "noanswer", "congestion", "reject"} {
			c.TrunkTemplates[ctx] = "Local/{number}@" + ctx
		}
	})
	tests := []struct {
		trunk   string
		cause   telephony.Cause
		outcome telephony.Outcome
	}{
		{"busy", 17, telephony.OutcomeBusy},
		{"noanswer", 19, telephony.OutcomeNoAnswer},
		{"congestion", 34, telephony.OutcomeCongestion},
		{"reject", 21, telephony.OutcomeRejected},
	}
	for _, tt := range tests {
		id := telephony.CallID("out-" + tt.trunk)
		e.originate(telephony.OriginateRequest{Call: id, Target: telephony.Target{Number: "200", Trunk: tt.trunk}, Timeout: 5 * time.Second})
		f := e.next(telephony.EventOriginateFailed, id)
		if f.Cause != tt.cause || f.Outcome != tt.outcome {
			t.Errorf("%s: cause %d outcome %s, want %d %s", tt.trunk, f.Cause, f.Outcome, tt.cause, tt.outcome)
		}
	}
	for _, ev := range e.extra {
		if ev.Kind == telephony.EventAnswered {
			t.Errorf("answered event for a failed originate: %+v", ev)
		}
	}
}

// The inbound queue path: Stasis(switchboard,queue,support), an agent leg,
// a recorded bridge, DTMF, playback, hang-ups from both sides.
func TestInboundBridgeRecord(t *testing.T) { inboundBridgeRecord(t, nil) }

func inboundBridgeRecord(t *testing.T, d *asterisk.Disorder) {
	e := newEnvDisorder(t, d, nil)
	// A simulated inbound call: Local/support@switchboard-in runs
	// Stasis(switchboard,queue,support) on its ;2 half ("in-1"); the ;1 half
	// ("caller-1") is the caller's phone, holding in [hold].
	const inID = "in-1"
	e.rest("POST", "/channels?endpoint=Local/support@switchboard-in&context=hold&extension=hold&callerId=5552000&channelId=caller-1&otherChannelId="+inID)
	in := e.next(telephony.EventIncoming, "")
	if in.Call != telephony.CallID(inID) || len(in.Args) != 2 || in.Args[0] != "queue" || in.Args[1] != "support" || in.CallerNumber != "5552000" {
		t.Fatalf("incoming %+v", in)
	}
	for _, step := range []func() error{
		func() error { return e.a.StartRinging(e.ctx, in.Call) },
		func() error { return e.a.Answer(e.ctx, in.Call) },
		func() error { return e.a.StartMOH(e.ctx, in.Call, "default") },
		func() error { return e.a.StopMOH(e.ctx, in.Call) },
		func() error { return e.a.Play(e.ctx, in.Call, "sound:queue-periodic-announce") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if e.emu != nil { // a real Asterisk has no sound files or phone here
		e.next(telephony.EventPlaybackFinished, in.Call)
		if err := e.emu.SendDTMF(inID, "5"); err != nil {
			t.Fatal(err)
		}
		if d := e.next(telephony.EventDTMF, in.Call); d.Digit != "5" {
			t.Errorf("digit %q", d.Digit)
		}
	}
	if e.emu != nil { // talk long enough to be bridged on a loaded machine
		if err := e.emu.SetEndpoint("agents", "1001", asterisk.Behaviour{Result: asterisk.ResultAnswer, HangupAfter: 20 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	e.originate(telephony.OriginateRequest{Call: "agent-1001", Target: telephony.Target{Extension: "1001"}, Timeout: 20 * time.Second})
	e.next(telephony.EventAnswered, "agent-1001")
	if err := e.a.Bridge(e.ctx, "b-1", in.Call, "agent-1001"); err != nil {
		t.Fatal(err)
	}
	if err := e.a.RecordBridge(e.ctx, "b-1", "call-1"); err != nil {
		t.Fatal(err)
	}
	// The agent hangs up (after 5 s on a real Asterisk, 20 s on the emulator).
	if h := e.next(telephony.EventHangup, "agent-1001"); h.Cause != 16 {
		t.Errorf("agent hangup cause %d", h.Cause)
	}
	if err := e.a.Unbridge(e.ctx, "b-1", in.Call); err != nil {
		t.Fatal(err)
	}
	if err := e.a.DestroyBridge(e.ctx, "b-1"); err != nil {
		t.Fatal(err)
	}
	if e.emu != nil {
		if got := e.emu.Recordings(); len(got) != 1 || got[0] != "call-1" {
			t.Errorf("recordings %v", got)
		}
	}
	// The caller hangs up: a dialplan channel gets no ChannelDestroyed
	// (behaviour 3), the adapter settles it on StasisEnd.
	e.rest("DELETE", "/channels/caller-1")
	e.next(telephony.EventHangup, in.Call)
	if err := e.a.DestroyBridge(e.ctx, "b-1"); !errors.Is(err, ErrUnknownBridge) {
		t.Errorf("destroying a destroyed bridge: %v", err)
	}
}

func TestAMDThroughDialplan(t *testing.T) { amdThroughDialplan(t, nil) }

func amdThroughDialplan(t *testing.T, d *asterisk.Disorder) {
	e := newEnvDisorder(t, d, nil)
	e.needEmulator()
	if err := e.emu.SetEndpoint("customers", "301", asterisk.Behaviour{Result: asterisk.ResultMachine, RingFor: time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := e.emu.SetEndpoint("customers", "302", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		exten   string
		machine bool
	}{{"301", true}, {"302", false}} {
		id := telephony.CallID("amd-" + tt.exten)
		e.originate(telephony.OriginateRequest{Call: id, Target: telephony.Target{Number: tt.exten}, Timeout: 10 * time.Second, DetectMachine: true})
		e.next(telephony.EventAnswered, id)
		if m := e.next(telephony.EventMachineDetection, id); m.Machine != tt.machine {
			t.Errorf("%s: machine %v, want %v", tt.exten, m.Machine, tt.machine)
		}
		if err := e.a.Continue(e.ctx, id, telephony.DialplanTarget{Context: "hold", Extension: "hold", Priority: 1}); err != nil {
			t.Fatal(err)
		}
		if err := e.a.Hangup(e.ctx, id, 16); err != nil {
			t.Fatal(err)
		}
		e.next(telephony.EventHangup, id)
	}
}

// A WebSocket drop in the middle of a call: the call ends while the adapter
// is away; after the reconnect the reconcile settles it.
func TestWebSocketDropReconcile(t *testing.T) { webSocketDropReconcile(t, nil) }

func webSocketDropReconcile(t *testing.T, d *asterisk.Disorder) {
	e := newEnvDisorder(t, d, func(c *Config) { c.MinBackoff = 300 * time.Millisecond })
	e.needEmulator()
	if err := e.emu.SetEndpoint("customers", "401", asterisk.Behaviour{Result: asterisk.ResultAnswer}); err != nil {
		t.Fatal(err)
	}
	e.originate(telephony.OriginateRequest{Call: "keep", Target: telephony.Target{Number: "401"}, Timeout: 10 * time.Second})
	e.originate(telephony.OriginateRequest{Call: "lose", Target: telephony.Target{Number: "401"}, Timeout: 10 * time.Second})
	e.next(telephony.EventAnswered, "keep")
	e.next(telephony.EventAnswered, "lose")
	e.emu.DropWebSockets()
	deadline := time.Now().Add(2 * time.Second)
	for e.a.Healthy() == nil && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if st := e.a.State()["emu"]; st != StateReconnecting {
		t.Fatalf("state after drop %s", st)
	}
	if err := e.emu.HangupChannel("lose", 16); err != nil { // events for it are lost
		t.Fatal(err)
	}
	h := e.next(telephony.EventHangup, "lose")
	if h.Kind != telephony.EventHangup {
		t.Fatalf("%+v", h)
	}
	if n := e.a.Reconnects()["emu"]; n != 1 {
		t.Errorf("reconnects %d", n)
	}
	if err := e.a.Healthy(); err != nil {
		t.Errorf("healthy after reconnect: %v", err)
	}
	// The surviving call is still controllable and its events flow again.
	if err := e.a.Hangup(e.ctx, "keep", 16); err != nil {
		t.Fatal(err)
	}
	e.next(telephony.EventHangup, "keep")
}

func TestNotConnectedAndBadInput(t *testing.T) {
	a, err := New(Config{Servers: []ServerConfig{{URL: "http://127.0.0.1:1/ari", User: "a", Password: "b"}}, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	defer a.Close()
	time.Sleep(30 * time.Millisecond)
	if err := a.Healthy(); !errors.Is(err, ErrNotConnected) || !strings.Contains(err.Error(), "connecting") {
		t.Errorf("healthy with no Asterisk: %v", err)
	}
	ctx := context.Background()
	if err := a.Originate(ctx, telephony.OriginateRequest{Call: "x", Target: telephony.Target{Extension: "1"}}); !errors.Is(err, ErrNotConnected) {
		t.Errorf("originate while down: %v", err)
	}
	if err := a.Answer(ctx, "nope"); !errors.Is(err, ErrUnknownCall) {
		t.Errorf("answer unknown: %v", err)
	}
	var ie *InvalidRequestError
	if err := a.Originate(ctx, telephony.OriginateRequest{Target: telephony.Target{Extension: "1"}}); !errors.As(err, &ie) || ie.Field != "Call" {
		t.Errorf("originate without call id: %v", err)
	}
	if err := a.Continue(ctx, "x", telephony.DialplanTarget{}); !errors.As(err, &ie) || ie.Field != "Context" {
		t.Errorf("continue without context: %v", err)
	}
}

func TestRedirect(t *testing.T) {
	e := newEnv(t, nil)
	e.needEmulator()
	if err := e.emu.SetEndpoint("customers", "501", asterisk.Behaviour{Result: asterisk.ResultAnswer}); err != nil {
		t.Fatal(err)
	}
	e.originate(telephony.OriginateRequest{Call: "r1", Target: telephony.Target{Number: "501"}, Timeout: 10 * time.Second})
	e.next(telephony.EventAnswered, "r1")
	if err := e.a.Redirect(e.ctx, "r1", telephony.Target{Extension: "1002"}); err != nil {
		t.Fatal(err)
	}
	// Redirected to Local/1002@agents, which talks 5 s and hangs up.
	e.next(telephony.EventHangup, "r1")
}

// Two Asterisk servers: originates go to the connected server with the
// fewest live calls; events say which server owns the call.
func TestTwoServersSpreadOriginates(t *testing.T) {
	if os.Getenv("ARI_URL") != "" {
		t.Skip("needs two emulators (ARI_URL is set)")
	}
	var servers []ServerConfig
	for _, name := range []string{"pbx-a", "pbx-b"} {
		emu, err := asterisk.Start(asterisk.Config{Clock: &asterisk.Scaled{Factor: 20}})
		if err != nil {
			t.Fatal(err)
		}
		defer emu.Close()
		servers = append(servers, ServerConfig{Name: name, URL: emu.ARIURL(), User: "ari", Password: "ari"})
	}
	a, err := New(Config{Servers: servers, NumberTemplate: "Local/{number}@noanswer"})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evs, err := a.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); a.Healthy() != nil; {
		if time.Now().After(deadline) {
			t.Fatal(a.Healthy())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	for _, id := range []telephony.CallID{"m1", "m2"} {
		if err := a.Originate(ctx, telephony.OriginateRequest{Call: id, Target: telephony.Target{Number: "700"}, Timeout: 60 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	servedBy := map[telephony.CallID]string{}
	for len(servedBy) < 2 {
		select {
		case ev := <-evs:
			if ev.Kind == telephony.EventRinging {
				servedBy[ev.Call] = ev.Server
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ringing events: %v", servedBy)
		}
	}
	if servedBy["m1"] == servedBy["m2"] {
		t.Errorf("both calls on %s", servedBy["m1"])
	}
	for _, id := range []telephony.CallID{"m1", "m2"} {
		if err := a.Hangup(ctx, id, 16); err != nil {
			t.Error(err)
		}
	}
}

// A half-open WebSocket (no error, no events, app unknown to Asterisk) is
// found by the REST liveness check and replaced; the call that ended in the
// meantime is settled by the reconcile.
func TestHalfOpenWebSocketDetected(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PingInterval = 30 * time.Millisecond })
	e.needEmulator()
	if err := e.emu.SetEndpoint("customers", "801", asterisk.Behaviour{Result: asterisk.ResultAnswer}); err != nil {
		t.Fatal(err)
	}
	e.originate(telephony.OriginateRequest{Call: "h1", Target: telephony.Target{Number: "801"}, Timeout: 10 * time.Second})
	e.next(telephony.EventAnswered, "h1")
	e.emu.StallWebSockets()
	if err := e.emu.HangupChannel("h1", 16); err != nil {
		t.Fatal(err)
	}
	e.next(telephony.EventHangup, "h1")
	if n := e.a.Reconnects()["emu"]; n != 1 {
		t.Errorf("reconnects %d, want 1", n)
	}
}

// The default dial templates (PJSIP/{extension}, PJSIP/{number}@{trunk})
// against the emulator's programmable PJSIP phones.
func TestDefaultPJSIPTemplates(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LocalTemplate, c.NumberTemplate = "PJSIP/{extension}", "PJSIP/{number}@{trunk}" })
	e.needEmulator()
	if err := e.emu.SetEndpoint("endpoints", "5550100", asterisk.Behaviour{Result: asterisk.ResultBusy}); err != nil {
		t.Fatal(err)
	}
	e.originate(telephony.OriginateRequest{Call: "p1", Target: telephony.Target{Extension: "1001"}, Timeout: 10 * time.Second})
	e.next(telephony.EventRinging, "p1")
	e.next(telephony.EventAnswered, "p1")
	e.originate(telephony.OriginateRequest{Call: "p2", Target: telephony.Target{Number: "5550100", Trunk: "carrier"}, Timeout: 10 * time.Second})
	if f := e.next(telephony.EventOriginateFailed, "p2"); f.Outcome != telephony.OutcomeBusy {
		t.Errorf("busy phone: %+v", f)
	}
	if err := e.a.Hangup(e.ctx, "p1", 16); err != nil {
		t.Fatal(err)
	}
	e.next(telephony.EventHangup, "p1")
	if n := len(e.emu.Channels()); n != 0 {
		t.Errorf("%d channels left", n)
	}
}

// A channel the adapter did not originate that enters Stasis as "outbound"
// (an originate whose REST reply was lost) is hung up, not taken for an
// inbound call.
func TestOrphanedOutboundIsHungUp(t *testing.T) {
	e := newEnv(t, nil)
	e.needEmulator()
	if err := e.emu.SetEndpoint("customers", "901", asterisk.Behaviour{Result: asterisk.ResultAnswer}); err != nil {
		t.Fatal(err)
	}
	e.rest("POST", "/channels?endpoint=Local/901@customers&app=switchboard&appArgs=outbound&channelId=orphan")
	deadline := time.Now().Add(5 * time.Second)
	for len(e.emu.Channels()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("orphan still up: %v", e.emu.Channels())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, ev := range e.extra {
		if ev.Kind == telephony.EventIncoming {
			t.Errorf("orphan reported as incoming: %+v", ev)
		}
	}
	select {
	case ev := <-e.evs:
		if ev.Kind == telephony.EventIncoming {
			t.Errorf("orphan reported as incoming: %+v", ev)
		}
	default:
	}
}
