package ari

import (
	"fmt"
	"testing"

	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// The adapter against an emulator with Disorder on (README behaviours 8 and
// 9: events of different channels interleave in a seeded order, timestamps
// are not monotonic, JSON field order varies), for a few seeds: originate
// outcomes, answer and hang-up, the inbound bridge, AMD and the WebSocket
// drop with reconcile behave exactly as without it.
func TestScenariosUnderDisorder(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		d := &asterisk.Disorder{Seed: seed}
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Run("OriginateAnswerHangup", func(t *testing.T) { originateAnswerHangup(t, d) })
			t.Run("OriginateOutcomes", func(t *testing.T) { originateOutcomes(t, d) })
			t.Run("InboundBridgeRecord", func(t *testing.T) { inboundBridgeRecord(t, d) })
			t.Run("AMDThroughDialplan", func(t *testing.T) { amdThroughDialplan(t, d) })
			t.Run("WebSocketDropReconcile", func(t *testing.T) { webSocketDropReconcile(t, d) })
		})
	}
}
