package bus

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// RelayConfig configures an outbox relay.
type RelayConfig struct {
	DB  *store.DB
	Bus *Bus
	// Clock drives the poll timer. Default clock.Real{}.
	Clock clock.Clock
	// PollInterval bounds how late an entry committed by another process is
	// seen; commits in this process wake the relay at once. Default 1 s.
	PollInterval time.Duration
	// BatchSize is the most events published as one message. Default 256.
	BatchSize int
	Logger    *slog.Logger
}

// Relay moves committed outbox entries onto the bus, oldest first, and
// deletes them once the bus holds them. A crash between the two republishes
// the same events with the same ids, which sinks deduplicate.
type Relay struct {
	cfg  RelayConfig
	wake <-chan struct{}
}

// NewRelay validates cfg and subscribes to the database's outbox commits.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.DB == nil {
		return nil, &store.FieldError{Field: "db", Reason: "required"}
	}
	if cfg.Bus == nil {
		return nil, &store.FieldError{Field: "bus", Reason: "required"}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Relay{cfg: cfg, wake: cfg.DB.WatchOutbox()}, nil
}

// Run relays until ctx ends, starting once the bus's sinks run. Errors are
// logged and retried after PollInterval; entries are deleted only after the
// bus accepted them.
func (r *Relay) Run(ctx context.Context) error {
	select {
	case <-r.cfg.Bus.Running():
	case <-ctx.Done():
		return nil
	}
	for {
		n, err := r.RelayOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.cfg.Logger.Error("outbox relay", "err", err)
		}
		if err == nil && n == r.cfg.BatchSize {
			continue // more waiting
		}
		t := r.cfg.Clock.NewTimer(r.cfg.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

// RelayOnce publishes up to one batch and returns how many events it moved.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	es, err := r.cfg.DB.PendingOutbox(ctx, r.cfg.BatchSize)
	if err != nil || len(es) == 0 {
		return 0, err
	}
	evs := make([]event.Event, 0, len(es))
	seqs := make([]int64, 0, len(es))
	for _, e := range es {
		seqs = append(seqs, e.Seq)
		ev, err := e.Event()
		if err != nil {
			r.cfg.Logger.Error("outbox relay: dropping undecodable entry", "seq", e.Seq, "err", err)
			continue
		}
		evs = append(evs, ev)
	}
	if err := r.cfg.Bus.Publish(ctx, evs...); err != nil {
		return 0, fmt.Errorf("relay %d outbox events: %w", len(evs), err)
	}
	if err := r.cfg.DB.DeleteOutbox(ctx, seqs); err != nil {
		return 0, err
	}
	return len(es), nil
}
