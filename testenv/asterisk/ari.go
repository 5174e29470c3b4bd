package asterisk

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"
)

// ---- WebSocket applications ----

type ariApp struct {
	name    string
	clients map[*wsClient]bool
	all     bool // connected with subscribeAll=true: hears every channel and bridge
}

func (a *ariApp) send(ev obj) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	a.sendRaw(b)
}

func (a *ariApp) sendRaw(b []byte) {
	if b == nil {
		return
	}
	for c := range a.clients {
		c.enqueue(b)
	}
}

// wsClient is one WebSocket connection. The state goroutine enqueues frames
// without blocking; the client's writer goroutine sends them in order.
type wsClient struct {
	mu     sync.Mutex
	queue  [][]byte
	wake   chan struct{}
	closed chan struct{}
	once   sync.Once
}

func newWSClient() *wsClient {
	return &wsClient{wake: make(chan struct{}, 1), closed: make(chan struct{})}
}

func (c *wsClient) enqueue(b []byte) {
	c.mu.Lock()
	c.queue = append(c.queue, b)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *wsClient) close() { c.once.Do(func() { close(c.closed) }) }

func (c *wsClient) writeLoop(ws *websocket.Conn) {
	for {
		c.mu.Lock()
		q := c.queue
		c.queue = nil
		c.mu.Unlock()
		for _, b := range q {
			if err := websocket.Message.Send(ws, string(b)); err != nil {
				c.close()
				return
			}
		}
		select {
		case <-c.wake:
		case <-c.closed:
			return
		}
	}
}

// DropWebSockets closes every ARI WebSocket connection, as a network failure
// or an Asterisk restart would. Clients may reconnect at once.
func (s *Server) DropWebSockets() {
	_ = s.do(func() {
		for _, a := range s.st.apps {
			for c := range a.clients {
				c.close()
			}
		}
	})
}

// StallWebSockets makes every ARI app unknown to the emulator while leaving
// its WebSocket connections open and silent: a half-open connection, as
// after a network failure that sent no FIN.
func (s *Server) StallWebSockets() {
	_ = s.do(func() {
		for name := range s.st.apps {
			delete(s.st.apps, name)
		}
	})
}

// ---- HTTP ----

type ariError struct {
	status int
	reason string
	body   any
}

func errMsg(status int, msg string) *ariError {
	return &ariError{status: status, body: map[string]string{"message": msg}}
}

var (
	errChannelNotFound = errMsg(404, "Channel not found")
	errBridgeNotFound  = &ariError{status: 404, reason: "Not found", body: map[string]string{"message": "Bridge not found"}}
)

func (s *Server) writeJSON(w http.ResponseWriter, status int, reason string, body any) {
	h := w.Header()
	h["Server"] = []string{"Asterisk/22.10.1"}
	h["Cache-Control"] = []string{"no-cache, no-store"}
	h["Content-Type"] = nil
	if status == http.StatusNoContent || body == nil {
		// net/http drops Content-Length from a 204; Asterisk sends "Content-Length: 0".
		if s.writeRaw(w, status, http.StatusText(status), nil) {
			return
		}
		h["Content-Length"] = []string{"0"}
		w.WriteHeader(status)
		return
	}
	b, _ := json.Marshal(body)
	if reason != "" && s.writeRaw(w, status, reason, b) {
		return
	}
	h["Content-type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeRaw writes a response with Asterisk's own reason phrase (for example
// "404 Not found" for bridges) or headers (Content-Length: 0 on a 204),
// which net/http cannot; it closes the connection afterwards. A nil body has
// no Content-type.
func (s *Server) writeRaw(w http.ResponseWriter, status int, reason string, body []byte) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return false
	}
	defer conn.Close()
	ctype := "Content-type: application/json\r\n"
	if body == nil {
		ctype = ""
	}
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nServer: Asterisk/22.10.1\r\nDate: %s\r\nConnection: close\r\nCache-Control: no-cache, no-store\r\n%sContent-Length: %d\r\n\r\n",
		status, reason, time.Now().UTC().Format(http.TimeFormat), ctype, len(body))
	_, _ = buf.Write(body)
	_ = buf.Flush()
	return true
}

