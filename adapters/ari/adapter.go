package ari

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ariv5 "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// ConnState is the WebSocket state of one server.
type ConnState int32

// Connection states.
const (
	StateConnecting ConnState = iota
	StateConnected
	StateReconnecting
	StateClosed
)

func (s ConnState) String() string {
	return [...]string{"connecting", "connected", "reconnecting", "closed"}[s]
}

type server struct {
	cfg        ServerConfig
	cli        *native.Client
	state      atomic.Int32
	reconnects atomic.Int64
	httpc      *http.Client
}

func (s *server) setState(st ConnState) { s.state.Store(int32(st)) }

// Adapter is the telephony port over ARI. Create it with New, then Start.
type Adapter struct {
	cfg     Config
	servers []*server

	cmds   chan func()
	pbSeq  atomic.Int64
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// owned by the run goroutine
	calls     map[telephony.CallID]*call
	bridges   map[telephony.BridgeID]*server
	playbacks map[string]telephony.CallID
	subs      map[*subscriber]bool
}

type call struct {
	id            telephony.CallID
	srv           *server
	originated    bool // by us (POST /channels); false: entered Stasis from the dialplan
	detectMachine bool
	answered      bool
	continuing    bool
	amdPending    bool
	dialStatus    string
	hardCause     telephony.Cause
	ended         bool
}

var _ telephony.Port = (*Adapter)(nil)

// New validates cfg and returns an adapter that is not yet connected.
func New(cfg Config) (*Adapter, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Adapter{cfg: cfg, cmds: make(chan func()), calls: map[telephony.CallID]*call{},
		bridges: map[telephony.BridgeID]*server{}, playbacks: map[string]telephony.CallID{}, subs: map[*subscriber]bool{}}
	for _, sc := range cfg.Servers {
		cli := native.New(&native.Options{Application: cfg.App, URL: strings.TrimSuffix(sc.URL, "/"),
			WebsocketURL: sc.WebsocketURL, Username: sc.User, Password: sc.Password})
		a.servers = append(a.servers, &server{cfg: sc, cli: cli, httpc: &http.Client{Timeout: 10 * time.Second}})
	}
	return a, nil
}

// Start connects to every server in the background; State and Healthy
// report progress. Close stops it.
func (a *Adapter) Start() {
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.wg.Add(1)
	go a.run()
	for _, s := range a.servers {
		a.wg.Add(1)
		go a.runWS(s)
	}
}

// Close disconnects and stops every goroutine; event channels close.
func (a *Adapter) Close() error {
	if a.cancel == nil {
		return nil
	}
	a.cancel()
	a.wg.Wait()
	for _, s := range a.servers {
		s.setState(StateClosed)
	}
	return nil
}

// State reports each server's connection state by name.
func (a *Adapter) State() map[string]ConnState {
	out := map[string]ConnState{}
	for _, s := range a.servers {
		out[s.cfg.Name] = ConnState(s.state.Load())
	}
	return out
}

// Healthy returns nil when every server's WebSocket is connected.
func (a *Adapter) Healthy() error {
	var down []string
	for _, s := range a.servers {
		if st := ConnState(s.state.Load()); st != StateConnected {
			down = append(down, s.cfg.Name+" "+st.String())
		}
	}
	if len(down) > 0 {
		return fmt.Errorf("%w: %s", ErrNotConnected, strings.Join(down, ", "))
	}
	return nil
}

// Reconnects counts WebSocket reconnections per server since Start.
func (a *Adapter) Reconnects() map[string]int64 {
	out := map[string]int64{}
	for _, s := range a.servers {
		out[s.cfg.Name] = s.reconnects.Load()
	}
	return out
}

func (a *Adapter) run() {
	defer a.wg.Done()
	for {
		select {
		case f := <-a.cmds:
			f()
		case <-a.ctx.Done():
			for s := range a.subs {
				s.close()
			}
			return
		}
	}
}

// do runs f on the state goroutine and waits.
func (a *Adapter) do(ctx context.Context, f func()) error {
	if a.ctx == nil {
		return fmt.Errorf("%w: Start was not called", ErrClosed)
	}
	done := make(chan struct{})
	select {
	case a.cmds <- func() { f(); close(done) }:
	case <-a.ctx.Done():
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-a.ctx.Done():
		return ErrClosed
	}
}

func (a *Adapter) lookup(ctx context.Context, id telephony.CallID) (*server, error) {
	var srv *server
	if err := a.do(ctx, func() {
		if c := a.calls[id]; c != nil && !c.ended {
			srv = c.srv
		}
	}); err != nil {
		return nil, err
	}
	if srv == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownCall, id)
	}
	return srv, nil
}

func reqErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &RequestError{Op: op, Status: native.CodeFromError(err), Err: err}
}

func key(kind, id string) *ariv5.Key { return ariv5.NewKey(kind, id) }

