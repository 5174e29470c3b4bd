// Package hostapitest runs the service's real host API (internal/hostapi)
// inside a test process, for tests that call it directly: the real ACD and
// dialer engines over a SQLite store (no PBX carries the ACD's decisions
// out: Env.Decisions lists them), the dialer on the fake PBX of
// pkg/telephony/telephonytest (its calls ring for an hour), and the real
// webhook sender (it stores and checks subscriptions; it is not run, so
// nothing is delivered).
package hostapitest

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/internal/campaigns"
	"github.com/switchboard-cc/switchboard/internal/hostapi"
	"github.com/switchboard-cc/switchboard/internal/queues"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony/telephonytest"
)

// Config changes the environment New builds.
type Config struct {
	// Policy is the webhook sender's address policy.
	Policy webhook.Policy
	// Dialects renders dialect subscriptions (and says which dialects are
	// served); nil: none is, and creating a dialect's subscription fails.
	Dialects webhook.DialectRenderer
	// Now is the host's token and plugin state clock; default time.Now.
	Now func() time.Time
	// Open opens the migrated store; default storetest.SQLite (pass
	// storetest.Postgres, or a storetest.Backend's Open, for PostgreSQL).
	Open func(testing.TB) *store.DB
}

// Env is a running host API.
type Env struct {
	DB      *store.DB
	Service *hostapi.Service
	// ACD is the running ACD engine: tests put callers in queues with
	// acd.Join (no PBX side carries its decisions out; Decisions lists them).
	ACD *acd.Engine
	// PBX is the dialer's fake PBX: PBX.Advance delivers the events of its
	// calls (a hang-up the dialer asked for, say) to the dialer.
	PBX *telephonytest.PBX

	mu        sync.Mutex
	decisions []acd.Decision
}

// Decisions lists the ACD's decisions so far, in order.
func (e *Env) Decisions() []acd.Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.decisions)
}

// New builds the environment; the test's cleanup stops its engines.
func New(t testing.TB, cfg Config) *Env {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.Open == nil {
		cfg.Open = storetest.SQLite
	}
	db := cfg.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })

	env := &Env{DB: db}
	acdEngine, err := acd.NewEngine(acd.EngineConfig{Decisions: acd.DecisionSinkFunc(func(ds []acd.Decision) {
		env.mu.Lock()
		env.decisions = append(env.decisions, ds...)
		env.mu.Unlock()
	}), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = acdEngine.Run(ctx) })

	pbx := telephonytest.New(telephonytest.Config{Seed: 1, Rules: []telephonytest.Rule{{Answer: 1, RingTime: telephonytest.Fix(time.Hour)}}})
	rec := campaigns.NewRecorder(db, quiet)
	dialEngine, err := dialer.NewEngine(dialer.EngineConfig{Clock: pbx.Clock(), Port: rec.Guard(pbx), Calls: pbx,
		Contacts: store.ContactSource{DB: db}, Publisher: rec, Logger: quiet, Dialer: dialer.Config{CallIDPrefix: store.NewID("")[:6] + "-"}})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = dialEngine.Run(ctx) })
	cs, err := campaigns.New(campaigns.Config{DB: db, Engine: dialEngine, Recorder: rec, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := webhook.New(webhook.Config{DB: db, Policy: cfg.Policy, Dialects: cfg.Dialects, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := hostapi.New(hostapi.Config{DB: db, Queues: queues.New(db, acdEngine, nil), Campaigns: cs, Webhooks: sender, Now: cfg.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	env.Service, env.ACD, env.PBX = svc, acdEngine, pbx
	return env
}
