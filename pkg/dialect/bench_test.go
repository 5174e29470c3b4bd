package dialect_test

import (
	"context"
	"testing"
)

// BenchmarkHostCall is one host API call over a real gRPC connection on
// loopback TCP within one process (no TLS): the cost of one of the hops a
// plugin request makes.
func BenchmarkHostCall(b *testing.B) {
	h := hostPairB(b, &recHost{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.QueueStatus(ctx, "acc1", "q1"); err != nil {
			b.Fatal(err)
		}
	}
}
