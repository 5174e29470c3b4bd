package acd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// CoreConfig tunes a Core.
type CoreConfig struct {
	// Seed makes the random strategy reproducible.
	Seed uint64
	// CounterReset is the policy for agents' call counts and talk time when
	// they become available; empty means KeepCounters.
	CounterReset CounterReset
	// Tenant is stamped on every event.
	Tenant string
}

// Validate reports the first field that is wrong.
func (c CoreConfig) Validate() error {
	switch c.CounterReset {
	case "", KeepCounters, ResetOnAvailable, CatchUpOnAvailable:
		return nil
	}
	return fieldErr("counter_reset", string(c.CounterReset), "must be keep, reset_on_available or catch_up_on_available")
}

// Output is what one step of the core produced, in order.
type Output struct {
	Decisions []Decision
	Events    []event.Event
}

// Core is the ACD state machine: queues, agents, tiers and callers. It does
// no I/O and reads no clock: every step is given the time. It is not safe
// for concurrent use; Engine is the goroutine that owns one.
type Core struct {
	cfg     CoreConfig
	rng     *rand.Rand
	queues  map[string]*queue
	agents  map[string]*agent
	callers map[string]*caller
	offers  map[OfferID]*offer
	lastID  OfferID
	timers  timers
	now     time.Time
	callSeq uint64

	out   Output
	dirty []*queue  // queues whose free agents or waiting callers changed in this step
	heads []*caller // dispatch's scratch space
	spare []*queue  // dispatchDirty's second buffer
}

// NewCore returns an empty core.
func NewCore(cfg CoreConfig) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.CounterReset == "" {
		cfg.CounterReset = KeepCounters
	}
	return &Core{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5157_4954_4348)),
		queues:  make(map[string]*queue),
		agents:  make(map[string]*agent),
		callers: make(map[string]*caller),
		offers:  make(map[OfferID]*offer),
	}, nil
}

type agent struct {
	cfg    AgentConfig
	status Status
	state  State
	// readyAt: after a failed offer the agent is not offered again before it.
	readyAt time.Time
	tiers   []*tier // sorted by queue id, so that work over them is deterministic
	offer   *offer  // the one offer ringing this agent
	caller  *caller // the connected caller
	free    bool    // in its levels' free indexes
	gen     uint64  // generation of its ready/wrap-up timer

	calls           int
	talkTime        time.Duration
	lastBridgeStart time.Time
	lastBridgeEnd   time.Time
	// The strategies' keys as integers (Unix nanoseconds; zero for never),
	// which the free indexes compare millions of times.
	lastBridgeEndNS int64
	lastOfferedNS   int64
	noAnswerCount   int
	statusSince     time.Time
	stateSince      time.Time
}

type tier struct {
	queue      *queue
	agent      *agent
	lvl        *level
	level      int
	position   int
	randomSlot int
	indexed    freeKey // the key it is filed under in an ordered free index
}

type level struct {
	value    int
	tiers    int
	loggedIn int // agents whose status is not logged_out
	free     freeIndex
}

type queue struct {
	cfg    QueueConfig
	levels []*level // ascending by value
	tiers  map[string]*tier
	// groups holds the callers that may take an agent now, by the highest
	// level they reach (math.MaxInt without tier rules), ascending.
	groups  []*group
	callers map[string]*caller

	loggedIn, available int
	freeCount           int
	noAgentSince        time.Time // zero while an agent is logged in
	noAgentGen          uint64
	rrCursor            *tier // round-robin: the tier this queue offered last
	abandoned           map[string]*abandoned
	dirty               bool

	waiting, trying, connected int
	stats                      QueueStats
}

// QueueStats are a queue's running totals since it was created.
type QueueStats struct {
	Joined, Answered, Abandoned, TimedOut, Exited int
}

type abandoned struct {
	queue  *queue
	number string
	key    int64
	at     time.Time
}

type callerState uint8

const (
	callerWaiting callerState = iota
	callerTrying              // offered to one or more agents
	callerConnected
)

func (s callerState) String() string {
	switch s {
	case callerTrying:
		return "trying"
	case callerConnected:
		return "answered"
	}
	return "waiting"
}

