package service

import (
	"context"
	"fmt"

	"github.com/switchboard-cc/switchboard/adapters/ami"
	"github.com/switchboard-cc/switchboard/internal/server"
)

// newAMI connects the AMI adapter for shops that keep app_queue: its queue
// events become the same domain events the native ACD emits, on the bus.
// It connects when --ami-addr is set, and to the emulator's AMI when the
// emulator runs.
func (s *Service) newAMI(checks *[]server.Check) error {
	addr, user, secret := s.cfg.AMIAddr, s.cfg.AMIUser, s.cfg.AMISecret
	if addr == "" && s.emulator != nil {
		addr, user, secret = s.emulator.AMIAddr(), "ami", "ami"
	}
	if addr == "" {
		return nil
	}
	a, err := ami.New(ami.Config{Addr: addr, User: user, Secret: secret, Logger: s.log.With("component", "ami")})
	if err != nil {
		return fmt.Errorf("ami: %w", err)
	}
	s.ami = a
	*checks = append(*checks, server.Check{Name: "ami", Check: func(context.Context) error { return a.Healthy() }})
	return nil
}

// runAMI forwards app_queue's domain events to the bus until ctx ends.
func (s *Service) runAMI(ctx context.Context) error {
	if s.ami == nil {
		return nil
	}
	s.ami.Start()
	events, err := s.ami.DomainEvents(ctx)
	if err != nil {
		return fmt.Errorf("ami: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			s.emitter.Publish(ev)
		}
	}
}
