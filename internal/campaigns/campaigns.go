// Package campaigns is the tenant-facing management of the outbound dialer:
// trunks, campaigns and their contacts kept in the database and in the
// running dialer engine at once, so that what a tenant configures survives a
// restart and takes effect immediately, and a restarted service resumes its
// running campaigns where they stopped; and the time groups and redial
// policies a tenant keeps apart (stored only: a dialect copies them into
// campaigns). Every method is scoped to one tenant; another tenant's
// objects are not found.
package campaigns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// Engine is what the service needs of the running dialer: *dialer.Engine.
type Engine interface {
	Do(ctx context.Context, cmd dialer.Command) error
	Stats(ctx context.Context, campaign string) (dialer.Stats, error)
}

// Config wires a Service.
type Config struct {
	DB     *store.DB
	Engine Engine
	// Recorder is the engine's Publisher (restores are kept quiet through it).
	Recorder *Recorder
	// Now defaults to time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Service manages trunks, campaigns and contacts.
type Service struct {
	cfg Config

	mu     sync.Mutex
	queues map[string]string // agent-mode campaign → its queue

	// refs is held by the changes that look at which campaigns use a trunk
	// (replacing or deleting it) and by those that change it (creating or
	// updating a campaign), so that neither misses the other.
	refs sync.Mutex
}

// ErrInUse is returned for a trunk that campaigns still use.
var ErrInUse = errors.New("in use by a campaign")

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Engine == nil || cfg.Recorder == nil {
		return nil, errors.New("campaigns: db, engine and recorder are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg, queues: map[string]string{}}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Restore loads the stored trunks and campaigns into the engine at
// start-up: attempts left open by a crash are closed as failed, campaigns
// that were running start again (their contacts come back with their
// progress through the store's ContactSource), a stopping one is stopped.
// A campaign the engine refuses is logged and skipped. It returns how many
// campaigns run.
func (s *Service) Restore(ctx context.Context) (int, error) {
	db, log := s.cfg.DB, s.cfg.Logger
	if n, err := db.CloseInterruptedAttempts(ctx, s.now()); err != nil {
		return 0, err
	} else if n > 0 {
		log.Info("dialer: attempts interrupted by the last stop closed as failed", "attempts", n)
	}
	trunks, err := db.Trunks(ctx, "")
	if err != nil {
		return 0, err
	}
	for _, t := range trunks {
		if err := s.cfg.Engine.Do(ctx, dialer.PutTrunk{Trunk: t.Config}); err != nil {
			log.Error("dialer: stored trunk refused", "trunk", t.ID, "err", err)
		}
	}
	cs, err := db.Campaigns(ctx, "")
	if err != nil {
		return 0, err
	}
	defer s.cfg.Recorder.restored()
	running := 0
	for _, c := range cs {
		id := c.Config.ID
		cfg := c.Config
		if c.State != dialer.StateCreated {
			cfg.Start = dialer.Start{Mode: dialer.StartManual}
		}
		s.cfg.Recorder.restore(id, c.State)
		if err := s.cfg.Engine.Do(ctx, dialer.AddCampaign{Campaign: cfg}); err != nil {
			log.Error("dialer: stored campaign refused", "campaign", c.ID, "err", err)
			continue
		}
		s.track(cfg)
		if total, err := s.total(ctx, c.ID); err == nil && total > 0 {
			_ = s.cfg.Engine.Do(ctx, dialer.AddContacts{Campaign: id, Total: total})
		}
		switch c.State {
		case dialer.StateRunning:
			if err := s.cfg.Engine.Do(ctx, dialer.StartCampaign{Campaign: id}); err != nil {
				log.Error("dialer: resume campaign", "campaign", c.ID, "err", err)
				continue
			}
			running++
		case dialer.StateStopping:
			if err := db.SetCampaignState(ctx, c.ID, dialer.StateStopped, s.now()); err != nil {
				return running, err
			}
		}
	}
	return running, nil
}

func (s *Service) total(ctx context.Context, id int64) (int, error) {
	counts, err := s.cfg.DB.ContactCounts(ctx, id)
	n := 0
	for _, v := range counts {
		n += v
	}
	return n, err
}

// track remembers which queue an agent-mode campaign dials for.
func (s *Service) track(c dialer.Campaign) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch c.Mode {
	case dialer.ModePreview, dialer.ModeProgressive, dialer.ModeRatio, dialer.ModePredictive:
		s.queues[c.ID] = c.Queue
	default:
		delete(s.queues, c.ID)
	}
}

// AgentQueues lists the queues agent-mode campaigns dial for: the dialer
// needs their agent supply.
func (s *Service) AgentQueues() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var qs []string
	for _, q := range s.queues {
		if q != "" && !slices.Contains(qs, q) {
			qs = append(qs, q)
		}
	}
	slices.Sort(qs)
	return qs
}

// CreateTrunk stores and adds a trunk. cfg.ID is assigned by the store.
func (s *Service) CreateTrunk(ctx context.Context, tenant string, cfg dialer.Trunk) (store.Trunk, error) {
	t := store.Trunk{Tenant: tenant, Config: cfg}
	if cfg.MaxConcurrent < 0 {
		return t, negativeConcurrency(cfg)
	}
	if err := s.cfg.DB.CreateTrunk(ctx, &t, s.now()); err != nil {
		return t, err
	}
	if err := s.cfg.Engine.Do(ctx, dialer.PutTrunk{Trunk: t.Config}); err != nil {
		_, _ = s.cfg.DB.NewDelete().Model((*store.Trunk)(nil)).Where("id = ?", t.ID).Exec(ctx)
		return store.Trunk{}, err
	}
	return t, nil
}

func negativeConcurrency(cfg dialer.Trunk) error {
	return &dialer.FieldError{Field: "trunk.max_concurrent", Value: fmt.Sprint(cfg.MaxConcurrent), Reason: "must not be negative"}
}

// UpdateTrunk replaces a tenant's trunk; cfg.ID is the stored id. The
// engine applies it at once, also under running campaigns (their calls in
// progress go on; a lower limit only holds new ones back). A concurrency
// below what a campaign on the trunk may dial (its pacing.max_concurrent)
// is refused, as the engine would refuse that campaign on its next start-up.
func (s *Service) UpdateTrunk(ctx context.Context, tenant string, id int64, cfg dialer.Trunk) (store.Trunk, error) {
	s.refs.Lock()
	defer s.refs.Unlock()
	old, err := s.cfg.DB.Trunk(ctx, tenant, id)
	if err != nil {
		return store.Trunk{}, err
	}
	if cfg.MaxConcurrent < 0 {
		return store.Trunk{}, negativeConcurrency(cfg)
	}
	users, err := s.trunkUsers(ctx, tenant, id)
	if err != nil {
		return store.Trunk{}, err
	}
	for _, c := range users {
		if n := c.Config.Pacing.MaxConcurrent; cfg.MaxConcurrent > 0 && n > cfg.MaxConcurrent {
			return store.Trunk{}, &dialer.FieldError{Field: "trunk.max_concurrent", Value: fmt.Sprint(cfg.MaxConcurrent),
				Reason: fmt.Sprintf("campaign %d on this trunk dials up to %d calls", c.ID, n)}
		}
	}
	cfg.ID = old.Config.ID
	if err := s.cfg.Engine.Do(ctx, dialer.PutTrunk{Trunk: cfg}); err != nil {
		return store.Trunk{}, err
	}
	t := old
	t.Config = cfg
	if err := s.cfg.DB.UpdateTrunk(ctx, &t, s.now()); err != nil {
		if rerr := s.cfg.Engine.Do(ctx, dialer.PutTrunk{Trunk: old.Config}); rerr != nil {
			s.cfg.Logger.Error("dialer: trunk left as replaced in the engine, not in the store", "trunk", id, "err", rerr)
		}
		return store.Trunk{}, err
	}
	return s.cfg.DB.Trunk(ctx, tenant, id)
}

// DeleteTrunk deletes a tenant's trunk that no campaign uses; otherwise it
// returns ErrInUse naming the campaigns, running or not (the engine would
// refuse a stored campaign on a missing trunk at the next start-up). The
// running engine keeps the trunk's limits until the service restarts (it
// has no command to forget a trunk); no campaign can use it again, as its
// id is not reused.
func (s *Service) DeleteTrunk(ctx context.Context, tenant string, id int64) error {
	s.refs.Lock()
	defer s.refs.Unlock()
	if _, err := s.cfg.DB.Trunk(ctx, tenant, id); err != nil {
		return err
	}
	users, err := s.trunkUsers(ctx, tenant, id)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		names := make([]string, len(users))
		for i, c := range users {
			names[i] = fmt.Sprintf("%d (%s)", c.ID, c.State)
		}
		return fmt.Errorf("campaigns: trunk %d is used by campaign %s: %w", id, strings.Join(names, ", "), ErrInUse)
	}
	return s.cfg.DB.DeleteTrunk(ctx, tenant, id)
}

