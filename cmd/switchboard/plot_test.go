package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSimulatePlot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.png")
	out, err := runCLI("simulate", "--mode", "predictive", "--agents", "10", "--duration", "1h", "--seed", "2",
		"--compare", "progressive", "--plot", path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got simulateOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	// The default interval gives about 300 samples: 12 s over an hour.
	if len(got.Series) != 300 || got.Series[0].Seconds != 12 || got.Compare == nil || len(got.Compare.Series) != 300 {
		t.Fatalf("series: %d samples, first %+v, compare %v", len(got.Series), got.Series[0], got.Compare != nil)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 800 || b.Dy() < 800 {
		t.Fatalf("plot %v too small", b)
	}
	// Lines in the run's colour (blue) and the comparison's (red) were drawn.
	var blue, red int
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			switch {
			case bl > 150 && r < 80 && g > 90 && g < 150:
				blue++
			case r > 180 && g < 80 && bl < 80:
				red++
			}
		}
	}
	if blue < 500 || red < 200 {
		t.Fatalf("plot has %d blue and %d red sample pixels; lines missing", blue, red)
	}
}

func TestSimulatePlotErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args    []string
		mention string
	}{
		{[]string{"--plot", filepath.Join(dir, "x.svg")}, "--plot"},
		{[]string{"--plot", filepath.Join(dir, "missing", "x.png")}, "--plot"},
		{[]string{"--plot", filepath.Join(dir, "y.png"), "--sample-every", "-1s"}, "sample-every"},
	}
	for _, tt := range tests {
		args := append([]string{"simulate", "--mode", "progressive", "--agents", "2", "--duration", "10m"}, tt.args...)
		if _, err := runCLI(args...); err == nil || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%v: error %v, want one mentioning %s", tt.args, err, tt.mention)
		}
	}
	if got := defaultSampleEvery(8 * time.Hour); got != 96*time.Second {
		t.Errorf("default interval for 8 h: %v", got)
	}
	if got := defaultSampleEvery(time.Minute); got != time.Second {
		t.Errorf("default interval for 1 min: %v", got)
	}
}
