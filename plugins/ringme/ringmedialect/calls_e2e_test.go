package ringmedialect_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// ariChannel is what the emulator's ARI says of a channel: where it is in
// the dialplan; ok is false when the channel is gone.
func ariChannel(t *testing.T, emu *asterisk.Server, id string) (ctx, exten string, ok bool) {
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
		Dialplan struct{ Context, Exten string }
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&ch) != nil {
		return "", "", false
	}
	return ch.Dialplan.Context, ch.Dialplan.Exten, true
}

// Hang-up and transfer of current calls through the real service, the
// plugin process and the Asterisk emulator: a caller talking to a local
// agent is transferred to 333 (the agent's leg and the bridge go, the
// caller continues in the dialplan at 333), a caller waiting in the queue
// is hung up; another client reaches neither.
func TestCurrentCallsEndToEnd(t *testing.T) {
	e := startE2E(t)
	emu := e.svc.Emulator()
	c, _ := e.client()
	other, _ := e.client()
	if err := emu.SetEndpoint("agents", "94", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second}); err != nil {
		t.Fatal(err)
	}
	// 333 in the transfer context ("default") answers and stays.
	if err := emu.SetEndpoint("default", "333", asterisk.Behaviour{Result: asterisk.ResultAnswer}); err != nil {
		t.Fatal(err)
	}
	queue := num(t, c.must("POST", "/client/@me/extension/", `{"type":"queue","label":"support"}`, 201), "id")
	agent := num(t, c.must("POST", "/client/@me/agent/local/", `{"extension_id":94,"status":"available"}`, 201), "id")
	c.must("POST", "/extension/"+queue+"/queue/agents/local/", `{"agent_id":`+agent+`}`, 201)
	// The dialplan's switchboard-in pattern (_X.) takes two digits or more;
	// the service reads the queue id "01" as 1.
	dialQueue := queue
	if len(dialQueue) < 2 {
		dialQueue = "0" + dialQueue
	}

	type currentCall struct {
		ID    string `json:"call_api_id"`
		State string `json:"state"`
		Agent string `json:"serving_agent"`
	}
	current := func() []currentCall {
		t.Helper()
		var cs []currentCall
		if err := json.Unmarshal([]byte(c.must("GET", "/client/@me/current_calls/", "", 200)), &cs); err != nil {
			t.Fatal(err)
		}
		return cs
	}

	talking, err := emu.Call("Local/"+dialQueue+"@switchboard-in", "89215650644")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the caller talking to the agent", func() bool {
		cs := current()
		return len(cs) == 1 && cs[0].ID == talking && cs[0].State == "answered"
	})
	waitFor(t, "the queue call's bridge", func() bool { return len(emu.Bridges()) == 1 })
	var agentLeg string
	for _, ch := range emu.BridgeChannels(emu.Bridges()[0]) {
		if ch != talking {
			agentLeg = ch
		}
	}
	transfer := "/client/@me/current_calls/" + talking + "/transfer/"
	if code, b := other.do("POST", transfer, `{"destination":"333"}`); code != 404 {
		t.Errorf("another client's transfer: %d %s", code, b)
	}
	if code, b := other.do("DELETE", "/client/@me/current_calls/"+talking, ""); code != 404 {
		t.Errorf("another client's hang-up: %d %s", code, b)
	}
	if code, b := c.do("POST", transfer, `{"destination":"3 33"}`); code != 400 || b != `{"status":"invalid_parameter","field":"destination","message":"destination: must be UTF-8 without spaces or control characters (got \"3 33\")"}` {
		t.Errorf("a bad destination: %d %s", code, b)
	}
	if cs := current(); len(cs) != 1 || cs[0].State != "answered" {
		t.Fatalf("current calls after the refusals: %+v", cs)
	}
	if code, b := c.do("POST", transfer, `{"destination":"333"}`); code != 204 || b != "" {
		t.Fatalf("transfer: %d %s", code, b)
	}
	if cs := current(); len(cs) != 0 {
		t.Errorf("current calls after the transfer: %+v", cs)
	}
	waitFor(t, "the caller at 333", func() bool {
		ctx, exten, ok := ariChannel(t, emu, talking)
		return ok && ctx == "default" && exten == "333"
	})
	waitFor(t, "the agent's leg and the bridge gone", func() bool {
		return len(emu.Bridges()) == 0 && !slices.Contains(emu.Channels(), agentLeg)
	})

	// With the agent logged out, the next caller waits; it is hung up.
	c.must("PUT", "/client/@me/agent/local/"+agent, `{"status":"logged_out"}`, 200)
	waiting, err := emu.Call("Local/"+dialQueue+"@switchboard-in", "89215650645")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second caller waiting", func() bool {
		cs := current()
		return len(cs) == 1 && cs[0].ID == waiting && cs[0].State == "waiting"
	})
	c.must("DELETE", "/client/@me/current_calls/"+waiting, "", 204)
	waitFor(t, "the waiting caller hung up", func() bool { return !slices.Contains(emu.Channels(), waiting) })
	if cs := current(); len(cs) != 0 {
		t.Errorf("current calls after the hang-up: %+v", cs)
	}
	if code, b := c.do("DELETE", "/client/@me/current_calls/"+waiting, ""); code != 404 || b != `{"status":"not_found","message":"call not found"}` {
		t.Errorf("a second hang-up: %d %s", code, b)
	}
	// The transferred caller is still at 333: the hang-up did not touch it.
	if ctx, _, ok := ariChannel(t, emu, talking); !ok || ctx != "default" {
		t.Errorf("the transferred caller: %q %v", ctx, ok)
	}
}
