package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Delivery states.
const (
	DeliveryPending   = "pending"   // waiting for its next attempt (or in flight under a lease)
	DeliveryDelivered = "delivered" // the endpoint answered 2xx
	DeliveryDead      = "dead"      // retries exhausted or a permanent failure: the dead-letter list
)

// Delivery is one webhook request to send, stored before its first attempt.
// Its ID is the stable idempotency key sent as webhook-id on every attempt.
type Delivery struct {
	bun.BaseModel `bun:"table:deliveries"`

	Seq            int64  `bun:"seq,pk,autoincrement"`
	ID             string `bun:"id,notnull"`
	SubscriptionID string `bun:"subscription_id,notnull"`
	Tenant         string `bun:"tenant,notnull"`
	EventID        string `bun:"event_id,notnull"`
	EventType      string `bun:"event_type,notnull"`
	Method         string `bun:"method,notnull"`
	ContentType    string `bun:"content_type,notnull"`
	Query          string `bun:"query,notnull"` // encoded query appended to the URL
	// URL, when set, is where this delivery goes instead of its
	// subscription's URL (a dialect that renders one event to several).
	URL string `bun:"url,notnull"`
	// Header holds extra request headers the renderer set.
	Header   map[string]string `bun:"header,type:text"`
	Body     []byte            `bun:"body"`
	State    string            `bun:"state,notnull"`
	Attempts int               `bun:"attempts,notnull"`
	// NextAttemptNS and LeaseUntilNS are Unix nanoseconds so both dialects
	// compare them as integers.
	NextAttemptNS int64     `bun:"next_attempt_ns,notnull"`
	LeaseUntilNS  int64     `bun:"lease_until_ns,notnull"`
	LastStatus    int       `bun:"last_status,notnull"`
	LastError     string    `bun:"last_error,notnull"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
	UpdatedAt     time.Time `bun:"updated_at,notnull"`
	FinishedAt    time.Time `bun:"finished_at,nullzero"`
}

// NextAttempt is when the delivery is due.
func (d Delivery) NextAttempt() time.Time { return time.Unix(0, d.NextAttemptNS).UTC() }

// InsertDeliveries stores new pending deliveries due at their NextAttemptNS
// (and already leased until LeaseUntilNS when the caller attempts them at
// once). A delivery whose ID already exists is skipped (a re-delivered event
// does not enqueue twice); it returns the deliveries actually inserted.
func (db *DB) InsertDeliveries(ctx context.Context, ds []Delivery, now time.Time) ([]Delivery, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	for i := range ds {
		d := &ds[i]
		if d.ID == "" {
			return nil, &FieldError{Field: "id", Reason: "required"}
		}
		d.State = DeliveryPending
		d.CreatedAt, d.UpdatedAt = now.UTC(), now.UTC()
		if d.NextAttemptNS == 0 {
			d.NextAttemptNS = now.UnixNano()
		}
	}
	if db.dialect == SQLite {
		return db.insertDeliveriesPrepared(ctx, ds)
	}
	if len(ds) >= copyMinRows {
		err := db.copyDeliveries(ctx, ds)
		if err == nil {
			return ds, nil
		}
		if !isUniqueViolation(err) {
			return nil, fmt.Errorf("store: insert %d deliveries: %w", len(ds), err)
		}
		// Some were stored before (a redelivered event): the insert below
		// skips those one by one.
	}
	var ids []string
	err := db.NewInsert().Model(&ds).ExcludeColumn("seq").On("CONFLICT (id) DO NOTHING").Returning("id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: insert %d deliveries: %w", len(ds), err)
	}
	if len(ids) == len(ds) {
		return ds, nil
	}
	in := make(map[string]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	out := make([]Delivery, 0, len(ids))
	for _, d := range ds {
		if in[d.ID] {
			out = append(out, d)
		}
	}
	return out, nil
}

// insertDeliveriesPrepared inserts row by row through one prepared
// statement in one transaction: on SQLite that is cheaper than parsing a
// large multi-row VALUES statement (there is no network round trip to save).
func (db *DB) insertDeliveriesPrepared(ctx context.Context, ds []Delivery) ([]Delivery, error) {
	out := make([]Delivery, 0, len(ds))
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		out = out[:0]
		st, err := tx.PrepareContext(ctx, `INSERT INTO deliveries (id, subscription_id, tenant, event_id, event_type, method,
			content_type, query, url, header, body, state, attempts, next_attempt_ns, lease_until_ns, last_status, last_error, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0, '', ?, ?) ON CONFLICT (id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, d := range ds {
			header, err := headerColumn(d.Header)
			if err != nil {
				return err
			}
			res, err := st.ExecContext(ctx, d.ID, d.SubscriptionID, d.Tenant, d.EventID, d.EventType, d.Method,
				d.ContentType, d.Query, d.URL, header, d.Body, d.State, d.NextAttemptNS, d.LeaseUntilNS, d.CreatedAt, d.UpdatedAt)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				id, _ := res.LastInsertId()
				d.Seq = id
				out = append(out, d)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: insert %d deliveries: %w", len(ds), err)
	}
	return out, nil
}

// ClaimDeliveries leases up to limit pending deliveries due at now until
// leaseUntil, oldest due first. A lease keeps other workers (and this one,
// after a restart) off a delivery while it is attempted; an expired lease
// makes it claimable again, which is how a crash resumes.
func (db *DB) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	lock := ""
	if db.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var ds []Delivery
	n := now.UnixNano()
	err := db.NewRaw(`UPDATE deliveries SET lease_until_ns = ?, updated_at = ?
		WHERE seq IN (SELECT seq FROM deliveries
			WHERE state = 'pending' AND next_attempt_ns <= ? AND lease_until_ns <= ?
			ORDER BY next_attempt_ns, seq LIMIT ?`+lock+`)
		RETURNING *`, leaseUntil.UnixNano(), now.UTC(), n, n, limit).Scan(ctx, &ds)
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	slices.SortFunc(ds, func(a, b Delivery) int {
		if a.NextAttemptNS != b.NextAttemptNS {
			return cmpInt(a.NextAttemptNS, b.NextAttemptNS)
		}
		return cmpInt(a.Seq, b.Seq)
	})
	return ds, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// NextDeliveryDue returns when the earliest pending delivery becomes
// claimable (its due time, or its lease's end if later); ok is false when
// nothing is pending.
func (db *DB) NextDeliveryDue(ctx context.Context) (due time.Time, ok bool, err error) {
	var ns *int64
	err = db.NewRaw(`SELECT MIN(CASE WHEN lease_until_ns > next_attempt_ns THEN lease_until_ns ELSE next_attempt_ns END)
		FROM deliveries WHERE state = 'pending'`).Scan(ctx, &ns)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next delivery due: %w", err)
	}
	if ns == nil {
		return time.Time{}, false, nil
	}
	return time.Unix(0, *ns).UTC(), true, nil
}

