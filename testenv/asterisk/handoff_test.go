package asterisk

import (
	"testing"
	"time"
)

// A robot stand-in asking for a human: the originated channel continued to
// robot-handoff leaves Stasis, runs Answer, Wait, Goto(switchboard-handoff,s,1)
// and re-enters the app with StasisStart args ["handoff"], still up, with
// the dialplan location of the Stasis() that returned it. The default robot
// stand-ins keep talking 8 s and hanging up.
func TestRobotHandoff(t *testing.T) {
	s := startEmu(t)
	if err := s.SetEndpoint("customers", "778", Behaviour{Result: ResultAnswer}); err != nil {
		t.Fatal(err)
	}
	l := connectWS(t, s, "switchboard")
	for _, tt := range []struct {
		ctx, exten string
		handoff    bool
	}{
		{"robot-handoff", "100", true},
		{"udesk-ivr", "7", false},
	} {
		ch := mustREST(t, s, "POST", "/channels?endpoint=Local/778@customers&app=switchboard&appArgs=outbound", "", 200)
		id := ch["id"].(string)
		l.until(func(e map[string]any) bool { return e["type"] == "StasisStart" && chanID(e) == id })
		mustREST(t, s, "POST", "/channels/"+id+"/continue", `{"context":"`+tt.ctx+`","extension":"`+tt.exten+`","priority":1}`, 204)
		l.until(func(e map[string]any) bool { return e["type"] == "StasisEnd" && chanID(e) == id })
		start := time.Now()
		next := l.until(func(e map[string]any) bool {
			return chanID(e) == id && (e["type"] == "StasisStart" || e["type"] == "ChannelDestroyed")
		})
		if !tt.handoff {
			if next["type"] != "ChannelDestroyed" {
				t.Errorf("%s: %v, want the stand-in to hang up", tt.ctx, next["type"])
			}
			continue
		}
		if next["type"] != "StasisStart" {
			t.Fatalf("%s: %v, want StasisStart", tt.ctx, next["type"])
		}
		if args, _ := next["args"].([]any); len(args) != 1 || args[0] != "handoff" {
			t.Errorf("args %v, want [handoff]", next["args"])
		}
		c := next["channel"].(map[string]any)
		dp := c["dialplan"].(map[string]any)
		if c["state"] != "Up" || dp["context"] != "switchboard-handoff" || dp["exten"] != "s" || dp["app_name"] != "Stasis" || dp["app_data"] != "switchboard,handoff" {
			t.Errorf("channel on the hand-off: %v", c)
		}
		// 3 s of scenario at the test's speed-up factor, not at once.
		if el := time.Since(start); el < time.Duration(float64(3*time.Second)/factor/2) {
			t.Errorf("handed off after %v", el)
		}
		var gotos int
		for _, e := range l.all {
			if e["type"] == "ChannelDialplan" && chanID(e) == id && e["dialplan_app"] == "Goto" {
				gotos++
			}
		}
		if gotos != 1 {
			t.Errorf("%d Goto steps", gotos)
		}
		mustREST(t, s, "DELETE", "/channels/"+id, "", 204)
	}
}
