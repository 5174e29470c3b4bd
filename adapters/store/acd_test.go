package store_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/acd"
)

func TestACDConfigurationRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		qc := acd.NewQueueConfig("")
		qc.Strategy, qc.TierRulesApply, qc.TierRuleWaitSecond = acd.RingAll, true, 15*time.Second
		qc.MaxWaitTime, qc.TimeoutTransferDst = 1800*time.Second, "333"
		qc.Attrs = map[string]string{"label": "test queue", "status": "blocked"}
		q := store.Queue{Tenant: "12", Name: "000*370", Label: "test queue", Config: qc}
		if err := db.CreateQueue(ctx, &q, now); err != nil {
			t.Fatal(err)
		}
		if q.ID == 0 || q.Config.ID != store.ACDID(q.ID) {
			t.Fatalf("queue id %d, config id %q", q.ID, q.Config.ID)
		}
		got, err := db.Queue(ctx, "12", q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Config, q.Config) || got.Name != "000*370" {
			t.Fatalf("queue read back %+v, want %+v", got.Config, q.Config)
		}
		if _, err := db.Queue(ctx, "13", q.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant read the queue: %v", err)
		}

		ac := acd.NewAgentConfig("", acd.RemoteAgent)
		ac.Number, ac.WrapUpTime = "89876543210", 5*time.Second
		a := store.Agent{Tenant: "12", Config: ac, Extra: map[string]string{"extra_params": "string"}}
		if err := db.CreateAgent(ctx, &a, now); err != nil {
			t.Fatal(err)
		}
		local := store.Agent{Tenant: "12", Config: acd.AgentConfig{Type: acd.LocalAgent, Extension: "117", CallTimeout: 30 * time.Second}}
		if err := db.CreateAgent(ctx, &local, now); err != nil {
			t.Fatal(err)
		}
		other := store.Agent{Tenant: "13", Config: acd.AgentConfig{Type: acd.LocalAgent, Extension: "999", CallTimeout: 30 * time.Second}}
		if err := db.CreateAgent(ctx, &other, now); err != nil {
			t.Fatal(err)
		}
		if err := db.SetTier(ctx, "12", store.Tier{QueueID: q.ID, AgentID: a.ID, Level: 2, Position: 1}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetTier(ctx, "12", store.Tier{QueueID: q.ID, AgentID: local.ID, Level: 1, Position: 1}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetTier(ctx, "12", store.Tier{QueueID: q.ID, AgentID: local.ID, Level: 1, Position: 3}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetTier(ctx, "12", store.Tier{QueueID: q.ID, AgentID: other.ID}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("tier with another tenant's agent: %v", err)
		}
		if err := db.SetAgentStatus(ctx, a.ID, acd.Available, now); err != nil {
			t.Fatal(err)
		}
		remotes, err := db.Agents(ctx, "12", acd.RemoteAgent)
		if err != nil || len(remotes) != 1 || remotes[0].Extra["extra_params"] != "string" || remotes[0].Status != acd.Available {
			t.Fatalf("remote agents %+v %v", remotes, err)
		}

		// The engine rebuilt from the store has the same queue, tiers and statuses.
		cmds, err := db.ACDCommands(ctx)
		if err != nil {
			t.Fatal(err)
		}
		core, _ := acd.NewCore(acd.CoreConfig{})
		for _, c := range cmds {
			if _, err := core.Handle(now, c); err != nil {
				t.Fatalf("%T: %v", c, err)
			}
		}
		tiers, err := core.Tiers(store.ACDID(q.ID))
		if err != nil {
			t.Fatal(err)
		}
		want := []acd.Tier{
			{Queue: store.ACDID(q.ID), Agent: store.ACDID(local.ID), Level: 1, Position: 3},
			{Queue: store.ACDID(q.ID), Agent: store.ACDID(a.ID), Level: 2, Position: 1},
		}
		if !slices.Equal(tiers, want) {
			t.Fatalf("rebuilt tiers %+v, want %+v", tiers, want)
		}
		info, _ := core.Agent(store.ACDID(a.ID))
		if info.Status != acd.Available || info.Config.Number != "89876543210" {
			t.Fatalf("rebuilt agent %+v", info)
		}

		if err := db.DeleteAgent(ctx, "13", a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant deleted the agent: %v", err)
		}
		if err := db.DeleteAgent(ctx, "12", a.ID); err != nil {
			t.Fatal(err)
		}
		if ts, _ := db.Tiers(ctx, q.ID, 0); len(ts) != 1 {
			t.Fatalf("tiers after deleting the agent: %+v", ts)
		}
		if err := db.DeleteQueue(ctx, "12", q.ID); err != nil {
			t.Fatal(err)
		}
		if ts, _ := db.Tiers(ctx, 0, 0); len(ts) != 0 {
			t.Fatalf("tiers after deleting the queue: %+v", ts)
		}
	})
}
