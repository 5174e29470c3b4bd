// Package service wires Switchboard's parts into the running contact
// centre: storage, the event bus and its sinks (webhooks, metrics), the PBX
// (Asterisk over ARI, or the built-in emulator), the ACD and the HTTP front.
// cmd/switchboard's serve command is a thin shell around it.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/switchboard-cc/switchboard/adapters/ami"
	"github.com/switchboard-cc/switchboard/adapters/ari"
	"github.com/switchboard-cc/switchboard/adapters/bus"
	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/inbound"
	"github.com/switchboard-cc/switchboard/adapters/metrics"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/adminapi"
	"github.com/switchboard-cc/switchboard/internal/config"
	"github.com/switchboard-cc/switchboard/internal/dashboard"
	"github.com/switchboard-cc/switchboard/internal/hostapi"
	"github.com/switchboard-cc/switchboard/internal/pluginhost"
	"github.com/switchboard-cc/switchboard/internal/queues"
	"github.com/switchboard-cc/switchboard/internal/server"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// Options are what tests and the demo change beyond the configuration.
type Options struct {
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Demo seeds the ACD with a demo queue and agents and, with
	// DemoCallEvery > 0, places an inbound call through the emulator that
	// often. Only with the emulator.
	Demo          bool
	DemoCallEvery time.Duration
	// EmulatorSpeed runs the emulator's clock (and the ACD's) this many
	// times faster than the wall (tests); default 1.
	EmulatorSpeed float64
	// WebhookResolver resolves webhook hosts when a subscription is
	// stored (tests on machines without DNS); default the system's.
	WebhookResolver webhook.Resolver
}

// Service is a running contact centre.
type Service struct {
	cfg  config.Config
	opts Options
	log  *slog.Logger

	db       *store.DB
	bus      *bus.Bus
	emitter  *bus.Emitter
	sender   *webhook.Sender
	metrics  *metrics.Metrics
	emulator *asterisk.Server
	pbx      *ari.Adapter
	engine   *acd.Engine
	queues   *queues.Service
	binding  *inbound.Binding
	board    *dashboard.Dashboard
	ami      *ami.Adapter
	http     *server.Server
	dialer   dialerParts
	plugins  *pluginhost.Manager // nil without a plugin directory
	hosts    *hostapi.Service
}

