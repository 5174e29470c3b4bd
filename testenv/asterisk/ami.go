package asterisk

import (
	"bufio"
	"crypto/subtle"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// amiFrame is one AMI message: ordered "Key: Value" lines.
type amiFrame [][2]string

func (f amiFrame) get(k string) string {
	for _, kv := range f {
		if strings.EqualFold(kv[0], k) {
			return kv[1]
		}
	}
	return ""
}

func (f amiFrame) all(k string) []string {
	var out []string
	for _, kv := range f {
		if strings.EqualFold(kv[0], k) {
			out = append(out, kv[1])
		}
	}
	return out
}

func (f amiFrame) bytes() []byte {
	var b strings.Builder
	for _, kv := range f {
		b.WriteString(kv[0])
		b.WriteString(": ")
		b.WriteString(kv[1])
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

func frame(pairs ...string) amiFrame {
	f := make(amiFrame, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		f = append(f, [2]string{pairs[i], pairs[i+1]})
	}
	return f
}

// amiSession is one AMI TCP connection. Frames go out through one queue so
// responses and events keep their order; the state goroutine never blocks.
type amiSession struct {
	conn     net.Conn
	mu       sync.Mutex
	out      [][]byte
	wake     chan struct{}
	closed   chan struct{}
	once     sync.Once
	loggedIn bool // state goroutine only
	events   bool // state goroutine only
	holding  int  // sync Originates in flight; events wait behind their response
	held     [][]byte
	user     string
	late     *lateAuth // SuccessfulAuth held back under Disorder; state goroutine only
}

func (a *amiSession) write(b []byte) {
	a.mu.Lock()
	a.out = append(a.out, b)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *amiSession) close() { a.once.Do(func() { close(a.closed) }) }

func (a *amiSession) writeLoop() {
	w := bufio.NewWriter(a.conn)
	for {
		a.mu.Lock()
		q := a.out
		a.out = nil
		a.mu.Unlock()
		for _, b := range q {
			if _, err := w.Write(b); err != nil {
				a.close()
				return
			}
		}
		if err := w.Flush(); err != nil {
			a.close()
			return
		}
		select {
		case <-a.wake:
		case <-a.closed:
			a.mu.Lock()
			q := a.out
			a.out = nil
			a.mu.Unlock()
			for _, b := range q {
				_, _ = w.Write(b)
			}
			_ = w.Flush()
			return
		}
	}
}

func (s *Server) serveAMI() {
	for {
		conn, err := s.amiLn.Accept()
		if err != nil {
			return
		}
		s.spawn(func() { s.amiConn(conn) })
	}
}

// DropAMI closes every AMI connection.
func (s *Server) DropAMI() {
	_ = s.do(func() {
		for a := range s.st.amis {
			a.close()
		}
	})
}

func (s *Server) amiConn(conn net.Conn) {
	a := &amiSession{conn: conn, wake: make(chan struct{}, 1), closed: make(chan struct{})}
	if s.do(func() { s.st.amis[a] = true }) != nil {
		conn.Close()
		return
	}
	a.write([]byte("Asterisk Call Manager/11.0.0\r\n"))
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		a.writeLoop()
	}()
	go func() {
		<-a.closed
		<-writerDone
		conn.Close()
	}()
	r := bufio.NewReader(conn)
	for {
		f, err := readFrame(r)
		if err != nil {
			break
		}
		if len(f) == 0 {
			continue
		}
		quit := false
		if s.do(func() { quit = s.st.amiAction(a, f) }) != nil || quit {
			break
		}
	}
	a.close()
	<-writerDone
	conn.Close()
	s.post(func() { delete(s.st.amis, a) })
}

// readFrame reads lines up to a blank line. It accepts CRLF, LF and the
// stray "\n\r" goami writes before Priority.
func readFrame(r *bufio.Reader) (amiFrame, error) {
	var f amiFrame
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.Trim(line, "\r\n")
		if line == "" {
			return f, nil
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f = append(f, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
}

// ---- events out ----

var stateCode = map[string]int{"Down": 0, "Rsrvd": 1, "OffHook": 2, "Dialing": 3, "Ring": 4, "Ringing": 5, "Up": 6, "Busy": 7}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

func chanFields(prefix string, c *channel) []string {
	linked := c.linkedid
	if linked == "" {
		linked = c.id
	}
	return []string{
		prefix + "Channel", c.name, prefix + "ChannelState", strconv.Itoa(stateCode[c.state]), prefix + "ChannelStateDesc", c.state,
		prefix + "CallerIDNum", orUnknown(c.caller.Number), prefix + "CallerIDName", orUnknown(c.caller.Name),
		prefix + "ConnectedLineNum", orUnknown(c.connected.Number), prefix + "ConnectedLineName", orUnknown(c.connected.Name),
		prefix + "Language", "en", prefix + "AccountCode", "", prefix + "Context", c.ctx, prefix + "Exten", c.exten,
		prefix + "Priority", strconv.Itoa(c.prio), prefix + "Uniqueid", c.id, prefix + "Linkedid", linked,
	}
}

func (st *state) amiBroadcast(f amiFrame) {
	b := f.bytes()
	for a := range st.amis {
		if !a.loggedIn || !a.events {
			continue
		}
		if a.holding > 0 {
			a.held = append(a.held, b)
			continue
		}
		a.write(b)
	}
}

func (st *state) amiEvent(name, priv string, kvs ...string) {
	st.amiBroadcast(frame(append([]string{"Event", name, "Privilege", priv + ",all"}, kvs...)...))
}

func (st *state) amiChan(name, priv string, c *channel, extra ...string) {
	if c.hidden {
		return
	}
	st.amiEvent(name, priv, append(chanFields("", c), extra...)...)
}

// amiNewchannel announces a new channel: AMI Newchannel, and ARI
// ChannelCreated for subscribeAll apps only (an app that originates a
// channel hears no ChannelCreated for it, behaviour 1).
func (st *state) amiNewchannel(c *channel) {
	if c.hidden {
		return
	}
	st.ariToSubs(st.allApps(), o("type", "ChannelCreated", "timestamp", st.ts(), "channel", c.json()))
	st.amiChan("Newchannel", "call", c)
}

func (st *state) amiDial(name string, caller, dest *channel, extra ...string) {
	var kvs []string
	if caller != nil {
		kvs = chanFields("", caller)
	}
	kvs = append(kvs, chanFields("Dest", dest)...)
	st.amiEvent(name, "call", append(kvs, extra...)...)
}

func bridgeFields(b *bridge) []string {
	typ, creator, name := b.typ, orUnknown(b.creator), orUnknown(b.name)
	return []string{"BridgeUniqueid", b.id, "BridgeType", typ, "BridgeTechnology", b.tech, "BridgeCreator", creator,
		"BridgeName", name, "BridgeNumChannels", strconv.Itoa(len(b.chans)), "BridgeVideoSourceMode", "none"}
}

func (st *state) amiBridge(name string, b *bridge) { st.amiEvent(name, "call", bridgeFields(b)...) }

func (st *state) amiBridgeChan(name string, b *bridge, c *channel) {
	st.amiEvent(name, "call", append(bridgeFields(b), chanFields("", c)...)...)
}

// ---- actions ----

func respond(a *amiSession, id string, kvs ...string) {
	f := frame("Response", "Success")
	if id != "" {
		f = append(f, [2]string{"ActionID", id})
	}
	a.write(append(f, frame(kvs...)...).bytes())
}

func respondErr(a *amiSession, id, msg string) {
	f := frame("Response", "Error")
	if id != "" {
		f = append(f, [2]string{"ActionID", id})
	}
	a.write(append(f, [2]string{"Message", msg}).bytes())
}

func listItem(a *amiSession, id, event string, kvs ...string) {
	f := frame(append([]string{"Event", event}, kvs...)...)
	if id != "" {
		f = append(f, [2]string{"ActionID", id})
	}
	a.write(f.bytes())
}

func listComplete(a *amiSession, id, event string, n int) {
	f := frame("Event", event)
	if id != "" {
		f = append(f, [2]string{"ActionID", id})
	}
	a.write(append(f, frame("EventList", "Complete", "ListItems", strconv.Itoa(n))...).bytes())
}

func eventsOn(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return v != "off" && v != "no" && v != "false" && v != "0"
}

// amiAction handles one action; it reports whether the session must close.
func (st *state) amiAction(a *amiSession, f amiFrame) bool {
	action := strings.ToLower(f.get("Action"))
	id := f.get("ActionID")
	if action != "login" {
		defer st.actionAnswered(a) // a held SuccessfulAuth comes after this response
	}
	if action != "login" && action != "logoff" && action != "ping" && !a.loggedIn {
		respondErr(a, id, "Permission denied")
		return false
	}
	switch action {
	case "login":
		cfg := st.s.cfg
		if subtle.ConstantTimeCompare([]byte(f.get("Username")), []byte(cfg.AMIUser)) != 1 ||
			subtle.ConstantTimeCompare([]byte(f.get("Secret")), []byte(cfg.AMISecret)) != 1 {
			respondErr(a, id, "Authentication failed")
			a.close() // Asterisk closes the connection after a failed login
			return true
		}
		a.loggedIn, a.user = true, f.get("Username")
		a.events = f.get("Events") == "" || eventsOn(f.get("Events"))
		respond(a, id, "Message", "Authentication accepted")
		if a.events {
			up := strconv.Itoa(int(st.now().Sub(st.started).Seconds()))
			a.write(frame("Event", "FullyBooted", "Privilege", "system,all", "Uptime", up, "LastReload", up, "Status", "Fully Booted").bytes())
			// SuccessfulAuth is a security event: it can come after later responses.
			ts := st.ts()
			auth := frame("Event", "SuccessfulAuth", "Privilege", "security,all", "EventTV", ts, "Severity", "Informational",
				"Service", "AMI", "EventVersion", "1", "AccountID", a.user, "SessionID", fmt.Sprintf("%p", a),
				"LocalAddress", "IPV4/TCP/"+a.conn.LocalAddr().String(), "RemoteAddress", "IPV4/TCP/"+a.conn.RemoteAddr().String(),
				"UsingPassword", "0", "SessionTV", ts).bytes()
			if st.dis != nil {
				st.holdAuth(a, auth) // behind the next action responses
			} else {
				st.later(func() { a.write(auth) })
			}
		}
	case "logoff":
		a.write(frame("Response", "Goodbye", "ActionID", id, "Message", "Thanks for all the fish.").bytes())
		a.close()
		return true
	case "ping":
		now := st.now()
		respond(a, id, "Ping", "Pong", "Timestamp", fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000))
	case "events":
		a.events = eventsOn(f.get("EventMask"))
		state := "Off"
		if a.events {
			state = "On"
		}
		respond(a, id, "Events", state)
	case "coresettings":
		respond(a, id, "AMIversion", "11.0.0", "AsteriskVersion", "22.10.1", "SystemName", "", "CoreMaxCalls", "0",
			"CoreMaxLoadAvg", "0.000000", "CoreRunUser", "", "CoreRunGroup", "", "CoreMaxFilehandles", "0",
			"CoreRealTimeEnabled", "No", "CoreCDRenabled", "Yes", "CoreHTTPenabled", "No", "SoundsSearchCustomDir", "No")
	case "command":
		if strings.TrimSpace(f.get("Command")) == "core show version" {
			respond(a, id, "Message", "Command output follows", "Output", "Asterisk 22.10.1 (emulator)")
		} else {
			respond(a, id, "Message", "Command output follows", "Output", "No such command '"+f.get("Command")+"'")
		}
	case "queuesummary":
		st.amiQueueSummary(a, id, f.get("Queue"))
	case "queuestatus":
		st.amiQueueStatus(a, id, f.get("Queue"))
	case "queueadd":
		st.amiQueueAdd(a, id, f)
	case "queueremove":
		st.amiQueueRemove(a, id, f)
	case "queuepause":
		st.amiQueuePause(a, id, f)
	case "coreshowchannels":
		respond(a, id, "EventList", "start", "Message", "Channels will follow")
		n := 0
		for _, c := range st.liveChannels() {
			n++
			listItem(a, id, "CoreShowChannel", append(chanFields("", c), "Application", c.appName, "ApplicationData", c.appData)...)
		}
		listComplete(a, id, "CoreShowChannelsComplete", n)
	case "hangup":
		c := st.channelByName(f.get("Channel"))
		if c == nil || c.gone {
			respondErr(a, id, "No such channel")
			return false
		}
		cause := 16
		if n, err := strconv.Atoi(f.get("Cause")); err == nil {
			cause = n
		}
		respond(a, id, "Message", "Channel Hungup")
		st.apiHangup(c, cause)
	case "originate":
		st.amiOriginateAction(a, id, f)
	default:
		respondErr(a, id, "Invalid/unknown command: "+f.get("Action")+". Use Action: ListCommands to show available commands.")
		ts := st.ts()
		a.write(frame("Event", "RequestBadFormat", "Privilege", "security,all", "EventTV", ts, "Severity", "Error", "Service", "AMI",
			"EventVersion", "1", "SessionID", fmt.Sprintf("%p", a), "LocalAddress", "IPV4/TCP/"+a.conn.LocalAddr().String(),
			"RemoteAddress", "IPV4/TCP/"+a.conn.RemoteAddr().String(), "RequestType", "Action: "+f.get("Action"),
			"SessionTV", ts, "AccountID", a.user).bytes())
	}
	return false
}

type amiOriginate struct {
	sess       *amiSession
	id         string
	async      bool
	dialstring string
	app, data  string
	ctx, exten string
	caller     idName
	done       bool
}

func (st *state) amiOriginateAction(a *amiSession, id string, f amiFrame) {
	ao := &amiOriginate{sess: a, id: id, async: eventsOn(f.get("Async")) && f.get("Async") != "",
		dialstring: f.get("Channel"), app: f.get("Application"), data: f.get("Data"), ctx: f.get("Context"), exten: f.get("Exten")}
	if ao.dialstring == "" {
		respondErr(a, id, "Channel not specified")
		return
	}
	if ao.app == "" && ao.exten == "" {
		respondErr(a, id, "Exten or Application not specified")
		return
	}
	ep, ok := parseEndpoint(ao.dialstring)
	if !ok {
		if !ao.async {
			respondErr(a, id, "Originate failed")
			return
		}
		respond(a, id, "Message", "Originate successfully queued")
		st.later(func() { st.amiOriginateDone(ao, nil, 0) })
		return
	}
	if ao.async {
		respond(a, id, "Message", "Originate successfully queued")
	} else {
		a.holding++
	}
	one, two := st.newPair(ep, f.get("ChannelId"), f.get("OtherChannelId"))
	one.appName, one.appData = "AppDial2", "(Outgoing Line)"
	d := &dialing{kind: dialAMI, dialstring: ep.resource, amiOrig: ao, amiApp: ao.app, amiData: ao.data,
		ctx: ao.ctx, exten: ao.exten, prio: 1}
	if p, err := strconv.Atoi(f.get("Priority")); err == nil && p > 0 {
		d.prio = p
	}
	one.dial = d
	if cid := f.get("CallerID"); cid != "" {
		ao.caller = parseCallerID(cid)
		one.caller, one.connected, two.caller, two.connected = ao.caller, ao.caller, ao.caller, ao.caller
	}
	vars := map[string]string{}
	var order []string
	for _, v := range f.all("Variable") {
		for _, pair := range strings.Split(v, ",") {
			if k, val, ok := strings.Cut(pair, "="); ok && k != "" {
				vars[k] = val
				order = append(order, k)
			}
		}
	}
	timeout := 30 * time.Second
	if ms, err := strconv.Atoi(f.get("Timeout")); err == nil && ms > 0 {
		timeout = time.Duration(ms) * time.Millisecond
	}
	st.amiNewchannel(one)
	st.amiNewchannel(two)
	st.amiChan("Newexten", "dialplan", one, "Extension", ep.exten, "Application", "AppDial2", "AppData", "(Outgoing Line)")
	for _, k := range order {
		one.vars[k] = vars[k]
		st.amiChan("VarSet", "dialplan", one, "Variable", k, "Value", vars[k])
	}
	st.later(func() {
		for _, k := range order {
			two.vars[k] = vars[k]
			st.amiChan("VarSet", "dialplan", two, "Variable", k, "Value", vars[k])
		}
		st.dialEvent(one, "")
		d.cancel = st.s.after(timeout, func() { st.dialTimeout(one) })
		if !st.startProgram(two, two.ctx, two.exten, 1) {
			st.dialFailed(one, "CHANUNAVAIL", 1, 1)
		}
	})
}

// amiOriginateDone reports the end of an AMI Originate: reason 4 answered,
// 5 busy, 3 no answer, 8 congestion, 0 failed.
func (st *state) amiOriginateDone(ao *amiOriginate, one *channel, reason int) {
	if ao == nil || ao.done {
		return
	}
	ao.done = true
	if !ao.async {
		a := ao.sess
		if reason == 4 {
			respond(a, ao.id, "Message", "Originate successfully queued")
		} else {
			respondErr(a, ao.id, "Originate failed")
		}
		a.holding--
		if a.holding == 0 {
			for _, b := range a.held {
				a.write(b)
			}
			a.held = nil
		}
		return
	}
	resp, name, uid := "Failure", ao.dialstring, "<unknown>"
	if one != nil {
		resp, name, uid = "Success", one.name, one.id
	}
	target := []string{"Context", ao.ctx, "Exten", ao.exten}
	if ao.app != "" {
		target = []string{"Application", ao.app, "Data", ao.data}
	}
	kvs := append([]string{"ActionID", ao.id, "Response", resp, "Channel", name}, target...)
	kvs = append(kvs, "Reason", strconv.Itoa(reason), "Uniqueid", uid,
		"CallerIDNum", orUnknown(ao.caller.Number), "CallerIDName", orUnknown(ao.caller.Name))
	st.amiEvent("OriginateResponse", "call", kvs...)
}
