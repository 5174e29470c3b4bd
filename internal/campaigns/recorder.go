package campaigns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Recorder is the dialer engine's event.Publisher: it writes each batch of
// the dialer's events to the store (attempts, contact progress, campaign
// states) together with the events themselves in the outbox, in one
// transaction, before the decisions of the same step leave the engine. The
// outbox relay then publishes them on the bus, so a crash loses neither the
// progress nor a webhook.
//
// It runs on the engine's goroutine: a write is the price of the
// write-ahead guarantee (no originate leaves before its attempt is stored).
type Recorder struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time

	mu sync.Mutex
	// restoring maps a campaign being restored to its stored state: the
	// state changes that rebuild it in the engine are not news.
	restoring map[string]dialer.State
	// unrecorded holds calls whose attempt.started could not be stored;
	// Guard refuses to originate them.
	unrecorded map[telephony.CallID]bool
}

// NewRecorder returns a Recorder over db.
func NewRecorder(db *store.DB, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.Default()
	}
	return &Recorder{db: db, log: log, now: time.Now, restoring: map[string]dialer.State{}, unrecorded: map[telephony.CallID]bool{}}
}

// recordTries bounds the retries of one batch's transaction.
const recordTries = 3

// Publish implements event.Publisher.
func (r *Recorder) Publish(events ...event.Event) {
	events = r.filter(events)
	if len(events) == 0 {
		return
	}
	var err error
	for range recordTries {
		if err = r.db.RecordDialerEvents(context.Background(), r.now(), events); err == nil {
			return
		}
	}
	r.log.Error("dialer: events not recorded; their calls are not placed", "events", len(events), "err", err)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range events {
		if e.Type == event.AttemptStarted {
			r.unrecorded[telephony.CallID(e.Call)] = true
		}
	}
}

func (r *Recorder) filter(events []event.Event) []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.restoring) == 0 {
		return events
	}
	out := events[:0:0]
	for _, e := range events {
		if st, ok := r.restoring[e.Campaign]; ok && e.Type == event.CampaignStateChanged && (e.To == string(dialer.StateCreated) || e.To == string(st)) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func (r *Recorder) restore(campaign string, st dialer.State) {
	r.mu.Lock()
	r.restoring[campaign] = st
	r.mu.Unlock()
}

func (r *Recorder) restored() {
	r.mu.Lock()
	clear(r.restoring)
	r.mu.Unlock()
}

// ErrNotRecorded refuses an originate whose attempt could not be stored.
var ErrNotRecorded = errors.New("campaigns: attempt not recorded; call not placed")

// Guard wraps the dialer's port so that a call whose attempt.started was not
// stored is never originated (the dialer sees it fail).
func (r *Recorder) Guard(port dialer.CallPort) dialer.CallPort { return guardedPort{port, r} }

type guardedPort struct {
	dialer.CallPort
	r *Recorder
}

func (g guardedPort) Originate(ctx context.Context, req telephony.OriginateRequest) error {
	g.r.mu.Lock()
	bad := g.r.unrecorded[req.Call]
	delete(g.r.unrecorded, req.Call)
	g.r.mu.Unlock()
	if bad {
		return fmt.Errorf("originate %s: %w", req.Call, ErrNotRecorded)
	}
	return g.CallPort.Originate(ctx, req)
}