func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		if k := r.URL.Query().Get("api_key"); k != "" {
			user, pass, ok = strings.Cut(k, ":")
		}
	}
	return ok && subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.ARIUser)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.ARIPassword)) == 1
}

func (s *Server) ariHandler() http.Handler {
	wsh := websocket.Server{Handshake: func(*websocket.Config, *http.Request) error { return nil }, Handler: s.serveWS}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			w.Header()["WWW-Authenticate"] = []string{`Basic realm="Asterisk REST Interface"`}
			s.writeJSON(w, 401, "", map[string]string{"message": "Authentication required"})
			return
		}
		if r.URL.Path == "/ari/events" {
			if r.URL.Query().Get("app") == "" {
				body := "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n<address>Asterisk/22.10.1</address>\r\n</body></html>\r\n"
				w.Header()["Content-type"] = []string{"text/html"}
				w.Header()["Content-Type"] = nil
				w.WriteHeader(400)
				_, _ = io.WriteString(w, body)
				return
			}
			// The app is registered before the 101 goes out, so a client
			// that acts as soon as it is connected (reconcile, originate)
			// hears every event its actions cause.
			app, all := r.URL.Query().Get("app"), r.URL.Query().Get("subscribeAll") == "true"
			c := newWSClient()
			if s.do(func() { s.st.registerWS(c, app, all) }) != nil {
				return
			}
			wsh.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), wsClientKey{}, c)))
			c.close()
			s.post(func() { s.st.unregisterWS(c, app) })
			return
		}
		p, err := readParams(r)
		if err != nil {
			s.writeJSON(w, 400, "", map[string]string{"message": err.Error()})
			return
		}
		var status int
		var body any
		var aerr *ariError
		if derr := s.do(func() { status, body, aerr = s.st.route(r.Method, strings.TrimPrefix(r.URL.Path, "/ari"), p) }); derr != nil {
			s.writeJSON(w, 503, "", map[string]string{"message": derr.Error()})
			return
		}
		if aerr != nil {
			if aerr.status == 405 {
				w.Header()["Allow"] = []string{"OPTIONS,GET,POST"}
			}
			s.writeJSON(w, aerr.status, aerr.reason, aerr.body)
			return
		}
		if f, ok := body.(fileBody); ok {
			h := w.Header()
			h["Server"] = []string{"Asterisk/22.10.1"}
			h["Cache-Control"] = []string{"no-cache, no-store"}
			h["Content-Type"] = []string{f.ctype}
			h["Content-Length"] = []string{strconv.Itoa(len(f.data))}
			w.WriteHeader(status)
			_, _ = w.Write(f.data)
			return
		}
		s.writeJSON(w, status, "", body)
	})
}

type wsClientKey struct{}

func (st *state) registerWS(c *wsClient, app string, all bool) {
	for _, name := range strings.Split(app, ",") {
		a := st.apps[name]
		if a == nil {
			a = &ariApp{name: name, clients: map[*wsClient]bool{}}
			st.apps[name] = a
		}
		a.all = a.all || all
		a.clients[c] = true
	}
}

func (st *state) unregisterWS(c *wsClient, app string) {
	for _, name := range strings.Split(app, ",") {
		if a := st.apps[name]; a != nil {
			delete(a.clients, c)
			if len(a.clients) == 0 {
				delete(st.apps, name) // Asterisk keeps no events for a disconnected app
			}
		}
	}
}

func (s *Server) serveWS(ws *websocket.Conn) {
	c, ok := ws.Request().Context().Value(wsClientKey{}).(*wsClient)
	if !ok {
		ws.Close()
		return
	}
	// Reader: notice when the client goes away.
	go func() {
		var discard string
		for {
			if err := websocket.Message.Receive(ws, &discard); err != nil {
				c.close()
				return
			}
		}
	}()
	c.writeLoop(ws)
	ws.Close()
}

// params are the request parameters: query string merged with a JSON body.
type params map[string]any

func readParams(r *http.Request) (params, error) {
	p := params{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			p[k] = v[0]
		}
	}
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("invalid JSON body: %w", err)
			}
			for k, v := range m {
				p[k] = v
			}
		}
	}
	return p, nil
}

