// Package telephonytest is a programmable in-process fake PBX on a virtual
// clock, like net/http/httptest for the telephony port. Rules per number
// pattern set how callees behave: answer probability, ring-time and talk-time
// distributions, busy / no-answer / machine / congestion / rejected / failed
// rates.
//
// The PBX can be driven two ways: synchronously (Originate, then NextAt and
// PopDue, as the simulator does, with no goroutines), or as a telephony.Port
// whose Events channel is fed by Advance.
package telephonytest

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Rule says how numbers matching Pattern behave. The rates are relative
// weights of each way a call ends; they need not sum to 1.
type Rule struct {
	// Pattern is a path.Match glob on the dialled number ("+7921*"); empty matches all.
	Pattern    string
	Answer     float64 // a person answers
	Machine    float64 // an answering machine answers
	Busy       float64
	NoAnswer   float64 // rings until the originate timeout
	Congestion float64
	Rejected   float64
	Failed     float64 // unallocated / unreachable
	// RingTime is the time to answer (person or machine); a draw past the
	// originate timeout becomes no answer.
	RingTime Dist
	// TalkTime is how long the callee stays after answering, then hangs up.
	TalkTime Dist
	// QuickTime is how long busy, congestion, rejected and failed take (default 2 s).
	QuickTime Dist
	// AMDTime is how long machine detection takes after answer (default 2.5 s).
	AMDTime Dist
}

// Config sets up a PBX.
type Config struct {
	// Start is the virtual time at creation (default 2026-01-05 09:00 UTC).
	Start time.Time
	Seed  uint64
	// Rules are tried in order; the first match decides. With none, every call is answered.
	Rules []Rule
	// PlaybackTime is how long Play takes before EventPlaybackFinished (default 3 s).
	PlaybackTime time.Duration
	// Clock, when set, is shared (e.g. with an Engine); otherwise the PBX makes one.
	Clock *Clock
}

// Action is one request the PBX received, for assertions.
type Action struct {
	At     time.Time
	Verb   string // originate, hangup, answer, continue, redirect, bridge, unbridge, destroy_bridge, record, record_call, play, moh_start, moh_stop, ringing
	Call   telephony.CallID
	Calls  []telephony.CallID
	Target string
	Cause  telephony.Cause
}

// PBX is the fake. It is safe for concurrent use.
type PBX struct {
	mu      sync.Mutex
	clock   *Clock
	rng     *rand.Rand
	rules   []Rule
	calls   map[telephony.CallID]*fakeCall
	queue   evHeap
	seq     uint64
	out     chan telephony.Event
	actions []Action
	record  bool
	live    int
	maxLive int
	trunks  map[string]int
	maxTrk  map[string]int
	ended   int
	play    time.Duration
}

type fakeCall struct {
	id       telephony.CallID
	req      telephony.OriginateRequest
	answered bool
	ended    bool
}

// DefaultStart is the virtual start time when Config.Start is zero.
var DefaultStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// New returns a PBX.
func New(cfg Config) *PBX {
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	c := cfg.Clock
	if c == nil {
		c = NewClock(cfg.Start)
	}
	if cfg.PlaybackTime == 0 {
		cfg.PlaybackTime = 3 * time.Second
	}
	return &PBX{
		play:  cfg.PlaybackTime,
		clock: c, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed)), rules: cfg.Rules,
		calls: map[telephony.CallID]*fakeCall{}, trunks: map[string]int{}, maxTrk: map[string]int{}, record: true,
	}
}

// Clock is the PBX's virtual clock.
func (p *PBX) Clock() *Clock { return p.clock }

// RecordActions turns the action log on or off (on by default; long
// simulations turn it off to save memory).
func (p *PBX) RecordActions(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.record = on
}

// Actions returns the requests received so far.
func (p *PBX) Actions() []Action {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Action(nil), p.actions...)
}

// Live is the number of calls up now; MaxLive the most ever up at once.
func (p *PBX) Live() (live, maxLive int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live, p.maxLive
}

