package udeskdialect_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/service/servicetest"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

func seed(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// keys lists the keys of the object at path (a list of keys; an int index
// into an array) in a JSON document.
func keys(t *testing.T, doc string, path ...any) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("%v: %s", err, doc)
	}
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	var out []string
	for k := range v.(map[string]any) {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var createdAt = regexp.MustCompile(`"created_at":"[^"]*"`)

// stable replaces the creation time, which is the test's run time.
func stable(b []byte) []byte {
	return append(createdAt.ReplaceAll(b, []byte(`"created_at":"<created_at>"`)), '\n')
}

// seedExamples replays every curl example of the seed that this dialect
// implements against the plugin process in the service, and keeps our
// answers as golden files.
func seedExamples(t *testing.T, r *servicetest.Running) {
	c := newCompany(t, r, accounts.Request{})
	group, err := r.Queues().CreateQueue(r.Ctx, c.id, "group", "Customer service group", acd.NewQueueConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	// The seed's relay numbers are the company's lines (create's, then open's).
	for _, relay := range []string{"021002002020", "01086465047"} {
		if _, err := r.Campaigns().CreateTrunk(r.Ctx, c.id, dialer.Trunk{Name: "relay " + relay, MaxConcurrent: 30, CallerIDNumber: relay}); err != nil {
			t.Fatal(err)
		}
	}
	groupID := strconv.FormatInt(group.ID, 10)

	// The seed's user_group_id 100 is the tenant's customer service group.
	create := strings.Replace(seed(t, "create.request.json"), `"user_group_id": 100`, `"user_group_id": `+groupID, 1)
	st, body := c.do("POST", "/open_api_v1/cc_ad_tasks", c.q(nil), create)
	if st != 200 || !sameJSON(t, body, seed(t, "create.response.json")) {
		t.Fatalf("create: %d %s, want %s", st, body, seed(t, "create.response.json"))
	}

	st, body = c.do("GET", "/open_api_v1/cc_ad_tasks/1", c.q(nil), "")
	if st != 200 {
		t.Fatalf("get: %d %s", st, body)
	}
	if got, want := keys(t, body, "item"), keys(t, seed(t, "get.response.json"), "item"); !slices.Equal(got, want) {
		t.Errorf("details fields:\n got %v\nwant %v", got, want)
	}
	golden(t, "get_created.json", stable([]byte(body)))

	st, body = c.do("PUT", "/open_api_v1/cc_ad_tasks/1", c.q(nil), seed(t, "update.request.json"))
	if st != 200 || !sameJSON(t, body, seed(t, "update.response.json")) {
		t.Fatalf("update: %d %s", st, body)
	}

	st, body = c.do("GET", "/open_api_v1/cc_ad_tasks", c.q(url.Values{"page": {"1"}, "per_page": {"10"}}), "")
	if st != 200 {
		t.Fatalf("list: %d %s", st, body)
	}
	list := seed(t, "list.response.json")
	if got, want := keys(t, body), keys(t, list); !slices.Equal(got, want) {
		t.Errorf("list fields: got %v want %v", got, want)
	}
	if got, want := keys(t, body, "cc_ad_tasks", 0), keys(t, list, "cc_ad_tasks", 0); !slices.Equal(got, want) {
		t.Errorf("list task fields:\n got %v\nwant %v", got, want)
	}
	if got, want := keys(t, body, "meta"), keys(t, list, "meta"); !slices.Equal(got, want) {
		t.Errorf("meta fields: got %v want %v", got, want)
	}
	golden(t, "list_updated.json", stable([]byte(body)))

	st, body = c.do("POST", "/open_api_v1/cc_ad_tasks/add_numbers", c.q(nil), seed(t, "add_numbers.request.json"))
	if st != 200 || !sameJSON(t, body, seed(t, "add_numbers.response.json")) {
		t.Fatalf("add_numbers: %d %s, want %s", st, body, seed(t, "add_numbers.response.json"))
	}

	st, body = c.do("GET", "/open_api_v1/cc_ad_tasks/numbers", c.q(url.Values{"id": {"1"}, "start_number_id": {"2"}}), "")
	pool := seed(t, "numbers.response.json")
	if st != 200 || !slices.Equal(keys(t, body), keys(t, pool)) || !slices.Equal(keys(t, body, "meta"), keys(t, pool, "meta")) ||
		!slices.Equal(keys(t, body, "numbers", 0), keys(t, pool, "numbers", 0)) {
		t.Errorf("number pool: %d %s\nwant the fields of %s", st, body, pool)
	}
	golden(t, "numbers_after_2.json", []byte(body+"\n"))
	_, body = c.do("GET", "/open_api_v1/cc_ad_tasks/numbers", c.q(url.Values{"id": {"1"}}), "")
	golden(t, "numbers_all.json", []byte(body+"\n"))

	// The example's "true/false" is open true, then open false.
	openBody := strings.Replace(seed(t, "open.request.json"), "true/false", "true", 1)
	st, body = c.do("POST", "/open_api_v1/cc_ad_tasks/1/open", c.q(nil), openBody)
	if st != 200 || !sameJSON(t, body, seed(t, "open.response.json")) {
		t.Fatalf("open: %d %s", st, body)
	}
	st, body = c.do("GET", "/open_api_v1/cc_ad_tasks/1", c.q(nil), "")
	if st != 200 {
		t.Fatalf("get: %d %s", st, body)
	}
	golden(t, "get_opened.json", stable([]byte(body)))

	st, body = c.do("POST", "/open_api_v1/cc_ad_tasks/1/open", c.q(nil), openBody)
	if st != 409 || !strings.Contains(body, `"code":501035`) {
		t.Errorf("open twice: %d %s", st, body)
	}
	st, body = c.do("POST", "/open_api_v1/cc_ad_tasks/add_numbers", c.q(nil), `{"id":1,"numbers":[{"cellphone":"13223004570"}]}`)
	if st != 409 || !strings.Contains(body, `"code":501004`) {
		t.Errorf("add_numbers while open: %d %s", st, body)
	}
	st, body = c.do("POST", "/open_api_v1/cc_ad_tasks/1/open", c.q(nil), `{"open": false}`)
	if st != 200 || !sameJSON(t, body, seed(t, "open.response.json")) {
		t.Fatalf("close: %d %s", st, body)
	}
	waitClosed(t, c)
	st, body = c.do("POST", "/open_api_v1/cc_ad_tasks/1/open", c.q(nil), `{"open": false}`)
	if st != 409 || !strings.Contains(body, `"code":501016`) {
		t.Errorf("close twice: %d %s", st, body)
	}

	// The seed's recall and follow_on name numbers of their own: they join
	// the closed task's pool first, and are called when it opens again.
	st, body = c.do("POST", "/open_api_v1/cc_ad_tasks/add_numbers", c.q(nil), `{"id":1,"numbers":[{"cellphone":"13412341234"},{"cellphone":"13223004570"}]}`)
	if st != 200 || !strings.Contains(body, `"successful_count":2`) {
		t.Fatalf("add_numbers for the redials: %d %s", st, body)
	}
	st, body = c.do("POST", "/open_api_v1/cc_ad_tasks/recall", c.q(nil), seed(t, "recall.request.json"))
	if st != 200 || !sameJSON(t, body, seed(t, "recall.response.json")) {
		t.Errorf("recall: %d %s, want %s", st, body, seed(t, "recall.response.json"))
	}
	st, body = c.do("POST", "/open_api_v1/cc_ad_tasks/follow_on", c.q(nil), seed(t, "follow_on.request.json"))
	if st != 200 || !sameJSON(t, body, seed(t, "follow_on.response.json")) {
		t.Errorf("follow_on: %d %s, want %s", st, body, seed(t, "follow_on.response.json"))
	}

	st, body = c.do("GET", "/open_api_v1/cc_ad_tasks/12", c.q(nil), "")
	if st != 404 {
		t.Errorf("unknown task: %d", st)
	}
	golden(t, "error_2005.json", []byte(body+"\n"))
}

// waitClosed waits until task 1 has finished stopping (status 2), polling
// gently: the company may make 60 requests a minute.
func waitClosed(t *testing.T, c *company) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := c.do("GET", "/open_api_v1/cc_ad_tasks/1", c.q(nil), "")
		if strings.Contains(body, `"status":2`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task did not close: %s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
