package dialer

import (
	"fmt"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// liveCall finds a tenant's live call.
func (d *Dialer) liveCall(tenant string, id telephony.CallID) (*call, error) {
	c := d.calls[id]
	if c == nil || c.ended || c.cp.cfg.Tenant != tenant {
		return nil, fmt.Errorf("call %q: %w", id, ErrUnknownCall)
	}
	return c, nil
}

// attemptLeg is the leg whose end finishes the attempt (A of a callback).
func attemptLeg(c *call) *call {
	if c.bLeg && c.partner != nil && !c.partner.ended {
		return c.partner
	}
	return c
}

// guard makes sure a call the PBX stays silent about after a hang-up ends.
func (d *Dialer) guard(now time.Time, c *call) {
	c.watchdog = true
	c.deadline = now.Add(watchdogGrace)
	d.deadlines.add(c)
}

func (d *Dialer) hangupCall(now time.Time, h HangupCall) error {
	c, err := d.liveCall(h.Tenant, h.Call)
	if err != nil {
		return err
	}
	attemptLeg(c).apiReason = ReasonHungUpByAPI
	d.guard(now, c)
	d.decide(Hangup{Call: c.id, Cause: telephony.CauseNormalClearing})
	return nil
}

func (d *Dialer) transferByAPI(now time.Time, t TransferCall) error {
	c, err := d.liveCall(t.Tenant, t.Call)
	if err != nil {
		return err
	}
	switch {
	case c.answered.IsZero():
		return fmt.Errorf("transfer call %q: %w (still ringing)", c.id, ErrState)
	case c.amdWait:
		return fmt.Errorf("transfer call %q: %w (in machine detection)", c.id, ErrState)
	case c.handedOff:
		return fmt.Errorf("transfer call %q: %w (in a queue)", c.id, ErrState)
	case c.abandoned:
		return fmt.Errorf("transfer call %q: %w (abandoned)", c.id, ErrState)
	}
	if p := c.partner; p != nil {
		// The other leg is hung up; the transferred one no longer follows it.
		c.partner, p.partner = nil, nil
		if !p.ended {
			if c.bLeg {
				p.apiReason = ReasonTransferredByAPI
			}
			d.guard(now, p)
			d.decide(Hangup{Call: p.id, Cause: telephony.CauseNormalClearing})
		}
	}
	c.apiReason = ReasonTransferredByAPI
	c.transfer = "api"
	c.deadline = time.Time{}
	d.decide(ContinueDialplan{Call: c.id, To: t.To})
	return nil
}
