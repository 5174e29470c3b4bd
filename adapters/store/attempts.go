package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Attempt is one dialled call leg of a contact: the call history (cdr).
type Attempt struct {
	bun.BaseModel `bun:"table:dialer_attempts"`

	// ID is the leg's call id; Attempt is the attempt's id (the A leg's call
	// id, shared by a callback's B leg).
	ID         string `bun:"id,pk"`
	Attempt    string `bun:"attempt,notnull"`
	CampaignID int64  `bun:"campaign_id,notnull"`
	Tenant     string `bun:"tenant,notnull"`
	ContactID  string `bun:"contact_id,notnull"`
	Number     string `bun:"number,notnull"`
	// Leg is "a" (the contact's number) or "b" (a callback's B number).
	Leg         string    `bun:"leg,notnull"`
	Try         int       `bun:"try,notnull"`
	CallerID    string    `bun:"caller_id,notnull"`
	StartedAt   time.Time `bun:"started_at,notnull"`
	AnsweredAt  time.Time `bun:"answered_at,nullzero"`
	ConnectedAt time.Time `bun:"connected_at,nullzero"`
	EndedAt     time.Time `bun:"ended_at,nullzero"`
	Outcome     string    `bun:"outcome,notnull"`
	// Cause says why it ended as it did (the dialer's reason: "cause 17", "no agent").
	Cause     string `bun:"cause,notnull"`
	Agent     string `bun:"agent,notnull"`
	Recording string `bun:"recording,notnull"`
}

// InterruptedCause is the cause of an attempt that was under way when the
// service stopped.
const InterruptedCause = "interrupted by a restart"

// Attempts lists a campaign's attempts in the order they started; contactID
// "" lists every contact's.
func (db *DB) Attempts(ctx context.Context, campaignID int64, contactID string) ([]Attempt, error) {
	var as []Attempt
	sel := db.NewSelect().Model(&as).Where("campaign_id = ?", campaignID).OrderExpr("started_at, id")
	if contactID != "" {
		sel = sel.Where("contact_id = ?", contactID)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list attempts: %w", err)
	}
	return as, nil
}

