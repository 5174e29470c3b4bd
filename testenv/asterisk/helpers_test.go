package asterisk

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

const traceDir = "testdata/traces" // copied from ../shared/asterisk-traces

func tracePath(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(traceDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("trace %s: %v", name, err)
	}
	return p
}

// factor is how much faster than real time the emulator runs in tests.
const factor = 40

func startEmu(t *testing.T) *Server {
	t.Helper()
	return startEmuFactor(t, factor)
}

func startEmuFactor(t *testing.T, f float64) *Server {
	t.Helper()
	return startEmuConfig(t, Config{Clock: &Scaled{Factor: f}})
}

func startEmuConfig(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// wsLog collects ARI events of one app.
type wsLog struct {
	t      *testing.T
	events chan map[string]any
	all    []map[string]any
	raw    [][]byte
	rawCh  chan []byte
}

func connectWS(t *testing.T, s *Server, app string) *wsLog {
	t.Helper()
	return connectWSQuery(t, s, app, "")
}

func connectWSQuery(t *testing.T, s *Server, app, extra string) *wsLog {
	t.Helper()
	cfg, err := websocket.NewConfig(s.ARIWebsocketURL()+"?app="+app+extra, "http://localhost/")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Header.Set("Authorization", "Basic "+basicAuth("ari", "ari"))
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := &wsLog{t: t, events: make(chan map[string]any, 1000), rawCh: make(chan []byte, 1000)}
	go func() {
		for {
			var b []byte
			if err := websocket.Message.Receive(ws, &b); err != nil {
				close(l.events)
				return
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Errorf("bad frame %q: %v", b, err)
				continue
			}
			l.rawCh <- b
			l.events <- m
		}
	}()
	t.Cleanup(func() { ws.Close() })
	// Wait for the app to be registered.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ := rest(t, s, "GET", "/applications/"+app, ""); code == 200 {
			return l
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("app never registered")
	return nil
}

// until reads events until pred matches one; it returns that event.
func (l *wsLog) until(pred func(map[string]any) bool) map[string]any {
	l.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-l.events:
			if !ok {
				l.t.Fatal("websocket closed")
			}
			l.raw = append(l.raw, <-l.rawCh)
			l.all = append(l.all, ev)
			if pred(ev) {
				return ev
			}
		case <-timeout:
			l.t.Fatalf("timed out waiting; got %d events, last: %v", len(l.all), lastTypes(l.all))
			return nil
		}
	}
}

// settle reads events until none has come for d (at most 5 s in all).
func (l *wsLog) settle(d time.Duration) {
	limit := time.After(5 * time.Second)
	for {
		idle := time.NewTimer(d)
		select {
		case ev, ok := <-l.events:
			idle.Stop()
			if !ok {
				return
			}
			l.raw = append(l.raw, <-l.rawCh)
			l.all = append(l.all, ev)
		case <-idle.C:
			return
		case <-limit:
			idle.Stop()
			return
		}
	}
}

func lastTypes(evs []map[string]any) []string {
	var out []string
	for _, e := range evs[max(0, len(evs)-5):] {
		out = append(out, fmt.Sprint(e["type"], " ", chanName(e)))
	}
	return out
}

func is(typ, name string) func(map[string]any) bool {
	return func(e map[string]any) bool {
		return e["type"] == typ && (name == "" || strings.Contains(chanName(e), name))
	}
}

func chanName(e map[string]any) string {
	for _, k := range []string{"channel", "peer"} {
		if c, ok := e[k].(map[string]any); ok {
			return fmt.Sprint(c["name"])
		}
	}
	if b, ok := e["bridge"].(map[string]any); ok {
		return "bridge:" + fmt.Sprint(b["name"])
	}
	return ""
}

func chanID(e map[string]any) string {
	if c, ok := e["channel"].(map[string]any); ok {
		return fmt.Sprint(c["id"])
	}
	return ""
}

