package ami

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goami "github.com/heltonmarx/goami/ami"

	"github.com/switchboard-cc/switchboard/pkg/clock"
)

// Frame is one AMI message: its "Key: Value" lines in order.
type Frame [][2]string

// Get returns the first value of key (case-insensitive), or "".
func (f Frame) Get(key string) string {
	for _, kv := range f {
		if strings.EqualFold(kv[0], key) {
			return kv[1]
		}
	}
	return ""
}

// Int returns the value of key as an int (0 when absent or not a number).
func (f Frame) Int(key string) int {
	n, _ := strconv.Atoi(f.Get(key))
	return n
}

// parseFrames splits buffered AMI text into complete frames and returns the
// unconsumed rest. Lines without a colon (the banner) are skipped. Values
// may contain colons (EventTV, Output), unlike goami's own decoder.
func parseFrames(buf string) (frames []Frame, rest string, banner string) {
	for {
		i := strings.Index(buf, "\r\n\r\n")
		j := strings.Index(buf, "\n\n")
		end, sep := i, 4
		if i < 0 || (j >= 0 && j < i) {
			end, sep = j, 2
		}
		if end < 0 {
			break
		}
		block := buf[:end]
		buf = buf[end+sep:]
		var f Frame
		for _, line := range strings.Split(block, "\n") {
			line = strings.Trim(line, "\r")
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				if strings.HasPrefix(line, "Asterisk Call Manager") {
					banner = line
				}
				continue
			}
			f = append(f, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		}
		if len(f) > 0 {
			frames = append(frames, f)
		}
	}
	// A banner arrives alone, without a blank line after it.
	if strings.HasPrefix(buf, "Asterisk Call Manager") {
		if k := strings.Index(buf, "\n"); k >= 0 {
			banner = strings.TrimSpace(buf[:k])
			buf = buf[k+1:]
			more, rest, _ := parseFrames(buf)
			return append(frames, more...), rest, banner
		}
	}
	return frames, buf, banner
}

// LoginError is a rejected AMI login; Asterisk closes the connection after it.
type LoginError struct{ Message string }

func (e *LoginError) Error() string { return "ami login failed: " + e.Message }

// ActionError is an action Asterisk answered with Response: Error.
type ActionError struct {
	Action  string
	Message string
}

func (e *ActionError) Error() string { return fmt.Sprintf("ami %s: %s", e.Action, e.Message) }

// Errors callers can branch on.
var (
	ErrNotConnected = errors.New("ami: not connected")
	ErrClosed       = errors.New("ami: closed")
)

// ConnState is the state of one AMI connection.
type ConnState int32

// Connection states.
const (
	StateConnecting ConnState = iota
	StateConnected
	StateReconnecting
	StateAuthFailed
	StateClosed
)

func (s ConnState) String() string {
	return [...]string{"connecting", "connected", "reconnecting", "auth_failed", "closed"}[s]
}

// conn is one AMI session over goami's Socket. goami's request helpers take
// the next frame as the reply without matching ActionID, drop values with a
// colon, and spin forever when the socket hits EOF, so the adapter uses the
// Socket for the transport (dial, Send, Recv — Recv's empty string is EOF)
// and frames and correlates replies itself.
type conn struct {
	name      string
	addr      string
	user      string
	secret    string
	events    bool
	idPrefix  string
	clk       clock.Clock
	log       *slog.Logger
	minB      time.Duration
	maxB      time.Duration
	onFrame   func(Frame)   // events, in order, on the reader goroutine
	onConnect func(up bool) // after login, and after each disconnect
	dialHook  func() (*goami.Socket, error)

	state      atomic.Int32
	reconnects atomic.Int64
	seq        atomic.Int64

	mu       sync.Mutex
	sock     *goami.Socket
	pending  map[string]chan Frame
	lists    map[string]*listCollector
	lastErr  error
	leftover string
}

// listCollector gathers the items of a list action (EventList: start …
// …Complete), which arrive as events carrying the action's ActionID.
type listCollector struct {
	items []Frame
	err   error
	done  chan struct{}
}