// AttemptResult is what became of one attempt of a leased delivery.
type AttemptResult struct {
	ID       string // the delivery's id
	Attempts int    // the delivery's attempt count including this one
	State    string // DeliveryDelivered, DeliveryPending (retry at NextAttempt) or DeliveryDead
	Status   int    // HTTP status, 0 when none
	Error    string
	// NextAttempt is when a retry is due (State pending).
	NextAttempt time.Time
}

// RecordAttempts stores attempt results in one transaction and releases their leases.
func (db *DB) RecordAttempts(ctx context.Context, rs []AttemptResult, now time.Time) error {
	if len(rs) == 0 {
		return nil
	}
	now = now.UTC()
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.relaxDurability(ctx, tx); err != nil {
			return err
		}
		// Successes share their values but the status and attempt count; group them.
		type key struct{ attempts, status int }
		ok := map[key][]string{}
		for _, r := range rs {
			if r.State == DeliveryDelivered {
				k := key{r.Attempts, r.Status}
				ok[k] = append(ok[k], r.ID)
				continue
			}
			q := tx.NewUpdate().Model((*Delivery)(nil)).
				Set("state = ?", r.State).Set("attempts = ?", r.Attempts).
				Set("last_status = ?", r.Status).Set("last_error = ?", r.Error).
				Set("lease_until_ns = 0").Set("updated_at = ?", now).
				Where("id = ?", r.ID)
			switch r.State {
			case DeliveryPending:
				q = q.Set("next_attempt_ns = ?", r.NextAttempt.UnixNano())
			case DeliveryDead:
				q = q.Set("finished_at = ?", now)
			default:
				return &FieldError{Field: "state", Reason: fmt.Sprintf("unknown delivery state %q", r.State)}
			}
			if _, err := q.Exec(ctx); err != nil {
				return fmt.Errorf("store: record attempt of delivery %s: %w", r.ID, err)
			}
		}
		for k, ids := range ok {
			_, err := tx.NewUpdate().Model((*Delivery)(nil)).
				Set("state = ?", DeliveryDelivered).Set("attempts = ?", k.attempts).
				Set("last_status = ?", k.status).Set("last_error = ''").
				Set("lease_until_ns = 0").Set("updated_at = ?", now).Set("finished_at = ?", now).
				Where("id IN (?)", bun.In(ids)).Exec(ctx)
			if err != nil {
				return fmt.Errorf("store: record %d deliveries: %w", len(ids), err)
			}
		}
		return nil
	})
}

