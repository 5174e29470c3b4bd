package asterisk

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// modelled lists the AMI events the emulator produces; traces also hold
// DeviceStateChange, LocalBridge, NewCallerid, NewConnectedLine, Newexten
// and VarSet, which the comparison leaves out.
var modelled = map[string]bool{
	"Newchannel": true, "Newstate": true, "Hangup": true, "HangupRequest": true, "SoftHangupRequest": true,
	"DialBegin": true, "DialState": true, "DialEnd": true, "OriginateResponse": true,
	"QueueCallerJoin": true, "QueueCallerLeave": true, "QueueCallerAbandon": true, "AgentCalled": true,
	"AgentConnect": true, "AgentComplete": true, "AgentRingNoAnswer": true, "QueueMemberStatus": true,
	"BridgeEnter": true, "BridgeLeave": true, "BridgeCreate": true, "BridgeDestroy": true,
	"QueueMemberAdded": true, "QueueMemberRemoved": true, "QueueMemberPause": true,
}

var amiSigFields = []string{"ChannelStateDesc", "DestChannelStateDesc", "Cause", "Cause-txt", "DialStatus", "Reason", "Response",
	"Queue", "Position", "Count", "OriginalPosition", "Status", "Paused", "PausedReason", "InCall", "Membership", "Message", "EventList", "ListItems"}

var uniqueRE = regexp.MustCompile(`^\d+\.\d+$`)

func amiSignature(f amiFrame) string {
	var b strings.Builder
	if r := f.get("Response"); r != "" && f.get("Event") == "" {
		b.WriteString("Response: " + r)
	} else {
		b.WriteString("Event: " + f.get("Event"))
	}
	for _, k := range amiSigFields {
		if v := f.get(k); v != "" || hasKey(f, k) {
			if k == "Response" && f.get("Event") == "" {
				continue
			}
			b.WriteString(" " + k + "=" + v)
		}
	}
	return b.String()
}

func hasKey(f amiFrame, k string) bool {
	for _, kv := range f {
		if kv[0] == k {
			return true
		}
	}
	return false
}

// amiGroups groups modelled channel events by leg (the Dest channel when
// there is one), with names normalised and queue winner/loser renamed.
func amiGroups(frames []amiFrame) map[string][]string {
	rename := map[string]string{}
	for _, f := range frames {
		if f.get("Event") == "AgentConnect" {
			win := strings.SplitN(normName(f.get("DestChannel")), ";", 2)[0]
			for _, a := range []string{"Local/1001@agents", "Local/1002@agents"} {
				if a == win {
					rename[a] = "WINNER"
				} else {
					rename[a] = "LOSER"
				}
			}
		}
	}
	fix := func(s string) string {
		s = normName(s)
		for from, to := range rename {
			s = strings.ReplaceAll(s, from, to)
		}
		return s
	}
	out := map[string][]string{}
	for _, f := range frames {
		ev := f.get("Event")
		if !modelled[ev] || f.get("ActionID") != "" && ev != "OriginateResponse" {
			continue
		}
		g := f.get("DestChannel")
		if g == "" {
			g = f.get("Channel")
		}
		if g == "" {
			g = f.get("Interface")
		}
		if ev == "OriginateResponse" || strings.HasPrefix(ev, "Bridge") && f.get("Channel") == "" {
			g = ev
		}
		out[fix(g)] = append(out[fix(g)], fix(amiSignature(f)))
	}
	return out
}

// amiReplies lists responses and action list items in order (security
// events, which may come late, and unsolicited events are left out).
func amiReplies(frames []amiFrame) []string {
	var out []string
	for _, f := range frames {
		if f.get("Response") != "" && f.get("Event") == "" || f.get("Event") != "" && f.get("ActionID") != "" && f.get("Event") != "OriginateResponse" {
			out = append(out, f.get("ActionID")+" "+amiSignature(f))
		}
	}
	return out
}

