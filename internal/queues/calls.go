package queues

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/acd"
)

// HangupCaller takes a caller out of one of the tenant's queues and hangs
// it up (acd.RemoveCaller with reason removed); a connected caller's agent
// is hung up too. A caller in none of the tenant's queues is
// acd.ErrUnknownCaller.
func (s *Service) HangupCaller(ctx context.Context, tenant, caller string) error {
	q, err := s.callerQueue(ctx, tenant, caller)
	if err != nil {
		return err
	}
	return s.engine.Do(ctx, acd.RemoveCaller{Caller: caller, Queue: q})
}

// TransferCaller takes a caller out of one of the tenant's queues and sends
// it to dst (acd.TransferCaller with reason transferred), as
// HangupCaller finds it.
func (s *Service) TransferCaller(ctx context.Context, tenant, caller, dst string) error {
	q, err := s.callerQueue(ctx, tenant, caller)
	if err != nil {
		return err
	}
	return s.engine.Do(ctx, acd.TransferCaller{Caller: caller, Queue: q, Destination: dst})
}

// callerQueue finds the tenant's queue the caller is in. The command that
// follows names the queue, so a caller that left in between is unknown to
// the engine rather than acted on elsewhere.
func (s *Service) callerQueue(ctx context.Context, tenant, caller string) (string, error) {
	qs, err := s.db.Queues(ctx, tenant)
	if err != nil {
		return "", err
	}
	found := ""
	if caller != "" {
		err = s.engine.Read(ctx, func(v acd.View, now time.Time) {
			for _, q := range qs {
				ms, merr := v.Members(store.ACDID(q.ID), now)
				if merr == nil && slices.ContainsFunc(ms, func(m acd.Member) bool { return m.Caller == caller }) {
					found = store.ACDID(q.ID)
					return
				}
			}
		})
		if err != nil {
			return "", err
		}
	}
	if found == "" {
		return "", fmt.Errorf("caller %q: %w", caller, acd.ErrUnknownCaller)
	}
	return found, nil
}
