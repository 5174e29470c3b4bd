package asterisk

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/clock"
)

var disorderSeeds = []uint64{1, 2, 3}

// Behaviour 8: under Disorder every trace scenario still matches the real
// Asterisk channel by channel (and the scenarios' own behaviour checks,
// 1–7, still hold): only the interleaving across channels changes.
func TestBehaviour8TracesMatchPerChannelUnderDisorder(t *testing.T) {
	for _, seed := range disorderSeeds {
		d := &Disorder{Seed: seed}
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Run("OriginateAnswerHangup", func(t *testing.T) { traceOriginateAnswerHangup(t, d) })
			t.Run("OriginateRemoteHangup", func(t *testing.T) { traceOriginateRemoteHangup(t, d) })
			t.Run("StasisBridge", func(t *testing.T) { traceStasisBridge(t, d) })
			t.Run("StasisBridgeCreateDial", func(t *testing.T) { traceStasisBridgeCreateDial(t, d) })
			t.Run("Busy", func(t *testing.T) { traceBusy(t, d) })
			t.Run("NoAnswerTimeout", func(t *testing.T) { traceNoAnswerTimeout(t, d) })
			t.Run("SubscribeAllQueueCall", func(t *testing.T) { traceSubscribeAllQueueCall(t, d) })
		})
	}
}

type stamped struct {
	key string
	ts  time.Time
}

func timestamps(t *testing.T, evs []map[string]any) []stamped {
	t.Helper()
	var out []stamped
	for _, e := range evs {
		ts, err := time.Parse(ariTimeLayout, fmt.Sprint(e["timestamp"]))
		if err != nil {
			t.Fatalf("timestamp %v: %v", e["timestamp"], err)
		}
		key := chanName(e)
		if strings.HasPrefix(key, "bridge:") {
			key = "bridge:" + fmt.Sprint(e["bridge"].(map[string]any)["id"])
		}
		out = append(out, stamped{key, ts})
	}
	return out
}

// Behaviour 8: timestamps are not monotonic in arrival order (as in the
// subscribeAll trace), while each channel's own timestamps never go back.
func TestBehaviour8DisorderTimestampsNotMonotonic(t *testing.T) {
	// The trace itself shows it.
	inversions := func(ss []stamped) int {
		n := 0
		for i := 1; i < len(ss); i++ {
			if ss[i].ts.Before(ss[i-1].ts) {
				n++
			}
		}
		return n
	}
	if n := inversions(timestamps(t, loadJSONL(t, "ari-events-subscribeall-queue-call.jsonl"))); n == 0 {
		t.Fatal("the subscribeAll trace has no timestamp going back; the test premise is wrong")
	}
	for _, seed := range disorderSeeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			l := traceSubscribeAllQueueCall(t, &Disorder{Seed: seed})
			ss := timestamps(t, l.all)
			if inversions(ss) == 0 {
				t.Errorf("timestamps monotonic in arrival order over %d events", len(ss))
			}
			last := map[string]time.Time{}
			for i, s := range ss {
				if s.ts.Before(last[s.key]) {
					t.Errorf("event %d (%s): timestamp %v before the channel's previous %v", i, s.key, s.ts, last[s.key])
				}
				last[s.key] = s.ts
			}
		})
	}
}

// run is one emulator run of a REST-only scenario whose bursts each touch
// both halves of a Local channel: originate to an agent who answers at once,
// then hang up. It uses the real clock, so the agent's Wait(5) never fires
// during the test and the bursts are the same every run.
type run struct {
	seq []string // "type channel" in arrival order
	raw [][]byte
	evs []map[string]any
}

// runLocalPair runs the scenario; want, when not 0, is how many events to
// wait for (the default run's count), else it waits for both halves'
// ChannelDestroyed (the default run's last event).
func runLocalPair(t *testing.T, d *Disorder, want int) run {
	t.Helper()
	s := startEmuConfig(t, Config{Clock: clock.Real{}, Disorder: d})
	l := connectWS(t, s, "callcentre")
	ch := mustREST(t, s, "POST", "/channels?endpoint=Local/1001@agents&app=callcentre&appArgs=agent&callerId=5551000", `{"variables":{"X":"1"}}`, 200)
	l.until(is("StasisStart", ""))
	mustREST(t, s, "DELETE", "/channels/"+ch["id"].(string), "", 204)
	destroyed := 0
	l.until(func(e map[string]any) bool {
		if e["type"] == "ChannelDestroyed" {
			destroyed++
		}
		return want == 0 && destroyed == 2 || want > 0 && len(l.all) == want
	})
	l.settle(20 * time.Millisecond)
	var r run
	for _, e := range l.all {
		r.seq = append(r.seq, fmt.Sprint(e["type"], " ", normName(chanName(e))))
	}
	r.raw, r.evs = l.raw, l.all
	return r
}

