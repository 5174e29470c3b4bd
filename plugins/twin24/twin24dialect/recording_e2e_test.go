package twin24dialect_test

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/service/servicetest"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// company is an account with its provisioned credential and a token.
type company struct {
	tenant, email, password, token string
}

func (f *fixture) company() company {
	f.t.Helper()
	a, creds, err := accounts.Create(f.ctx, f.svc.DB(), accounts.Request{Dialect: "twin24"}, time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	code, b := f.do("POST", api+"/auth/login", "", `{"email":"`+creds["email"]+`","password":"`+creds["password"]+`","ttl":600}`)
	var tok struct{ AuthToken string }
	if err := json.Unmarshal([]byte(b), &tok); code != http.StatusOK || err != nil || tok.AuthToken == "" {
		f.t.Fatalf("login: %d %s", code, b)
	}
	return company{tenant: a.ID, email: creds["email"], password: creds["password"], token: tok.AuthToken}
}

// fetch GETs url with HTTP Basic user:pass (none when user is empty).
func (f *fixture) fetch(url, user, pass string) (int, http.Header, []byte) {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, url, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// An autoCall with recordCall and recTrimLeft: its callResult links the
// recording, which the company fetches with its email and password; the
// file starts recTrimLeft after the answer; another company, no
// credentials or a wrong password cannot fetch it.
func TestRecordingEndToEnd(t *testing.T) {
	// ×10, not ×50: the recording starts on a real-time command after the
	// emulated trim, and under load a 100 ms lag at ×50 was 5 s of a 6 s
	// recording.
	r := servicetest.WithPlugin(t, "twin24", servicetest.Speed(10))
	f := &fixture{t: t, ctx: r.Ctx, svc: r.Service}
	a, b := f.company(), f.company()
	hooks := newHookServer(t)

	const (
		number = "+79210000011"
		robot  = 12 * time.Second // the robot talks this long, then hangs up
		trim   = 6                // recTrimLeft, seconds
	)
	if err := r.Emulator().SetEndpoint("twin24-robot", "228cc4fa-92f2-4709-94e3-7344a96a5903",
		asterisk.Behaviour{Result: asterisk.ResultAnswer, HangupAfter: robot}); err != nil {
		t.Fatal(err)
	}
	if err := r.Emulator().SetEndpoint("customers", number, asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second}); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(autoCallBody(t, "recorded", []string{hooks.URL + "/a"}, 1)), &body); err != nil {
		t.Fatal(err)
	}
	o := body["additionalOptions"].(map[string]any)
	o["recordCall"], o["recTrimLeft"] = true, trim
	raw, _ := json.Marshal(body)
	id := f.createAutoCall(a.token, string(raw))
	if code, b := f.do("POST", api+"/telephony/autoCall/"+id+"/contacts", a.token, `{"contacts":[{"id":"r1","phone":"`+number+`"}]}`); code != http.StatusOK {
		t.Fatalf("contacts: %d %s", code, b)
	}
	if code, b := f.do("POST", api+"/telephony/autoCall/"+id+"/start", a.token, ""); code != http.StatusOK {
		t.Fatalf("start: %d %s", code, b)
	}
	got := hooks.waitFor(t, "the callResult", func(hs []hook) bool { return count(hs, "/a", "callResult") >= 1 })
	var res map[string]any
	for _, h := range got {
		if h.Body["event"] == "callResult" {
			res = h.Body
		}
	}
	link, _ := res["recording"].(string)
	name, _ := res["callId"].(string)
	if res["outcome"] != "answer" || name == "" || link != r.URL()+"/api/recordings/"+name {
		t.Fatalf("callResult %v: want an answered call whose recording is %s/api/recordings/<callId>", res, r.URL())
	}

	// The recording is stored once the call's snoop channel has gone; the
	// webhook may come first.
	var (
		code int
		hdr  http.Header
		wav  []byte
	)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if code, hdr, wav = f.fetch(link, a.email, a.password); code != http.StatusNotFound {
			break
		}
	}
	if code != http.StatusOK || hdr.Get("Content-Type") != "audio/wav" {
		t.Fatalf("company A fetching its recording: %d %s %.200s", code, hdr.Get("Content-Type"), wav)
	}
	if len(wav) < 44 || string(wav[0:4]) != "RIFF" || string(wav[8:12]) != "WAVE" {
		t.Fatalf("not a WAV file: % x", wav[:min(len(wav), 44)])
	}
	// Recorded from trim after the answer to the robot's hang-up: about
	// robot − trim = 6 s, where an untrimmed recording would run 12 s.
	secs := float64(binary.LittleEndian.Uint32(wav[40:])) / float64(binary.LittleEndian.Uint32(wav[28:]))
	t.Logf("recording of %.2f s", secs)
	if secs < 3 || secs > (robot.Seconds()-trim)+1.5 {
		t.Errorf("recording of %.2f s, want about %.0f s (trimmed %d s of %.0f s)", secs, robot.Seconds()-trim, trim, robot.Seconds())
	}

	for _, c := range []struct {
		who        string
		user, pass string
		want       int
	}{
		{"another company", b.email, b.password, http.StatusNotFound},
		{"no credentials", "", "", http.StatusUnauthorized},
		{"a wrong password", a.email, a.password + "x", http.StatusUnauthorized},
	} {
		code, hdr, body := f.fetch(link, c.user, c.pass)
		if code != c.want || !strings.Contains(string(body), `"error"`) {
			t.Errorf("%s: %d %s, want %d with an error body", c.who, code, body, c.want)
		}
		if code == http.StatusUnauthorized && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("%s: 401 without a Basic challenge: %v", c.who, hdr)
		}
	}
	if code, _, body := f.fetch(r.URL()+"/api/recordings/"+name+"-nope", a.email, a.password); code != http.StatusNotFound {
		t.Errorf("an unknown recording: %d %s", code, body)
	}
}