// New opens and connects everything; Run starts it. On error everything
// already opened is closed.
func New(ctx context.Context, cfg config.Config, opts Options) (s *Service, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.EmulatorSpeed == 0 {
		opts.EmulatorSpeed = 1
	}
	s = &Service{cfg: cfg, opts: opts, log: opts.Logger}
	defer func() {
		if err != nil {
			s.close()
		}
	}()

	if s.db, err = store.Open(ctx, store.Config{DSN: cfg.DB, DataDir: cfg.DataDir, Logger: s.log}); err != nil {
		return nil, err
	}
	if applied, err := s.db.MigrateUp(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	} else if len(applied) > 0 {
		s.log.Info("database migrated", "applied", applied)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if s.metrics, err = metrics.New(reg); err != nil {
		return nil, err
	}

	if s.bus, err = bus.New(bus.Config{Backend: bus.Backend(cfg.Bus), DB: s.db, NATSURL: cfg.NATSURL, Logger: s.log}); err != nil {
		return nil, err
	}
	if s.sender, err = webhook.New(webhook.Config{DB: s.db, Dialects: pluginRenderer{s}, Resolver: opts.WebhookResolver, Logger: s.log,
		Policy: webhook.Policy{DenyLoopback: cfg.WebhookDenyLoopback, DenyPrivate: cfg.WebhookDenyPrivate, AllowLinkLocal: cfg.WebhookAllowLinkLocal}}); err != nil {
		return nil, err
	}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "switchboard_webhook_deliveries_total", Help: "Webhook deliveries that succeeded.",
	}, func() float64 { return float64(s.sender.Delivered()) }))
	if err := s.bus.AddSink("metrics", s.metrics.Sink); err != nil {
		return nil, err
	}
	if err := s.bus.AddSink("webhooks", s.sender.Sink); err != nil {
		return nil, err
	}
	// The ACD's and AMI's events reach the bus through the outbox, as the
	// dialer's do: once committed, a crash does not lose their webhooks.
	if s.emitter, err = bus.NewOutboxEmitter(bus.OutboxEmitterConfig{DB: s.db, Logger: s.log.With("component", "emitter")}); err != nil {
		return nil, err
	}

	ariCfg := ari.Config{App: cfg.ARIApp, Logger: s.log}
	if cfg.UsesEmulator() {
		var clk *asterisk.Scaled
		emuCfg := asterisk.Config{App: cfg.ARIApp, Logger: s.log.With("component", "emulator")}
		if opts.EmulatorSpeed != 1 {
			clk = &asterisk.Scaled{Factor: opts.EmulatorSpeed}
			emuCfg.Clock, ariCfg.Clock = clk, clk
		}
		if s.emulator, err = asterisk.Start(emuCfg); err != nil {
			return nil, fmt.Errorf("start the Asterisk emulator: %w", err)
		}
		s.log.Info("no Asterisk configured (--ari-url): running the built-in Asterisk emulator",
			"ari", s.emulator.ARIURL(), "ami", s.emulator.AMIAddr())
		ariCfg.Servers = []ari.ServerConfig{{Name: "emulator", URL: s.emulator.ARIURL(), User: "ari", Password: "ari"}}
		ariCfg.LocalTemplate = "Local/{extension}@agents"
		ariCfg.NumberTemplate = "Local/{number}@customers"
	} else {
		ariCfg.Servers = []ari.ServerConfig{{Name: "asterisk", URL: cfg.ARIURL, User: cfg.ARIUser, Password: cfg.ARIPassword}}
	}
	if s.pbx, err = ari.New(ariCfg); err != nil {
		return nil, err
	}
	binding := &lateBinding{}
	engineCfg := acd.EngineConfig{Decisions: binding, Events: s.emitter, Logger: s.log.With("component", "acd")}
	if ariCfg.Clock != nil {
		engineCfg.Clock = ariCfg.Clock
	}
	if s.engine, err = acd.NewEngine(engineCfg); err != nil {
		return nil, err
	}
	s.queues = queues.New(s.db, s.engine, nil)
	if s.binding, err = inbound.New(inbound.Config{Port: s.pbx, ResolveQueue: s.queues.ResolveInbound, OnHandoffResult: s.onHandoffResult, Logger: s.log.With("component", "inbound")}); err != nil {
		return nil, err
	}
	binding.Binding = s.binding
	if err := s.newDialer(engineCfg.Clock); err != nil {
		return nil, err
	}
	if err := s.bus.AddSink("acd-status", s.queues.Sink); err != nil {
		return nil, err
	}

	if s.board, err = dashboard.New(dashboard.Config{ACD: s.engine, Directory: s.queues,
		Campaigns: dashboard.CampaignsOf(s.dialer.campaigns, s.dialer.engine), Password: cfg.AdminPassword, Logger: s.log}); err != nil {
		return nil, err
	}
	if err := s.bus.AddSink("dashboard", s.board.Sink); err != nil {
		return nil, err
	}
	if password, generated := s.board.Password(); generated {
		s.log.Warn("no --admin-password set: the wallboard's admin password for this run is generated", "password", password)
	}

	password, _ := s.board.Password()
	admin, err := adminapi.New(adminapi.Config{Store: s.db, Password: password})
	if err != nil {
		return nil, err
	}
	mounts := map[string]http.Handler{"/": s.board, adminapi.Prefix: admin,
		RecordingsPrefix: recordingsAPI{db: s.db, files: s.pbx, log: s.log.With("component", "recordings")}}
	checks := []server.Check{
		{Name: "database", Check: func(ctx context.Context) error { return s.db.PingContext(ctx) }},
		{Name: "bus", Check: s.busReady},
		{Name: "asterisk", Check: func(context.Context) error { return s.pbx.Healthy() }},
	}
	if err := s.newAMI(&checks); err != nil {
		return nil, err
	}
	if s.hosts, err = hostapi.New(hostapi.Config{DB: s.db, Queues: s.queues, Campaigns: s.dialer.campaigns, Webhooks: s.sender,
		Logger: s.log.With("component", "hostapi")}); err != nil {
		return nil, err
	}
	if err := s.newPlugins(reg, mounts, &checks); err != nil {
		return nil, err
	}
	s.http, err = server.New(server.Config{
		Addr:    cfg.Addr,
		Mounts:  mounts,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Checks:  checks,
		Logger:  s.log,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// lateBinding lets the engine be built before the binding that needs it.
type lateBinding struct{ *inbound.Binding }

func (s *Service) busReady(context.Context) error {
	select {
	case <-s.bus.Running():
		return nil
	default:
		return errors.New("event router not running")
	}
}

// URL is the HTTP front's base URL.
func (s *Service) URL() string { return s.http.URL() }

// publicURL is the base of links the service hands out (--public-url, or
// the listener's URL).
func (s *Service) publicURL() string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	return s.URL()
}

// Engine is the ACD engine (for the API handlers and tests).
func (s *Service) Engine() *acd.Engine { return s.engine }

// Queues manages the tenants' queues, agents and tiers.
func (s *Service) Queues() *queues.Service { return s.queues }

// HostAPI is the host API the dialect plugin of that name is served (its
// dialect's accounts).
func (s *Service) HostAPI(name string) dialect.Host {
	if accounts, ok := pluginAccounts[name]; ok {
		return s.hosts.ForPlugin(name, accounts)
	}
	return s.hosts.For(name)
}

// Emulator is the built-in Asterisk emulator, nil against a real Asterisk.
func (s *Service) Emulator() *asterisk.Server { return s.emulator }

// DB is the service's database.
func (s *Service) DB() *store.DB { return s.db }

// Run runs the service until ctx ends or a part fails, then stops every part.
func (s *Service) Run(ctx context.Context) error {
	defer s.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	s.pbx.Start()
	// Hear call events before the PBX has connected (Start only begins to
	// dial), so no call at start-up goes unheard.
	if err := s.binding.Listen(ctx); err != nil {
		cancel()
		return err
	}
	g.Go(func() error { return s.bus.Run(ctx) })
	g.Go(func() error { return s.emitter.Run(ctx) })
	g.Go(func() error { return s.sender.Run(ctx) })
	g.Go(func() error { return s.engine.Run(ctx) })
	g.Go(func() error { return s.board.Run(ctx) })
	n, err := s.queues.Restore(ctx)
	if err != nil {
		cancel()
		_ = g.Wait()
		return fmt.Errorf("restore the ACD: %w", err)
	}
	s.log.Info("ACD restored from the database", "commands", n)
	g.Go(func() error { return s.binding.Run(ctx, s.engine) })
	if err := s.runDialer(ctx, g.Go); err != nil {
		cancel()
		_ = g.Wait()
		return err
	}
	g.Go(func() error { return s.runAMI(ctx) })
	g.Go(func() error { return s.http.Run(ctx) })
	if s.opts.Demo && s.emulator != nil {
		g.Go(func() error { return s.runDemo(ctx) })
	}
	s.log.Info("switchboard serving", "url", s.URL(), "wallboard", s.URL()+"/", "metrics", s.URL()+"/metrics", "ready", s.URL()+"/readyz")
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func (s *Service) close() {
	if s.plugins != nil {
		_ = s.plugins.Close()
	}
	if s.ami != nil {
		_ = s.ami.Close()
	}
	if s.pbx != nil {
		_ = s.pbx.Close()
	}
	if s.emulator != nil {
		_ = s.emulator.Close()
	}
	if s.bus != nil {
		_ = s.bus.Close()
	}
	if s.db != nil {
		_ = s.db.Close()
	}
}

// Get is a convenience for tests: GET path on the HTTP front.
func (s *Service) Get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+path, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}
