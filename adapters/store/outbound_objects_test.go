package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Time groups and redial policies round-trip with every field, get ids of
// their own, are replaced and deleted, and another tenant neither sees nor
// changes them.
func TestTimeGroupsAndRedialPolicies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		night := dialer.TimeGroup{Name: "night", Zone: "Europe/Moscow",
			Ranges: []dialer.TimeRange{{Days: []time.Weekday{time.Monday, time.Friday}, From: 21 * time.Hour, To: 9 * time.Hour}},
			Dates:  []dialer.DateRanges{{Date: "2027-01-01", Ranges: []dialer.TimeRange{{From: 0, To: 24 * time.Hour}}}}}
		g := store.TimeGroup{Tenant: "t1", Config: night}
		if err := db.CreateTimeGroup(ctx, &g, now); err != nil {
			t.Fatal(err)
		}
		g2 := store.TimeGroup{Tenant: "t1", Config: dialer.TimeGroup{Name: "lunch", Ranges: []dialer.TimeRange{{From: 13 * time.Hour, To: 14 * time.Hour}}}}
		if err := db.CreateTimeGroup(ctx, &g2, now); err != nil {
			t.Fatal(err)
		}
		if g.ID == 0 || g2.ID == g.ID || g.Config.ID != store.ACDID(g.ID) {
			t.Fatalf("ids %d %d, config id %q", g.ID, g2.ID, g.Config.ID)
		}
		got, err := db.TimeGroup(ctx, "t1", g.ID)
		if err != nil || got.Config.ID != store.ACDID(g.ID) || got.Config.Zone != "Europe/Moscow" || got.Config.Ranges[0].From != 21*time.Hour ||
			got.Config.Ranges[0].Days[1] != time.Friday || got.Config.Dates[0].Date != "2027-01-01" || !got.CreatedAt.Equal(now) {
			t.Fatalf("time group read back %+v %v", got, err)
		}

		busy := dialer.RedialPolicy{MaxTries: 5, RetryPause: time.Hour, FollowOn: []telephony.Outcome{telephony.OutcomeNoAnswer}, FollowOnCount: 2,
			Rules: map[telephony.Outcome]dialer.RedialRule{telephony.OutcomeBusy: {Count: 3, Intervals: []time.Duration{time.Minute, 2 * time.Minute}}}}
		p := store.RedialPolicy{Tenant: "t1", Name: "busy thrice", Config: busy}
		if err := db.CreateRedialPolicy(ctx, &p, now); err != nil {
			t.Fatal(err)
		}
		gotP, err := db.RedialPolicy(ctx, "t1", p.ID)
		if err != nil || gotP.Name != "busy thrice" || gotP.Config.MaxTries != 5 || gotP.Config.FollowOnCount != 2 ||
			gotP.Config.Rules[telephony.OutcomeBusy].Intervals[1] != 2*time.Minute || gotP.Config.FollowOn[0] != telephony.OutcomeNoAnswer {
			t.Fatalf("redial policy read back %+v %v", gotP, err)
		}

		// another tenant: not found everywhere, and nothing changes
		if _, err := db.TimeGroup(ctx, "t2", g.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 reads t1's time group: %v", err)
		}
		if _, err := db.RedialPolicy(ctx, "t2", p.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 reads t1's redial policy: %v", err)
		}
		theirs := store.TimeGroup{ID: g.ID, Tenant: "t2", Config: dialer.TimeGroup{Name: "theirs"}}
		if err := db.UpdateTimeGroup(ctx, &theirs, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 replaces t1's time group: %v", err)
		}
		theirP := store.RedialPolicy{ID: p.ID, Tenant: "t2", Name: "theirs"}
		if err := db.UpdateRedialPolicy(ctx, &theirP, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 replaces t1's redial policy: %v", err)
		}
		if err := db.DeleteTimeGroup(ctx, "t2", g.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 deletes t1's time group: %v", err)
		}
		if err := db.DeleteRedialPolicy(ctx, "t2", p.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 deletes t1's redial policy: %v", err)
		}
		if gs, err := db.TimeGroups(ctx, "t2"); err != nil || len(gs) != 0 {
			t.Errorf("t2 lists %+v %v", gs, err)
		}
		if ps, err := db.RedialPolicies(ctx, "t2"); err != nil || len(ps) != 0 {
			t.Errorf("t2 lists %+v %v", ps, err)
		}
		if got, _ := db.TimeGroup(ctx, "t1", g.ID); got.Config.Name != "night" {
			t.Errorf("t1's time group after t2's attempts: %+v", got.Config)
		}

		// replace
		later := now.Add(time.Hour)
		g.Config = dialer.TimeGroup{ID: "ignored", Name: "evening", Ranges: []dialer.TimeRange{{From: 18 * time.Hour, To: 23 * time.Hour}}}
		if err := db.UpdateTimeGroup(ctx, &g, later); err != nil {
			t.Fatal(err)
		}
		if got, err := db.TimeGroup(ctx, "t1", g.ID); err != nil || got.Config.Name != "evening" || got.Config.ID != store.ACDID(g.ID) ||
			got.Config.Zone != "" || !got.UpdatedAt.Equal(later) || !got.CreatedAt.Equal(now) {
			t.Errorf("replaced time group %+v %v", got, err)
		}
		p.Name, p.Config = "no redials", dialer.RedialPolicy{MaxTries: 1}
		if err := db.UpdateRedialPolicy(ctx, &p, later); err != nil {
			t.Fatal(err)
		}
		if got, err := db.RedialPolicy(ctx, "t1", p.ID); err != nil || got.Name != "no redials" || got.Config.MaxTries != 1 || len(got.Config.Rules) != 0 {
			t.Errorf("replaced redial policy %+v %v", got, err)
		}

		// list by id, delete
		if gs, err := db.TimeGroups(ctx, "t1"); err != nil || len(gs) != 2 || gs[0].ID != g.ID || gs[1].ID != g2.ID {
			t.Errorf("t1 lists %+v %v", gs, err)
		}
		if err := db.DeleteTimeGroup(ctx, "t1", g.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TimeGroup(ctx, "t1", g.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted time group: %v", err)
		}
		if err := db.DeleteTimeGroup(ctx, "t1", g.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete twice: %v", err)
		}
		if err := db.DeleteRedialPolicy(ctx, "t1", p.ID); err != nil {
			t.Fatal(err)
		}
		if ps, err := db.RedialPolicies(ctx, "t1"); err != nil || len(ps) != 0 {
			t.Errorf("after delete %+v %v", ps, err)
		}
	})
}

func TestDeleteTrunk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		tr := store.Trunk{Tenant: "t1", Config: dialer.Trunk{Name: "line"}}
		if err := db.CreateTrunk(ctx, &tr, now); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteTrunk(ctx, "t2", tr.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("t2 deletes t1's trunk: %v", err)
		}
		if err := db.DeleteTrunk(ctx, "t1", tr.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Trunk(ctx, "t1", tr.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted trunk: %v", err)
		}
	})
}
