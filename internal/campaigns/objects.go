package campaigns

import (
	"context"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/campaigns/specs"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// Time groups and redial policies are a tenant's objects of their own: a
// dialect copies them into the campaigns that name them, so changing or
// deleting one does not touch a campaign (and the engine never sees them).
// They are checked with the dialer's validation (package specs); field
// errors name the object's own fields ("ranges[0]", "rules.busy.count").

// CreateTimeGroup checks and stores a time group; g.ID is assigned by the store.
func (s *Service) CreateTimeGroup(ctx context.Context, tenant string, g dialer.TimeGroup) (store.TimeGroup, error) {
	if err := specs.CheckTimeGroup(g); err != nil {
		return store.TimeGroup{}, err
	}
	row := store.TimeGroup{Tenant: tenant, Config: g}
	if err := s.cfg.DB.CreateTimeGroup(ctx, &row, s.now()); err != nil {
		return store.TimeGroup{}, err
	}
	return row, nil
}

// UpdateTimeGroup checks and replaces a tenant's time group; g.ID becomes id.
func (s *Service) UpdateTimeGroup(ctx context.Context, tenant string, id int64, g dialer.TimeGroup) (store.TimeGroup, error) {
	if err := specs.CheckTimeGroup(g); err != nil {
		return store.TimeGroup{}, err
	}
	row := store.TimeGroup{ID: id, Tenant: tenant, Config: g}
	if err := s.cfg.DB.UpdateTimeGroup(ctx, &row, s.now()); err != nil {
		return store.TimeGroup{}, err
	}
	return s.cfg.DB.TimeGroup(ctx, tenant, id)
}

// TimeGroup returns a tenant's time group.
func (s *Service) TimeGroup(ctx context.Context, tenant string, id int64) (store.TimeGroup, error) {
	return s.cfg.DB.TimeGroup(ctx, tenant, id)
}

// TimeGroups lists a tenant's time groups by id.
func (s *Service) TimeGroups(ctx context.Context, tenant string) ([]store.TimeGroup, error) {
	return s.cfg.DB.TimeGroups(ctx, tenant)
}

// DeleteTimeGroup deletes a tenant's time group.
func (s *Service) DeleteTimeGroup(ctx context.Context, tenant string, id int64) error {
	return s.cfg.DB.DeleteTimeGroup(ctx, tenant, id)
}

// CreateRedialPolicy checks p (filling its defaults) and stores it with its
// name; the store assigns the id.
func (s *Service) CreateRedialPolicy(ctx context.Context, tenant, name string, p dialer.RedialPolicy) (store.RedialPolicy, error) {
	if err := specs.CheckRedialPolicy(&p); err != nil {
		return store.RedialPolicy{}, err
	}
	row := store.RedialPolicy{Tenant: tenant, Name: name, Config: p}
	if err := s.cfg.DB.CreateRedialPolicy(ctx, &row, s.now()); err != nil {
		return store.RedialPolicy{}, err
	}
	return row, nil
}

// UpdateRedialPolicy checks p (filling its defaults) and replaces a
// tenant's redial policy with it and name.
func (s *Service) UpdateRedialPolicy(ctx context.Context, tenant string, id int64, name string, p dialer.RedialPolicy) (store.RedialPolicy, error) {
	if err := specs.CheckRedialPolicy(&p); err != nil {
		return store.RedialPolicy{}, err
	}
	row := store.RedialPolicy{ID: id, Tenant: tenant, Name: name, Config: p}
	if err := s.cfg.DB.UpdateRedialPolicy(ctx, &row, s.now()); err != nil {
		return store.RedialPolicy{}, err
	}
	return s.cfg.DB.RedialPolicy(ctx, tenant, id)
}

// RedialPolicy returns a tenant's redial policy.
func (s *Service) RedialPolicy(ctx context.Context, tenant string, id int64) (store.RedialPolicy, error) {
	return s.cfg.DB.RedialPolicy(ctx, tenant, id)
}

// RedialPolicies lists a tenant's redial policies by id.
func (s *Service) RedialPolicies(ctx context.Context, tenant string) ([]store.RedialPolicy, error) {
	return s.cfg.DB.RedialPolicies(ctx, tenant)
}

// DeleteRedialPolicy deletes a tenant's redial policy.
func (s *Service) DeleteRedialPolicy(ctx context.Context, tenant string, id int64) error {
	return s.cfg.DB.DeleteRedialPolicy(ctx, tenant, id)
}
