package asterisk

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// Behaviour 10 and the error cases of ari-rest-basic.txt.
func TestRESTBasics(t *testing.T) {
	s := startEmu(t)
	tests := []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/applications", 200, `[]`},
		{"GET", "/channels", 200, `[]`},
		{"GET", "/bridges", 200, `[]`},
		{"GET", "/endpoints", 200, `[]`},
		{"GET", "/channels/does-not-exist", 404, `{"message":"Channel not found"}`},
		{"DELETE", "/channels/does-not-exist", 404, `{"message":"Channel not found"}`},
		{"POST", "/channels/does-not-exist/answer", 404, `{"message":"Channel not found"}`},
		{"GET", "/bridges/does-not-exist", 404, `{"message":"Bridge not found"}`},
		{"DELETE", "/bridges/does-not-exist", 404, `{"message":"Bridge not found"}`},
		{"GET", "/nosuchthing", 404, `{"message":"Resource not found"}`},
		{"PUT", "/channels", 405, `{"message":"Invalid method"}`},
		{"POST", "/channels?app=callcentre", 400, `{"message":"Endpoint must be specified"}`},
		{"POST", "/channels?endpoint=Local/100@customers", 400, `{"message":"Application or extension must be specified"}`},
		{"POST", "/channels?endpoint=Bogus/100&app=callcentre", 500, `{"error":"Allocation failed"}`},
	}
	for _, tt := range tests {
		code, body := rest(t, s, tt.method, tt.path, "")
		if code != tt.code || string(body) != tt.body {
			t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, code, body, tt.code, tt.body)
		}
	}
	// An originate to an app with no WebSocket still creates the channel.
	ch := mustREST(t, s, "POST", "/channels?endpoint=Local/100@customers&app=nosuchapp", "", 200)
	if ch["state"] != "Down" || !strings.HasSuffix(ch["name"].(string), ";1") {
		t.Errorf("originate to unconnected app: %v", ch)
	}

	req, _ := http.NewRequest("GET", s.ARIURL()+"/asterisk/info", nil)
	req.SetBasicAuth("ari", "wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="Asterisk REST Interface"` {
		t.Errorf("bad password: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ = http.NewRequest("GET", s.ARIURL()+"/asterisk/ping", nil)
	req.SetBasicAuth("ari", "ari")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-type") != "application/json" || resp.Header.Get("Server") != "Asterisk/22.10.1" ||
		resp.Header.Get("Cache-Control") != "no-cache, no-store" {
		t.Errorf("headers %v", resp.Header)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(s.ARIURL(), "/ari"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nConnection: close\r\n\r\n", basicAuth("ari", "ari"))
	raw, _ := io.ReadAll(conn)
	conn.Close()
	if !strings.Contains(string(raw), "\r\nContent-type: application/json\r\n") {
		t.Errorf("Content-type not spelled as Asterisk does:\n%s", raw)
	}
	conn, err = net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(s.ARIURL(), "/ari"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "DELETE /ari/bridges/does-not-exist HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n\r\n", basicAuth("ari", "ari"))
	raw, _ = io.ReadAll(conn)
	conn.Close()
	if !strings.HasPrefix(string(raw), "HTTP/1.1 404 Not found\r\n") || !strings.HasSuffix(string(raw), `{"message":"Bridge not found"}`) {
		t.Errorf("unknown bridge: %q, want Asterisk's 404 Not found", raw)
	}
	code, _ := rest(t, s, "DELETE", "/channels/"+ch["id"].(string), "")
	if code != 204 {
		t.Errorf("DELETE = %d, want 204", code)
	}

	// WebSocket: wrong key 401, missing app 400, good 101.
	for _, tc := range []struct {
		query string
		ok    bool
	}{{"?app=callcentre&api_key=ari:wrong", false}, {"?api_key=ari:ari", false}, {"?app=probe&api_key=ari:ari", true}} {
		ws, err := websocket.Dial(s.ARIWebsocketURL()+tc.query, "", "http://localhost/")
		if (err == nil) != tc.ok {
			t.Errorf("websocket %s: err %v", tc.query, err)
		}
		if ws != nil {
			ws.Close()
		}
	}
}

func TestPlaybackRecordingDTMFContinueAMD(t *testing.T) {
	s := startEmu(t)
	if err := s.SetEndpoint("customers", "777", Behaviour{Result: ResultMachine, RingFor: time.Second}); err != nil {
		t.Fatal(err)
	}
	l := connectWS(t, s, "switchboard")
	ch := mustREST(t, s, "POST", "/channels?endpoint=Local/777@customers&app=switchboard&appArgs=outbound", "", 200)
	id := ch["id"].(string)
	l.until(is("StasisStart", ""))

	pb := mustREST(t, s, "POST", "/channels/"+id+"/play/pb-1", `{"media":"sound:hello-world"}`, 200)
	if pb["id"] != "pb-1" || pb["state"] != "queued" {
		t.Errorf("playback %v", pb)
	}
	l.until(is("PlaybackStarted", ""))
	l.until(is("PlaybackFinished", ""))

	if err := s.SendDTMF(id, "12"); err != nil {
		t.Fatal(err)
	}
	d := l.until(is("ChannelDtmfReceived", ""))
	if d["digit"] != "1" {
		t.Errorf("digit %v", d["digit"])
	}

	// AMD through the dialplan: continue to switchboard-amd, back in Stasis with the result.
	mustREST(t, s, "POST", "/channels/"+id+"/continue", `{"context":"switchboard-amd","extension":"s","priority":1}`, 204)
	back := l.until(func(e map[string]any) bool { return e["type"] == "StasisStart" && len(e["args"].([]any)) > 1 })
	if args := back["args"].([]any); args[0] != "amd" || args[1] != "MACHINE" {
		t.Errorf("AMD args %v, want amd MACHINE", args)
	}

	br := mustREST(t, s, "POST", "/bridges", `{"type":"mixing","bridgeId":"b1"}`, 200)
	mustREST(t, s, "POST", "/bridges/b1/addChannel", `{"channel":"`+id+`"}`, 204)
	rec := mustREST(t, s, "POST", "/bridges/b1/record", `{"name":"call-1","format":"wav"}`, 200)
	if rec["name"] != "call-1" || br["id"] != "b1" {
		t.Errorf("record %v bridge %v", rec, br)
	}
	l.until(is("RecordingStarted", ""))
	mustREST(t, s, "DELETE", "/bridges/b1", "", 204)
	l.until(is("RecordingFinished", ""))
	if got := s.Recordings(); len(got) != 1 || got[0] != "call-1" {
		t.Errorf("recordings %v", got)
	}
	mustREST(t, s, "DELETE", "/channels/"+id, "", 204)
	l.until(is("ChannelDestroyed", ";2"))
	if n := len(s.Channels()); n != 0 {
		t.Errorf("%d channels left", n)
	}
}

func TestProgrammableEndpoints(t *testing.T) {
	s := startEmu(t)
	l := connectWS(t, s, "switchboard")
	cases := []struct {
		exten  string
		b      Behaviour
		status string // last Dial status
		cause  float64
	}{
		{"10", Behaviour{Result: ResultBusy}, "BUSY", 17},
		{"11", Behaviour{Result: ResultCongestion}, "CONGESTION", 34},
		{"12", Behaviour{Result: ResultReject, RingFor: time.Second}, "CHANUNAVAIL", 21},
		{"13", Behaviour{Result: ResultAnswer, RingFor: 2 * time.Second, HangupAfter: 3 * time.Second}, "ANSWER", 16},
	}
	for _, c := range cases {
		if err := s.SetEndpoint("customers", c.exten, c.b); err != nil {
			t.Fatal(err)
		}
		mustREST(t, s, "POST", "/channels?endpoint=Local/"+c.exten+"@customers&app=switchboard&timeout=30", "", 200)
		var last string
		l.until(func(e map[string]any) bool {
			if e["type"] == "Dial" {
				last = e["dialstatus"].(string)
			}
			return e["type"] == "ChannelDestroyed" && strings.HasSuffix(chanName(e), ";2")
		})
		d := l.all[len(l.all)-1]
		if last != c.status || d["cause"] != c.cause {
			t.Errorf("%s: dial %s cause %v, want %s %v", c.b.Result, last, d["cause"], c.status, c.cause)
		}
	}
	if err := s.SetEndpoint("customers", "14", Behaviour{Result: "weird"}); err == nil {
		t.Error("unknown result accepted")
	}
}

// Bad requests get an ARI error, never a panic of the emulator.
func FuzzARIRoute(f *testing.F) {
	s, err := Start(Config{Clock: &Scaled{Factor: 1000}})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	for _, seed := range []struct{ m, p, k, v string }{
		{"POST", "/channels", "endpoint", "Local/100@customers"}, {"POST", "/channels/create", "endpoint", "Local/x@busy"},
		{"POST", "/bridges/b/addChannel", "channel", "x"}, {"GET", "/channels/x/variable", "variable", ""},
		{"POST", "/channels/x/dial", "timeout", "-1"}, {"DELETE", "/bridges/b", "", ""}, {"POST", "/channels/x/continue", "priority", "0"},
	} {
		f.Add(seed.m, seed.p, seed.k, seed.v)
	}
	f.Fuzz(func(t *testing.T, method, path, key, value string) {
		p := params{key: value, "app": "fuzz"}
		_ = s.do(func() {
			status, _, aerr := s.st.route(method, path, p)
			if aerr == nil && (status < 200 || status > 299) {
				t.Errorf("%s %s: status %d without an error", method, path, status)
			}
		})
	})
}
