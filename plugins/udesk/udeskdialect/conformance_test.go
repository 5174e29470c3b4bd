package udeskdialect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/pluginhost"
)

// pluginBin is the udesk plugin, built once by TestMain.
var pluginBin string

func TestMain(m *testing.M) {
	flagged := false
	for _, a := range os.Args[1:] {
		// Fuzzing needs no plugin binary.
		if strings.HasPrefix(a, "-test.fuzz=") || strings.HasPrefix(a, "-test.fuzzworker") {
			flagged = true
		}
	}
	dir, err := os.MkdirTemp("", "udesk-plugin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if !flagged {
		pluginBin = filepath.Join(dir, "udesk")
		cmd := exec.Command("go", "build", "-o", pluginBin, "github.com/switchboard-cc/switchboard/plugins/udesk")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building the udesk plugin:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// served is the udesk plugin process mounted by internal/pluginhost on the
// real host API, behind a real HTTP server.
type served struct {
	t   *testing.T
	srv *httptest.Server
}

func serve(t *testing.T, e *env) *served {
	t.Helper()
	if pluginBin == "" {
		t.Skip("the plugin binary is not built in fuzz runs")
	}
	dir := t.TempDir()
	b, err := os.ReadFile(pluginBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "udesk"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := pluginhost.New(pluginhost.Config{Dir: dir, Host: e.host, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(func() { srv.Close(); _ = m.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return &served{t: t, srv: srv}
}

// do sends one request as a well-behaved Udesk client does: refused for a
// rate limit (429, the plugin runs with Udesk's limits on the real clock),
// it waits Retry-After and sends it again, freshly signed (q is called for
// each try).
func (s *served) do(method, path string, q func() url.Values, body string) (int, []byte) {
	s.t.Helper()
	for try := 0; ; try++ {
		u := s.srv.URL + "/udesk" + path
		if q != nil {
			u += "?" + q().Encode()
		}
		req, err := http.NewRequest(method, u, strings.NewReader(body))
		if err != nil {
			s.t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			s.t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			s.t.Errorf("%s %s: content type %q", method, path, ct)
		}
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusTooManyRequests || try == 2 || wait < 1 || wait > 2 {
			return resp.StatusCode, b
		}
		time.Sleep(time.Duration(wait) * time.Second)
	}
}

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

// TestSeedExamples replays every curl example of the seed that this dialect
// implements against the plugin process, on the real host API.
func TestSeedExamples(t *testing.T) {
	e := newEnv(t)
	s := serve(t, e)
	tn := e.tenant(t, "021002002020", 30)
	// The open example's relay number is a second line of the same company.
	spec := `{"name":"second relay","max_concurrent":30,"caller_id_number":"01086465047"}`
	if _, err := e.host.PutObject(context.Background(), tn.id, trunkObject(spec)); err != nil {
		t.Fatal(err)
	}

	st, body := s.do("POST", "/open_api_v1/log_in", nil, `{"email":"`+tn.email+`","password":"`+tn.apiToken+`"}`)
	var login struct {
		Code  int    `json:"code"`
		Token string `json:"open_api_auth_token"`
	}
	if st != 200 || json.Unmarshal(body, &login) != nil || login.Code != 1000 {
		t.Fatalf("log_in: %d %s", st, body)
	}
	q := func(extra url.Values) func() url.Values {
		return func() url.Values { return signed(tn.email, login.Token, time.Now(), extra) }
	}

	// The seed's user_group_id 100 is the tenant's customer service group.
	create := strings.Replace(seed(t, "create.request.json"), `"user_group_id": 100`, `"user_group_id": `+tn.queue, 1)
	st, body = s.do("POST", "/open_api_v1/cc_ad_tasks", q(nil), create)
	if st != 200 || !sameJSON(t, string(body), seed(t, "create.response.json")) {
		t.Fatalf("create: %d %s, want %s", st, body, seed(t, "create.response.json"))
	}

	st, body = s.do("GET", "/open_api_v1/cc_ad_tasks/1", q(nil), "")
	if st != 200 {
		t.Fatalf("get: %d %s", st, body)
	}
	if got, want := keys(t, string(body), "item"), keys(t, seed(t, "get.response.json"), "item"); !slices.Equal(got, want) {
		t.Errorf("details fields:\n got %v\nwant %v", got, want)
	}
	golden(t, "get_created.json", stable(body))

	st, body = s.do("PUT", "/open_api_v1/cc_ad_tasks/1", q(nil), seed(t, "update.request.json"))
	if st != 200 || !sameJSON(t, string(body), seed(t, "update.response.json")) {
		t.Fatalf("update: %d %s", st, body)
	}

	st, body = s.do("GET", "/open_api_v1/cc_ad_tasks", q(url.Values{"page": {"1"}, "per_page": {"10"}}), "")
	if st != 200 {
		t.Fatalf("list: %d %s", st, body)
	}
	list := seed(t, "list.response.json")
	if got, want := keys(t, string(body)), keys(t, list); !slices.Equal(got, want) {
		t.Errorf("list fields: got %v want %v", got, want)
	}
	if got, want := keys(t, string(body), "cc_ad_tasks", 0), keys(t, list, "cc_ad_tasks", 0); !slices.Equal(got, want) {
		t.Errorf("list task fields:\n got %v\nwant %v", got, want)
	}
	if got, want := keys(t, string(body), "meta"), keys(t, list, "meta"); !slices.Equal(got, want) {
		t.Errorf("meta fields: got %v want %v", got, want)
	}
	golden(t, "list_updated.json", stable(body))

	st, body = s.do("POST", "/open_api_v1/cc_ad_tasks/add_numbers", q(nil), seed(t, "add_numbers.request.json"))
	if st != 200 || !sameJSON(t, string(body), seed(t, "add_numbers.response.json")) {
		t.Fatalf("add_numbers: %d %s, want %s", st, body, seed(t, "add_numbers.response.json"))
	}

	st, body = s.do("GET", "/open_api_v1/cc_ad_tasks/numbers", q(url.Values{"id": {"1"}, "start_number_id": {"2"}}), "")
	pool := seed(t, "numbers.response.json")
	if st != 200 || !slices.Equal(keys(t, string(body)), keys(t, pool)) || !slices.Equal(keys(t, string(body), "meta"), keys(t, pool, "meta")) ||
		!slices.Equal(keys(t, string(body), "numbers", 0), keys(t, pool, "numbers", 0)) {
		t.Errorf("number pool: %d %s\nwant the fields of %s", st, body, pool)
	}
	golden(t, "numbers_after_2.json", append(body, '\n'))
	_, body = s.do("GET", "/open_api_v1/cc_ad_tasks/numbers", q(url.Values{"id": {"1"}}), "")
	golden(t, "numbers_all.json", append(body, '\n'))

	// The example's "true/false" is open true, then open false.
	openBody := strings.Replace(seed(t, "open.request.json"), "true/false", "true", 1)
	st, body = s.do("POST", "/open_api_v1/cc_ad_tasks/1/open", q(nil), openBody)
	if st != 200 || !sameJSON(t, string(body), seed(t, "open.response.json")) {
		t.Fatalf("open: %d %s", st, body)
	}
	st, body = s.do("GET", "/open_api_v1/cc_ad_tasks/1", q(nil), "")
	if st != 200 {
		t.Fatalf("get: %d %s", st, body)
	}
	golden(t, "get_opened.json", stable(body))

	st, body = s.do("POST", "/open_api_v1/cc_ad_tasks/1/open", q(nil), openBody)
	if st != 409 || !strings.Contains(string(body), `"code":501035`) {
		t.Errorf("open twice: %d %s", st, body)
	}
	st, body = s.do("POST", "/open_api_v1/cc_ad_tasks/add_numbers", q(nil), `{"id":1,"numbers":[{"cellphone":"13223004570"}]}`)
	if st != 409 || !strings.Contains(string(body), `"code":501004`) {
		t.Errorf("add_numbers while open: %d %s", st, body)
	}
	st, body = s.do("POST", "/open_api_v1/cc_ad_tasks/1/open", q(nil), `{"open": false}`)
	if st != 200 || !sameJSON(t, string(body), seed(t, "open.response.json")) {
		t.Fatalf("close: %d %s", st, body)
	}
	waitClosed(t, s, q)
	st, body = s.do("POST", "/open_api_v1/cc_ad_tasks/1/open", q(nil), `{"open": false}`)
	if st != 409 || !strings.Contains(string(body), `"code":501016`) {
		t.Errorf("close twice: %d %s", st, body)
	}

	st, body = s.do("GET", "/open_api_v1/cc_ad_tasks/12", q(nil), "")
	if st != 404 {
		t.Errorf("unknown task: %d", st)
	}
	golden(t, "error_2005.json", append(body, '\n'))
}

// waitClosed waits until task 1 has finished stopping (status 2), polling
// gently: the company may make 60 requests a minute.
func waitClosed(t *testing.T, s *served, q func(url.Values) func() url.Values) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for polls := 1; ; polls++ {
		_, body := s.do("GET", "/open_api_v1/cc_ad_tasks/1", q(nil), "")
		if strings.Contains(string(body), `"status":2`) {
			t.Logf("closed after %d polls", polls)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task did not close: %s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
