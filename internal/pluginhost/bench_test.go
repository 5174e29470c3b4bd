package pluginhost_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/pluginhost"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/plugins/example/exampledialect"
)

// BenchmarkGET compares GET /example/queues/{id}/status through the host and
// the example plugin process (two gRPC hops: host to plugin, plugin back to
// the host API) with the same dialect mounted in-process. "http" runs over a
// real loopback HTTP server, serially (latency) and in parallel
// (throughput); "handler" calls the Manager's ServeHTTP directly.
// BENCH_PLUGIN_ENV (comma-separated KEY=VALUE) is the plugin's environment,
// e.g. GOMAXPROCS=2 to compare with the host's default of 1.
func BenchmarkGET(b *testing.B) {
	for _, mode := range []string{"plugin", "inprocess"} {
		var f *fixture
		if mode == "plugin" {
			f = start(b, pluginDir(b, "example"), nil, func(c *pluginhost.Config) {
				if e := os.Getenv("BENCH_PLUGIN_ENV"); e != "" {
					c.Env = strings.Split(e, ",")
				}
			})
		} else {
			f = start(b, b.TempDir(), nil, func(c *pluginhost.Config) {
				c.Builtin = map[string]dialect.Dialect{"example": exampledialect.New()}
			})
		}
		f.ready(b)
		if code, _, body := f.do(b, "PUT", "/example/queues/sales", tokenA, `{}`); code != 204 {
			b.Fatalf("PUT: %d %s", code, body)
		}
		url := f.srv.URL + "/example/queues/sales/status"
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		get := func(b *testing.B) {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("Authorization", "Bearer "+tokenA)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		b.Run(mode+"/http-serial", func(b *testing.B) {
			for b.Loop() {
				get(b)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
		b.Run(mode+"/http-parallel", func(b *testing.B) {
			b.SetParallelism(8) // 16 clients on 2 cores
			pid := 0
			if st := f.mgr.Status(); mode == "plugin" {
				pid = st[0].PID
			}
			self0, plugin0 := selfCPU(), procCPU(pid)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					get(b)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			// CPU per request, less sensitive than latency to other load on
			// the machine: this process (HTTP client, server, host) and the
			// plugin process.
			b.ReportMetric(float64((selfCPU()-self0).Microseconds())/float64(b.N), "host-cpu-µs/op")
			if pid != 0 {
				b.ReportMetric(float64((procCPU(pid)-plugin0).Microseconds())/float64(b.N), "plugin-cpu-µs/op")
			}
		})
		b.Run(mode+"/handler", func(b *testing.B) {
			req := httptest.NewRequest("GET", "/example/queues/sales/status", nil)
			req.Header.Set("Authorization", "Bearer "+tokenA)
			for b.Loop() {
				rec := httptest.NewRecorder()
				f.mgr.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d %s", rec.Code, rec.Body)
				}
			}
		})
		client.CloseIdleConnections()
	}
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is a process's user+system CPU time from /proc (10 ms ticks).
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b[bytes.LastIndexByte(b, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.Atoi(string(f[11]))
	st, _ := strconv.Atoi(string(f[12]))
	return time.Duration(ut+st) * 10 * time.Millisecond
}
