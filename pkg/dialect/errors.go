package dialect

import (
	"errors"
	"fmt"
)

// FieldError is bad input: the field that is wrong and why. Host API calls
// return it (across the wire too) so a dialect can answer in its vendor's
// error shape, naming the field.
type FieldError struct {
	Field  string
	Value  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s: %s (got %q)", e.Field, e.Reason, e.Value)
}

// Sentinel errors of the host API. They survive the trip over gRPC: a
// dialect branches on them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
	// ErrFailedPrecondition: the object cannot change in its present state
	// (an agent still in queues, a running campaign).
	ErrFailedPrecondition = errors.New("failed precondition")
	ErrUnauthenticated    = errors.New("unauthenticated")
	ErrPermissionDenied   = errors.New("permission denied")
	// ErrNotImplemented: the host does not offer this call (yet).
	ErrNotImplemented = errors.New("not implemented by the host")
	// ErrUnavailable: the host or the plugin cannot answer now; retry later.
	ErrUnavailable = errors.New("unavailable")
)
