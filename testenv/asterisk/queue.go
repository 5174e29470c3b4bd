package asterisk

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

type queue struct {
	cfg       QueueConfig
	members   []*member
	callers   []*queueCall
	rr        int
	completed int
	abandoned int
	holdTotal time.Duration
	talkTotal time.Duration
}

type member struct {
	iface, name string
	dynamic     bool
	paused      bool
	reason      string
	penalty     int
	callsTaken  int
	lastCall    int64
	lastPause   int64
	loginTime   int64
	inCall      bool
	ringing     *ringing
}

type queueCall struct {
	q         *queue
	ch        *channel
	joined    time.Time
	origPos   int
	rings     []*ringing
	retry     func()
	timeout   func()
	connected *ringing
	bridge    *bridge
}

type ringing struct {
	call      *queueCall
	m         *member
	one       *channel
	started   time.Time
	answered  time.Time
	stopTimer func()
	done      bool
}

func newQueue(qc QueueConfig, now time.Time) *queue {
	q := &queue{cfg: qc}
	if q.cfg.Strategy == "" {
		q.cfg.Strategy = "ringall"
	}
	if q.cfg.Timeout == 0 {
		q.cfg.Timeout = 15 * time.Second
	}
	if q.cfg.Retry == 0 {
		q.cfg.Retry = 5 * time.Second
	}
	for _, m := range qc.Members {
		q.members = append(q.members, &member{iface: m.Interface, name: m.Name, loginTime: now.Unix()})
	}
	return q
}

func (q *queue) member(iface string) *member {
	for _, m := range q.members {
		if strings.EqualFold(m.iface, iface) {
			return m
		}
	}
	return nil
}

func (q *queue) position(c *queueCall) int {
	for i, x := range q.callers {
		if x == c {
			return i + 1
		}
	}
	return 0
}

func (m *member) status() int {
	if m.inCall || m.ringing != nil {
		return 2
	}
	return 1
}

func b2i(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func (st *state) memberFields(q *queue, m *member) []string {
	membership := "static"
	if m.dynamic {
		membership = "dynamic"
	}
	return []string{"Queue", q.cfg.Name, "MemberName", m.name, "Interface", m.iface, "StateInterface", m.iface,
		"Membership", membership, "Penalty", strconv.Itoa(m.penalty), "CallsTaken", strconv.Itoa(m.callsTaken),
		"LastCall", strconv.FormatInt(m.lastCall, 10), "LastPause", strconv.FormatInt(m.lastPause, 10),
		"LoginTime", strconv.FormatInt(m.loginTime, 10), "InCall", b2i(m.inCall), "Status", strconv.Itoa(m.status()),
		"Paused", b2i(m.paused), "PausedReason", m.reason, "Ringinuse", "0", "Wrapuptime", "0"}
}

func (st *state) memberEvent(name string, q *queue, m *member) {
	st.amiEvent(name, "agent", st.memberFields(q, m)...)
}

// ---- AMI queue actions ----

func (st *state) sortedQueues(only string) []*queue {
	var out []*queue
	for _, q := range st.queues {
		if only == "" || q.cfg.Name == only {
			out = append(out, q)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].cfg.Name < out[j].cfg.Name })
	return out
}

func (st *state) amiQueueSummary(a *amiSession, id, only string) {
	respond(a, id, "EventList", "start", "Message", "Queue summary will follow")
	n := 0
	for _, q := range st.sortedQueues(only) {
		avail := 0
		for _, m := range q.members {
			if !m.paused && m.status() == 1 {
				avail++
			}
		}
		n++
		listItem(a, id, "QueueSummary", "Queue", q.cfg.Name, "LoggedIn", strconv.Itoa(len(q.members)), "Available", strconv.Itoa(avail),
			"Callers", strconv.Itoa(len(q.callers)), "HoldTime", "0", "TalkTime", "0", "LongestHoldTime", "0")
	}
	listComplete(a, id, "QueueSummaryComplete", n)
}

