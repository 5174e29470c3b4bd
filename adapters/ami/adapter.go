// Package ami connects Switchboard to Asterisk's Manager Interface with
// github.com/heltonmarx/goami: originate (async, with OriginateResponse
// matched by ActionID), and, for shops that keep app_queue, its queue events
// turned into the native ACD's domain events plus QueueAdd/QueueRemove/
// QueuePause for agent login, logout and pause.
//
// It keeps two sessions, as goami's request helpers need: one logged in with
// Events: off for actions, one with events on. Each reconnects with backoff
// (goami has no reconnect of its own).
package ami

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Config configures the adapter.
type Config struct {
	// Addr is host:port of the manager interface, e.g. 127.0.0.1:5038.
	Addr   string
	User   string
	Secret string
	// LocalTemplate, NumberTemplate and TrunkTemplates render dial strings as in
	// adapters/ari (defaults PJSIP/{extension}, PJSIP/{number}@{trunk}).
	LocalTemplate  string
	NumberTemplate string
	TrunkTemplates map[string]string
	// Destination is where an answered originated call goes (default
	// context switchboard-out, extension s, priority 1). Application and Data,
	// when set, run an application instead (e.g. Wait, 30).
	Destination telephony.DialplanTarget
	Application string
	Data        string
	// MinBackoff and MaxBackoff bound the reconnect delay (defaults 250 ms, 30 s).
	MinBackoff, MaxBackoff time.Duration
	// ActionTimeout bounds each action (default 10 s).
	ActionTimeout time.Duration
	Clock         clock.Clock
	Logger        *slog.Logger
}

// ConfigError is a bad configuration value; Field names it.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "ami config: " + e.Field + ": " + e.Reason }

// InvalidRequestError is a bad argument; Field names it.
type InvalidRequestError struct {
	Field  string
	Reason string
}

func (e *InvalidRequestError) Error() string { return "ami: " + e.Field + ": " + e.Reason }

