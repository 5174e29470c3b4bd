package ari

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	ariv5 "github.com/CyCoreSystems/ari/v5"
	"golang.org/x/net/websocket"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// subscriber is one Events stream. The state goroutine appends without
// blocking; the subscriber's own goroutine drains into the channel, so a
// slow consumer never loses events and never stalls the adapter.
type subscriber struct {
	mu     sync.Mutex
	queue  []telephony.Event
	wake   chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (s *subscriber) push(e telephony.Event) {
	s.mu.Lock()
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) close() { s.once.Do(func() { close(s.closed) }) }

func (s *subscriber) drain(ctx context.Context, out chan<- telephony.Event) {
	defer close(out)
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
			case <-s.closed:
				return
			}
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return
		case <-s.closed:
			return
		}
	}
}

// Events streams call events until ctx ends or the adapter closes.
func (a *Adapter) Events(ctx context.Context) (<-chan telephony.Event, error) {
	sub := &subscriber{wake: make(chan struct{}, 1), closed: make(chan struct{})}
	if err := a.do(ctx, func() { a.subs[sub] = true }); err != nil {
		return nil, err
	}
	out := make(chan telephony.Event)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		sub.drain(ctx, out)
		sub.close()
		_ = a.do(context.Background(), func() { delete(a.subs, sub) })
	}()
	return out, nil
}

func (a *Adapter) emit(e telephony.Event) {
	e.At = a.cfg.Clock.Now()
	for s := range a.subs {
		s.push(e)
	}
}

// runWS keeps one server's event WebSocket up: it redials with exponential
// backoff, and after a reconnect reconciles the calls over REST.
func (a *Adapter) runWS(srv *server) {
	defer a.wg.Done()
	backoff := a.cfg.MinBackoff
	connectedBefore := false
	for a.ctx.Err() == nil {
		ws, err := a.dialWS(srv)
		if err != nil {
			a.cfg.Logger.Warn("ari websocket dial failed", "server", srv.cfg.Name, "err", err, "retry_in", backoff)
			if connectedBefore {
				srv.setState(StateReconnecting)
			}
			t := a.cfg.Clock.NewTimer(backoff)
			select {
			case <-t.C():
			case <-a.ctx.Done():
				t.Stop()
				return
			}
			backoff = min(2*backoff, a.cfg.MaxBackoff)
			continue
		}
		backoff = a.cfg.MinBackoff
		srv.setState(StateConnected)
		if connectedBefore {
			srv.reconnects.Add(1)
			a.cfg.Logger.Info("ari websocket reconnected", "server", srv.cfg.Name)
			a.wg.Add(1)
			go func() {
				defer a.wg.Done()
				a.reconcile(srv)
			}()
		}
		connectedBefore = true
		a.readWS(srv, ws)
		if a.ctx.Err() != nil {
			return
		}
		srv.setState(StateReconnecting)
		// Give a restarting Asterisk a moment before the first redial.
		t := a.cfg.Clock.NewTimer(backoff)
		select {
		case <-t.C():
		case <-a.ctx.Done():
			t.Stop()
			return
		}
	}
}

func (a *Adapter) dialWS(srv *server) (*websocket.Conn, error) {
	u := srv.cfg.WebsocketURL + "?" + url.Values{"app": {a.cfg.App}}.Encode()
	cfg, err := websocket.NewConfig(u, "http://localhost/")
	if err != nil {
		return nil, err
	}
	cfg.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(srv.cfg.User+":"+srv.cfg.Password)))
	ctx, cancel := context.WithTimeout(a.ctx, 10*time.Second)
	defer cancel()
	return cfg.DialContext(ctx)
}

func (a *Adapter) readWS(srv *server, ws *websocket.Conn) {
	stop := make(chan struct{})
	defer close(stop)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.watchdog(srv, ws, stop)
	}()
	for {
		var data []byte
		if err := websocket.Message.Receive(ws, &data); err != nil {
			if a.ctx.Err() == nil {
				a.cfg.Logger.Warn("ari websocket lost", "server", srv.cfg.Name, "err", err)
			}
			return
		}
		ev, err := ariv5.DecodeEvent(data)
		if err != nil {
			a.cfg.Logger.Debug("ari: undecodable event", "err", err)
			continue
		}
		select {
		case a.cmds <- func() { a.handle(srv, ev) }:
		case <-a.ctx.Done():
			return
		}
	}
}