// MaxLiveOnTrunk is the most calls ever up at once on a trunk.
func (p *PBX) MaxLiveOnTrunk(trunk string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxTrk[trunk]
}

func (p *PBX) act(a Action) {
	if p.record {
		a.At = p.clock.Now()
		p.actions = append(p.actions, a)
	}
}

func (p *PBX) rule(number string) Rule {
	for _, r := range p.rules {
		if r.Pattern == "" {
			return r
		}
		if ok, _ := path.Match(r.Pattern, number); ok {
			return r
		}
	}
	return Rule{Answer: 1}
}

// ErrDuplicateCall is returned when a call id is originated twice.
var ErrDuplicateCall = errors.New("telephonytest: call id already used")

// ErrNoSuchCall is returned for requests on a call that is not up.
var ErrNoSuchCall = errors.New("telephonytest: no such call")

// Originate places a call; its fate is drawn from the first matching rule.
func (p *PBX) Originate(_ context.Context, req telephony.OriginateRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if req.Call == "" {
		return fmt.Errorf("telephonytest: originate: empty call id")
	}
	if _, ok := p.calls[req.Call]; ok {
		return fmt.Errorf("originate %s: %w", req.Call, ErrDuplicateCall)
	}
	now := p.clock.Now()
	c := &fakeCall{id: req.Call, req: req}
	p.calls[req.Call] = c
	p.live++
	p.maxLive = max(p.maxLive, p.live)
	if req.Target.Trunk != "" {
		p.trunks[req.Target.Trunk]++
		p.maxTrk[req.Target.Trunk] = max(p.maxTrk[req.Target.Trunk], p.trunks[req.Target.Trunk])
	}
	p.act(Action{Verb: "originate", Call: req.Call, Target: req.Target.String()})

	r := p.rule(req.Target.Number)
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	quick := r.QuickTime
	if quick.Kind == "" && quick.Mean == 0 {
		quick = Fix(2 * time.Second)
	}
	amd := r.AMDTime
	if amd.Kind == "" && amd.Mean == 0 {
		amd = Fix(2500 * time.Millisecond)
	}
	total := r.Answer + r.Machine + r.Busy + r.NoAnswer + r.Congestion + r.Rejected + r.Failed
	if total <= 0 {
		r.Answer, total = 1, 1
	}
	x := p.rng.Float64() * total
	fate := "failed"
	for _, w := range []struct {
		name string
		w    float64
	}{{"answer", r.Answer}, {"machine", r.Machine}, {"busy", r.Busy}, {"no_answer", r.NoAnswer}, {"congestion", r.Congestion}, {"rejected", r.Rejected}, {"failed", r.Failed}} {
		if x < w.w {
			fate = w.name
			break
		}
		x -= w.w
	}
	ringing := min(time.Second, timeout)
	hang := func(after time.Duration, cause telephony.Cause) {
		p.schedule(now.Add(after), telephony.Event{Kind: telephony.EventHangup, Call: c.id, Cause: cause, Outcome: telephony.OutcomeForUnansweredCause(cause)})
	}
	switch fate {
	case "answer", "machine":
		ring := r.RingTime.Sample(p.rng)
		talk := r.TalkTime.Sample(p.rng)
		if ring >= timeout {
			p.schedule(now.Add(ringing), telephony.Event{Kind: telephony.EventRinging, Call: c.id})
			hang(timeout, telephony.CauseNoAnswer)
			break
		}
		if ring > ringing {
			p.schedule(now.Add(ringing), telephony.Event{Kind: telephony.EventRinging, Call: c.id})
		}
		p.schedule(now.Add(ring), telephony.Event{Kind: telephony.EventAnswered, Call: c.id})
		if req.DetectMachine {
			p.schedule(now.Add(ring+amd.Sample(p.rng)), telephony.Event{Kind: telephony.EventMachineDetection, Call: c.id, Machine: fate == "machine"})
		}
		p.schedule(now.Add(ring+max(talk, time.Millisecond)), telephony.Event{Kind: telephony.EventHangup, Call: c.id, Cause: telephony.CauseNormalClearing})
	case "busy":
		hang(quick.Sample(p.rng), telephony.CauseUserBusy)
	case "no_answer":
		p.schedule(now.Add(ringing), telephony.Event{Kind: telephony.EventRinging, Call: c.id})
		hang(timeout, telephony.CauseNoAnswer)
	case "congestion":
		hang(quick.Sample(p.rng), telephony.CauseCongestion)
	case "rejected":
		hang(quick.Sample(p.rng), telephony.CauseCallRejected)
	default:
		hang(quick.Sample(p.rng), telephony.CauseUnallocated)
	}
	return nil
}

