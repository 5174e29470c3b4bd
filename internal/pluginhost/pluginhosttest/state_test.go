package pluginhosttest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/switchboard-cc/switchboard/internal/pluginhost/pluginhosttest"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	pb "github.com/switchboard-cc/switchboard/pkg/dialect/dialectpb"
	"github.com/switchboard-cc/switchboard/pkg/dialect/dialecttest"
)

// fakeClock is a settable clock for the host's Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestState(t *testing.T) {
	for _, wire := range []bool{false, true} {
		name := "direct"
		if wire {
			name = "grpc"
		}
		t.Run(name, func(t *testing.T) {
			clk := &fakeClock{now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
			h := pluginhosttest.New(pluginhosttest.Config{Now: clk.Now})
			t.Cleanup(h.Close)
			var host dialect.Host = h
			if wire {
				conn, srv := plugin.TestGRPCConn(t, func(s *grpc.Server) { pb.RegisterHostServer(s, &dialect.HostGRPCServer{Impl: h}) })
				t.Cleanup(func() { _ = conn.Close(); srv.Stop() })
				host = dialect.NewHostGRPCClient(conn)
			}
			dialecttest.TestState(t, dialecttest.StateEnv{Host: host, Account: "acc-a", Other: "acc-b", Advance: clk.Advance})
		})
	}
}
