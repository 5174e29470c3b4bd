package zxycalldialect_test

import (
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/service/servicetest"

	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/plugins/zxycall/zxycalldialect"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}

// keys lists the JSON object's keys, nested objects as "a.b".
func keys(t *testing.T, prefix string, v any) []string {
	t.Helper()
	var out []string
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			out = append(out, prefix+k)
			if _, nested := x.(map[string]any); nested {
				out = append(out, keys(t, prefix+k+".", x)...)
			}
		}
	}
	slices.Sort(out)
	return out
}

func sameKeys(t *testing.T, what, seedFile string, got any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", seedFile))
	if err != nil {
		t.Fatal(err)
	}
	var seed any
	if err := json.Unmarshal(b, &seed); err != nil {
		t.Fatal(err)
	}
	if w, g := keys(t, "", seed), keys(t, "", got); !slices.Equal(w, g) {
		t.Errorf("%s keys differ from the seed's:\n got %v\nwant %v", what, g, w)
	}
}

var stamps = regexp.MustCompile(`"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"`)

// The conformance test: the real plugin process behind the real service
// (internal/hostapi over SQLite, the dialer engine), over real HTTP, with
// the seed's example bodies.
func TestConformance(t *testing.T) {
	svc := servicetest.WithPlugin(t, "zxycall")
	ctx := svc.Ctx
	tenant, creds, err := accounts.Create(ctx, svc.DB(), accounts.Request{Dialect: "zxycall"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := accounts.Create(ctx, svc.DB(), accounts.Request{Dialect: "zxycall"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tok, otherTok := creds["token"], other["token"]
	do := func(method, path, token, ctype, reqBody string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, svc.URL()+"/zxycall"+path, strings.NewReader(reqBody))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _ := do("GET", "/v1/task", tok, "", "")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin did not answer: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	norm := func(s string) string {
		s = strings.ReplaceAll(s, tenant.ID, "<user_id>")
		return stamps.ReplaceAllString(s, `"<datetime>"`)
	}

	// A caller line like the seed's (call_line 1, call_number 13530525008).
	code, b := do("POST", "/v1/caller_line", tok, "", `{"name":"尊享ai.zxycall.com一","call_line":1,"call_number":"13530525008","available_at":"2019-12-18 00:00:00"}`)
	if code != 200 {
		t.Fatalf("create line: %d %s", code, b)
	}
	var ln struct{ ID string }
	if err := json.Unmarshal([]byte(b), &ln); err != nil || ln.ID == "" {
		t.Fatalf("line %s: %v", b, err)
	}
	golden(t, "caller_line.json", strings.ReplaceAll(norm(b), `"id":"`+ln.ID+`"`, `"id":"<line>"`))

	// An agent group like the seed's 组2, transferring on that line.
	code, b = do("POST", "/v1/customer_service", tok, "", `{"name":"组2","caller_line_id":"`+ln.ID+`","status":1}`)
	var ag zxycalldialect.MetaCustomerService
	if code != 200 || json.Unmarshal([]byte(b), &ag) != nil || ag.ID == 0 {
		t.Fatalf("create agent group: %d %s", code, b)
	}

	code, b = do("GET", "/v1/task/create", tok, "", "")
	var meta any
	if code != 200 || json.Unmarshal([]byte(b), &meta) != nil {
		t.Fatalf("meta: %d %s", code, b)
	}
	sameKeys(t, "GET /v1/task/create", "seed_meta.json", meta)
	golden(t, "meta.json", strings.ReplaceAll(strings.ReplaceAll(norm(b), `"value":"`+ln.ID+`"`, `"value":"<line>"`), `"caller_line_id":"`+ln.ID+`"`, `"caller_line_id":"<line>"`))
	// The lists' entries have the seed's keys too.
	for _, list := range []string{"customer_service", "outbound_group", "caller_line_list", "auto_recycle_rules", "enum_disable_dial_timegroup"} {
		first := func(body []byte) any {
			var m struct{ Meta map[string]json.RawMessage }
			var items []any
			if err := json.Unmarshal(body, &m); err != nil || json.Unmarshal(m.Meta[list], &items) != nil || len(items) == 0 {
				t.Fatalf("meta %s: %v %s", list, err, body)
			}
			return items[0]
		}
		sb, err := os.ReadFile(filepath.Join("testdata", "seed_meta.json"))
		if err != nil {
			t.Fatal(err)
		}
		if w, g := keys(t, "", first(sb)), keys(t, "", first([]byte(b))); !slices.Equal(w, g) {
			t.Errorf("meta %s[0] keys differ from the seed's:\n got %v\nwant %v", list, g, w)
		}
	}
	// A new account's defaults: the seed's three blocked time groups and two rules.
	var choices zxycalldialect.Meta
	if err := json.Unmarshal([]byte(b), &choices); err != nil {
		t.Fatal(err)
	}
	tgs, rules, scripts := choices.Meta.EnumDisableDialTimegroup, choices.Meta.AutoRecycleRules, choices.Meta.OutboundGroup
	if len(tgs) != 3 || tgs[0].Name != "休息时间" || len(rules) != 2 || rules[0].Name != "默认" || rules[1].Name != "不重呼" {
		t.Fatalf("default time groups %+v, rules %+v", tgs, rules)
	}
	if len(scripts) != 1 || scripts[0].Name == nil || *scripts[0].Name != "默认话术" || !scripts[0].Default {
		t.Fatalf("default script groups %+v", scripts)
	}
	if cs := choices.Meta.CustomerService; len(cs) != 1 || cs[0].ID != ag.ID || cs[0].Status != 1 || cs[0].CallerLineID == nil || *cs[0].CallerLineID != ln.ID {
		t.Fatalf("customer_service %+v", cs)
	}
	if _, again := do("GET", "/v1/task/create", tok, "", ""); again != b {
		t.Errorf("meta changed on a second read (defaults seeded twice?):\n%s\n%s", b, again)
	}

	// The seed's create example (its table's example values), with the ids meta gave.
	create := `{"caller_line_id":"` + ln.ID + `","destination_extension":` + strconv.Itoa(scripts[0].ID) + `,"disable_dial_timegroup":"` + tgs[0].UUID + `",
		"customer_service_id":` + strconv.Itoa(ag.ID) + `,"maximumcall":1,"name":"测试任务","random_assignment_number":0,"recycle_limit":0,"remark":"第一个任务","_originate_timeout":60,
		"call_pause_second":10,"auto_recycle_rule_id":` + strconv.Itoa(rules[0].ID) + `}`
	code, b = do("POST", "/v1/task", tok, "application/json", create)
	var created map[string]any
	if code != 200 || json.Unmarshal([]byte(b), &created) != nil || created["uuid"] == nil {
		t.Fatalf("create: %d %s", code, b)
	}
	id := created["uuid"].(string)
	sameKeys(t, "POST /v1/task", "seed_create_response.json", created)
	fix := func(s string) string {
		s = strings.ReplaceAll(norm(s), `"caller_line_id":"`+ln.ID+`"`, `"caller_line_id":"<line>"`)
		s = strings.ReplaceAll(s, `"id":"`+ln.ID+`"`, `"id":"<line>"`)
		return strings.ReplaceAll(s, `"uuid":"`+id+`","user_id"`, `"uuid":"<task>","user_id"`)
	}
	golden(t, "create_task.json", fix(b))

	code, b = do("GET", "/v1/task", tok, "", "")
	var list struct{ Data []any }
	if code != 200 || json.Unmarshal([]byte(b), &list) != nil || len(list.Data) != 1 {
		t.Fatalf("list: %d %s", code, b)
	}
	sameKeys(t, "GET /v1/task data[0]", "seed_list_item.json", list.Data[0])
	golden(t, "list_tasks.json", fix(b))

	// Customers: Chinese numbers in national format, echoed as sent.
	code, b = do("POST", "/v1/task/import_task_customer/"+id, tok, "application/json",
		`[{"number":"13223004567","name":"张三","variables":{"订单":"A1"}},{"number":"12345"},{"number":""},{"number":"13223004567"}]`)
	golden(t, "import.json", b)
	if code != 200 || !strings.Contains(b, `"imported":1`) {
		t.Errorf("import: %d %s", code, b)
	}
	code, b = do("POST", "/v1/task/import_task_customer/"+id, tok, "text/csv", "number,name,city\n13800138000,李四,深圳\n")
	if code != 200 || !strings.Contains(b, `"imported":1`) {
		t.Errorf("csv import: %d %s", code, b)
	}

	// A second task on the same one-channel line cannot start while the first runs.
	code, b = do("GET", "/v1/task/start/"+id, tok, "", "")
	if code != 200 || !strings.Contains(b, `"start":1`) || !strings.Contains(b, `"start_str":"开启"`) {
		t.Errorf("start: %d %s", code, b)
	}
	code, b = do("POST", "/v1/task", tok, "", create)
	if code != 200 || !strings.Contains(b, `"code":10001`) || !strings.Contains(b, "maximumcall") {
		t.Errorf("over the residue: %d %s", code, b)
	}
	code, b = do("GET", "/v1/task/destroy/"+id, tok, "", "")
	if !strings.Contains(b, `"code":10009`) {
		t.Errorf("destroy a running task: %d %s", code, b)
	}
	code, b = do("GET", "/v1/task/stop/"+id, tok, "", "")
	if code != 200 || !strings.Contains(b, `"start":0`) {
		t.Errorf("stop: %d %s", code, b)
	}
	update := strings.Replace(create, `"name":"测试任务"`, `"name":"改名","customer_service_id":null`, 1)
	code, b = do("PUT", "/v1/task/"+id, tok, "", update)
	if code != 200 || !strings.Contains(b, `"name":"改名"`) {
		t.Errorf("update: %d %s", code, b)
	}

	for _, c := range []struct {
		name, method, path, token, body string
		status                          int
		want                            string
	}{
		{"no token", "GET", "/v1/task", "", "", 401, `{"code":401,"msg":"未授权: 需要有效的 Bearer token","data":null}`},
		{"bad token", "GET", "/v1/task", tok + "x", "", 401, `"code":401`},
		{"another user's task", "GET", "/v1/task/" + id, otherTok, "", 200, `"code":10004`},
		{"another user's start", "GET", "/v1/task/start/" + id, otherTok, "", 200, `"code":10004`},
		{"another user's import", "POST", "/v1/task/import_task_customer/" + id, otherTok, `[]`, 200, `"code":10004`},
		{"another user's line", "POST", "/v1/task", otherTok, create, 200, `"code":10001,"msg":"参数错误: caller_line_id`},
		{"another user's list is empty", "GET", "/v1/task", otherTok, "", 200, `{"data":[]}`},
		{"missing name", "POST", "/v1/task", tok, strings.Replace(create, `"name":"测试任务",`, "", 1), 200, `参数错误: name: is required`},
		{"recycle_limit must be 0", "POST", "/v1/task", tok, strings.Replace(create, `"recycle_limit":0`, `"recycle_limit":1`, 1), 200, `recycle_limit`},
		{"random_assignment_number must be 0", "POST", "/v1/task", tok, strings.Replace(create, `"random_assignment_number":0`, `"random_assignment_number":2`, 1), 200, `random_assignment_number`},
		{"maximumcall a string", "POST", "/v1/task", tok, strings.Replace(create, `"maximumcall":1`, `"maximumcall":"x"`, 1), 200, `参数错误: maximumcall: must be an integer`},
		{"unknown time group", "POST", "/v1/task", tok, strings.Replace(create, `"disable_dial_timegroup":"`+tgs[0].UUID, `"disable_dial_timegroup":"146979fe-3864-4817-ad76-13b37f43bb1c`, 1), 200, `disable_dial_timegroup`},
		{"unknown recycle rule", "POST", "/v1/task", tok, strings.Replace(create, `"auto_recycle_rule_id":`+strconv.Itoa(rules[0].ID), `"auto_recycle_rule_id":99`, 1), 200, `auto_recycle_rule_id`},
		{"unknown agent group", "POST", "/v1/task", tok, strings.Replace(create, `"customer_service_id":`+strconv.Itoa(ag.ID), `"customer_service_id":21`, 1), 200, `参数错误: customer_service_id`},
		{"another user's agent group", "POST", "/v1/task", otherTok, create, 200, `"code":10001`},
		{"unknown script group", "POST", "/v1/task", tok, strings.Replace(create, `"destination_extension":`+strconv.Itoa(scripts[0].ID), `"destination_extension":297`, 1), 200, `参数错误: destination_extension`},
		{"another user's agent group read", "GET", "/v1/customer_service/" + strconv.Itoa(ag.ID), otherTok, "", 200, `"code":10004`},
		{"not JSON", "POST", "/v1/task", tok, `[`, 200, `"code":10001,"msg":"参数错误: body`},
		{"unknown task", "GET", "/v1/task/stop/999999", tok, "", 200, `"code":10004`},
		{"not a route", "DELETE", "/v1/task/" + id, tok, "", 200, `"code":10404`},
		{"import not an array", "POST", "/v1/task/import_task_customer/" + id, tok, `{"number":1}`, 200, `"code":10001`},
		{"line without call_line", "POST", "/v1/caller_line", tok, `{"name":"x"}`, 200, `参数错误: call_line: is required`},
		{"progress", "GET", "/v1/task/progress/" + id, tok, "", 200, `{"code":0,"msg":"success","data":{"total":2,"progress":0,"percent":0}}`},
	} {
		code, b := do(c.method, c.path, c.token, "", c.body)
		if code != c.status || !strings.Contains(b, c.want) {
			t.Errorf("%s: %d %s, want %d with %s", c.name, code, b, c.status, c.want)
		}
	}
	code, b = do("GET", "/v1/task/destroy/"+id, tok, "", "")
	if code != 200 || b != `{"code":0,"msg":"success","data":null}` {
		t.Errorf("destroy: %d %s", code, b)
	}
	if code, b = do("GET", "/v1/task/"+id, tok, "", ""); !strings.Contains(b, `"code":10004`) {
		t.Errorf("a destroyed task: %d %s", code, b)
	}
}
