package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/dialer/sim"
)

// simulateOutput is what `simulate --json` prints: the run, its wall time and,
// with --compare, the same scenario in another mode.
type simulateOutput struct {
	sim.Result
	WallSeconds float64         `json:"wall_seconds"`
	Compare     *simulateOutput `json:"compare,omitempty"`
}

func newSimulateCommand() *cobra.Command {
	var (
		cfg                sim.Config
		mode, cps, compare string
		jsonOut            bool
		plotPath           string
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Run a dialer campaign against the fake PBX in virtual time",
		Long: `simulate runs one outbound campaign against an in-process fake PBX on a
virtual clock: hours of calls in seconds, reproducible for a given --seed.
Agents are simulated with exponential talk times and a fixed wrap-up.
--plot FILE.png draws occupancy, abandon rate and lines dialled over time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := dialer.ParseMode(mode)
			if err != nil {
				return err
			}
			cfg.Mode = m
			if plotPath != "" {
				if ext := strings.ToLower(filepath.Ext(plotPath)); ext != ".png" {
					return fmt.Errorf("--plot %s: only .png is supported", plotPath)
				}
				if cfg.SampleEvery == 0 {
					cfg.SampleEvery = defaultSampleEvery(cfg.Duration)
				}
			}
			if s := strings.TrimSpace(cps); s != "" && s != "0" {
				r, err := dialer.ParseRate(s)
				if err != nil {
					return err
				}
				cfg.Rate = r
			}
			first, err := runSimulation(cfg)
			if err != nil {
				return err
			}
			if compare != "" {
				cm, err := dialer.ParseMode(compare)
				if err != nil {
					return fmt.Errorf("--compare: %w", err)
				}
				other := cfg
				other.Mode = cm
				second, err := runSimulation(other)
				if err != nil {
					return err
				}
				first.Compare = &second
			}
			if plotPath != "" {
				if err := writePlot(plotPath, first, cfg.AbandonCap); err != nil {
					return err
				}
			}
			if jsonOut {
				enc := json.NewEncoder(cmd.OutOrStdout())
				return enc.Encode(first)
			}
			printSimulation(cmd.OutOrStdout(), first)
			if first.Compare != nil {
				fmt.Fprintln(cmd.OutOrStdout())
				printSimulation(cmd.OutOrStdout(), *first.Compare)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&mode, "mode", "predictive", "campaign mode: progressive|ratio|predictive|preview|ivr|callback")
	f.IntVar(&cfg.Agents, "agents", 20, "agents in the queue (agent modes)")
	f.Float64Var(&cfg.AnswerRate, "answer-rate", 0.3, "share of calls a person answers")
	f.Float64Var(&cfg.MachineRate, "machine-rate", 0, "share of calls a machine answers")
	f.DurationVar(&cfg.TalkTime, "talk-time", 120*time.Second, "mean talk time (exponential)")
	f.DurationVar(&cfg.WrapUp, "wrap-up", 0, "each agent's wrap-up after a call")
	f.DurationVar(&cfg.RingTime, "ring-time", 8*time.Second, "mean time to answer (exponential)")
	f.DurationVar(&cfg.Duration, "duration", 8*time.Hour, "simulated time")
	f.StringVar(&cps, "cps", "0", `calls-per-second limit: "10", "0.5", "1/60"; 0 means none`)
	f.IntVar(&cfg.Burst, "burst", 1, "calls that may go back to back after idling")
	f.IntVar(&cfg.MaxConcurrent, "max-concurrent", 0, "max concurrent calls; 0 means none")
	f.Float64Var(&cfg.AbandonCap, "abandon-cap", dialer.DefaultAbandonCap, "predictive abandon-rate cap")
	f.Float64Var(&cfg.Ratio, "ratio", 0, "lines per idle agent in ratio mode (default 1.5)")
	f.IntVar(&cfg.Contacts, "contacts", 0, "contacts in the list; 0 means more than the run can dial")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed (same seed, same result)")
	f.StringVar(&compare, "compare", "", "also run the same scenario in this mode and print it beside")
	f.BoolVar(&jsonOut, "json", false, "print one JSON object (with the samples when sampling)")
	f.StringVar(&plotPath, "plot", "", "draw occupancy, abandon rate and lines dialled over time to this PNG file")
	f.DurationVar(&cfg.SampleEvery, "sample-every", 0, "sampling interval for --plot and --json series (default: about 300 samples)")
	return cmd
}

func runSimulation(cfg sim.Config) (simulateOutput, error) {
	start := time.Now()
	res, err := sim.Run(cfg)
	if err != nil {
		return simulateOutput{}, fmt.Errorf("simulate: %w", err)
	}
	return simulateOutput{Result: res, WallSeconds: time.Since(start).Seconds()}, nil
}

func printSimulation(w io.Writer, o simulateOutput) {
	fmt.Fprintf(w, "mode %s, %d agents, %.0f s simulated in %.2f s\n", o.Mode, o.Agents, o.SimulatedSeconds, o.WallSeconds)
	fmt.Fprintf(w, "calls %d (%.4f cps, target %.4f), contacts/hour %.1f\n", o.Calls, o.CPSAchieved, o.CPSTarget, o.ContactsPerHour)
	fmt.Fprintf(w, "answered %d, connected %d, abandoned %d: abandon rate %.4f (max over a window %.4f)\n",
		o.Answered, o.Connected, o.Abandoned, o.AbandonRate, o.AbandonRateMaxWindow)
	fmt.Fprintf(w, "occupancy %.4f\n", o.Occupancy)
}