// watchdog closes the WebSocket when the adapter stops, and when Asterisk no
// longer knows the app twice in a row (a half-open connection, or the app
// taken over by another client), so runWS reconnects.
func (a *Adapter) watchdog(srv *server, ws *websocket.Conn, stop <-chan struct{}) {
	defer ws.Close()
	fails := 0
	for {
		var tick <-chan time.Time
		var t interface{ Stop() bool }
		if a.cfg.PingInterval > 0 {
			tm := a.cfg.Clock.NewTimer(a.cfg.PingInterval)
			t, tick = tm, tm.C()
		}
		select {
		case <-a.ctx.Done():
			return
		case <-stop:
			if t != nil {
				t.Stop()
			}
			return
		case <-tick:
			if err := a.appAlive(srv); err != nil {
				fails++
				a.cfg.Logger.Warn("ari liveness check failed", "server", srv.cfg.Name, "err", err, "failures", fails)
			} else {
				fails = 0
			}
			if fails >= 2 {
				return
			}
		}
	}
}

// appAlive asks the server whether our Stasis app is registered (it is only
// while our WebSocket is connected).
func (a *Adapter) appAlive(srv *server) error {
	u := strings.TrimSuffix(srv.cfg.URL, "/") + "/applications/" + url.PathEscape(a.cfg.App)
	req, err := http.NewRequestWithContext(a.ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(srv.cfg.User, srv.cfg.Password)
	resp, err := srv.httpc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET applications/%s: %s", a.cfg.App, resp.Status)
	}
	return nil
}

func causeOf(n int) telephony.Cause { return telephony.Cause(n) }

// handle turns one ARI event into telephony events (state goroutine).
func (a *Adapter) handle(srv *server, ev ariv5.Event) {
	switch e := ev.(type) {
	case *ariv5.StasisStart:
		id := telephony.CallID(e.Channel.ID)
		c := a.calls[id]
		if len(e.Args) > 0 && e.Args[0] == "amd" && c != nil {
			c.amdPending, c.continuing = false, false
			status := ""
			if len(e.Args) > 1 {
				status = e.Args[1]
			}
			a.emit(telephony.Event{Kind: telephony.EventMachineDetection, Call: id, Machine: status == "MACHINE", Server: srv.cfg.Name})
			return
		}
		if len(e.Args) > 0 && e.Args[0] == HandoffArg {
			if c != nil && !c.ended && c.answered {
				// A script the core continued to asks for a human.
				c.continuing = false
				a.emit(telephony.Event{Kind: telephony.EventScriptTransfer, Call: id, Args: e.Args[1:], Server: srv.cfg.Name})
				return
			}
			a.cfg.Logger.Warn("ari: hanging up a hand-off of a call the core does not know", "channel", id)
			a.wg.Add(1)
			go func() {
				defer a.wg.Done()
				_ = srv.cli.Channel().Hangup(key(ariv5.ChannelKey, string(id)), "normal")
			}()
			return
		}
		if c != nil && c.originated {
			if c.answered {
				c.continuing = false
				return
			}
			c.answered = true
			a.emit(telephony.Event{Kind: telephony.EventAnswered, Call: id, Server: srv.cfg.Name})
			if c.detectMachine {
				c.amdPending, c.continuing = true, true
				a.wg.Add(1)
				go func() {
					defer a.wg.Done()
					if err := srv.cli.Channel().Continue(key(ariv5.ChannelKey, string(id)), a.cfg.AMDContext, "s", 1); err != nil {
						a.cfg.Logger.Error("ari: AMD continue failed", "call", id, "err", err)
					}
				}()
			}
			return
		}
		if c != nil && !c.ended {
			c.continuing = false // back from the dialplan
			return
		}
		if len(e.Args) > 0 && e.Args[0] == snoopArg {
			return // a call recording's snoop channel (RecordCall)
		}
		if len(e.Args) > 0 && (e.Args[0] == "outbound" || e.Args[0] == "amd") {
			// One of our originates the core no longer knows (its REST call
			// failed late, or the adapter restarted): nobody will handle it.
			a.cfg.Logger.Warn("ari: hanging up an orphaned outbound channel", "channel", id)
			a.wg.Add(1)
			go func() {
				defer a.wg.Done()
				_ = srv.cli.Channel().Hangup(key(ariv5.ChannelKey, string(id)), "normal")
			}()
			return
		}
		num := ""
		if e.Channel.Caller != nil {
			num = e.Channel.Caller.Number
		}
		a.calls[id] = &call{id: id, srv: srv, answered: e.Channel.State == "Up"}
		a.emit(telephony.Event{Kind: telephony.EventIncoming, Call: id, CallerNumber: num, Args: e.Args, Server: srv.cfg.Name})
	case *ariv5.Dial:
		c := a.calls[telephony.CallID(e.Peer.ID)]
		if c == nil || c.ended {
			return
		}
		if e.Dialstatus != "" {
			if e.Dialstatus == "RINGING" && c.dialStatus != "RINGING" && !c.answered {
				a.emit(telephony.Event{Kind: telephony.EventRinging, Call: c.id, Server: srv.cfg.Name})
			}
			c.dialStatus = e.Dialstatus
		}
	case *ariv5.ChannelHangupRequest:
		if c := a.calls[telephony.CallID(e.Channel.ID)]; c != nil && !e.Soft {
			c.hardCause = causeOf(e.Cause)
		}
	case *ariv5.StasisEnd:
		c := a.calls[telephony.CallID(e.Channel.ID)]
		if c == nil || c.ended || c.originated || c.continuing {
			return
		}
		// A channel from the dialplan gets no ChannelDestroyed after StasisEnd.
		cause := c.hardCause
		if cause == 0 {
			cause = telephony.CauseNormalClearing
		}
		a.end(c, cause)
	case *ariv5.ChannelDestroyed:
		c := a.calls[telephony.CallID(e.Channel.ID)]
		if c == nil || c.ended {
			return
		}
		a.end(c, causeOf(e.Cause))
	case *ariv5.ChannelDtmfReceived:
		if c := a.calls[telephony.CallID(e.Channel.ID)]; c != nil && !c.ended {
			a.emit(telephony.Event{Kind: telephony.EventDTMF, Call: c.id, Digit: e.Digit, Server: srv.cfg.Name})
		}
	case *ariv5.PlaybackFinished:
		if id, ok := a.playbacks[e.Playback.ID]; ok {
			delete(a.playbacks, e.Playback.ID)
			a.emit(telephony.Event{Kind: telephony.EventPlaybackFinished, Call: id, Server: srv.cfg.Name})
		}
	case *ariv5.BridgeDestroyed:
		delete(a.bridges, telephony.BridgeID(e.Bridge.ID))
	}
}

