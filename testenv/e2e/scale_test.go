package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/config"
	"github.com/switchboard-cc/switchboard/internal/service"
	"github.com/switchboard-cc/switchboard/pkg/acd"
)

// The wallboard with 1,000 agents in 100 queues: every row and card
// renders, one click shows, and a burst of 200 status changes posted at
// once all reach the page. The script reports its timings and long tasks
// (BENCHMARKS.md records them); the test checks what the page shows.
func TestWallboardAtScale(t *testing.T) {
	node := browserTools(t)
	const (
		password = "wallboard-scale-secret"
		nQueues  = 100
		perQueue = 10
		burst    = 200
	)
	cfg := config.Defaults()
	cfg.Addr, cfg.DataDir, cfg.AdminPassword, cfg.LogLevel = "127.0.0.1:0", t.TempDir(), password, "warn"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := service.New(ctx, cfg, service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	start := time.Now()
	for q := range nQueues {
		queue, err := svc.Queues().CreateQueue(ctx, "scale", fmt.Sprintf("queue-%03d", q+1), "", acd.NewQueueConfig(""))
		if err != nil {
			t.Fatal(err)
		}
		for i := range perQueue {
			a := acd.NewAgentConfig("", acd.LocalAgent)
			a.Extension, a.Name = strconv.Itoa(10000+q*perQueue+i), fmt.Sprintf("Agent %03d-%d", q+1, i+1)
			agent, err := svc.Queues().CreateAgent(ctx, "scale", a, acd.Available, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.Queues().SetTier(ctx, "scale", store.Tier{QueueID: queue.ID, AgentID: agent.ID, Level: 1, Position: i + 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("seeded %d queues and %d agents in %v", nQueues, nQueues*perQueue, time.Since(start).Round(time.Millisecond))

	out := runBrowser(t, ctx, node, "scale.mjs", "WALLBOARD_URL="+svc.URL(), "WALLBOARD_PASSWORD="+password,
		"SCALE_AGENTS="+strconv.Itoa(nQueues*perQueue), "SCALE_QUEUES="+strconv.Itoa(nQueues), "BURST="+strconv.Itoa(burst),
		"ARTIFACTS="+artifactsDir())
	var res struct {
		Rows        int `json:"rows"`
		Cards       int `json:"cards"`
		Burst       int `json:"burst"`
		BurstFailed int `json:"burst_failed"`
		PageErrors  int `json:"page_errors"`
	}
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&res); err != nil {
		t.Fatalf("result: %v", err)
	}
	if res.Rows != nQueues*perQueue || res.Cards != nQueues || res.Burst != burst || res.BurstFailed != 0 || res.PageErrors != 0 {
		t.Fatalf("the page showed %+v", res)
	}
	// Every burst change went through the ACD.
	agents, err := svc.Queues().Agents(ctx, "scale", "")
	if err != nil {
		t.Fatal(err)
	}
	onBreak := 0
	for _, a := range agents {
		if a.Status == acd.OnBreak {
			onBreak++
		}
	}
	if onBreak != burst+1 {
		t.Fatalf("%d agents on break in the store, want %d", onBreak, burst+1)
	}
}