func (c *Config) setDefaults() {
	if c.LocalTemplate == "" {
		c.LocalTemplate = "PJSIP/{extension}"
	}
	if c.NumberTemplate == "" {
		c.NumberTemplate = "PJSIP/{number}@{trunk}"
	}
	if c.Destination.Context == "" && c.Application == "" {
		c.Destination = telephony.DialplanTarget{Context: "switchboard-out", Extension: "s", Priority: 1}
	}
	if c.Destination.Priority == 0 {
		c.Destination.Priority = 1
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 250 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.ActionTimeout == 0 {
		c.ActionTimeout = 10 * time.Second
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if _, port, ok := strings.Cut(c.Addr, ":"); !ok || port == "" {
		return &ConfigError{"Addr", fmt.Sprintf("%q is not host:port", c.Addr)}
	}
	if c.User == "" || c.Secret == "" {
		return &ConfigError{"User", "user and secret are required"}
	}
	if !strings.Contains(c.LocalTemplate, "{extension}") {
		return &ConfigError{"LocalTemplate", "has no {extension}"}
	}
	if !strings.Contains(c.NumberTemplate, "{number}") {
		return &ConfigError{"NumberTemplate", "has no {number}"}
	}
	if c.MaxBackoff < c.MinBackoff {
		return &ConfigError{"MaxBackoff", "must be at least MinBackoff"}
	}
	return nil
}

func (c *Config) dialString(t telephony.Target) (string, error) {
	bad := func(s string) bool { return strings.ContainsAny(s, "/@&,\r\n") }
	switch {
	case t.Extension != "" && t.Number != "":
		return "", &InvalidRequestError{"Target", "set Extension or Number, not both"}
	case t.Extension != "":
		if bad(t.Extension) {
			return "", &InvalidRequestError{"Target.Extension", fmt.Sprintf("%q is not allowed in a dial string", t.Extension)}
		}
		return strings.ReplaceAll(c.LocalTemplate, "{extension}", t.Extension), nil
	case t.Number != "":
		if bad(t.Number) {
			return "", &InvalidRequestError{"Target.Number", fmt.Sprintf("%q is not allowed in a dial string", t.Number)}
		}
		tmpl := c.NumberTemplate
		if tt, ok := c.TrunkTemplates[t.Trunk]; ok {
			tmpl = tt
		}
		if strings.Contains(tmpl, "{trunk}") && t.Trunk == "" {
			return "", &InvalidRequestError{"Target.Trunk", "required by the number template"}
		}
		return strings.ReplaceAll(strings.ReplaceAll(tmpl, "{number}", t.Number), "{trunk}", t.Trunk), nil
	}
	return "", &InvalidRequestError{"Target", "Extension or Number is required"}
}

// Adapter is an AMI connection pair. It implements telephony.Originator and
// telephony.EventSource, and streams app_queue domain events.
type Adapter struct {
	cfg     Config
	actions *conn
	events  *conn

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex                  // guards the maps below; held briefly, never across I/O
	origs     map[string]telephony.CallID // ActionID -> call
	calls     map[telephony.CallID]*ocall // originated calls by channel Uniqueid
	tsubs     map[*sub[telephony.Event]]bool
	dsubs     map[*sub[event.Event]]bool
	translate *Translator
	downSince time.Time // when the event session was lost
}

type ocall struct {
	ringing, answered bool
	started           time.Time
}

var (
	_ telephony.Originator  = (*Adapter)(nil)
	_ telephony.EventSource = (*Adapter)(nil)
)

// New validates cfg and returns an adapter that is not yet connected.
func New(cfg Config) (*Adapter, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Adapter{cfg: cfg, origs: map[string]telephony.CallID{}, calls: map[telephony.CallID]*ocall{},
		tsubs: map[*sub[telephony.Event]]bool{}, dsubs: map[*sub[event.Event]]bool{}, translate: NewTranslator()}
	prefix := fmt.Sprintf("sb%x", cfg.Clock.Now().UnixNano()&0xffffff)
	mk := func(name string, events bool) *conn {
		return &conn{name: name, addr: cfg.Addr, user: cfg.User, secret: cfg.Secret, events: events,
			idPrefix: prefix + "-" + name, clk: cfg.Clock, log: cfg.Logger, minB: cfg.MinBackoff, maxB: cfg.MaxBackoff}
	}
	a.actions = mk("act", false)
	a.events = mk("evt", true)
	a.events.onFrame = a.onEvent
	a.events.onConnect = a.onEventsConnect
	return a, nil
}

// Start connects both sessions in the background. Close stops them.
func (a *Adapter) Start() {
	a.ctx, a.cancel = context.WithCancel(context.Background())
	for _, c := range []*conn{a.actions, a.events} {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			c.run(a.ctx)
		}()
	}
}

// Close disconnects and waits for every goroutine; event channels close.
func (a *Adapter) Close() error {
	if a.cancel == nil {
		return nil
	}
	a.cancel()
	a.wg.Wait()
	a.actions.setState(StateClosed)
	a.events.setState(StateClosed)
	return nil
}

// State reports the two sessions' states.
func (a *Adapter) State() (actions, events ConnState) {
	return ConnState(a.actions.state.Load()), ConnState(a.events.state.Load())
}

// Reconnects counts reconnections of the action and event sessions.
func (a *Adapter) Reconnects() (actions, events int64) {
	return a.actions.reconnects.Load(), a.events.reconnects.Load()
}

// Healthy returns nil when both sessions are logged in, else why not.
func (a *Adapter) Healthy() error {
	for _, c := range []*conn{a.actions, a.events} {
		if st := ConnState(c.state.Load()); st != StateConnected {
			c.mu.Lock()
			last := c.lastErr
			c.mu.Unlock()
			if last != nil {
				return fmt.Errorf("%w: %s session %s: %v", ErrNotConnected, c.name, st, last)
			}
			return fmt.Errorf("%w: %s session %s", ErrNotConnected, c.name, st)
		}
	}
	return nil
}

func (a *Adapter) act(ctx context.Context, name string, kvs ...string) (Frame, string, error) {
	return a.actID(ctx, a.actions.nextID(), name, kvs...)
}

func (a *Adapter) actID(ctx context.Context, id, name string, kvs ...string) (Frame, string, error) {
	if a.ctx == nil {
		return nil, "", fmt.Errorf("%w: Start was not called", ErrClosed)
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ActionTimeout)
	defer cancel()
	return a.actions.actionID(ctx, id, name, kvs...)
}

// Originate places an async Originate; OriginateResponse (matched by
// ActionID) becomes EventAnswered or EventOriginateFailed.
func (a *Adapter) Originate(ctx context.Context, req telephony.OriginateRequest) error {
	if req.Call == "" || strings.ContainsAny(string(req.Call), " \r\n") {
		return &InvalidRequestError{"Call", fmt.Sprintf("%q is not a valid call id", req.Call)}
	}
	if req.Timeout < 0 {
		return &InvalidRequestError{"Timeout", "must not be negative"}
	}
	dial, err := a.cfg.dialString(req.Target)
	if err != nil {
		return err
	}
	kvs := []string{"Channel", dial, "Async", "true", "ChannelId", string(req.Call)}
	if strings.HasPrefix(strings.ToLower(dial), "local/") {
		kvs = append(kvs, "OtherChannelId", string(req.Call)+"-2")
	}
	if a.cfg.Application != "" {
		kvs = append(kvs, "Application", a.cfg.Application, "Data", a.cfg.Data)
	} else {
		d := a.cfg.Destination
		kvs = append(kvs, "Context", d.Context, "Exten", d.Extension, "Priority", strconv.Itoa(d.Priority))
	}
	if req.Timeout > 0 {
		kvs = append(kvs, "Timeout", strconv.FormatInt(req.Timeout.Milliseconds(), 10))
	}
	if req.CallerIDNumber != "" || req.CallerIDName != "" {
		cid := req.CallerIDNumber
		if req.CallerIDName != "" {
			cid = fmt.Sprintf("%q <%s>", req.CallerIDName, req.CallerIDNumber)
		}
		kvs = append(kvs, "CallerID", cid)
	}
	for k, v := range req.Variables {
		if strings.ContainsAny(k, "=\r\n") {
			return &InvalidRequestError{"Variables", fmt.Sprintf("bad variable name %q", k)}
		}
		kvs = append(kvs, "Variable", k+"="+v)
	}
	a.mu.Lock()
	if _, dup := a.calls[req.Call]; dup {
		a.mu.Unlock()
		return &InvalidRequestError{"Call", fmt.Sprintf("%s is already live", req.Call)}
	}
	a.calls[req.Call] = &ocall{started: a.cfg.Clock.Now()}
	a.mu.Unlock()
	// The ActionID must be known before the reply: OriginateResponse can
	// race it on the other session.
	id := a.actions.nextID()
	a.mu.Lock()
	a.origs[id] = req.Call
	a.mu.Unlock()
	_, _, err = a.actID(ctx, id, "Originate", kvs...)
	if err != nil {
		a.mu.Lock()
		delete(a.origs, id)
		delete(a.calls, req.Call)
		a.mu.Unlock()
		return err
	}
	return nil
}

// QueueAdd logs an agent into an app_queue queue as interface iface.
func (a *Adapter) QueueAdd(ctx context.Context, queue, agent, iface string, penalty int, paused bool) error {
	if err := need("Queue", queue, "Interface", iface); err != nil {
		return err
	}
	_, _, err := a.act(ctx, "QueueAdd", "Queue", queue, "Interface", iface, "MemberName", agent,
		"Penalty", strconv.Itoa(penalty), "Paused", strconv.FormatBool(paused))
	return err
}

// QueueRemove logs an interface out of a queue.
func (a *Adapter) QueueRemove(ctx context.Context, queue, iface string) error {
	if err := need("Queue", queue, "Interface", iface); err != nil {
		return err
	}
	_, _, err := a.act(ctx, "QueueRemove", "Queue", queue, "Interface", iface)
	return err
}

// QueuePause pauses (break) or unpauses an interface; queue "" means all queues.
func (a *Adapter) QueuePause(ctx context.Context, queue, iface string, paused bool, reason string) error {
	if err := need("Interface", iface); err != nil {
		return err
	}
	kvs := []string{"Interface", iface, "Paused", strconv.FormatBool(paused)}
	if queue != "" {
		kvs = append(kvs, "Queue", queue)
	}
	if reason != "" {
		kvs = append(kvs, "Reason", reason)
	}
	_, _, err := a.act(ctx, "QueuePause", kvs...)
	return err
}

// Ping checks the action session end to end.
func (a *Adapter) Ping(ctx context.Context) error {
	_, _, err := a.act(ctx, "Ping")
	return err
}

func need(kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if strings.TrimSpace(kv[i+1]) == "" {
			return &InvalidRequestError{kv[i], "required"}
		}
		if strings.ContainsAny(kv[i+1], "\r\n") {
			return &InvalidRequestError{kv[i], "line breaks are not allowed"}
		}
	}
	return nil
}