type caller struct {
	id, number, name string
	q                *queue
	key              int64 // smaller is served first: start time minus priority
	seq              uint64
	joinedAt         time.Time
	state            callerState
	gone             bool
	offers           []*offer
	grp              *group
	reach            int       // highest level value reached (tier rules)
	reachSince       time.Time // when that level started ringing
	reachGen         uint64
	progressiveWait  bool // ring-progressively: waiting for the delay before the next agent
	progGen          uint64
	cursor           *tier // top-down: the tier this caller was offered last
	agent            *agent
	connectedAt      time.Time
}

type offer struct {
	id     OfferID
	caller *caller
	agent  *agent
	tier   *tier
	at     time.Time
	done   bool
}

// emit records an event of tenant's queue or agent (the core's tenant when
// the owner has none), stamped with the time.
func (c *Core) emit(tenant string, e event.Event) {
	e.At = c.now
	e.Tenant = tenant
	if e.Tenant == "" {
		e.Tenant = c.cfg.Tenant
	}
	c.out.Events = append(c.out.Events, e)
}

func (c *Core) decide(d Decision) { c.out.Decisions = append(c.out.Decisions, d) }

func (c *Core) markDirty(q *queue) {
	if !q.dirty {
		q.dirty = true
		c.dirty = append(c.dirty, q)
	}
}

// Handle applies one command at time now and returns what it produced. Time
// never goes backwards: an earlier now is taken as the latest time seen.
// Timers due by now fire first (their output is returned even when the
// command fails); a command that fails changes nothing.
//
// The Output's slices belong to the core and are valid only until the next
// call to Handle or Advance: copy what must be kept.
func (c *Core) Handle(now time.Time, cmd Command) (Output, error) {
	c.begin(now)
	c.fireDue()
	if err := c.apply(cmd); err != nil {
		out := c.finish()
		return out, err
	}
	return c.finish(), nil
}

// Advance fires every timer due by now.
func (c *Core) Advance(now time.Time) Output {
	c.begin(now)
	c.fireDue()
	return c.finish()
}

// NextDeadline is when the core next needs Advance; ok is false when no
// timer is pending.
func (c *Core) NextDeadline() (time.Time, bool) { return c.timers.next() }

func (c *Core) begin(now time.Time) {
	if now.After(c.now) {
		c.now = now
	}
	clear(c.out.Decisions)
	clear(c.out.Events)
	c.out.Decisions = c.out.Decisions[:0]
	c.out.Events = c.out.Events[:0]
}

func (c *Core) finish() Output {
	c.dispatchDirty()
	return c.out
}

func (c *Core) apply(cmd Command) error {
	switch cmd := cmd.(type) {
	case AddQueue:
		return c.addQueue(cmd.Config)
	case RemoveQueue:
		return c.removeQueue(cmd.Queue)
	case AddAgent:
		return c.addAgent(cmd.Config)
	case RemoveAgent:
		return c.removeAgent(cmd.Agent, cmd.RemoveFromQueues)
	case SetTier:
		return c.setTier(cmd.Tier)
	case RemoveTier:
		return c.removeTier(cmd.Queue, cmd.Agent)
	case SetAgentStatus:
		return c.setAgentStatusCmd(cmd)
	case SetAgentState:
		return c.setAgentStateCmd(cmd)
	case ResetAgentCounters:
		a, ok := c.agents[cmd.Agent]
		if !ok {
			return fmt.Errorf("reset counters of %q: %w", cmd.Agent, ErrUnknownAgent)
		}
		c.withAgentOutOfIndexes(a, func() { a.calls, a.talkTime = 0, 0 })
		return nil
	case Join:
		return c.join(cmd)
	case Hangup:
		return c.hangup(cmd.Caller)
	case DTMF:
		return c.dtmf(cmd)
	case OfferResult:
		return c.offerResult(cmd)
	case CallEnded:
		return c.callEnded(cmd.Caller)
	case RemoveCaller:
		return c.removeOnRequest("remove caller", cmd.Caller, cmd.Queue, cmd.Reason, ReasonRemoved, "")
	case TransferCaller:
		if err := validateDestination(cmd.Destination); err != nil {
			return fmt.Errorf("transfer caller %q: %w", cmd.Caller, err)
		}
		return c.removeOnRequest("transfer caller", cmd.Caller, cmd.Queue, cmd.Reason, ReasonTransferred, cmd.Destination)
	case nil:
		return fieldErr("command", nil, "is required")
	default:
		return fieldErr("command", fmt.Sprintf("%T", cmd), "unknown command")
	}
}

// ---- queues ----

