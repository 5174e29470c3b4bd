// Package webhook delivers events to subscribers' HTTP endpoints, durably and
// at least once: each delivery is stored before it is attempted, retried on
// a schedule with jitter on timeouts, connection errors, 429 and 5xx, and
// moved to a dead-letter list (listable and replayable) when retries run
// out. Requests carry a stable webhook-id and, when the subscription has a
// secret, a Standard Webhooks signature.
package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// DefaultSchedule is the wait before each retry: 7 retries over about 28 h.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// Config configures a Sender.
type Config struct {
	DB    *store.DB
	Clock clock.Clock // default clock.Real{}
	// Policy limits destination addresses; the zero value refuses link-local only.
	Policy Policy
	// Resolver resolves subscription hosts at creation. Default net.DefaultResolver.
	Resolver Resolver
	// Schedule is the wait before retry n (after attempt n failed); after the
	// last, the delivery is dead-lettered. Default DefaultSchedule.
	Schedule []time.Duration
	// Jitter spreads each wait uniformly by ± this fraction. Default 0.1;
	// NoJitter turns it off.
	Jitter   float64
	NoJitter bool
	// Rand returns a number in [0,1) for jitter. Default math/rand/v2.Float64.
	Rand func() float64
	// Timeout is the default per-request timeout. Default 10 s.
	Timeout time.Duration
	// MaxConcurrency is the default per-subscription limit of requests in flight. Default 8.
	MaxConcurrency int
	// MaxInFlight caps deliveries held by this sender at once. Default 512.
	MaxInFlight int
	// ClaimBatch is the most deliveries claimed per query. Default 256.
	ClaimBatch int
	// Lease is how long a claimed delivery is reserved; a crashed sender's
	// deliveries are retried once it passes. Must exceed every timeout. Default 2 min.
	Lease time.Duration
	// PollInterval bounds how late deliveries stored by other processes are
	// noticed. Default 1 s.
	PollInterval time.Duration
	// Renderers by subscription format, added to the built-in "json" and "form".
	Renderers map[string]Renderer
	// Dialects renders the subscriptions dialect plugins own; nil: none.
	Dialects  DialectRenderer
	UserAgent string // default "Switchboard-Webhooks/1"
	Logger    *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	if c.Schedule == nil {
		c.Schedule = DefaultSchedule
	}
	if c.Jitter == 0 && !c.NoJitter {
		c.Jitter = 0.1
	}
	if c.NoJitter {
		c.Jitter = 0
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxConcurrency == 0 {
		c.MaxConcurrency = 8
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 512
	}
	if c.ClaimBatch == 0 {
		c.ClaimBatch = 256
	}
	if c.Lease == 0 {
		c.Lease = 2 * time.Minute
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.UserAgent == "" {
		c.UserAgent = "Switchboard-Webhooks/1"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports a configuration New would refuse.
func (c Config) Validate() error {
	fe := func(f, r string) error { return &store.FieldError{Field: f, Reason: r} }
	switch {
	case c.DB == nil:
		return fe("db", "required")
	case c.Jitter < 0 || c.Jitter >= 1:
		return fe("jitter", "must be in [0, 1)")
	case c.Timeout <= 0 || c.Lease <= 2*c.Timeout:
		return fe("lease", "must be more than twice the request timeout")
	case c.MaxConcurrency < 0 || c.MaxInFlight < 0 || c.ClaimBatch < 0 || c.PollInterval < 0:
		return fe("max_concurrency", "limits must not be negative")
	}
	for i, d := range c.Schedule {
		if d <= 0 {
			return fe("schedule", fmt.Sprintf("entry %d must be positive", i))
		}
	}
	return nil
}

// Sender stores and delivers webhooks. Register Sink on the bus and call Run.
type Sender struct {
	cfg       Config
	renderers map[string]Renderer
	client    *http.Client

	subs      atomic.Pointer[subSnapshot]
	wake      chan struct{}
	claimReq  chan int
	claimed   chan claimResult
	outcomes  chan outcome
	writes    chan store.AttemptResult
	started   atomic.Bool
	delivered atomic.Int64
	retried   atomic.Int64
	dead      atomic.Int64
	stored    atomic.Int64
	// fresh carries deliveries the Sink stored already leased, straight to
	// the loop (no claim query on the happy path).
	fresh   chan freshBatch
	stopped chan struct{} // closed when Run returns
	// held mirrors the loop's count of deliveries it holds; the Sink reads it
	// to decide between the direct path and leaving work to be claimed.
	held atomic.Int64
	live atomic.Bool // the loop is running
}

type subSnapshot struct {
	byID   map[string]store.Subscription
	loaded time.Time
	stale  bool
}

// New builds a sender.
func New(cfg Config) (*Sender, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sender{
		cfg:       cfg,
		renderers: map[string]Renderer{"json": JSON{}, "form": Form{}},
		wake:      make(chan struct{}, 1),
		claimReq:  make(chan int, 1),
		claimed:   make(chan claimResult, 1),
		outcomes:  make(chan outcome, cfg.MaxInFlight),
		writes:    make(chan store.AttemptResult, 4*cfg.MaxInFlight),
		fresh:     make(chan freshBatch, 64),
		stopped:   make(chan struct{}),
	}
	for k, r := range cfg.Renderers {
		s.renderers[k] = r
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: cfg.Policy.Control}
	s.client = &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // a proxy would connect on our behalf, past the address checks
			DialContext:         dialer.DialContext,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 128,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
			ForceAttemptHTTP2:   true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s, nil
}

// Delivered counts deliveries acknowledged with 2xx since New.
func (s *Sender) Delivered() int64 { return s.delivered.Load() }

// Stats are counters since New, for metrics.
type Stats struct {
	Stored    int64 // deliveries stored by Sink
	Delivered int64 // attempts answered 2xx
	Retried   int64 // failed attempts scheduled for a retry
	Dead      int64 // deliveries moved to the dead-letter list
	Held      int64 // deliveries claimed and not yet finished (a gauge)
}

// Stats returns the sender's counters.
func (s *Sender) Stats() Stats {
	return Stats{Stored: s.stored.Load(), Delivered: s.delivered.Load(), Retried: s.retried.Load(), Dead: s.dead.Load(), Held: s.held.Load()}
}

// SubscriptionError is an invalid subscription field.
type SubscriptionError = store.FieldError

// ValidateSubscription checks a subscription as Create would, resolving its host.
func (s *Sender) ValidateSubscription(ctx context.Context, sub *store.Subscription) error {
	if err := s.cfg.Policy.CheckURL(ctx, s.cfg.Resolver, sub.URL); err != nil {
		return err
	}
	if sub.Dialect != "" {
		if err := s.validateDialectSubscription(ctx, sub); err != nil {
			return err
		}
		return s.validateLimits(sub)
	}
	if len(sub.Attrs) > 0 {
		return &SubscriptionError{Field: "attrs", Reason: "only a dialect's subscriptions have attrs"}
	}
	if sub.Format == "" {
		sub.Format = "json"
	}
	r, ok := s.renderers[sub.Format]
	if !ok {
		return &SubscriptionError{Field: "format", Reason: fmt.Sprintf("unknown format %q", sub.Format)}
	}
	sub.Method = strings.ToUpper(sub.Method)
	if sub.Method != "" && !contains(r.Methods(), sub.Method) {
		return &SubscriptionError{Field: "method", Reason: fmt.Sprintf("format %s supports %v, not %q", sub.Format, r.Methods(), sub.Method)}
	}
	if len(sub.Events) == 0 {
		return &SubscriptionError{Field: "events", Reason: `required (event types, "<subject>.*" or "*")`}
	}
	if len(sub.EventTypes) > 0 || sub.Agent != "" || sub.Contact != "" {
		return &SubscriptionError{Field: "event_types", Reason: "only a dialect's subscriptions have event_types, agent and contact (use events)"}
	}
	if err := checkPatterns("events", sub.Events); err != nil {
		return err
	}
	return s.validateLimits(sub)
}

func (s *Sender) validateLimits(sub *store.Subscription) error {
	if sub.Secret != "" {
		if _, err := ParseSecret(sub.Secret); err != nil {
			return &SubscriptionError{Field: "secret", Reason: err.Error()}
		}
	}
	if sub.MaxConcurrency < 0 || sub.MaxConcurrency > 1000 {
		return &SubscriptionError{Field: "max_concurrency", Reason: "must be 0-1000"}
	}
	if sub.TimeoutMS < 0 || 2*sub.Timeout() >= s.cfg.Lease {
		return &SubscriptionError{Field: "timeout_ms", Reason: fmt.Sprintf("must be 0 or less than %s", s.cfg.Lease/2)}
	}
	return nil
}

// CreateSubscription validates and stores a new, active subscription. A
// malformed or refused URL is an error here, not a silent drop later.
func (s *Sender) CreateSubscription(ctx context.Context, sub *store.Subscription) error {
	if err := s.ValidateSubscription(ctx, sub); err != nil {
		return err
	}
	sub.Active = true
	if err := s.cfg.DB.CreateSubscription(ctx, sub, s.cfg.Clock.Now()); err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// UpdateSubscription validates and overwrites a subscription.
func (s *Sender) UpdateSubscription(ctx context.Context, sub *store.Subscription) error {
	if err := s.ValidateSubscription(ctx, sub); err != nil {
		return err
	}
	if err := s.cfg.DB.UpdateSubscription(ctx, sub, s.cfg.Clock.Now()); err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// DeleteSubscription removes a subscription; its pending deliveries are dead-lettered when next due.
func (s *Sender) DeleteSubscription(ctx context.Context, id string) error {
	if err := s.cfg.DB.DeleteSubscription(ctx, id); err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// DeadLetters lists deliveries whose retries ran out or that were refused for good.
func (s *Sender) DeadLetters(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, error) {
	return s.cfg.DB.DeadLetters(ctx, f)
}

// Replay requeues dead deliveries by id (same webhook-id, fresh retries)
// and returns how many were requeued.
func (s *Sender) Replay(ctx context.Context, ids ...string) (int, error) {
	n, err := s.cfg.DB.ReplayDeadLetters(ctx, ids, s.cfg.Clock.Now())
	if n > 0 {
		s.poke()
	}
	return n, err
}

func (s *Sender) invalidate() {
	if snap := s.subs.Load(); snap != nil {
		s.subs.Store(&subSnapshot{byID: snap.byID, loaded: snap.loaded, stale: true})
	}
}

func (s *Sender) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// subscriptions returns a snapshot at most PollInterval old (or reloaded
// after a local change, or when force).
func (s *Sender) subscriptions(ctx context.Context, force bool) (map[string]store.Subscription, error) {
	now := s.cfg.Clock.Now()
	if snap := s.subs.Load(); snap != nil && !snap.stale && !force && now.Sub(snap.loaded) < s.cfg.PollInterval && !now.Before(snap.loaded) {
		return snap.byID, nil
	}
	list, err := s.cfg.DB.Subscriptions(ctx, "")
	if err != nil {
		return nil, err
	}
	m := make(map[string]store.Subscription, len(list))
	for _, sub := range list {
		m[sub.ID] = sub
	}
	s.subs.Store(&subSnapshot{byID: m, loaded: now})
	return m, nil
}

// checkPatterns checks event type patterns: exact types, "<subject>.*" or "*".
func checkPatterns(field string, ps []string) error {
	for _, p := range ps {
		if p == "" || strings.ContainsAny(p, " ,") || (strings.Contains(p, "*") && p != "*" && !strings.HasSuffix(p, ".*")) || strings.Count(p, "*") > 1 {
			return &SubscriptionError{Field: field, Reason: fmt.Sprintf("bad pattern %q", p)}
		}
	}
	return nil
}

// Matches reports whether a subscription takes an event. A dialect's
// subscription takes every event of its tenant (and of its campaign,
// agent and contact, when scoped) of its EventTypes: the dialect's
// renderer decides.
func Matches(sub store.Subscription, ev event.Event) bool {
	if !sub.Active || (sub.Tenant != "" && sub.Tenant != ev.Tenant) || (sub.Campaign != "" && sub.Campaign != ev.Campaign) ||
		(sub.Agent != "" && sub.Agent != ev.Agent) || (sub.Contact != "" && sub.Contact != ev.Contact) {
		return false
	}
	if sub.Dialect != "" {
		// The dialect reads its own Events (they may be its vendor's names).
		return len(sub.EventTypes) == 0 || matchesType(sub.EventTypes, ev.Type)
	}
	return matchesType(sub.Events, ev.Type)
}

func matchesType(patterns []string, t event.Type) bool {
	for _, p := range patterns {
		if p == "*" || p == string(t) || (strings.HasSuffix(p, ".*") && strings.HasPrefix(string(t), p[:len(p)-1])) {
			return true
		}
	}
	return false
}

// DeliveryID is the stable webhook-id of an event's delivery to a
// subscription: the same event always maps to the same id.
func DeliveryID(eventID, subscriptionID string) string {
	sum := sha256.Sum256([]byte(eventID + "\x00" + subscriptionID))
	return "msg_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))[:26]
}

// Sink is the bus handler: it stores one delivery per matching
// subscription and event, then wakes the sender. Events without an ID are
// refused (the bus and outbox always set one).
func (s *Sender) Sink(ctx context.Context, events []event.Event) error {
	subs, err := s.subscriptions(ctx, false)
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	var ds []store.Delivery
	for _, ev := range events {
		if ev.ID == "" {
			s.cfg.Logger.Error("webhook: event without id dropped", "type", ev.Type)
			continue
		}
		for _, sub := range subs {
			if !Matches(sub, ev) {
				continue
			}
			if sub.Dialect != "" {
				rendered, err := s.renderDialect(ctx, sub, ev, now.UnixNano())
				if errors.Is(err, ErrRenderLater) {
					s.cfg.Logger.Warn("webhook: dialect cannot render now; event parked for a later try", "subscription", sub.ID, "dialect", sub.Dialect, "event", ev.ID, "err", err)
					parked, perr := parkedDelivery(sub, ev, now.Add(s.cfg.Schedule[0]).UnixNano())
					if perr != nil {
						return perr
					}
					ds = append(ds, parked)
					continue
				}
				if err != nil {
					s.cfg.Logger.Error("webhook: dialect render failed; event skipped for subscription", "subscription", sub.ID, "dialect", sub.Dialect, "event", ev.ID, "err", err)
					continue
				}
				ds = append(ds, rendered...)
				continue
			}
			r := s.renderers[sub.Format]
			if r == nil {
				r = JSON{}
			}
			req, ok, err := r.Render(sub, ev)
			if err != nil {
				s.cfg.Logger.Error("webhook: render failed; event skipped for subscription", "subscription", sub.ID, "event", ev.ID, "err", err)
				continue
			}
			if !ok {
				continue
			}
			ds = append(ds, store.Delivery{
				ID: DeliveryID(ev.ID, sub.ID), SubscriptionID: sub.ID, Tenant: ev.Tenant, EventID: ev.ID, EventType: string(ev.Type),
				Method: req.Method, ContentType: req.ContentType, Query: req.Query, Body: req.Body, NextAttemptNS: now.UnixNano(),
			})
		}
	}
	if len(ds) == 0 {
		return nil
	}
	direct := s.live.Load() && s.held.Load()+int64(len(ds)) <= int64(s.cfg.MaxInFlight)
	if direct {
		lease := now.Add(s.cfg.Lease).UnixNano()
		for i := range ds {
			if ds[i].Method != methodRender { // parked ones wait for their due time
				ds[i].LeaseUntilNS = lease
			}
		}
	}
	inserted, err := s.cfg.DB.InsertDeliveries(ctx, ds, now)
	if err != nil {
		return err
	}
	s.stored.Add(int64(len(inserted)))
	if !direct {
		s.poke()
		return nil
	}
	// Rows that already existed (a redelivered event) are someone else's
	// to attempt; only what this call inserted, leased, goes to the loop.
	leased := inserted[:0:0]
	for _, d := range inserted {
		if d.LeaseUntilNS != 0 {
			leased = append(leased, d)
		} else {
			s.poke() // a parked delivery: the loop claims it when due
		}
	}
	inserted = leased
	if len(inserted) == 0 {
		return nil
	}
	select {
	case s.fresh <- freshBatch{ds: inserted, subs: subs}:
	case <-s.stopped:
		// The loop is gone; the leases expire and a later run claims the rows.
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

type freshBatch struct {
	ds   []store.Delivery
	subs map[string]store.Subscription
}

func deliveryIDs(ds []store.Delivery) []string {
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

type claimResult struct {
	ds    []store.Delivery
	subs  map[string]store.Subscription
	limit int
	next  time.Time // earliest claimable pending delivery after this claim
	more  bool      // whether next is set
	err   error
}

type outcome struct {
	d          store.Delivery
	status     int
	err        error
	retry      bool // worth retrying
	retryAfter time.Duration
	at         time.Time
	canceled   bool
}

// Run delivers until ctx ends; it may be called once. It resumes pending deliveries left by an
// earlier run (once their lease has passed), then keeps claiming due ones.
// In-flight attempts are cancelled at shutdown and retried on the next run.
func (s *Sender) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("webhook: a Sender runs once")
	}
	var bg sync.WaitGroup
	claimCtx, stopClaimer := context.WithCancel(ctx)
	bg.Add(2)
	go func() { defer bg.Done(); s.claimer(claimCtx) }()
	writerDone := make(chan struct{})
	go func() { defer bg.Done(); defer close(writerDone); s.writer(context.WithoutCancel(ctx)) }()

	s.live.Store(true)
	defer close(s.stopped)
	var attempts sync.WaitGroup
	l := &loop{s: s, inflight: map[string]int{}, waiting: map[string][]store.Delivery{}, subs: map[string]store.Subscription{}, wantClaim: true}
	l.run(ctx, &attempts)
	s.live.Store(false)
	attempts.Wait()
	// Results that arrived after the loop stopped still get written.
	close(s.outcomes)
	for o := range s.outcomes {
		if !o.canceled {
			s.writes <- l.result(o)
		}
	}
	close(s.writes)
	stopClaimer()
	<-writerDone
	bg.Wait()
	// Claimed deliveries never started go back at once rather than after their lease.
	var unstarted []string
	for _, ds := range l.waiting {
		unstarted = append(unstarted, deliveryIDs(ds)...)
	}
	for more := true; more; {
		select {
		case fb := <-s.fresh:
			unstarted = append(unstarted, deliveryIDs(fb.ds)...)
		default:
			more = false
		}
	}
	if err := s.cfg.DB.ReleaseLeases(context.WithoutCancel(ctx), unstarted, 0); err != nil {
		s.cfg.Logger.Warn("webhook: release leases (they expire on their own)", "err", err)
	}
	return nil
}

// loop is the state owned by Run's goroutine.
type loop struct {
	s         *Sender
	inflight  map[string]int
	waiting   map[string][]store.Delivery
	subs      map[string]store.Subscription
	held      int
	claiming  bool
	wantClaim bool
	timer     clock.Timer
}

func (l *loop) run(ctx context.Context, attempts *sync.WaitGroup) {
	s := l.s
	defer func() {
		if l.timer != nil {
			l.timer.Stop()
		}
	}()
	for {
		l.maybeClaim()
		var tick <-chan time.Time
		if l.timer != nil {
			tick = l.timer.C()
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
			l.wantClaim = true
		case <-tick:
			l.timer = nil
			l.wantClaim = true
		case r := <-s.claimed:
			l.claiming = false
			l.onClaimed(ctx, r, attempts)
		case fb := <-s.fresh:
			l.take(ctx, fb.ds, fb.subs, attempts)
		case o := <-s.outcomes:
			l.held--
			s.held.Store(int64(l.held))
			l.inflight[o.d.SubscriptionID]--
			if !o.canceled {
				s.writes <- l.result(o)
			}
			l.dispatch(ctx, o.d.SubscriptionID, attempts)
		}
	}
}

func (l *loop) maybeClaim() {
	free := l.s.cfg.MaxInFlight - l.held
	if l.claiming || !l.wantClaim || free <= 0 {
		return
	}
	l.claiming, l.wantClaim = true, false
	l.s.claimReq <- min(free, l.s.cfg.ClaimBatch)
}

func (l *loop) setTimer(d time.Duration) {
	if l.timer != nil {
		l.timer.Stop()
	}
	l.timer = l.s.cfg.Clock.NewTimer(d)
}

func (l *loop) onClaimed(ctx context.Context, r claimResult, attempts *sync.WaitGroup) {
	s := l.s
	if r.err != nil {
		if ctx.Err() == nil {
			s.cfg.Logger.Error("webhook: claim deliveries", "err", r.err)
		}
		l.setTimer(s.cfg.PollInterval)
		return
	}
	l.take(ctx, r.ds, r.subs, attempts)
	if len(r.ds) > 0 {
		// Claim again at once: more may be due. An empty claim sets the timer.
		l.wantClaim = true
		return
	}
	until := s.cfg.Clock.Now().Add(s.cfg.PollInterval)
	if r.more && r.next.Before(until) {
		until = r.next
	}
	l.setTimerUntil(until)
}

// setTimerUntil wakes the loop at until. The clock may move between reading
// it and arming the timer, so a deadline already passed claims at once.
func (l *loop) setTimerUntil(until time.Time) {
	clk := l.s.cfg.Clock
	if wait := until.Sub(clk.Now()); wait > 0 {
		l.setTimer(wait)
	}
	if !clk.Now().Before(until) {
		l.wantClaim = true
	}
}

// take queues leased deliveries and starts what the limits allow.
func (l *loop) take(ctx context.Context, ds []store.Delivery, subs map[string]store.Subscription, attempts *sync.WaitGroup) {
	for _, d := range ds {
		if sub, ok := subs[d.SubscriptionID]; ok {
			l.subs[d.SubscriptionID] = sub
		}
	}
	touched := map[string]bool{}
	for _, d := range ds {
		l.held++
		l.waiting[d.SubscriptionID] = append(l.waiting[d.SubscriptionID], d)
		touched[d.SubscriptionID] = true
	}
	l.s.held.Store(int64(l.held))
	// Dispatch in order of first appearance so earlier-due work starts first.
	for _, d := range ds {
		if touched[d.SubscriptionID] {
			delete(touched, d.SubscriptionID)
			l.dispatch(ctx, d.SubscriptionID, attempts)
		}
	}
}

func (l *loop) dispatch(ctx context.Context, subID string, attempts *sync.WaitGroup) {
	if ctx.Err() != nil {
		return // stopping: what waits is released, not started with a dead context
	}
	s := l.s
	sub, ok := l.subs[subID]
	limit := s.cfg.MaxConcurrency
	if ok && sub.MaxConcurrency > 0 {
		limit = sub.MaxConcurrency
	}
	for l.inflight[subID] < limit && len(l.waiting[subID]) > 0 {
		d := l.waiting[subID][0]
		l.waiting[subID] = l.waiting[subID][1:]
		l.inflight[subID]++
		attempts.Add(1)
		go func() {
			defer attempts.Done()
			s.outcomes <- s.attempt(ctx, d, sub, ok)
		}()
	}
	if len(l.waiting[subID]) == 0 {
		delete(l.waiting, subID)
	}
	if l.inflight[subID] == 0 {
		delete(l.inflight, subID)
	}
}

// result turns an attempt's outcome into the stored result, choosing the
// next attempt's time from the schedule.
func (l *loop) result(o outcome) store.AttemptResult {
	s := l.s
	r := store.AttemptResult{ID: o.d.ID, Attempts: o.d.Attempts + 1, Status: o.status}
	if o.err != nil {
		r.Error = truncate(o.err.Error(), 500)
	}
	switch {
	case o.err == nil:
		r.State = store.DeliveryDelivered
	case !o.retry || r.Attempts > len(s.cfg.Schedule):
		r.State = store.DeliveryDead
		s.dead.Add(1)
	default:
		wait := s.cfg.Schedule[r.Attempts-1]
		if s.cfg.Jitter > 0 {
			wait = time.Duration(float64(wait) * (1 + s.cfg.Jitter*(2*s.cfg.Rand()-1)))
		}
		if o.retryAfter > wait {
			wait = min(o.retryAfter, s.cfg.Schedule[len(s.cfg.Schedule)-1])
		}
		r.State = store.DeliveryPending
		r.NextAttempt = o.at.Add(wait)
		s.retried.Add(1)
	}
	return r
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// claimer serves the loop's claim requests; it owns no state.
func (s *Sender) claimer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case limit := <-s.claimReq:
			r := s.claim(ctx, limit)
			select {
			case s.claimed <- r:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (s *Sender) claim(ctx context.Context, limit int) claimResult {
	now := s.cfg.Clock.Now()
	r := claimResult{limit: limit}
	r.ds, r.err = s.cfg.DB.ClaimDeliveries(ctx, now, now.Add(s.cfg.Lease), limit)
	if r.err != nil {
		return r
	}
	if len(r.ds) == 0 {
		// Nothing due: learn when something will be, to sleep until then.
		r.next, r.more, r.err = s.cfg.DB.NextDeliveryDue(ctx)
		return r
	}
	subs, err := s.subscriptions(ctx, false)
	if err == nil {
		for _, d := range r.ds {
			if _, ok := subs[d.SubscriptionID]; !ok {
				subs, err = s.subscriptions(ctx, true)
				break
			}
		}
	}
	if err != nil {
		r.err = err
		return r
	}
	r.subs = make(map[string]store.Subscription)
	for _, d := range r.ds {
		if sub, ok := subs[d.SubscriptionID]; ok {
			r.subs[sub.ID] = sub
		}
	}
	return r
}

// writer stores attempt results in batches; it exits when writes is closed.
func (s *Sender) writer(ctx context.Context) {
	batch := make([]store.AttemptResult, 0, 512)
	for r := range s.writes {
		batch = append(batch[:0], r)
	more:
		for len(batch) < cap(batch) {
			select {
			case r, ok := <-s.writes:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		retries := false
		for _, r := range batch {
			retries = retries || r.State == store.DeliveryPending
		}
		for {
			err := s.cfg.DB.RecordAttempts(ctx, batch, s.cfg.Clock.Now())
			if err == nil {
				break
			}
			s.cfg.Logger.Error("webhook: record attempts; retrying in 1 s", "count", len(batch), "err", err)
			t := s.cfg.Clock.NewTimer(time.Second)
			<-t.C()
		}
		if retries {
			s.poke() // let the loop learn the earliest retry time
		}
	}
}

var errPermanent = errors.New("permanent failure")

// attempt sends one delivery; it owns nothing and reports an outcome.
func (s *Sender) attempt(ctx context.Context, d store.Delivery, sub store.Subscription, found bool) outcome {
	var o outcome
	switch {
	case !found:
		o = outcome{d: d, err: fmt.Errorf("%w: subscription %s no longer exists", errPermanent, d.SubscriptionID)}
	case !sub.Active:
		o = outcome{d: d, err: fmt.Errorf("%w: subscription %s is inactive", errPermanent, d.SubscriptionID)}
	case d.Method == methodRender:
		o = s.renderParked(ctx, d, sub)
	default:
		o = s.send(ctx, d, sub)
	}
	o.at = s.cfg.Clock.Now()
	return o
}

func (s *Sender) send(ctx context.Context, d store.Delivery, sub store.Subscription) outcome {
	o := outcome{d: d}
	target := sub.URL
	if d.URL != "" {
		target = d.URL
	}
	if d.Query != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + d.Query
	}
	timeout := s.cfg.Timeout
	if sub.TimeoutMS > 0 {
		timeout = sub.Timeout()
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if len(d.Body) > 0 {
		body = bytes.NewReader(d.Body)
	}
	req, err := http.NewRequestWithContext(rctx, d.Method, target, body)
	if err != nil {
		o.err = fmt.Errorf("%w: build request: %v", errPermanent, err)
		return o
	}
	for k, v := range d.Header {
		req.Header.Set(k, v)
	}
	if d.ContentType != "" {
		req.Header.Set("Content-Type", d.ContentType)
	}
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	ts := s.cfg.Clock.Now()
	req.Header.Set("webhook-id", d.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	if sub.Secret != "" {
		key, err := ParseSecret(sub.Secret)
		if err != nil {
			o.err = fmt.Errorf("%w: %v", errPermanent, err)
			return o
		}
		req.Header.Set("webhook-signature", Signature(key, d.ID, ts, d.Body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			o.canceled = true
		}
		// Timeouts, refused connections, resets and refused (re-resolved)
		// addresses are all worth another try later.
		o.err, o.retry = err, true
		return o
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	o.status = resp.StatusCode
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		s.delivered.Add(1)
		return o
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		o.err, o.retry = fmt.Errorf("HTTP %s", resp.Status), true
		o.retryAfter = retryAfter(resp.Header.Get("Retry-After"), s.cfg.Clock.Now())
	default:
		o.err = fmt.Errorf("%w: HTTP %s", errPermanent, resp.Status)
	}
	return o
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