func (st *state) amiQueueStatus(a *amiSession, id, only string) {
	respond(a, id, "EventList", "start", "Message", "Queue status will follow")
	n := 0
	for _, q := range st.sortedQueues(only) {
		n++
		talk, hold := 0, 0
		if q.completed > 0 {
			talk = int(q.talkTotal.Seconds()) / q.completed
			hold = int(q.holdTotal.Seconds()) / q.completed
		}
		listItem(a, id, "QueueParams", "Queue", q.cfg.Name, "Max", "0", "Strategy", q.cfg.Strategy, "Calls", strconv.Itoa(len(q.callers)),
			"Holdtime", strconv.Itoa(hold), "TalkTime", strconv.Itoa(talk), "Completed", strconv.Itoa(q.completed),
			"Abandoned", strconv.Itoa(q.abandoned), "ServiceLevel", "0", "ServicelevelPerf", "0.0", "ServicelevelPerf2", "0.0", "Weight", "0")
		for _, m := range q.members {
			n++
			f := st.memberFields(q, m)
			f[2], f[4] = "Name", "Location"
			listItem(a, id, "QueueMember", f[:len(f)-4]...)
			_ = f
		}
		for _, c := range q.callers {
			n++
			listItem(a, id, "QueueEntry", "Queue", q.cfg.Name, "Position", strconv.Itoa(q.position(c)), "Channel", c.ch.name,
				"Uniqueid", c.ch.id, "CallerIDNum", orUnknown(c.ch.caller.Number), "CallerIDName", orUnknown(c.ch.caller.Name),
				"Wait", strconv.Itoa(int(st.now().Sub(c.joined).Seconds())))
		}
	}
	listComplete(a, id, "QueueStatusComplete", n)
}

func (st *state) amiQueueAdd(a *amiSession, id string, f amiFrame) {
	q := st.queues[f.get("Queue")]
	iface := f.get("Interface")
	if q == nil || iface == "" {
		respondErr(a, id, "Unable to add interface to queue: No such queue")
		return
	}
	if q.member(iface) != nil {
		respondErr(a, id, "Unable to add interface: Already there")
		return
	}
	name := f.get("MemberName")
	if name == "" {
		name = iface
	}
	m := &member{iface: iface, name: name, dynamic: true, loginTime: st.now().Unix(), paused: eventsOn(f.get("Paused")) && f.get("Paused") != ""}
	m.penalty, _ = strconv.Atoi(f.get("Penalty"))
	q.members = append(q.members, m)
	respond(a, id, "Message", "Added interface to queue")
	st.memberEvent("QueueMemberAdded", q, m)
	st.kickQueue(q)
}

func (st *state) amiQueueRemove(a *amiSession, id string, f amiFrame) {
	q := st.queues[f.get("Queue")]
	if q == nil {
		respondErr(a, id, "Unable to remove interface: No such queue")
		return
	}
	m := q.member(f.get("Interface"))
	if m == nil {
		respondErr(a, id, "Unable to remove interface: Not there")
		return
	}
	if !m.dynamic {
		respondErr(a, id, "Unable to remove interface: Not dynamic")
		return
	}
	for i, x := range q.members {
		if x == m {
			q.members = append(q.members[:i], q.members[i+1:]...)
			break
		}
	}
	respond(a, id, "Message", "Removed interface from queue")
	st.later(func() { st.memberEvent("QueueMemberRemoved", q, m) })
}

func (st *state) amiQueuePause(a *amiSession, id string, f amiFrame) {
	paused := eventsOn(f.get("Paused")) && f.get("Paused") != ""
	iface := f.get("Interface")
	var hits []*queue
	for _, q := range st.sortedQueues(f.get("Queue")) {
		if q.member(iface) != nil {
			hits = append(hits, q)
		}
	}
	if len(hits) == 0 {
		respondErr(a, id, "Interface not found")
		return
	}
	if paused {
		respond(a, id, "Message", "Interface paused successfully")
	} else {
		respond(a, id, "Message", "Interface unpaused successfully")
	}
	for _, q := range hits {
		m := q.member(iface)
		m.paused = paused
		m.reason = ""
		if paused {
			m.reason = f.get("Reason")
			m.lastPause = st.now().Unix()
		}
		st.memberEvent("QueueMemberPause", q, m)
		if !paused {
			st.kickQueue(q)
		}
	}
}

