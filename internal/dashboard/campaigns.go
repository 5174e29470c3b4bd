package dashboard

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// CampaignStore is what CampaignsOf needs of the campaign management:
// *campaigns.Service. Campaigns with an empty tenant lists every tenant's.
type CampaignStore interface {
	Campaigns(ctx context.Context, tenant string) ([]store.Campaign, error)
	Start(ctx context.Context, tenant string, id int64) error
	Stop(ctx context.Context, tenant string, id int64) error
}

// CampaignStats reports a running campaign's live statistics: *dialer.Engine.
type CampaignStats interface {
	Stats(ctx context.Context, campaign string) (dialer.Stats, error)
}

// CampaignsOf shows the stored campaigns with the dialer's live statistics.
func CampaignsOf(cs CampaignStore, stats CampaignStats) Campaigns {
	return storedCampaigns{store: cs, stats: stats}
}

type storedCampaigns struct {
	store CampaignStore
	stats CampaignStats
}

func (s storedCampaigns) Campaigns(ctx context.Context) ([]Campaign, error) {
	cs, err := s.store.Campaigns(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]Campaign, 0, len(cs))
	for _, c := range cs {
		st, err := s.stats.Stats(ctx, c.Config.ID)
		switch {
		case errors.Is(err, dialer.ErrUnknownCampaign):
			st = dialer.Stats{State: c.State}
		case err != nil:
			return nil, fmt.Errorf("campaign %d: %w", c.ID, err)
		}
		out = append(out, Campaign{Tenant: c.Tenant, ID: store.ACDID(c.ID), Name: c.Name, Mode: c.Config.Mode,
			TargetCPS: c.Config.Pacing.Rate.CPS(), Stats: st})
	}
	return out, nil
}

func (s storedCampaigns) StartCampaign(ctx context.Context, tenant, id string) error {
	n, err := store.ParseACDID(id)
	if err != nil {
		return err
	}
	return s.store.Start(ctx, tenant, n)
}

func (s storedCampaigns) StopCampaign(ctx context.Context, tenant, id string) error {
	n, err := store.ParseACDID(id)
	if err != nil {
		return err
	}
	return s.store.Stop(ctx, tenant, n)
}
