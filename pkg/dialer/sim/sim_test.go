package sim

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// The scenario: 20 agents, 30% answer, 120 s mean talk, 8 hours.
func TestPredictiveBeatsProgressiveUnderTheCap(t *testing.T) {
	if testing.Short() {
		t.Skip("8 simulated hours")
	}
	base := Config{Agents: 20, AnswerRate: 0.3, TalkTime: 120 * time.Second, Duration: 8 * time.Hour, Seed: 1}
	pred, prog := base, base
	pred.Mode, prog.Mode = dialer.ModePredictive, dialer.ModeProgressive
	prog.Duration = 4 * time.Hour // progressive's occupancy is steady; half the run keeps the test quick
	rp, err := Run(pred)
	if err != nil {
		t.Fatal(err)
	}
	rg, err := Run(prog)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("predictive: occupancy %.4f abandon %.4f (max window %.4f), calls %d", rp.Occupancy, rp.AbandonRate, rp.AbandonRateMaxWindow, rp.Calls)
	t.Logf("progressive: occupancy %.4f abandon %.4f, calls %d", rg.Occupancy, rg.AbandonRate, rg.Calls)
	if rp.Occupancy < 0.85 {
		t.Errorf("predictive occupancy %.4f < 0.85", rp.Occupancy)
	}
	if rp.AbandonRateMaxWindow > 0.03 || rp.AbandonRate > 0.03 {
		t.Errorf("predictive abandon %.4f, max window %.4f > 0.03", rp.AbandonRate, rp.AbandonRateMaxWindow)
	}
	if rg.Abandoned != 0 {
		t.Errorf("progressive abandoned %d calls", rg.Abandoned)
	}
	if rp.Occupancy <= rg.Occupancy+0.05 {
		t.Errorf("predictive occupancy %.4f not clearly above progressive %.4f", rp.Occupancy, rg.Occupancy)
	}
	if rp.Connected+rp.Abandoned != rp.Answered {
		t.Errorf("answered %d ≠ connected %d + abandoned %d", rp.Answered, rp.Connected, rp.Abandoned)
	}
}