// ---- the Queue() application ----

func (st *state) queueApp(c *channel, data string) {
	args := strings.Split(data, ",")
	q := st.queues[args[0]]
	if q == nil {
		st.setVar(c, "QUEUESTATUS", "UNKNOWN")
		st.later(func() { st.step(c) })
		return
	}
	qc := &queueCall{q: q, ch: c, joined: st.now()}
	c.qcall = qc
	q.callers = append(q.callers, qc)
	qc.origPos = len(q.callers)
	st.amiChan("QueueCallerJoin", "agent", c, "Queue", q.cfg.Name, "Position", strconv.Itoa(qc.origPos), "Count", strconv.Itoa(len(q.callers)))
	if len(args) >= 5 {
		if secs, err := strconv.Atoi(args[4]); err == nil && secs > 0 {
			qc.timeout = st.s.after(time.Duration(secs)*time.Second, func() { st.queueTimeout(qc) })
		}
	}
	st.ringMembers(qc)
}

func (st *state) kickQueue(q *queue) {
	for _, qc := range q.callers {
		if len(qc.rings) == 0 && qc.connected == nil {
			st.ringMembers(qc)
		}
	}
}

func (st *state) freeMembers(q *queue) []*member {
	var out []*member
	for _, m := range q.members {
		if !m.paused && !m.inCall && m.ringing == nil {
			out = append(out, m)
		}
	}
	return out
}

func (st *state) ringMembers(qc *queueCall) {
	if qc.connected != nil || qc.ch.gone || len(qc.rings) > 0 {
		return
	}
	free := st.freeMembers(qc.q)
	if len(free) == 0 {
		st.scheduleRetry(qc)
		return
	}
	var pick []*member
	switch qc.q.cfg.Strategy {
	case "ringall":
		pick = free
	case "linear":
		pick = free[:1]
	case "leastrecent":
		sort.SliceStable(free, func(i, j int) bool { return free[i].lastCall < free[j].lastCall })
		pick = free[:1]
	case "fewestcalls":
		sort.SliceStable(free, func(i, j int) bool { return free[i].callsTaken < free[j].callsTaken })
		pick = free[:1]
	default: // rrmemory, roundrobin, random
		all := qc.q.members
		for i := 0; i < len(all); i++ {
			m := all[(qc.q.rr+i)%len(all)]
			if !m.paused && !m.inCall && m.ringing == nil {
				pick = []*member{m}
				qc.q.rr = (qc.q.rr + i + 1) % len(all)
				break
			}
		}
	}
	// ringall dials in reverse order of membership, as the trace shows.
	if qc.q.cfg.Strategy == "ringall" {
		for i := len(pick) - 1; i >= 0; i-- {
			st.ringMember(qc, pick[i])
		}
		return
	}
	for _, m := range pick {
		st.ringMember(qc, m)
	}
}

func (st *state) scheduleRetry(qc *queueCall) {
	if qc.retry != nil {
		return
	}
	qc.retry = st.s.after(qc.q.cfg.Retry, func() {
		qc.retry = nil
		st.ringMembers(qc)
	})
}

func (st *state) ringMember(qc *queueCall, m *member) {
	ep, ok := parseEndpoint(m.iface)
	if !ok {
		return
	}
	one, two := st.newPair(ep, "", "")
	one.exten = qc.ch.exten
	one.linkedid, two.linkedid = qc.ch.linkedid, qc.ch.linkedid
	one.caller, one.connected, two.caller, two.connected = qc.ch.caller, qc.ch.caller, qc.ch.caller, qc.ch.caller
	r := &ringing{call: qc, m: m, one: one, started: st.now()}
	one.dial = &dialing{kind: dialQueue, dialstring: m.iface, ring: r}
	m.ringing = r
	qc.rings = append(qc.rings, r)
	st.amiNewchannel(one)
	st.amiNewchannel(two)
	st.amiDial("AgentCalled", qc.ch, one, "Queue", qc.q.cfg.Name, "Interface", m.iface, "MemberName", m.name)
	st.dialEvent(one, "")
	r.stopTimer = st.s.after(qc.q.cfg.Timeout, func() { st.ringTimeout(r) })
	st.startProgram(two, ep.ctx, ep.exten, 1)
}

