package ami

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

const traces = "../../testenv/asterisk/testdata/traces/"

func loadFrames(t *testing.T, name string) []Frame {
	t.Helper()
	b, err := os.ReadFile(traces + name)
	if err != nil {
		t.Fatal(err)
	}
	frames, rest, banner := parseFrames(string(b))
	if banner != "Asterisk Call Manager/11.0.0" || strings.TrimSpace(rest) != "" {
		t.Fatalf("banner %q rest %q", banner, rest)
	}
	return frames
}

func summary(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		s := string(e.Type)
		for _, f := range []struct{ k, v string }{{"queue", e.Queue}, {"call", e.Call}, {"agent", e.Agent}, {"from", e.From},
			{"to", e.To}, {"reason", e.Reason}, {"number", e.Number}} {
			if f.v != "" {
				s += " " + f.k + "=" + f.v
			}
		}
		if e.DurationMS != 0 {
			s += fmt.Sprintf(" ms=%d", e.DurationMS)
		}
		out = append(out, s)
	}
	return out
}

func translateAll(frames []Frame) []event.Event {
	tr := NewTranslator()
	var out []event.Event
	at := time.Unix(0, 0)
	for _, f := range frames {
		out = append(out, tr.Translate(f, at)...)
	}
	return out
}

// The real Asterisk traces through the translator: the domain events the
// native ACD would have emitted for the same calls.
func TestTranslateTraces(t *testing.T) {
	tests := []struct {
		trace string
		want  []string
	}{
		{"ami-queue-call.txt", []string{
			"caller.joined queue=support call=cust-500-2 number=5550500",
			"caller.offered queue=support call=cust-500-2 agent=Agent 1002 number=5550500",
			"agent.state_changed agent=Agent 1002 from=waiting to=receiving",
			"caller.offered queue=support call=cust-500-2 agent=Agent 1001 number=5550500",
			"agent.state_changed agent=Agent 1001 from=waiting to=receiving",
			"caller.offer_cancelled queue=support call=cust-500-2 agent=Agent 1002",
			"agent.state_changed agent=Agent 1002 from=receiving to=waiting",
			"caller.bridged queue=support call=cust-500-2 agent=Agent 1001 number=5550500",
			"agent.state_changed agent=Agent 1001 from=receiving to=in_call",
			"call.ended queue=support call=cust-500-2 agent=Agent 1001 reason=agent number=5550500 ms=5000",
			"caller.left queue=support call=cust-500-2 agent=Agent 1001 reason=completed number=5550500",
			"agent.state_changed agent=Agent 1001 from=in_call to=waiting",
		}},
		{"ami-queue-abandon.txt", []string{
			"caller.joined queue=overflow call=1795377991.33 number=5550501",
			"caller.offered queue=overflow call=1795377991.33 agent=Agent 2001 number=5550501",
			"agent.state_changed agent=Agent 2001 from=waiting to=receiving",
			"caller.offer_failed queue=overflow call=1795377991.33 agent=Agent 2001 reason=no_answer ms=3000",
			"agent.state_changed agent=Agent 2001 from=receiving to=waiting",
			"caller.offered queue=overflow call=1795377991.33 agent=Agent 2001 number=5550501",
			"agent.state_changed agent=Agent 2001 from=waiting to=receiving",
			"caller.offer_failed queue=overflow call=1795377991.33 agent=Agent 2001 reason=no_answer ms=3000",
			"agent.state_changed agent=Agent 2001 from=receiving to=waiting",
			"caller.left queue=overflow call=1795377991.33 reason=abandoned number=5550501 ms=8000",
		}},
		{"ami-actions.txt", []string{
			"agent.status_changed queue=support agent=Agent 1003 from=logged_out to=available",
			"agent.status_changed queue=support agent=Agent 1003 from=available to=on_break reason=lunch",
			"agent.status_changed queue=support agent=Agent 1003 from=on_break to=available",
			"agent.status_changed queue=support agent=Agent 1003 from=available to=logged_out",
		}},
	}
	for _, tt := range tests {
		got := summary(translateAll(loadFrames(t, tt.trace)))
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\n--- got\n%s\n--- want\n%s", tt.trace, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
}

func TestParseFramesPartialAndColons(t *testing.T) {
	in := "Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: 1\r\nMessage: ok\r\n\r\nEvent: X\r\nEventTV: 2026-11-22T20:05:57.988+0000\r\n"
	frames, rest, banner := parseFrames(in)
	if banner == "" || len(frames) != 1 || frames[0].Get("ActionID") != "1" {
		t.Fatalf("frames %v banner %q", frames, banner)
	}
	frames, rest, _ = parseFrames(rest + "\r\n")
	if len(frames) != 1 || frames[0].Get("EventTV") != "2026-11-22T20:05:57.988+0000" || rest != "" {
		t.Fatalf("second frame %v rest %q", frames, rest)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		cfg   Config
		field string
	}{
		{Config{Addr: "nohost", User: "a", Secret: "b"}, "Addr"},
		{Config{Addr: "h:1", User: "a"}, "User"},
		{Config{Addr: "h:1", User: "a", Secret: "b", LocalTemplate: "x"}, "LocalTemplate"},
		{Config{Addr: "h:1", User: "a", Secret: "b", MinBackoff: time.Second, MaxBackoff: time.Millisecond}, "MaxBackoff"},
	} {
		_, err := New(tt.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%+v: %v, want ConfigError on %s", tt.cfg, err, tt.field)
		}
	}
}

type env struct {
	t   *testing.T
	emu *asterisk.Server
	a   *Adapter
	ctx context.Context
}

// newEnv starts an adapter against the emulator, or against a real Asterisk
// configured with testenv/compose when AMI_ADDR is set.
func newEnv(t *testing.T, tweak func(*Config)) *env {
	t.Helper()
	return newEnvDisorder(t, nil, tweak)
}

// newEnvDisorder is newEnv with the emulator's Disorder (nil for none).
func newEnvDisorder(t *testing.T, d *asterisk.Disorder, tweak func(*Config)) *env {
	t.Helper()
	cfg := Config{User: "ami", Secret: "ami", LocalTemplate: "Local/{extension}@agents",
		NumberTemplate: "Local/{number}@customers", MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	var emu *asterisk.Server
	if addr := os.Getenv("AMI_ADDR"); addr != "" {
		cfg.Addr = addr
		if u := os.Getenv("AMI_USER"); u != "" {
			cfg.User, cfg.Secret = u, os.Getenv("AMI_SECRET")
		}
	} else {
		var err error
		emu, err = asterisk.Start(asterisk.Config{Clock: &asterisk.Scaled{Factor: 20}, Disorder: d})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { emu.Close() })
		cfg.Addr = emu.AMIAddr()
	}
	if tweak != nil {
		tweak(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		a.Close()
	})
	return &env{t: t, emu: emu, a: a, ctx: ctx}
}

func (e *env) needEmulator() {
	if e.emu == nil {
		e.t.Skip("needs the emulator (AMI_ADDR is set): it drops connections on demand")
	}
}

func (e *env) waitHealthy() {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if e.a.Healthy() == nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("not healthy: %v", e.a.Healthy())
}

func recv[T any](t *testing.T, ch <-chan T, pred func(T) bool) T {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				t.Fatal("stream closed")
			}
			if pred(v) {
				return v
			}
		case <-timeout:
			var zero T
			t.Fatal("timed out")
			return zero
		}
	}
}

