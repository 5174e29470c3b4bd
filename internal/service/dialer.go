package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus"
	"github.com/switchboard-cc/switchboard/adapters/inbound"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/campaigns"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// The outbound dialer in the service: one dialer.Engine over the PBX
// adapter, its answered agent-mode calls handed to the ACD through the
// inbound binding, its agent supply read from the ACD, its contacts read
// from the store a batch at a time, and its events written with their
// effects (attempts, contact progress) through the outbox.

// supplyDebounce gathers a burst of ACD events into one supply report;
// supplyEvery is the backstop when nothing happens.
const (
	supplyDebounce = 100 * time.Millisecond
	supplyEvery    = 5 * time.Second
)

// dialerParts are the dialer's pieces inside a Service.
type dialerParts struct {
	clock     clock.Clock
	engine    *dialer.Engine
	recorder  *campaigns.Recorder
	campaigns *campaigns.Service
	relay     *bus.Relay
	results   chan dialer.QueueResult
	poke      chan struct{}
}

// newDialer builds the dialer engine and its management; call it once the
// PBX adapter, the ACD engine and the inbound binding exist.
func (s *Service) newDialer(clk clock.Clock) error {
	if clk == nil {
		clk = clock.Real{}
	}
	d := &s.dialer
	d.clock = clk
	d.results = make(chan dialer.QueueResult, 1024)
	d.poke = make(chan struct{}, 1)
	d.recorder = campaigns.NewRecorder(s.db, s.log.With("component", "dialer"))
	var err error
	d.engine, err = dialer.NewEngine(dialer.EngineConfig{
		Dialer:    dialer.Config{CallIDPrefix: "o" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-"},
		Clock:     clk,
		Port:      d.recorder.Guard(s.pbx),
		Calls:     s.pbx,
		Queue:     queueHandoff{s.binding},
		Contacts:  store.ContactSource{DB: s.db},
		Publisher: recordingLinks{next: d.recorder, base: s.publicURL},
		Logger:    s.log.With("component", "dialer"),
	})
	if err != nil {
		return fmt.Errorf("dialer: %w", err)
	}
	d.campaigns, err = campaigns.New(campaigns.Config{DB: s.db, Engine: d.engine, Recorder: d.recorder, Logger: s.log.With("component", "campaigns")})
	if err != nil {
		return err
	}
	if d.relay, err = bus.NewRelay(bus.RelayConfig{DB: s.db, Bus: s.bus, Logger: s.log.With("component", "outbox")}); err != nil {
		return err
	}
	return s.bus.AddSink("dialer-supply", s.supplySink)
}

// Campaigns manages the tenants' trunks, campaigns and contacts.
func (s *Service) Campaigns() *campaigns.Service { return s.dialer.campaigns }

// Dialer is the outbound dialer's engine.
func (s *Service) Dialer() *dialer.Engine { return s.dialer.engine }

// runDialer runs the outbox relay first (events a crash left in the outbox
// go out), then the dialer engine, restores the stored campaigns and keeps
// the dialer's agent supply and hand-off results flowing until ctx ends.
func (s *Service) runDialer(ctx context.Context, start func(func() error)) error {
	d := &s.dialer
	start(func() error { return d.relay.Run(ctx) })
	start(func() error { return d.engine.Run(ctx) })
	start(func() error { return s.forwardResults(ctx) })
	start(func() error { return s.supplyLoop(ctx) })
	n, err := d.campaigns.Restore(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while restoring
		}
		return fmt.Errorf("restore the dialer: %w", err)
	}
	s.log.Info("dialer restored from the database", "running_campaigns", n)
	return nil
}

// queueHandoff gives the dialer's answered calls to the ACD.
type queueHandoff struct{ b *inbound.Binding }

func (q queueHandoff) HandToQueue(ctx context.Context, h dialer.HandToQueue) error {
	return q.b.HandToQueue(ctx, h.Call, h.Queue, h.Contact, h.MaxWait)
}

// onHandoffResult is the inbound binding's OnHandoffResult: it must not
// block, so results queue for forwardResults.
func (s *Service) onHandoffResult(call telephony.CallID, connected bool, agent string) {
	select {
	case s.dialer.results <- dialer.QueueResult{Call: call, Connected: connected, Agent: agent}:
	default:
		s.log.Error("dialer: hand-off result dropped (backlog full)", "call", call)
	}
}

func (s *Service) forwardResults(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-s.dialer.results:
			if err := s.dialer.engine.Do(ctx, r); err != nil && ctx.Err() == nil {
				s.log.Warn("dialer: queue result", "call", r.Call, "err", err)
			}
			s.pokeSupply()
		}
	}
}

func (s *Service) pokeSupply() {
	select {
	case s.dialer.poke <- struct{}{}:
	default:
	}
}

// supplySink hears the bus: ACD agent and caller events change the supply.
func (s *Service) supplySink(_ context.Context, events []event.Event) error {
	for _, e := range events {
		t := string(e.Type)
		if strings.HasPrefix(t, "agent.") || strings.HasPrefix(t, "caller.") || strings.HasPrefix(t, "call.") || strings.HasPrefix(t, "tier.") {
			s.pokeSupply()
			return nil
		}
	}
	return nil
}

// supplyLoop reports the agent supply of the queues agent-mode campaigns
// use, after ACD changes (debounced) and every supplyEvery.
func (s *Service) supplyLoop(ctx context.Context) error {
	d := &s.dialer
	for {
		t := d.clock.NewTimer(supplyEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.poke:
			t.Stop()
			deb := d.clock.NewTimer(supplyDebounce)
			select {
			case <-ctx.Done():
				deb.Stop()
				return nil
			case <-deb.C():
			}
		case <-t.C():
		}
		if err := s.sendSupply(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("dialer: agent supply", "err", err)
		}
	}
}

func (s *Service) sendSupply(ctx context.Context) error {
	queues := s.dialer.campaigns.AgentQueues()
	if len(queues) == 0 {
		return nil
	}
	var supplies []dialer.AgentSupply
	err := s.engine.Read(ctx, func(v acd.View, _ time.Time) {
		for _, q := range queues {
			sup, err := v.Supply(q)
			if err != nil {
				continue
			}
			as := dialer.AgentSupply{Queue: q, Staffed: sup.Staffed, Idle: sup.Idle}
			for _, b := range sup.Busy {
				as.Busy = append(as.Busy, dialer.BusyAgent{Since: b.Since, FreeAt: b.FreeAt, WrapUp: b.WrapUp})
			}
			supplies = append(supplies, as)
		}
	})
	if err != nil {
		return err
	}
	for _, as := range supplies {
		if err := s.dialer.engine.Do(ctx, as); err != nil {
			return fmt.Errorf("queue %s: %w", as.Queue, err)
		}
	}
	return nil
}