func (st *state) queueRinging(one *channel) {
	r := one.dial.ring
	st.memberEvent("QueueMemberStatus", r.call.q, r.m)
	st.dialEvent(one, "RINGING")
}

func (st *state) endRing(r *ringing) {
	r.done = true
	if r.stopTimer != nil {
		r.stopTimer()
	}
	if r.m.ringing == r {
		r.m.ringing = nil
	}
	qc := r.call
	for i, x := range qc.rings {
		if x == r {
			qc.rings = append(qc.rings[:i], qc.rings[i+1:]...)
			break
		}
	}
}

func (st *state) ringTimeout(r *ringing) {
	if r.done {
		return
	}
	one := r.one
	qc := r.call
	st.amiDial("AgentRingNoAnswer", qc.ch, one, "Queue", qc.q.cfg.Name, "Interface", r.m.iface, "MemberName", r.m.name,
		"RingTime", strconv.FormatInt(st.now().Sub(r.started).Milliseconds(), 10))
	st.dialEvent(one, "NOANSWER")
	st.dialEvent(one, "CANCEL")
	st.endRing(r)
	st.failPair(one, 0, 0, nil)
	st.memberEvent("QueueMemberStatus", qc.q, r.m)
	if len(qc.rings) == 0 {
		st.scheduleRetry(qc)
	}
}

func (st *state) queueRingFailed(one *channel, status string, cause1, cause2 int) {
	r := one.dial.ring
	if r.done {
		return
	}
	qc := r.call
	st.dialEvent(one, status)
	st.endRing(r)
	st.failPair(one, cause1, cause2, nil)
	st.memberEvent("QueueMemberStatus", qc.q, r.m)
	if len(qc.rings) == 0 {
		st.scheduleRetry(qc)
	}
}

func (st *state) queueAnswered(one *channel) {
	r := one.dial.ring
	qc := r.call
	if r.done || qc.connected != nil {
		return
	}
	// Both rung devices show in use when the answer arrives.
	for _, x := range qc.rings {
		st.memberEvent("QueueMemberStatus", qc.q, x.m)
	}
	st.endRing(r)
	r.answered = st.now()
	r.m.inCall = true
	st.dialEvent(one, "ANSWER")
	one.dial = nil
	losers := append([]*ringing(nil), qc.rings...)
	for _, l := range losers {
		st.dialEvent(l.one, "CANCEL")
		st.dialEvent(l.one, "CANCEL")
		st.endRing(l)
		st.failPair(l.one, 26, 26, nil)
	}
	if qc.retry != nil {
		qc.retry()
		qc.retry = nil
	}
	if qc.timeout != nil {
		qc.timeout()
		qc.timeout = nil
	}
	qc.connected = r
	pos := qc.q.position(qc)
	st.removeCaller(qc)
	st.amiChan("QueueCallerLeave", "agent", qc.ch, "Queue", qc.q.cfg.Name, "Position", strconv.Itoa(pos), "Count", strconv.Itoa(len(qc.q.callers)))
	for _, l := range losers {
		st.memberEvent("QueueMemberStatus", qc.q, l.m)
	}
	hold := st.now().Sub(qc.joined)
	st.amiDial("AgentConnect", qc.ch, one, "Queue", qc.q.cfg.Name, "Interface", r.m.iface, "MemberName", r.m.name,
		"HoldTime", strconv.Itoa(int(hold.Seconds())), "RingTime", strconv.Itoa(int(r.answered.Sub(r.started).Seconds())))
	qc.q.holdTotal += hold
	st.answer(qc.ch)
	b := st.createBridge("", "", "basic", "basic", "", "")
	qc.bridge = b
	st.addToBridge(b, one)
	st.addToBridge(b, qc.ch)
}

func (st *state) removeCaller(qc *queueCall) {
	q := qc.q
	for i, x := range q.callers {
		if x == qc {
			q.callers = append(q.callers[:i], q.callers[i+1:]...)
			return
		}
	}
}

