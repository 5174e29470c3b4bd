package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// DemoQueue is the queue the demo seeds and calls.
const DemoQueue = "support"

// seedDemo creates the demo queue and four agents, and programs their
// phones in the emulator: they answer after a few seconds and talk for a
// while.
func (s *Service) seedDemo(ctx context.Context) error {
	q := acd.NewQueueConfig(DemoQueue)
	q.Strategy = acd.LongestIdleAgent
	q.MaxWaitTime = 3 * time.Minute
	q.AnnounceSound, q.AnnounceFrequency = "sound:queue-periodic-announce", 30*time.Second
	q.RecordEnabled = true
	if err := s.engine.Do(ctx, acd.AddQueue{Config: q}); err != nil {
		return err
	}
	for i := range 4 {
		ext := fmt.Sprintf("10%02d", i+1)
		if err := s.emulator.SetEndpoint("agents", ext, asterisk.Behaviour{
			Result: asterisk.ResultAnswer, RingFor: time.Duration(2+i) * time.Second, HangupAfter: time.Duration(25+15*i) * time.Second,
		}); err != nil {
			return err
		}
		a := acd.NewAgentConfig("agent"+ext, acd.LocalAgent)
		a.Extension, a.Name, a.WrapUpTime = ext, fmt.Sprintf("Demo agent %d", i+1), 5*time.Second
		for _, cmd := range []acd.Command{
			acd.AddAgent{Config: a},
			acd.SetTier{Tier: acd.Tier{Queue: DemoQueue, Agent: a.ID, Level: 1, Position: i + 1}},
			acd.SetAgentStatus{Agent: a.ID, Status: acd.Available, Source: "api"},
		} {
			if err := s.engine.Do(ctx, cmd); err != nil {
				return err
			}
		}
	}
	return nil
}

// runDemo seeds the demo and, when asked, places an inbound call into the
// demo queue every DemoCallEvery.
func (s *Service) runDemo(ctx context.Context) error {
	if err := s.seedDemo(ctx); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	s.log.Info("demo queue ready: calls to Local/"+DemoQueue+"@switchboard-in enter it", "queue", DemoQueue, "agents", 4)
	if s.opts.DemoCallEvery <= 0 {
		<-ctx.Done()
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	tick := time.NewTicker(s.opts.DemoCallEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			number := fmt.Sprintf("8921%07d", rng.IntN(10_000_000))
			if _, err := s.emulator.Call("Local/"+DemoQueue+"@switchboard-in", number); err != nil {
				s.log.Warn("demo call failed", "err", err)
			}
		}
	}
}
