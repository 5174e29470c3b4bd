package asterisk

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func q(s string) string { return url.QueryEscape(s) }

// replay runs a scenario and compares its events with a trace, per channel
// and field set.
func replay(t *testing.T, d *Disorder, trace string, scenario func(s *Server, l *wsLog)) *wsLog {
	t.Helper()
	// Factor 10: the app's REST calls must beat the simulated phones' timers
	// (a customer talks 10 s = 1 s of real time) even on a loaded machine.
	s := startEmuConfig(t, Config{Clock: &Scaled{Factor: 10}, Disorder: d})
	l := connectWS(t, s, "callcentre")
	scenario(s, l)
	l.settle(100 * time.Millisecond)
	want := loadJSONL(t, trace)
	compareChannels(t, perChannel(want, nil), perChannel(l.all, nil))
	compareFields(t, loadRawJSONL(t, trace), l.raw)
	return l
}

// Behaviours 1, 2, 3 and 6: originate into the app, Local ;2 half, hang-up
// by REST with the soft-hang-up bitmask 32.
func TestTraceOriginateAnswerHangup(t *testing.T) { traceOriginateAnswerHangup(t, nil) }

func traceOriginateAnswerHangup(t *testing.T, d *Disorder) {
	l := replay(t, d, "ari-events-originate-answer-hangup.jsonl", func(s *Server, l *wsLog) {
		ch := mustREST(t, s, "POST", "/channels?endpoint=Local/100@customers&app=callcentre&appArgs=outbound,100&callerId="+q(`"Call Centre" <5551000>`)+"&timeout=30", "", 200)
		if ch["state"] != "Down" {
			t.Errorf("originate answered with state %v, want Down", ch["state"])
		}
		l.until(is("StasisStart", ""))
		mustREST(t, s, "POST", "/channels/"+ch["id"].(string)+"/answer", "", 204)
		v := mustREST(t, s, "GET", "/channels/"+ch["id"].(string)+"/variable?variable=CHANNEL(state)", "", 200)
		if v["value"] != "Up" {
			t.Errorf("CHANNEL(state) = %v", v["value"])
		}
		mustREST(t, s, "DELETE", "/channels/"+ch["id"].(string)+"?reason=normal", "", 204)
		l.until(is("ChannelDestroyed", ";2"))
		mustREST(t, s, "DELETE", "/channels/"+ch["id"].(string), "", 404)
	})
	t.Run("NoChannelCreatedForOwnOriginate", func(t *testing.T) {
		for _, e := range l.all {
			if e["type"] == "ChannelCreated" {
				t.Errorf("ChannelCreated for an originated channel: %v", e)
			}
		}
	})
	t.Run("StasisStartOnlyAfterAnswer", func(t *testing.T) {
		answered := false
		for _, e := range l.all {
			if e["type"] == "Dial" && e["dialstatus"] == "ANSWER" {
				answered = true
			}
			if e["type"] == "StasisStart" {
				if !answered || e["channel"].(map[string]any)["state"] != "Up" {
					t.Errorf("StasisStart before answer: %v", e)
				}
				if strings.HasSuffix(chanName(e), ";2") {
					t.Errorf("StasisStart for the ;2 half")
				}
			}
			if e["type"] == "Dial" && e["caller"] != nil {
				t.Errorf("Dial with a caller for an ARI originate")
			}
		}
	})
	t.Run("LocalHalfTwoEvents", func(t *testing.T) {
		seen := map[string]bool{}
		for _, e := range l.all {
			if strings.HasSuffix(chanName(e), ";2") {
				seen[e["type"].(string)] = true
			}
		}
		for _, typ := range []string{"ChannelDialplan", "ChannelStateChange", "ChannelHangupRequest", "ChannelDestroyed"} {
			if !seen[typ] {
				t.Errorf("no %s for the ;2 half", typ)
			}
		}
	})
	t.Run("SoftHangupCauseIsBitmask", func(t *testing.T) {
		for _, e := range l.all {
			if e["type"] == "ChannelHangupRequest" && strings.HasSuffix(chanName(e), ";1") {
				if e["cause"] != float64(32) || e["soft"] != true {
					t.Errorf("REST DELETE hang-up request = cause %v soft %v, want 32 soft", e["cause"], e["soft"])
				}
			}
		}
	})
}

func TestTraceOriginateRemoteHangup(t *testing.T) { traceOriginateRemoteHangup(t, nil) }

func traceOriginateRemoteHangup(t *testing.T, d *Disorder) {
	replay(t, d, "ari-events-originate-remote-hangup.jsonl", func(s *Server, l *wsLog) {
		ch := mustREST(t, s, "POST", "/channels?endpoint=Local/101@customers&app=callcentre&appArgs=outbound&channelId=cc-out-101&otherChannelId=cc-out-101-2&timeout=30",
			`{"variables":{"CC_CALL_ID":"call-101","CALLERID(name)":"Support Line"}}`, 200)
		if ch["id"] != "cc-out-101" {
			t.Errorf("id = %v, want the client-chosen cc-out-101", ch["id"])
		}
		l.until(is("ChannelDestroyed", ";1"))
	})
}

