package acd

import (
	"errors"
	"fmt"
)

// FieldError is bad input: the field that is wrong and why. Callers that
// translate errors into a vendor's error shape branch on it with errors.As.
type FieldError struct {
	Field  string // the field's name as the APIs spell it, e.g. "tier_rule_wait_second"
	Value  any    // the offending value, when there is one
	Reason string
}

func (e *FieldError) Error() string {
	if e.Value == nil {
		return fmt.Sprintf("%s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s: %s (got %v)", e.Field, e.Reason, e.Value)
}

func fieldErr(field string, value any, reason string) error {
	return &FieldError{Field: field, Value: value, Reason: reason}
}

// Sentinel errors for references to things the ACD does not know, or that
// cannot change in their present state. They are wrapped with the id.
var (
	ErrUnknownQueue  = errors.New("unknown queue")
	ErrUnknownAgent  = errors.New("unknown agent")
	ErrUnknownCaller = errors.New("unknown caller")
	ErrUnknownTier   = errors.New("unknown tier")
	ErrDuplicate     = errors.New("already exists")
	// ErrAgentInQueues: an agent cannot be removed without removing its tiers.
	ErrAgentInQueues = errors.New("agent is in queues")
	// ErrBusy: the object is serving a call and cannot be removed now.
	ErrBusy = errors.New("busy with a call")
	// ErrStopped: the engine is no longer running.
	ErrStopped = errors.New("acd engine stopped")
)
