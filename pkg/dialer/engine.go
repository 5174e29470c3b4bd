package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// CallPort is the part of the PBX port the engine uses.
type CallPort interface {
	telephony.Originator
	Hangup(ctx context.Context, call telephony.CallID, cause telephony.Cause) error
	Continue(ctx context.Context, call telephony.CallID, to telephony.DialplanTarget) error
	Bridge(ctx context.Context, bridge telephony.BridgeID, calls ...telephony.CallID) error
	telephony.Recorder
	Play(ctx context.Context, call telephony.CallID, media string) error
	Redirect(ctx context.Context, call telephony.CallID, to telephony.Target) error
}

// QueueHandoff gives answered calls to the ACD. The ACD reports back through
// Engine.Do with a QueueResult (and AgentSupply whenever its agents change).
type QueueHandoff interface {
	HandToQueue(ctx context.Context, h HandToQueue) error
}

// EngineConfig wires an Engine.
type EngineConfig struct {
	Dialer Config
	Clock  clock.Clock
	Port   CallPort
	Calls  telephony.EventSource
	// Queue is needed for agent modes (preview, progressive, ratio, predictive).
	Queue     QueueHandoff
	Contacts  ContactSource
	Publisher event.Publisher
	Logger    *slog.Logger
}

func (c *EngineConfig) setDefaults() {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Publisher == nil {
		c.Publisher = event.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate checks the wiring.
func (c EngineConfig) Validate() error {
	if c.Port == nil {
		return &FieldError{Field: "port", Reason: "required"}
	}
	if c.Calls == nil {
		return &FieldError{Field: "calls", Reason: "required"}
	}
	if c.Contacts == nil {
		return &FieldError{Field: "contacts", Reason: "required"}
	}
	return nil
}

// Engine is the goroutine that owns one Dialer: it feeds it commands, call
// events and wake-ups read from the injected clock, publishes its events and
// hands its decisions to a worker goroutine, so the owner never waits on I/O.
type Engine struct {
	cfg     EngineConfig
	d       *Dialer
	inbox   chan request
	results chan Command
	stopped chan struct{}
}

type request struct {
	cmd   Command
	stats string
	reply chan reply
}

type reply struct {
	err   error
	stats Stats
}

// NewEngine returns an engine; Run starts it.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d, err := New(cfg.Dialer)
	if err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg, d: d, inbox: make(chan request), results: make(chan Command, 64), stopped: make(chan struct{})}, nil
}

// ErrEngineStopped is returned by Do after Run has returned.
var ErrEngineStopped = errors.New("dialer engine stopped")

// Do applies a command and returns its error (a *FieldError for bad input).
func (e *Engine) Do(ctx context.Context, cmd Command) error {
	r, err := e.ask(ctx, request{cmd: cmd})
	return errors.Join(err, r.err)
}

// Stats returns a campaign's statistics.
func (e *Engine) Stats(ctx context.Context, campaign string) (Stats, error) {
	r, err := e.ask(ctx, request{stats: campaign})
	if err != nil {
		return Stats{}, err
	}
	return r.stats, r.err
}