func (c *Core) addQueue(cfg QueueConfig) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("queue %q: %w", cfg.ID, err)
	}
	if q, ok := c.queues[cfg.ID]; ok {
		c.reconfigureQueue(q, cfg)
		return nil
	}
	q := &queue{
		cfg:          cfg,
		tiers:        make(map[string]*tier),
		callers:      make(map[string]*caller),
		abandoned:    make(map[string]*abandoned),
		noAgentSince: c.now,
	}
	c.queues[cfg.ID] = q
	c.scheduleNoAgent(q)
	c.emit(cfg.Tenant, event.Event{Type: event.QueueChanged, Queue: cfg.ID})
	return nil
}

func (c *Core) reconfigureQueue(q *queue, cfg QueueConfig) {
	old := q.cfg
	q.cfg = cfg
	if old.Strategy != cfg.Strategy {
		for _, lv := range q.levels {
			idx := newFreeIndex(cfg.Strategy)
			lv.free.each(func(t *tier) bool { idx.insert(t); return true })
			lv.free = idx
		}
		q.rrCursor = nil
		for _, cl := range q.callers {
			cl.cursor = nil
			cl.progressiveWait = false
		}
	}
	if old.TierRulesApply != cfg.TierRulesApply || old.TierRuleWaitSecond != cfg.TierRuleWaitSecond ||
		old.TierRuleWaitMultiplyLevel != cfg.TierRuleWaitMultiplyLevel || old.TierRuleNoAgentNoWait != cfg.TierRuleNoAgentNoWait {
		for _, cl := range q.callers {
			c.initReach(cl)
		}
	}
	if old.MaxWaitTimeWithNoAgent != cfg.MaxWaitTimeWithNoAgent {
		c.scheduleNoAgent(q)
	}
	for _, cl := range q.callers {
		c.regroup(cl)
	}
	if cfg.ExitWithNoAvailableAgents && q.available == 0 {
		c.exitAll(q, ReasonNoAvailable)
	}
	c.markDirty(q)
	c.emit(cfg.Tenant, event.Event{Type: event.QueueChanged, Queue: cfg.ID})
}

func (c *Core) removeQueue(id string) error {
	q, ok := c.queues[id]
	if !ok {
		return fmt.Errorf("remove queue %q: %w", id, ErrUnknownQueue)
	}
	for _, cl := range sortedCallers(q) {
		if cl.state != callerConnected {
			c.leave(cl, ReasonQueueRemoved, "")
		}
	}
	for _, t := range q.tiersSorted() {
		c.dropTier(t)
	}
	c.emit(q.cfg.Tenant, event.Event{Type: event.QueueRemoved, Queue: id})
	delete(c.queues, id)
	q.noAgentGen++
	return nil
}

func (q *queue) tiersSorted() []*tier {
	ts := make([]*tier, 0, len(q.tiers))
	for _, t := range q.tiers {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *tier) int { return compareStrings(a.agent.cfg.ID, b.agent.cfg.ID) })
	return ts
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// levelFor returns the level with value v, creating it if create is set.
func (q *queue) levelFor(v int, create bool) *level {
	i, found := slices.BinarySearchFunc(q.levels, v, func(l *level, v int) int { return l.value - v })
	if found {
		return q.levels[i]
	}
	if !create {
		return nil
	}
	lv := &level{value: v, free: newFreeIndex(q.cfg.Strategy)}
	q.levels = slices.Insert(q.levels, i, lv)
	return lv
}

func (q *queue) dropLevelIfEmpty(lv *level) bool {
	if lv.tiers > 0 {
		return false
	}
	i := slices.Index(q.levels, lv)
	q.levels = slices.Delete(q.levels, i, i+1)
	return true
}

// ---- agents ----

func (c *Core) addAgent(cfg AgentConfig) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("agent %q: %w", cfg.ID, err)
	}
	if a, ok := c.agents[cfg.ID]; ok {
		a.cfg = cfg
		c.emit(cfg.Tenant, event.Event{Type: event.AgentChanged, Agent: cfg.ID})
		return nil
	}
	c.agents[cfg.ID] = &agent{
		cfg:         cfg,
		status:      LoggedOut,
		state:       Idle,
		statusSince: c.now,
		stateSince:  c.now,
	}
	c.emit(cfg.Tenant, event.Event{Type: event.AgentChanged, Agent: cfg.ID, To: string(LoggedOut)})
	return nil
}

