package dialect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/switchboard-cc/switchboard/pkg/acd"
)

// FromCore translates a core error (pkg/acd's FieldError and sentinels) into
// this package's vocabulary, keeping the original in the chain: an unknown
// queue becomes an error that is both ErrNotFound and acd.ErrUnknownQueue.
// Host implementations return it so in-process and plugin dialects see the
// same errors.
func FromCore(err error) error {
	if err == nil {
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return err
	}
	var afe *acd.FieldError
	if errors.As(err, &afe) {
		v := ""
		if afe.Value != nil {
			v = fmt.Sprint(afe.Value)
		}
		return &FieldError{Field: afe.Field, Value: v, Reason: afe.Reason}
	}
	for _, m := range []struct{ core, ours error }{
		{acd.ErrUnknownQueue, ErrNotFound}, {acd.ErrUnknownAgent, ErrNotFound}, {acd.ErrUnknownCaller, ErrNotFound},
		{acd.ErrUnknownTier, ErrNotFound}, {acd.ErrDuplicate, ErrConflict}, {acd.ErrAgentInQueues, ErrFailedPrecondition},
		{acd.ErrBusy, ErrFailedPrecondition}, {acd.ErrStopped, ErrUnavailable},
	} {
		if errors.Is(err, m.core) && !errors.Is(err, m.ours) {
			return fmt.Errorf("%w: %w", m.ours, err)
		}
	}
	return err
}

// toStatus turns a host or dialect error into a gRPC status error.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	err = FromCore(err)
	var fe *FieldError
	if errors.As(err, &fe) {
		field, value, reason := utf8Safe(fe.Field), utf8Safe(fe.Value), utf8Safe(fe.Reason)
		st, derr := status.New(codes.InvalidArgument, utf8Safe(fe.Error())).WithDetails(
			&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: reason}}},
			&errdetails.ErrorInfo{Reason: "INVALID_FIELD", Domain: "switchboard", Metadata: map[string]string{"value": value}},
		)
		if derr != nil {
			return status.Error(codes.InvalidArgument, utf8Safe(fe.Error()))
		}
		return st.Err()
	}
	code := codes.Internal
	switch {
	case errors.Is(err, ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, ErrConflict):
		code = codes.AlreadyExists
	case errors.Is(err, ErrFailedPrecondition):
		code = codes.FailedPrecondition
	case errors.Is(err, ErrUnauthenticated):
		code = codes.Unauthenticated
	case errors.Is(err, ErrPermissionDenied):
		code = codes.PermissionDenied
	case errors.Is(err, ErrNotImplemented):
		code = codes.Unimplemented
	case errors.Is(err, ErrUnavailable):
		code = codes.Unavailable
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	return status.Error(code, utf8Safe(err.Error()))
}

func utf8Safe(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// fromStatus turns a gRPC status error back into this package's errors.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := st.Message()
	switch st.Code() {
	case codes.InvalidArgument:
		fe := &FieldError{Field: "request", Reason: msg}
		for _, d := range st.Details() {
			switch d := d.(type) {
			case *errdetails.BadRequest:
				if vs := d.GetFieldViolations(); len(vs) > 0 {
					fe.Field, fe.Reason = vs[0].GetField(), vs[0].GetDescription()
				}
			case *errdetails.ErrorInfo:
				fe.Value = d.GetMetadata()["value"]
			}
		}
		return fe
	case codes.NotFound:
		return fmt.Errorf("%s: %w", msg, ErrNotFound)
	case codes.AlreadyExists:
		return fmt.Errorf("%s: %w", msg, ErrConflict)
	case codes.FailedPrecondition:
		return fmt.Errorf("%s: %w", msg, ErrFailedPrecondition)
	case codes.Unauthenticated:
		return fmt.Errorf("%s: %w", msg, ErrUnauthenticated)
	case codes.PermissionDenied:
		return fmt.Errorf("%s: %w", msg, ErrPermissionDenied)
	case codes.Unimplemented:
		return fmt.Errorf("%s: %w", msg, ErrNotImplemented)
	case codes.Unavailable:
		return fmt.Errorf("%s: %w", msg, ErrUnavailable)
	case codes.Canceled:
		return fmt.Errorf("%s: %w", msg, context.Canceled)
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s: %w", msg, context.DeadlineExceeded)
	}
	return fmt.Errorf("%s: %s", st.Code(), msg)
}
