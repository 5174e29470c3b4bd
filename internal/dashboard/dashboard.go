// Package dashboard is the supervisor's wallboard served at `/`: queues,
// agents and campaigns, live over server-sent events fed by the event bus,
// behind an admin login. A supervisor can log agents in and out, put them on
// break and start or stop campaigns.
//
// One goroutine (Run) owns the board's model. Bus events only mark queues,
// agents and campaigns dirty and add to today's tallies; a short coalescing
// timer then reads the dirty ones from the ACD in one pass and sends every
// browser one delta, so a busy centre costs one small message per interval
// rather than one page render per event. The page is plain HTML with a small
// vanilla script, embedded in the binary: nothing is built on the user's
// machine.
package dashboard

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// ACD is what the board reads of the running ACD: *acd.Engine.
type ACD interface {
	Read(ctx context.Context, f func(v acd.View, now time.Time)) error
}

// Directory is what the board needs of the tenant-facing management:
// *queues.Service.
type Directory interface {
	Queue(ctx context.Context, tenant string, id int64) (store.Queue, error)
	SetAgentStatus(ctx context.Context, tenant string, id int64, status acd.Status, source string) error
}

// Campaign is one campaign as the board shows it.
type Campaign struct {
	Tenant string
	ID     string
	Name   string
	Mode   dialer.Mode
	// TargetCPS is the campaign's calls-per-second limit (0: none).
	TargetCPS float64
	Stats     dialer.Stats
}

// Campaigns is what the board needs of the outbound campaigns; nil when the
// service runs none.
type Campaigns interface {
	// Campaigns lists every tenant's campaigns with their live stats.
	Campaigns(ctx context.Context) ([]Campaign, error)
	StartCampaign(ctx context.Context, tenant, id string) error
	StopCampaign(ctx context.Context, tenant, id string) error
}

// Config configures a Dashboard.
type Config struct {
	ACD       ACD
	Directory Directory
	// Campaigns is optional.
	Campaigns Campaigns
	// Password is the admin password; empty generates one (see Password).
	Password string
	// ServiceLevel is the answer time a call must meet to count toward the
	// service level; default 20 s.
	ServiceLevel time.Duration
	// Coalesce is how long changes gather before one delta goes out; default 250 ms.
	Coalesce time.Duration
	// MaxMembers caps the callers listed per queue; default 50.
	MaxMembers int
	// Now is the wall clock (default time.Now); Location the day boundary
	// of the "today" tallies (default time.Local).
	Now      func() time.Time
	Location *time.Location
	Logger   *slog.Logger
}

func (c *Config) setDefaults() {
	if c.ServiceLevel == 0 {
		c.ServiceLevel = 20 * time.Second
	}
	if c.Coalesce == 0 {
		c.Coalesce = 250 * time.Millisecond
	}
	if c.MaxMembers == 0 {
		c.MaxMembers = 50
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports a configuration New would refuse.
func (c Config) Validate() error {
	switch {
	case c.ACD == nil:
		return errors.New("dashboard: ACD is required")
	case c.Directory == nil:
		return errors.New("dashboard: Directory is required")
	case c.ServiceLevel < 0:
		return errors.New("dashboard: ServiceLevel must not be negative")
	case c.Coalesce < 0:
		return errors.New("dashboard: Coalesce must not be negative")
	case c.MaxMembers < 0:
		return errors.New("dashboard: MaxMembers must not be negative")
	}
	return nil
}

// Dashboard is the wallboard: an http.Handler, a bus sink and the goroutine
// (Run) that owns the model.
type Dashboard struct {
	cfg       Config
	log       *slog.Logger
	auth      *auth
	mux       *http.ServeMux
	generated bool

	events chan []event.Event
	subs   chan subscribeReq
	unsubs chan *subscriber
	snaps  chan chan []byte
	done   chan struct{}
}

// New builds a dashboard; Run must run for it to answer.
func New(cfg Config) (*Dashboard, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Dashboard{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "dashboard"),
		events: make(chan []event.Event, 1024),
		subs:   make(chan subscribeReq),
		unsubs: make(chan *subscriber),
		snaps:  make(chan chan []byte),
		done:   make(chan struct{}),
	}
	if cfg.Password == "" {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("dashboard: generate a password: %w", err)
		}
		d.cfg.Password, d.generated = base64.RawURLEncoding.EncodeToString(b), true
	}
	var err error
	if d.auth, err = newAuth(d.cfg.Password, cfg.Now); err != nil {
		return nil, err
	}
	d.routes()
	return d, nil
}

// Password is the admin password, and whether New generated it (the
// service prints a generated one at start).
func (d *Dashboard) Password() (string, bool) { return d.cfg.Password, d.generated }

// Sink receives the bus's events; its signature fits bus.SinkFunc. It only
// hands the batch to Run, so it does not hold the bus up.
func (d *Dashboard) Sink(ctx context.Context, events []event.Event) error {
	select {
	case d.events <- events:
		return nil
	case <-d.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run owns the model until ctx ends.
func (d *Dashboard) Run(ctx context.Context) error {
	defer close(d.done)
	h := newHub(d.cfg, d.log)
	return h.run(ctx, d)
}

// ServeHTTP serves the wallboard, its login, assets, event stream and actions.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.mux.ServeHTTP(w, r) }
