package service

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
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

// DemoAccount is a demo account of one dialect with credentials to try it.
type DemoAccount struct {
	Dialect     string
	Account     string
	Credentials accounts.Credentials
}

// ProvisionDemoTenants makes sure each of the dialects has a demo tenant
// and returns their credentials. The store keeps only hashes of secrets, so
// an existing demo tenant's secret is rotated to be shown.
func ProvisionDemoTenants(ctx context.Context, db *store.DB, dialects []string, now time.Time) ([]DemoAccount, error) {
	var out []DemoAccount
	for _, d := range dialects {
		name := "demo " + d
		existing, err := db.Accounts(ctx, d)
		if err != nil {
			return nil, err
		}
		t := DemoAccount{Dialect: d}
		for _, a := range existing {
			if a.Name == name {
				t.Account = a.ID
			}
		}
		if t.Account != "" {
			t.Credentials, err = accounts.Rotate(ctx, db, t.Account, now)
		} else {
			var a store.Account
			a, t.Credentials, err = accounts.Create(ctx, db, accounts.Request{Dialect: d, Name: name, Email: "demo-" + d + "@switchboard.local"}, now)
			t.Account = a.ID
		}
		if err != nil {
			return nil, fmt.Errorf("demo tenant for %s: %w", d, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// seedDemoTenants gives every loaded vendor dialect a demo tenant and logs
// its credentials with the dialect's URL, so a user can try the APIs at once.
func (s *Service) seedDemoTenants(ctx context.Context) error {
	if s.plugins == nil {
		return nil
	}
	var dialects []string
	for _, d := range accounts.Dialects {
		if slices.Contains(s.plugins.Dialects(), d) {
			dialects = append(dialects, d)
		}
	}
	tenants, err := ProvisionDemoTenants(ctx, s.db, dialects, time.Now())
	if err != nil {
		return err
	}
	for _, t := range tenants {
		attrs := []any{"dialect", t.Dialect, "account", t.Account, "url", s.URL() + "/" + t.Dialect + "/"}
		for _, k := range slices.Sorted(maps.Keys(t.Credentials)) {
			attrs = append(attrs, k, t.Credentials[k])
		}
		s.log.Info("demo tenant: try the "+t.Dialect+" API with", attrs...)
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
	if err := s.seedDemoTenants(ctx); err != nil {
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
