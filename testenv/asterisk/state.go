package asterisk

import (
	"crypto/rand"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// state is everything the emulator knows. Only the loop goroutine touches it.
type state struct {
	s        *Server
	dialplan Dialplan
	channels map[string]*channel
	order    []*channel // creation order, for listings
	bridges  map[string]*bridge
	apps     map[string]*ariApp
	amis     map[*amiSession]bool
	queues   map[string]*queue
	idSeq    int
	localSeq int
	started  time.Time
	pbs      map[string]*playback
	recs     map[string]*liveRecording
	stored   map[string]*storedRecording
	// storedOrder lists stored recordings' names in the order they finished.
	storedOrder []string
	pending     []func()
	timers      timerHeap
	timerSeq    int
	fixedNow    time.Time
	dis         *disorderState // nil unless Config.Disorder is set
}

// later runs f on the state goroutine after the current command, in FIFO
// order. Only the state goroutine calls it.
func (st *state) later(f func()) { st.pending = append(st.pending, f) }

func (st *state) drain() {
	for len(st.pending) > 0 {
		f := st.pending[0]
		st.pending = st.pending[1:]
		f()
	}
}

func newState(s *Server) *state {
	st := &state{
		s:        s,
		dialplan: Dialplan{},
		channels: map[string]*channel{},
		bridges:  map[string]*bridge{},
		apps:     map[string]*ariApp{},
		amis:     map[*amiSession]bool{},
		queues:   map[string]*queue{},
		started:  s.cfg.Clock.Now(),
	}
	for k, v := range s.cfg.Dialplan {
		c := &Context{Any: v.Any, Extensions: map[string][]App{}}
		for e, a := range v.Extensions {
			c.Extensions[e] = a
		}
		st.dialplan[k] = c
	}
	if s.cfg.Disorder != nil {
		st.dis = newDisorderState(s.cfg.Disorder)
	}
	for _, qc := range s.cfg.Queues {
		st.queues[qc.Name] = newQueue(qc, st.now())
	}
	return st
}

func (st *state) now() time.Time {
	if !st.fixedNow.IsZero() {
		return st.fixedNow
	}
	return st.s.cfg.Clock.Now()
}

func (st *state) closeAll() {
	for _, a := range st.apps {
		for c := range a.clients {
			c.close()
		}
	}
	for a := range st.amis {
		a.conn.Close()
	}
}

// dialKind says who is dialling a ;1 channel and so how its progress is reported.
type dialKind int

const (
	dialNone          dialKind = iota
	dialOriginateApp           // ARI POST /channels with app
	dialOriginatePlan          // ARI POST /channels with context/extension
	dialCreate                 // ARI channels/create + dial
	dialAMI                    // AMI Originate
	dialQueue                  // app_queue ringing a member
)

type dialing struct {
	kind       dialKind
	dialstring string // "100@customers"
	sentDial   bool
	status     string
	cancel     func() // timeout timer
	// after answer
	app     string
	args    []string
	ctx     string
	exten   string
	prio    int
	amiApp  string
	amiData string
	amiOrig *amiOriginate
	ring    *ringing
}

type channel struct {
	id, name   string
	state      string
	caller     idName
	connected  idName
	ctx, exten string
	prio       int
	appName    string
	appData    string
	created    time.Time
	vars       map[string]string
	half       int
	peer       *channel
	linkedid   string
	subs       map[string]bool
	inStasis   bool
	fromPlan   bool // entered Stasis from the dialplan
	stasisApp  string
	bridge     *bridge
	prog       []App
	pc         int
	stopWait   func()
	dial       *dialing
	gone       bool
	qcall      *queueCall
	answeredAt time.Time
	hidden     bool // the far end of a PJSIP/SIP channel: no events, not listed
	recording  *liveRecording
	snoops     []*channel // snoop channels spying on this one
	snooped    *channel   // for a snoop channel: the channel it spies on
}

func (c *channel) json() channelJSON {
	return channelJSON{ID: c.id, Name: c.name, State: c.state, Caller: c.caller, Connected: c.connected,
		Dialplan:     dialplanJSON{Context: c.ctx, Exten: c.exten, Priority: c.prio, AppName: c.appName, AppData: c.appData},
		CreationTime: ariTime(c.created), Language: "en"}
}

func (st *state) nextID(requested string) string {
	st.idSeq++
	if requested != "" {
		return requested
	}
	return fmt.Sprintf("%d.%d", st.now().Unix(), st.idSeq-1)
}

// newPair creates the channels for a dial: a Local pair, or for PJSIP/SIP
// one channel whose far end (the phone) is a hidden half that emits no events.
func (st *state) newPair(ep endpoint, id1, id2 string) (*channel, *channel) {
	if ep.local {
		return st.newLocal(ep.exten, ep.ctx, id1, id2)
	}
	one, two := st.newLocal(ep.exten, ep.ctx, id1, "")
	n := st.localSeq - 1
	one.name = fmt.Sprintf("%s/%s-%08x", ep.tech, strings.SplitN(ep.resource, "@", 2)[len(strings.SplitN(ep.resource, "@", 2))-1], n)
	two.name = one.name + ";far"
	two.hidden = true
	return one, two
}

// newLocal creates a Local channel pair for Local/exten@ctx.
func (st *state) newLocal(exten, ctx, id1, id2 string) (*channel, *channel) {
	n := st.localSeq
	st.localSeq++
	base := fmt.Sprintf("Local/%s@%s-%08x", exten, ctx, n)
	now := st.now()
	one := &channel{id: st.nextID(id1), name: base + ";1", state: "Down", ctx: ctx, exten: exten, prio: 1,
		created: now, vars: map[string]string{}, half: 1, subs: map[string]bool{}}
	two := &channel{id: st.nextID(id2), name: base + ";2", state: "Ring", ctx: ctx, exten: exten, prio: 1,
		created: now, vars: map[string]string{}, half: 2, subs: map[string]bool{}}
	one.peer, two.peer = two, one
	one.linkedid, two.linkedid = one.id, one.id
	st.channels[one.id], st.channels[two.id] = one, two
	st.order = append(st.order, one, two)
	return one, two
}

func (st *state) channelByName(name string) *channel {
	for _, c := range st.channels {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (st *state) liveChannels() []*channel {
	var out []*channel
	for _, c := range st.order {
		if !c.gone && !c.hidden {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return false })
	return out
}

// ---- event emission ----

func (st *state) ariToSubs(subs map[string]bool, ev obj) {
	ev = append(ev, kv{"asterisk_id", st.s.cfg.EntityID})
	names := make([]string, 0, len(subs))
	for a := range subs {
		names = append(names, a)
	}
	sort.Strings(names)
	if st.dis != nil {
		st.dis.queue(ev, names)
		return
	}
	for _, a := range names {
		app := st.apps[a]
		if app == nil {
			continue
		}
		app.send(append(append(obj{}, ev...), kv{"application", a}))
	}
}

// ariChan sends a channel event to the apps subscribed to the channel and to
// every app connected with subscribeAll=true.
func (st *state) ariChan(c *channel, ev obj) {
	if c.hidden {
		return
	}
	st.ariToSubs(union(c.subs, st.allApps()), ev)
}

// allApps are the apps connected with subscribeAll=true.
func (st *state) allApps() map[string]bool {
	out := map[string]bool{}
	for name, a := range st.apps {
		if a.all {
			out[name] = true
		}
	}
	return out
}

func (st *state) ts() string { return ariTime(st.now()) }

func (st *state) evChan(typ string, c *channel, extra ...any) obj {
	return append(o(extra...), append(o("type", typ, "timestamp", st.ts()), kv{"channel", c.json()})...)
}

func (st *state) setState(c *channel, s string) {
	if c.state == s {
		return
	}
	c.state = s
	st.ariChan(c, o("type", "ChannelStateChange", "timestamp", st.ts(), "channel", c.json()))
	st.amiChan("Newstate", "call", c)
}

func (st *state) setVar(c *channel, name, value string) {
	c.vars[name] = value
	st.ariChan(c, append(o("variable", name, "value", value), o("type", "ChannelVarset", "timestamp", st.ts(), "channel", c.json())...))
	st.amiChan("VarSet", "dialplan", c, "Variable", name, "Value", value)
}

func (st *state) hangupRequest(c *channel, cause int, soft bool) {
	ev := o("cause", cause)
	if soft {
		ev = append(ev, kv{"soft", true})
	}
	ev = append(ev, o("type", "ChannelHangupRequest", "timestamp", st.ts(), "channel", c.json())...)
	st.ariChan(c, ev)
	if soft {
		st.amiChan("SoftHangupRequest", "call", c, "Cause", strconv.Itoa(cause))
	} else {
		st.amiChan("HangupRequest", "call", c, "Cause", strconv.Itoa(cause))
	}
}

var causeText = map[int]string{
	0: "Unknown", 1: "Unallocated (unassigned) number", 3: "No route to destination", 16: "Normal Clearing",
	17: "User busy", 18: "No user responding", 19: "User alerting, no answer", 21: "Call Rejected",
	26: "Answered elsewhere", 27: "Destination out of order", 28: "Invalid number format (incomplete number)",
	34: "Circuit/channel congestion", 38: "Network out of order", 41: "Temporary failure",
	42: "Switching equipment congestion", 44: "Requested channel not available",
}

func causeTxt(c int) string {
	if t, ok := causeText[c]; ok {
		return t
	}
	return "Unknown"
}

// dialEvent reports dial progress of a ;1 channel to the app that dials it.
func (st *state) dialEvent(one *channel, status string) {
	d := one.dial
	if d == nil {
		return
	}
	dialstring := d.dialstring
	if d.kind == dialCreate && d.sentDial {
		dialstring = ""
	}
	// app_queue cancels a losing leg twice: first without a dial string.
	if d.kind == dialQueue && status == "CANCEL" && d.status != "CANCEL" {
		dialstring = ""
	}
	d.sentDial = true
	d.status = status
	var caller *channel
	if d.ring != nil {
		caller = d.ring.call.ch
	}
	ev := o("type", "Dial", "timestamp", st.ts(), "dialstatus", status, "forward", "", "dialstring", dialstring)
	if caller != nil {
		ev = append(ev, kv{"caller", caller.json()})
	}
	st.ariChan(one, append(ev, kv{"peer", one.json()}))
	switch status {
	case "":
		st.amiDial("DialBegin", caller, one, "DialString", d.dialstring)
	case "RINGING", "PROGRESS", "PROCEEDING":
		st.amiDial("DialState", caller, one, "DialStatus", status)
	default:
		st.amiDial("DialEnd", caller, one, "DialStatus", status)
	}
}

// ---- dialplan execution ----

func (st *state) startProgram(c *channel, ctx, exten string, prio int) bool {
	prog, ok := st.dialplan.lookup(ctx, exten)
	if !ok {
		return false
	}
	c.ctx, c.exten, c.prio = ctx, exten, prio
	c.prog, c.pc = prog, prio-1
	st.later(func() { st.step(c) })
	return true
}

func (st *state) varLookup(c *channel) func(string) string {
	return func(n string) string {
		switch n {
		case "EXTEN":
			return c.exten
		case "CONTEXT":
			return c.ctx
		case "UNIQUEID":
			return c.id
		}
		return c.vars[n]
	}
}

// step runs the channel's next dialplan priority.
func (st *state) step(c *channel) {
	if c.gone || c.inStasis || c.qcall != nil {
		return
	}
	if c.pc >= len(c.prog) {
		st.dialplanHangup(c, 16)
		return
	}
	a := c.prog[c.pc]
	c.prio = c.pc + 1
	c.pc++
	data := substitute(a.Data, st.varLookup(c))
	c.appName, c.appData = a.Name, data
	st.ariChan(c, append(o("type", "ChannelDialplan", "timestamp", st.ts(), "dialplan_app", a.Name, "dialplan_app_data", data), kv{"channel", c.json()}))
	st.amiChan("Newexten", "dialplan", c, "Extension", c.exten, "Application", a.Name, "AppData", data)
	next := func() { st.later(func() { st.step(c) }) }
	switch strings.ToLower(a.Name) {
	case "noop", "progress", "mixmonitor", "playback":
		next()
	case "set":
		if k, v, ok := strings.Cut(data, "="); ok {
			st.setVar(c, k, v)
		}
		next()
	case "ringing":
		st.farRinging(c)
		next()
	case "answer":
		st.answer(c)
		next()
	case "wait":
		secs, _ := strconv.ParseFloat(data, 64)
		c.stopWait = st.s.after(time.Duration(secs*float64(time.Second)), func() {
			c.stopWait = nil
			st.step(c)
		})
	case "busy":
		st.farFailed(c, "BUSY", 0, 17)
	case "congestion":
		st.farFailed(c, "CONGESTION", 0, 34)
	case "hangup":
		cause := 16
		if n, err := strconv.Atoi(data); err == nil {
			cause = n
		}
		st.dialplanHangup(c, cause)
	case "amd":
		status, cause := "HUMAN", "HUMAN-500-500"
		if c.peer != nil && c.peer.vars["AMD_EMULATED"] == "MACHINE" {
			status, cause = "MACHINE", "LONGGREETING-1500-1500"
		}
		st.setVar(c, "AMDSTATUS", status)
		st.setVar(c, "AMDCAUSE", cause)
		next()
	case "stasis":
		parts := strings.Split(data, ",")
		st.enterStasis(c, parts[0], parts[1:], true)
	case "queue":
		st.queueApp(c, data)
	case "goto":
		st.gotoApp(c, data)
	default:
		next()
	}
}

// gotoApp jumps to [[context,]exten,]priority, like app Goto.
func (st *state) gotoApp(c *channel, data string) {
	parts := strings.Split(data, ",")
	ctx, exten := c.ctx, c.exten
	switch len(parts) {
	case 2:
		exten = parts[0]
	case 3:
		ctx, exten = parts[0], parts[1]
	}
	prio, err := strconv.Atoi(parts[len(parts)-1])
	if err != nil || prio < 1 || !st.startProgram(c, ctx, exten, prio) {
		st.dialplanHangup(c, 16)
	}
}

// farRinging: the far end (;2) indicates ringing; its ;1 half rings.
func (st *state) farRinging(c *channel) {
	one := c.peer
	if c.half != 2 || one == nil || one.gone || one.state != "Down" {
		return
	}
	st.setState(one, "Ringing")
	st.onRinging(one)
}

func (st *state) onRinging(one *channel) {
	if one.dial == nil {
		return
	}
	if one.dial.kind == dialQueue {
		st.queueRinging(one)
		return
	}
	st.dialEvent(one, "RINGING")
}

// answer answers c; a ;2 half answering makes its ;1 half answer too.
func (st *state) answer(c *channel) {
	if c.state != "Up" {
		st.setState(c, "Up")
		c.answeredAt = st.now()
	}
	one := c.peer
	if c.half == 2 && one != nil && !one.gone && one.state != "Up" {
		// The answer reaches the ;1 half through its frame queue.
		st.later(func() {
			if one.gone || one.state == "Up" {
				return
			}
			st.setState(one, "Up")
			one.answeredAt = st.now()
			st.onAnswer(one)
		})
	}
}

func (st *state) onAnswer(one *channel) {
	d := one.dial
	if d == nil {
		return
	}
	if d.cancel != nil {
		d.cancel()
		d.cancel = nil
	}
	switch d.kind {
	case dialOriginateApp:
		st.dialEvent(one, "ANSWER")
		one.dial = nil
		one.appName, one.appData = "Stasis", strings.Join(append([]string{d.app}, d.args...), ",")
		st.enterStasis(one, d.app, d.args, false)
	case dialOriginatePlan:
		st.dialEvent(one, "ANSWER")
		one.dial = nil
		if !st.startProgram(one, d.ctx, d.exten, d.prio) {
			st.dialplanHangup(one, 16)
		}
	case dialCreate:
		st.dialEvent(one, "ANSWER")
		one.dial = nil
	case dialAMI:
		st.amiOriginateDone(d.amiOrig, one, 4)
		st.dialEvent(one, "ANSWER")
		one.dial = nil
		if d.amiApp != "" {
			one.prog = []App{{d.amiApp, d.amiData}, {"Hangup", ""}}
			one.pc = 0
			st.later(func() { st.step(one) })
		} else if !st.startProgram(one, d.ctx, d.exten, d.prio) {
			st.dialplanHangup(one, 16)
		}
	case dialQueue:
		st.queueAnswered(one)
	}
}

// farFailed: the far end (;2) refused the call before answer.
func (st *state) farFailed(two *channel, status string, cause1, cause2 int) {
	one := two.peer
	if two.half != 2 || one == nil || one.gone || one.state == "Up" {
		if status == "BUSY" {
			st.setState(two, "Busy")
		}
		st.dialplanHangup(two, cause2)
		return
	}
	if status == "BUSY" && !(one.dial != nil && one.dial.kind == dialAMI && one.dial.amiOrig.async) {
		st.setState(two, "Busy")
	}
	st.dialFailed(one, status, cause1, cause2)
}

// dialFailed ends an unanswered dial of one (a ;1 half) with a dial status.
func (st *state) dialFailed(one *channel, status string, cause1, cause2 int) {
	d := one.dial
	two := one.peer
	if d != nil && d.cancel != nil {
		d.cancel()
		d.cancel = nil
	}
	if d == nil {
		st.failPair(one, cause1, cause2, nil)
		return
	}
	switch d.kind {
	case dialCreate:
		st.dialEvent(one, status)
		one.dial = nil
		st.silentDestroy(two, cause2)
	case dialQueue:
		st.queueRingFailed(one, status, cause1, cause2)
	case dialAMI:
		st.dialEvent(one, status)
		reason := map[string]int{"BUSY": 5, "CONGESTION": 8, "NOANSWER": 3}[status]
		if d.amiOrig.async && status == "BUSY" {
			// Async AMI Originate: the far half goes first, then OriginateResponse, then ;1.
			one.dial = nil
			st.hangupRequest(two, cause1, false)
			st.setState(two, "Busy")
			st.hangupRequest(two, 16, true)
			st.destroy(two, cause2)
			st.amiOriginateDone(d.amiOrig, nil, reason)
			st.destroy(one, cause1)
			return
		}
		st.failPair(one, cause1, cause2, func() { st.amiOriginateDone(d.amiOrig, nil, reason) })
	default:
		st.dialEvent(one, status)
		st.failPair(one, cause1, cause2, nil)
	}
}

// dialTimeout: nobody answered within the dial timeout.
func (st *state) dialTimeout(one *channel) {
	d := one.dial
	if d == nil || one.gone {
		return
	}
	d.cancel = nil
	switch d.kind {
	case dialCreate:
		one.dial = nil
		st.hangupRequest(one, 32, true)
		st.leaveBridge(one)
		st.leaveStasis(one)
		st.finalDestroy(one, 19)
		st.silentDestroy(one.peer, 19)
	case dialAMI:
		st.failPair(one, 19, 19, func() { st.amiOriginateDone(d.amiOrig, nil, 3) })
	default:
		st.failPair(one, 19, 19, nil)
	}
}

// failPair tears down an unanswered Local pair: HangupRequest on ;2 with the
// real cause, ;1 destroyed, then ;2's own soft hang-up and destruction.
func (st *state) failPair(one *channel, cause1, cause2 int, between func()) {
	one.dial = nil
	two := one.peer
	if two != nil && !two.gone {
		st.hangupRequest(two, cause1, false)
	}
	if between != nil {
		between()
	}
	if two != nil && two.hidden {
		cause1 = cause2 // a PJSIP channel carries the far end's cause itself
	}
	st.destroy(one, cause1)
	if two != nil && !two.gone {
		st.queueAbandon(two)
		st.hangupRequest(two, 16, true)
		st.destroy(two, cause2)
	}
}

// dialplanHangup: c's dialplan hung up (Hangup app or end of dialplan).
func (st *state) dialplanHangup(c *channel, cause int) {
	if c.gone {
		return
	}
	p := c.peer
	if p != nil && !p.gone && p.state != "Up" && c.half == 2 {
		// The far end hung up before answering: a failed dial.
		status := "CHANUNAVAIL"
		if cause == 19 {
			status = "NOANSWER"
		}
		st.dialFailed(p, status, cause, cause)
		return
	}
	st.hangupRequest(c, 16, true)
	if p != nil && !p.gone {
		st.hangupRequest(p, cause, false)
	}
	st.destroy(c, cause)
	if p != nil && !p.gone {
		st.destroy(p, cause)
	}
}

// apiHangup is a hang-up by REST DELETE or AMI Hangup.
func (st *state) apiHangup(c *channel, cause int) {
	st.hangupRequest(c, 32, true)
	st.leaveBridge(c)
	st.leaveStasis(c)
	p := c.peer
	if p == nil || p.gone {
		st.destroy(c, cause)
		return
	}
	if c.half == 1 && p.state != "Up" && c.dial != nil {
		// Hanging up an outgoing call before answer: the far end sees a cancel.
		c.dial = nil
	}
	st.hangupRequest(p, cause, false)
	st.destroy(c, cause)
	if !p.gone {
		st.hangupRequest(p, 16, true)
		st.destroy(p, cause)
	}
}

// destroy leaves every bridge, queue and Stasis app and destroys c.
func (st *state) destroy(c *channel, cause int) {
	if c.gone {
		return
	}
	st.queueHangup(c, cause)
	st.leaveBridge(c)
	st.leaveStasis(c)
	st.finalDestroy(c, cause)
}

func (st *state) finalDestroy(c *channel, cause int) {
	if c.gone {
		return
	}
	c.gone = true
	if c.stopWait != nil {
		c.stopWait()
		c.stopWait = nil
	}
	if c.dial != nil && c.dial.cancel != nil {
		c.dial.cancel()
	}
	if c.half == 1 && c.appName == "Stasis" {
		c.appName, c.appData = "AppDial2", "(Outgoing Line)"
	}
	if c.half == 2 && c.pc >= len(c.prog) {
		c.appName, c.appData = "", ""
	}
	if c.recording != nil {
		st.finishRecording(c.recording)
	}
	st.ariChan(c, o("type", "ChannelDestroyed", "timestamp", st.ts(), "cause", cause, "cause_txt", causeTxt(cause), "channel", c.json()))
	st.amiChan("Hangup", "call", c, "Cause", strconv.Itoa(cause), "Cause-txt", causeTxt(cause))
	delete(st.channels, c.id)
	c.subs = map[string]bool{}
	st.endSnoops(c)
}

// silentDestroy destroys a half nobody subscribed to (AMI still hears it).
func (st *state) silentDestroy(c *channel, cause int) {
	if c == nil || c.gone {
		return
	}
	st.hangupRequest(c, 16, true)
	st.destroy(c, cause)
}

func (st *state) enterStasis(c *channel, app string, args []string, fromPlan bool) {
	if args == nil {
		args = []string{}
	}
	st.setVar(c, "STASISSTATUS", "")
	// A channel the app originated stays subscribed after it leaves Stasis.
	c.fromPlan = fromPlan && !c.subs[app]
	c.subs[app] = true
	c.inStasis, c.stasisApp = true, app
	st.ariChan(c, o("type", "StasisStart", "timestamp", st.ts(), "args", args, "channel", c.json()))
}

func (st *state) leaveStasis(c *channel) {
	if !c.inStasis {
		return
	}
	c.inStasis = false
	st.ariChan(c, o("type", "StasisEnd", "timestamp", st.ts(), "channel", c.json()))
	if c.fromPlan {
		delete(c.subs, c.stasisApp)
	}
	st.setVar(c, "STASISSTATUS", "SUCCESS")
}

// ---- bridges ----

type bridge struct {
	id, name, typ, class, creator, tech string
	created                             time.Time
	chans                               []*channel
	apps                                map[string]bool
	recording                           *liveRecording
}

func (b *bridge) json() bridgeJSON {
	ids := make([]string, 0, len(b.chans))
	for _, c := range b.chans {
		ids = append(ids, c.id)
	}
	return bridgeJSON{ID: b.id, Technology: b.tech, BridgeType: b.typ, BridgeClass: b.class, Creator: b.creator,
		Name: b.name, Channels: ids, CreationTime: ariTime(b.created), VideoMode: "talker"}
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (st *state) createBridge(id, name, typ, class, creator string, app string) *bridge {
	if id == "" {
		id = newUUID()
	}
	b := &bridge{id: id, name: name, typ: typ, class: class, creator: creator, tech: "simple_bridge",
		created: st.now(), apps: map[string]bool{}}
	if app != "" {
		b.apps[app] = true
	}
	st.bridges[id] = b
	// The creating app hears no BridgeCreated (behaviour 7); subscribeAll apps do.
	st.ariToSubs(st.allApps(), o("type", "BridgeCreated", "timestamp", st.ts(), "bridge", b.json()))
	st.amiBridge("BridgeCreate", b)
	return b
}

func union(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func (st *state) addToBridge(b *bridge, c *channel) {
	if c.bridge == b {
		return
	}
	if c.bridge != nil {
		st.leaveBridge(c)
	}
	b.chans = append(b.chans, c)
	c.bridge = b
	st.ariToSubs(union(union(c.subs, b.apps), st.allApps()), o("type", "ChannelEnteredBridge", "timestamp", st.ts(), "bridge", b.json(), "channel", c.json()))
	st.amiBridgeChan("BridgeEnter", b, c)
	if len(b.chans) == 2 {
		other := b.chans[0]
		st.setVar(other, "BRIDGEPEER", c.name)
		st.setVar(c, "BRIDGEPEER", other.name)
	}
}

func (st *state) leaveBridge(c *channel) {
	b := c.bridge
	if b == nil {
		return
	}
	st.setVar(c, "BRIDGEPEER", "")
	for i, x := range b.chans {
		if x == c {
			b.chans = append(b.chans[:i], b.chans[i+1:]...)
			break
		}
	}
	c.bridge = nil
	st.ariToSubs(union(union(c.subs, b.apps), st.allApps()), o("type", "ChannelLeftBridge", "timestamp", st.ts(), "bridge", b.json(), "channel", c.json()))
	st.amiBridgeChan("BridgeLeave", b, c)
}

func (st *state) destroyBridge(b *bridge) {
	for len(b.chans) > 0 {
		st.leaveBridge(b.chans[0])
	}
	if b.recording != nil {
		st.finishRecording(b.recording)
	}
	delete(st.bridges, b.id)
	st.ariToSubs(union(b.apps, st.allApps()), o("type", "BridgeDestroyed", "timestamp", st.ts(), "bridge", b.json()))
	st.amiBridge("BridgeDestroy", b)
}