func (p *PBX) schedule(at time.Time, e telephony.Event) {
	p.seq++
	e.At = at
	heap.Push(&p.queue, scheduled{at: at, seq: p.seq, e: e})
}

// NextAt is when the next call event is due.
func (p *PBX) NextAt() (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.queue) > 0 {
		s := p.queue[0]
		if c := p.calls[s.e.Call]; c == nil || c.ended {
			heap.Pop(&p.queue)
			continue
		}
		return s.at, true
	}
	return time.Time{}, false
}

// PopDue returns the events due at or before t, in order, and applies them
// (an answered call is up, a hung-up call is gone). It does not move the clock.
func (p *PBX) PopDue(t time.Time) []telephony.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []telephony.Event
	for len(p.queue) > 0 && !p.queue[0].at.After(t) {
		s := heap.Pop(&p.queue).(scheduled)
		c := p.calls[s.e.Call]
		if c == nil || c.ended {
			continue
		}
		switch s.e.Kind {
		case telephony.EventAnswered:
			c.answered = true
		case telephony.EventHangup:
			p.end(c)
		}
		out = append(out, s.e)
	}
	return out
}

// PopNext advances the clock to the next due event and returns every event
// due then; false when nothing is scheduled.
func (p *PBX) PopNext() ([]telephony.Event, bool) {
	at, ok := p.NextAt()
	if !ok {
		return nil, false
	}
	p.clock.Set(at)
	return p.PopDue(at), true
}

func (p *PBX) end(c *fakeCall) {
	c.ended = true
	delete(p.calls, c.id)
	p.live--
	p.ended++
	if tr := c.req.Target.Trunk; tr != "" {
		p.trunks[tr]--
	}
}

// Events returns the channel Advance feeds (buffered; Advance blocks if a
// reader falls 4096 events behind). It closes when ctx ends.
func (p *PBX) Events(ctx context.Context) (<-chan telephony.Event, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out != nil {
		return nil, errors.New("telephonytest: Events already called")
	}
	p.out = make(chan telephony.Event, 4096)
	out := p.out
	go func() {
		<-ctx.Done()
		p.mu.Lock()
		defer p.mu.Unlock()
		close(out)
		p.out = nil
	}()
	return out, nil
}

// Advance moves the virtual clock forward by d, delivering due events to the
// Events channel in order and firing the clock's timers as it goes.
func (p *PBX) Advance(d time.Duration) {
	end := p.clock.Now().Add(d)
	for {
		at, ok := p.NextAt()
		if !ok || at.After(end) {
			break
		}
		p.clock.Set(at)
		evs := p.PopDue(at)
		p.mu.Lock()
		out := p.out
		p.mu.Unlock()
		if out != nil {
			for _, e := range evs {
				out <- e
			}
		}
	}
	p.clock.Set(end)
}

func (p *PBX) hangupNow(call telephony.CallID, cause telephony.Cause) error {
	c := p.calls[call]
	if c == nil {
		return fmt.Errorf("hangup %s: %w", call, ErrNoSuchCall)
	}
	e := telephony.Event{Kind: telephony.EventHangup, Call: call, Cause: cause}
	if !c.answered {
		e.Outcome = telephony.OutcomeForUnansweredCause(cause)
	}
	// Scheduled now: the call's own later events are dropped once it has ended.
	p.schedule(p.clock.Now(), e)
	return nil
}

