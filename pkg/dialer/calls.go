package dialer

import (
	"container/heap"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

func (d *Dialer) ev(t event.Type, now time.Time, c *call) event.Event {
	return event.Event{Type: t, At: now, Tenant: c.cp.cfg.Tenant, Campaign: c.cp.cfg.ID, Contact: c.cs.c.ID, Attempt: c.attempt, Call: string(c.id)}
}

// callEvent applies a PBX call event. Events for unknown calls (already
// finished, or not ours) are ignored: the PBX may repeat itself.
func (d *Dialer) callEvent(now time.Time, e telephony.Event) {
	c := d.calls[e.Call]
	if c == nil || c.ended {
		return
	}
	cp := c.cp
	switch e.Kind {
	case telephony.EventRinging:
	case telephony.EventAnswered:
		if !c.answered.IsZero() {
			return
		}
		c.answered = now
		c.deadline = time.Time{}
		if !c.bLeg {
			cp.dropRinging(c)
			cp.pred.answered(now.Sub(c.started))
			cp.pred.rang(now, now.Sub(c.started), true)
		}
		d.emit(d.ev(event.AttemptAnswered, now, c))
		d.answeredRecording(now, c)
		if cp.cfg.AMD.Enabled && !c.bLeg {
			c.amdWait = true
			return
		}
		d.proceed(now, c)
	case telephony.EventMachineDetection:
		if !c.amdWait {
			return
		}
		c.amdWait = false
		if e.Machine {
			c.machine = true
			if cp.cfg.AMD.OnMachine == "hangup" {
				d.decide(Hangup{Call: c.id, Cause: telephony.CauseNormalClearing})
				return
			}
		}
		d.proceed(now, c)
	case telephony.EventPlaybackFinished:
		if c.abandoned && !c.hungUp {
			c.hungUp = true
			c.deadline = now.Add(watchdogGrace)
			d.deadlines.add(c)
			d.decide(Hangup{Call: c.id, Cause: telephony.CauseNormalClearing})
		}
	case telephony.EventScriptTransfer:
		if err := d.transferCall(now, c); err != nil {
			// Back in our app but not ours to transfer: nobody else will end it.
			d.decide(Hangup{Call: c.id, Cause: telephony.CauseNormalClearing})
		}
	case telephony.EventHangup, telephony.EventOriginateFailed:
		d.endCall(now, c, e)
	}
}

// proceed sends an answered (human, or machine let through) call on.
func (d *Dialer) proceed(now time.Time, c *call) {
	cp := c.cp
	if c.bLeg {
		a := c.partner
		if a == nil || a.ended {
			d.decide(Hangup{Call: c.id, Cause: telephony.CauseNormalClearing})
			return
		}
		bridge := telephony.BridgeID("b-" + string(a.id))
		d.decide(Bridge{Bridge: bridge, Calls: []telephony.CallID{a.id, c.id}})
		a.bridged, c.bridged = true, true
		a.connected, c.connected = now, now
		d.emit(d.ev(event.AttemptConnected, now, a))
		return
	}
	switch cp.cfg.Mode {
	case ModeIVR:
		c.connected = now
		d.decide(ContinueDialplan{Call: c.id, To: cp.cfg.Destination.Dialplan})
		d.emit(d.ev(event.AttemptConnected, now, c))
	case ModeCallback:
		d.dialB(now, c)
	default:
		c.handedOff = true
		cp.handoffs++
		d.decide(HandToQueue{Call: c.id, Queue: cp.cfg.Queue, MaxWait: cp.cfg.Predictive.ConnectWithin, Campaign: cp.cfg.ID, Contact: c.cs.c.ID})
	}
}

// dialB places the B leg of a callback on the channel reserved with A.
func (d *Dialer) dialB(now time.Time, a *call) {
	cp := a.cp
	b := *a.cs.c.Callback
	if _, busy := cp.dialing[b.E164]; busy {
		a.reason = "b_number_busy"
		a.outcome = telephony.OutcomeBusy
		d.decide(Hangup{Call: a.id, Cause: telephony.CauseNormalClearing})
		return
	}
	id := d.newCallID(cp)
	bc := &call{id: id, cp: cp, cs: a.cs, attempt: a.attempt, number: b.E164, started: now, trunk: a.trunk, legs: 1, ringIdx: -1,
		bLeg: true, partner: a, deadline: now.Add(cp.cfg.RingTimeout + watchdogGrace)}
	a.legs-- // the reserved channel moves to B
	a.partner = bc
	d.calls[id] = bc
	d.deadlines.add(bc)
	cp.dialing[b.E164] = id
	name, number := callerID(cp, a.cs, d.seq, a.trunk)
	d.decide(Originate{Campaign: cp.cfg.ID, Contact: a.cs.c.ID, Attempt: a.attempt, Request: telephony.OriginateRequest{
		Call: id, Target: telephony.Target{Number: b.E164, Trunk: cp.cfg.Trunk}, CallerIDName: name, CallerIDNumber: number,
		Timeout: cp.cfg.RingTimeout, Variables: map[string]string{"SWITCHBOARD_CAMPAIGN": cp.cfg.ID, "SWITCHBOARD_CONTACT": a.cs.c.ID, "SWITCHBOARD_LEG": "b"},
	}})
	d.emit(event.Event{Type: event.AttemptStarted, At: now, Tenant: cp.cfg.Tenant, Campaign: cp.cfg.ID, Contact: a.cs.c.ID, Attempt: a.attempt, Call: string(id),
		Attrs: map[string]string{"number": b.E164, "leg": "b", "caller_id": number}})
}

// scriptTransfer carries out a script's request for a human.
func (d *Dialer) scriptTransfer(now time.Time, id telephony.CallID) error {
	c := d.calls[id]
	if c == nil || c.ended {
		return &FieldError{Field: "call", Value: string(id), Reason: "no such live call"}
	}
	return d.transferCall(now, c)
}

// transferCall sends a live IVR call where the campaign's transfer says.
func (d *Dialer) transferCall(now time.Time, c *call) error {
	id := c.id
	cp := c.cp
	if cp.cfg.Mode != ModeIVR || c.connected.IsZero() {
		return &FieldError{Field: "call", Value: string(id), Reason: "only a connected IVR call can be transferred"}
	}
	e := d.ev(event.AttemptConnected, now, c)
	e.Reason = "transfer"
	switch cp.cfg.Destination.Transfer {
	case "queue":
		if c.handedOff {
			return nil
		}
		c.transfer = "queue"
		c.handedOff = true
		cp.handoffs++
		d.decide(HandToQueue{Call: c.id, Queue: cp.cfg.Queue, Campaign: cp.cfg.ID, Contact: c.cs.c.ID})
		return nil
	case "channel":
		c.transfer = "channel"
		d.decide(Redirect{Call: c.id, To: cp.cfg.Destination.TransferTarget})
		e.Attrs = map[string]string{"to": cp.cfg.Destination.TransferTarget.String()}
		d.emit(e)
	default:
		c.transfer = "hangup"
		d.decide(Hangup{Call: c.id, Cause: telephony.CauseNormalClearing})
	}
	return nil
}

// queueResult applies the ACD's answer for a handed-off call.
func (d *Dialer) queueResult(now time.Time, r QueueResult) {
	c := d.calls[r.Call]
	if c == nil || c.ended || !c.handedOff {
		return
	}
	cp := c.cp
	c.handedOff = false
	cp.handoffs--
	if r.Connected {
		// The agent is taken; the ACD's next AgentSupply confirms it.
		cp.supply.Idle = max(cp.supply.Idle-1, 0)
		c.connected = now
		c.talk = cp.pred.talk.connected(now)
		e := d.ev(event.AttemptConnected, now, c)
		e.Agent = r.Agent
		e.Queue = cp.cfg.Queue
		if c.transfer != "" {
			e.Reason = "transfer"
			c.transferAgent = r.Agent
		}
		d.emit(e)
		return
	}
	if cp.cfg.Mode == ModeIVR {
		// A transfer nobody took: the script's call ends.
		d.decide(Hangup{Call: c.id, Cause: telephony.CauseNormalClearing})
		return
	}
	c.abandoned = true
	d.decide(Play{Call: c.id, Media: cp.cfg.Predictive.AbandonMedia})
	c.watchdog = true // the first expiry hangs up
	c.deadline = now.Add(MaxAbandonMessage)
	d.deadlines.add(c)
}

// outcomeOf decides how an ended call went.
func outcomeOf(c *call, e telephony.Event, now time.Time) (telephony.Outcome, string) {
	if c.outcome != "" {
		return c.outcome, c.reason
	}
	if c.answered.IsZero() {
		if e.Outcome != "" {
			return e.Outcome, "cause " + strconv.Itoa(int(e.Cause))
		}
		return telephony.OutcomeForUnansweredCause(e.Cause), "cause " + strconv.Itoa(int(e.Cause))
	}
	switch {
	case c.machine:
		return telephony.OutcomeMachine, "machine"
	case c.abandoned:
		return telephony.OutcomeAbandoned, "no agent"
	case c.handedOff && c.cp.cfg.Mode.usesAgents():
		return telephony.OutcomeAbandoned, "hung up waiting for an agent"
	case c.amdWait:
		return telephony.OutcomeNotEffective, "hung up during machine detection"
	}
	if c.cp.cfg.Mode == ModeCallback && !c.bLeg && !c.bridged {
		return telephony.OutcomeFailed, "b leg not connected"
	}
	if t := c.cp.cfg.EffectiveTalk; t > 0 {
		from := c.connected
		if from.IsZero() {
			from = c.answered
		}
		if now.Sub(from) < t {
			return telephony.OutcomeNotEffective, "talk shorter than " + t.String()
		}
	}
	return telephony.OutcomeAnswered, ""
}

// release frees a call's channels.
func (d *Dialer) release(now time.Time, c *call) {
	cp := c.cp
	c.ended = true
	delete(d.calls, c.id)
	if cp.dialing[c.number] == c.id {
		delete(cp.dialing, c.number)
		cp.unpark(c.number)
	}
	if c.legs > 0 {
		cp.inflight -= c.legs
		if c.trunk != nil {
			c.trunk.inflight -= c.legs
		}
		if p := cp.cfg.Pacing.PauseBetweenCalls; p > 0 {
			for range c.legs {
				cp.cooling.add(now.Add(p))
			}
		}
		c.legs = 0
	}
	if c.handedOff {
		c.handedOff = false
		cp.handoffs--
	}
	if c.answered.IsZero() && !c.bLeg {
		cp.dropRinging(c)
		cp.pred.rang(now, now.Sub(c.started), false)
	}
}

// endCall handles the end of one leg.
func (d *Dialer) endCall(now time.Time, c *call, e telephony.Event) {
	cp := c.cp
	if c.bLeg {
		a := c.partner
		if !c.bridged && a != nil && !a.ended {
			o, r := outcomeOf(c, e, now)
			a.outcome, a.reason = o, "b leg: "+string(o)
			if r != "" {
				a.reason += " (" + r + ")"
			}
		}
		d.release(now, c)
		if a != nil && !a.ended {
			d.decide(Hangup{Call: a.id, Cause: telephony.CauseNormalClearing})
		}
		return
	}
	if c.partner != nil && !c.partner.ended {
		d.decide(Hangup{Call: c.partner.id, Cause: telephony.CauseNormalClearing})
	}
	o, reason := outcomeOf(c, e, now)
	if c.apiReason != "" {
		reason = c.apiReason
	}
	if c.talk != nil {
		cp.pred.talk.ended(c.talk, now)
	}
	d.release(now, c)
	d.attemptDone(now, c, o, reason)
}

// attemptDone records an attempt's outcome and decides what the contact does next.
func (d *Dialer) attemptDone(now time.Time, c *call, o telephony.Outcome, reason string) {
	cp, cs := c.cp, c.cs
	e := d.ev(event.AttemptFinished, now, c)
	e.Outcome, e.Reason = string(o), reason
	e.Attrs = map[string]string{"number": c.number, "try": strconv.Itoa(cs.tries)}
	if !c.answered.IsZero() {
		e.Attrs["talk_seconds"] = strconv.FormatFloat(now.Sub(c.answered).Seconds(), 'f', 0, 64)
	}
	withRecording(&e, c)
	if c.transfer != "" {
		e.Attrs["transfer"] = c.transfer
		if c.transferAgent != "" {
			e.Attrs["transfer_agent"] = c.transferAgent
		}
	}
	d.emit(e)

	cp.stats.Outcomes[o]++
	human := !c.answered.IsZero() && !c.machine
	rec := rollRec{dialled: 1}
	if human {
		rec.answered = 1
		cp.stats.CustomerAnswered++
	}
	if !c.connected.IsZero() {
		rec.connected = 1
		if cp.cfg.Mode.usesAgents() {
			cp.stats.AgentConnected++
		}
	}
	if o == telephony.OutcomeAbandoned {
		rec.aband = 1
		cp.stats.Abandoned++
	}
	failed := c.answered.IsZero()
	if failed {
		rec.failed = 1
	}
	cp.ten.add(now, rec)
	cp.win.add(now, rec)
	cp.pred.attempt(now, human, o == telephony.OutcomeAbandoned, cp)
	if cp.asrRecord(now, failed) {
		d.emit(event.Event{Type: event.CampaignDelayed, At: now, Tenant: cp.cfg.Tenant, Campaign: cp.cfg.ID, Reason: ContactDelayedASR,
			Attrs: map[string]string{"until": cp.asrUntil.UTC().Format(time.RFC3339)}})
	}

	// An unanswered number moves on to the contact's next number in the
	// same try, but for the one number a recalled contact was brought back for.
	unanswered := c.answered.IsZero()
	if unanswered && !cs.recalled && cs.numIdx+1 < len(cs.c.Numbers) && cp.state != StateStopped {
		cs.numIdx++
		cp.cont.push(cs)
		return
	}
	cs.inTry = false
	cs.numIdx = 0
	cp.inProgress--

	if !cs.recallAt.IsZero() {
		// A recall arrived while this try was under way.
		at := cs.recallAt
		cs.recallAt = time.Time{}
		cs.numIdx = cs.recallIdx
		d.delay(now, cp, cs, at, ContactDelayed, "recall", o)
		return
	}
	if cs.recalled {
		// A contact brought back by Recall or FollowOn gets that one try only.
		d.finishContact(now, cp, cs, o)
		return
	}
	dec := cp.cfg.Redial.decide(o, contactTries{tries: cs.tries, byOutcome: cs.byOutcome, followOns: cs.followOns,
		maxTries: cs.c.MaxTries, retryPause: cs.c.RetryPause})
	switch {
	case dec.followOn:
		cs.followOns++
		d.delay(now, cp, cs, now, ContactDelayed, "follow_on", o)
	case dec.again:
		cs.byOutcome[o]++
		d.delay(now, cp, cs, now.Add(dec.after), ContactDelayed, "redial", o)
	default:
		d.finishContact(now, cp, cs, o)
	}
}

// delay schedules a contact's next try at at, after a try that ended with o.
func (d *Dialer) delay(now time.Time, cp *campaign, cs *contactState, at time.Time, status, reason string, o telephony.Outcome) {
	cs.status = status
	cs.due = at
	cs.inDelay = true
	cp.delayed.add(cs)
	d.emit(event.Event{Type: event.ContactScheduled, At: now, Tenant: cp.cfg.Tenant, Campaign: cp.cfg.ID, Contact: cs.c.ID, Reason: reason, Outcome: string(o),
		Attrs: scheduledAttrs(cs, at)})
}

func (d *Dialer) finishContact(now time.Time, cp *campaign, cs *contactState, o telephony.Outcome) {
	result := "failed"
	if successful(o) {
		result = "success"
		cp.stats.Succeeded++
	}
	d.endContact(now, cp, cs, o, result)
}

// endContact forgets a contact that gets no more tries and reports it
// finished with its last outcome and why (success, failed, cancelled).
func (d *Dialer) endContact(now time.Time, cp *campaign, cs *contactState, o telephony.Outcome, result string) {
	cs.status = ContactFinished
	delete(cp.active, cs.c.ID)
	for _, n := range cs.c.Numbers {
		if cp.byNumber[n.E164] == cs {
			delete(cp.byNumber, n.E164)
		}
	}
	cp.stats.Done++
	d.emit(event.Event{Type: event.ContactFinished, At: now, Tenant: cp.cfg.Tenant, Campaign: cp.cfg.ID, Contact: cs.c.ID, Outcome: string(o), Reason: result,
		Attrs: map[string]string{"tries": strconv.Itoa(cs.tries), "attempts": strconv.Itoa(cs.attempts)}})
	cp.progress(d, now, false)
}

// expireCalls hangs up calls the PBX has gone silent about, and gives up on
// those that stay silent after the hang-up.
func (d *Dialer) expireCalls(now time.Time) {
	for {
		x, ok := d.deadlines.top()
		if !ok || now.Before(x.at) {
			return
		}
		heap.Pop(&d.deadlines)
		c := x.call
		if !c.watchdog {
			c.watchdog = true
			c.deadline = now.Add(watchdogGrace)
			d.deadlines.add(c)
			d.decide(Hangup{Call: c.id, Cause: telephony.CauseNoAnswer})
			continue
		}
		if c.abandoned && !c.hungUp {
			// The apology did not report its end: hang up, and give the PBX
			// the usual grace to confirm.
			c.hungUp = true
			c.deadline = now.Add(watchdogGrace)
			d.deadlines.add(c)
			d.decide(Hangup{Call: c.id, Cause: telephony.CauseNormalClearing})
			continue
		}
		c.deadline = time.Time{}
		d.endCall(now, c, telephony.Event{Kind: telephony.EventHangup, Call: c.id, At: now, Cause: telephony.CauseNoAnswer, Outcome: telephony.OutcomeFailed})
	}
}
