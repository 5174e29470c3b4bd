package sim

import (
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// BenchmarkPredictive200AgentsHour simulates one hour of a 200-agent
// predictive campaign (30% answer, 120 s talk) per iteration.
func BenchmarkPredictive200AgentsHour(b *testing.B) {
	var calls int
	for b.Loop() {
		r, err := Run(Config{Mode: dialer.ModePredictive, Agents: 200, AnswerRate: 0.3, TalkTime: 120 * time.Second, Duration: time.Hour, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		calls = r.Calls
	}
	b.ReportMetric(float64(calls), "calls/op")
}

// BenchmarkIVR200CPSMinute simulates one minute at 200 calls per second.
func BenchmarkIVR200CPSMinute(b *testing.B) {
	rate := dialer.Rate{Calls: 200, Per: time.Second}
	for b.Loop() {
		r, err := Run(Config{Mode: dialer.ModeIVR, AnswerRate: 0.3, TalkTime: 120 * time.Second, Duration: time.Minute, Rate: rate, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		if r.Calls != 12000 {
			b.Fatalf("calls = %d", r.Calls)
		}
	}
}