// Hangup hangs a call up; the hangup event follows at the current time.
func (p *PBX) Hangup(_ context.Context, call telephony.CallID, cause telephony.Cause) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.act(Action{Verb: "hangup", Call: call, Cause: cause})
	return p.hangupNow(call, cause)
}

func (p *PBX) up(verb string, call telephony.CallID, target string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.act(Action{Verb: verb, Call: call, Target: target})
	if _, ok := p.calls[call]; !ok {
		return fmt.Errorf("%s %s: %w", verb, call, ErrNoSuchCall)
	}
	return nil
}

// Answer records an answer request.
func (p *PBX) Answer(_ context.Context, call telephony.CallID) error { return p.up("answer", call, "") }

// Continue records that the call went to the dialplan; the callee still hangs
// up after its talk time.
func (p *PBX) Continue(_ context.Context, call telephony.CallID, to telephony.DialplanTarget) error {
	return p.up("continue", call, fmt.Sprintf("%s,%s,%d", to.Context, to.Extension, to.Priority))
}

// Redirect records a blind transfer.
func (p *PBX) Redirect(_ context.Context, call telephony.CallID, to telephony.Target) error {
	return p.up("redirect", call, to.String())
}

// Bridge records a bridge of calls.
func (p *PBX) Bridge(_ context.Context, bridge telephony.BridgeID, calls ...telephony.CallID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.act(Action{Verb: "bridge", Calls: calls, Target: string(bridge)})
	for _, c := range calls {
		if _, ok := p.calls[c]; !ok {
			return fmt.Errorf("bridge %s: %s: %w", bridge, c, ErrNoSuchCall)
		}
	}
	return nil
}

// Unbridge records removing a call from a bridge.
func (p *PBX) Unbridge(_ context.Context, bridge telephony.BridgeID, call telephony.CallID) error {
	return p.up("unbridge", call, string(bridge))
}

// DestroyBridge records a bridge's removal.
func (p *PBX) DestroyBridge(_ context.Context, bridge telephony.BridgeID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.act(Action{Verb: "destroy_bridge", Target: string(bridge)})
	return nil
}

// RecordBridge records a recording request.
func (p *PBX) RecordBridge(_ context.Context, bridge telephony.BridgeID, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.act(Action{Verb: "record", Target: string(bridge) + ":" + name})
	return nil
}

// RecordCall records a call-recording request (verb record_call, Target the
// name); a call that is not live is ErrNoSuchCall.
func (p *PBX) RecordCall(_ context.Context, call telephony.CallID, name string) error {
	return p.up("record_call", call, name)
}

// Play plays media; EventPlaybackFinished follows after Config.PlaybackTime.
func (p *PBX) Play(_ context.Context, call telephony.CallID, media string) error {
	if err := p.up("play", call, media); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.schedule(p.clock.Now().Add(p.play), telephony.Event{Kind: telephony.EventPlaybackFinished, Call: call})
	return nil
}

// StartMOH records music on hold.
func (p *PBX) StartMOH(_ context.Context, call telephony.CallID, class string) error {
	return p.up("moh_start", call, class)
}

// StopMOH records the end of music on hold.
func (p *PBX) StopMOH(_ context.Context, call telephony.CallID) error {
	return p.up("moh_stop", call, "")
}

// StartRinging records ringback.
func (p *PBX) StartRinging(_ context.Context, call telephony.CallID) error {
	return p.up("ringing", call, "")
}

var _ telephony.Port = (*PBX)(nil)

type scheduled struct {
	at  time.Time
	seq uint64
	e   telephony.Event
}

type evHeap []scheduled

func (h evHeap) Len() int { return len(h) }
func (h evHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h evHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *evHeap) Push(x any)   { *h = append(*h, x.(scheduled)) }
func (h *evHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}