// CloseInterruptedAttempts ends every attempt still open (the service
// stopped during its call) as failed, with an attempt.finished event for
// each through the outbox, and returns how many. Call it at start-up, before
// the dialer runs.
func (db *DB) CloseInterruptedAttempts(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := db.InTx(ctx, now, func(ctx context.Context, tx bun.Tx, out *Outbox) error {
		var open []Attempt
		if err := tx.NewSelect().Model(&open).Where("ended_at IS NULL").OrderExpr("started_at, id").Scan(ctx); err != nil {
			return err
		}
		if len(open) == 0 {
			return nil
		}
		if _, err := tx.NewUpdate().Model((*Attempt)(nil)).Set("ended_at = ?", now.UTC()).
			Set("outcome = ?", string(telephony.OutcomeFailed)).Set("cause = ?", InterruptedCause).
			Where("ended_at IS NULL").Exec(ctx); err != nil {
			return err
		}
		n = len(open)
		for _, a := range open {
			if err := out.Emit(event.Event{Type: event.AttemptFinished, At: now.UTC(), Tenant: a.Tenant, Campaign: ACDID(a.CampaignID),
				Contact: a.ContactID, Attempt: a.Attempt, Call: a.ID, Outcome: string(telephony.OutcomeFailed), Reason: InterruptedCause,
				Attrs: map[string]string{"number": a.Number, "try": strconv.Itoa(a.Try)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: close interrupted attempts: %w", err)
	}
	return n, nil
}

// RecordingTenant returns the tenant whose attempt made the recording
// name (pkg/dialer names a recording after its attempt's A leg, the
// attempt row's id). A name no attempt made is ErrNotFound.
func (db *DB) RecordingTenant(ctx context.Context, name string) (string, error) {
	var a Attempt
	err := db.NewSelect().Model(&a).Column("tenant").Where("id = ? AND recording = ?", name, name).Scan(ctx)
	return a.Tenant, notFound(err, "recording", name)
}

// RecordDialerEvents persists what a batch of dialer events says about
// campaigns, contacts and attempts, and writes the events to the outbox, in
// one transaction. An attempt.started is written before its originate
// leaves, so a crash can never lose a dial; contact.scheduled and
// contact.finished keep each contact's progress.
func (db *DB) RecordDialerEvents(ctx context.Context, now time.Time, events []event.Event) error {
	return db.InTx(ctx, now, func(ctx context.Context, tx bun.Tx, out *Outbox) error {
		for _, ev := range events {
			if err := recordDialerEvent(ctx, tx, ev); err != nil {
				return fmt.Errorf("store: record %s: %w", ev.Type, err)
			}
		}
		return out.Emit(events...)
	})
}

func recordDialerEvent(ctx context.Context, tx bun.Tx, ev event.Event) error {
	campaign, err := strconv.ParseInt(ev.Campaign, 10, 64)
	if err != nil {
		return nil // not a stored campaign
	}
	at := ev.At.UTC()
	contact := func() *bun.UpdateQuery {
		return tx.NewUpdate().Model((*Contact)(nil)).Where("campaign_id = ? AND contact_id = ?", campaign, ev.Contact)
	}
	switch ev.Type {
	case event.CampaignStateChanged:
		_, err = tx.NewUpdate().Model((*Campaign)(nil)).Set("state = ?", ev.To).Set("updated_at = ?", at).Where("id = ?", campaign).Exec(ctx)
	case event.AttemptStarted:
		leg := "a"
		if ev.Attrs["leg"] == "b" {
			leg = "b"
		}
		try, _ := strconv.Atoi(ev.Attrs["try"])
		a := Attempt{ID: ev.Call, Attempt: ev.Attempt, CampaignID: campaign, Tenant: ev.Tenant, ContactID: ev.Contact,
			Number: ev.Attrs["number"], Leg: leg, Try: try, CallerID: ev.Attrs["caller_id"], StartedAt: at}
		if _, err = tx.NewInsert().Model(&a).Exec(ctx); err != nil || leg == "b" {
			return err
		}
		_, err = contact().Set("tries = ?", try).Set("in_try = TRUE").Set("status = ?", dialer.ContactExecuted).Set("next_due = NULL").
			Set("next_number = ''").Exec(ctx)
	case event.AttemptAnswered:
		_, err = tx.NewUpdate().Model((*Attempt)(nil)).Set("answered_at = ?", at).Where("id = ? AND answered_at IS NULL", ev.Call).Exec(ctx)
	case event.AttemptConnected:
		q := tx.NewUpdate().Model((*Attempt)(nil)).Set("connected_at = ?", at).Set("agent = ?", ev.Agent)
		if r := ev.Attrs[dialer.AttrRecording]; r != "" {
			q = q.Set("recording = ?", r)
		}
		_, err = q.Where("id = ?", ev.Call).Exec(ctx)
	case event.AttemptFinished:
		q := tx.NewUpdate().Model((*Attempt)(nil)).Set("ended_at = ?", at).Set("outcome = ?", ev.Outcome).Set("cause = ?", ev.Reason)
		if r := ev.Attrs[dialer.AttrRecording]; r != "" {
			q = q.Set("recording = ?", r)
		}
		_, err = q.Where("id = ?", ev.Call).Exec(ctx)
	case event.ContactScheduled:
		due, perr := time.Parse(time.RFC3339Nano, ev.Attrs["at"])
		if perr != nil {
			return fmt.Errorf("contact %s: scheduled at %q: %w", ev.Contact, ev.Attrs["at"], perr)
		}
		var c Contact
		if err := tx.NewSelect().Model(&c).Column("redials", "follow_ons").Where("campaign_id = ? AND contact_id = ?", campaign, ev.Contact).Scan(ctx); err != nil {
			return nil // a contact that is not stored (e.g. given to Recall only)
		}
		if c.Redials == nil {
			c.Redials = map[telephony.Outcome]int{}
		}
		switch ev.Reason {
		case "redial":
			c.Redials[telephony.Outcome(ev.Outcome)]++
		case "follow_on":
			if ev.Outcome != "" { // the redial policy's; one asked for by hand (no outcome) does not use it up
				c.FollowOns++
			}
		}
		redials, merr := json.Marshal(c.Redials)
		if merr != nil {
			return merr
		}
		_, err = contact().Set("redials = ?", string(redials)).Set("follow_ons = ?", c.FollowOns).Set("in_try = FALSE").
			Set("status = ?", dialer.ContactDelayed).Set("next_due = ?", due.UTC()).
			Set("next_number = ?", ev.Attrs[dialer.AttrNumber]).Set("next_once = ?", ev.Attrs[dialer.AttrOnce] == "true").Exec(ctx)
	case event.ContactFinished:
		_, err = contact().Set("status = ?", dialer.ContactFinished).Set("outcome = ?", ev.Outcome).Set("in_try = FALSE").Set("next_due = NULL").
			Set("next_number = ''").Set("next_once = FALSE").Exec(ctx)
	}
	return err
}
