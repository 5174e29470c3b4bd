package main

import (
	"container/heap"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// demoConfig is one ACD demonstration run.
type demoConfig struct {
	strategy string
	agents   int
	callers  int
	seed     uint64
	verbose  bool
}

func newDemoCommand() *cobra.Command {
	cfg := demoConfig{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run an inbound queue in virtual time and print what the ACD does",
		Long: `demo runs one queue of the ACD (pkg/acd) against a simulated PBX in virtual
time: callers arrive, agents are rung per the strategy, answer or not, talk
and wrap up. It prints every event and the queue's totals.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.OutOrStdout(), cfg)
		},
	}
	cmd.Flags().StringVar(&cfg.strategy, "strategy", string(acd.LongestIdleAgent), "queue strategy")
	cmd.Flags().IntVar(&cfg.agents, "agents", 4, "agents in the queue")
	cmd.Flags().IntVar(&cfg.callers, "callers", 12, "callers that arrive")
	cmd.Flags().Uint64Var(&cfg.seed, "seed", 1, "random seed")
	cmd.Flags().BoolVar(&cfg.verbose, "verbose", false, "print agent state changes too")
	return cmd
}

// pbxReaction is something the simulated PBX does at a moment.
type pbxReaction struct {
	at  time.Time
	seq int
	cmd acd.Command
}

type reactions []pbxReaction

func (r reactions) Len() int { return len(r) }
func (r reactions) Less(i, j int) bool {
	if !r[i].at.Equal(r[j].at) {
		return r[i].at.Before(r[j].at)
	}
	return r[i].seq < r[j].seq
}
func (r reactions) Swap(i, j int) { r[i], r[j] = r[j], r[i] }
func (r *reactions) Push(x any)   { *r = append(*r, x.(pbxReaction)) }
func (r *reactions) Pop() any {
	old := *r
	x := old[len(old)-1]
	*r = old[:len(old)-1]
	return x
}

func runDemo(w io.Writer, cfg demoConfig) error {
	strategy, err := acd.ParseStrategy(cfg.strategy)
	if err != nil {
		return err
	}
	if cfg.agents < 1 || cfg.callers < 1 {
		return fmt.Errorf("--agents and --callers must be at least 1")
	}
	core, err := acd.NewCore(acd.CoreConfig{Seed: cfg.seed})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(cfg.seed, 42))
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	now := start
	var pending reactions
	seq := 0
	schedule := func(at time.Time, cmd acd.Command) {
		seq++
		heap.Push(&pending, pbxReaction{at: at, seq: seq, cmd: cmd})
	}
	print := func(out acd.Output) {
		for _, e := range out.Events {
			if !cfg.verbose && (e.Type == event.AgentStateChanged || e.Type == event.AgentChanged || e.Type == event.TierChanged) {
				continue
			}
			fmt.Fprintf(w, "%8s  %-22s %s\n", e.At.Sub(start).Round(time.Second), e.Type, describe(e))
		}
		// The simulated PBX: agents answer 80% of offers after 2-9 s; calls
		// last 20-120 s.
		for _, d := range out.Decisions {
			if o, ok := d.(acd.Offer); ok {
				ring := time.Duration(2+rng.IntN(8)) * time.Second
				result := acd.OfferAnswered
				if rng.Float64() > 0.8 {
					result, ring = acd.OfferNoAnswer, o.Timeout
				}
				schedule(now.Add(ring), acd.OfferResult{Offer: o.ID, Result: result})
			}
			if c, ok := d.(acd.Connect); ok {
				schedule(now.Add(time.Duration(20+rng.IntN(100))*time.Second), acd.CallEnded{Caller: c.Caller})
			}
		}
	}
	apply := func(cmd acd.Command) error {
		out, err := core.Handle(now, cmd)
		if err != nil {
			return fmt.Errorf("%T: %w", cmd, err)
		}
		print(out)
		return nil
	}

	q := acd.NewQueueConfig("support")
	q.Strategy = strategy
	q.MaxWaitTime = 5 * time.Minute
	q.TimeoutTransferDst = "voicemail"
	fmt.Fprintf(w, "queue support: %s, %d agents, %d callers (virtual time)\n", strategy, cfg.agents, cfg.callers)
	if err := apply(acd.AddQueue{Config: q}); err != nil {
		return err
	}
	for i := range cfg.agents {
		a := acd.NewAgentConfig(fmt.Sprintf("agent%d", i+1), acd.LocalAgent)
		a.Extension = fmt.Sprintf("10%02d", i+1)
		a.WrapUpTime = 10 * time.Second
		for _, cmd := range []acd.Command{
			acd.AddAgent{Config: a},
			acd.SetTier{Tier: acd.Tier{Queue: "support", Agent: a.ID, Level: 1 + i/3, Position: i}},
			acd.SetAgentStatus{Agent: a.ID, Status: acd.Available},
		} {
			if err := apply(cmd); err != nil {
				return err
			}
		}
	}
	for i := range cfg.callers {
		at := start.Add(time.Duration(i*15+rng.IntN(15)) * time.Second)
		schedule(at, acd.Join{Queue: "support", Caller: fmt.Sprintf("call%03d", i+1), Number: fmt.Sprintf("+7921%07d", rng.IntN(10_000_000))})
	}
	for {
		next, hasTimer := core.NextDeadline()
		if len(pending) > 0 && (!hasTimer || !pending[0].at.After(next)) {
			r := heap.Pop(&pending).(pbxReaction)
			now = r.at
			if err := apply(r.cmd); err != nil {
				return err
			}
			continue
		}
		if !hasTimer {
			break
		}
		now = next
		print(core.Advance(now))
	}
	st, err := core.QueueStatus("support")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "totals: joined %d, answered %d, abandoned %d, timed out %d (virtual %s)\n",
		st.Stats.Joined, st.Stats.Answered, st.Stats.Abandoned, st.Stats.TimedOut, now.Sub(start).Round(time.Second))
	return nil
}

func describe(e event.Event) string {
	s := ""
	for _, f := range []struct{ k, v string }{
		{"caller", e.Call}, {"agent", e.Agent}, {"from", e.From}, {"to", e.To}, {"reason", e.Reason}, {"number", e.Number},
	} {
		if f.v != "" {
			s += f.k + "=" + f.v + " "
		}
	}
	if e.DurationMS > 0 {
		s += fmt.Sprintf("duration=%s", (time.Duration(e.DurationMS) * time.Millisecond).Round(time.Second))
	}
	return s
}
