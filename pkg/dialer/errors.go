package dialer

import (
	"errors"
	"fmt"
)

// FieldError is bad input: which field, what value, and why.
type FieldError struct {
	Field  string
	Value  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("%s: %q: %s", e.Field, e.Value, e.Reason)
	}
	return e.Field + ": " + e.Reason
}

// Errors callers branch on.
var (
	ErrUnknownCampaign = errors.New("unknown campaign")
	ErrUnknownTrunk    = errors.New("unknown trunk")
	ErrDuplicate       = errors.New("already exists")
	ErrUnknownContact  = errors.New("unknown contact")
	ErrState           = errors.New("not allowed in this campaign state")
	ErrUnknownCall     = errors.New("unknown call")
)