// pickServer chooses the connected server with the fewest live calls.
func (a *Adapter) pickServer(ctx context.Context) (*server, error) {
	load := map[*server]int{}
	if err := a.do(ctx, func() {
		for _, c := range a.calls {
			if !c.ended {
				load[c.srv]++
			}
		}
	}); err != nil {
		return nil, err
	}
	var best *server
	for _, s := range a.servers {
		if ConnState(s.state.Load()) != StateConnected {
			continue
		}
		if best == nil || load[s] < load[best] {
			best = s
		}
	}
	if best == nil {
		return nil, ErrNotConnected
	}
	return best, nil
}

// Originate places a call into the Stasis app; its progress arrives as
// events (ringing, answered or originate_failed, hangup).
func (a *Adapter) Originate(ctx context.Context, req telephony.OriginateRequest) error {
	if req.Call == "" {
		return &InvalidRequestError{"Call", "required"}
	}
	if strings.ContainsAny(string(req.Call), "/ ") {
		return &InvalidRequestError{"Call", fmt.Sprintf("%q: no slashes or spaces", req.Call)}
	}
	if req.Timeout < 0 {
		return &InvalidRequestError{"Timeout", "must not be negative"}
	}
	dial, err := a.cfg.DialString(req.Target)
	if err != nil {
		return err
	}
	srv, err := a.pickServer(ctx)
	if err != nil {
		return err
	}
	var dup bool
	if err := a.do(ctx, func() {
		if c := a.calls[req.Call]; c != nil && !c.ended {
			dup = true
			return
		}
		a.calls[req.Call] = &call{id: req.Call, srv: srv, originated: true, detectMachine: req.DetectMachine}
	}); err != nil {
		return err
	}
	if dup {
		return &InvalidRequestError{"Call", fmt.Sprintf("%s is already live", req.Call)}
	}
	o := ariv5.OriginateRequest{Endpoint: dial, App: a.cfg.App, AppArgs: "outbound", ChannelID: string(req.Call),
		Timeout: int(req.Timeout.Round(time.Second) / time.Second), Variables: req.Variables}
	if strings.HasPrefix(strings.ToLower(dial), "local/") {
		o.OtherChannelID = string(req.Call) + "-2"
	}
	if req.CallerIDNumber != "" || req.CallerIDName != "" {
		o.CallerID = req.CallerIDNumber
		if req.CallerIDName != "" {
			o.CallerID = fmt.Sprintf("%q <%s>", req.CallerIDName, req.CallerIDNumber)
		}
	}
	if ctx.Err() != nil {
		a.forget(req.Call)
		return ctx.Err()
	}
	if _, err := srv.cli.Channel().Originate(nil, o); err != nil {
		a.forget(req.Call)
		return reqErr("originate "+dial, err)
	}
	return nil
}

func (a *Adapter) forget(id telephony.CallID) {
	_ = a.do(context.Background(), func() { delete(a.calls, id) })
}

// Answer answers a call.
func (a *Adapter) Answer(ctx context.Context, id telephony.CallID) error {
	srv, err := a.lookup(ctx, id)
	if err != nil {
		return err
	}
	return reqErr("answer", srv.cli.Channel().Answer(key(ariv5.ChannelKey, string(id))))
}

// Hangup hangs a call up with a Q.850 cause. A call that is already gone is
// not an error.
func (a *Adapter) Hangup(ctx context.Context, id telephony.CallID, cause telephony.Cause) error {
	srv, err := a.lookup(ctx, id)
	if err != nil {
		return err
	}
	err = srv.cli.Channel().Hangup(key(ariv5.ChannelKey, string(id)), hangupReason(cause))
	if native.CodeFromError(err) == http.StatusNotFound {
		return nil
	}
	return reqErr("hangup", err)
}

// Continue sends the call to the dialplan.
func (a *Adapter) Continue(ctx context.Context, id telephony.CallID, to telephony.DialplanTarget) error {
	if to.Context == "" {
		return &InvalidRequestError{"Context", "required"}
	}
	if to.Priority < 0 {
		return &InvalidRequestError{"Priority", "must not be negative"}
	}
	srv, err := a.lookup(ctx, id)
	if err != nil {
		return err
	}
	prio := to.Priority
	if prio == 0 {
		prio = 1
	}
	_ = a.do(ctx, func() {
		if c := a.calls[id]; c != nil {
			c.continuing = true
		}
	})
	return reqErr("continue", srv.cli.Channel().Continue(key(ariv5.ChannelKey, string(id)), to.Context, to.Extension, prio))
}

// Redirect transfers the call to another endpoint (ARI channels/{id}/redirect,
// which the ari/v5 client does not wrap).
func (a *Adapter) Redirect(ctx context.Context, id telephony.CallID, to telephony.Target) error {
	dial, err := a.cfg.DialString(to)
	if err != nil {
		return err
	}
	srv, err := a.lookup(ctx, id)
	if err != nil {
		return err
	}
	u := strings.TrimSuffix(srv.cfg.URL, "/") + "/channels/" + url.PathEscape(string(id)) + "/redirect?endpoint=" + url.QueryEscape(dial)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return reqErr("redirect", err)
	}
	req.SetBasicAuth(srv.cfg.User, srv.cfg.Password)
	resp, err := srv.httpc.Do(req)
	if err != nil {
		return reqErr("redirect", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &RequestError{Op: "redirect", Status: resp.StatusCode, Err: errors.New(resp.Status)}
	}
	return nil
}

