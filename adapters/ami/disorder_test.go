package ami

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// The adapter against an emulator with Disorder on, for a few seeds:
// originate outcomes, queue membership and a queue call, reconnects. AMI's
// part of the disorder is behaviour 14 (SuccessfulAuth after later
// responses); the event session, which sends no actions, gets it late too.
func TestScenariosUnderDisorder(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		d := &asterisk.Disorder{Seed: seed}
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Run("OriginateOutcomes", func(t *testing.T) { originateOutcomes(t, d) })
			t.Run("QueueMembershipAndCall", func(t *testing.T) { queueMembershipAndCall(t, d) })
			t.Run("ReconnectAfterDrop", func(t *testing.T) { reconnectAfterDrop(t, d) })
			t.Run("ReconnectReconcilesLostHangup", func(t *testing.T) { reconnectReconcilesLostHangup(t, d) })
		})
	}
}

// Behaviour 14: on a session logged in with events on, SuccessfulAuth comes
// after the responses to the next actions (the emulator's Disorder holds it
// behind them). The login and the actions still get their own replies,
// matched by ActionID, and SuccessfulAuth goes to the event handler, never
// taken for a reply.
func TestLateSuccessfulAuthIgnoredByLoginAndActions(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			// The real clock: the emulator's two-second fallback cannot
			// release SuccessfulAuth before the actions below.
			emu, err := asterisk.Start(asterisk.Config{Clock: clock.Real{}, Disorder: &asterisk.Disorder{Seed: seed}})
			if err != nil {
				t.Fatal(err)
			}
			defer emu.Close()
			var mu sync.Mutex
			var events []string
			connected := make(chan struct{}, 4)
			c := &conn{name: "test", addr: emu.AMIAddr(), user: "ami", secret: "ami", events: true, idPrefix: "t",
				clk: clock.Real{}, log: slog.New(slog.DiscardHandler), minB: 10 * time.Millisecond, maxB: 100 * time.Millisecond,
				onFrame: func(f Frame) {
					mu.Lock()
					events = append(events, f.Get("Event"))
					mu.Unlock()
				},
				onConnect: func(up bool) {
					if up {
						connected <- struct{}{}
					}
				}}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				c.run(ctx)
			}()
			defer func() {
				cancel()
				<-done
			}()
			select {
			case <-connected:
			case <-time.After(5 * time.Second):
				t.Fatal("never logged in")
			}
			actx, acancel := context.WithTimeout(ctx, 5*time.Second)
			defer acancel()
			for i := 0; i < 3; i++ {
				f, id, err := c.action(actx, "Ping")
				if err != nil {
					t.Fatalf("ping %d: %v", i, err)
				}
				if f.Get("ActionID") != id || f.Get("Ping") != "Pong" || f.Get("Event") != "" {
					t.Fatalf("ping %d reply %v", i, f)
				}
			}
			items, err := c.list(actx, "CoreShowChannels")
			if err != nil || len(items) != 0 {
				t.Fatalf("CoreShowChannels: %v %v", items, err)
			}
			for deadline := time.Now().Add(5 * time.Second); ; {
				mu.Lock()
				got := append([]string(nil), events...)
				mu.Unlock()
				n := 0
				for _, e := range got {
					if e == "SuccessfulAuth" {
						n++
					}
				}
				if n == 1 {
					if got[0] != "FullyBooted" {
						t.Errorf("events %v, want FullyBooted first", got)
					}
					break
				}
				if n > 1 || time.Now().After(deadline) {
					t.Fatalf("events %v, want one SuccessfulAuth", got)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if st := ConnState(c.state.Load()); st != StateConnected {
				t.Errorf("state %s", st)
			}
		})
	}
}