func (c *conn) setState(s ConnState) { c.state.Store(int32(s)) }

func (c *conn) nextID() string { return fmt.Sprintf("%s-%d", c.idPrefix, c.seq.Add(1)) }

// run keeps the session up until ctx ends.
func (c *conn) run(ctx context.Context) {
	backoff := c.minB
	up := false
	for ctx.Err() == nil {
		sock, err := c.connect(ctx)
		if err != nil {
			c.mu.Lock()
			c.lastErr = err
			c.mu.Unlock()
			var le *LoginError
			if errors.As(err, &le) {
				c.setState(StateAuthFailed)
			} else if up {
				c.setState(StateReconnecting)
			}
			c.log.Warn("ami connect failed", "conn", c.name, "err", err, "retry_in", backoff)
			if !c.sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, c.maxB)
			continue
		}
		if up {
			c.reconnects.Add(1)
		}
		up = true
		backoff = c.minB
		c.setState(StateConnected)
		if c.onConnect != nil {
			c.onConnect(true)
		}
		c.read(ctx, sock)
		c.failPending()
		if ctx.Err() != nil {
			return
		}
		c.setState(StateReconnecting)
		if c.onConnect != nil {
			c.onConnect(false)
		}
		if !c.sleep(ctx, backoff) {
			return
		}
	}
}

func (c *conn) sleep(ctx context.Context, d time.Duration) bool {
	t := c.clk.NewTimer(d)
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		t.Stop()
		return false
	}
}

// connect dials, reads the banner and logs in.
func (c *conn) connect(ctx context.Context) (*goami.Socket, error) {
	dial := c.dialHook
	if dial == nil {
		dial = func() (*goami.Socket, error) { return goami.NewSocket(c.addr) }
	}
	sock, err := dial()
	if err != nil {
		return nil, fmt.Errorf("ami dial %s: %w", c.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { sock.Disconnect() })
	defer stop()
	events := "off"
	if c.events {
		events = "on"
	}
	id := c.nextID()
	if err := sock.Send("Action: Login\r\nUsername: %s\r\nSecret: %s\r\nEvents: %s\r\nActionID: %s\r\n\r\n", c.user, c.secret, events, id); err != nil {
		sock.Disconnect()
		return nil, fmt.Errorf("ami login: %w", err)
	}
	buf := ""
	sawBanner := false
	for {
		s, _ := sock.Recv()
		if s == "" {
			sock.Disconnect()
			if !sawBanner {
				return nil, fmt.Errorf("ami %s: no Asterisk Call Manager banner", c.addr)
			}
			return nil, fmt.Errorf("ami login: connection closed")
		}
		frames, rest, banner := parseFrames(buf + s)
		buf = rest
		if banner != "" {
			sawBanner = true
		}
		for _, f := range frames {
			if f.Get("ActionID") != id || f.Get("Response") == "" {
				continue
			}
			if f.Get("Response") != "Success" {
				sock.Disconnect()
				return nil, &LoginError{Message: f.Get("Message")}
			}
			c.mu.Lock()
			c.sock = sock
			c.pending = map[string]chan Frame{}
			c.lists = map[string]*listCollector{}
			c.mu.Unlock()
			if buf != "" {
				c.pushLeftover(buf)
			}
			return sock, nil
		}
	}
}

// pushLeftover keeps bytes read past the login reply for the reader.
func (c *conn) pushLeftover(s string) {
	c.mu.Lock()
	c.leftover = s
	c.mu.Unlock()
}

func (c *conn) read(ctx context.Context, sock *goami.Socket) {
	stop := context.AfterFunc(ctx, func() { sock.Disconnect() })
	defer stop()
	c.mu.Lock()
	buf := c.leftover
	c.leftover = ""
	c.mu.Unlock()
	for {
		frames, rest, _ := parseFrames(buf)
		buf = rest
		for _, f := range frames {
			c.dispatch(f)
		}
		s, _ := sock.Recv()
		if s == "" { // goami's Recv returns "" on EOF or error
			sock.Disconnect()
			c.mu.Lock()
			c.sock = nil
			c.mu.Unlock()
			return
		}
		buf += s
	}
}

func (c *conn) dispatch(f Frame) {
	if id := f.Get("ActionID"); id != "" {
		c.mu.Lock()
		l := c.lists[id]
		if l != nil {
			isResp := f.Get("Response") != "" && f.Get("Event") == ""
			switch {
			case isResp && f.Get("Response") != "Success":
				l.err = &ActionError{Action: "list", Message: f.Get("Message")}
				delete(c.lists, id)
				close(l.done)
			case isResp:
			case f.Get("EventList") == "Complete":
				delete(c.lists, id)
				close(l.done)
			default:
				l.items = append(l.items, f)
			}
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
	if f.Get("Response") != "" && f.Get("Event") == "" {
		id := f.Get("ActionID")
		c.mu.Lock()
		ch := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- f
		}
		return
	}
	if c.onFrame != nil {
		c.onFrame(f)
	}
}

func (c *conn) failPending() {
	c.mu.Lock()
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	for id, l := range c.lists {
		l.err = fmt.Errorf("ami list: %w (connection lost)", ErrNotConnected)
		close(l.done)
		delete(c.lists, id)
	}
	c.mu.Unlock()
}

// list sends a list action (CoreShowChannels, QueueStatus …) and returns its items.
func (c *conn) list(ctx context.Context, name string, kvs ...string) ([]Frame, error) {
	id := c.nextID()
	var b strings.Builder
	fmt.Fprintf(&b, "Action: %s\r\nActionID: %s\r\n", name, id)
	for i := 0; i+1 < len(kvs); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", kvs[i], kvs[i+1])
	}
	b.WriteString("\r\n")
	l := &listCollector{done: make(chan struct{})}
	c.mu.Lock()
	sock := c.sock
	if sock == nil {
		c.mu.Unlock()
		return nil, ErrNotConnected
	}
	c.lists[id] = l
	err := sock.Send("%s", b.String())
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("ami %s: %w", name, err)
	}
	select {
	case <-l.done:
		return l.items, l.err
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.lists, id)
		c.mu.Unlock()
		return nil, ctx.Err()
	}
}

