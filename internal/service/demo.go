package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// DemoTenant owns the demo queue; DemoQueueName is the queue's name.
const (
	DemoTenant    = "demo"
	DemoQueueName = "support"
)

// seedDemo makes sure the demo tenant has its queue and four agents (kept in
// the database, so a restart finds them), programs the agents' phones in the
// emulator (they answer after a few seconds and talk a while), and returns
// the queue's id.
func (s *Service) seedDemo(ctx context.Context) (int64, error) {
	qs, err := s.queues.Queues(ctx, DemoTenant)
	if err != nil {
		return 0, err
	}
	for _, q := range qs {
		if q.Name == DemoQueueName {
			return q.ID, s.programDemoPhones(ctx)
		}
	}
	cfg := acd.NewQueueConfig("")
	cfg.Strategy = acd.LongestIdleAgent
	cfg.MaxWaitTime = 3 * time.Minute
	cfg.AnnounceSound, cfg.AnnounceFrequency = "sound:queue-periodic-announce", 30*time.Second
	cfg.RecordEnabled = true
	q, err := s.queues.CreateQueue(ctx, DemoTenant, DemoQueueName, "demo queue", cfg)
	if err != nil {
		return 0, err
	}
	for i := range 4 {
		a := acd.NewAgentConfig("", acd.LocalAgent)
		a.Extension, a.Name, a.WrapUpTime = fmt.Sprintf("10%02d", i+1), fmt.Sprintf("Demo agent %d", i+1), 5*time.Second
		agent, err := s.queues.CreateAgent(ctx, DemoTenant, a, acd.Available, nil)
		if err != nil {
			return 0, err
		}
		if err := s.queues.SetTier(ctx, DemoTenant, store.Tier{QueueID: q.ID, AgentID: agent.ID, Level: 1, Position: i + 1}); err != nil {
			return 0, err
		}
	}
	return q.ID, s.programDemoPhones(ctx)
}

func (s *Service) programDemoPhones(ctx context.Context) error {
	agents, err := s.queues.Agents(ctx, DemoTenant, acd.LocalAgent)
	if err != nil {
		return err
	}
	for i, a := range agents {
		if err := s.emulator.SetEndpoint("agents", a.Config.Extension, asterisk.Behaviour{
			Result: asterisk.ResultAnswer, RingFor: time.Duration(2+i%4) * time.Second, HangupAfter: time.Duration(25+15*(i%4)) * time.Second,
		}); err != nil {
			return err
		}
	}
	return nil
}

// runDemo seeds the demo and, when asked, places an inbound call into the
// demo queue every DemoCallEvery.
func (s *Service) runDemo(ctx context.Context) error {
	queueID, err := s.seedDemo(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	endpoint := "Local/" + DemoQueueName + "@switchboard-in"
	s.log.Info("demo queue ready", "tenant", DemoTenant, "queue", DemoQueueName, "id", queueID, "inbound", endpoint)
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
			if _, err := s.emulator.Call(endpoint, number); err != nil {
				s.log.Warn("demo call failed", "err", err)
			}
		}
	}
}
