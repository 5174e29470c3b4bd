package acd

import (
	"fmt"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/btree"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// group is the callers of one queue that may take an agent now and reach
// the same tier level, in service order.
type group struct {
	reach   int
	callers *btree.BTreeG[*caller]
}

// maxPriority bounds Join.Priority (seconds) so keys never overflow.
const maxPriority = 10 * 365 * 24 * 3600

func (c *Core) join(cmd Join) error {
	q, ok := c.queues[cmd.Queue]
	if !ok {
		return fmt.Errorf("join %q: %w", cmd.Queue, &FieldError{Field: "queue", Value: cmd.Queue, Reason: ErrUnknownQueue.Error()})
	}
	if err := validateID("caller", cmd.Caller); err != nil {
		return fmt.Errorf("join %q: %w", cmd.Queue, err)
	}
	if _, dup := c.callers[cmd.Caller]; dup {
		return fmt.Errorf("join %q: caller %q: %w", cmd.Queue, cmd.Caller, ErrDuplicate)
	}
	if cmd.Priority > maxPriority || cmd.Priority < -maxPriority {
		return fmt.Errorf("join %q: %w", cmd.Queue, fieldErr("priority", cmd.Priority, fmt.Sprintf("must be within ±%d seconds", maxPriority)))
	}
	if err := validateDuration("max_wait", cmd.MaxWait); err != nil {
		return fmt.Errorf("join %q: %w", cmd.Queue, err)
	}
	start := c.now
	if q.cfg.TimeBaseScore == ScoreFromSystem && !cmd.EnteredSystem.IsZero() && cmd.EnteredSystem.Before(c.now) {
		start = cmd.EnteredSystem
	}
	c.callSeq++
	cl := &caller{
		id: cmd.Caller, number: cmd.Number, name: cmd.Name, q: q,
		key:      start.UnixNano() - int64(cmd.Priority)*int64(time.Second),
		seq:      c.callSeq,
		joinedAt: c.now,
	}
	resumed := false
	if ab, ok := q.abandoned[cmd.Number]; ok && q.cfg.AbandonedResumeAllowed && cmd.Number != "" {
		cl.key = ab.key
		delete(q.abandoned, cmd.Number)
		resumed = true
	}
	c.callers[cl.id] = cl
	q.callers[cl.id] = cl
	q.waiting++
	q.stats.Joined++
	e := event.Event{Type: event.CallerJoined, Queue: q.cfg.ID, Call: cl.id, Number: cl.number}
	if resumed {
		e.Reason = "resumed"
	}
	c.emit(q.cfg.Tenant, e)

	if q.cfg.ExitWithNoAvailableAgents && q.available == 0 {
		c.leave(cl, ReasonNoAvailable, q.cfg.ExitTransferDst)
		return nil
	}
	if !q.noAgentSince.IsZero() && q.cfg.MaxWaitTimeWithNoAgent > 0 {
		if reached := q.noAgentSince.Add(q.cfg.MaxWaitTimeWithNoAgent); !c.now.Before(reached) {
			// The queue has had no agent for long enough already: a new
			// caller may wait only the "time reached" grace.
			if q.cfg.MaxWaitTimeWithNoAgentTimeReached == 0 {
				c.leave(cl, ReasonNoAgentTimeout, q.cfg.NoAgentTimeoutTransferDst)
				return nil
			}
			c.timers.add(c.now.Add(q.cfg.MaxWaitTimeWithNoAgentTimeReached), timerNoAgentPersonal, q.noAgentGen, cl)
		}
	}
	c.decide(Hold{Caller: cl.id, Sound: q.cfg.Sound, SoundType: q.cfg.SoundType})
	if wait := q.cfg.MaxWaitTime; wait > 0 || cmd.MaxWait > 0 {
		if cmd.MaxWait > 0 && (wait == 0 || cmd.MaxWait < wait) {
			wait = cmd.MaxWait
		}
		c.timers.add(c.now.Add(wait), timerMaxWait, 0, cl)
	}
	if q.cfg.AnnounceFrequency > 0 {
		c.timers.add(c.now.Add(q.cfg.AnnounceFrequency), timerAnnounce, 0, cl)
	}
	c.initReach(cl)
	c.regroup(cl)
	c.markDirty(q)
	return nil
}

// ---- tier reach ----

func (q *queue) lowestLevel() int {
	if len(q.levels) == 0 {
		return 0
	}
	return q.levels[0].value
}

// effectiveReach is the highest level value the caller may be offered to
// now. The lowest level is always reached at once.
func (cl *caller) effectiveReach() int {
	if !cl.q.cfg.TierRulesApply {
		return noReach
	}
	return max(cl.reach, cl.q.lowestLevel())
}

// levelWait is how long after the previous level started ringing the level
// with value v starts.
func (q *queue) levelWait(v int) time.Duration {
	w := q.cfg.TierRuleWaitSecond
	if q.cfg.TierRuleWaitMultiplyLevel && v > 1 && w > 0 {
		if time.Duration(v) > maxDuration/w {
			return maxDuration
		}
		w *= time.Duration(v)
	}
	return w
}

func (c *Core) initReach(cl *caller) {
	cl.reach = cl.q.lowestLevel()
	cl.reachSince = c.now
	c.advanceReach(cl)
}

// advanceReach moves the caller up the levels whose time has come (or that
// it may skip) and schedules the next one.
func (c *Core) advanceReach(cl *caller) {
	q := cl.q
	cl.reachGen++
	if !q.cfg.TierRulesApply {
		return
	}
	if cl.reach < q.lowestLevel() {
		cl.reach = q.lowestLevel()
	}
	for {
		i, _ := slices.BinarySearchFunc(q.levels, cl.reach+1, func(l *level, v int) int { return l.value - v })
		if i >= len(q.levels) {
			break
		}
		next := q.levels[i]
		if q.cfg.TierRuleNoAgentNoWait {
			if cur := q.levelFor(cl.reach, false); cur == nil || cur.loggedIn == 0 {
				cl.reach, cl.reachSince = next.value, c.now
				continue
			}
		}
		due := cl.reachSince.Add(q.levelWait(next.value))
		if !c.now.Before(due) {
			cl.reach, cl.reachSince = next.value, due
			continue
		}
		c.timers.add(due, timerReach, cl.reachGen, cl)
		break
	}
	c.regroup(cl)
}

// ---- groups ----

// eligible says whether a caller may be offered another agent now.
func (cl *caller) eligible() bool {
	switch cl.state {
	case callerWaiting:
		return true
	case callerTrying:
		switch cl.q.cfg.Strategy {
		case RingAll:
			return true
		case RingProgressively:
			return !cl.progressiveWait
		}
	}
	return false
}

// regroup puts the caller in the group that matches its eligibility and reach.
func (c *Core) regroup(cl *caller) {
	want := -1
	if !cl.gone && cl.eligible() {
		want = cl.effectiveReach()
	}
	if cl.grp != nil {
		if cl.grp.reach == want {
			return
		}
		// Empty groups stay: there are at most as many as levels (plus one),
		// and keeping them saves rebuilding a tree for every caller.
		cl.grp.callers.Delete(cl)
		cl.grp = nil
	}
	if want < 0 {
		return
	}
	q := cl.q
	i, found := slices.BinarySearchFunc(q.groups, want, func(g *group, v int) int {
		switch {
		case g.reach < v:
			return -1
		case g.reach > v:
			return 1
		}
		return 0
	})
	if !found {
		g := &group{reach: want, callers: btree.NewG(16, callerLess)}
		q.groups = slices.Insert(q.groups, i, g)
	}
	cl.grp = q.groups[i]
	cl.grp.callers.ReplaceOrInsert(cl)
	c.markDirty(q)
}

// ---- dispatch ----

// dispatchDirty dispatches every queue whose callers or free agents
// changed. Queues go in the order of their longest-waiting caller, so an
// agent freed in several queues serves the caller who has waited longest
// among them (mod_callcenter orders all members by score across queues).
func (c *Core) dispatchDirty() {
	for len(c.dirty) > 0 {
		batch := c.dirty
		c.dirty = c.spare[:0]
		slices.SortFunc(batch, func(a, b *queue) int {
			ka, kb := a.headKey(), b.headKey()
			switch {
			case ka < kb:
				return -1
			case ka > kb:
				return 1
			}
			return compareStrings(a.cfg.ID, b.cfg.ID)
		})
		for _, q := range batch {
			q.dirty = false
			if c.queues[q.cfg.ID] == q {
				c.dispatch(q)
			}
		}
		clear(batch)
		c.spare = batch[:0]
	}
}

// headKey is the service key of the queue's first caller that may take an
// agent, or the largest key when there is none.
func (q *queue) headKey() int64 {
	k := int64(math.MaxInt64)
	for _, g := range q.groups {
		if h, ok := g.callers.Min(); ok && h.key < k {
			k = h.key
		}
	}
	return k
}

// dispatch offers free agents to the queue's callers until no caller that
// may take an agent reaches a free one. Only the head of each group needs
// looking at: if the head cannot be served, nobody behind it can.
func (c *Core) dispatch(q *queue) {
	heads := c.heads
	defer func() { clear(heads); c.heads = heads[:0] }()
	for q.freeCount > 0 && len(q.groups) > 0 {
		heads = heads[:0]
		for _, g := range q.groups {
			if h, ok := g.callers.Min(); ok {
				heads = append(heads, h)
			}
		}
		if len(heads) > 1 {
			slices.SortFunc(heads, func(a, b *caller) int {
				if callerLess(a, b) {
					return -1
				}
				return 1
			})
		}
		served := false
		for _, h := range heads {
			if c.serve(h) {
				served = true
				break
			}
		}
		if !served {
			return
		}
	}
}

// serve offers the caller to the agent(s) its queue's strategy picks among
// the free agents of the levels it reaches. It reports whether it offered.
func (c *Core) serve(cl *caller) bool {
	q := cl.q
	reach := cl.effectiveReach()
	switch q.cfg.Strategy {
	case RingAll:
		var picked []*tier
		for _, lv := range q.levels {
			if lv.value > reach {
				break
			}
			lv.free.each(func(t *tier) bool { picked = append(picked, t); return true })
		}
		for _, t := range picked {
			c.makeOffer(cl, t)
		}
		return len(picked) > 0
	case TopDown:
		t := c.pickAfter(q, cl.cursor, reach, true)
		if t == nil {
			return false
		}
		cl.cursor = t
		c.makeOffer(cl, t)
		return true
	case RoundRobin:
		t := c.pickAfter(q, q.rrCursor, reach, false)
		if t == nil {
			return false
		}
		q.rrCursor = t
		c.makeOffer(cl, t)
		return true
	default:
		for _, lv := range q.levels {
			if lv.value > reach {
				break
			}
			if t := lv.free.first(c.rng); t != nil {
				c.makeOffer(cl, t)
				if q.cfg.Strategy == RingProgressively {
					cl.progressiveWait = true
					cl.progGen++
					c.timers.add(c.now.Add(q.cfg.RingProgressivelyDelay), timerProgressive, cl.progGen, cl)
					c.regroup(cl)
				}
				return true
			}
		}
		return false
	}
}

// pickAfter returns the first free tier after cursor in (level, position)
// order within the reached levels. Top-down goes on into higher levels and
// then wraps to the top; round-robin goes back to the top as soon as the
// cursor's level has nobody after the cursor (mod_callcenter's orders).
func (c *Core) pickAfter(q *queue, cursor *tier, reach int, intoHigherLevels bool) *tier {
	if cursor != nil && cursor.queue == q && q.tiers[cursor.agent.cfg.ID] == cursor {
		for _, lv := range q.levels {
			if lv.value > reach {
				break
			}
			if lv.value < cursor.level {
				continue
			}
			if lv.value == cursor.level {
				if t := lv.free.after(cursor); t != nil {
					return t
				}
				if !intoHigherLevels {
					break
				}
				continue
			}
			if t := lv.free.first(c.rng); t != nil {
				return t
			}
		}
	}
	for _, lv := range q.levels {
		if lv.value > reach {
			break
		}
		if t := lv.free.first(c.rng); t != nil {
			return t
		}
	}
	return nil
}

// ---- offers ----

func (c *Core) makeOffer(cl *caller, t *tier) {
	a := t.agent
	c.lastID++
	o := &offer{id: c.lastID, caller: cl, agent: a, tier: t, at: c.now}
	c.offers[o.id] = o
	a.offer = o
	c.refreshFree(a) // out of the free indexes before its lastOffered key changes
	a.lastOfferedNS = c.now.UnixNano()
	c.setState(a, Receiving)
	cl.offers = append(cl.offers, o)
	if cl.state == callerWaiting {
		c.setCallerState(cl, callerTrying)
	}
	c.regroup(cl)
	c.timers.add(c.now.Add(a.cfg.CallTimeout), timerOfferTimeout, 0, o)
	c.decide(Offer{
		ID: o.id, Caller: cl.id, Queue: cl.q.cfg.ID, Agent: a.cfg.ID, Target: targetOf(a),
		CallerNumber: cl.number, CallerName: cl.name, Timeout: a.cfg.CallTimeout,
	})
	c.emit(cl.q.cfg.Tenant, event.Event{Type: event.CallerOffered, Queue: cl.q.cfg.ID, Call: cl.id, Agent: a.cfg.ID, Number: cl.number})
}

func (c *Core) setCallerState(cl *caller, s callerState) {
	q := cl.q
	switch cl.state {
	case callerWaiting:
		q.waiting--
	case callerTrying:
		q.trying--
	case callerConnected:
		q.connected--
	}
	cl.state = s
	switch s {
	case callerWaiting:
		q.waiting++
	case callerTrying:
		q.trying++
	case callerConnected:
		q.connected++
	}
}

// endOffer forgets an offer and frees its agent's slot; the caller goes back
// to waiting when it has no other offer.
func (c *Core) endOffer(o *offer) {
	o.done = true
	delete(c.offers, o.id)
	a, cl := o.agent, o.caller
	if a.offer == o {
		a.offer = nil
	}
	if i := slices.Index(cl.offers, o); i >= 0 {
		cl.offers = slices.Delete(cl.offers, i, i+1)
	}
	if len(cl.offers) == 0 && cl.state == callerTrying {
		c.setCallerState(cl, callerWaiting)
		cl.progressiveWait = false
		cl.progGen++
	}
	if !cl.gone {
		c.regroup(cl)
	}
}

// cancelOffer stops an offer that nobody answered yet, without blaming the
// agent (another agent answered, the caller left, the agent logged out).
func (c *Core) cancelOffer(o *offer, withDecision bool) {
	c.endOffer(o)
	if withDecision {
		c.decide(CancelOffer{ID: o.id, Caller: o.caller.id, Agent: o.agent.cfg.ID})
	}
	c.emit(o.caller.q.cfg.Tenant, event.Event{Type: event.OfferCancelled, Queue: o.caller.q.cfg.ID, Call: o.caller.id, Agent: o.agent.cfg.ID})
	a := o.agent
	if a.caller == nil && a.state == Receiving {
		c.afterOfferWithoutCall(a)
	}
}

// afterOfferWithoutCall returns an agent whose offer ended without a call to
// where its status says.
func (c *Core) afterOfferWithoutCall(a *agent) {
	if isAvailable(a.status) {
		c.setState(a, Waiting)
	} else {
		c.setState(a, Idle)
	}
	c.refreshFree(a)
}

func (c *Core) offerResult(cmd OfferResult) error {
	switch cmd.Result {
	case OfferAnswered, OfferNoAnswer, OfferBusy, OfferRejected, OfferFailed:
	default:
		return fieldErr("result", string(cmd.Result), "must be answered, no_answer, busy, rejected or failed")
	}
	o, ok := c.offers[cmd.Offer]
	if !ok {
		// The offer already ended (cancelled, timed out). An agent who
		// answers it anyway must be hung up.
		if cmd.Result == OfferAnswered && cmd.Offer > 0 && cmd.Offer <= c.lastID {
			c.decide(CancelOffer{ID: cmd.Offer})
		}
		return nil
	}
	if cmd.Result == OfferAnswered {
		c.connect(o)
		return nil
	}
	c.failOffer(o, cmd.Result)
	return nil
}

// failOffer ends an offer the agent did not take, with mod_callcenter's
// penalties: a delay before the next offer, and for no answer a count that
// puts the agent on break at max_no_answer.
func (c *Core) failOffer(o *offer, result OfferOutcome) {
	a, cl := o.agent, o.caller
	c.endOffer(o)
	c.emit(cl.q.cfg.Tenant, event.Event{Type: event.OfferFailed, Queue: cl.q.cfg.ID, Call: cl.id, Agent: a.cfg.ID, Reason: string(result)})
	switch result {
	case OfferBusy:
		c.delayAgent(a, a.cfg.BusyDelayTime)
	case OfferRejected:
		c.delayAgent(a, a.cfg.RejectDelayTime)
	default:
		c.delayAgent(a, a.cfg.NoAnswerDelayTime)
		a.noAnswerCount++
		if a.cfg.MaxNoAnswer > 0 && a.noAnswerCount >= a.cfg.MaxNoAnswer {
			c.setStatus(a, OnBreak, "system")
			return
		}
	}
	c.afterOfferWithoutCall(a)
}

// connect bridges the caller with the agent that answered, and cancels the
// caller's other offers.
func (c *Core) connect(o *offer) {
	a, cl := o.agent, o.caller
	var others []*offer
	if len(cl.offers) > 1 {
		others = slices.Clone(cl.offers)
	}
	c.endOffer(o)
	for _, other := range others {
		if other != o {
			c.cancelOffer(other, true)
		}
	}
	q := cl.q
	c.withAgentOutOfIndexes(a, func() { a.calls++ })
	a.noAnswerCount = 0
	a.lastBridgeStart = c.now
	a.caller = cl
	c.setState(a, InCall)
	c.refreshFree(a)
	c.setCallerState(cl, callerConnected)
	cl.agent = a
	cl.connectedAt = c.now
	cl.reachGen++
	c.regroup(cl)
	q.stats.Answered++
	d := Connect{ID: o.id, Caller: cl.id, Queue: q.cfg.ID, Agent: a.cfg.ID, Record: q.cfg.RecordEnabled, AgentAnnounceSound: q.cfg.AgentAnnounceSound}
	if q.cfg.AgentReportWaitTime {
		d.Waited = c.now.Sub(cl.joinedAt)
	}
	c.decide(d)
	c.emit(q.cfg.Tenant, event.Event{Type: event.CallerBridged, Queue: q.cfg.ID, Call: cl.id, Agent: a.cfg.ID, Number: cl.number,
		DurationMS: c.now.Sub(cl.joinedAt).Milliseconds()})
}

// ---- leaving ----

// leave removes a caller that is not connected from its queue, cancelling
// its offers, and transfers it to dst or hangs it up (except when it hung
// up itself).
func (c *Core) leave(cl *caller, reason LeaveReason, dst string) {
	for _, o := range slices.Clone(cl.offers) {
		c.cancelOffer(o, true)
	}
	c.removeCaller(cl)
	q := cl.q
	switch reason {
	case ReasonAbandoned:
		q.stats.Abandoned++
		if q.cfg.AbandonedResumeAllowed && cl.number != "" && q.cfg.DiscardAbandonedAfter > 0 {
			ab := &abandoned{queue: q, number: cl.number, key: cl.key, at: c.now}
			q.abandoned[cl.number] = ab
			c.timers.add(c.now.Add(q.cfg.DiscardAbandonedAfter), timerDiscardAbandoned, 0, ab)
		}
	case ReasonTimeout, ReasonNoAgentTimeout:
		q.stats.TimedOut++
		fallthrough
	default:
		q.stats.Exited++
		if dst != "" {
			c.decide(Transfer{Caller: cl.id, Destination: dst, Reason: reason})
		} else {
			c.decide(HangupCaller{Caller: cl.id, Reason: reason})
		}
	}
	c.emit(q.cfg.Tenant, event.Event{Type: event.CallerLeft, Queue: q.cfg.ID, Call: cl.id, Reason: string(reason), Number: cl.number,
		DurationMS: c.now.Sub(cl.joinedAt).Milliseconds()})
}

func (c *Core) removeCaller(cl *caller) {
	cl.gone = true
	c.regroup(cl)
	q := cl.q
	switch cl.state {
	case callerWaiting:
		q.waiting--
	case callerTrying:
		q.trying--
	case callerConnected:
		q.connected--
	}
	delete(q.callers, cl.id)
	delete(c.callers, cl.id)
	cl.reachGen++
	cl.progGen++
}

func (c *Core) hangup(id string) error {
	cl, ok := c.callers[id]
	if !ok {
		return fmt.Errorf("hangup %q: %w", id, ErrUnknownCaller)
	}
	if cl.state == callerConnected {
		return c.callEnded(id)
	}
	c.leave(cl, ReasonAbandoned, "")
	return nil
}

func (c *Core) dtmf(cmd DTMF) error {
	cl, ok := c.callers[cmd.Caller]
	if !ok {
		return fmt.Errorf("dtmf %q: %w", cmd.Caller, ErrUnknownCaller)
	}
	if !isDTMF(cmd.Digit) {
		return fieldErr("digit", cmd.Digit, "must be one DTMF digit")
	}
	if cl.state != callerConnected && cl.q.cfg.ExitKey != "" && cmd.Digit == cl.q.cfg.ExitKey {
		c.leave(cl, ReasonExitKey, cl.q.cfg.ExitTransferDst)
	}
	return nil
}

func (c *Core) callEnded(id string) error {
	cl, ok := c.callers[id]
	if !ok {
		return fmt.Errorf("call ended %q: %w", id, ErrUnknownCaller)
	}
	if cl.state != callerConnected {
		return fmt.Errorf("call ended %q: %w", id, fieldErr("caller", id, "is not connected"))
	}
	c.endCall(cl, ReasonCompleted)
	return nil
}

// endCall ends a connected caller's call: the caller is gone (caller.left
// with reason), its agent's talk is counted and the agent wraps up.
func (c *Core) endCall(cl *caller, reason LeaveReason) {
	a := cl.agent
	c.removeCaller(cl)
	talk := c.now.Sub(a.lastBridgeStart)
	c.withAgentOutOfIndexes(a, func() {
		a.talkTime += talk
		a.lastBridgeEnd = c.now
		a.lastBridgeEndNS = c.now.UnixNano()
	})
	a.caller = nil
	c.emit(cl.q.cfg.Tenant, event.Event{Type: event.CallEnded, Queue: cl.q.cfg.ID, Call: cl.id, Agent: a.cfg.ID, Number: cl.number,
		DurationMS: talk.Milliseconds()})
	c.emit(cl.q.cfg.Tenant, event.Event{Type: event.CallerLeft, Queue: cl.q.cfg.ID, Call: cl.id, Agent: a.cfg.ID, Reason: string(reason),
		Number: cl.number, DurationMS: cl.connectedAt.Sub(cl.joinedAt).Milliseconds()})
	if a.cfg.WrapUpTime > 0 {
		c.setState(a, WrapUp)
		a.gen++
		c.timers.add(c.now.Add(a.cfg.WrapUpTime), timerAgentReady, a.gen, a)
		c.refreshFree(a)
		return
	}
	c.afterCall(a)
}

// maxDestination bounds a requested transfer destination, in bytes.
const maxDestination = 256

func validateDestination(dst string) error {
	if dst == "" {
		return fieldErr("destination", nil, "is required")
	}
	if len(dst) > maxDestination || !utf8.ValidString(dst) {
		return fieldErr("destination", dst, fmt.Sprintf("must be valid UTF-8 of at most %d bytes", maxDestination))
	}
	return nil
}

// removeOnRequest takes a caller out of its queue because someone asked
// (RemoveCaller, TransferCaller): to dst, or hung up when dst is empty. A
// caller that is not connected leaves as on a timeout; a connected one's
// call ends and its agent wraps up.
func (c *Core) removeOnRequest(what, id, queue string, reason, def LeaveReason, dst string) error {
	switch reason {
	case "":
		reason = def
	case ReasonAbandoned, ReasonCompleted:
		return fmt.Errorf("%s %q: %w", what, id, fieldErr("reason", string(reason), "must not be abandoned or completed: those say the caller hung up"))
	}
	cl, ok := c.callers[id]
	if !ok || (queue != "" && cl.q.cfg.ID != queue) {
		return fmt.Errorf("%s %q: %w", what, id, ErrUnknownCaller)
	}
	if cl.state != callerConnected {
		c.leave(cl, reason, dst)
		return nil
	}
	if dst != "" {
		c.decide(Transfer{Caller: cl.id, Destination: dst, Reason: reason})
	} else {
		c.decide(HangupCaller{Caller: cl.id, Reason: reason})
	}
	c.endCall(cl, reason)
	return nil
}

// ---- timers ----

func (c *Core) fireDue() {
	for {
		t, ok := c.timers.popDue(c.now)
		if !ok {
			return
		}
		c.fire(t)
	}
}

func (c *Core) fire(t timer) {
	switch t.kind {
	case timerAgentReady:
		a := t.ref.(*agent)
		if a.gen != t.gen || c.agents[a.cfg.ID] != a {
			return
		}
		if a.state == WrapUp {
			c.afterCall(a)
			return
		}
		c.refreshFree(a)
	case timerOfferTimeout:
		o := t.ref.(*offer)
		if o.done {
			return
		}
		c.decide(CancelOffer{ID: o.id, Caller: o.caller.id, Agent: o.agent.cfg.ID})
		c.failOffer(o, OfferNoAnswer)
	case timerMaxWait:
		cl := t.ref.(*caller)
		if cl.gone || cl.state == callerConnected {
			return
		}
		c.leave(cl, ReasonTimeout, cl.q.cfg.TimeoutTransferDst)
	case timerReach:
		cl := t.ref.(*caller)
		if cl.gone || cl.reachGen != t.gen {
			return
		}
		c.advanceReach(cl)
	case timerAnnounce:
		cl := t.ref.(*caller)
		if cl.gone || cl.state == callerConnected {
			return
		}
		c.decide(Announce{Caller: cl.id, Sound: cl.q.cfg.AnnounceSound})
		c.emit(cl.q.cfg.Tenant, event.Event{Type: event.CallerAnnounced, Queue: cl.q.cfg.ID, Call: cl.id})
		if f := cl.q.cfg.AnnounceFrequency; f > 0 {
			c.timers.add(c.now.Add(f), timerAnnounce, 0, cl)
		}
	case timerProgressive:
		cl := t.ref.(*caller)
		if cl.gone || cl.progGen != t.gen {
			return
		}
		cl.progressiveWait = false
		c.regroup(cl)
	case timerNoAgentPersonal:
		cl := t.ref.(*caller)
		q := cl.q
		if cl.gone || cl.state == callerConnected || q.noAgentGen != t.gen || q.noAgentSince.IsZero() {
			return
		}
		c.leave(cl, ReasonNoAgentTimeout, q.cfg.NoAgentTimeoutTransferDst)
	case timerNoAgentQueue:
		q := t.ref.(*queue)
		if q.noAgentGen != t.gen || c.queues[q.cfg.ID] != q || q.noAgentSince.IsZero() {
			return
		}
		c.exitAll(q, ReasonNoAgentTimeout)
	case timerDiscardAbandoned:
		ab := t.ref.(*abandoned)
		if cur, ok := ab.queue.abandoned[ab.number]; ok && cur == ab {
			delete(ab.queue.abandoned, ab.number)
		}
	}
}