// action sends an action and waits for the reply with its ActionID.
// kvs are key, value pairs; keys may repeat (Variable).
func (c *conn) action(ctx context.Context, name string, kvs ...string) (Frame, string, error) {
	return c.actionID(ctx, c.nextID(), name, kvs...)
}

// actionID is action with a chosen ActionID.
func (c *conn) actionID(ctx context.Context, id, name string, kvs ...string) (Frame, string, error) {
	ch := make(chan Frame, 1)
	var b strings.Builder
	fmt.Fprintf(&b, "Action: %s\r\nActionID: %s\r\n", name, id)
	for i := 0; i+1 < len(kvs); i += 2 {
		if strings.ContainsAny(kvs[i+1], "\r\n") {
			return nil, id, fmt.Errorf("ami %s: %s: line breaks are not allowed", name, kvs[i])
		}
		fmt.Fprintf(&b, "%s: %s\r\n", kvs[i], kvs[i+1])
	}
	b.WriteString("\r\n")
	c.mu.Lock()
	sock := c.sock
	if sock == nil {
		c.mu.Unlock()
		return nil, id, ErrNotConnected
	}
	c.pending[id] = ch
	err := sock.Send("%s", b.String())
	c.mu.Unlock()
	if err != nil {
		return nil, id, fmt.Errorf("ami %s: %w", name, err)
	}
	select {
	case f, ok := <-ch:
		if !ok {
			return nil, id, fmt.Errorf("ami %s: %w (connection lost)", name, ErrNotConnected)
		}
		if f.Get("Response") != "Success" {
			return f, id, &ActionError{Action: name, Message: f.Get("Message")}
		}
		return f, id, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return nil, id, ctx.Err()
	}
}