func (c *Core) removeAgent(id string, fromQueues bool) error {
	a, ok := c.agents[id]
	if !ok {
		return fmt.Errorf("remove agent %q: %w", id, ErrUnknownAgent)
	}
	if a.caller != nil {
		return fmt.Errorf("remove agent %q: %w", id, ErrBusy)
	}
	if len(a.tiers) > 0 && !fromQueues {
		return fmt.Errorf("remove agent %q: %w", id, ErrAgentInQueues)
	}
	if a.offer != nil {
		c.cancelOffer(a.offer, true)
	}
	for _, t := range slices.Clone(a.tiers) {
		c.dropTier(t)
	}
	c.emit(a.cfg.Tenant, event.Event{Type: event.AgentRemoved, Agent: id})
	delete(c.agents, id)
	a.gen++
	return nil
}

func (a *agent) addTier(t *tier) {
	i, _ := slices.BinarySearchFunc(a.tiers, t.queue.cfg.ID, func(x *tier, id string) int { return compareStrings(x.queue.cfg.ID, id) })
	a.tiers = slices.Insert(a.tiers, i, t)
}

func (a *agent) removeTier(t *tier) {
	if i := slices.Index(a.tiers, t); i >= 0 {
		a.tiers = slices.Delete(a.tiers, i, i+1)
	}
}

func isLoggedIn(s Status) bool  { return s != LoggedOut }
func isAvailable(s Status) bool { return s == Available || s == AvailableOnDemand }

// ---- tiers ----

func (c *Core) setTier(t Tier) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("tier %s/%s: %w", t.Queue, t.Agent, err)
	}
	q, ok := c.queues[t.Queue]
	if !ok {
		return fmt.Errorf("tier %s/%s: %w", t.Queue, t.Agent, &FieldError{Field: "queue", Value: t.Queue, Reason: ErrUnknownQueue.Error()})
	}
	a, ok := c.agents[t.Agent]
	if !ok {
		return fmt.Errorf("tier %s/%s: %w", t.Queue, t.Agent, &FieldError{Field: "agent_id", Value: t.Agent, Reason: ErrUnknownAgent.Error()})
	}
	if a.cfg.Tenant != q.cfg.Tenant {
		return fmt.Errorf("tier %s/%s: %w", t.Queue, t.Agent, &FieldError{Field: "agent_id", Value: t.Agent, Reason: "belongs to another tenant than the queue"})
	}
	if old, ok := q.tiers[a.cfg.ID]; ok {
		if old.level == t.Level && old.position == t.Position {
			return nil
		}
		c.withAgentOutOfIndexes(a, func() {
			oldLevel := old.lvl
			c.unlinkTierLevel(old)
			old.level, old.position = t.Level, t.Position
			c.linkTierLevel(old)
			q.dropLevelIfEmpty(oldLevel)
		})
		c.levelsChanged(q) // levels may have appeared, vanished or emptied
		c.emit(q.cfg.Tenant, event.Event{Type: event.TierChanged, Queue: q.cfg.ID, Agent: a.cfg.ID,
			Attrs: map[string]string{"level": fmt.Sprint(t.Level), "position": fmt.Sprint(t.Position)}})
		return nil
	}
	tr := &tier{queue: q, agent: a, level: t.Level, position: t.Position, randomSlot: -1}
	q.tiers[a.cfg.ID] = tr
	a.addTier(tr)
	c.linkTierLevel(tr)
	if isLoggedIn(a.status) {
		c.queueLoggedIn(q, +1)
	}
	if isAvailable(a.status) {
		c.queueAvailable(q, +1)
	}
	if a.free {
		tr.lvl.free.insert(tr)
		q.freeCount++
		c.markDirty(q)
	}
	if tr.lvl.tiers == 1 {
		c.levelsChanged(q)
	}
	c.emit(q.cfg.Tenant, event.Event{Type: event.TierChanged, Queue: q.cfg.ID, Agent: a.cfg.ID,
		Attrs: map[string]string{"level": fmt.Sprint(t.Level), "position": fmt.Sprint(t.Position)}})
	return nil
}

func (c *Core) linkTierLevel(t *tier) {
	t.lvl = t.queue.levelFor(t.level, true)
	t.lvl.tiers++
	if isLoggedIn(t.agent.status) {
		t.lvl.loggedIn++
	}
}

func (c *Core) unlinkTierLevel(t *tier) {
	t.lvl.tiers--
	if isLoggedIn(t.agent.status) {
		t.lvl.loggedIn--
	}
}

