package campaigns

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// DefaultTransferContext is where TransferCall sends a destination without
// a context (the inbound binding's default transfer context).
const DefaultTransferContext = "default"

// HangupCall hangs up one of the tenant's campaigns' live calls (a leg
// being dialled or talking); the attempt finishes with reason
// dialer.ReasonHungUpByAPI. Another tenant's call, or one that is not
// live, wraps dialer.ErrUnknownCall.
func (s *Service) HangupCall(ctx context.Context, tenant, call string) error {
	if err := s.cfg.Engine.Do(ctx, dialer.HangupCall{Tenant: tenant, Call: telephony.CallID(call)}); err != nil {
		return fmt.Errorf("campaigns: hang up call %q: %w", call, err)
	}
	return nil
}

// TransferCall sends one of the tenant's campaigns' answered calls to dst
// in the dialplan: "context,exten[,priority]", or a bare extension in
// DefaultTransferContext (dst is checked by the caller). A call still
// ringing wraps dialer.ErrState; one not found, dialer.ErrUnknownCall.
func (s *Service) TransferCall(ctx context.Context, tenant, call, dst string) error {
	to := dialplanTarget(dst)
	if err := s.cfg.Engine.Do(ctx, dialer.TransferCall{Tenant: tenant, Call: telephony.CallID(call), To: to}); err != nil {
		return fmt.Errorf("campaigns: transfer call %q: %w", call, err)
	}
	return nil
}

func dialplanTarget(dst string) telephony.DialplanTarget {
	parts := strings.Split(dst, ",")
	if len(parts) == 1 {
		return telephony.DialplanTarget{Context: DefaultTransferContext, Extension: dst, Priority: 1}
	}
	t := telephony.DialplanTarget{Context: parts[0], Extension: parts[1], Priority: 1}
	if len(parts) > 2 {
		if p, err := strconv.Atoi(parts[2]); err == nil && p > 0 {
			t.Priority = p
		}
	}
	return t
}