// onEventsConnect runs on the event session's goroutine after each login and
// each disconnect. After a reconnect it reconciles the originated calls:
// Asterisk keeps no events for a session that was away.
func (a *Adapter) onEventsConnect(up bool) {
	now := a.cfg.Clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if !up {
		a.downSince = now
		return
	}
	if a.downSince.IsZero() {
		return
	}
	since := a.downSince
	a.downSince = time.Time{}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.reconcile(since)
	}()
}

// reconcile lists the live channels and settles every originated call that
// started before the events were lost and whose channel is gone.
func (a *Adapter) reconcile(lostAt time.Time) {
	var items []Frame
	var err error
	for try := 0; try < 20; try++ {
		ctx, cancel := context.WithTimeout(a.ctx, a.cfg.ActionTimeout)
		items, err = a.actions.list(ctx, "CoreShowChannels")
		cancel()
		if err == nil || a.ctx.Err() != nil {
			break
		}
		t := a.cfg.Clock.NewTimer(a.cfg.MinBackoff)
		select {
		case <-t.C():
		case <-a.ctx.Done():
			t.Stop()
			return
		}
	}
	if err != nil {
		a.cfg.Logger.Error("ami reconcile: CoreShowChannels", "err", err)
		return
	}
	live := map[telephony.CallID]bool{}
	for _, f := range items {
		live[telephony.CallID(f.Get("Uniqueid"))] = true
	}
	now := a.cfg.Clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, c := range a.calls {
		if live[id] || !c.started.Before(lostAt) {
			continue
		}
		delete(a.calls, id)
		for aid, call := range a.origs {
			if call == id {
				delete(a.origs, aid)
			}
		}
		// The cause was lost with the events.
		e := telephony.Event{Kind: telephony.EventHangup, Call: id, At: now}
		if !c.answered {
			e = telephony.Event{Kind: telephony.EventOriginateFailed, Call: id, At: now, Outcome: telephony.OutcomeFailed}
		}
		for s := range a.tsubs {
			s.push(e)
		}
	}
}