// Behaviour 8: the cross-channel interleaving varies with the seed, is the
// same for the same seed, and each channel's own order never changes;
// without Disorder the emulator stays deterministic.
func TestBehaviour8DisorderInterleavingVariesWithSeed(t *testing.T) {
	plain := runLocalPair(t, nil, 0)
	n := len(plain.seq)
	if again := runLocalPair(t, nil, 0); strings.Join(again.seq, "\n") != strings.Join(plain.seq, "\n") {
		t.Errorf("default runs differ:\n%s\n---\n%s", strings.Join(plain.seq, "\n"), strings.Join(again.seq, "\n"))
	}
	distinct := map[string]bool{}
	for seed := uint64(1); seed <= 6; seed++ {
		r := runLocalPair(t, &Disorder{Seed: seed}, n)
		compareChannels(t, perChannel(plain.evs, nil), perChannel(r.evs, nil))
		distinct[strings.Join(r.seq, "\n")] = true
		if seed == 1 {
			if again := runLocalPair(t, &Disorder{Seed: 1}, n); strings.Join(again.seq, "\n") != strings.Join(r.seq, "\n") {
				t.Errorf("seed 1 gave two orders:\n%s\n---\n%s", strings.Join(r.seq, "\n"), strings.Join(again.seq, "\n"))
			}
		}
	}
	delete(distinct, strings.Join(plain.seq, "\n"))
	if len(distinct) < 2 {
		t.Errorf("6 seeds gave %d interleavings different from the default one, want several", len(distinct))
	}
}

var ariTimestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`)

// Behaviour 9: JSON field order is not fixed (application second for some
// event types, as DeviceStateChanged has it), each type keeps one layout for
// a seed, the field set never changes, and timestamps keep Asterisk's format.
// Without Disorder every event has the trace's order, application last.
func TestBehaviour9DisorderVariesFieldOrder(t *testing.T) {
	sortedKeys := func(keys []string) string {
		k := append([]string(nil), keys...)
		sort.Strings(k)
		return strings.Join(k, ",")
	}
	// layouts maps each event variant (type and field set: ChannelHangupRequest
	// has an optional soft) to its field order.
	layouts := func(t *testing.T, r run) map[string]string {
		t.Helper()
		out := map[string]string{}
		for i, raw := range r.raw {
			keys := topKeys(raw)
			variant := fmt.Sprint(r.evs[i]["type"], " {", sortedKeys(keys), "}")
			if prev, ok := out[variant]; ok && prev != strings.Join(keys, ",") {
				t.Errorf("%s has two field orders in one run: %s and %s", variant, prev, strings.Join(keys, ","))
			}
			out[variant] = strings.Join(keys, ",")
			if ts := fmt.Sprint(r.evs[i]["timestamp"]); !ariTimestampRE.MatchString(ts) {
				t.Errorf("%s timestamp %q, want like 2026-11-22T20:04:50.700+0000", variant, ts)
			}
		}
		return out
	}
	plainRun := runLocalPair(t, nil, 0)
	plain := layouts(t, plainRun)
	for typ, keys := range plain {
		k := strings.Split(keys, ",")
		if k[0] != "type" && k[0] != "variable" && k[0] != "cause" || k[len(k)-1] != "application" {
			t.Errorf("default %s field order %s, want the trace's (application last)", typ, keys)
		}
	}
	appSecond, otherOrder := 0, 0
	seen := map[string]map[string]bool{}
	for seed := uint64(1); seed <= 6; seed++ {
		got := layouts(t, runLocalPair(t, &Disorder{Seed: seed}, len(plainRun.seq)))
		for typ, keys := range got {
			if _, ok := plain[typ]; !ok {
				t.Errorf("seed %d: %s (%s) has a field set the default never sends", seed, typ, keys)
			}
			switch {
			case strings.HasPrefix(keys, "type,application,"):
				appSecond++
			case keys != plain[typ]:
				otherOrder++
			}
			if seen[typ] == nil {
				seen[typ] = map[string]bool{}
			}
			seen[typ][keys] = true
		}
	}
	if appSecond == 0 || otherOrder == 0 {
		t.Errorf("over 6 seeds: %d type layouts with application second, %d shuffled; want both", appSecond, otherOrder)
	}
	varied := 0
	for _, orders := range seen {
		if len(orders) > 1 {
			varied++
		}
	}
	if varied == 0 {
		t.Error("no event type's field order varied with the seed")
	}
}

// Behaviour 14: under Disorder, SuccessfulAuth (a security event) arrives
// after the responses to later actions, while FullyBooted still comes right
// after the Login response; a session that sends nothing more still gets it.
// Without Disorder it comes right after FullyBooted.
func TestBehaviour14DisorderSuccessfulAuthAfterLaterResponses(t *testing.T) {
	login := "Action: Login\r\nUsername: ami\r\nSecret: ami\r\nActionID: l1\r\n\r\n"
	pings := "Action: Ping\r\nActionID: p1\r\n\r\nAction: Ping\r\nActionID: p2\r\n\r\nAction: Ping\r\nActionID: p3\r\n\r\n"
	position := func(got []amiFrame, pred func(amiFrame) bool) int {
		for i, f := range got {
			if pred(f) {
				return i
			}
		}
		return -1
	}
	t.Run("default", func(t *testing.T) {
		c := connectAMI(t, startEmu(t))
		c.send(login + pings)
		c.until(respTo("p3"))
		if len(c.got) < 4 || c.got[0].get("ActionID") != "l1" || c.got[1].get("Event") != "FullyBooted" || c.got[2].get("Event") != "SuccessfulAuth" {
			t.Errorf("frames after login: %v", c.got)
		}
	})
	for _, seed := range disorderSeeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			// The real clock: the two-second fallback cannot overtake the pings.
			s := startEmuConfig(t, Config{Clock: clock.Real{}, Disorder: &Disorder{Seed: seed}})
			c := connectAMI(t, s)
			c.send(login + pings)
			c.until(respTo("p3"))
			if position(c.got, event("SuccessfulAuth")) < 0 {
				c.until(event("SuccessfulAuth"))
			}
			if c.got[0].get("ActionID") != "l1" || c.got[1].get("Event") != "FullyBooted" {
				t.Errorf("Login response then FullyBooted expected first: %v", c.got[:2])
			}
			auth, p1 := position(c.got, event("SuccessfulAuth")), position(c.got, respTo("p1"))
			if auth < p1 {
				t.Errorf("SuccessfulAuth at %d, before the next action's response at %d", auth, p1)
			}
		})
	}
	t.Run("QuietSessionStillGetsIt", func(t *testing.T) {
		s := startEmuConfig(t, Config{Clock: &Scaled{Factor: factor}, Disorder: &Disorder{Seed: 1}})
		c := connectAMI(t, s)
		c.send(login)
		c.until(event("SuccessfulAuth"))
	})
}

// Behaviour 10: a 204 carries Content-Length: 0 and Asterisk's Server and
// Cache-Control headers, and no Content-type.
func TestBehaviour10NoContentHeaders(t *testing.T) {
	s := startEmu(t)
	ch := mustREST(t, s, "POST", "/channels?endpoint=Local/100@customers&app=nosuchapp", "", 200)
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(s.ARIURL(), "/ari"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "DELETE /ari/channels/%s?reason=normal HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nConnection: close\r\n\r\n", ch["id"], basicAuth("ari", "ari"))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(b), "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 204 No Content\r\n") || body != "" {
		t.Fatalf("response %q", b)
	}
	for _, h := range []string{"Content-Length: 0", "Server: Asterisk/22.10.1", "Cache-Control: no-cache, no-store"} {
		if !strings.Contains(head+"\r\n", "\r\n"+h+"\r\n") {
			t.Errorf("204 without %q:\n%s", h, head)
		}
	}
	if strings.Contains(strings.ToLower(head), "content-type") {
		t.Errorf("204 with a content type:\n%s", head)
	}
}
