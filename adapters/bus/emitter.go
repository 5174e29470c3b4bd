package bus

import (
	"context"
	"log/slog"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Emitter is an event.Publisher for engines: Publish hands events to a
// buffered channel and returns; Run publishes them on the bus in batches.
// Events still buffered when the process dies are lost — state changes
// that must not lose their events go through the store's outbox (DB.InTx).
type Emitter struct {
	bus   *Bus
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
	select {
	case <-e.bus.Running():
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
	if err := e.bus.Publish(ctx, evs...); err != nil {
		e.log.Error("emitter: events lost", "count", len(evs), "err", err)
	}
}
