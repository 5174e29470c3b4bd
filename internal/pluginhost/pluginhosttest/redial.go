package pluginhosttest

import (
	"context"
	"fmt"
	"slices"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// RedialContact finds the contact a redial names as the service's host
// does (by id, or the contact holding the number: main numbers first, then
// the others in list order), marks it delayed and keeps the redial, with
// the contact's id and the number in E.164, for Redials. Another account's
// or an unknown campaign, and a number no contact holds, are not found; a
// number that does not parse in the account's region, or is not the named
// contact's, is a field error on "number".
func (h *Host) RedialContact(ctx context.Context, account, campaign string, r dialect.Redial) error {
	if err := h.before(ctx, "RedialContact", account); err != nil {
		return err
	}
	if _, err := h.GetObject(ctx, account, dialect.KindCampaign, campaign); err != nil {
		return err
	}
	region := h.region(account)
	number := ""
	if r.Number != "" {
		if number = e164(r.Number, region); number == "" {
			return &dialect.FieldError{Field: "number", Value: r.Number, Reason: "not a phone number"}
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	key := [2]string{account, campaign}
	cs := h.contacts[key]
	holds := func(c dialect.Contact, from int) bool {
		return slices.ContainsFunc(c.Numbers[min(from, len(c.Numbers)):], func(n string) bool { return e164(n, region) == number })
	}
	i := -1
	switch {
	case r.Contact != "":
		if i = slices.IndexFunc(cs, func(c dialect.Contact) bool { return c.ID == r.Contact }); i < 0 {
			return fmt.Errorf("contact %q: %w", r.Contact, dialect.ErrNotFound)
		}
		if number == "" {
			number = e164(cs[i].Numbers[0], region)
		} else if !holds(cs[i], 0) {
			return &dialect.FieldError{Field: "number", Value: r.Number, Reason: fmt.Sprintf("not a number of contact %q", r.Contact)}
		}
	case number == "":
		return &dialect.FieldError{Field: "number", Reason: "required (or a contact)"}
	default:
		if i = slices.IndexFunc(cs, func(c dialect.Contact) bool { return len(c.Numbers) > 0 && e164(c.Numbers[0], region) == number }); i < 0 {
			i = slices.IndexFunc(cs, func(c dialect.Contact) bool { return holds(c, 1) })
		}
		if i < 0 {
			return fmt.Errorf("number %q is not in campaign %s: %w", number, campaign, dialect.ErrNotFound)
		}
	}
	cs[i].Status = "delayed"
	r.Contact, r.Number = cs[i].ID, number
	h.redials[key] = append(h.redials[key], r)
	return nil
}

// Redials lists the redials RedialContact accepted for a campaign, in
// order, each with its contact's id and the number in E.164.
func (h *Host) Redials(account, campaign string) []dialect.Redial {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.redials[[2]string{account, campaign}])
}

// e164 formats a number parsed in region, or returns "" when it is not a
// valid number.
func e164(n, region string) string {
	pn, err := phonenumbers.Parse(n, region)
	if err != nil || !phonenumbers.IsValidNumber(pn) {
		return ""
	}
	return phonenumbers.Format(pn, phonenumbers.E164)
}
