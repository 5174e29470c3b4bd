// Package inbound binds the ACD (pkg/acd) to a PBX (pkg/telephony): calls
// that enter a queue from the dialplan become acd.Join commands, the ACD's
// decisions become PBX actions (answer and hold the caller, ring agents,
// bridge, record, announce, transfer), and what the PBX reports about agent
// legs and callers goes back to the ACD as commands.
//
// An inbound call reaches the ACD from the dialplan with
// Stasis(<app>,queue,<queue>). Transfer destinations are "context,exten[,priority]"
// dialplan targets, or an extension in Config.TransferContext.
package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// ACD is what the binding needs of the ACD: *acd.Engine.
type ACD interface {
	Do(ctx context.Context, cmd acd.Command) error
}

// Config configures a Binding.
type Config struct {
	// Port is the PBX; required.
	Port telephony.Port
	// TransferContext is where a transfer destination without a context
	// goes (e.g. "333" → 333@TransferContext); default "default".
	TransferContext string
	// RingMargin is added to an offer's timeout when the agent leg is
	// originated: the ACD cancels the offer at its own timeout, so the PBX
	// only needs a backstop. Default 5 s.
	RingMargin time.Duration
	// CallPrefix makes agent-leg call ids unique across restarts; default
	// the start time in hex.
	CallPrefix string
	// MOHClass is the music class when a queue names none; default "default".
	MOHClass string
	// ResolveQueue turns the queue argument of Stasis(<app>,queue,<queue>)
	// (a queue's id or its name) into the ACD's queue id; default: the
	// argument is the id.
	ResolveQueue func(ctx context.Context, arg string) (string, error)
	// OnHandoffResult hears how a call handed over by HandToQueue ended in
	// the queue: connected to agent, or not (timed out, hung up, refused).
	// It runs on the binding's goroutine and must not block for long.
	OnHandoffResult func(call telephony.CallID, connected bool, agent string)
	Logger          *slog.Logger
}