// originateCause maps OriginateResponse Reason to a Q.850 cause.
func originateCause(reason int) telephony.Cause {
	switch reason {
	case 5: // AST_CONTROL_BUSY
		return telephony.CauseUserBusy
	case 3: // ringing, then timed out
		return telephony.CauseNoAnswer
	case 8: // AST_CONTROL_CONGESTION
		return telephony.CauseCongestion
	case 1: // hung up before answer
		return telephony.CauseCallRejected
	}
	return 0
}

// onEvent runs on the event session's reader goroutine, in arrival order.
func (a *Adapter) onEvent(f Frame) {
	now := a.cfg.Clock.Now()
	var tevs []telephony.Event
	a.mu.Lock()
	switch f.Get("Event") {
	case "OriginateResponse":
		if call, ok := a.origs[f.Get("ActionID")]; ok {
			delete(a.origs, f.Get("ActionID"))
			c := a.calls[call]
			if f.Get("Response") == "Success" {
				if c != nil && !c.answered {
					c.answered = true
					tevs = append(tevs, telephony.Event{Kind: telephony.EventAnswered, Call: call})
				}
			} else {
				delete(a.calls, call)
				cause := originateCause(f.Int("Reason"))
				tevs = append(tevs, telephony.Event{Kind: telephony.EventOriginateFailed, Call: call, Cause: cause,
					Outcome: telephony.OutcomeForUnansweredCause(cause)})
			}
		}
	case "Newstate":
		call := telephony.CallID(f.Get("Uniqueid"))
		if c := a.calls[call]; c != nil && !c.ringing && !c.answered && f.Get("ChannelStateDesc") == "Ringing" {
			c.ringing = true
			tevs = append(tevs, telephony.Event{Kind: telephony.EventRinging, Call: call})
		}
	case "Hangup":
		call := telephony.CallID(f.Get("Uniqueid"))
		if c := a.calls[call]; c != nil && c.answered {
			delete(a.calls, call)
			tevs = append(tevs, telephony.Event{Kind: telephony.EventHangup, Call: call, Cause: telephony.Cause(f.Int("Cause"))})
		}
	}
	devs := a.translate.Translate(f, now)
	for _, e := range tevs {
		e.At = now
		for s := range a.tsubs {
			s.push(e)
		}
	}
	for _, e := range devs {
		for s := range a.dsubs {
			s.push(e)
		}
	}
	a.mu.Unlock()
}

// Events streams telephony events of originated calls.
func (a *Adapter) Events(ctx context.Context) (<-chan telephony.Event, error) {
	return subscribe(a, ctx, a.tsubs)
}

// DomainEvents streams app_queue events as domain events.
func (a *Adapter) DomainEvents(ctx context.Context) (<-chan event.Event, error) {
	return subscribe(a, ctx, a.dsubs)
}

// sub is one event stream, drained by its own goroutine so a slow consumer
// neither loses events nor stalls the AMI reader.
type sub[T any] struct {
	mu     sync.Mutex
	queue  []T
	wake   chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (s *sub[T]) push(e T) {
	s.mu.Lock()
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func subscribe[T any](a *Adapter, ctx context.Context, set map[*sub[T]]bool) (<-chan T, error) {
	if a.ctx == nil {
		return nil, fmt.Errorf("%w: Start was not called", ErrClosed)
	}
	s := &sub[T]{wake: make(chan struct{}, 1), closed: make(chan struct{})}
	a.mu.Lock()
	set[s] = true
	a.mu.Unlock()
	out := make(chan T)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer close(out)
		defer func() {
			a.mu.Lock()
			delete(set, s)
			a.mu.Unlock()
		}()
		for {
			s.mu.Lock()
			q := s.queue
			s.queue = nil
			s.mu.Unlock()
			for _, e := range q {
				select {
				case out <- e:
				case <-ctx.Done():
					return
				case <-a.ctx.Done():
					return
				}
			}
			select {
			case <-s.wake:
			case <-ctx.Done():
				return
			case <-a.ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