func TestCPSAchievedIsExact(t *testing.T) {
	for _, cps := range []string{"1/60", "1", "10"} {
		r, err := dialer.ParseRate(cps)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(Config{Mode: dialer.ModeIVR, AnswerRate: 0.3, TalkTime: 10 * time.Second, Duration: 10 * time.Minute, Rate: r, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		if dev := math.Abs(res.CPSAchieved-res.CPSTarget) / res.CPSTarget; dev > 0.01 {
			t.Errorf("cps %s: achieved %.6f, target %.6f", cps, res.CPSAchieved, res.CPSTarget)
		}
	}
}

func TestSameSeedSameResult(t *testing.T) {
	cfg := Config{Mode: dialer.ModePredictive, Agents: 10, AnswerRate: 0.35, TalkTime: 90 * time.Second, WrapUp: 10 * time.Second, Duration: 30 * time.Minute, Seed: 42}
	a, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Run(cfg)
	if a.Calls != b.Calls || a.Occupancy != b.Occupancy || a.Abandoned != b.Abandoned || a.Steps != b.Steps {
		t.Errorf("two runs differ: %+v vs %+v", a, b)
	}
	cfg.Seed = 43
	c, _ := Run(cfg)
	if c.Calls == a.Calls && c.Occupancy == a.Occupancy {
		t.Error("another seed gave the same run")
	}
}

func TestModesRun(t *testing.T) {
	for _, m := range []dialer.Mode{dialer.ModeIVR, dialer.ModeCallback, dialer.ModeRatio, dialer.ModePreview} {
		res, err := Run(Config{Mode: m, Agents: 5, AnswerRate: 0.5, TalkTime: time.Minute, Duration: 30 * time.Minute, MaxConcurrent: 10, Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if res.Calls == 0 || res.Outcomes["answered"] == 0 {
			t.Errorf("%s: %+v", m, res)
		}
		if res.MaxLiveCalls > 10 {
			t.Errorf("%s: %d live calls, max 10", m, res.MaxLiveCalls)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg   Config
		field string
	}{
		{Config{Mode: "x", Duration: time.Hour}, "mode"},
		{Config{Mode: dialer.ModePredictive, Duration: time.Hour}, "agents"},
		{Config{Mode: dialer.ModeIVR, AnswerRate: 1.5, Duration: time.Hour}, "answer-rate"},
		{Config{Mode: dialer.ModeIVR, AnswerRate: 0.5}, "duration"},
		{Config{Mode: dialer.ModeIVR, AnswerRate: 0.5, Duration: time.Hour, MaxConcurrent: -1}, "max-concurrent"},
	}
	for _, tt := range tests {
		var fe *dialer.FieldError
		if _, err := Run(tt.cfg); !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("Run(%+v) = %v, want field %s", tt.cfg, err, tt.field)
		}
	}
}

func TestMaxWindowRate(t *testing.T) {
	s := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []answerRec
	for i := range 120 {
		recs = append(recs, answerRec{at: s.Add(time.Duration(i) * time.Minute), abandoned: i >= 60 && i < 63})
	}
	// Windows of an hour: the one ending at minute 119 holds minutes 60–119, with 3 abandons.
	if got := maxWindowRate(recs, s, time.Hour); math.Abs(got-3.0/60) > 1e-9 {
		t.Errorf("max window rate = %v, want 0.05", got)
	}
	if got := maxWindowRate(recs[:30], s, time.Hour); got != 0 {
		t.Errorf("short run = %v", got)
	}
}

// A small team answers few calls an hour, so each abandon weighs more in the window.
func TestPredictiveSmallTeamStaysUnderTheCap(t *testing.T) {
	if testing.Short() {
		t.Skip("8 simulated hours")
	}
	for _, seed := range []uint64{1, 4} {
		r, err := Run(Config{Mode: dialer.ModePredictive, Agents: 10, AnswerRate: 0.3, TalkTime: 120 * time.Second, Duration: 8 * time.Hour, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if r.AbandonRateMaxWindow > 0.03 {
			t.Errorf("seed %d: abandon rate reached %.4f in a 1 h window (occupancy %.4f)", seed, r.AbandonRateMaxWindow, r.Occupancy)
		}
	}
}

// Sampling reads the run without changing it, and the samples add up to
// the run's totals.
func TestSeriesAddsUpToTheResult(t *testing.T) {
	cfg := Config{Mode: dialer.ModePredictive, Agents: 10, AnswerRate: 0.3, TalkTime: 90 * time.Second, WrapUp: 10 * time.Second,
		Duration: time.Hour, Seed: 3}
	plain, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SampleEvery = time.Minute
	sampled, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Series != nil {
		t.Fatal("series without SampleEvery")
	}
	if len(sampled.Series) != 60 {
		t.Fatalf("%d samples, want 60", len(sampled.Series))
	}
	series := sampled.Series
	sampled.Series = nil
	if plain.Calls != sampled.Calls || plain.Occupancy != sampled.Occupancy || plain.Abandoned != sampled.Abandoned || plain.Steps != sampled.Steps {
		t.Fatalf("sampling changed the run: %+v vs %+v", plain, sampled)
	}
	dialled, occ := 0, 0.0
	for i, s := range series {
		if want := float64(60 * (i + 1)); s.Seconds != want {
			t.Fatalf("sample %d at %v s, want %v", i, s.Seconds, want)
		}
		if s.Occupancy < 0 || s.Occupancy > 1 || s.AbandonRate < 0 || s.AbandonRate > 1 || s.LiveCalls < 0 {
			t.Fatalf("sample %d out of range: %+v", i, s)
		}
		dialled += s.Dialled
		occ += s.Occupancy
	}
	if dialled != plain.Calls {
		t.Errorf("samples dialled %d, run %d", dialled, plain.Calls)
	}
	if mean := occ / float64(len(series)); math.Abs(mean-plain.Occupancy) > 1e-9 {
		t.Errorf("mean sampled occupancy %v, run %v", mean, plain.Occupancy)
	}
	if last := series[len(series)-1].AbandonRate; math.Abs(last-plain.AbandonRate) > 1e-9 {
		t.Errorf("last abandon rate %v, run %v", last, plain.AbandonRate)
	}

	for _, every := range []time.Duration{-time.Second, time.Millisecond} {
		bad := cfg
		bad.SampleEvery = every
		var fe *dialer.FieldError
		if _, err := Run(bad); !errors.As(err, &fe) || fe.Field != "sample-every" {
			t.Errorf("SampleEvery %v: %v", every, err)
		}
	}
}
