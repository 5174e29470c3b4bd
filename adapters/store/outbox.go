package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// OutboxEntry is one event written in the same transaction as the state
// change that produced it, waiting to be published on the bus.
type OutboxEntry struct {
	bun.BaseModel `bun:"table:outbox"`

	Seq       int64     `bun:"seq,pk,autoincrement"`
	EventID   string    `bun:"event_id,notnull"`
	Topic     string    `bun:"topic,notnull"`
	Payload   []byte    `bun:"payload,notnull"` // the event as JSON
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// Event decodes the entry's payload.
func (e OutboxEntry) Event() (event.Event, error) {
	var ev event.Event
	if err := json.Unmarshal(e.Payload, &ev); err != nil {
		return ev, fmt.Errorf("store: decode outbox entry %d: %w", e.Seq, err)
	}
	return ev, nil
}

// DefaultTopic is the outbox topic used by Outbox.Emit.
const DefaultTopic = "events"

// Outbox collects the events of one transaction; see DB.InTx.
type Outbox struct {
	now     time.Time
	entries []OutboxEntry
}

// Emit queues events to commit with the transaction. An event without an ID
// gets one, so a republished event keeps its identity.
func (o *Outbox) Emit(events ...event.Event) error {
	return o.EmitTopic(DefaultTopic, events...)
}

// EmitTopic is Emit on a named topic.
func (o *Outbox) EmitTopic(topic string, events ...event.Event) error {
	for _, ev := range events {
		if ev.ID == "" {
			ev.ID = NewID("evt_")
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("store: encode event %s: %w", ev.Type, err)
		}
		o.entries = append(o.entries, OutboxEntry{EventID: ev.ID, Topic: topic, Payload: b, CreatedAt: o.now})
	}
	return nil
}

// InTx runs fn in one transaction. Events fn emits through the Outbox are
// written to the outbox table in that same transaction, so the state change
// and its events commit (or roll back) together; after the commit the
// outbox's watchers are woken.
func (db *DB) InTx(ctx context.Context, now time.Time, fn func(ctx context.Context, tx bun.Tx, out *Outbox) error) error {
	out := &Outbox{now: now.UTC()}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := fn(ctx, tx, out); err != nil {
			return err
		}
		if len(out.entries) == 0 {
			return nil
		}
		if _, err := tx.NewInsert().Model(&out.entries).ExcludeColumn("seq").Returning("NULL").Exec(ctx); err != nil {
			return fmt.Errorf("store: write %d outbox entries: %w", len(out.entries), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(out.entries) > 0 {
		db.notifyOutbox()
	}
	return nil
}

// WatchOutbox returns a channel that receives (coalesced) whenever a
// transaction of this process commits outbox entries.
func (db *DB) WatchOutbox() <-chan struct{} {
	ch := make(chan struct{}, 1)
	db.notifyMu.Lock()
	db.outboxCh = append(db.outboxCh, ch)
	db.notifyMu.Unlock()
	return ch
}

func (db *DB) notifyOutbox() {
	db.notifyMu.Lock()
	defer db.notifyMu.Unlock()
	for _, ch := range db.outboxCh {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// PendingOutbox returns up to limit outbox entries in commit order.
func (db *DB) PendingOutbox(ctx context.Context, limit int) ([]OutboxEntry, error) {
	var es []OutboxEntry
	if err := db.NewSelect().Model(&es).OrderExpr("seq").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: read outbox: %w", err)
	}
	return es, nil
}

// DeleteOutbox removes published entries by their sequence numbers.
func (db *DB) DeleteOutbox(ctx context.Context, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	if _, err := db.NewDelete().Model((*OutboxEntry)(nil)).Where("seq IN (?)", bun.In(seqs)).Exec(ctx); err != nil {
		return fmt.Errorf("store: delete %d outbox entries: %w", len(seqs), err)
	}
	return nil
}
