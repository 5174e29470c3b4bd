package acd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// DecisionSink carries the ACD's decisions to the PBX side. Decide is called
// from the engine's goroutine while it owns the state, so it must hand the
// decisions on (to a channel, a worker) and not do I/O itself. The slice is
// reused after Decide returns: copy what is kept.
type DecisionSink interface {
	Decide(decisions []Decision)
}

// DecisionSinkFunc adapts a function to DecisionSink.
type DecisionSinkFunc func([]Decision)

// Decide calls f.
func (f DecisionSinkFunc) Decide(ds []Decision) { f(ds) }

// View is the read-only face of the core given to Engine.Read.
type View interface {
	QueueStatus(id string) (QueueStatus, error)
	Members(id string, now time.Time) ([]Member, error)
	Queue(id string) (QueueConfig, error)
	QueueIDs() []string
	AgentIDs() []string
	Agent(id string) (AgentInfo, error)
	Tiers(queueID string) ([]Tier, error)
	Supply(queueID string) (Supply, error)
}

var _ View = (*Core)(nil)

// EngineConfig configures an Engine.
type EngineConfig struct {
	Core CoreConfig
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// Decisions receives every decision; required.
	Decisions DecisionSink
	// Events receives every domain event; defaults to event.Discard.
	Events event.Publisher
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Backlog is how many commands may wait for the engine; default 1024.
	Backlog int
}

func (c *EngineConfig) setDefaults() {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Events == nil {
		c.Events = event.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Backlog == 0 {
		c.Backlog = 1024
	}
}

// Validate reports the first field that is wrong.
func (c EngineConfig) Validate() error {
	if c.Decisions == nil {
		return fieldErr("decisions", nil, "is required")
	}
	if c.Backlog < 0 {
		return fieldErr("backlog", c.Backlog, "must not be negative")
	}
	return c.Core.Validate()
}

// Engine is the goroutine that owns a Core: commands go in through Do,
// reads through Read, decisions and events come out through the sinks, and
// timers fire on the injected clock.
type Engine struct {
	cfg  EngineConfig
	core *Core
	reqs chan request
	done chan struct{}
}

type request struct {
	cmd   Command
	read  func(View, time.Time)
	reply chan error
}

// NewEngine returns an engine; call Run to start it.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("acd engine: %w", err)
	}
	core, err := NewCore(cfg.Core)
	if err != nil {
		return nil, fmt.Errorf("acd engine: %w", err)
	}
	return &Engine{cfg: cfg, core: core, reqs: make(chan request, cfg.Backlog), done: make(chan struct{})}, nil
}

// Run owns the core until ctx ends; then Do and Read fail with ErrStopped.
func (e *Engine) Run(ctx context.Context) error {
	defer close(e.done)
	for {
		var (
			timer clock.Timer
			fire  <-chan time.Time
		)
		if at, ok := e.core.NextDeadline(); ok {
			timer = e.cfg.Clock.NewTimer(max(at.Sub(e.cfg.Clock.Now()), 0))
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case req := <-e.reqs:
			now := e.cfg.Clock.Now()
			if req.read != nil {
				req.read(e.core, now)
				req.reply <- nil
				break
			}
			out, err := e.core.Handle(now, req.cmd)
			e.deliver(out)
			req.reply <- err
		case <-fire:
			e.deliver(e.core.Advance(e.cfg.Clock.Now()))
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

func (e *Engine) deliver(out Output) {
	if len(out.Decisions) > 0 {
		e.cfg.Decisions.Decide(out.Decisions)
	}
	if len(out.Events) > 0 {
		e.cfg.Events.Publish(slices.Clone(out.Events)...)
	}
}

// Do applies a command and returns its error (a *FieldError or one of the
// sentinel errors, wrapped).
func (e *Engine) Do(ctx context.Context, cmd Command) error {
	return e.send(ctx, request{cmd: cmd, reply: make(chan error, 1)})
}

// Read runs f on the engine's goroutine with a read-only view of the state
// and the engine's time. f must not keep the view.
func (e *Engine) Read(ctx context.Context, f func(v View, now time.Time)) error {
	return e.send(ctx, request{read: f, reply: make(chan error, 1)})
}

func (e *Engine) send(ctx context.Context, req request) error {
	select {
	case e.reqs <- req:
	case <-e.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-e.done:
		// Run may have answered just before it stopped.
		select {
		case err := <-req.reply:
			return err
		default:
			return ErrStopped
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// IsBadInput reports whether err is the caller's fault (bad field or unknown
// reference) rather than the engine's state.
func IsBadInput(err error) bool {
	var fe *FieldError
	return errors.As(err, &fe) || errors.Is(err, ErrUnknownQueue) || errors.Is(err, ErrUnknownAgent) ||
		errors.Is(err, ErrUnknownCaller) || errors.Is(err, ErrUnknownTier) || errors.Is(err, ErrDuplicate)
}
