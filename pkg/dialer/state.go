package dialer

import (
	"math"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// campaign is one campaign's mutable state inside a Dialer.
type campaign struct {
	cfg    Campaign
	state  State
	bucket tokenBucket
	stride uint64
	pass   uint64
	allow  int
	wakes  []time.Time

	// Contacts: fresh from the source, retry (redials due), cont (a try moving
	// on to its next number), delayed (waiting for a time), parked (waiting for
	// a number already in a call).
	fresh, retry, cont fifo
	delayed            delayQueue
	parked             []*contactState
	active             map[string]*contactState
	byNumber           map[string]*contactState
	dialing            map[string]telephony.CallID // E.164 → live call
	exhausted          bool
	fetchPending       bool
	fetchRetryAt       time.Time

	inflight     int // channels held (callback reserves two per task)
	ringing      int // calls not yet answered
	ringingCalls []*call
	handoffs     int // answered calls handed to the queue, no result yet
	inProgress   int // contacts with a try under way
	lastStart    time.Time
	cooling      timeHeap
	poolNext     uint64

	asrRing     []bool
	asrNext     int
	asrFilled   int
	asrFailures int
	asrUntil    time.Time

	supply     AgentSupply
	supplySeen bool
	occAt      time.Time
	staffedSec float64
	busySec    float64
	occ        [11]occBucket

	pred            predictor
	stats           Stats
	ten             rolling // last 10 minutes
	win             rolling // the predictive abandon window
	lastProgressPct int
}

// contactState is a contact in memory: its place in the queues and history.
type contactState struct {
	c         Contact
	seq       uint64
	status    string
	due       time.Time
	inDelay   bool
	inTry     bool
	queued    bool // in fresh/retry/cont/parked
	numIdx    int
	tries     int
	attempts  int
	byOutcome map[telephony.Outcome]int
	followOns int
	recalled  bool      // brought back from done: this try is its only one
	recallAt  time.Time // a recall asked for during a try
	recallIdx int       // the number recallAt dials
}

// call is one live call leg.
type call struct {
	id        telephony.CallID
	cp        *campaign
	cs        *contactState
	attempt   string
	number    string
	started   time.Time
	answered  time.Time
	connected time.Time
	trunk     *trunkState
	legs      int // channels held by this call (2 for a callback A leg until B is placed)
	deadline  time.Time
	machine   bool
	amdWait   bool
	handedOff bool
	abandoned bool
	bLeg      bool
	partner   *call // A↔B in callback mode
	ringIdx   int   // index in campaign.ringingCalls, -1 when not there
	talk      *talkRec
	bridged   bool
	ended     bool
	watchdog  bool
	hungUp    bool
	outcome   telephony.Outcome
	reason    string
	// recordAt is when the call's recording starts (answer + TrimLeft);
	// zero once started or when the campaign does not record.
	recordAt time.Time
	// recording names the call's recording once it started.
	recording string
	// transfer is where a script's request for a human sent the call
	// (Destination.Transfer), transferAgent the agent who took it.
	transfer      string
	transferAgent string
	// apiReason overrides the attempt's reason after call control
	// (ReasonHungUpByAPI, ReasonTransferredByAPI).
	apiReason string
}

func newCampaign(c Campaign, now time.Time) *campaign {
	cp := &campaign{
		cfg:             c,
		state:           StateCreated,
		bucket:          newTokenBucket(c.Pacing.Rate, c.Pacing.Burst, now),
		stride:          strideFor(c.Priority),
		active:          map[string]*contactState{},
		byNumber:        map[string]*contactState{},
		dialing:         map[string]telephony.CallID{},
		ten:             rolling{window: 10 * time.Minute},
		win:             rolling{window: c.Predictive.AbandonWindow},
		lastProgressPct: -1,
	}
	cp.stats.Outcomes = map[telephony.Outcome]int{}
	cp.pred = newPredictor(c.Predictive)
	return cp
}

// channelsFree is how many more calls MaxConcurrent and the pause between
// calls allow now.
func (cp *campaign) channelsFree(now time.Time) int {
	if cp.cfg.Pacing.MaxConcurrent == 0 {
		return math.MaxInt32
	}
	cooling := cp.cooling.expire(now)
	free := cp.cfg.Pacing.MaxConcurrent - cp.inflight - cooling
	if free <= 0 && cooling > 0 {
		cp.wakes = append(cp.wakes, cp.cooling[0])
	}
	return free
}

// allowance is how many calls the campaign-wide limits allow now. It records
// when a time-based limit will relax.
func (cp *campaign) allowance(now time.Time, zs zoneSet) int {
	return cp.limits(now, zs, false)
}

// limits is allowance; with wakesOnly it skips the mode's demand (costly in
// predictive mode) and only records when time-based limits relax.
func (cp *campaign) limits(now time.Time, zs zoneSet, wakesOnly bool) int {
	if cp.state != StateRunning {
		return 0
	}
	if !cp.cfg.Windows.CalleeLocal && !cp.cfg.Windows.unrestricted() {
		if !cp.cfg.Windows.open(zs, now, nil) {
			if t, ok := cp.cfg.Windows.nextOpen(zs, now, nil); ok {
				cp.wakes = append(cp.wakes, t)
			} else {
				cp.wakes = append(cp.wakes, now.Add(day))
			}
			return 0
		}
	}
	if now.Before(cp.asrUntil) {
		cp.wakes = append(cp.wakes, cp.asrUntil)
		return 0
	}
	if cp.fresh.len()+cp.retry.len()+cp.cont.len() == 0 {
		return 0
	}
	n := 1
	if !wakesOnly {
		n = cp.demand(now)
	}
	if n <= 0 {
		return 0
	}
	if a := cp.bucket.available(now); a < n {
		n = a
		if n == 0 {
			cp.wakes = append(cp.wakes, cp.bucket.nextAt(now))
			return 0
		}
	}
	if f := cp.channelsFree(now); f < n {
		n = max(f, 0)
	}
	return n
}

// demand is how many calls the mode wants now.
func (cp *campaign) demand(now time.Time) int {
	switch cp.cfg.Mode {
	case ModeIVR, ModeCallback:
		return math.MaxInt32
	case ModePreview, ModeProgressive:
		return cp.supply.Idle - cp.ringing - cp.handoffs
	case ModeRatio:
		return int(math.Floor(float64(cp.supply.Idle)*cp.cfg.Ratio+1e-9)) - cp.ringing - cp.handoffs
	case ModePredictive:
		return cp.pred.want(now, cp)
	}
	return 0
}

// nextContact takes the next contact that may be dialled now, applying the
// per-contact limits; nil when none.
func (cp *campaign) nextContact(now time.Time, d *Dialer) *contactState {
	for {
		var q *fifo
		switch {
		case cp.cont.len() > 0:
			q = &cp.cont
		case cp.retry.len() > 0:
			q = &cp.retry
		case cp.fresh.len() > 0:
			q = &cp.fresh
		default:
			return nil
		}
		cs := q.peek()
		if !cs.inTry {
			if lim := cp.cfg.Pacing.MaxConcurrentContacts; lim > 0 && cp.inProgress >= lim {
				cs.status = ContactDelayedConcurrent
				return nil
			}
			if iv := cp.cfg.Pacing.StartInterval; iv > 0 && !cp.lastStart.IsZero() && now.Sub(cp.lastStart) < iv {
				cs.status = ContactDelayedInterval
				cp.wakes = append(cp.wakes, cp.lastStart.Add(iv))
				return nil
			}
		}
		q.pop()
		cs.queued = false
		if _, ok := cp.active[cs.c.ID]; !ok {
			continue // removed meanwhile
		}
		num := cs.c.Numbers[cs.numIdx]
		if cp.cfg.Windows.CalleeLocal && !cp.cfg.Windows.open(d.zones, now, num.Zones) {
			t, ok := cp.cfg.Windows.nextOpen(d.zones, now, num.Zones)
			if !ok {
				t = now.Add(day)
			}
			cs.status = ContactDelayedWindow
			cs.due = t
			cs.inDelay = true
			cp.delayed.add(cs)
			cp.wakes = append(cp.wakes, t)
			continue
		}
		if _, busy := cp.dialing[num.E164]; busy {
			cs.queued = true
			cp.parked = append(cp.parked, cs)
			continue
		}
		if cp.cfg.Mode == ModeCallback && cs.c.Callback != nil {
			if _, busy := cp.dialing[cs.c.Callback.E164]; busy {
				cs.queued = true
				cp.parked = append(cp.parked, cs)
				continue
			}
		}
		return cs
	}
}

// unpark returns contacts that waited for number to be free.
func (cp *campaign) unpark(number string) {
	for i := 0; i < len(cp.parked); i++ {
		cs := cp.parked[i]
		if cs.c.Numbers[cs.numIdx].E164 == number || (cs.c.Callback != nil && cs.c.Callback.E164 == number) {
			cp.parked = append(cp.parked[:i], cp.parked[i+1:]...)
			cs.queued = true
			if cs.inTry {
				cp.cont.push(cs)
			} else {
				cp.retry.push(cs)
			}
			return
		}
	}
}

// supplyAt records an agent report, integrating occupancy.
func (cp *campaign) supplyAt(now time.Time, s AgentSupply) {
	cp.integrate(now)
	// Keep a copy: the sender may reuse its slice.
	busy := append(cp.supply.Busy[:0], s.Busy...)
	cp.supply = s
	cp.supply.Busy = busy
	cp.supplySeen = true
}

func (cp *campaign) integrate(now time.Time) {
	if cp.supplySeen && now.After(cp.occAt) {
		dt := now.Sub(cp.occAt).Seconds()
		cp.staffedSec += dt * float64(cp.supply.Staffed)
		cp.busySec += dt * float64(cp.supply.Staffed-cp.supply.Idle)
		cp.addOcc(cp.occAt, now, float64(cp.supply.Staffed), float64(cp.supply.Staffed-cp.supply.Idle))
	}
	cp.occAt = now
}

// occBucket is one minute of agent time, for the 10-minute use rate.
type occBucket struct {
	minute        int64
	busy, staffed float64
}

func (cp *campaign) addOcc(from, to time.Time, staffed, busy float64) {
	if to.Sub(from) > 10*time.Minute {
		from = to.Add(-10 * time.Minute)
	}
	for from.Before(to) {
		m := from.Unix() / 60
		end := time.Unix((m+1)*60, 0)
		if end.After(to) {
			end = to
		}
		b := &cp.occ[m%int64(len(cp.occ))]
		if b.minute != m {
			*b = occBucket{minute: m}
		}
		dt := end.Sub(from).Seconds()
		b.staffed += dt * staffed
		b.busy += dt * busy
		from = end
	}
}

// minuteUse is agents' busy share of staffed time over the last 10 minutes.
func (cp *campaign) minuteUse(now time.Time) float64 {
	cur := now.Unix() / 60
	var busy, staffed float64
	for _, b := range cp.occ {
		if b.minute > cur-10 && b.minute <= cur {
			busy += b.busy
			staffed += b.staffed
		}
	}
	if staffed == 0 {
		return 0
	}
	return busy / staffed
}

// asrRecord adds a finished attempt to the ASR guard and trips it if needed.
func (cp *campaign) asrRecord(now time.Time, failed bool) bool {
	g := cp.cfg.Pacing.ASR
	if g.Window == 0 {
		return false
	}
	if len(cp.asrRing) != g.Window {
		cp.asrRing = make([]bool, g.Window)
		cp.asrNext, cp.asrFilled, cp.asrFailures = 0, 0, 0
	}
	if cp.asrFilled == g.Window && cp.asrRing[cp.asrNext] {
		cp.asrFailures--
	}
	cp.asrRing[cp.asrNext] = failed
	if failed {
		cp.asrFailures++
	}
	cp.asrNext = (cp.asrNext + 1) % g.Window
	cp.asrFilled = min(cp.asrFilled+1, g.Window)
	if cp.asrFilled == g.Window && float64(cp.asrFailures)/float64(g.Window) > g.Threshold && !now.Before(cp.asrUntil) {
		cp.asrUntil = now.Add(g.Cooldown)
		// Start afresh after the pause so one bad spell does not trip it twice.
		cp.asrFilled, cp.asrFailures, cp.asrNext = 0, 0, 0
		clear(cp.asrRing)
		return true
	}
	return false
}

func (cp *campaign) addRinging(c *call) {
	c.ringIdx = len(cp.ringingCalls)
	cp.ringingCalls = append(cp.ringingCalls, c)
	cp.ringing++
}

func (cp *campaign) dropRinging(c *call) {
	if c.ringIdx < 0 {
		return
	}
	last := len(cp.ringingCalls) - 1
	cp.ringingCalls[c.ringIdx] = cp.ringingCalls[last]
	cp.ringingCalls[c.ringIdx].ringIdx = c.ringIdx
	cp.ringingCalls[last] = nil
	cp.ringingCalls = cp.ringingCalls[:last]
	c.ringIdx = -1
	cp.ringing--
}
