package twin24dialect_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/service/servicetest"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/service"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}

func indent(t *testing.T, b string) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(b), &v); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return append(out, '\n')
}

// fixture is the service with the twin24 plugin process, over SQLite.
type fixture struct {
	t   *testing.T
	ctx context.Context
	svc *service.Service
}

func startService(t *testing.T) *fixture {
	t.Helper()
	running := servicetest.WithPlugin(t, "twin24")
	f := &fixture{t: t, ctx: running.Ctx, svc: running.Service}
	return f
}

func (f *fixture) do(method, path, token, body string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.ctx, method, f.svc.URL()+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// login provisions a twin24 account and logs in with its email and password.
func (f *fixture) login() (tenant string, access, refresh string) {
	f.t.Helper()
	a, creds, err := accounts.Create(f.ctx, f.svc.DB(), accounts.Request{Dialect: "twin24"}, time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	code, b := f.do("POST", "/twin24/api/v1/auth/login", "", `{"email":"`+creds["email"]+`","password":"`+creds["password"]+`","ttl":600}`)
	var tok struct{ AuthToken, RefreshToken string }
	if err := json.Unmarshal([]byte(b), &tok); code != http.StatusOK || err != nil || tok.AuthToken == "" || tok.RefreshToken == "" {
		f.t.Fatalf("login: %d %s", code, b)
	}
	return a.ID, tok.AuthToken, tok.RefreshToken
}

const api = "/twin24/api/v1"

// The seed's example request, sent as it is, gives the seed's response
// shape; the campaign stored in the host carries every field.
func TestConformance(t *testing.T) {
	f := startService(t)
	tenant, token, refresh := f.login()
	_, otherToken, _ := f.login()
	seedBody, err := os.ReadFile("testdata/create_request.json")
	if err != nil {
		t.Fatal(err)
	}
	// The seed's webhookUrls, on a loopback server of ours: the host checks
	// that a webhook's host resolves to an address it may reach.
	hooks := newHookServer(t)
	seedHooks := []string{"https://webhook.site", "https://typedwebhook.tools"}
	for _, h := range seedHooks {
		seedBody = []byte(strings.ReplaceAll(string(seedBody), h, hooks.URL))
	}

	code, b := f.do("POST", api+"/telephony/autoCall", token, string(seedBody))
	if code != http.StatusOK {
		t.Fatalf("create: %d %s", code, b)
	}
	var created struct {
		ID struct {
			Identity string `json:"identity"`
		} `json:"id"`
	}
	if err := json.Unmarshal([]byte(b), &created); err != nil || created.ID.Identity == "" {
		t.Fatalf("create reply %s: %v", b, err)
	}
	id := created.ID.Identity
	// The seed's reply has the same shape: {"id":{"identity":…}}.
	seedReply, _ := os.ReadFile("testdata/create_response.seed.json")
	shape := regexp.MustCompile(`"identity": "[^"]*"`)
	if got := shape.ReplaceAllString(string(indent(t, b)), `"identity": "…"`); got != shape.ReplaceAllString(string(seedReply), `"identity": "…"`) {
		t.Errorf("create reply %s does not have the seed's shape %s", got, seedReply)
	}

	// Stored in the host as a pkg/dialer campaign.
	n, err := store.ParseACDID(id)
	if err != nil {
		t.Fatalf("identity %q: %v", id, err)
	}
	sc, err := f.svc.Campaigns().Campaign(f.ctx, tenant, n)
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Config
	moscow, _ := time.LoadLocation("Europe/Moscow")
	checks := []struct {
		name string
		ok   bool
	}{
		{"name", c.Name == "test_autocall"},
		{"mode ivr", c.Mode == dialer.ModeIVR},
		{"region RU", c.DefaultRegion == "RU"},
		{"robot scenario", c.Destination.Kind == dialer.DestDialplan && c.Destination.Dialplan == telephony.DialplanTarget{Context: "twin24-robot", Extension: "228cc4fa-92f2-4709-94e3-7344a96a5903", Priority: 1}},
		{"transfer to channel", c.Destination.Transfer == "channel" && c.Destination.TransferTarget.Extension == "48a77bd7-8762-4e0f-a277-4ef77e36c41b"},
		{"caller id entity kept", c.CallerID.Mode == dialer.CallerIDTrunk && c.CallerID.PoolID == "9a67dee5-398e-4570-9426-fbb3f067b270"},
		{"start at 2023-06-02 10:00 Moscow", c.Start.Mode == dialer.StartAt && c.Start.At.Equal(time.Date(2023, 6, 2, 10, 0, 0, 0, moscow))},
		{"cps 1.03 = 3 calls/s", c.Pacing.Rate == dialer.Rate{Calls: 3, Per: time.Second}},
		{"taskComment", c.Description == "Тестовое задание для демонстрации работы API"},
		{"webhooks are subscriptions, not in the campaign", len(c.Subscriptions) == 0},
		{"calling hours whole day", len(c.Windows.Allowed) == 1 && sameRange(c.Windows.Allowed[0].Ranges[0], 0, 24*time.Hour) && !c.Windows.CalleeLocal},
		{"recording", c.Recording.Enabled && c.Recording.TrimLeft == 0},
		{"amd back = hangup", c.AMD.Enabled && c.AMD.OnMachine == "hangup"},
		{"no trunk", c.Trunk == ""},
		{"redial off", len(c.Redial.Rules) == 0},
		{"fullListMethod kept", c.Attrs["twin24.fullListMethod"] == "reject"},
	}
	for _, ck := range checks {
		if !ck.ok {
			t.Errorf("stored campaign: %s: %+v", ck.name, c)
		}
	}
	if got, want := f.urls(tenant, id), []string{hooks.URL + "/6f44...2aa287f", hooks.URL + "/webhook/4c6d9...8720ab39"}; !slices.Equal(got, want) {
		t.Errorf("subscriptions %q, want %q", got, want)
	}

	code, b = f.do("GET", api+"/telephony/autoCall/"+id, token, "")
	if code != http.StatusOK {
		t.Fatalf("get: %d %s", code, b)
	}
	// With no numbers yet, a campaign whose start moment is past has run and finished.
	state := regexp.MustCompile(`"status": "(running|finished)"`)
	normal := strings.ReplaceAll(string(indent(t, b)), `"identity": "`+id+`"`, `"identity": "{id}"`)
	normal = strings.ReplaceAll(normal, hooks.URL, "{webhooks}")
	if !state.MatchString(normal) {
		t.Errorf("state after create: %s", b)
	}
	golden(t, "get_response.json", []byte(state.ReplaceAllString(normal, `"status": "{running or finished}"`)))
	// Everything the client sent comes back as sent.
	var sent, got map[string]any
	_ = json.Unmarshal(seedBody, &sent)
	_ = json.Unmarshal([]byte(b), &got)
	for k, v := range sent {
		gb, _ := json.Marshal(got[k])
		sb, _ := json.Marshal(v)
		if string(gb) != string(sb) {
			t.Errorf("GET %s = %s, sent %s", k, gb, sb)
		}
	}

	// PATCH: redial on for busy and noAnswer, useTr with calling hours 9:00–21:00, cps one call per 60 s.
	code, b = f.do("PATCH", api+"/telephony/autoCall/"+id, token, `{"cps":0.4,"additionalOptions":{"useTr":true,"allowCallTimeFrom":32400,"allowCallTimeTo":75599},
		"redialStrategyOptions":{"redialStrategyEn":true,"busy":{"redial":true,"time":300,"count":3},"noAnswer":{"redial":true,"time":600,"count":2}}}`)
	if code != http.StatusOK || !strings.Contains(b, `"cps":0.4`) || !strings.Contains(b, `"busy":{"redial":true,"time":300,"count":3}`) {
		t.Fatalf("patch: %d %s", code, b)
	}
	sc, _ = f.svc.Campaigns().Campaign(f.ctx, tenant, n)
	c = sc.Config
	if c.Pacing.Rate != (dialer.Rate{Calls: 1, Per: time.Minute}) || !c.Windows.CalleeLocal ||
		!sameRange(c.Windows.Allowed[0].Ranges[0], 9*time.Hour, 21*time.Hour) ||
		c.Redial.Rules[telephony.OutcomeBusy].Count != 3 || c.Redial.Rules[telephony.OutcomeBusy].Intervals[0] != 5*time.Minute ||
		c.Redial.Rules[telephony.OutcomeNoAnswer].Count != 2 || len(c.Redial.Rules) != 2 || c.Name != "test_autocall" {
		t.Errorf("patched campaign: %+v", c)
	}

	// Numbers in the national format, echoed as sent.
	code, b = f.do("POST", api+"/telephony/autoCall/"+id+"/contacts", token,
		`{"contacts":[{"id":"c1","phone":"89215650644","variables":{"name":"Иван"}},{"id":"c2","phone":"+7 921 565-06-45"},{"id":"c3","phone":"12345"}]}`)
	if code != http.StatusOK {
		t.Fatalf("contacts: %d %s", code, b)
	}
	golden(t, "contacts_response.json", indent(t, b))
	code, b = f.do("GET", api+"/telephony/autoCall/"+id+"/contacts?limit=10", token, "")
	if code != http.StatusOK || !strings.Contains(b, `"phone":"89215650644"`) || !strings.Contains(b, `"phone":"+7 921 565-06-45"`) || strings.Contains(b, "12345") {
		t.Errorf("list contacts: %d %s", code, b)
	}

	code, b = f.do("GET", api+"/telephony/autoCall/"+id+"/statistics", token, "")
	if code != http.StatusOK || !strings.Contains(b, `"total":2`) || !strings.Contains(b, `"answerMash":0`) {
		t.Errorf("statistics: %d %s", code, b)
	}
	if code, b := f.do("GET", api+"/telephony/autoCall/"+id+"/statistics", otherToken, ""); code != http.StatusNotFound {
		t.Errorf("another company's statistics: %d %s", code, b)
	}
	code, b = f.do("GET", api+"/telephony/autoCall?limit=10", token, "")
	if code != http.StatusOK || !strings.Contains(b, `"identity":"`+id+`"`) {
		t.Errorf("list: %d %s", code, b)
	}
	code, b = f.do("GET", api+"/telephony/autoCall?limit=10&offset=1", token, "")
	if code != http.StatusOK || b != `{"items":[],"limit":10,"offset":1}` {
		t.Errorf("list from offset 1: %d %s", code, b)
	}

	// Its start moment is past: it runs already.
	code, b = f.do("POST", api+"/telephony/autoCall/"+id+"/start", token, "")
	if code != http.StatusConflict || b != `{"error":{"code":409,"message":"not allowed in the autoCall's current state"}}` {
		t.Errorf("start while running: %d %s", code, b)
	}
	code, b = f.do("DELETE", api+"/telephony/autoCall/"+id, token, "")
	if code != http.StatusConflict {
		t.Errorf("delete while running: %d %s", code, b)
	}
	code, b = f.do("POST", api+"/telephony/autoCall/"+id+"/stop", token, "")
	if code != http.StatusOK || !strings.Contains(b, `"status":"stop`) {
		t.Errorf("stop: %d %s", code, b)
	}
	f.waitStatus(token, id, "stopped")
	code, b = f.do("POST", api+"/telephony/autoCall/"+id+"/start", token, "")
	if code != http.StatusOK || !strings.Contains(b, `"status":"running"`) {
		t.Errorf("start: %d %s", code, b)
	}
	f.do("POST", api+"/telephony/autoCall/"+id+"/stop", token, "")
	f.waitStatus(token, id, "stopped")

	// Tenants apart: the other company sees nothing of it.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/telephony/autoCall/" + id, ""},
		{"PATCH", "/telephony/autoCall/" + id, `{"name":"x"}`},
		{"POST", "/telephony/autoCall/" + id + "/start", ""},
		{"POST", "/telephony/autoCall/" + id + "/contacts", `{"contacts":[{"phone":"89215650644"}]}`},
		{"DELETE", "/telephony/autoCall/" + id, ""},
	} {
		if code, b := f.do(c.method, api+c.path, otherToken, c.body); code != http.StatusNotFound || b != `{"error":{"code":404,"message":"autoCall not found"}}` {
			t.Errorf("another company %s %s: %d %s", c.method, c.path, code, b)
		}
	}
	if _, b := f.do("GET", api+"/telephony/autoCall", otherToken, ""); b != `{"items":[],"limit":100,"offset":0}` {
		t.Errorf("another company's list: %s", b)
	}

	// Refresh gives a working authToken; a refreshToken is not an authToken.
	code, b = f.do("GET", api+"/auth/refresh?refreshToken="+refresh+"&ttl=60", "", "")
	var tok struct{ AuthToken, RefreshToken string }
	if err := json.Unmarshal([]byte(b), &tok); code != http.StatusOK || err != nil || tok.AuthToken == "" {
		t.Fatalf("refresh: %d %s", code, b)
	}
	if code, b := f.do("GET", api+"/telephony/autoCall/"+id, tok.AuthToken, ""); code != http.StatusOK {
		t.Errorf("refreshed token: %d %s", code, b)
	}
	if code, _ := f.do("GET", api+"/telephony/autoCall/"+id, refresh, ""); code != http.StatusUnauthorized {
		t.Errorf("a refreshToken used as authToken: %d", code)
	}
	if code, b := f.do("DELETE", api+"/telephony/autoCall/"+id, token, ""); code != http.StatusNoContent {
		t.Errorf("delete: %d %s", code, b)
	}
	if code, _ := f.do("GET", api+"/telephony/autoCall/"+id, token, ""); code != http.StatusNotFound {
		t.Errorf("deleted campaign still there: %d", code)
	}

	t.Run("errors", func(t *testing.T) {
		f.t = t
		defer func() { f.t = nil }()
		bad := func(mutate func(m map[string]any)) string {
			var m map[string]any
			_ = json.Unmarshal(seedBody, &m)
			mutate(m)
			out, _ := json.Marshal(m)
			return string(out)
		}
		opts := func(m map[string]any) map[string]any { return m["additionalOptions"].(map[string]any) }
		redial := func(m map[string]any) map[string]any { return m["redialStrategyOptions"].(map[string]any) }
		cases := []struct {
			name, method, path, token, body string
			code                            int
			want                            string
		}{
			{"no token", "GET", "/telephony/autoCall", "", "", 401, `{"error":{"code":401,"message":"unauthorized: an Authorization: Bearer authToken header is required"}}`},
			{"bad token", "GET", "/telephony/autoCall", token + "x", "", 401, `{"error":{"code":401,"message":"unauthorized: the authToken is invalid or expired"}}`},
			{"bad password", "POST", "/auth/login", "", `{"email":"nobody@example.com","password":"x"}`, 401, `{"error":{"code":401,"message":"invalid email or password"}}`},
			{"login without fields", "POST", "/auth/login", "", `{}`, 422, `{"error":{"code":422,"message":"validation failed","fields":{"email":"is required","password":"is required"}}}`},
			{"login ttl", "POST", "/auth/login", "", `{"email":"a@b.c","password":"x","ttl":0}`, 422, `{"error":{"code":422,"message":"validation failed","fields":{"ttl":"must be 1–2592000 seconds"}}}`},
			{"refresh without token", "GET", "/auth/refresh", "", "", 422, `{"error":{"code":422,"message":"validation failed","fields":{"refreshToken":"is required"}}}`},
			{"refresh with an authToken", "GET", "/auth/refresh?refreshToken=" + token, "", "", 401, `{"error":{"code":401,"message":"the refreshToken is invalid or expired"}}`},
			{"unknown id", "GET", "/telephony/autoCall/999999", token, "", 404, `{"error":{"code":404,"message":"autoCall not found"}}`},
			{"not an id", "GET", "/telephony/autoCall/bf1fee-70dc544", token, "", 404, `{"error":{"code":404,"message":"autoCall not found"}}`},
			{"no endpoint", "GET", "/telephony/nothing", token, "", 404, `{"error":{"code":404,"message":"no such endpoint: GET /api/v1/telephony/nothing"}}`},
			{"limit", "GET", "/telephony/autoCall?limit=1001", token, "", 422, `{"error":{"code":422,"message":"validation failed","fields":{"limit":"must be a whole number 1–1000"}}}`},
			{"not JSON", "POST", "/telephony/autoCall", token, `{`, 422, `{"error":{"code":422,"message":"validation failed","fields":{"body":"must be a JSON object: unexpected EOF"}}}`},
			{"empty body", "POST", "/telephony/autoCall", token, `{}`, 422, `{"error":{"code":422,"message":"validation failed","fields":{"additionalOptions":"is required","cidType":"is required","cps":"is required","defaultExec":"is required","defaultExecData":"is required","name":"is required","redialStrategyOptions":"is required","secondExec":"is required","startType":"is required"}}}`},
			{"wrong type", "POST", "/telephony/autoCall", token, bad(func(m map[string]any) { opts(m)["fullListTime"] = "10" }), 422,
				`{"error":{"code":422,"message":"validation failed","fields":{"additionalOptions.fullListTime":"must be an integer, not a JSON string"}}}`},
			{"cps 1.0", "POST", "/telephony/autoCall", token, bad(func(m map[string]any) { m["cps"] = 1.0 }), 422,
				`{"error":{"code":422,"message":"validation failed","fields":{"cps":"1.0 is neither N calls per second (1 + N/100) nor one call every N seconds (1 − N/100)"}}}`},
			{"cps 0", "POST", "/telephony/autoCall", token, bad(func(m map[string]any) { m["cps"] = 0 }), 422,
				`{"error":{"code":422,"message":"validation failed","fields":{"cps":"must be greater than 0 (1 − N/100 is one call every N seconds, N < 100)"}}}`},
			{"cps too fast", "POST", "/telephony/autoCall", token, bad(func(m map[string]any) { m["cps"] = 3.5 }), 422,
				`{"error":{"code":422,"message":"validation failed","fields":{"cps":"at most 200 calls per second (3)"}}}`},
			{"enums", "POST", "/telephony/autoCall", token, bad(func(m map[string]any) {
				m["defaultExec"], m["secondExec"], m["cidType"], m["startType"] = "human", "queue", "x", "later"
				opts(m)["fullListMethod"], opts(m)["detectRobotMode"] = "accept", "sideways"
			}), 422, `{"error":{"code":422,"message":"validation failed","fields":{"additionalOptions.detectRobotMode":"must be one of: back, forward","additionalOptions.fullListMethod":"must be reject","cidType":"must be one of: gornum, pool, random","defaultExec":"must be one of: robot","secondExec":"must be one of: ch, hangup","startType":"must be one of: manual, now, time"}}}`},
			{"conditional requirements", "POST", "/telephony/autoCall", token, bad(func(m map[string]any) {
				delete(m, "secondExecData")
				delete(m, "cidData")
				delete(m, "startMoment")
				o := opts(m)
				o["useTr"] = true
				delete(o, "allowCallTimeFrom")
				delete(o, "recTrimLeft")
				delete(o, "detectRobotMode")
				redial(m)["busy"] = map[string]any{"redial": true}
			}), 422, `{"error":{"code":422,"message":"validation failed","fields":{"additionalOptions.allowCallTimeFrom":"is required","additionalOptions.detectRobotMode":"is required when detectRobot is true","additionalOptions.recTrimLeft":"is required","cidData":"is required","redialStrategyOptions.busy.count":"is required","redialStrategyOptions.busy.time":"is required","secondExecData":"is required","startMoment":"is required"}}}`},
			{"ranges", "POST", "/telephony/autoCall", token, bad(func(m map[string]any) {
				m["startMoment"], m["defaultExecData"] = "02.06.2023 10:00", "scenario-1"
				m["webhookUrls"] = []string{"ftp://x"}
				opts(m)["allowCallTimeTo"], opts(m)["fullListTime"] = 86400, -1
				redial(m)["noAnswer"] = map[string]any{"redial": true, "time": 0, "count": 101}
				delete(redial(m), "congestion")
			}), 422, `{"error":{"code":422,"message":"validation failed","fields":{"additionalOptions.allowCallTimeTo":"must be 0–86399","additionalOptions.fullListTime":"must be 0–86400","defaultExecData":"must be a scenario uuid","redialStrategyOptions.congestion":"is required","redialStrategyOptions.noAnswer.count":"must be 1–100","redialStrategyOptions.noAnswer.time":"must be 1–864000","startMoment":"must be YYYY-MM-DD hh:mm (the company's time zone)","webhookUrls[0]":"must be an absolute http or https URL"}}}`},
			{"unknown trunk", "POST", "/telephony/autoCall", token, bad(func(m map[string]any) { opts(m)["providerId"] = "77" }), 422,
				`{"error":{"code":422,"message":"validation failed","fields":{"additionalOptions.providerId":"no such trunk"}}}`},
			{"contacts without numbers", "POST", "/telephony/autoCall/1/contacts", token, `{"contacts":[{"variables":{}}]}`, 422,
				`{"error":{"code":422,"message":"validation failed","fields":{"contacts[0].phone":"is required"}}}`},
		}
		for _, c := range cases {
			code, b := f.do(c.method, api+c.path, c.token, c.body)
			if code != c.code || b != c.want {
				t.Errorf("%s: got %d %s\nwant %d %s", c.name, code, b, c.code, c.want)
			}
		}
	})
}

func sameRange(r dialer.TimeRange, from, to time.Duration) bool {
	return r.From == from && r.To == to && len(r.Days) == 0
}

func (f *fixture) waitStatus(token, id, status string) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, b := f.do("GET", api+"/telephony/autoCall/"+id, token, "")
		if strings.Contains(b, `"status":"`+status+`"`) {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("autoCall %s never became %s: %s", id, status, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