// Behaviours 3 and 7: a channel from the dialplan gets no ChannelDestroyed
// after StasisEnd; a REST bridge gives no BridgeCreated.
func TestTraceStasisBridge(t *testing.T) { traceStasisBridge(t, nil) }

func traceStasisBridge(t *testing.T, d *Disorder) {
	l := replay(t, d, "ari-events-stasis-bridge.jsonl", func(s *Server, l *wsLog) {
		mustREST(t, s, "POST", "/channels?endpoint=Local/200@stasis&context=hold&extension=200&priority=1&callerId=5552000", "", 200)
		in := chanID(l.until(is("StasisStart", "")))
		mustREST(t, s, "POST", "/channels/"+in+"/ring", "", 204)
		mustREST(t, s, "POST", "/channels/"+in+"/answer", "", 204)
		br := mustREST(t, s, "POST", "/bridges?type=mixing&name=call-200", "", 200)
		bid := br["id"].(string)
		if br["bridge_class"] != "stasis" || br["creator"] != "Stasis" || br["technology"] != "simple_bridge" || len(bid) != 36 {
			t.Errorf("bridge = %v", br)
		}
		mustREST(t, s, "POST", "/bridges/"+bid+"/addChannel?channel="+in, "", 204)
		agent := mustREST(t, s, "POST", "/channels?endpoint=Local/1001@agents&app=callcentre&appArgs=agent,1001&callerId=5552000&timeout=20", "", 200)
		l.until(is("StasisStart", "1001"))
		mustREST(t, s, "POST", "/bridges/"+bid+"/addChannel?channel="+agent["id"].(string), "", 204)
		got := mustREST(t, s, "GET", "/bridges/"+bid, "", 200)
		if n := len(got["channels"].([]any)); n != 2 {
			t.Errorf("bridge has %d channels", n)
		}
		mustREST(t, s, "POST", "/bridges/"+bid+"/addChannel?channel=does-not-exist", "", 400)
		mustREST(t, s, "POST", "/bridges/does-not-exist/addChannel?channel="+in, "", 404)
		mustREST(t, s, "POST", "/bridges/"+bid+"/addChannel", "", 400)
		l.until(is("ChannelDestroyed", "1001@agents-00000001;1"))
		mustREST(t, s, "POST", "/bridges/"+bid+"/removeChannel?channel="+in, "", 204)
		mustREST(t, s, "POST", "/bridges/"+bid+"/removeChannel?channel="+in, "", 422)
		mustREST(t, s, "DELETE", "/channels/"+in, "", 204)
		mustREST(t, s, "DELETE", "/bridges/"+bid, "", 204)
		l.until(is("BridgeDestroyed", ""))
	})
	t.Run("NoChannelDestroyedAfterStasisEndFromDialplan", func(t *testing.T) {
		for _, e := range l.all {
			if e["type"] == "ChannelDestroyed" && strings.Contains(chanName(e), "@stasis") {
				t.Errorf("ChannelDestroyed for a channel that entered Stasis from the dialplan")
			}
		}
	})
	t.Run("NoBridgeCreatedForRESTBridge", func(t *testing.T) {
		for _, e := range l.all {
			if e["type"] == "BridgeCreated" {
				t.Errorf("BridgeCreated for a REST bridge")
			}
		}
	})
}

// Behaviour 5: channels/create gives StasisStart at once in state Down;
// only the first Dial has a dialstring.
func TestTraceStasisBridgeCreateDial(t *testing.T) { traceStasisBridgeCreateDial(t, nil) }

func traceStasisBridgeCreateDial(t *testing.T, d *Disorder) {
	replay(t, d, "ari-events-stasis-bridge-create-dial.jsonl", func(s *Server, l *wsLog) {
		mustREST(t, s, "POST", "/channels?endpoint=Local/201@stasis&context=hold&extension=201&priority=1&callerId=5552001", "", 200)
		in := chanID(l.until(is("StasisStart", "")))
		mustREST(t, s, "POST", "/channels/"+in+"/answer", "", 204)
		br := mustREST(t, s, "POST", "/bridges?type=mixing&bridgeId=bridge-201&name=call-201", "", 200)
		if br["id"] != "bridge-201" {
			t.Errorf("bridge id %v", br["id"])
		}
		mustREST(t, s, "POST", "/bridges/bridge-201/addChannel?channel="+in, "", 204)
		mustREST(t, s, "POST", "/channels/create?endpoint=Local/1002@agents&app=callcentre&appArgs=agent,1002&channelId=agent-1002-leg", "", 200)
		ss := l.until(is("StasisStart", "1002"))
		if st := ss["channel"].(map[string]any)["state"]; st != "Down" {
			t.Errorf("channels/create StasisStart state %v, want Down", st)
		}
		mustREST(t, s, "POST", "/bridges/bridge-201/addChannel?channel=agent-1002-leg", "", 204)
		mustREST(t, s, "POST", "/channels/agent-1002-leg/dial?caller="+in+"&timeout=20", "", 204)
		l.until(is("ChannelDestroyed", "1002"))
		mustREST(t, s, "DELETE", "/channels/"+in+"?reason_code=16", "", 204)
		mustREST(t, s, "DELETE", "/bridges/bridge-201", "", 204)
		l.until(is("BridgeDestroyed", ""))
	})
}

