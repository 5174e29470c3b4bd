// Command asterisk-emulator runs the testenv/asterisk emulator on fixed
// ports, for demos and for pointing `make test-asterisk` at it:
//
//	go run ./testenv/asterisk/cmd/asterisk-emulator -ari 127.0.0.1:8088 -ami 127.0.0.1:5038
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

func main() {
	ari := flag.String("ari", "127.0.0.1:8088", "ARI listen address")
	ami := flag.String("ami", "127.0.0.1:5038", "AMI listen address")
	speed := flag.Float64("speed", 1, "how many times faster than real time ring and talk times run")
	disorder := flag.Int64("disorder-seed", -1, "when 0 or more, reorder events across channels, skew timestamps, vary JSON field order and delay SuccessfulAuth, seeded (see asterisk.Disorder)")
	flag.Parse()
	var clk clock.Clock = clock.Real{}
	if *speed <= 0 {
		fmt.Fprintln(os.Stderr, "asterisk-emulator: -speed must be positive")
		os.Exit(2)
	}
	if *speed != 1 {
		clk = &asterisk.Scaled{Factor: *speed}
	}
	cfg := asterisk.Config{Clock: clk, ARIAddr: *ari, AMIAddr: *ami}
	if *disorder >= 0 {
		cfg.Disorder = &asterisk.Disorder{Seed: uint64(*disorder)}
	}
	s, err := asterisk.Start(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "asterisk-emulator:", err)
		os.Exit(1)
	}
	fmt.Printf("ARI %s (ari/ari), AMI %s (ami/ami)\n", s.ARIURL(), s.AMIAddr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Close()
}