func TestLoginFailureThenRecovery(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Secret = "wrong" })
	deadline := time.Now().Add(3 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = e.a.Healthy(); err != nil && strings.Contains(err.Error(), "Authentication failed") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if act, _ := e.a.State(); act != StateAuthFailed || !errors.Is(err, ErrNotConnected) {
		t.Fatalf("state %s err %v, want auth_failed", act, err)
	}
	if err := e.a.Ping(e.ctx); !errors.Is(err, ErrNotConnected) {
		t.Errorf("ping while logged out: %v", err)
	}
}

func TestReconnectAfterDrop(t *testing.T) { reconnectAfterDrop(t, nil) }

func reconnectAfterDrop(t *testing.T, d *asterisk.Disorder) {
	e := newEnvDisorder(t, d, nil)
	e.needEmulator()
	e.waitHealthy()
	if err := e.a.Ping(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.emu.DropAMI()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if a, ev := e.a.Reconnects(); a == 1 && ev == 1 && e.a.Healthy() == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if a, ev := e.a.Reconnects(); a != 1 || ev != 1 {
		t.Fatalf("reconnects %d/%d", a, ev)
	}
	if err := e.a.Ping(e.ctx); err != nil {
		t.Errorf("ping after reconnect: %v", err)
	}
}

func TestOriginateOutcomes(t *testing.T) { originateOutcomes(t, nil) }

func originateOutcomes(t *testing.T, d *asterisk.Disorder) {
	e := newEnvDisorder(t, d, func(c *Config) {
		c.TrunkTemplates = map[string]string{"busy": "Local/{number}@busy", "noanswer": "Local/{number}@noanswer"}
	})
	e.waitHealthy()
	evs, err := e.a.Events(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		trunk string
		cause telephony.Cause
		out   telephony.Outcome
	}{{"busy", 17, telephony.OutcomeBusy}, {"noanswer", 19, telephony.OutcomeNoAnswer}} {
		id := telephony.CallID("ami-" + tt.trunk)
		if err := e.a.Originate(e.ctx, telephony.OriginateRequest{Call: id, Target: telephony.Target{Number: "601", Trunk: tt.trunk}, Timeout: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		f := recv(t, evs, func(ev telephony.Event) bool { return ev.Call == id && ev.Kind == telephony.EventOriginateFailed })
		if f.Cause != tt.cause || f.Outcome != tt.out {
			t.Errorf("%s: %d %s, want %d %s", tt.trunk, f.Cause, f.Outcome, tt.cause, tt.out)
		}
	}
	// [customers] rings 2 s, answers, talks 10 s and hangs up.
	if err := e.a.Originate(e.ctx, telephony.OriginateRequest{Call: "ami-603", Target: telephony.Target{Number: "603"},
		Timeout: 10 * time.Second, CallerIDName: "Shop", CallerIDNumber: "5550100", Variables: map[string]string{"X": "1"}}); err != nil {
		t.Fatal(err)
	}
	recv(t, evs, func(ev telephony.Event) bool { return ev.Call == "ami-603" && ev.Kind == telephony.EventRinging })
	recv(t, evs, func(ev telephony.Event) bool { return ev.Call == "ami-603" && ev.Kind == telephony.EventAnswered })
	h := recv(t, evs, func(ev telephony.Event) bool { return ev.Call == "ami-603" && ev.Kind == telephony.EventHangup })
	if h.Cause != 16 {
		t.Errorf("hangup cause %d", h.Cause)
	}
	var ie *InvalidRequestError
	if err := e.a.Originate(e.ctx, telephony.OriginateRequest{Call: "x", Target: telephony.Target{Number: "1\r\nAction: Logoff"}}); !errors.As(err, &ie) {
		t.Errorf("injection attempt: %v", err)
	}
}

// Agent login, pause and logout through QueueAdd/QueuePause/QueueRemove,
// then a queue call, all seen as the native ACD's domain events.
func TestQueueMembershipAndCall(t *testing.T) { queueMembershipAndCall(t, nil) }

func queueMembershipAndCall(t *testing.T, d *asterisk.Disorder) {
	e := newEnvDisorder(t, d, func(c *Config) { c.NumberTemplate = "Local/{number}@queue-in" })
	e.waitHealthy()
	dom, err := e.a.DomainEvents(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.a.QueueAdd(e.ctx, "support", "agent-1003", "Local/1003@agents", 0, false); err != nil {
		t.Fatal(err)
	}
	var ae *ActionError
	if err := e.a.QueueAdd(e.ctx, "support", "agent-1003", "Local/1003@agents", 0, false); !errors.As(err, &ae) || !strings.Contains(ae.Message, "Already there") {
		t.Errorf("duplicate QueueAdd: %v", err)
	}
	if err := e.a.QueuePause(e.ctx, "support", "Local/1003@agents", true, "lunch"); err != nil {
		t.Fatal(err)
	}
	if err := e.a.QueuePause(e.ctx, "support", "Local/1003@agents", false, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.a.QueueRemove(e.ctx, "support", "Local/1003@agents"); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"available", "on_break", "available", "logged_out"} {
		ev := recv(t, dom, func(ev event.Event) bool { return ev.Type == event.AgentStatusChanged })
		if ev.To != to || ev.Agent != "agent-1003" || ev.Queue != "support" {
			t.Errorf("status event %+v, want to=%s", ev, to)
		}
	}
	if err := e.a.QueueRemove(e.ctx, "support", "Local/1003@agents"); !errors.As(err, &ae) {
		t.Errorf("second QueueRemove: %v", err)
	}
	if err := e.a.Originate(e.ctx, telephony.OriginateRequest{Call: "cust-1", Target: telephony.Target{Number: "500"}, Timeout: 30 * time.Second, CallerIDNumber: "5550500"}); err != nil {
		t.Fatal(err)
	}
	var got []event.Type
	recv(t, dom, func(ev event.Event) bool {
		got = append(got, ev.Type)
		return ev.Type == event.CallerLeft
	})
	want := []event.Type{event.CallerJoined, event.CallerOffered, event.AgentStateChanged, event.CallerOffered, event.AgentStateChanged}
	if len(got) < len(want) || fmt.Sprint(got[:len(want)]) != fmt.Sprint(want) {
		t.Errorf("queue call events %v", got)
	}
	for _, typ := range []event.Type{event.CallerBridged, event.CallEnded, event.OfferCancelled} {
		found := false
		for _, g := range got {
			found = found || g == typ
		}
		if !found {
			t.Errorf("no %s in %v", typ, got)
		}
	}
}

func FuzzParseFrames(f *testing.F) {
	for _, name := range []string{"ami-actions.txt", "ami-queue-call.txt"} {
		b, err := os.ReadFile(traces + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b[:min(len(b), 4000)]))
	}
	f.Add("Response: Success\n\nEvent: X\r\nA: b: c\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		frames, rest, _ := parseFrames(in)
		if len(rest) > len(in) {
			t.Fatalf("rest longer than input")
		}
		tr := NewTranslator()
		for _, fr := range frames {
			for _, kv := range fr {
				if strings.ContainsAny(kv[0], "\r\n") {
					t.Fatalf("key with a line break: %q", kv[0])
				}
			}
			_ = tr.Translate(fr, time.Unix(0, 0))
		}
	})
}

// Random event sequences must never panic the translator nor leave it
// emitting events for agents it never saw.
func FuzzTranslatorSequences(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	names := []string{"QueueCallerJoin", "AgentCalled", "AgentRingNoAnswer", "DialEnd", "AgentConnect", "AgentComplete",
		"QueueCallerAbandon", "QueueCallerLeave", "Hangup", "QueueMemberAdded", "QueueMemberPause", "QueueMemberRemoved", "VarSet", "Newexten"}
	f.Fuzz(func(t *testing.T, seq []byte) {
		tr := NewTranslator()
		for i, b := range seq {
			fr := Frame{{"Event", names[int(b)%len(names)]}, {"Uniqueid", fmt.Sprint("c", b%3)}, {"Queue", "q"},
				{"MemberName", fmt.Sprint("a", b%2)}, {"DestChannel", fmt.Sprint("leg", b%4)}, {"DialStatus", []string{"CANCEL", "BUSY", "ANSWER"}[i%3]},
				{"Paused", fmt.Sprint(b % 2)}, {"Variable", "QUEUESTATUS"}, {"Value", "TIMEOUT"}}
			for _, e := range tr.Translate(fr, time.Unix(int64(i), 0)) {
				if e.Type == "" {
					t.Fatalf("event without a type from %v", fr)
				}
			}
		}
	})
}

// The event session drops in the middle of a call and the call ends while it
// is away: after the reconnect, CoreShowChannels settles it.
func TestReconnectReconcilesLostHangup(t *testing.T) { reconnectReconcilesLostHangup(t, nil) }

func reconnectReconcilesLostHangup(t *testing.T, d *asterisk.Disorder) {
	e := newEnvDisorder(t, d, func(c *Config) { c.MinBackoff, c.MaxBackoff = 300*time.Millisecond, time.Second })
	e.needEmulator()
	e.waitHealthy()
	if err := e.emu.SetEndpoint("customers", "701", asterisk.Behaviour{Result: asterisk.ResultAnswer}); err != nil {
		t.Fatal(err)
	}
	evs, err := e.a.Events(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []telephony.CallID{"keep", "lose"} {
		if err := e.a.Originate(e.ctx, telephony.OriginateRequest{Call: id, Target: telephony.Target{Number: "701"}, Timeout: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
		recv(t, evs, func(ev telephony.Event) bool { return ev.Call == id && ev.Kind == telephony.EventAnswered })
	}
	e.emu.DropAMI()
	for deadline := time.Now().Add(2 * time.Second); e.a.Healthy() == nil; {
		if time.Now().After(deadline) {
			t.Fatal("adapter never noticed the drop")
		}
		time.Sleep(time.Millisecond)
	}
	if err := e.emu.HangupChannel("lose", 16); err != nil { // its events are lost
		t.Fatal(err)
	}
	if e.a.Healthy() == nil {
		t.Fatal("reconnected before the hang-up: nothing was lost")
	}
	h := recv(t, evs, func(ev telephony.Event) bool { return ev.Call == "lose" })
	if h.Kind != telephony.EventHangup {
		t.Errorf("lost call settled as %+v", h)
	}
	if _, ev := e.a.Reconnects(); ev != 1 {
		t.Errorf("event session reconnects %d", ev)
	}
	// The surviving call's events flow again.
	if err := e.emu.HangupChannel("keep", 16); err != nil {
		t.Fatal(err)
	}
	if h := recv(t, evs, func(ev telephony.Event) bool { return ev.Call == "keep" }); h.Kind != telephony.EventHangup || h.Cause != 16 {
		t.Errorf("surviving call: %+v", h)
	}
}
