// Package asterisk is an Asterisk 22 emulator for tests and demo mode. It
// serves ARI (REST + WebSocket events) and AMI (TCP) on loopback and behaves
// like the real server captured in ../shared/asterisk-traces: Local channel
// pairs, a small dialplan interpreter (NoOp, Answer, Ringing, Wait, Busy,
// Congestion, Hangup, Set, Stasis, Queue, AMD), mixing bridges, playback,
// snoop channels, bridge and channel recording (stored recordings are WAV
// files of silence as long as the recording ran, served by GET
// /recordings/stored/{name}/file), continue-to-dialplan, DTMF and app_queue
// events.
//
// One goroutine owns all state; HTTP handlers, AMI sessions and timers send
// it closures. Time comes from an injected clock.Clock, so tests can run ring
// and talk times many times faster than real time (see Scaled).
package asterisk

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/clock"
)

// Config configures an emulator.
type Config struct {
	// Clock drives ring/talk timers and event timestamps. Default clock.Real.
	Clock clock.Clock
	// ARIUser and ARIPassword are the ARI credentials (default ari/ari).
	ARIUser, ARIPassword string
	// AMIUser and AMISecret are the AMI credentials (default ami/ami).
	AMIUser, AMISecret string
	// EntityID is the asterisk_id in every event (default 02:fc:00:00:00:01).
	EntityID string
	// App is the Stasis application of the switchboard-* contexts in the
	// default dialplan (default "switchboard").
	App string
	// Dialplan replaces the default dialplan (DefaultDialplanFor(App)) when set.
	Dialplan Dialplan
	// Queues replaces the default app_queue queues (DefaultQueues) when set.
	Queues []QueueConfig
	// ARIAddr and AMIAddr are the listen addresses (default 127.0.0.1:0).
	ARIAddr, AMIAddr string
	// PlaybackDuration is how long every sound plays (default 1 s).
	PlaybackDuration time.Duration
	// Logger receives debug logs (default discards).
	Logger *slog.Logger
	// Disorder, when set, reorders events across channels, skews ARI
	// timestamps, varies JSON field order and delays AMI SuccessfulAuth,
	// reproducibly for its seed (see Disorder). Nil keeps the emulator
	// deterministic.
	Disorder *Disorder
}

func (c *Config) setDefaults() {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.ARIUser == "" {
		c.ARIUser, c.ARIPassword = "ari", "ari"
	}
	if c.AMIUser == "" {
		c.AMIUser, c.AMISecret = "ami", "ami"
	}
	if c.EntityID == "" {
		c.EntityID = "02:fc:00:00:00:01"
	}
	if c.App == "" {
		c.App = "switchboard"
	}
	if c.Dialplan == nil {
		c.Dialplan = DefaultDialplanFor(c.App)
	}
	if c.Queues == nil {
		c.Queues = DefaultQueues()
	}
	if c.ARIAddr == "" {
		c.ARIAddr = "127.0.0.1:0"
	}
	if c.AMIAddr == "" {
		c.AMIAddr = "127.0.0.1:0"
	}
	if c.PlaybackDuration == 0 {
		c.PlaybackDuration = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Server is a running emulator.
type Server struct {
	cfg Config

	cmds      chan func()
	timerWake chan struct{}
	done      chan struct{}
	wg        sync.WaitGroup

	httpSrv *http.Server
	ariLn   net.Listener
	amiLn   net.Listener

	closeOnce sync.Once
	spawnMu   sync.Mutex
	closing   bool

	st *state // owned by the loop goroutine
}

// Start starts an emulator listening on loopback. Close stops it.
func Start(cfg Config) (*Server, error) {
	cfg.setDefaults()
	s := &Server{cfg: cfg, cmds: make(chan func()), done: make(chan struct{}), timerWake: make(chan struct{}, 1)}
	s.st = newState(s)
	var err error
	if s.ariLn, err = net.Listen("tcp", cfg.ARIAddr); err != nil {
		return nil, fmt.Errorf("asterisk emulator: ari listen: %w", err)
	}
	if s.amiLn, err = net.Listen("tcp", cfg.AMIAddr); err != nil {
		s.ariLn.Close()
		return nil, fmt.Errorf("asterisk emulator: ami listen: %w", err)
	}
	s.wg.Add(2)
	go s.loop()
	go s.timerLoop()
	s.httpSrv = &http.Server{Handler: s.ariHandler(), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		_ = s.httpSrv.Serve(s.ariLn)
	}()
	go func() {
		defer s.wg.Done()
		s.serveAMI()
	}()
	return s, nil
}

// ARIURL is the ARI base URL, e.g. http://127.0.0.1:8088/ari.
func (s *Server) ARIURL() string { return "http://" + s.ariLn.Addr().String() + "/ari" }

// ARIWebsocketURL is the ARI events URL, e.g. ws://127.0.0.1:8088/ari/events.
func (s *Server) ARIWebsocketURL() string { return "ws://" + s.ariLn.Addr().String() + "/ari/events" }

// AMIAddr is the AMI host:port.
func (s *Server) AMIAddr() string { return s.amiLn.Addr().String() }

// Close stops the emulator and closes every connection.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.do(func() { s.st.closeAll() })
		s.spawnMu.Lock()
		s.closing = true
		s.spawnMu.Unlock()
		_ = s.httpSrv.Shutdown(ctx)
		s.amiLn.Close()
		close(s.done)
		s.httpSrv.Close()
	})
	s.wg.Wait()
	return nil
}