func (p params) str(k string) string {
	switch v := p[k].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func (p params) int(k string, def int) int {
	s := p.str(k)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

func (p params) vars() map[string]string {
	out := map[string]string{}
	if m, ok := p["variables"].(map[string]any); ok {
		for k, v := range m {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// ---- routing (runs on the state goroutine) ----

func (st *state) route(method, path string, p params) (int, any, *ariError) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	n := len(parts)
	seg := func(i int) string {
		if i < n {
			return parts[i]
		}
		return ""
	}
	allow := func(ms ...string) *ariError {
		for _, m := range ms {
			if m == method {
				return nil
			}
		}
		return errMsg(405, "Invalid method")
	}
	switch seg(0) {
	case "asterisk":
		switch seg(1) {
		case "info":
			return 200, o("build", o("os", "Linux", "kernel", "emulator", "machine", "x86_64", "options", "OPTIONAL_API", "date", ariTime(st.started), "user", "root"),
				"system", o("version", "22.10.1", "entity_id", st.s.cfg.EntityID),
				"config", o("name", "", "default_language", "en", "setid", o("user", "", "group", "")),
				"status", o("startup_time", ariTime(st.started), "last_reload_time", ariTime(st.started))), nil
		case "ping":
			return 200, o("ping", "pong", "timestamp", st.ts(), "asterisk_id", st.s.cfg.EntityID), nil
		}
	case "applications":
		if n == 1 {
			out := []any{}
			for name := range st.apps {
				out = append(out, st.appJSON(name))
			}
			return 200, out, nil
		}
		if n == 2 {
			if st.apps[seg(1)] == nil {
				return 0, nil, errMsg(404, "Application not found")
			}
			return 200, st.appJSON(seg(1)), nil
		}
	case "endpoints":
		return 200, []any{}, nil
	case "channels":
		return st.routeChannels(method, parts, p, allow)
	case "bridges":
		return st.routeBridges(method, parts, p, allow)
	case "playbacks":
		if n == 2 {
			pb := st.playbacks()[seg(1)]
			if pb == nil {
				return 0, nil, errMsg(404, "Playback not found")
			}
			if method == "DELETE" {
				st.finishPlayback(pb)
				return 204, nil, nil
			}
			return 200, pb.json(), nil
		}
	case "recordings":
		if seg(1) == "stored" && n >= 2 && n <= 4 {
			return st.routeStored(method, parts)
		}
		if seg(1) == "live" && n >= 3 {
			rec := st.findRecording(seg(2))
			if rec == nil {
				return 0, nil, errMsg(404, "Recording not found")
			}
			if seg(3) == "stop" {
				st.finishRecording(rec)
				return 204, nil, nil
			}
			return 200, rec.json(), nil
		}
	}
	return 0, nil, errMsg(404, "Resource not found")
}

func (st *state) appJSON(name string) obj {
	chans := []string{}
	for _, c := range st.liveChannels() {
		if c.subs[name] {
			chans = append(chans, c.id)
		}
	}
	bridges := []string{}
	for id, b := range st.bridges {
		if b.apps[name] {
			bridges = append(bridges, id)
		}
	}
	return o("name", name, "channel_ids", chans, "bridge_ids", bridges, "endpoint_ids", []string{}, "device_names", []string{},
		"events_allowed", []any{}, "events_disallowed", []any{})
}

func (st *state) routeChannels(method string, parts []string, p params, allow func(...string) *ariError) (int, any, *ariError) {
	if len(parts) == 1 {
		if e := allow("GET", "POST"); e != nil {
			return 0, nil, e
		}
		if method == "GET" {
			out := []channelJSON{}
			for _, c := range st.liveChannels() {
				out = append(out, c.json())
			}
			return 200, out, nil
		}
		return st.originate(p, false)
	}
	if len(parts) == 2 && parts[1] == "create" {
		return st.originate(p, true)
	}
	c := st.channels[parts[1]]
	if c == nil || c.gone {
		return 0, nil, errChannelNotFound
	}
	if len(parts) == 2 {
		switch method {
		case "GET":
			return 200, c.json(), nil
		case "DELETE":
			st.apiHangup(c, hangupCause(p))
			return 204, nil, nil
		}
		return 0, nil, errMsg(405, "Invalid method")
	}
	switch parts[2] {
	case "answer":
		st.answer(c)
		return 204, nil, nil
	case "ring":
		return 204, nil, nil
	case "moh", "hold", "silence", "mute":
		return 204, nil, nil
	case "variable":
		name := p.str("variable")
		if name == "" {
			return 0, nil, errMsg(400, "Variable name is required")
		}
		if method == "POST" {
			st.setVar(c, name, p.str("value"))
			return 204, nil, nil
		}
		if name == "CHANNEL(state)" {
			return 200, o("value", c.state), nil
		}
		v, ok := c.vars[name]
		if !ok {
			return 0, nil, errMsg(404, "Provided variable was not found")
		}
		return 200, o("value", v), nil
	case "dial":
		return st.dialCreated(c, p)
	case "continue":
		if !c.inStasis {
			return 0, nil, errMsg(409, "Channel not in Stasis application")
		}
		ctx, exten := p.str("context"), p.str("extension")
		if ctx == "" {
			ctx = c.ctx
		}
		if exten == "" {
			exten = c.exten
		}
		prio := p.int("priority", 1)
		if prio < 1 {
			prio = 1
		}
		st.leaveBridge(c)
		st.leaveStasis(c)
		if !st.startProgram(c, ctx, exten, prio) {
			st.dialplanHangup(c, 16)
		}
		return 204, nil, nil
	case "redirect":
		if p.str("endpoint") == "" {
			return 0, nil, errMsg(400, "Required parameter endpoint not present")
		}
		return st.redirect(c, p.str("endpoint"))
	case "play":
		id := p.str("playbackId")
		if len(parts) > 3 {
			id = parts[3]
		}
		return st.play(c, nil, id, p.str("media"))
	case "dtmf":
		return 204, nil, nil
	case "record":
		return st.recordChannel(c, p)
	case "snoop":
		id := p.str("snoopId")
		if len(parts) > 3 {
			id = parts[3]
		}
		return st.snoop(c, id, p)
	}
	return 0, nil, errMsg(404, "Resource not found")
}

var reasonCause = map[string]int{
	"normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "timeout": 19, "rejected": 21,
	"unallocated": 1, "normal_unspecified": 31, "number_incomplete": 28, "codec_mismatch": 58,
	"interworking": 127, "failure": 38, "answered_elsewhere": 26,
}

func hangupCause(p params) int {
	if c := p.int("reason_code", -1); c >= 0 {
		return c
	}
	if c, ok := reasonCause[p.str("reason")]; ok {
		return c
	}
	return 16
}

func parseCallerID(s string) idName {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "<"); i >= 0 && strings.HasSuffix(s, ">") {
		return idName{Name: strings.Trim(strings.TrimSpace(s[:i]), `"`), Number: s[i+1 : len(s)-1]}
	}
	return idName{Number: s}
}

// endpoint is a parsed dial string.
type endpoint struct {
	local    bool   // a Local channel pair; otherwise one channel with a hidden far end
	tech     string // "Local", "PJSIP", "SIP"
	resource string // after the slash: "100@customers", "1001", "5550100@carrier"
	exten    string // what the far end runs
	ctx      string
}

// parseEndpoint understands Local/exten@context, and PJSIP/ or SIP/
// resource[@trunk]: a phone whose behaviour is extension <resource> of the
// "endpoints" context (programmable with SetEndpoint("endpoints", …)).
func parseEndpoint(s string) (endpoint, bool) {
	if exten, ctx, ok := parseLocal(s); ok {
		return endpoint{local: true, tech: "Local", resource: exten + "@" + ctx, exten: exten, ctx: ctx}, true
	}
	tech, rest, found := strings.Cut(s, "/")
	if !found || rest == "" || (!strings.EqualFold(tech, "PJSIP") && !strings.EqualFold(tech, "SIP")) {
		return endpoint{}, false
	}
	exten, _, _ := strings.Cut(rest, "@")
	if exten == "" {
		return endpoint{}, false
	}
	return endpoint{tech: strings.ToUpper(tech), resource: rest, exten: exten, ctx: "endpoints"}, true
}

// parseLocal splits "Local/100@customers" into exten and context.
func parseLocal(endpoint string) (exten, ctx string, ok bool) {
	tech, rest, found := strings.Cut(endpoint, "/")
	if !found || !strings.EqualFold(tech, "Local") {
		return "", "", false
	}
	rest, _, _ = strings.Cut(rest, "/") // drop /n options
	exten, ctx, found = strings.Cut(rest, "@")
	if !found || exten == "" || ctx == "" {
		return "", "", false
	}
	return exten, ctx, true
}

func (st *state) originate(p params, create bool) (int, any, *ariError) {
	endpoint := p.str("endpoint")
	if endpoint == "" {
		return 0, nil, errMsg(400, "Endpoint must be specified")
	}
	app := p.str("app")
	if app == "" && (create || p.str("extension") == "") {
		return 0, nil, errMsg(400, "Application or extension must be specified")
	}
	ep, ok := parseEndpoint(endpoint)
	if !ok {
		return 0, nil, &ariError{status: 500, body: map[string]string{"error": "Allocation failed"}}
	}
	if id := p.str("channelId"); id != "" && st.channels[id] != nil {
		return 0, nil, errMsg(409, "Channel with given unique ID already exists")
	}
	one, two := st.newPair(ep, p.str("channelId"), p.str("otherChannelId"))
	var args []string
	if a := p.str("appArgs"); a != "" {
		args = strings.Split(a, ",")
	}
	d := &dialing{dialstring: ep.resource, app: app, args: args}
	one.dial = d
	one.appName, one.appData = "AppDial2", "(Outgoing Line)"
	if cid := p.str("callerId"); cid != "" {
		id := parseCallerID(cid)
		one.caller, one.connected, two.caller, two.connected = id, id, id, id
	}
	vars := p.vars()
	if n, ok := vars["CALLERID(name)"]; ok {
		one.caller.Name = n
	}
	if create {
		d.kind = dialCreate
		one.appName, one.appData = "", ""
		one.subs[app] = true
		st.amiNewchannel(one)
		st.amiNewchannel(two)
		st.later(func() {
			if one.gone {
				return
			}
			one.appName, one.appData = "Stasis", strings.Join(append([]string{app}, args...), ",")
			st.ariChan(one, append(o("type", "ChannelDialplan", "timestamp", st.ts(), "dialplan_app", "Stasis", "dialplan_app_data", one.appData), kv{"channel", one.json()}))
			st.enterStasis(one, app, args, false)
		})
		return 200, one.json(), nil
	}
	if app != "" {
		d.kind = dialOriginateApp
		one.subs[app] = true
		if ep.local { // the app hears the ;2 half of a Local channel too (behaviour 2)
			two.subs[app] = true
		}
	} else {
		d.kind = dialOriginatePlan
		d.ctx, d.exten, d.prio = p.str("context"), p.str("extension"), p.int("priority", 1)
		if d.ctx == "" {
			d.ctx = "default"
		}
	}
	timeout := time.Duration(p.int("timeout", 30)) * time.Second
	resp := one.json()
	st.amiNewchannel(one)
	st.amiNewchannel(two)
	st.later(func() { st.startOutgoing(one, vars, timeout, "") })
	return 200, resp, nil
}

// startOutgoing runs the far (;2) half of an originated Local pair.
func (st *state) startOutgoing(one *channel, vars map[string]string, timeout time.Duration, _ string) {
	two := one.peer
	if one.gone || two == nil || two.gone {
		return
	}
	hasVars := false
	for k, v := range vars {
		if strings.HasPrefix(k, "CALLERID(") {
			continue
		}
		hasVars = true
		one.vars[k] = v
		st.setVar(two, k, v)
	}
	if one.caller.Number != "" {
		st.ariChan(two, append(o("type", "ChannelCallerId", "timestamp", st.ts(), "caller_presentation", 0,
			"caller_presentation_txt", "Presentation Allowed, Not Screened"), kv{"channel", two.json()}))
	}
	if one.caller.Number != "" || hasVars {
		st.ariChan(two, o("type", "ChannelConnectedLine", "timestamp", st.ts(), "channel", two.json()))
	}
	st.dialEvent(one, "")
	if timeout > 0 {
		one.dial.cancel = st.s.after(timeout, func() { st.dialTimeout(one) })
	}
	if !st.startProgram(two, two.ctx, two.exten, 1) {
		st.dialFailed(one, "CHANUNAVAIL", 1, 1)
	}
}

func (st *state) dialCreated(one *channel, p params) (int, any, *ariError) {
	d := one.dial
	if d == nil || d.kind != dialCreate || d.sentDial {
		return 0, nil, errMsg(409, "Channel is not in a dialable state")
	}
	two := one.peer
	if callerID := p.str("caller"); callerID != "" {
		if caller := st.channels[callerID]; caller != nil {
			one.connected = caller.caller
			two.caller = caller.caller
			st.ariChan(one, o("type", "ChannelConnectedLine", "timestamp", st.ts(), "channel", one.json()))
			st.ariChan(caller, o("type", "ChannelConnectedLine", "timestamp", st.ts(), "channel", caller.json()))
		}
	}
	st.dialEvent(one, "")
	if t := p.int("timeout", 0); t > 0 {
		d.cancel = st.s.after(time.Duration(t)*time.Second, func() { st.dialTimeout(one) })
	}
	if !st.startProgram(two, two.ctx, two.exten, 1) {
		st.dialFailed(one, "CHANUNAVAIL", 1, 1)
	}
	return 204, nil, nil
}

// redirect moves a Local ;1 channel's far end to another Local endpoint.
func (st *state) redirect(c *channel, endpoint string) (int, any, *ariError) {
	ep, ok := parseEndpoint(endpoint)
	if !ok || c.half != 1 || c.peer == nil || c.peer.gone {
		return 0, nil, errMsg(422, "Endpoint parameter specifies a different technology")
	}
	two := c.peer
	if two.stopWait != nil {
		two.stopWait()
		two.stopWait = nil
	}
	if !st.startProgram(two, ep.ctx, ep.exten, 1) {
		return 0, nil, errMsg(422, "Unable to redirect")
	}
	return 204, nil, nil
}

func (st *state) routeBridges(method string, parts []string, p params, allow func(...string) *ariError) (int, any, *ariError) {
	app := p.str("app")
	if app == "" {
		// The Stasis app that creates a bridge is subscribed to it; the
		// emulator subscribes every connected app.
		for name := range st.apps {
			app = name
			break
		}
	}
	if len(parts) == 1 {
		if e := allow("GET", "POST"); e != nil {
			return 0, nil, e
		}
		if method == "GET" {
			out := []bridgeJSON{}
			for _, b := range st.bridges {
				out = append(out, b.json())
			}
			return 200, out, nil
		}
		return st.newStasisBridge(p.str("bridgeId"), p, app)
	}
	b := st.bridges[parts[1]]
	if len(parts) == 2 {
		switch method {
		case "POST":
			if b != nil {
				return 200, b.json(), nil
			}
			return st.newStasisBridge(parts[1], p, app)
		case "GET":
			if b == nil {
				return 0, nil, errMsg(404, "Bridge not found")
			}
			return 200, b.json(), nil
		case "DELETE":
			if b == nil {
				return 0, nil, errBridgeNotFound
			}
			st.destroyBridge(b)
			return 204, nil, nil
		}
		return 0, nil, errMsg(405, "Invalid method")
	}
	if b == nil {
		return 0, nil, errBridgeNotFound
	}
	switch parts[2] {
	case "addChannel", "removeChannel":
		id := p.str("channel")
		if id == "" {
			return 0, nil, errMsg(400, "Missing parameter channel")
		}
		var chans []*channel
		for _, one := range strings.Split(id, ",") {
			c := st.channels[one]
			if c == nil || c.gone {
				return 0, nil, errMsg(400, "Channel not found")
			}
			chans = append(chans, c)
		}
		for _, c := range chans {
			if parts[2] == "addChannel" {
				if !c.inStasis {
					return 0, nil, errMsg(422, "Channel not in Stasis application")
				}
				st.addToBridge(b, c)
			} else {
				if c.bridge != b {
					return 0, nil, errMsg(422, "Channel not in this bridge")
				}
				st.leaveBridge(c)
			}
		}
		return 204, nil, nil
	case "record":
		return st.recordBridge(b, p)
	case "play":
		id := p.str("playbackId")
		if len(parts) > 3 {
			id = parts[3]
		}
		return st.play(nil, b, id, p.str("media"))
	case "moh":
		return 204, nil, nil
	}
	return 0, nil, errMsg(404, "Resource not found")
}

func (st *state) newStasisBridge(id string, p params, app string) (int, any, *ariError) {
	if id != "" && st.bridges[id] != nil {
		return 200, st.bridges[id].json(), nil
	}
	typ := p.str("type")
	if typ == "" {
		typ = "mixing"
	}
	b := st.createBridge(id, p.str("name"), strings.Split(typ, ",")[0], "stasis", "Stasis", app)
	return 200, b.json(), nil
}

// ---- DTMF ----

// SendDTMF makes the far end of a call press digits: each becomes a
// ChannelDtmfReceived event on the channel (by id).
func (s *Server) SendDTMF(channelID, digits string) error {
	var err error
	if derr := s.do(func() {
		c := s.st.channels[channelID]
		if c == nil || c.gone {
			err = fmt.Errorf("asterisk emulator: channel %s not found", channelID)
			return
		}
		for _, d := range digits {
			s.st.ariChan(c, append(o("digit", string(d), "duration_ms", 100), o("type", "ChannelDtmfReceived", "timestamp", s.st.ts(), "channel", c.json())...))
			s.st.amiChan("DTMFEnd", "dtmf", c, "Digit", string(d), "DurationMs", "100", "Direction", "Received")
		}
	}); derr != nil {
		return derr
	}
	return err
}

// HangupChannel makes the party behind a channel (by id) hang up with a
// Q.850 cause, as a phone putting down the receiver would: for a Local half
// that is the other half's side.
func (s *Server) HangupChannel(channelID string, cause int) error {
	var err error
	if derr := s.do(func() {
		c := s.st.channels[channelID]
		if c == nil || c.gone {
			err = fmt.Errorf("asterisk emulator: channel %s not found", channelID)
			return
		}
		if c.peer != nil && !c.peer.gone {
			st := s.st
			far := c.peer
			if far.stopWait != nil {
				far.stopWait()
				far.stopWait = nil
			}
			st.dialplanHangup(far, cause)
			return
		}
		s.st.hangupRequest(c, cause, false)
		s.st.destroy(c, cause)
	}); derr != nil {
		return derr
	}
	return err
}

// Call places a simulated inbound call: a Local channel to endpoint (e.g.
// "Local/support@switchboard-in") whose caller side holds the line for up to
// 60 s. It returns the id of the channel that runs the dialplan (the ;2 half,
// the one that enters Stasis); HangupChannel(id) makes the caller hang up.
func (s *Server) Call(endpoint, callerNumber string) (string, error) {
	var id string
	var aerr *ariError
	if err := s.do(func() {
		var body any
		_, body, aerr = s.st.originate(params{"endpoint": endpoint, "context": "hold", "extension": "hold", "callerId": callerNumber}, false)
		if aerr == nil {
			id = s.st.channels[body.(channelJSON).ID].peer.id
		}
	}); err != nil {
		return "", err
	}
	if aerr != nil {
		return "", fmt.Errorf("asterisk emulator: call %s: %v", endpoint, aerr.body)
	}
	return id, nil
}

// Channels lists the ids of live channels.
func (s *Server) Channels() []string {
	var out []string
	_ = s.do(func() {
		for _, c := range s.st.liveChannels() {
			out = append(out, c.id)
		}
	})
	return out
}

// BridgeChannels lists the channel ids in a bridge (nil if there is no such bridge).
func (s *Server) BridgeChannels(id string) []string {
	var out []string
	_ = s.do(func() {
		if b := s.st.bridges[id]; b != nil {
			for _, c := range b.chans {
				out = append(out, c.id)
			}
		}
	})
	return out
}

// Bridges lists the ids of live bridges.
func (s *Server) Bridges() []string {
	var out []string
	_ = s.do(func() {
		for id := range s.st.bridges {
			out = append(out, id)
		}
	})
	return out
}

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
