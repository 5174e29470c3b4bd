package bus

import (
	"context"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Emitter is an event.Publisher for engines: Publish hands events to a
// buffered channel and returns; Run writes them in batches to the bus
// (NewEmitter) or to the store's outbox (NewOutboxEmitter), from which the
// relay publishes them. Events still buffered when the process dies are
// lost; once in the outbox they survive it. State changes that must commit
// with their events go through DB.InTx instead.
type Emitter struct {
	bus   *Bus // nil: write to the outbox
	db    *store.DB
	clock clock.Clock
	ch    chan []event.Event
	batch int
	log   *slog.Logger
}

var _ event.Publisher = (*Emitter)(nil)

// NewEmitter returns an emitter buffering up to buffer Publish calls
// (default 4096) and publishing up to batch events per message (default 256).
func NewEmitter(b *Bus, buffer, batch int, log *slog.Logger) *Emitter {
	if buffer <= 0 {
		buffer = 4096
	}
	if batch <= 0 {
		batch = 256
	}
	if log == nil {
		log = slog.Default()
	}
	return &Emitter{bus: b, ch: make(chan []event.Event, buffer), batch: batch, log: log}
}

// OutboxEmitterConfig configures NewOutboxEmitter.
type OutboxEmitterConfig struct {
	DB *store.DB
	// Clock stamps outbox entries and paces retries. Default clock.Real{}.
	Clock clock.Clock
	// Buffer is how many Publish calls may wait (default 4096); Batch the
	// most events written per transaction (default 256).
	Buffer, Batch int
	Logger        *slog.Logger
}

// NewOutboxEmitter returns an emitter that commits events to the outbox,
// one transaction per batch; a relay (NewRelay) publishes them.
func NewOutboxEmitter(cfg OutboxEmitterConfig) (*Emitter, error) {
	if cfg.DB == nil {
		return nil, &store.FieldError{Field: "db", Reason: "required"}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	e := NewEmitter(nil, cfg.Buffer, cfg.Batch, cfg.Logger)
	e.db, e.clock = cfg.DB, cfg.Clock
	return e, nil
}

// Publish queues events; it blocks only while the buffer is full.
func (e *Emitter) Publish(events ...event.Event) {
	if len(events) == 0 {
		return
	}
	e.ch <- append([]event.Event(nil), events...)
}

// Run publishes queued events until ctx ends, then publishes what is
// already queued (with a fresh context) and returns. It starts publishing
// once the bus's sinks run; until then Publish calls queue.
func (e *Emitter) Run(ctx context.Context) error {
	var running <-chan struct{}
	if e.bus != nil {
		running = e.bus.Running()
	} else {
		ready := make(chan struct{})
		close(ready)
		running = ready
	}
	select {
	case <-running:
	case <-ctx.Done():
		e.drain(context.WithoutCancel(ctx))
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			e.drain(context.WithoutCancel(ctx))
			return nil
		case evs := <-e.ch:
			e.flush(ctx, e.collect(evs))
		}
	}
}

func (e *Emitter) collect(evs []event.Event) []event.Event {
	for len(evs) < e.batch {
		select {
		case more := <-e.ch:
			evs = append(evs, more...)
		default:
			return evs
		}
	}
	return evs
}

func (e *Emitter) drain(ctx context.Context) {
	for {
		select {
		case evs := <-e.ch:
			e.flush(ctx, e.collect(evs))
		default:
			return
		}
	}
}

func (e *Emitter) flush(ctx context.Context, evs []event.Event) {
	if e.bus != nil {
		if err := e.bus.Publish(ctx, evs...); err != nil {
			e.log.Error("emitter: events lost", "count", len(evs), "err", err)
		}
		return
	}
	// A busy or briefly unreachable database gets a few more tries; the
	// events are lost only if it stays down.
	wait := 50 * time.Millisecond
	for try := 1; ; try++ {
		err := e.db.InTx(ctx, e.clock.Now(), func(_ context.Context, _ bun.Tx, out *store.Outbox) error {
			return out.Emit(evs...)
		})
		if err == nil {
			return
		}
		if try == outboxTries || ctx.Err() != nil {
			e.log.Error("emitter: events lost: the outbox write failed", "count", len(evs), "tries", try, "err", err)
			return
		}
		e.log.Warn("emitter: outbox write failed; retrying", "count", len(evs), "err", err)
		t := e.clock.NewTimer(wait)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// outboxTries bounds the outbox writes of one batch (about 10 s of retries).
const outboxTries = 8