func (c *Config) setDefaults() {
	if c.TransferContext == "" {
		c.TransferContext = "default"
	}
	if c.RingMargin == 0 {
		c.RingMargin = 5 * time.Second
	}
	if c.CallPrefix == "" {
		c.CallPrefix = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if c.MOHClass == "" {
		c.MOHClass = "default"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ResolveQueue == nil {
		c.ResolveQueue = func(_ context.Context, arg string) (string, error) { return arg, nil }
	}
}

// Validate reports the first field that is wrong.
func (c Config) Validate() error {
	if c.Port == nil {
		return errors.New("inbound: port is required")
	}
	if c.RingMargin < 0 {
		return errors.New("inbound: ring_margin must not be negative")
	}
	return nil
}

// Binding carries calls between one ACD and one PBX. It is the ACD's
// DecisionSink; Run owns its state and does the PBX I/O.
type Binding struct {
	cfg Config

	mu       sync.Mutex
	pending  []acd.Decision
	wake     chan struct{}
	handoffs chan handoff

	// events is the port's event stream, opened by Listen.
	events <-chan telephony.Event

	// Owned by Run's goroutine.
	callers   map[telephony.CallID]*callerLeg
	agentLegs map[telephony.CallID]*agentLeg
	byOffer   map[acd.OfferID]*agentLeg
}

type callerLeg struct {
	id      telephony.CallID
	joined  bool
	handoff bool      // handed over by HandToQueue: its result is reported
	leg     *agentLeg // the connected agent
	bridge  telephony.BridgeID
	ended   bool
}

type agentLeg struct {
	id        telephony.CallID
	offer     acd.OfferID
	caller    telephony.CallID
	answered  bool
	cancelled bool
	connected bool
}

var _ acd.DecisionSink = (*Binding)(nil)

// New returns a binding; give it to acd.EngineConfig.Decisions, then Run it.
func New(cfg Config) (*Binding, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Binding{
		cfg:       cfg,
		wake:      make(chan struct{}, 1),
		handoffs:  make(chan handoff, 256),
		callers:   make(map[telephony.CallID]*callerLeg),
		agentLegs: make(map[telephony.CallID]*agentLeg),
		byOffer:   make(map[acd.OfferID]*agentLeg),
	}, nil
}

// Decide queues the ACD's decisions for Run; it never blocks.
func (b *Binding) Decide(ds []acd.Decision) {
	b.mu.Lock()
	b.pending = append(b.pending, ds...)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// handoff is an answered call another part of the service (the outbound
// dialer) gives to a queue.
type handoff struct {
	call    telephony.CallID
	queue   string
	name    string
	maxWait time.Duration
}

// HandToQueue gives an answered call that the caller's code controls (an
// outbound dialer's) to a queue; from then on the binding carries it like an
// inbound caller and reports the outcome to OnHandoffResult. It does not
// wait for the queue.
func (b *Binding) HandToQueue(ctx context.Context, call telephony.CallID, queue, name string, maxWait time.Duration) error {
	select {
	case b.handoffs <- handoff{call: call, queue: queue, name: name, maxWait: maxWait}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Listen subscribes to the port's call events. Call it before Run and
// before any call can arrive (right after starting the PBX adapter), so no
// call at start-up goes unheard; Run calls it when nobody did. ctx must live
// as long as Run's.
func (b *Binding) Listen(ctx context.Context) error {
	if b.events != nil {
		return nil
	}
	events, err := b.cfg.Port.Events(ctx)
	if err != nil {
		return fmt.Errorf("inbound: subscribe to call events: %w", err)
	}
	b.events = events
	return nil
}

// Run carries calls until ctx ends: PBX events to the ACD, the ACD's
// decisions to the PBX, in the order they happen.
func (b *Binding) Run(ctx context.Context, engine ACD) error {
	if err := b.Listen(ctx); err != nil {
		return err
	}
	events := b.events
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("inbound: call event stream closed")
			}
			b.onEvent(ctx, engine, ev)
		case h := <-b.handoffs:
			b.adopt(ctx, engine, h)
		case <-b.wake:
		}
		b.carryOut(ctx, engine)
	}
}

func (b *Binding) takePending() []acd.Decision {
	b.mu.Lock()
	defer b.mu.Unlock()
	ds := b.pending
	b.pending = nil
	return ds
}

func (b *Binding) carryOut(ctx context.Context, engine ACD) {
	for {
		ds := b.takePending()
		if len(ds) == 0 {
			return
		}
		for _, d := range ds {
			b.apply(ctx, engine, d)
		}
	}
}

func (b *Binding) tell(ctx context.Context, engine ACD, cmd acd.Command) {
	if err := engine.Do(ctx, cmd); err != nil && ctx.Err() == nil {
		b.cfg.Logger.Warn("acd refused a call event", "command", fmt.Sprintf("%T", cmd), "err", err)
	}
}

func (b *Binding) onEvent(ctx context.Context, engine ACD, ev telephony.Event) {
	if leg, ok := b.agentLegs[ev.Call]; ok {
		b.onAgentLeg(ctx, engine, leg, ev)
		return
	}
	switch ev.Kind {
	case telephony.EventIncoming:
		if len(ev.Args) < 2 || ev.Args[0] != "queue" {
			return // not ours: another part of the service handles it
		}
		c := &callerLeg{id: ev.Call}
		b.callers[ev.Call] = c
		queue, err := b.cfg.ResolveQueue(ctx, ev.Args[1])
		if err == nil {
			err = engine.Do(ctx, acd.Join{Queue: queue, Caller: string(ev.Call), Number: ev.CallerNumber})
		}
		if err != nil {
			b.cfg.Logger.Warn("call for an unknown queue hung up", "call", ev.Call, "queue", ev.Args[1], "err", err)
			delete(b.callers, ev.Call)
			b.act("hangup", ev.Call, b.cfg.Port.Hangup(ctx, ev.Call, telephony.CauseUnallocated))
			return
		}
		c.joined = true
	case telephony.EventHangup:
		c, ok := b.callers[ev.Call]
		if !ok {
			return
		}
		delete(b.callers, ev.Call)
		c.ended = true
		if c.leg != nil {
			b.endConnected(ctx, engine, c, c.id)
			return
		}
		if c.joined {
			b.tell(ctx, engine, acd.Hangup{Caller: string(c.id)})
		}
		b.reportHandoff(c, false, "")
	case telephony.EventDTMF:
		if c, ok := b.callers[ev.Call]; ok && c.joined {
			b.tell(ctx, engine, acd.DTMF{Caller: string(c.id), Digit: ev.Digit})
		}
	}
}

func (b *Binding) adopt(ctx context.Context, engine ACD, h handoff) {
	c := &callerLeg{id: h.call, handoff: true}
	b.callers[h.call] = c
	queue, err := b.cfg.ResolveQueue(ctx, h.queue)
	if err == nil {
		err = engine.Do(ctx, acd.Join{Queue: queue, Caller: string(h.call), Name: h.name, MaxWait: h.maxWait})
	}
	if err != nil {
		b.cfg.Logger.Warn("handed-over call refused by the queue", "call", h.call, "queue", h.queue, "err", err)
		delete(b.callers, h.call)
		b.reportHandoff(c, false, "")
		return
	}
	c.joined = true
}

// reportHandoff tells OnHandoffResult how a handed-over call ended, once.
func (b *Binding) reportHandoff(c *callerLeg, connected bool, agent string) {
	if !c.handoff || b.cfg.OnHandoffResult == nil {
		return
	}
	c.handoff = false
	b.cfg.OnHandoffResult(c.id, connected, agent)
}

func (b *Binding) onAgentLeg(ctx context.Context, engine ACD, leg *agentLeg, ev telephony.Event) {
	switch ev.Kind {
	case telephony.EventAnswered:
		if leg.answered {
			return
		}
		leg.answered = true
		if leg.cancelled {
			b.act("hangup", leg.id, b.cfg.Port.Hangup(ctx, leg.id, telephony.CauseNormalClearing))
			return
		}
		b.tell(ctx, engine, acd.OfferResult{Offer: leg.offer, Result: acd.OfferAnswered})
	case telephony.EventHangup, telephony.EventOriginateFailed:
		delete(b.agentLegs, leg.id)
		delete(b.byOffer, leg.offer)
		if leg.connected {
			if c, ok := b.callers[leg.caller]; ok && c.leg == leg {
				b.endConnected(ctx, engine, c, leg.id)
			}
			return
		}
		if leg.cancelled {
			return
		}
		result := acd.OfferFailed
		if !leg.answered {
			result = offerOutcome(ev)
		}
		b.tell(ctx, engine, acd.OfferResult{Offer: leg.offer, Result: result})
	}
}

// offerOutcome maps how an agent leg ended before answer to an offer result.
func offerOutcome(ev telephony.Event) acd.OfferOutcome {
	outcome := ev.Outcome
	if outcome == "" {
		outcome = telephony.OutcomeForUnansweredCause(ev.Cause)
	}
	switch outcome {
	case telephony.OutcomeBusy:
		return acd.OfferBusy
	case telephony.OutcomeNoAnswer:
		return acd.OfferNoAnswer
	case telephony.OutcomeRejected:
		return acd.OfferRejected
	}
	return acd.OfferFailed
}

// endConnected ends a connected queue call when either side hung up: the
// ACD hears CallEnded, the other side is hung up, the bridge goes.
func (b *Binding) endConnected(ctx context.Context, engine ACD, c *callerLeg, gone telephony.CallID) {
	leg := c.leg
	c.leg = nil
	b.tell(ctx, engine, acd.CallEnded{Caller: string(c.id)})
	if gone == c.id {
		leg.connected = false
		leg.cancelled = true // its hangup event is expected now
		b.act("hangup", leg.id, b.cfg.Port.Hangup(ctx, leg.id, telephony.CauseNormalClearing))
	} else if !c.ended {
		delete(b.callers, c.id)
		b.act("hangup", c.id, b.cfg.Port.Hangup(ctx, c.id, telephony.CauseNormalClearing))
	}
	if c.bridge != "" {
		b.act("destroy bridge", telephony.CallID(c.bridge), b.cfg.Port.DestroyBridge(ctx, c.bridge))
	}
}

func (b *Binding) act(what string, id telephony.CallID, err error) {
	if err != nil {
		b.cfg.Logger.Warn("pbx action failed", "action", what, "call", id, "err", err)
	}
}

func (b *Binding) apply(ctx context.Context, engine ACD, d acd.Decision) {
	port := b.cfg.Port
	switch d := d.(type) {
	case acd.Hold:
		id := telephony.CallID(d.Caller)
		b.act("answer", id, port.Answer(ctx, id))
		if d.SoundType == "ringback" {
			b.act("ringback", id, port.StartRinging(ctx, id))
		} else {
			class := d.Sound
			if class == "" {
				class = b.cfg.MOHClass
			}
			b.act("moh", id, port.StartMOH(ctx, id, class))
		}
	case acd.Offer:
		leg := &agentLeg{id: telephony.CallID(fmt.Sprintf("%s-offer-%d", b.cfg.CallPrefix, d.ID)), offer: d.ID, caller: telephony.CallID(d.Caller)}
		b.agentLegs[leg.id] = leg
		b.byOffer[d.ID] = leg
		err := port.Originate(ctx, telephony.OriginateRequest{
			Call: leg.id, Target: d.Target, CallerIDNumber: d.CallerNumber, CallerIDName: d.CallerName,
			Timeout:   d.Timeout + b.cfg.RingMargin,
			Variables: map[string]string{"SWITCHBOARD_QUEUE": d.Queue, "SWITCHBOARD_CALLER": d.Caller, "SWITCHBOARD_AGENT": d.Agent},
		})
		if err != nil {
			b.cfg.Logger.Warn("agent leg failed to start", "agent", d.Agent, "err", err)
			delete(b.agentLegs, leg.id)
			delete(b.byOffer, d.ID)
			b.tell(ctx, engine, acd.OfferResult{Offer: d.ID, Result: acd.OfferFailed})
		}
	case acd.CancelOffer:
		if leg, ok := b.byOffer[d.ID]; ok && !leg.connected {
			leg.cancelled = true
			b.act("cancel offer", leg.id, port.Hangup(ctx, leg.id, telephony.CauseNormalClearing))
		}
	case acd.Connect:
		leg, ok := b.byOffer[d.ID]
		c, live := b.callers[telephony.CallID(d.Caller)]
		if !ok || !live {
			if ok {
				b.act("hangup", leg.id, port.Hangup(ctx, leg.id, telephony.CauseNormalClearing))
			}
			return
		}
		leg.connected = true
		c.leg = leg
		b.reportHandoff(c, true, d.Agent)
		c.bridge = telephony.BridgeID("queue-" + d.Caller)
		b.act("stop moh", c.id, port.StopMOH(ctx, c.id))
		b.act("bridge", c.id, port.Bridge(ctx, c.bridge, c.id, leg.id))
		if d.Record {
			b.act("record", c.id, port.RecordBridge(ctx, c.bridge, fmt.Sprintf("queue-%s-%s", d.Queue, d.Caller)))
		}
		if d.AgentAnnounceSound != "" {
			b.act("agent announce", leg.id, port.Play(ctx, leg.id, d.AgentAnnounceSound))
		}
	case acd.Announce:
		b.act("announce", telephony.CallID(d.Caller), port.Play(ctx, telephony.CallID(d.Caller), d.Sound))
	case acd.Transfer:
		id := telephony.CallID(d.Caller)
		b.release(ctx, id)
		b.act("transfer", id, port.Continue(ctx, id, b.dialplanTarget(d.Destination)))
	case acd.HangupCaller:
		id := telephony.CallID(d.Caller)
		b.release(ctx, id)
		b.act("hangup", id, port.Hangup(ctx, id, telephony.CauseNormalClearing))
	}
}

// release lets go of a caller the ACD sent out of its queue: a handed-over
// call's result is reported, and a connected caller (taken out on request)
// loses its agent's leg and its bridge, whose hangup the ACD does not hear
// again (it ended the call itself).
func (b *Binding) release(ctx context.Context, id telephony.CallID) {
	c, ok := b.callers[id]
	if !ok {
		return
	}
	delete(b.callers, id)
	b.reportHandoff(c, false, "")
	if leg := c.leg; leg != nil {
		c.leg = nil
		leg.connected = false
		leg.cancelled = true // its hangup event is expected now
		b.act("hangup agent", leg.id, b.cfg.Port.Hangup(ctx, leg.id, telephony.CauseNormalClearing))
	}
	if c.bridge != "" {
		b.act("destroy bridge", telephony.CallID(c.bridge), b.cfg.Port.DestroyBridge(ctx, c.bridge))
		c.bridge = ""
	}
}

// dialplanTarget reads "context,exten[,priority]" or a bare extension.
func (b *Binding) dialplanTarget(dst string) telephony.DialplanTarget {
	parts := strings.Split(dst, ",")
	if len(parts) == 1 {
		return telephony.DialplanTarget{Context: b.cfg.TransferContext, Extension: dst, Priority: 1}
	}
	t := telephony.DialplanTarget{Context: parts[0], Extension: parts[1], Priority: 1}
	if len(parts) > 2 {
		if p, err := strconv.Atoi(parts[2]); err == nil && p > 0 {
			t.Priority = p
		}
	}
	return t
}
