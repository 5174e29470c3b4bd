package asterisk

import (
	"encoding/json"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"time"
)

// Disorder makes the emulator as untidy as a real Asterisk under load, in
// the ways the traces show (README behaviours 8, 9 and 14), reproducibly for
// a seed. Without it (the default) the emulator is deterministic: events come
// in the order they are generated, timestamps never go backwards, and every
// event type has the trace's field order.
//
// With it, for each app:
//   - Events of one burst (everything one request, AMI action or timer
//     causes) interleave across channels in a seeded random order; the events
//     of one channel (or one bridge) keep their order (behaviour 8).
//   - Each channel's (or bridge's) events of a burst get their timestamp moved
//     up to MaxSkew later, so timestamps are not monotonic in arrival order,
//     while each channel's own timestamps never go backwards (behaviour 8).
//   - Each event type gets a seeded top-level field order: the trace's, or
//     "application" second as DeviceStateChanged has it, or a shuffle. The
//     layout of a type is fixed for a seed (behaviour 9). Nested objects
//     (channel, bridge) keep theirs. Timestamps keep the
//     2026-11-22T20:04:50.700+0000 format.
//   - AMI SuccessfulAuth, after a login with events on, waits behind the
//     responses of the session's next one or two actions (or at most two
//     seconds of clock time, for a session that sends none). FullyBooted still
//     comes right after the Login response (behaviour 14).
//
// The same seed and the same sequence of requests and timers give the same
// disorder.
type Disorder struct {
	// Seed seeds every random choice.
	Seed uint64
	// MaxSkew bounds how much later than its generation an ARI event's
	// timestamp may read (default 3 ms; timestamps have millisecond precision).
	MaxSkew time.Duration
}

// authFallback is how long (clock time) a late SuccessfulAuth waits at most.
const authFallback = 2 * time.Second

// disorderState is the Disorder of a running emulator; the state goroutine owns it.
type disorderState struct {
	seed    uint64
	maxSkew int // milliseconds
	rng     *rand.Rand
	batch   []queuedEvent
	last    map[string]time.Time // per channel or bridge: its latest timestamp sent
}

type queuedEvent struct {
	key  string   // the channel or bridge the event is about
	ev   obj      // without "application"
	apps []string // sorted app names
}

func newDisorderState(d *Disorder) *disorderState {
	skew := d.MaxSkew
	if skew <= 0 {
		skew = 3 * time.Millisecond
	}
	return &disorderState{seed: d.Seed, maxSkew: int(skew / time.Millisecond), rng: rand.New(rand.NewPCG(d.Seed, 0x5eed)),
		last: map[string]time.Time{}}
}

// eventKey names what an event is about: its channel (the peer of a Dial),
// the target of a playback or recording, else its bridge.
func eventKey(ev obj) string {
	for _, f := range ev {
		switch f.k {
		case "channel", "peer":
			if c, ok := f.v.(channelJSON); ok {
				return "channel:" + c.ID
			}
		}
	}
	for _, f := range ev {
		switch f.k {
		case "playback", "recording":
			if o, ok := f.v.(obj); ok {
				for _, g := range o {
					if g.k == "target_uri" {
						if s, ok := g.v.(string); ok {
							return s
						}
					}
				}
			}
		case "bridge":
			if b, ok := f.v.(bridgeJSON); ok {
				return "bridge:" + b.ID
			}
		}
	}
	return ""
}

func (d *disorderState) queue(ev obj, apps []string) {
	d.batch = append(d.batch, queuedEvent{key: eventKey(ev), ev: append(obj{}, ev...), apps: apps})
}