func rest(t *testing.T, s *Server, method, path, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.ARIURL()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("ari", "ari")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func mustREST(t *testing.T, s *Server, method, path, body string, want int) map[string]any {
	t.Helper()
	code, b := rest(t, s, method, path, body)
	if code != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, code, b, want)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// ---- comparing event streams with a trace ----

var localCounter = regexp.MustCompile(`-[0-9a-f]{8};`)

func normName(s string) string { return localCounter.ReplaceAllString(s, ";") }

// signature is what must match between a trace event and an emulated one.
func signature(e map[string]any) string {
	var b strings.Builder
	b.WriteString(fmt.Sprint(e["type"]))
	for _, k := range []string{"channel", "peer"} {
		if c, ok := e[k].(map[string]any); ok {
			fmt.Fprintf(&b, " %s=%v", k, c["state"])
		}
	}
	if c, ok := e["caller"].(map[string]any); ok && c["id"] != nil {
		fmt.Fprintf(&b, " caller=%s", normName(fmt.Sprint(c["name"])))
	}
	for _, k := range []string{"dialstatus", "dialstring", "variable", "value", "cause", "soft", "cause_txt", "dialplan_app", "args", "digit"} {
		if v, ok := e[k]; ok {
			fmt.Fprintf(&b, " %s=%v", k, normName(fmt.Sprint(v)))
		}
	}
	return b.String()
}

// perChannel groups signatures by (normalised) channel name; within one
// channel Asterisk's order is stable, across channels it is not.
func perChannel(evs []map[string]any, rename func(string) string) map[string][]string {
	out := map[string][]string{}
	for _, e := range evs {
		g := normName(chanName(e))
		if strings.HasPrefix(g, "bridge:") {
			g = "bridge"
		}
		if rename != nil {
			g = rename(g)
		}
		out[g] = append(out[g], signature(e))
	}
	return out
}

func loadJSONL(t *testing.T, name string) []map[string]any {
	t.Helper()
	f, err := os.Open(tracePath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func loadRawJSONL(t *testing.T, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(tracePath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		out = append(out, []byte(l))
	}
	return out
}

func compareChannels(t *testing.T, want, got map[string][]string) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, g := want[k], got[k]
		if strings.Join(w, "\n") != strings.Join(g, "\n") {
			t.Errorf("channel %s: events differ\n--- trace\n%s\n--- emulator\n%s", k, strings.Join(w, "\n"), strings.Join(g, "\n"))
		}
	}
}

// topKeys returns the JSON keys of a raw event in order.
func topKeys(raw []byte) []string {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	var keys []string
	tok, _ := dec.Token()
	if tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	return keys
}

// compareFields checks that every event type carries the trace's fields.
func compareFields(t *testing.T, trace, got [][]byte) {
	t.Helper()
	want := map[string]map[string]bool{}
	typeOf := func(raw []byte) string {
		var m struct{ Type string }
		_ = json.Unmarshal(raw, &m)
		return m.Type
	}
	for _, r := range trace {
		k := topKeys(r)
		sort.Strings(k)
		if want[typeOf(r)] == nil {
			want[typeOf(r)] = map[string]bool{}
		}
		want[typeOf(r)][strings.Join(k, ",")] = true
	}
	for _, r := range got {
		typ := typeOf(r)
		k := topKeys(r)
		sort.Strings(k)
		if w, ok := want[typ]; ok && !w[strings.Join(k, ",")] {
			t.Errorf("%s fields: trace %v, emulator %s", typ, w, strings.Join(k, ","))
		}
	}
}

// ---- AMI ----

type amiClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	got  []amiFrame
}

func connectAMI(t *testing.T, s *Server) *amiClient {
	t.Helper()
	conn, err := net.Dial("tcp", s.AMIAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &amiClient{t: t, conn: conn, r: bufio.NewReader(conn)}
	banner, err := c.r.ReadString('\n')
	if err != nil || banner != "Asterisk Call Manager/11.0.0\r\n" {
		t.Fatalf("banner %q, %v", banner, err)
	}
	return c
}

func (c *amiClient) send(raw string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, raw); err != nil {
		c.t.Fatal(err)
	}
}

// until reads frames until pred matches.
func (c *amiClient) until(pred func(amiFrame) bool) amiFrame {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		f, err := readFrame(c.r)
		if err != nil {
			c.t.Fatalf("read: %v (after %d frames)", err, len(c.got))
		}
		c.got = append(c.got, f)
		if pred(f) {
			return f
		}
	}
}

func respTo(id string) func(amiFrame) bool {
	return func(f amiFrame) bool { return f.get("Response") != "" && f.get("ActionID") == id }
}

func event(name string) func(amiFrame) bool {
	return func(f amiFrame) bool { return f.get("Event") == name }
}

// splitActions splits a *.sent.txt file into its actions.
func splitActions(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(tracePath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range strings.Split(string(b), "\r\n\r\n") {
		if strings.TrimSpace(a) != "" {
			out = append(out, a+"\r\n\r\n")
		}
	}
	return out
}

func loadAMI(t *testing.T, name string) []amiFrame {
	t.Helper()
	b, err := os.ReadFile(tracePath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(strings.NewReader(string(b)))
	if _, err := r.ReadString('\n'); err != nil { // banner
		t.Fatal(err)
	}
	var out []amiFrame
	for {
		f, err := readFrame(r)
		if err != nil {
			return out
		}
		if len(f) > 0 {
			out = append(out, f)
		}
	}
}
