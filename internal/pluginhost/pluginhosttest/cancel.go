package pluginhosttest

import (
	"context"
	"fmt"
	"slices"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// CancelContact marks a campaign's contact finished, as the service's host
// stores a cancel, and keeps its id for Cancelled. Another account's or an
// unknown campaign, and an unknown contact, are not found; a contact on a
// try (status executed) or already finished is a failed precondition.
func (h *Host) CancelContact(ctx context.Context, account, campaign, contact string) error {
	if err := h.before(ctx, "CancelContact", account); err != nil {
		return err
	}
	if _, err := h.GetObject(ctx, account, dialect.KindCampaign, campaign); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	key := [2]string{account, campaign}
	cs := h.contacts[key]
	i := slices.IndexFunc(cs, func(c dialect.Contact) bool { return c.ID == contact })
	if i < 0 {
		return fmt.Errorf("contact %q: %w", contact, dialect.ErrNotFound)
	}
	if st := cs[i].Status; st == "executed" || st == "finished" {
		return fmt.Errorf("contact %q is %s: %w", contact, st, dialect.ErrFailedPrecondition)
	}
	cs[i].Status = "finished"
	h.cancelled[key] = append(h.cancelled[key], contact)
	return nil
}

// Cancelled lists the contacts CancelContact finished in a campaign, in order.
func (h *Host) Cancelled(account, campaign string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.cancelled[[2]string{account, campaign}])
}

// SetContactStatus sets what ListContacts reports for a contact (as the
// dialer's progress would: executed while on a try, finished, …) and its
// tries; false when the campaign has no such contact.
func (h *Host) SetContactStatus(account, campaign, contact, status string, tries int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.contacts[[2]string{account, campaign}]
	i := slices.IndexFunc(cs, func(c dialect.Contact) bool { return c.ID == contact })
	if i < 0 {
		return false
	}
	cs[i].Status, cs[i].Tries = status, tries
	return true
}
