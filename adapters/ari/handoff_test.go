package ari

import (
	"testing"
	"time"

	ariv5 "github.com/CyCoreSystems/ari/v5"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// A call continued to a robot script comes back with Stasis(<app>,handoff):
// the adapter reports EventScriptTransfer, the channel is up and in the app
// again, and the core controls it (here a redirect to an agent).
func TestScriptHandoff(t *testing.T) {
	e := newEnv(t, nil)
	e.needEmulator()
	if err := e.emu.SetEndpoint("customers", "601", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second}); err != nil {
		t.Fatal(err)
	}
	const scenario = "228cc4fa-92f2-4709-94e3-7344a96a5903"
	if err := e.emu.SetEndpoint("twin24-robot", scenario, asterisk.Behaviour{Result: asterisk.ResultAnswer, HandoffAfter: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	e.originate(telephony.OriginateRequest{Call: "h1", Target: telephony.Target{Number: "601"}, Timeout: 10 * time.Second})
	e.next(telephony.EventAnswered, "h1")
	if err := e.a.Continue(e.ctx, "h1", telephony.DialplanTarget{Context: "twin24-robot", Extension: scenario, Priority: 1}); err != nil {
		t.Fatal(err)
	}
	ev := e.next(telephony.EventScriptTransfer, "h1")
	if ev.Server != "emu" || len(ev.Args) != 0 {
		t.Errorf("script transfer event %+v", ev)
	}
	for _, x := range e.extra {
		if x.Call == "h1" && x.Kind == telephony.EventHangup {
			t.Fatalf("hung up before the hand-off: %+v", e.extra)
		}
	}
	d, err := e.a.servers[0].cli.Channel().Data(key(ariv5.ChannelKey, "h1"))
	if err != nil {
		t.Fatal(err)
	}
	if d.State != "Up" || d.Dialplan == nil || d.Dialplan.Context != "switchboard-handoff" || d.Dialplan.Exten != "s" {
		t.Errorf("channel after the hand-off: state %q dialplan %+v", d.State, d.Dialplan)
	}
	if err := e.a.Redirect(e.ctx, "h1", telephony.Target{Extension: "1002"}); err != nil {
		t.Fatalf("redirect after the hand-off: %v", err)
	}
	// Local/1002@agents talks 5 s and hangs up.
	if h := e.next(telephony.EventHangup, "h1"); h.Cause != telephony.CauseNormalClearing {
		t.Errorf("hangup cause %d", h.Cause)
	}
}

// A hand-off of a channel the adapter does not know (not one of its calls)
// is hung up rather than left silent in the app.
func TestScriptHandoffOfUnknownChannel(t *testing.T) {
	e := newEnv(t, nil)
	e.needEmulator()
	if err := e.emu.SetEndpoint("customers", "602", asterisk.Behaviour{Result: asterisk.ResultAnswer}); err != nil {
		t.Fatal(err)
	}
	// A channel placed straight into the stand-in robot-handoff scenario,
	// bypassing the adapter: it asks for a human after 3 s.
	e.rest("POST", "/channels?endpoint=Local/602@customers&context=robot-handoff&extension=602&priority=1&channelId=stray")
	deadline := time.Now().Add(10 * time.Second)
	for {
		live := false
		for _, id := range e.emu.Channels() {
			if id == "stray" {
				live = true
			}
		}
		if !live {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stray hand-off is still up: %v", e.emu.Channels())
		}
		select {
		case ev := <-e.evs:
			e.extra = append(e.extra, ev)
		case <-time.After(20 * time.Millisecond):
		}
	}
	for _, x := range e.extra {
		if x.Kind == telephony.EventScriptTransfer || x.Kind == telephony.EventIncoming {
			t.Errorf("event for a stray hand-off: %+v", x)
		}
	}
}