// end settles a call: a hang-up if it was answered, otherwise a failed originate.
func (a *Adapter) end(c *call, cause telephony.Cause) {
	c.ended = true
	delete(a.calls, c.id)
	if c.originated && !c.answered {
		if cause == 0 {
			cause = dialStatusCause(c.dialStatus)
		}
		a.emit(telephony.Event{Kind: telephony.EventOriginateFailed, Call: c.id, Cause: cause,
			Outcome: telephony.OutcomeForUnansweredCause(cause), Server: c.srv.cfg.Name})
		return
	}
	a.emit(telephony.Event{Kind: telephony.EventHangup, Call: c.id, Cause: cause, Server: c.srv.cfg.Name})
}

// reconcile lists the server's channels and bridges after a reconnect and
// settles every call that ended or was answered while events were lost.
func (a *Adapter) reconcile(srv *server) {
	keys, err := srv.cli.Channel().List(nil)
	if err != nil {
		a.cfg.Logger.Error("ari reconcile: list channels", "server", srv.cfg.Name, "err", err)
		return
	}
	live := map[telephony.CallID]string{}
	for _, k := range keys {
		state := ""
		if d, err := srv.cli.Channel().Data(k); err == nil {
			state = d.State
		}
		live[telephony.CallID(k.ID)] = state
	}
	bkeys, err := srv.cli.Bridge().List(nil)
	if err != nil {
		a.cfg.Logger.Error("ari reconcile: list bridges", "server", srv.cfg.Name, "err", err)
		return
	}
	bridges := map[telephony.BridgeID]bool{}
	for _, k := range bkeys {
		bridges[telephony.BridgeID(k.ID)] = true
	}
	_ = a.do(context.Background(), func() {
		for id, c := range a.calls {
			if c.srv != srv || c.ended {
				continue
			}
			state, ok := live[id]
			switch {
			case !ok:
				// Gone while we were away: the cause was lost with the events.
				a.end(c, 0)
			case c.originated && !c.answered && state == "Up":
				c.answered = true
				a.emit(telephony.Event{Kind: telephony.EventAnswered, Call: id, Server: srv.cfg.Name})
			}
		}
		for id, s := range a.bridges {
			if s == srv && !bridges[id] {
				delete(a.bridges, id)
			}
		}
	})
}