var errClosed = errors.New("asterisk emulator: closed")

func (s *Server) loop() {
	defer s.wg.Done()
	for {
		select {
		case f := <-s.cmds:
			f()
			s.st.drain()
			if s.st.dis != nil {
				s.st.dis.flush(s.st)
			}
		case <-s.done:
			return
		}
	}
}

// do runs f on the state goroutine and waits for it.
func (s *Server) do(f func()) error {
	ran := make(chan struct{})
	select {
	case s.cmds <- func() { f(); close(ran) }:
	case <-s.done:
		return errClosed
	}
	select {
	case <-ran:
		return nil
	case <-s.done:
		return errClosed
	}
}

// spawn runs f in a goroutine that Close waits for; after Close it does nothing.
func (s *Server) spawn(f func()) {
	s.spawnMu.Lock()
	defer s.spawnMu.Unlock()
	if s.closing {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// post runs f on the state goroutine later, without waiting.
func (s *Server) post(f func()) {
	s.spawn(func() {
		select {
		case s.cmds <- f:
		case <-s.done:
		}
	})
}

// after runs f on the state goroutine after d of clock time; only the state
// goroutine calls it. Timers fire in order of due time (ties in order of
// creation), so the emulator's timing does not depend on goroutine
// scheduling. The returned function cancels the timer.
func (s *Server) after(d time.Duration, f func()) (cancel func()) {
	st := s.st
	st.timerSeq++
	e := &timerEntry{due: st.now().Add(d), seq: st.timerSeq, f: f}
	heap.Push(&st.timers, e)
	if st.timers[0] == e {
		select {
		case s.timerWake <- struct{}{}:
		default:
		}
	}
	return func() { e.cancelled = true }
}

type timerEntry struct {
	due       time.Time
	seq       int
	f         func()
	cancelled bool
}

type timerHeap []*timerEntry

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (st *state) nextDue() (time.Time, bool) {
	for len(st.timers) > 0 && st.timers[0].cancelled {
		heap.Pop(&st.timers)
	}
	if len(st.timers) == 0 {
		return time.Time{}, false
	}
	return st.timers[0].due, true
}

func (st *state) fireDue() {
	now := st.now()
	for {
		due, ok := st.nextDue()
		if !ok || due.After(now) {
			return
		}
		e := heap.Pop(&st.timers).(*timerEntry)
		// Callbacks see the time they were due, not the time the timer
		// goroutine happened to wake.
		st.fixedNow = e.due
		e.f()
		st.drain()
		// Each timer is its own burst, however late the timer goroutine
		// woke, so a Disorder seed gives the same interleaving every run.
		if st.dis != nil {
			st.dis.flush(st)
		}
		st.fixedNow = time.Time{}
	}
}

// timerLoop sleeps until the earliest timer is due and fires it.
func (s *Server) timerLoop() {
	defer s.wg.Done()
	for {
		var next time.Time
		var ok bool
		if s.do(func() { next, ok = s.st.nextDue() }) != nil {
			return
		}
		var fire <-chan time.Time
		var t clock.Timer
		if ok {
			t = s.cfg.Clock.NewTimer(next.Sub(s.cfg.Clock.Now()))
			fire = t.C()
		}
		select {
		case <-fire:
			if s.do(func() { s.st.fireDue() }) != nil {
				return
			}
		case <-s.timerWake:
			if t != nil {
				t.Stop()
			}
		case <-s.done:
			if t != nil {
				t.Stop()
			}
			return
		}
	}
}

// Scaled is a clock that runs Factor times faster than the wall clock, so a
// scenario with 10 s of ringing takes 100 ms at Factor 100. Now starts at the
// wall-clock time of the first call.
type Scaled struct {
	Factor float64
	once   sync.Once
	start  time.Time
}

var _ clock.Clock = (*Scaled)(nil)

func (c *Scaled) init() { c.once.Do(func() { c.start = time.Now() }) }

// Now returns the scaled time.
func (c *Scaled) Now() time.Time {
	c.init()
	el := time.Since(c.start)
	return c.start.Add(time.Duration(float64(el) * c.Factor))
}

// NewTimer returns a timer that fires after d of scaled time.
func (c *Scaled) NewTimer(d time.Duration) clock.Timer {
	c.init()
	return clock.Real{}.NewTimer(time.Duration(float64(d) / c.Factor))
}