// relaxDurability lets a PostgreSQL transaction commit without waiting for
// its WAL flush. Used only where losing the last commits to a database crash
// is harmless: an attempt result lost that way means one more attempt
// (at-least-once), never a lost delivery.
func (db *DB) relaxDurability(ctx context.Context, tx bun.Tx) error {
	if db.dialect != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
		return fmt.Errorf("store: relax durability: %w", err)
	}
	return nil
}

// Delivery returns one delivery by its id.
func (db *DB) Delivery(ctx context.Context, id string) (Delivery, error) {
	var d Delivery
	err := db.NewSelect().Model(&d).Where("id = ?", id).Scan(ctx)
	return d, notFound(err, "delivery", id)
}

// DeliveryFilter selects deliveries to list.
type DeliveryFilter struct {
	State          string // required
	SubscriptionID string // optional
	Tenant         string // optional
	AfterSeq       int64  // page after this sequence number
	Limit          int    // default 100, max 1000
}

// Deliveries lists deliveries in sequence order.
func (db *DB) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	if f.State == "" {
		return nil, &FieldError{Field: "state", Reason: "required"}
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	var ds []Delivery
	q := db.NewSelect().Model(&ds).Where("state = ?", f.State).Where("seq > ?", f.AfterSeq).OrderExpr("seq").Limit(int64(f.Limit))
	if f.SubscriptionID != "" {
		q = q.Where("subscription_id = ?", f.SubscriptionID)
	}
	if f.Tenant != "" {
		q = q.Where("tenant = ?", f.Tenant)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list deliveries: %w", err)
	}
	return ds, nil
}

// DeadLetters lists dead deliveries (retries exhausted or permanently refused).
func (db *DB) DeadLetters(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	f.State = DeliveryDead
	return db.Deliveries(ctx, f)
}

// ReplayDeadLetters makes the named dead deliveries pending again, due now,
// with a fresh attempt count. Unknown or non-dead ids are ignored; it returns
// how many were requeued.
func (db *DB) ReplayDeadLetters(ctx context.Context, ids []string, now time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := db.NewUpdate().Model((*Delivery)(nil)).
		Set("state = ?", DeliveryPending).Set("attempts = 0").Set("next_attempt_ns = ?", now.UnixNano()).
		Set("lease_until_ns = 0").Set("updated_at = ?", now.UTC()).Set("finished_at = NULL").
		Where("state = ?", DeliveryDead).Where("id IN (?)", bun.In(ids)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: replay dead letters: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ReleaseLeases makes leased pending deliveries claimable again at once.
// With lease non-zero, only rows holding exactly that lease are released.
func (db *DB) ReleaseLeases(ctx context.Context, ids []string, lease int64) error {
	if len(ids) == 0 {
		return nil
	}
	q := db.NewUpdate().Model((*Delivery)(nil)).Set("lease_until_ns = 0").
		Where("state = ?", DeliveryPending).Where("id IN (?)", bun.In(ids))
	if lease != 0 {
		q = q.Where("lease_until_ns = ?", lease)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("store: release %d leases: %w", len(ids), err)
	}
	return nil
}

// headerColumn encodes a delivery's extra headers as bun stores a map in a
// text column (JSON; NULL when there are none).
func headerColumn(h map[string]string) (any, error) {
	if len(h) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	return string(b), nil
}

// copyMinRows is the batch size from which PostgreSQL inserts go through
// COPY: a multi-row INSERT spends most of its time parsing its literals.
const copyMinRows = 16

// copyDeliveries inserts deliveries with COPY in one transaction. COPY has
// no ON CONFLICT: a delivery stored before fails the whole batch with a
// unique violation, and the caller falls back to INSERT … ON CONFLICT.
func (db *DB) copyDeliveries(ctx context.Context, ds []Delivery) (err error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, d := range ds {
		header, err := headerColumn(d.Header)
		if err != nil {
			return err
		}
		h, _ := header.(string)
		var body string
		if len(d.Body) > 0 {
			body = `\x` + hex.EncodeToString(d.Body)
		}
		_ = w.Write([]string{d.ID, d.SubscriptionID, d.Tenant, d.EventID, d.EventType, d.Method, d.ContentType, d.Query, d.URL, h, body,
			d.State, strconv.FormatInt(d.NextAttemptNS, 10), strconv.FormatInt(d.LeaseUntilNS, 10),
			d.CreatedAt.Format(time.RFC3339Nano), d.UpdatedAt.Format(time.RFC3339Nano)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	const cols = "id, subscription_id, tenant, event_id, event_type, method, content_type, query, url, header, body, state, next_attempt_ns, lease_until_ns, created_at, updated_at"
	_, err = pgdriver.CopyFrom(ctx, conn, &buf, "COPY deliveries ("+cols+") FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (tenant, content_type, query, url))")
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}