// trunkUsers lists the tenant's campaigns on trunk id.
func (s *Service) trunkUsers(ctx context.Context, tenant string, id int64) ([]store.Campaign, error) {
	cs, err := s.cfg.DB.Campaigns(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(cs, func(c store.Campaign) bool { return c.Config.Trunk != store.ACDID(id) }), nil
}

// Trunks lists a tenant's trunks.
func (s *Service) Trunks(ctx context.Context, tenant string) ([]store.Trunk, error) {
	return s.cfg.DB.Trunks(ctx, tenant)
}

// checkRefs makes sure a campaign's trunk and queue are the tenant's own.
func (s *Service) checkRefs(ctx context.Context, tenant string, c dialer.Campaign) error {
	if c.Trunk != "" {
		id, err := store.ParseACDID(c.Trunk)
		if err == nil {
			_, err = s.cfg.DB.Trunk(ctx, tenant, id)
		}
		if err != nil {
			return &dialer.FieldError{Field: "trunk", Value: c.Trunk, Reason: "no such trunk"}
		}
	}
	if c.Queue != "" {
		id, err := store.ParseACDID(c.Queue)
		if err == nil {
			_, err = s.cfg.DB.Queue(ctx, tenant, id)
		}
		if err != nil {
			return &dialer.FieldError{Field: "queue", Value: c.Queue, Reason: "no such queue"}
		}
	}
	return nil
}

// CreateCampaign stores and adds a campaign; cfg.ID is assigned by the store
// and cfg.Tenant is the tenant. Its Start decides when it runs.
func (s *Service) CreateCampaign(ctx context.Context, tenant string, cfg dialer.Campaign) (store.Campaign, error) {
	s.refs.Lock()
	defer s.refs.Unlock()
	check := cfg
	check.ID, check.Tenant = "new", tenant
	check.SetDefaults()
	if err := check.Validate(); err != nil {
		return store.Campaign{}, err
	}
	if err := s.checkRefs(ctx, tenant, cfg); err != nil {
		return store.Campaign{}, err
	}
	c := store.Campaign{Tenant: tenant, Name: cfg.Name, Config: cfg}
	if err := s.cfg.DB.CreateCampaign(ctx, &c, s.now()); err != nil {
		return store.Campaign{}, err
	}
	if err := s.cfg.Engine.Do(ctx, dialer.AddCampaign{Campaign: c.Config}); err != nil {
		_ = s.cfg.DB.DeleteCampaign(ctx, tenant, c.ID)
		return store.Campaign{}, err
	}
	s.track(c.Config)
	return s.cfg.DB.Campaign(ctx, tenant, c.ID)
}

// UpdateCampaign reconfigures a campaign (mode, queue and trunk only while
// it is not running).
func (s *Service) UpdateCampaign(ctx context.Context, c store.Campaign) (store.Campaign, error) {
	s.refs.Lock()
	defer s.refs.Unlock()
	old, err := s.cfg.DB.Campaign(ctx, c.Tenant, c.ID)
	if err != nil {
		return store.Campaign{}, err
	}
	c.Config.ID, c.Config.Tenant = old.Config.ID, c.Tenant
	if err := s.checkRefs(ctx, c.Tenant, c.Config); err != nil {
		return store.Campaign{}, err
	}
	if err := s.cfg.Engine.Do(ctx, dialer.UpdateCampaign{Campaign: c.Config}); err != nil {
		return store.Campaign{}, err
	}
	if err := s.cfg.DB.UpdateCampaign(ctx, &c, s.now()); err != nil {
		return store.Campaign{}, err
	}
	s.track(c.Config)
	return s.cfg.DB.Campaign(ctx, c.Tenant, c.ID)
}

// Campaign returns a tenant's campaign as stored.
func (s *Service) Campaign(ctx context.Context, tenant string, id int64) (store.Campaign, error) {
	return s.cfg.DB.Campaign(ctx, tenant, id)
}

// Campaigns lists a tenant's campaigns.
func (s *Service) Campaigns(ctx context.Context, tenant string) ([]store.Campaign, error) {
	return s.cfg.DB.Campaigns(ctx, tenant)
}

// Start starts (or resumes) a campaign.
func (s *Service) Start(ctx context.Context, tenant string, id int64) error {
	c, err := s.cfg.DB.Campaign(ctx, tenant, id)
	if err != nil {
		return err
	}
	return s.cfg.Engine.Do(ctx, dialer.StartCampaign{Campaign: c.Config.ID})
}

// Stop stops a campaign: no new calls, in-flight calls finish.
func (s *Service) Stop(ctx context.Context, tenant string, id int64) error {
	c, err := s.cfg.DB.Campaign(ctx, tenant, id)
	if err != nil {
		return err
	}
	return s.cfg.Engine.Do(ctx, dialer.StopCampaign{Campaign: c.Config.ID})
}

// Delete removes a campaign that is not running, with its contacts and attempts.
func (s *Service) Delete(ctx context.Context, tenant string, id int64) error {
	c, err := s.cfg.DB.Campaign(ctx, tenant, id)
	if err != nil {
		return err
	}
	if err := s.cfg.Engine.Do(ctx, dialer.RemoveCampaign{Campaign: c.Config.ID}); err != nil && !errors.Is(err, dialer.ErrUnknownCampaign) {
		return err
	}
	s.mu.Lock()
	delete(s.queues, c.Config.ID)
	s.mu.Unlock()
	return s.cfg.DB.DeleteCampaign(ctx, tenant, id)
}

// ImportResult says what an import did. Rejected are the contacts not
// imported (by index in the input, with the reason); DroppedNumbers are
// numbers left out of contacts that were imported (Index is the contact's).
type ImportResult struct {
	Imported       int                `json:"imported"`
	Rejected       []dialer.Rejection `json:"rejected,omitempty"`
	DroppedNumbers []dialer.Rejection `json:"dropped_numbers,omitempty"`
}

// Import normalises contacts with dialer.NewContact in the campaign's
// default region, stores the valid ones in batches and wakes the campaign
// so that it fetches them.
func (s *Service) Import(ctx context.Context, tenant string, id int64, in []dialer.ContactInput) (ImportResult, error) {
	c, err := s.cfg.DB.Campaign(ctx, tenant, id)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	valid := make([]dialer.Contact, 0, len(in))
	index := make([]int, 0, len(in))
	for i, ci := range in {
		ct, dropped, err := dialer.NewContact(ci, c.Config.DefaultRegion)
		if err != nil {
			res.Rejected = append(res.Rejected, dialer.Rejection{Index: i, Raw: ci.ID, Reason: rejectionReason(err)})
			continue
		}
		for _, d := range dropped {
			res.DroppedNumbers = append(res.DroppedNumbers, dialer.Rejection{Index: i, Raw: d.Raw, Reason: d.Reason})
		}
		valid = append(valid, ct)
		index = append(index, i)
	}
	n, dups, err := s.cfg.DB.InsertContacts(ctx, id, valid, s.now())
	if err != nil {
		return ImportResult{}, err
	}
	for _, d := range dups {
		d.Index = index[d.Index]
		res.Rejected = append(res.Rejected, d)
	}
	slices.SortFunc(res.Rejected, func(a, b dialer.Rejection) int { return a.Index - b.Index })
	res.Imported = n
	if n == 0 {
		return res, nil
	}
	total, err := s.total(ctx, id)
	if err != nil {
		return res, err
	}
	if err := s.cfg.Engine.Do(ctx, dialer.AddContacts{Campaign: c.Config.ID, Total: total}); err != nil {
		return res, fmt.Errorf("campaigns: wake campaign %d: %w", id, err)
	}
	if c.State == dialer.StateFinished {
		// After a restart the engine holds a finished campaign as created.
		if err := s.cfg.Engine.Do(ctx, dialer.StartCampaign{Campaign: c.Config.ID}); err != nil && !errors.Is(err, dialer.ErrState) {
			return res, err
		}
	}
	return res, nil
}

func rejectionReason(err error) string {
	var fe *dialer.FieldError
	if errors.As(err, &fe) {
		switch fe.Field {
		case "numbers":
			return dialer.ReasonInvalidNumber
		case "id":
			return dialer.ReasonMissingID
		case "custom":
			return dialer.ReasonTooManyCustom
		case "callback":
			return dialer.ReasonInvalidCallback
		}
		return fe.Field + ": " + fe.Reason
	}
	return err.Error()
}

// Status is a campaign as stored with its live statistics and its contacts
// counted by status (from the store, so they survive restarts).
type Status struct {
	Campaign store.Campaign
	Stats    dialer.Stats
	Contacts map[string]int
}

// Status reports a tenant's campaign.
func (s *Service) Status(ctx context.Context, tenant string, id int64) (Status, error) {
	c, err := s.cfg.DB.Campaign(ctx, tenant, id)
	if err != nil {
		return Status{}, err
	}
	st := Status{Campaign: c}
	if st.Stats, err = s.cfg.Engine.Stats(ctx, c.Config.ID); err != nil {
		return Status{}, err
	}
	if st.Contacts, err = s.cfg.DB.ContactCounts(ctx, id); err != nil {
		return Status{}, err
	}
	return st, nil
}

// Attempts lists a tenant's campaign's attempts (call history), optionally
// of one contact.
func (s *Service) Attempts(ctx context.Context, tenant string, id int64, contact string) ([]store.Attempt, error) {
	if _, err := s.cfg.DB.Campaign(ctx, tenant, id); err != nil {
		return nil, err
	}
	return s.cfg.DB.Attempts(ctx, id, contact)
}