func (st *state) cancelRings(qc *queueCall) {
	for _, r := range append([]*ringing(nil), qc.rings...) {
		st.dialEvent(r.one, "CANCEL")
		st.endRing(r)
		st.failPair(r.one, 0, 0, nil)
		st.memberEvent("QueueMemberStatus", qc.q, r.m)
	}
	if qc.retry != nil {
		qc.retry()
		qc.retry = nil
	}
	if qc.timeout != nil {
		qc.timeout()
		qc.timeout = nil
	}
}

// queueAbandon: a waiting caller hung up.
func (st *state) queueAbandon(c *channel) {
	qc := c.qcall
	if qc == nil || qc.connected != nil {
		return
	}
	st.cancelRings(qc)
	pos := qc.q.position(qc)
	st.amiChan("QueueCallerAbandon", "agent", c, "Queue", qc.q.cfg.Name, "Position", strconv.Itoa(pos),
		"OriginalPosition", strconv.Itoa(qc.origPos), "HoldTime", strconv.Itoa(int(st.now().Sub(qc.joined).Seconds())))
	st.removeCaller(qc)
	qc.q.abandoned++
	st.amiChan("QueueCallerLeave", "agent", c, "Queue", qc.q.cfg.Name, "Position", strconv.Itoa(pos), "Count", strconv.Itoa(len(qc.q.callers)))
	c.qcall = nil
}

// queueTimeout: the caller waited the Queue() timeout; it leaves and the
// dialplan continues.
func (st *state) queueTimeout(qc *queueCall) {
	qc.timeout = nil
	if qc.connected != nil || qc.ch.gone {
		return
	}
	st.cancelRings(qc)
	pos := qc.q.position(qc)
	st.removeCaller(qc)
	st.amiChan("QueueCallerLeave", "agent", qc.ch, "Queue", qc.q.cfg.Name, "Position", strconv.Itoa(pos), "Count", strconv.Itoa(len(qc.q.callers)))
	st.setVar(qc.ch, "QUEUESTATUS", "TIMEOUT")
	qc.ch.qcall = nil
	st.step(qc.ch)
}

// queueHangup runs when a channel is destroyed, before it leaves its bridge.
func (st *state) queueHangup(c *channel, _ int) {
	if c.dial != nil && c.dial.kind == dialQueue && c.dial.ring != nil && !c.dial.ring.done {
		r := c.dial.ring
		st.endRing(r)
		if len(r.call.rings) == 0 {
			st.scheduleRetry(r.call)
		}
		return
	}
	if qc := c.qcall; qc != nil {
		if qc.connected == nil {
			st.queueAbandon(c)
			return
		}
		st.completeQueueCall(qc, "caller")
		return
	}
	if c.bridge != nil {
		for _, x := range c.bridge.chans {
			if qc := x.qcall; qc != nil && qc.connected != nil && qc.connected.one == c {
				st.completeQueueCall(qc, "agent")
				return
			}
		}
	}
}

func (st *state) completeQueueCall(qc *queueCall, reason string) {
	r := qc.connected
	if r == nil {
		return
	}
	qc.connected = nil
	talk := st.now().Sub(r.answered)
	q := qc.q
	q.completed++
	q.talkTotal += talk
	st.amiDial("AgentComplete", qc.ch, r.one, "Queue", q.cfg.Name, "Interface", r.m.iface, "MemberName", r.m.name,
		"HoldTime", strconv.Itoa(int(r.answered.Sub(qc.joined).Seconds())), "TalkTime", strconv.Itoa(int(talk.Seconds())), "Reason", reason)
	r.m.inCall = false
	r.m.callsTaken++
	r.m.lastCall = st.now().Unix()
	st.memberEvent("QueueMemberStatus", q, r.m)
	caller, agent, b := qc.ch, r.one, qc.bridge
	qc.ch.qcall = nil
	st.later(func() {
		// A basic bridge dissolves when one party leaves.
		if b != nil && st.bridges[b.id] != nil {
			st.destroyBridge(b)
		}
		if reason == "agent" && !caller.gone {
			st.step(caller)
		}
		if reason == "caller" && !agent.gone {
			st.apiHangup(agent, 16)
		}
		st.kickQueue(q)
	})
}