// Behaviours 4 and 5: a failed originate gives no StasisStart; ;1 busy has
// cause 0; a busy dial leaves the created channel in Stasis.
func TestTraceBusy(t *testing.T) { traceBusy(t, nil) }

func traceBusy(t *testing.T, d *Disorder) {
	l := replay(t, d, "ari-events-busy.jsonl", func(s *Server, l *wsLog) {
		ch := mustREST(t, s, "POST", "/channels?endpoint=Local/300@busy&app=callcentre&appArgs=outbound&timeout=15", "", 200)
		l.until(is("ChannelDestroyed", "300@busy-00000000;2"))
		mustREST(t, s, "GET", "/channels/"+ch["id"].(string), "", 404)
		c2 := mustREST(t, s, "POST", "/channels/create?endpoint=Local/301@busy&app=callcentre&appArgs=dialtest", "", 200)
		id := c2["id"].(string)
		l.until(is("StasisStart", "301"))
		mustREST(t, s, "POST", "/channels/"+id+"/dial?timeout=15", "", 204)
		l.until(func(e map[string]any) bool { return e["type"] == "Dial" && e["dialstatus"] == "BUSY" })
		time.Sleep(50 * time.Millisecond)
		mustREST(t, s, "GET", "/channels/"+id, "", 200) // still in Stasis after BUSY
		mustREST(t, s, "DELETE", "/channels/"+id, "", 204)
		l.until(is("ChannelDestroyed", "301"))
	})
	t.Run("FailedOriginateHasNoStasisStart", func(t *testing.T) {
		for _, e := range l.all {
			if strings.Contains(chanName(e), "300@busy") && (e["type"] == "StasisStart" || e["type"] == "StasisEnd") {
				t.Errorf("%v for a failed originate", e["type"])
			}
			if e["type"] == "ChannelDestroyed" && chanName(e) == "Local/300@busy-00000000;1" && e["cause"] != float64(0) {
				t.Errorf(";1 busy leg cause %v, want 0", e["cause"])
			}
		}
	})
}

// Behaviours 4 and 5: no answer by timeout; a dial timeout sends no Dial
// NOANSWER but hangs the channel up with cause 19.
func TestTraceNoAnswerTimeout(t *testing.T) { traceNoAnswerTimeout(t, nil) }

func traceNoAnswerTimeout(t *testing.T, d *Disorder) {
	l := replay(t, d, "ari-events-noanswer-timeout.jsonl", func(s *Server, l *wsLog) {
		ch := mustREST(t, s, "POST", "/channels?endpoint=Local/400@noanswer&app=callcentre&appArgs=outbound&timeout=5", "", 200)
		l.until(func(e map[string]any) bool { return e["type"] == "Dial" && e["dialstatus"] == "RINGING" })
		got := mustREST(t, s, "GET", "/channels/"+ch["id"].(string), "", 200)
		if got["state"] != "Ringing" {
			t.Errorf("state while ringing %v", got["state"])
		}
		l.until(is("ChannelDestroyed", "400@noanswer-00000000;2"))
		c2 := mustREST(t, s, "POST", "/channels/create?endpoint=Local/401@noanswer&app=callcentre&appArgs=dialtest", "", 200)
		l.until(is("StasisStart", "401"))
		mustREST(t, s, "POST", "/channels/"+c2["id"].(string)+"/dial?timeout=5", "", 204)
		l.until(is("ChannelDestroyed", "401"))
		mustREST(t, s, "DELETE", "/channels/"+c2["id"].(string), "", 404)
	})
	t.Run("DialTimeoutSendsNoNoAnswer", func(t *testing.T) {
		for _, e := range l.all {
			if e["type"] == "Dial" && e["dialstatus"] == "NOANSWER" {
				t.Errorf("Dial NOANSWER on timeout")
			}
			if e["type"] == "ChannelDestroyed" && e["cause"] != float64(19) {
				t.Errorf("%s destroyed with cause %v, want 19", chanName(e), e["cause"])
			}
		}
	})
}
