package asterisk

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A snoop channel on a call enters the app, is recorded, and goes with the
// call; the recording is then stored, listed, served as a WAV file as long
// as it ran, and deleted.
func TestSnoopRecordingStored(t *testing.T) {
	s := startEmu(t)
	if err := s.SetEndpoint("customers", "778", Behaviour{Result: ResultAnswer, RingFor: time.Second, HangupAfter: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	l := connectWS(t, s, "switchboard")
	ch := mustREST(t, s, "POST", "/channels?endpoint=Local/778@customers&app=switchboard&appArgs=outbound", "", 200)
	id := ch["id"].(string)
	l.until(is("StasisStart", ""))

	for _, bad := range []struct{ path, body, msg string }{
		{"/channels/" + id + "/snoop", `{"spy":"both"}`, "Required parameter app not present"},
		{"/channels/" + id + "/snoop", `{"app":"switchboard","spy":"sideways"}`, "Invalid direction specified for spy"},
		{"/channels/" + id + "/snoop", `{"app":"switchboard"}`, "Direction must be specified for at least spy or whisper"},
	} {
		if code, b := rest(t, s, "POST", bad.path, bad.body); code != 400 || !strings.Contains(string(b), bad.msg) {
			t.Errorf("POST %s %s = %d %s, want 400 %q", bad.path, bad.body, code, b, bad.msg)
		}
	}
	sn := mustREST(t, s, "POST", "/channels/"+id+"/snoop/sn-1", `{"app":"switchboard","appArgs":"snoop","spy":"both"}`, 200)
	if sn["id"] != "sn-1" || !strings.HasPrefix(sn["name"].(string), "Snoop/"+id+"-") || sn["state"] != "Up" {
		t.Errorf("snoop channel %v", sn)
	}
	start := l.until(is("StasisStart", "Snoop/"))
	if args := start["args"].([]any); len(args) != 1 || args[0] != "snoop" {
		t.Errorf("snoop StasisStart args %v", args)
	}
	if code, b := rest(t, s, "GET", "/recordings/stored/rec-1", ""); code != 404 || !strings.Contains(string(b), "Recording not found") {
		t.Errorf("stored before recording: %d %s", code, b)
	}
	rec := mustREST(t, s, "POST", "/channels/sn-1/record", `{"name":"rec-1","format":"wav","ifExists":"overwrite"}`, 200)
	if rec["name"] != "rec-1" || rec["state"] != "queued" || rec["target_uri"] != "channel:sn-1" {
		t.Errorf("live recording %v", rec)
	}
	l.until(is("RecordingStarted", ""))
	if code, b := rest(t, s, "POST", "/channels/sn-1/record", `{"name":"rec-1","format":"wav"}`); code != 409 {
		t.Errorf("a second recording of the same name: %d %s", code, b)
	}
	// The call leaves Stasis: it cannot be recorded itself, the snoop goes on.
	mustREST(t, s, "POST", "/channels/"+id+"/continue", `{"context":"hold","extension":"hold","priority":1}`, 204)
	if code, b := rest(t, s, "POST", "/channels/"+id+"/record", `{"name":"rec-2","format":"wav"}`); code != 409 || !strings.Contains(string(b), "Channel not in Stasis application") {
		t.Errorf("recording a channel outside Stasis: %d %s", code, b)
	}
	// The customer hangs up: the snoop channel and its recording end too.
	l.until(is("RecordingFinished", ""))
	l.until(is("ChannelDestroyed", "Snoop/"))

	list := mustRESTList(t, s, "/recordings/stored")
	if len(list) != 1 || list[0]["name"] != "rec-1" || list[0]["format"] != "wav" {
		t.Errorf("stored recordings %v", list)
	}
	if got := mustREST(t, s, "GET", "/recordings/stored/rec-1", "", 200); got["name"] != "rec-1" || got["format"] != "wav" {
		t.Errorf("stored recording %v", got)
	}
	code, wav := rest(t, s, "GET", "/recordings/stored/rec-1/file", "")
	if code != 200 || len(wav) < 44 || string(wav[:4]) != "RIFF" || string(wav[8:16]) != "WAVEfmt " {
		t.Fatalf("file: %d % x", code, wav[:min(len(wav), 44)])
	}
	secs := float64(binary.LittleEndian.Uint32(wav[40:])) / float64(binary.LittleEndian.Uint32(wav[28:]))
	if secs < 4 || secs > 5.5 || len(wav) != 44+int(binary.LittleEndian.Uint32(wav[40:])) {
		t.Errorf("file of %.2f s (%d bytes), want the 5 s the customer talked less the time to start", secs, len(wav))
	}
	mustREST(t, s, "DELETE", "/recordings/stored/rec-1", "", 204)
	if code, _ := rest(t, s, "GET", "/recordings/stored/rec-1/file", ""); code != 404 {
		t.Errorf("file of a deleted recording: %d", code)
	}
	if got := s.Recordings(); len(got) != 0 {
		t.Errorf("recordings after delete %v", got)
	}
}

func mustRESTList(t *testing.T, s *Server, path string) []map[string]any {
	t.Helper()
	code, b := rest(t, s, "GET", path, "")
	var out []map[string]any
	if err := json.Unmarshal(b, &out); code != 200 || err != nil {
		t.Fatalf("GET %s = %d %s (%v)", path, code, b, err)
	}
	return out
}
