package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/acd"
)

func TestDemoServesEveryCaller(t *testing.T) {
	for _, s := range acd.Strategies {
		t.Run(string(s), func(t *testing.T) {
			var out bytes.Buffer
			if err := runDemo(&out, demoConfig{strategy: string(s), agents: 4, callers: 12, seed: 3}); err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`totals: joined (\d+), answered (\d+), abandoned (\d+), timed out (\d+)`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("no totals line in:\n%s", out.String())
			}
			n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
			if n(1) != 12 || n(2)+n(3)+n(4) != 12 {
				t.Fatalf("totals %v: every caller must be answered, abandoned or timed out", m[1:])
			}
			if got := strings.Count(out.String(), "caller.bridged"); got != n(2) {
				t.Fatalf("%d bridged events for %d answered", got, n(2))
			}
		})
	}
}

func TestDemoRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	if err := runDemo(&out, demoConfig{strategy: "fastest", agents: 1, callers: 1}); err == nil || !strings.Contains(err.Error(), "strategy") {
		t.Fatalf("bad strategy: %v", err)
	}
	if err := runDemo(&out, demoConfig{strategy: "ring-all", agents: 0, callers: 1}); err == nil {
		t.Fatal("zero agents accepted")
	}
}