func (e *Engine) ask(ctx context.Context, req request) (reply, error) {
	req.reply = make(chan reply, 1)
	select {
	case e.inbox <- req:
	case <-e.stopped:
		return reply{}, ErrEngineStopped
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r, nil
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

// Run owns the Dialer until ctx ends. It starts one worker goroutine for
// decisions and stops it before returning. Call it once.
func (e *Engine) Run(ctx context.Context) error {
	defer close(e.stopped)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	calls, err := e.cfg.Calls.Events(ctx)
	if err != nil {
		return fmt.Errorf("dialer engine: call events: %w", err)
	}
	work := make(chan Decision)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.worker(ctx, work)
	}()
	defer func() {
		cancel()
		<-done
	}()

	var (
		pending []Decision
		timer   clock.Timer
		timerC  <-chan time.Time
	)
	step := func(out Output) {
		if len(out.Events) > 0 {
			e.cfg.Publisher.Publish(out.Events...)
		}
		pending = append(pending, out.Decisions...)
		if timer != nil {
			timer.Stop()
			timer, timerC = nil, nil
		}
		if !out.Wake.IsZero() {
			timer = e.cfg.Clock.NewTimer(out.Wake.Sub(e.cfg.Clock.Now()))
			timerC = timer.C()
		}
	}
	handle := func(cmd Command) error {
		out, err := e.d.Handle(e.cfg.Clock.Now(), cmd)
		if err != nil {
			return err
		}
		step(out)
		return nil
	}
	for {
		var send chan Decision
		var next Decision
		if len(pending) > 0 {
			send, next = work, pending[0]
		}
		select {
		case <-ctx.Done():
			return nil
		case send <- next:
			pending[0] = nil
			pending = pending[1:]
		case req := <-e.inbox:
			if req.cmd == nil {
				st, err := e.d.Stats(req.stats, e.cfg.Clock.Now())
				req.reply <- reply{stats: st, err: err}
				continue
			}
			req.reply <- reply{err: handle(req.cmd)}
		case cmd := <-e.results:
			if err := handle(cmd); err != nil {
				e.cfg.Logger.Warn("dialer: worker result refused", "command", fmt.Sprintf("%T", cmd), "err", err)
			}
		case ev, ok := <-calls:
			if !ok {
				return errors.New("dialer engine: call events closed")
			}
			_ = handle(CallEvent{Event: ev})
		case <-timerC:
			timer, timerC = nil, nil
			step(e.d.Advance(e.cfg.Clock.Now()))
		}
	}
}

// fetchRetry is the pause after a contact source error.
const fetchRetry = 5 * time.Second

// worker carries decisions out in order, and sends what it learns back to
// the owner as commands. It owns the contact cursors.
func (e *Engine) worker(ctx context.Context, work <-chan Decision) {
	cursors := map[string]string{}
	back := func(cmd Command) {
		select {
		case e.results <- cmd:
		case <-ctx.Done():
		}
	}
	log := e.cfg.Logger
	for {
		var x Decision
		select {
		case <-ctx.Done():
			return
		case x = <-work:
		}
		switch x := x.(type) {
		case Originate:
			if err := e.cfg.Port.Originate(ctx, x.Request); err != nil {
				log.Warn("dialer: originate failed", "call", x.Request.Call, "err", err)
				back(CallEvent{Event: telephony.Event{Kind: telephony.EventOriginateFailed, Call: x.Request.Call, Outcome: telephony.OutcomeFailed}})
			}
		case Hangup:
			if err := e.cfg.Port.Hangup(ctx, x.Call, x.Cause); err != nil {
				log.Debug("dialer: hangup", "call", x.Call, "err", err)
			}
		case ContinueDialplan:
			if err := e.cfg.Port.Continue(ctx, x.Call, x.To); err != nil {
				log.Warn("dialer: continue", "call", x.Call, "err", err)
				_ = e.cfg.Port.Hangup(ctx, x.Call, telephony.CauseNormalClearing)
			}
		case Bridge:
			if err := e.cfg.Port.Bridge(ctx, x.Bridge, x.Calls...); err != nil {
				log.Warn("dialer: bridge", "bridge", x.Bridge, "err", err)
				for _, c := range x.Calls {
					_ = e.cfg.Port.Hangup(ctx, c, telephony.CauseNormalClearing)
				}
			}
		case Record:
			if err := e.cfg.Port.RecordCall(ctx, x.Call, x.Name); err != nil {
				log.Warn("dialer: record", "call", x.Call, "recording", x.Name, "err", err)
				back(RecordingFailed(x))
			}
		case Redirect:
			if err := e.cfg.Port.Redirect(ctx, x.Call, x.To); err != nil {
				log.Warn("dialer: redirect", "call", x.Call, "err", err)
			}
		case HandToQueue:
			if e.cfg.Queue == nil {
				back(QueueResult{Call: x.Call})
				continue
			}
			if err := e.cfg.Queue.HandToQueue(ctx, x); err != nil {
				log.Warn("dialer: hand to queue", "call", x.Call, "err", err)
				back(QueueResult{Call: x.Call})
			}
		case Play:
			if err := e.cfg.Port.Play(ctx, x.Call, x.Media); err != nil {
				log.Debug("dialer: play", "call", x.Call, "err", err)
				_ = e.cfg.Port.Hangup(ctx, x.Call, telephony.CauseNormalClearing)
			}
		case FetchContacts:
			batch, next, err := e.cfg.Contacts.NextContacts(ctx, x.Campaign, cursors[x.Campaign], x.Max)
			if err != nil {
				log.Warn("dialer: fetch contacts", "campaign", x.Campaign, "err", err)
				back(FetchFailed{Campaign: x.Campaign, RetryAt: e.cfg.Clock.Now().Add(fetchRetry)})
				continue
			}
			cursors[x.Campaign] = next
			back(AddContacts{Campaign: x.Campaign, Contacts: batch, Exhausted: len(batch) < x.Max})
		}
	}
}
