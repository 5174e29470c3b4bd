package campaigns

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Cancel finishes a tenant's campaign's contact before its next try: it
// gets no more calls (contact.finished, reason "cancelled").
//
// A contact the dialer holds is dropped there (the Recorder stores it
// finished). A contact still waiting in the store to be loaded (a stopped
// campaign's, or beyond what a running one has fetched) is stored
// finished, as the dialer's contact.finished would store it, so it is
// never loaded; should the dialer have loaded it meanwhile, it is
// cancelled there too. Either way the store holds it finished, so a
// restart does not dial it.
//
// An unknown contact is store.ErrNotFound; a contact on a call (its try
// under way) or already finished wraps dialer.ErrState.
func (s *Service) Cancel(ctx context.Context, tenant string, id int64, contact string) error {
	c, err := s.cfg.DB.Campaign(ctx, tenant, id)
	if err != nil {
		return err
	}
	row, err := s.cfg.DB.ContactRow(ctx, c.ID, contact)
	if err != nil {
		return err
	}
	if row.Status == dialer.ContactFinished {
		return fmt.Errorf("campaigns: cancel contact %q: %w (already finished)", contact, dialer.ErrState)
	}
	cmd := dialer.CancelContact{Campaign: c.Config.ID, Contact: contact}
	err = s.cfg.Engine.Do(ctx, cmd)
	if !notHeld(err) {
		return err
	}
	now := s.now()
	ev := event.Event{Type: event.ContactFinished, At: now, Tenant: c.Tenant, Campaign: c.Config.ID, Contact: contact, Reason: "cancelled",
		Attrs: map[string]string{"tries": fmt.Sprint(row.Tries)}}
	if err := s.cfg.DB.RecordDialerEvents(ctx, now, []event.Event{ev}); err != nil {
		return fmt.Errorf("campaigns: cancel contact %q: %w", contact, err)
	}
	if err := s.cfg.Engine.Do(ctx, cmd); err != nil && !notHeld(err) {
		return err
	}
	return nil
}

// notHeld reports the dialer's answer for a contact (or campaign) it does
// not hold.
func notHeld(err error) bool {
	return errors.Is(err, dialer.ErrUnknownContact) || errors.Is(err, dialer.ErrUnknownCampaign)
}
