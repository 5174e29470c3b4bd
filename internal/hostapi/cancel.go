package hostapi

import (
	"context"
)

// CancelContact finishes a campaign's contact before its next try through
// internal/campaigns (Service.Cancel), which stores the cancel. Another
// account's campaign and an unknown contact are not found; a contact on a
// call or already finished is ErrFailedPrecondition.
func (h *Host) CancelContact(ctx context.Context, account, campaign, contact string) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	id, err := parseID("campaign", campaign)
	if err != nil {
		return err
	}
	return translate(h.svc.cfg.Campaigns.Cancel(ctx, account, id, contact))
}
