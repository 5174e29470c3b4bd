package ringmedialect_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRequestBodies sends arbitrary bodies to every endpoint that decodes
// one: the answer is a valid response, never a dialect error or a 5xx, and
// every 400 names the field in the dialect's error shape.
func FuzzRequestBodies(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seed", "*_request.json"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{`{}`, `{"level":1e400}`, `{"sound":null}`, `{"name":"000*1"}`, `[]`, `{"a":1}{`, "\xff",
		`{"number":"+79215650644","status":"on_break"}`, `{"exit_key":9}`, `{"destination":"ivr,s,1"}`, `{"destination":[1]}`, `grant_type=client_credentials&client_id=12&client_secret=s12`,
		`{"url":"https://h.example/","method":"GET","event_type":"agent-login"}`, `{"concurrent_task_limit":1,"asr_threshold":0.5,"asr_window":10}`,
		`{"tasks":[{"a_number":"89215650644","b_number":"89215650645","try_again_pause":"5","callback_params":{"extended_a_numbers":[1]}}]}`,
		`{"tasks":[{"a_number":"89215650644","b_number":"89215650645","callback_params":{"caller_id_name":"Shop","caller_id_number":"+74951112233"}}]}`,
		`{"name":"","label":"sales","status":"blocked","type":"queue"}`} {
		f.Add([]byte(s))
	}
	fx := newFixture(f)
	tok := fx.token("12", "s12")
	_, b := fx.do(tok, "POST", "/client/@me/extension/", `{"type":"queue"}`)
	var ext struct {
		ID json.Number `json:"id"`
	}
	if err := json.Unmarshal([]byte(b), &ext); err != nil {
		f.Fatal(b)
	}
	_, b = fx.do(tok, "POST", "/client/@me/agent/local/", `{"extension_id":1}`)
	var agent struct {
		ID json.Number `json:"id"`
	}
	if err := json.Unmarshal([]byte(b), &agent); err != nil {
		f.Fatal(b)
	}
	q, a := ext.ID.String(), agent.ID.String()
	targets := []struct{ method, path string }{
		{"POST", "/client/@me/extension/"},
		{"PUT", "/client/@me/extension/" + q},
		{"PUT", "/extension/" + q + "/queue/"},
		{"POST", "/client/@me/agent/local/"},
		{"POST", "/client/@me/agent/remote/"},
		{"PUT", "/client/@me/agent/local/" + a},
		{"POST", "/extension/" + q + "/queue/agents/local/"},
		{"PUT", "/extension/" + q + "/queue/agents/local/" + a},
		{"POST", "/client/@me/agent/local/" + a + "/event/"},
		{"POST", "/client/@me/task_scheduler/"},
		{"POST", "/client/@me/task_scheduler/1/tasks/"},
		{"POST", "/client/@me/current_calls/call-1/transfer/"},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fx.t = t
		for _, tg := range targets {
			code, out := fx.do(tok, tg.method, tg.path, string(body))
			if code >= 500 && code != 501 {
				t.Fatalf("%s %s %q: %d %s", tg.method, tg.path, body, code, out)
			}
			if code == 400 {
				var e struct{ Status, Field, Message string }
				if err := json.Unmarshal([]byte(out), &e); err != nil || e.Status != "invalid_parameter" || e.Field == "" || e.Message == "" {
					t.Fatalf("%s %s %q: 400 without a field: %s", tg.method, tg.path, body, out)
				}
			}
		}
	})
}
