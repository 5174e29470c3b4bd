package campaigns_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/internal/campaigns"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// waitState waits until the stored campaign is in one of states.
func waitState(t *testing.T, svc *campaigns.Service, tenant string, id int64, states ...dialer.State) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := svc.Campaign(context.Background(), tenant, id)
		if err == nil && slices.Contains(states, c.State) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign %d: %+v %v, want state %v", id, c.State, err, states)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A trunk is replaced in the store and the engine at once, also under a
// running campaign, but not below a campaign's concurrency; it is deleted
// only when no campaign uses it.
func TestTrunkReplaceAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, _, _ := newService(t, db)
		tr, err := svc.CreateTrunk(ctx, "t1", dialer.Trunk{Name: "line", MaxConcurrent: 2})
		if err != nil {
			t.Fatal(err)
		}
		cfg := ivr()
		cfg.Trunk, cfg.Pacing.MaxConcurrent = tr.Config.ID, 2
		c, err := svc.CreateCampaign(ctx, "t1", cfg)
		if err != nil {
			t.Fatal(err)
		}
		var fe *dialer.FieldError
		for _, bad := range []struct {
			name  string
			trunk dialer.Trunk
		}{
			{"below the campaign's concurrency", dialer.Trunk{MaxConcurrent: 1}},
			{"negative concurrency", dialer.Trunk{MaxConcurrent: -1}},
		} {
			if _, err := svc.UpdateTrunk(ctx, "t1", tr.ID, bad.trunk); !errors.As(err, &fe) || fe.Field != "trunk.max_concurrent" {
				t.Errorf("%s: %v", bad.name, err)
			}
		}
		if _, err := svc.UpdateTrunk(ctx, "t1", tr.ID, dialer.Trunk{MaxConcurrent: 5, AvailableFrom: time.Now(), AvailableUntil: time.Now().Add(-time.Hour)}); !errors.As(err, &fe) || fe.Field != "trunk.available_until" {
			t.Errorf("a trunk that is never available: %v", err)
		}
		if _, err := svc.UpdateTrunk(ctx, "t2", tr.ID, dialer.Trunk{Name: "theirs"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 replaces t1's trunk: %v", err)
		}
		if got, err := svc.Trunks(ctx, "t1"); err != nil || len(got) != 1 || got[0].Config.Name != "line" || got[0].Config.MaxConcurrent != 2 {
			t.Fatalf("trunk after refused replacements %+v %v", got, err)
		}

		wide, err := svc.UpdateTrunk(ctx, "t1", tr.ID, dialer.Trunk{ID: "999", Name: "wide", MaxConcurrent: 4})
		if err != nil || wide.ID != tr.ID || wide.Config.ID != tr.Config.ID || wide.Config.Name != "wide" || wide.Config.MaxConcurrent != 4 {
			t.Fatalf("replace %+v %v", wide, err)
		}
		// the engine has the new limit: the campaign may now dial 4 at once, not 5
		stored, _ := svc.Campaign(ctx, "t1", c.ID)
		stored.Config.Pacing.MaxConcurrent = 4
		if _, err := svc.UpdateCampaign(ctx, stored); err != nil {
			t.Errorf("campaign up to the replaced trunk's limit: %v", err)
		}
		stored.Config.Pacing.MaxConcurrent = 5
		if _, err := svc.UpdateCampaign(ctx, stored); !errors.As(err, &fe) || fe.Field != "pacing.max_concurrent" {
			t.Errorf("campaign over the replaced trunk's limit: %v", err)
		}

		if _, err := svc.Import(ctx, "t1", c.ID, []dialer.ContactInput{{ID: "k", Numbers: []string{"89215650644"}}}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(ctx, "t1", c.ID); err != nil {
			t.Fatal(err)
		}
		waitState(t, svc, "t1", c.ID, dialer.StateRunning)
		if got, err := svc.UpdateTrunk(ctx, "t1", tr.ID, dialer.Trunk{Name: "live", MaxConcurrent: 6}); err != nil || got.Config.MaxConcurrent != 6 {
			t.Errorf("replace under a running campaign: %+v %v", got, err)
		}
		err = svc.DeleteTrunk(ctx, "t1", tr.ID)
		if !errors.Is(err, campaigns.ErrInUse) || !strings.Contains(err.Error(), store.ACDID(c.ID)+" (running)") {
			t.Errorf("delete a trunk under a running campaign: %v", err)
		}
		if err := svc.Stop(ctx, "t1", c.ID); err != nil {
			t.Fatal(err)
		}
		waitState(t, svc, "t1", c.ID, dialer.StateStopping, dialer.StateStopped)
		if err := svc.DeleteTrunk(ctx, "t1", tr.ID); !errors.Is(err, campaigns.ErrInUse) {
			t.Errorf("delete a trunk of a stopped campaign: %v", err)
		}

		other := ivr()
		c2, err := svc.CreateCampaign(ctx, "t1", other)
		if err != nil {
			t.Fatal(err)
		}
		tr2, err := svc.CreateTrunk(ctx, "t1", dialer.Trunk{Name: "spare"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteTrunk(ctx, "t2", tr2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 deletes t1's trunk: %v", err)
		}
		if err := svc.DeleteTrunk(ctx, "t1", tr2.ID); err != nil {
			t.Errorf("delete an unused trunk: %v", err)
		}
		if err := svc.DeleteTrunk(ctx, "t1", tr2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete it again: %v", err)
		}
		other.Trunk = tr2.Config.ID
		stored2, _ := svc.Campaign(ctx, "t1", c2.ID)
		stored2.Config = other
		if _, err := svc.UpdateCampaign(ctx, stored2); !errors.As(err, &fe) || fe.Field != "trunk" {
			t.Errorf("a campaign moved to a deleted trunk: %v", err)
		}
		if ts, err := svc.Trunks(ctx, "t1"); err != nil || len(ts) != 1 || ts[0].ID != tr.ID {
			t.Errorf("trunks after delete %+v %v", ts, err)
		}
	})
}

// A trunk deleted while campaigns are created on it concurrently is either
// refused or leaves no campaign on it.
func TestDeleteTrunkRacesCampaigns(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	svc, _, _ := newService(t, db)
	for range 10 {
		tr, err := svc.CreateTrunk(ctx, "t1", dialer.Trunk{})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var created bool
		var deleteErr error
		cfg := ivr()
		cfg.Trunk = tr.Config.ID
		wg.Go(func() { _, err := svc.CreateCampaign(ctx, "t1", cfg); created = err == nil })
		wg.Go(func() { deleteErr = svc.DeleteTrunk(ctx, "t1", tr.ID) })
		wg.Wait()
		if created && deleteErr == nil {
			t.Fatalf("trunk %d deleted under a campaign created on it", tr.ID)
		}
		if !created && deleteErr != nil {
			t.Fatalf("neither happened: delete %v", deleteErr)
		}
	}
}

func TestTimeGroupsAndRedialPolicies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, _, _ := newService(t, db)
		var fe *dialer.FieldError
		if _, err := svc.CreateTimeGroup(ctx, "t1", dialer.TimeGroup{Name: "none"}); !errors.As(err, &fe) || fe.Field != "ranges" {
			t.Errorf("time group without ranges: %v", err)
		}
		g, err := svc.CreateTimeGroup(ctx, "t1", dialer.TimeGroup{ID: "mine", Name: "night", Ranges: []dialer.TimeRange{{From: 21 * time.Hour, To: 9 * time.Hour}}})
		if err != nil || g.Config.ID != store.ACDID(g.ID) {
			t.Fatalf("create time group %+v %v", g, err)
		}
		if _, err := svc.UpdateTimeGroup(ctx, "t1", g.ID, dialer.TimeGroup{Zone: "Nowhere/Else", Ranges: g.Config.Ranges}); !errors.As(err, &fe) || fe.Field != "zone" {
			t.Errorf("replace with a bad zone: %v", err)
		}
		if _, err := svc.UpdateTimeGroup(ctx, "t2", g.ID, g.Config); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 replaces t1's time group: %v", err)
		}
		g.Config.Name = "late night"
		if got, err := svc.UpdateTimeGroup(ctx, "t1", g.ID, g.Config); err != nil || got.Config.Name != "late night" {
			t.Errorf("replace %+v %v", got, err)
		}
		if gs, err := svc.TimeGroups(ctx, "t1"); err != nil || len(gs) != 1 || gs[0].Config.Name != "late night" {
			t.Errorf("list %+v %v", gs, err)
		}

		if _, err := svc.CreateRedialPolicy(ctx, "t1", "bad", dialer.RedialPolicy{MaxTries: 99}); !errors.As(err, &fe) || fe.Field != "max_tries" {
			t.Errorf("redial policy over the tries cap: %v", err)
		}
		p, err := svc.CreateRedialPolicy(ctx, "t1", "follow up", dialer.RedialPolicy{FollowOn: []telephony.Outcome{telephony.OutcomeNoAnswer}})
		if err != nil || p.Name != "follow up" || p.Config.FollowOnCount != 1 {
			t.Fatalf("create redial policy (defaults filled) %+v %v", p, err)
		}
		if _, err := svc.UpdateRedialPolicy(ctx, "t1", p.ID, "x", dialer.RedialPolicy{Rules: map[telephony.Outcome]dialer.RedialRule{telephony.OutcomeBusy: {Count: -1}}}); !errors.As(err, &fe) || fe.Field != "rules.busy.count" {
			t.Errorf("replace with a bad rule: %v", err)
		}
		if _, err := svc.RedialPolicy(ctx, "t2", p.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 reads t1's redial policy: %v", err)
		}
		if err := svc.DeleteRedialPolicy(ctx, "t2", p.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 deletes t1's redial policy: %v", err)
		}
		if got, err := svc.UpdateRedialPolicy(ctx, "t1", p.ID, "busy", dialer.RedialPolicy{MaxTries: 3}); err != nil || got.Name != "busy" || got.Config.MaxTries != 3 || len(got.Config.FollowOn) != 0 {
			t.Errorf("replace %+v %v", got, err)
		}
		if err := svc.DeleteRedialPolicy(ctx, "t1", p.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteTimeGroup(ctx, "t1", g.ID); err != nil {
			t.Fatal(err)
		}
		if ps, err := svc.RedialPolicies(ctx, "t1"); err != nil || len(ps) != 0 {
			t.Errorf("after delete %+v %v", ps, err)
		}
		if _, err := svc.TimeGroup(ctx, "t1", g.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted time group: %v", err)
		}
	})
}
