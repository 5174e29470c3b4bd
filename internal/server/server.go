// Package server is the service's HTTP front: health and readiness probes,
// Prometheus metrics, and the handlers other parts mount (dialect plugins,
// the dashboard).
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Check is one readiness check (database, bus, Asterisk, plugins).
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Config configures a Server.
type Config struct {
	// Addr is the listen address; "127.0.0.1:0" picks a free port.
	Addr string
	// Checks decide /readyz.
	Checks []Check
	// Metrics serves /metrics (promhttp.HandlerFor a registry); optional.
	Metrics http.Handler
	// Mounts are extra handlers by ServeMux pattern, e.g. "/ringme/".
	Mounts map[string]http.Handler
	// CheckTimeout bounds each readiness check; default 2 s.
	CheckTimeout time.Duration
	Logger       *slog.Logger
}

// Server is the HTTP listener.
type Server struct {
	cfg  Config
	mux  *http.ServeMux
	ln   net.Listener
	once sync.Once
}

// New listens on cfg.Addr; Run serves.
func New(cfg Config) (*Server, error) {
	if cfg.CheckTimeout == 0 {
		cfg.CheckTimeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	if cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", cfg.Metrics)
	}
	patterns := make([]string, 0, len(cfg.Mounts))
	for p := range cfg.Mounts {
		patterns = append(patterns, p)
	}
	slices.Sort(patterns)
	for _, p := range patterns {
		s.mux.Handle(p, cfg.Mounts[p])
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen on %s: %w", cfg.Addr, err)
	}
	s.ln = ln
	return s, nil
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Handler is the server's whole handler, for tests that skip the listener.
func (s *Server) Handler() http.Handler { return s.mux }

// Run serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(s.ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	results := make(map[string]string, len(s.cfg.Checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	ok := true
	for _, c := range s.cfg.Checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), s.cfg.CheckTimeout)
			defer cancel()
			err := c.Check(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				ok = false
				results[c.Name] = err.Error()
				return
			}
			results[c.Name] = "ok"
		})
	}
	wg.Wait()
	status, code := "ready", http.StatusOK
	if !ok {
		status, code = "not ready", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "checks": results})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
