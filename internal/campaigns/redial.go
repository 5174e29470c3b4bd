package campaigns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Redial names the number Service.Redial dials again, and when.
type Redial struct {
	// Contact is the contact's id; empty: the contact holding Number.
	Contact string
	// Number is the number to dial, E.164 (or national in the campaign's
	// default region); empty with Contact set: that contact's main number.
	Number string
	// At is when to dial; zero: a follow-on call, now.
	At time.Time
}

// Redial gives one number of a tenant's campaign's contact one more try:
// the dialer's Recall at r.At, or its FollowOn when r.At is zero.
//
// A finished contact is handed back to the dialer for that one try (a
// finished campaign runs again for it), counted on from its earlier tries;
// the number and that it is the contact's only try are stored with the due
// time, so a restart dials that number once and finishes the contact again. A contact the dialer holds has
// its next try moved (or, when queued for a try or on one, gets this one
// after it). A contact still waiting in the store to be loaded
// (a stopped campaign's, or beyond what a running one has fetched) gets
// the due time stored with it, as the dialer's contact.scheduled would
// store it, and is dialled then once loaded. Either way the due time is
// in the store, so a restart keeps it.
//
// A number no contact of the campaign holds is store.ErrNotFound naming
// the number; a number that cannot be parsed, or is not one of the named
// contact's, is a *dialer.FieldError on "number".
func (s *Service) Redial(ctx context.Context, tenant string, id int64, r Redial) error {
	c, err := s.cfg.DB.Campaign(ctx, tenant, id)
	if err != nil {
		return err
	}
	row, number, err := s.redialTarget(ctx, c, r)
	if err != nil {
		return err
	}
	var reload *dialer.Contact
	if row.Status == dialer.ContactFinished {
		ct := row.Data
		// Its tries so far: the one more is counted on from them.
		ct.Progress = &dialer.Progress{Tries: row.Tries}
		reload = &ct
	}
	err = s.cfg.Engine.Do(ctx, redialCommand(c.Config.ID, number, r.At, reload))
	if reload == nil && unknownNumber(err) {
		err = s.scheduleUnloaded(ctx, c, row.ContactID, number, r.At)
	}
	if err != nil {
		return err
	}
	if c.State == dialer.StateFinished {
		// After a restart the engine holds a finished campaign as created;
		// otherwise the dialer has already run it again for the redial.
		if err := s.cfg.Engine.Do(ctx, dialer.StartCampaign{Campaign: c.Config.ID}); err != nil && !errors.Is(err, dialer.ErrState) {
			return err
		}
	}
	return nil
}

// redialTarget finds the stored contact a redial names and the number to
// dial in E.164.
func (s *Service) redialTarget(ctx context.Context, c store.Campaign, r Redial) (store.Contact, string, error) {
	number := ""
	if r.Number != "" {
		n, err := dialer.NormalizeNumber(r.Number, c.Config.DefaultRegion)
		if err != nil {
			return store.Contact{}, "", err
		}
		number = n.E164
	}
	if r.Contact != "" {
		row, err := s.cfg.DB.ContactRow(ctx, c.ID, r.Contact)
		if err != nil {
			return store.Contact{}, "", err
		}
		if number == "" {
			return row, row.Number, nil
		}
		if !slices.ContainsFunc(row.Data.Numbers, func(n dialer.Number) bool { return n.E164 == number }) {
			return store.Contact{}, "", &dialer.FieldError{Field: "number", Value: r.Number, Reason: fmt.Sprintf("not a number of contact %q", r.Contact)}
		}
		return row, number, nil
	}
	if number == "" {
		return store.Contact{}, "", &dialer.FieldError{Field: "number", Reason: "required (or a contact)"}
	}
	row, err := s.cfg.DB.ContactByNumber(ctx, c.ID, number)
	if errors.Is(err, store.ErrNotFound) {
		return store.Contact{}, "", fmt.Errorf("campaigns: number %q is not in campaign %d: %w", number, c.ID, store.ErrNotFound)
	}
	return row, number, err
}

func redialCommand(campaign, number string, at time.Time, ct *dialer.Contact) dialer.Command {
	if at.IsZero() {
		return dialer.FollowOn{Campaign: campaign, Number: number, Contact: ct}
	}
	return dialer.Recall{Campaign: campaign, Number: number, At: at, Contact: ct}
}

// unknownNumber reports the dialer's answer for a number it does not hold.
func unknownNumber(err error) bool {
	var fe *dialer.FieldError
	return errors.As(err, &fe) && fe.Field == "number" && fe.Reason == dialer.ErrUnknownContact.Error()
}

// scheduleUnloaded stores a redial of a contact the dialer has not loaded
// yet: the contact.scheduled event the dialer would emit, recorded as the
// Recorder records it (status delayed, the due time) and sent through the
// outbox. The dialer reads the due time when it loads the contact. Should
// it have loaded the contact meanwhile, the redial is handed to it again.
func (s *Service) scheduleUnloaded(ctx context.Context, c store.Campaign, contact, number string, at time.Time) error {
	now := s.now()
	reason, due := "recall", at
	if at.IsZero() {
		reason, due = "follow_on", now
	}
	ev := event.Event{Type: event.ContactScheduled, At: now, Tenant: c.Tenant, Campaign: c.Config.ID, Contact: contact, Reason: reason,
		Attrs: map[string]string{"at": due.UTC().Format(time.RFC3339), "number": number}}
	if err := s.cfg.DB.RecordDialerEvents(ctx, now, []event.Event{ev}); err != nil {
		return fmt.Errorf("campaigns: redial of contact %q: %w", contact, err)
	}
	if err := s.cfg.Engine.Do(ctx, redialCommand(c.Config.ID, number, at, nil)); err != nil && !unknownNumber(err) {
		return err
	}
	return nil
}
