package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

func runCLI(args ...string) (string, error) {
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestSimulateJSON(t *testing.T) {
	out, err := runCLI("simulate", "--mode", "ivr", "--answer-rate", "0.3", "--talk-time", "60s", "--duration", "10m",
		"--cps", "1/60", "--max-concurrent", "5", "--seed", "7", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	for _, k := range []string{"mode", "agents", "simulated_seconds", "calls", "cps_target", "cps_achieved", "occupancy", "abandon_rate", "contacts_per_hour"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	if got["mode"] != "ivr" || got["calls"] != float64(10) || got["simulated_seconds"] != float64(600) {
		t.Errorf("mode %v calls %v seconds %v; want ivr, 10, 600", got["mode"], got["calls"], got["simulated_seconds"])
	}
}

func TestSimulateCompareText(t *testing.T) {
	out, err := runCLI("simulate", "--mode", "predictive", "--agents", "5", "--duration", "30m", "--compare", "progressive")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "mode predictive") || !strings.Contains(out, "mode progressive") || !strings.Contains(out, "occupancy") {
		t.Errorf("output:\n%s", out)
	}
}

func TestSimulateBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		field string
	}{
		{[]string{"simulate", "--mode", "robot"}, "mode"},
		{[]string{"simulate", "--cps", "fast"}, "cps"},
		{[]string{"simulate", "--cps", "500"}, "cps"},
		{[]string{"simulate", "--answer-rate", "2"}, "answer-rate"},
		{[]string{"simulate", "--mode", "predictive", "--agents", "0"}, "agents"},
	} {
		_, err := runCLI(tt.args...)
		var fe *dialer.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%v: %v, want field %s", tt.args, err, tt.field)
		}
	}
}