func (c *Core) removeTier(queueID, agentID string) error {
	q, ok := c.queues[queueID]
	if !ok {
		return fmt.Errorf("remove tier %s/%s: %w", queueID, agentID, ErrUnknownQueue)
	}
	t, ok := q.tiers[agentID]
	if !ok {
		return fmt.Errorf("remove tier %s/%s: %w", queueID, agentID, ErrUnknownTier)
	}
	c.dropTier(t)
	return nil
}

// dropTier takes an agent out of a queue. A ringing offer from that queue is
// cancelled; a connected call goes on.
func (c *Core) dropTier(t *tier) {
	q, a := t.queue, t.agent
	if o := a.offer; o != nil && o.tier == t {
		c.cancelOffer(o, true)
	}
	if a.free {
		t.lvl.free.remove(t)
		q.freeCount--
	}
	c.unlinkTierLevel(t)
	delete(q.tiers, a.cfg.ID)
	a.removeTier(t)
	if isAvailable(a.status) {
		c.queueAvailable(q, -1)
	}
	if isLoggedIn(a.status) {
		c.queueLoggedIn(q, -1)
	}
	if q.dropLevelIfEmpty(t.lvl) {
		c.levelsChanged(q)
	} else if t.lvl.loggedIn == 0 {
		c.levelEmptied(q)
	}
	c.emit(q.cfg.Tenant, event.Event{Type: event.TierRemoved, Queue: q.cfg.ID, Agent: a.cfg.ID})
}

// levelsChanged re-derives every caller's reach after a level appeared or vanished.
func (c *Core) levelsChanged(q *queue) {
	if !q.cfg.TierRulesApply {
		return
	}
	for _, cl := range sortedCallers(q) {
		if cl.state != callerConnected {
			c.advanceReach(cl)
		}
	}
	c.markDirty(q)
}

// levelEmptied: a level lost its last logged-in agent; with
// tier_rule_no_agent_no_wait callers stuck there move on at once.
func (c *Core) levelEmptied(q *queue) {
	if q.cfg.TierRulesApply && q.cfg.TierRuleNoAgentNoWait {
		c.levelsChanged(q)
	}
}

func (c *Core) queueLoggedIn(q *queue, delta int) {
	q.loggedIn += delta
	switch {
	case q.loggedIn == 0 && delta < 0:
		q.noAgentSince = c.now
		c.scheduleNoAgent(q)
	case q.loggedIn == 1 && delta > 0:
		q.noAgentSince = time.Time{}
		q.noAgentGen++
	}
}

func (c *Core) queueAvailable(q *queue, delta int) {
	q.available += delta
	if q.available == 0 && delta < 0 && q.cfg.ExitWithNoAvailableAgents {
		c.exitAll(q, ReasonNoAvailable)
	}
}

// exitAll makes every caller not yet connected leave the queue.
func (c *Core) exitAll(q *queue, reason LeaveReason) {
	dst := q.cfg.ExitTransferDst
	if reason == ReasonNoAgentTimeout {
		dst = q.cfg.NoAgentTimeoutTransferDst
	}
	for _, cl := range sortedCallers(q) {
		if cl.state != callerConnected {
			c.leave(cl, reason, dst)
		}
	}
}

func (c *Core) scheduleNoAgent(q *queue) {
	q.noAgentGen++
	if q.cfg.MaxWaitTimeWithNoAgent > 0 && !q.noAgentSince.IsZero() {
		c.timers.add(q.noAgentSince.Add(q.cfg.MaxWaitTimeWithNoAgent), timerNoAgentQueue, q.noAgentGen, q)
	}
}

// sortedCallers lists a queue's callers in service order, so that mass
// actions are deterministic.
func sortedCallers(q *queue) []*caller {
	cs := make([]*caller, 0, len(q.callers))
	for _, cl := range q.callers {
		cs = append(cs, cl)
	}
	slices.SortFunc(cs, func(a, b *caller) int {
		if callerLess(a, b) {
			return -1
		}
		if callerLess(b, a) {
			return 1
		}
		return 0
	})
	return cs
}

func callerLess(a, b *caller) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.seq < b.seq
}

// noReach is the reach of callers in queues without tier rules: every level.
const noReach = math.MaxInt

func targetOf(a *agent) telephony.Target {
	if a.cfg.Type == RemoteAgent {
		return telephony.Target{Number: a.cfg.Number, Trunk: a.cfg.Trunk}
	}
	return telephony.Target{Extension: a.cfg.Extension}
}