func amiKeys(f amiFrame) string {
	var ks []string
	for _, kv := range f {
		ks = append(ks, kv[0])
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func compareAMIFields(t *testing.T, want, got []amiFrame) {
	t.Helper()
	keys := map[string]map[string]bool{}
	name := func(f amiFrame) string {
		if e := f.get("Event"); e != "" {
			return "Event " + e
		}
		return ""
	}
	for _, f := range want {
		if n := name(f); n != "" {
			if keys[n] == nil {
				keys[n] = map[string]bool{}
			}
			keys[n][amiKeys(f)] = true
		}
	}
	for _, f := range got {
		if w, ok := keys[name(f)]; ok && !w[amiKeys(f)] && modelled[f.get("Event")] {
			t.Errorf("%s fields: trace %v, emulator %s", name(f), w, amiKeys(f))
		}
	}
}

func compareReplies(t *testing.T, want, got []string) {
	t.Helper()
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("responses differ\n--- trace\n%s\n--- emulator\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

func TestAMILoginFailureClosesConnection(t *testing.T) {
	s := startEmu(t)
	c := connectAMI(t, s)
	acts := splitActions(t, "ami-login-failure.sent.txt")
	c.send(acts[0])
	f := c.until(respTo("login-bad-1"))
	if f.get("Response") != "Error" || f.get("Message") != "Authentication failed" {
		t.Fatalf("login reply %v", f)
	}
	c.send(acts[1]) // Ping: Asterisk has closed the connection and never answers
	_ = c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if f, err := readFrame(c.r); err == nil {
		t.Fatalf("after a failed login got %v, want the connection closed", f)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after a failed login")
	}
	compareReplies(t, amiReplies(loadAMI(t, "ami-login-failure.txt")), amiReplies(c.got))
}

func TestAMILoginEventsOff(t *testing.T) {
	s := startEmu(t)
	c := connectAMI(t, s)
	acts := splitActions(t, "ami-login-events-off.sent.txt")
	for i, a := range acts {
		c.send(a)
		id := regexp.MustCompile(`ActionID: (\S+)`).FindStringSubmatch(a)[1]
		c.until(respTo(id))
		_ = i
	}
	for _, f := range c.got {
		if f.get("Event") == "FullyBooted" {
			t.Error("FullyBooted with Events: off")
		}
	}
	compareReplies(t, amiReplies(loadAMI(t, "ami-login-events-off.txt")), amiReplies(c.got))
}

// Behaviours 11, 12 and 14.
func TestAMIActions(t *testing.T) {
	s := startEmu(t)
	c := connectAMI(t, s)
	acts := splitActions(t, "ami-actions.sent.txt")
	var origAsync string
	for _, a := range acts {
		c.send(a)
		id := regexp.MustCompile(`ActionID: (\S+)`).FindStringSubmatch(a)[1]
		c.until(respTo(id))
		if strings.Contains(a, "Async: true") {
			c.until(func(f amiFrame) bool { return f.get("Event") == "OriginateResponse" && f.get("ActionID") == id })
			origAsync = id
		}
		if id == "orig-sync-busy" {
			// the busy call's events follow the response
			c.until(func(f amiFrame) bool { return f.get("Event") == "Hangup" && strings.HasSuffix(f.get("Channel"), ";2") })
		}
	}
	want := loadAMI(t, "ami-actions.txt")
	compareReplies(t, amiReplies(want), amiReplies(c.got))
	compareChannelsAMI(t, want, c.got)
	compareAMIFields(t, want, c.got)
	t.Run("SyncOriginateResponseBeforeItsEvents", func(t *testing.T) {
		resp, first := -1, -1
		for i, f := range c.got {
			if f.get("ActionID") == "orig-sync-busy" && resp < 0 {
				resp = i
			}
			if f.get("Event") == "Newchannel" && strings.Contains(f.get("Channel"), "300@busy") && first < 0 {
				first = i
			}
		}
		if resp < 0 || first < 0 || resp > first {
			t.Errorf("sync Originate response at %d, first event at %d", resp, first)
		}
	})
	t.Run("AsyncOriginateFailureHasDialStringAndUnknownUniqueid", func(t *testing.T) {
		for _, f := range c.got {
			if f.get("Event") == "OriginateResponse" && f.get("ActionID") == origAsync {
				if f.get("Channel") != "Bogus/123" || f.get("Uniqueid") != "<unknown>" || f.get("Reason") != "0" {
					t.Errorf("OriginateResponse %v", f)
				}
			}
		}
	})
	t.Run("ListItemsHaveNoPrivilege", func(t *testing.T) {
		for _, f := range c.got {
			if f.get("ActionID") != "" && f.get("Event") != "" && f.get("Event") != "OriginateResponse" && hasKey(f, "Privilege") {
				t.Errorf("list item with Privilege: %v", f)
			}
			if f[0][0] == "Response" && len(f) > 1 && f.get("ActionID") != "" && f[1][0] != "ActionID" {
				t.Errorf("ActionID not right after Response: %v", f)
			}
		}
	})
}

func compareChannelsAMI(t *testing.T, want, got []amiFrame) {
	t.Helper()
	compareChannels(t, amiGroups(want), amiGroups(got))
}

func runAMIScenario(t *testing.T, sent string, wait func(c *amiClient, id string)) *amiClient {
	s := startEmu(t)
	c := connectAMI(t, s)
	for _, a := range splitActions(t, sent) {
		id := regexp.MustCompile(`ActionID: (\S+)`).FindStringSubmatch(a)[1]
		c.send(a)
		c.until(respTo(id))
		wait(c, id)
	}
	return c
}

// Behaviour 13: queue ringall, QueueCallerLeave before AgentConnect, the
// losing leg's two DialEnd CANCEL and cause 26.
func TestAMIQueueCall(t *testing.T) {
	c := runAMIScenario(t, "ami-queue-call.sent.txt", func(c *amiClient, id string) {
		if id == "orig-queue-1" {
			c.until(func(f amiFrame) bool {
				return f.get("Event") == "Hangup" && strings.Contains(f.get("Channel"), "500@queue-in") && strings.HasSuffix(f.get("Channel"), ";1")
			})
		}
	})
	want := loadAMI(t, "ami-queue-call.txt")
	compareChannelsAMI(t, want, c.got)
	compareAMIFields(t, want, c.got)
	compareReplies(t, amiReplies(want), amiReplies(c.got))
	t.Run("CallerLeaveBeforeAgentConnectInRing", func(t *testing.T) {
		leave, connect := -1, -1
		for i, f := range c.got {
			switch f.get("Event") {
			case "QueueCallerLeave":
				leave = i
			case "AgentConnect":
				connect = i
				if f.get("ChannelState") != "4" {
					t.Errorf("AgentConnect caller state %s, want 4 (Ring)", f.get("ChannelState"))
				}
				if f.get("DestExten") != "500" {
					t.Errorf("member leg DestExten %s, want the caller's 500", f.get("DestExten"))
				}
			case "AgentComplete":
				if tt, _ := strconv.Atoi(f.get("TalkTime")); tt != 5 {
					t.Errorf("TalkTime %s, want 5 (seconds)", f.get("TalkTime"))
				}
			}
		}
		if leave < 0 || connect < 0 || leave > connect {
			t.Errorf("QueueCallerLeave at %d, AgentConnect at %d", leave, connect)
		}
	})
}

func TestAMIQueueAbandon(t *testing.T) {
	c := runAMIScenario(t, "ami-queue-abandon.sent.txt", func(c *amiClient, id string) {
		if id == "orig-abandon-1" {
			c.until(func(f amiFrame) bool {
				return f.get("Event") == "Hangup" && strings.Contains(f.get("Channel"), "501@queue-overflow") && strings.HasSuffix(f.get("Channel"), ";2")
			})
		}
	})
	want := loadAMI(t, "ami-queue-abandon.txt")
	compareChannelsAMI(t, want, c.got)
	compareAMIFields(t, want, c.got)
	t.Run("RingNoAnswerRingTimeInMilliseconds", func(t *testing.T) {
		n := 0
		for _, f := range c.got {
			if f.get("Event") == "AgentRingNoAnswer" {
				n++
				ms, _ := strconv.Atoi(f.get("RingTime"))
				if ms < 3000 || ms > 3600 {
					t.Errorf("RingTime %s, want about 3000 (ms)", f.get("RingTime"))
				}
			}
		}
		if n != 2 {
			t.Errorf("%d AgentRingNoAnswer, want 2", n)
		}
	})
	t.Run("AbandonBeforeLeave", func(t *testing.T) {
		ab, leave := -1, -1
		for i, f := range c.got {
			if f.get("Event") == "QueueCallerAbandon" {
				ab = i
			}
			if f.get("Event") == "QueueCallerLeave" {
				leave = i
			}
		}
		if ab < 0 || leave < ab {
			t.Errorf("QueueCallerAbandon at %d, QueueCallerLeave at %d", ab, leave)
		}
	})
}

// Behaviour 14: FullyBooted right after the Login response; SuccessfulAuth
// is a security event that may come later.
func TestAMIFullyBootedAfterLogin(t *testing.T) {
	s := startEmu(t)
	c := connectAMI(t, s)
	c.send("Action: Login\r\nUsername: ami\r\nSecret: ami\r\nActionID: l1\r\n\r\nAction: Ping\r\nActionID: p1\r\n\r\n")
	c.until(respTo("p1"))
	seen := false
	for _, f := range c.got {
		seen = seen || f.get("Event") == "SuccessfulAuth"
	}
	if !seen {
		c.until(event("SuccessfulAuth"))
	}
	if len(c.got) < 2 || c.got[0].get("ActionID") != "l1" || c.got[1].get("Event") != "FullyBooted" {
		t.Errorf("frames after login: %v", c.got)
	}
}

func TestEmulatorAppName(t *testing.T) {
	s, err := Start(Config{Clock: &Scaled{Factor: factor}, App: "cc"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := connectWS(t, s, "cc")
	if _, err := s.Call("Local/support@switchboard-in", "5550001"); err != nil {
		t.Fatal(err)
	}
	ss := l.until(is("StasisStart", ""))
	if ss["application"] != "cc" {
		t.Errorf("StasisStart for %v", ss["application"])
	}
}

// What a "see everything" ARI app gets for an app_queue call (ARI has no
// queue events): ChannelCreated for every channel, Dial with a caller for
// the member legs, BridgeCreated for app_queue's basic bridge. Compared per
// channel over the event types the emulator models (not DeviceStateChanged,
// ChannelVarset, ChannelDialplan, ChannelCallerId, ChannelConnectedLine).
func TestTraceSubscribeAllQueueCall(t *testing.T) { traceSubscribeAllQueueCall(t, nil) }

func traceSubscribeAllQueueCall(t *testing.T, d *Disorder) *wsLog {
	s := startEmuConfig(t, Config{Clock: &Scaled{Factor: factor}, Disorder: d})
	l := connectWSQuery(t, s, "observer", "&subscribeAll=true")
	c := connectAMI(t, s)
	for _, a := range splitActions(t, "ami-queue-call.sent.txt") {
		id := regexp.MustCompile(`ActionID: (\S+)`).FindStringSubmatch(a)[1]
		c.send(a)
		c.until(respTo(id))
		if id == "orig-queue-1" {
			// Until every channel created is destroyed (under Disorder the
			// caller's ;1 need not be last).
			created, destroyed := map[string]bool{}, map[string]bool{}
			l.until(func(e map[string]any) bool {
				switch e["type"] {
				case "ChannelCreated":
					created[chanName(e)] = true
				case "ChannelDestroyed":
					destroyed[chanName(e)] = true
				}
				return len(created) > 0 && len(created) == len(destroyed)
			})
		}
	}
	l.settle(50 * time.Millisecond)
	keep := regexp.MustCompile(`^(ChannelCreated|ChannelStateChange|Dial|ChannelHangupRequest|ChannelDestroyed|ChannelEnteredBridge|ChannelLeftBridge|BridgeCreated|BridgeDestroyed)$`)
	filter := func(evs []map[string]any) []map[string]any {
		var out []map[string]any
		for _, e := range evs {
			if keep.MatchString(fmt.Sprint(e["type"])) {
				out = append(out, e)
			}
		}
		return out
	}
	rename := func(evs []map[string]any) func(string) string {
		winner := ""
		for _, e := range evs {
			if e["type"] == "Dial" && e["dialstatus"] == "ANSWER" && strings.Contains(chanName(e), "@agents") {
				winner = strings.SplitN(normName(chanName(e)), ";", 2)[0]
			}
		}
		return func(g string) string {
			for _, a := range []string{"Local/1001@agents", "Local/1002@agents"} {
				if strings.HasPrefix(g, a) {
					if a == winner {
						return "WINNER" + strings.TrimPrefix(g, a)
					}
					return "LOSER" + strings.TrimPrefix(g, a)
				}
			}
			return g
		}
	}
	want := filter(loadJSONL(t, "ari-events-subscribeall-queue-call.jsonl"))
	got := filter(l.all)
	wantGroups := perChannel(want, rename(want))
	gotGroups := perChannel(got, rename(got))
	// The caller's name inside Dial events names the winner or loser too.
	for _, groups := range []map[string][]string{wantGroups, gotGroups} {
		for k, sigs := range groups {
			for i := range sigs {
				sigs[i] = strings.NewReplacer("Local/1001@agents", "AGENT", "Local/1002@agents", "AGENT").Replace(sigs[i])
			}
			groups[k] = sigs
		}
	}
	compareChannels(t, wantGroups, gotGroups)
	compareFields(t, loadRawJSONL(t, "ari-events-subscribeall-queue-call.jsonl"), l.raw)
	return l
}
