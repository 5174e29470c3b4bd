package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Contact is one stored contact of a campaign, in list order (Seq), with its
// progress: the dialer's in-memory history of the contact, persisted from its
// events so that a restart goes on where it stopped.
type Contact struct {
	bun.BaseModel `bun:"table:dialer_contacts"`

	Seq        int64  `bun:"seq,pk,autoincrement"`
	CampaignID int64  `bun:"campaign_id,notnull"`
	ContactID  string `bun:"contact_id,notnull"`
	// Number is the first number (E.164): a list holds each once, unless
	// its campaign dedupes by id (dialer.Campaign.DedupeBy).
	Number string         `bun:"number,notnull"`
	Data   dialer.Contact `bun:"data,type:json,notnull"`
	// Status is a dialer contact status (scheduled, executed, delayed, finished).
	Status    string                    `bun:"status,notnull"`
	Tries     int                       `bun:"tries,notnull"`
	Redials   map[telephony.Outcome]int `bun:"redials,type:json,notnull"`
	FollowOns int                       `bun:"follow_ons,notnull"`
	// InTry: a try was started and has not ended.
	InTry   bool      `bun:"in_try,notnull"`
	NextDue time.Time `bun:"next_due,nullzero"`
	// NextNumber is the number (E.164) the next try starts with when a
	// recall asked for one; NextOnce: that try is the contact's last (it
	// was brought back from done for it).
	NextNumber string `bun:"next_number,notnull"`
	NextOnce   bool   `bun:"next_once,notnull"`
	// Outcome is the final outcome once finished.
	Outcome   string    `bun:"outcome,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// ImportBatch is how many contacts one insert statement (or COPY) carries.
const ImportBatch = 1000

// InsertContacts appends normalised contacts to a campaign's list in batches
// (COPY on PostgreSQL, multi-row INSERTs on SQLite), all in one transaction.
// A contact whose id or first number is already in the list (or earlier in
// cs) is rejected as a duplicate, by its index in cs; only its id when the
// campaign dedupes by id (dialer.DedupeID). On PostgreSQL the import locks
// the campaign's row, so concurrent imports into one list check against
// each other (SQLite writers are serialised already). It returns how many
// were inserted; an unknown campaign is ErrNotFound.
func (db *DB) InsertContacts(ctx context.Context, campaignID int64, cs []dialer.Contact, now time.Time) (int, []dialer.Rejection, error) {
	var rejected []dialer.Rejection
	seenID, seenNum := map[string]bool{}, map[string]bool{}
	rows := make([]Contact, 0, min(len(cs), ImportBatch))
	inserted := 0
	flush := func(ctx context.Context, ins func(context.Context, []Contact) error) error {
		if len(rows) == 0 {
			return nil
		}
		if err := ins(ctx, rows); err != nil {
			return err
		}
		inserted += len(rows)
		rows = rows[:0]
		return nil
	}
	run := func(ctx context.Context, q bun.IDB, ins func(context.Context, []Contact) error) error {
		var camp Campaign
		sel := q.NewSelect().Model(&camp).Column("config").Where("id = ?", campaignID)
		if db.dialect == Postgres {
			sel = sel.For("UPDATE")
		}
		if err := sel.Scan(ctx); err != nil {
			return notFound(err, "campaign", strconv.FormatInt(campaignID, 10))
		}
		byNumber := camp.Config.DedupeBy != dialer.DedupeID
		for start := 0; start < len(cs); start += ImportBatch {
			batch := cs[start:min(len(cs), start+ImportBatch)]
			ids, nums := make([]string, 0, len(batch)), make([]string, 0, len(batch))
			for _, c := range batch {
				if len(c.Numbers) > 0 {
					ids, nums = append(ids, c.ID), append(nums, c.Numbers[0].E164)
				}
			}
			var existing []Contact
			if len(ids) > 0 {
				sel := q.NewSelect().Model(&existing).Column("contact_id", "number").Where("campaign_id = ?", campaignID)
				if byNumber {
					sel = sel.Where("(contact_id IN (?) OR number IN (?))", bun.In(ids), bun.In(nums))
				} else {
					sel = sel.Where("contact_id IN (?)", bun.In(ids))
				}
				if err := sel.Scan(ctx); err != nil {
					return fmt.Errorf("store: import contacts: %w", err)
				}
			}
			for _, e := range existing {
				seenID[e.ContactID] = true
				if byNumber {
					seenNum[e.Number] = true
				}
			}
			for i, c := range batch {
				idx := start + i
				switch {
				case c.ID == "":
					rejected = append(rejected, dialer.Rejection{Index: idx, Reason: dialer.ReasonMissingID})
					continue
				case len(c.Numbers) == 0:
					rejected = append(rejected, dialer.Rejection{Index: idx, Raw: c.ID, Reason: dialer.ReasonNoNumber})
					continue
				case seenID[c.ID] || seenNum[c.Numbers[0].E164]:
					rejected = append(rejected, dialer.Rejection{Index: idx, Raw: c.Numbers[0].Raw, Reason: dialer.ReasonDuplicate})
					continue
				}
				seenID[c.ID] = true
				if byNumber {
					seenNum[c.Numbers[0].E164] = true
				}
				c.Progress = nil
				rows = append(rows, Contact{CampaignID: campaignID, ContactID: c.ID, Number: c.Numbers[0].E164, Data: c,
					Status: dialer.ContactScheduled, Redials: map[telephony.Outcome]int{}, CreatedAt: now.UTC()})
			}
			if err := flush(ctx, ins); err != nil {
				return err
			}
		}
		return nil
	}
	if db.dialect == Postgres {
		return inserted, rejected, db.copyContacts(ctx, run)
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return run(ctx, tx, func(ctx context.Context, rows []Contact) error {
			_, err := tx.NewInsert().Model(&rows).ExcludeColumn("seq", "next_due").Returning("NULL").Exec(ctx)
			return err
		})
	})
	if err != nil {
		return 0, nil, fmt.Errorf("store: import contacts: %w", err)
	}
	return inserted, rejected, nil
}

// copyContacts runs an import on one PostgreSQL connection in a transaction,
// inserting each batch with COPY … FROM STDIN (CSV).
func (db *DB) copyContacts(ctx context.Context, run func(context.Context, bun.IDB, func(context.Context, []Contact) error) error) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: import contacts: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("store: import contacts: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var buf bytes.Buffer
	err = run(ctx, conn, func(ctx context.Context, rows []Contact) error {
		buf.Reset()
		w := csv.NewWriter(&buf)
		for _, r := range rows {
			data, err := json.Marshal(r.Data)
			if err != nil {
				return err
			}
			_ = w.Write([]string{strconv.FormatInt(r.CampaignID, 10), r.ContactID, r.Number, string(data), r.Status, r.CreatedAt.Format(time.RFC3339Nano)})
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
		_, err := pgdriver.CopyFrom(ctx, conn, &buf, "COPY dialer_contacts (campaign_id, contact_id, number, data, status, created_at) FROM STDIN WITH (FORMAT csv)")
		return err
	})
	if err != nil {
		return fmt.Errorf("store: import contacts: %w", err)
	}
	if _, err = conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("store: import contacts: %w", err)
	}
	return nil
}

// ContactRow returns one stored contact of a campaign.
func (db *DB) ContactRow(ctx context.Context, campaignID int64, contactID string) (Contact, error) {
	var c Contact
	err := db.NewSelect().Model(&c).Where("campaign_id = ? AND contact_id = ?", campaignID, contactID).Scan(ctx)
	return c, notFound(err, "contact", contactID)
}

// ContactByNumber returns the campaign's contact that holds number (E.164):
// the one whose main number it is, else the first in list order that has
// it among its other numbers. None: ErrNotFound naming the number.
func (db *DB) ContactByNumber(ctx context.Context, campaignID int64, number string) (Contact, error) {
	var c Contact
	err := db.NewSelect().Model(&c).Where("campaign_id = ? AND number = ?", campaignID, number).Scan(ctx)
	if !errors.Is(err, sql.ErrNoRows) {
		return c, notFound(err, "number", number)
	}
	q := db.NewSelect().Model(&c).Where("campaign_id = ?", campaignID)
	if db.dialect == Postgres {
		elem, err := json.Marshal([]map[string]string{{"e164": number}})
		if err != nil {
			return c, fmt.Errorf("store: contact by number: %w", err)
		}
		q = q.Where("data->'numbers' @> ?::jsonb", string(elem))
	} else {
		q = q.Where("EXISTS (SELECT 1 FROM json_each(data, '$.numbers') AS n WHERE json_extract(n.value, '$.e164') = ?)", number)
	}
	err = q.OrderExpr("seq").Limit(1).Scan(ctx)
	return c, notFound(err, "number", number)
}

// Contacts pages through a campaign's list in order: up to limit contacts after seq.
func (db *DB) Contacts(ctx context.Context, campaignID, afterSeq int64, limit int) ([]Contact, error) {
	var cs []Contact
	if err := db.NewSelect().Model(&cs).Where("campaign_id = ? AND seq > ?", campaignID, afterSeq).OrderExpr("seq").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list contacts: %w", err)
	}
	return cs, nil
}

// ContactCounts counts a campaign's contacts by status.
func (db *DB) ContactCounts(ctx context.Context, campaignID int64) (map[string]int, error) {
	var rows []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := db.NewSelect().Model((*Contact)(nil)).Column("status").ColumnExpr("count(*) AS n").
		Where("campaign_id = ?", campaignID).Group("status").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("store: count contacts: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// ContactSource is the dialer's contact source over the store: a campaign's
// unfinished contacts in list order, a batch at a time, each with its stored
// progress. The cursor is the last contact's Seq.
type ContactSource struct{ DB *DB }

var _ dialer.ContactSource = ContactSource{}

// NextContacts implements dialer.ContactSource.
func (s ContactSource) NextContacts(ctx context.Context, campaign, cursor string, max int) ([]dialer.Contact, string, error) {
	id, err := ParseACDID(campaign)
	if err != nil {
		return nil, cursor, err
	}
	var after int64
	if cursor != "" {
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil {
			return nil, cursor, &FieldError{Field: "cursor", Reason: fmt.Sprintf("%q is not a sequence number", cursor)}
		}
	}
	var rows []Contact
	if err := s.DB.NewSelect().Model(&rows).Where("campaign_id = ? AND seq > ? AND status <> ?", id, after, dialer.ContactFinished).
		OrderExpr("seq").Limit(int64(max)).Scan(ctx); err != nil {
		return nil, cursor, fmt.Errorf("store: next contacts of campaign %s: %w", campaign, err)
	}
	out := make([]dialer.Contact, len(rows))
	for i, r := range rows {
		c := r.Data
		c.Progress = nil
		if r.Tries > 0 || r.InTry || r.FollowOns > 0 || !r.NextDue.IsZero() || r.NextOnce {
			c.Progress = &dialer.Progress{Tries: r.Tries, Redials: r.Redials, FollowOns: r.FollowOns, Due: r.NextDue, Interrupted: r.InTry,
				Number: r.NextNumber, Once: r.NextOnce}
		}
		out[i] = c
		cursor = strconv.FormatInt(r.Seq, 10)
	}
	return out, cursor, nil
}