// flush sends the burst's events, reordered across channels, with skewed
// timestamps and seeded field layouts.
func (d *disorderState) flush(st *state) {
	if len(d.batch) == 0 {
		return
	}
	batch := d.batch
	d.batch = nil
	offset := map[string]time.Duration{}
	var ended []string
	for i := range batch {
		q := &batch[i]
		off, ok := offset[q.key]
		if !ok {
			off = time.Duration(d.rng.IntN(d.maxSkew+1)) * time.Millisecond
			offset[q.key] = off
		}
		for j, f := range q.ev {
			s, isStr := f.v.(string)
			if f.k != "timestamp" || !isStr {
				continue
			}
			t, err := time.Parse(ariTimeLayout, s)
			if err != nil {
				break
			}
			t = t.Add(off)
			if last := d.last[q.key]; t.Before(last) {
				t = last
			}
			d.last[q.key] = t
			q.ev[j].v = ariTime(t)
			break
		}
		if typ := eventType(q.ev); typ == "ChannelDestroyed" || typ == "BridgeDestroyed" {
			ended = append(ended, q.key)
		}
	}
	for _, k := range ended {
		delete(d.last, k)
	}
	names := map[string]bool{}
	for _, q := range batch {
		for _, a := range q.apps {
			names[a] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for a := range names {
		sorted = append(sorted, a)
	}
	sort.Strings(sorted)
	for _, name := range sorted {
		app := st.apps[name]
		if app == nil {
			continue
		}
		var groups [][]obj
		index := map[string]int{}
		total := 0
		for _, q := range batch {
			if !contains(q.apps, name) {
				continue
			}
			i, ok := index[q.key]
			if !ok {
				i = len(groups)
				index[q.key] = i
				groups = append(groups, nil)
			}
			groups[i] = append(groups[i], q.ev)
			total++
		}
		// A uniformly random interleaving that keeps each group's order.
		for ; total > 0; total-- {
			r := d.rng.IntN(total)
			g := 0
			for r >= len(groups[g]) {
				r -= len(groups[g])
				g++
			}
			ev := groups[g][0]
			groups[g] = groups[g][1:]
			app.sendRaw(d.layout(append(append(obj{}, ev...), kv{"application", name})))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func eventType(ev obj) string {
	for _, f := range ev {
		if f.k == "type" {
			s, _ := f.v.(string)
			return s
		}
	}
	return ""
}

func (d *disorderState) hash(parts ...string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(d.seed >> (8 * i))
	}
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// Field layouts of an event type under Disorder.
const (
	layoutTrace             = iota // as generated: the trace's order
	layoutApplicationSecond        // type, application, then the rest (like DeviceStateChanged)
	layoutShuffled                 // a seeded shuffle of the top-level keys
)

func (d *disorderState) layoutOf(typ string) int { return int(d.hash("layout", typ) % 3) }

// layout reorders ev's top-level fields for its type.
func (d *disorderState) layout(ev obj) []byte {
	typ := eventType(ev)
	switch d.layoutOf(typ) {
	case layoutApplicationSecond:
		out := make(obj, 0, len(ev))
		var app kv
		for _, f := range ev {
			if f.k == "application" {
				app = f
			}
		}
		for _, f := range ev {
			switch f.k {
			case "application":
			case "type":
				out = append(out, f, app)
			default:
				out = append(out, f)
			}
		}
		ev = out
	case layoutShuffled:
		rank := make(map[string]uint64, len(ev))
		for _, f := range ev {
			rank[f.k] = d.hash("field", typ, f.k)
		}
		sort.SliceStable(ev, func(i, j int) bool { return rank[ev[i].k] < rank[ev[j].k] })
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil
	}
	return b
}

// lateAuth holds a session's SuccessfulAuth until it has answered `after`
// more actions.
type lateAuth struct {
	frame []byte
	after int
}

// holdAuth keeps SuccessfulAuth back behind the session's next actions.
func (st *state) holdAuth(a *amiSession, frame []byte) {
	d := st.dis
	a.late = &lateAuth{frame: frame, after: 1 + d.rng.IntN(2)}
	l := a.late
	st.s.after(authFallback, func() {
		if a.late == l {
			st.releaseAuth(a)
		}
	})
}

// actionAnswered counts an action toward a held SuccessfulAuth.
func (st *state) actionAnswered(a *amiSession) {
	if a.late == nil {
		return
	}
	a.late.after--
	if a.late.after <= 0 {
		st.releaseAuth(a)
	}
}

func (st *state) releaseAuth(a *amiSession) {
	l := a.late
	if l == nil {
		return
	}
	a.late = nil
	if a.holding > 0 {
		a.held = append(a.held, l.frame)
		return
	}
	a.write(l.frame)
}
