package hostapi

import (
	"context"

	"github.com/switchboard-cc/switchboard/internal/campaigns"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// RedialContact gives one number of a campaign's contact one more try
// through internal/campaigns (Service.Redial): at r.At, or a follow-on call
// now. Another account's campaign is not found; so is a number no contact
// of the campaign holds (the error names the number).
func (h *Host) RedialContact(ctx context.Context, account, campaign string, r dialect.Redial) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	id, err := parseID("campaign", campaign)
	if err != nil {
		return err
	}
	return translate(h.svc.cfg.Campaigns.Redial(ctx, account, id, campaigns.Redial{Contact: r.Contact, Number: r.Number, At: r.At}))
}