// Bridge puts calls into a mixing bridge, creating it on the calls' server.
func (a *Adapter) Bridge(ctx context.Context, id telephony.BridgeID, calls ...telephony.CallID) error {
	if id == "" {
		return &InvalidRequestError{"Bridge", "required"}
	}
	if len(calls) == 0 {
		return &InvalidRequestError{"Calls", "at least one call is required"}
	}
	var srv *server
	var created bool
	for _, c := range calls {
		s, err := a.lookup(ctx, c)
		if err != nil {
			return err
		}
		if srv != nil && s != srv {
			return &InvalidRequestError{"Calls", "calls are on different Asterisk servers"}
		}
		srv = s
	}
	if err := a.do(ctx, func() {
		if bs, ok := a.bridges[id]; ok {
			if bs != srv {
				srv = nil
			}
			return
		}
		a.bridges[id] = srv
		created = true
	}); err != nil {
		return err
	}
	if srv == nil {
		return &InvalidRequestError{"Bridge", "bridge is on another Asterisk server"}
	}
	bk := key(ariv5.BridgeKey, string(id))
	if created {
		if _, err := srv.cli.Bridge().Create(bk, "mixing", string(id)); err != nil {
			_ = a.do(ctx, func() { delete(a.bridges, id) })
			return reqErr("create bridge", err)
		}
	}
	for _, c := range calls {
		if err := srv.cli.Bridge().AddChannel(bk, string(c)); err != nil {
			return reqErr("add to bridge", err)
		}
	}
	return nil
}

func (a *Adapter) bridgeServer(ctx context.Context, id telephony.BridgeID) (*server, error) {
	var srv *server
	if err := a.do(ctx, func() { srv = a.bridges[id] }); err != nil {
		return nil, err
	}
	if srv == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownBridge, id)
	}
	return srv, nil
}

// Unbridge removes a call from a bridge.
func (a *Adapter) Unbridge(ctx context.Context, id telephony.BridgeID, c telephony.CallID) error {
	srv, err := a.bridgeServer(ctx, id)
	if err != nil {
		return err
	}
	return reqErr("remove from bridge", srv.cli.Bridge().RemoveChannel(key(ariv5.BridgeKey, string(id)), string(c)))
}

// DestroyBridge destroys a bridge; its calls stay up.
func (a *Adapter) DestroyBridge(ctx context.Context, id telephony.BridgeID) error {
	srv, err := a.bridgeServer(ctx, id)
	if err != nil {
		return err
	}
	err = srv.cli.Bridge().Delete(key(ariv5.BridgeKey, string(id)))
	_ = a.do(ctx, func() { delete(a.bridges, id) })
	if native.CodeFromError(err) == http.StatusNotFound {
		return nil
	}
	return reqErr("destroy bridge", err)
}

// RecordBridge starts recording a bridge under name.
func (a *Adapter) RecordBridge(ctx context.Context, id telephony.BridgeID, name string) error {
	if err := validRecordingName(name); err != nil {
		return err
	}
	srv, err := a.bridgeServer(ctx, id)
	if err != nil {
		return err
	}
	_, err = srv.cli.Bridge().Record(key(ariv5.BridgeKey, string(id)), name, &ariv5.RecordingOptions{Format: a.cfg.RecordingFormat, Exists: "overwrite"})
	return reqErr("record bridge", err)
}

// Play plays a sound; EventPlaybackFinished follows.
func (a *Adapter) Play(ctx context.Context, id telephony.CallID, media string) error {
	if media == "" {
		return &InvalidRequestError{"Media", "required"}
	}
	srv, err := a.lookup(ctx, id)
	if err != nil {
		return err
	}
	pbID := fmt.Sprintf("%s-pb-%d", id, a.pbSeq.Add(1))
	_ = a.do(ctx, func() { a.playbacks[pbID] = id })
	_, err = srv.cli.Channel().Play(key(ariv5.ChannelKey, string(id)), pbID, media)
	if err != nil {
		_ = a.do(ctx, func() { delete(a.playbacks, pbID) })
	}
	return reqErr("play", err)
}

// StartMOH starts music on hold.
func (a *Adapter) StartMOH(ctx context.Context, id telephony.CallID, class string) error {
	srv, err := a.lookup(ctx, id)
	if err != nil {
		return err
	}
	return reqErr("moh", srv.cli.Channel().MOH(key(ariv5.ChannelKey, string(id)), class))
}

// StopMOH stops music on hold.
func (a *Adapter) StopMOH(ctx context.Context, id telephony.CallID) error {
	srv, err := a.lookup(ctx, id)
	if err != nil {
		return err
	}
	return reqErr("stop moh", srv.cli.Channel().StopMOH(key(ariv5.ChannelKey, string(id))))
}

// StartRinging plays ringback to the caller.
func (a *Adapter) StartRinging(ctx context.Context, id telephony.CallID) error {
	srv, err := a.lookup(ctx, id)
	if err != nil {
		return err
	}
	return reqErr("ring", srv.cli.Channel().Ring(key(ariv5.ChannelKey, string(id))))
}
