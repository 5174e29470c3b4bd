package dialer

import (
	"errors"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want Rate
	}{
		{"1/60", Rate{1, time.Minute}},
		{"1", Rate{1, time.Second}},
		{"10", Rate{1, 100 * time.Millisecond}},
		{"200", Rate{1, 5 * time.Millisecond}},
		{"0.5", Rate{1, 2 * time.Second}},
		{"3/2", Rate{3, 2 * time.Second}},
		{"0.25", Rate{1, 4 * time.Second}},
		{"1/3600", Rate{1, time.Hour}},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "abc", "201", "1/7200"} {
		var fe *FieldError
		if _, err := ParseRate(bad); !errors.As(err, &fe) || fe.Field != "cps" {
			t.Errorf("ParseRate(%q) = %v, want cps field error", bad, err)
		}
	}
	if r, err := RateFromCPS(0.2); err != nil || r != (Rate{1, 5 * time.Second}) {
		t.Errorf("RateFromCPS(0.2) = %v, %v", r, err)
	}
}

// countCalls drives a bucket as fast as it allows for d and counts calls.
func countCalls(r Rate, burst int, d time.Duration) int {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newTokenBucket(r, burst, start)
	now, n := start, 0
	for now.Before(start.Add(d)) {
		for b.available(now) > 0 {
			b.take(now)
			n++
		}
		now = b.nextAt(now)
	}
	return n
}

func TestTokenBucketExactRates(t *testing.T) {
	tests := []struct {
		rate string
		d    time.Duration
		want int
	}{
		{"1/60", 10 * time.Minute, 10},
		{"1", 10 * time.Minute, 600},
		{"10", 10 * time.Minute, 6000},
		{"200", 10 * time.Minute, 120000},
		{"1/3", time.Hour, 1200},
		{"0.7", 100 * time.Second, 70},
	}
	for _, tt := range tests {
		r, err := ParseRate(tt.rate)
		if err != nil {
			t.Fatal(err)
		}
		if got := countCalls(r, 1, tt.d); got != tt.want {
			t.Errorf("%s cps over %s: %d calls, want %d", tt.rate, tt.d, got, tt.want)
		}
	}
}

func TestTokenBucketBurstIsBounded(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newTokenBucket(Rate{2, time.Second}, 5, start)
	// An hour idle banks only the burst.
	later := start.Add(time.Hour)
	if got := b.available(later); got != 5 {
		t.Fatalf("available after idling = %d, want burst 5", got)
	}
	for range 5 {
		b.take(later)
	}
	if got := b.available(later); got != 0 {
		t.Fatalf("available after spending the burst = %d", got)
	}
	if next := b.nextAt(later); next != later.Add(500*time.Millisecond) {
		t.Errorf("nextAt = %v, want +500ms", next.Sub(later))
	}
}
