package asterisk

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
)

type playback struct {
	id, media, target string
	state             string
	subs              map[string]bool
	stop              func()
}

func (p *playback) json() obj {
	return o("id", p.id, "media_uri", p.media, "target_uri", p.target, "language", "en", "state", p.state)
}

type liveRecording struct {
	name, format, target string
	state                string
	subs                 map[string]bool
	bridge               *bridge
	channel              *channel
	started              time.Time
}

func (r *liveRecording) json() obj {
	return o("name", r.name, "format", r.format, "state", r.state, "target_uri", r.target)
}

// storedRecording is a finished recording: a WAV file of silence as long as
// the recording ran (the emulator carries no media), or empty for another
// format.
type storedRecording struct {
	name, format string
	data         []byte
}

// maxStoredSeconds bounds the audio the emulator keeps per recording.
const maxStoredSeconds = 600

func (st *state) playbacks() map[string]*playback {
	if st.pbs == nil {
		st.pbs = map[string]*playback{}
	}
	return st.pbs
}

func (st *state) play(c *channel, b *bridge, id, media string) (int, any, *ariError) {
	if media == "" {
		return 0, nil, errMsg(400, "Required parameter media not present")
	}
	if id == "" {
		id = newUUID()
	}
	pb := &playback{id: id, media: media, state: "queued"}
	if c != nil {
		pb.target, pb.subs = "channel:"+c.id, c.subs
	} else {
		pb.target, pb.subs = "bridge:"+b.id, b.apps
	}
	st.playbacks()[id] = pb
	resp := pb.json()
	st.later(func() {
		if pb.state != "queued" {
			return
		}
		pb.state = "playing"
		st.ariToSubs(pb.subs, o("type", "PlaybackStarted", "timestamp", st.ts(), "playback", pb.json()))
		pb.stop = st.s.after(st.s.cfg.PlaybackDuration, func() { st.finishPlayback(pb) })
	})
	return 200, resp, nil
}

func (st *state) finishPlayback(pb *playback) {
	if pb.state == "done" {
		return
	}
	if pb.stop != nil {
		pb.stop()
	}
	pb.state = "done"
	delete(st.playbacks(), pb.id)
	st.ariToSubs(pb.subs, o("type", "PlaybackFinished", "timestamp", st.ts(), "playback", pb.json()))
}

func (st *state) recordBridge(b *bridge, p params) (int, any, *ariError) {
	rec, aerr := st.newRecording(p, "bridge:"+b.id, b.apps)
	if aerr != nil {
		return 0, nil, aerr
	}
	rec.bridge = b
	b.recording = rec
	return 200, rec.json(), nil
}

// recordChannel records a channel in Stasis (a snoop channel, for a whole
// call) until it is destroyed or the recording is stopped.
func (st *state) recordChannel(c *channel, p params) (int, any, *ariError) {
	if !c.inStasis {
		return 0, nil, errMsg(409, "Channel not in Stasis application")
	}
	rec, aerr := st.newRecording(p, "channel:"+c.id, c.subs)
	if aerr != nil {
		return 0, nil, aerr
	}
	rec.channel = c
	c.recording = rec
	return 200, rec.json(), nil
}

func (st *state) newRecording(p params, target string, subs map[string]bool) (*liveRecording, *ariError) {
	name := p.str("name")
	if name == "" {
		return nil, errMsg(400, "Required parameter name not present")
	}
	if p.str("format") == "" {
		return nil, errMsg(400, "Required parameter format not present")
	}
	if st.findRecording(name) != nil {
		return nil, errMsg(409, "Recording with that name already in progress")
	}
	if _, ok := st.stored[name]; ok && p.str("ifExists") != "overwrite" && p.str("ifExists") != "append" {
		return nil, errMsg(422, "Recording with that name already exists")
	}
	rec := &liveRecording{name: name, format: p.str("format"), target: target, state: "queued", subs: subs, started: st.now()}
	if st.recs == nil {
		st.recs = map[string]*liveRecording{}
	}
	st.recs[name] = rec
	st.later(func() {
		if rec.state != "queued" {
			return
		}
		rec.state = "recording"
		st.ariToSubs(rec.subs, o("type", "RecordingStarted", "timestamp", st.ts(), "recording", rec.json()))
	})
	return rec, nil
}

func (st *state) findRecording(name string) *liveRecording { return st.recs[name] }

func (st *state) finishRecording(rec *liveRecording) {
	if rec.state == "done" {
		return
	}
	rec.state = "done"
	delete(st.recs, rec.name)
	if rec.bridge != nil {
		rec.bridge.recording = nil
	}
	if rec.channel != nil {
		rec.channel.recording = nil
	}
	st.ariToSubs(rec.subs, o("type", "RecordingFinished", "timestamp", st.ts(), "recording", rec.json()))
	if st.stored == nil {
		st.stored = map[string]*storedRecording{}
	}
	if _, ok := st.stored[rec.name]; !ok {
		st.storedOrder = append(st.storedOrder, rec.name)
	}
	sr := &storedRecording{name: rec.name, format: rec.format}
	if rec.format == "wav" {
		sr.data = silentWAV(min(st.now().Sub(rec.started), maxStoredSeconds*time.Second))
	}
	st.stored[rec.name] = sr
}

// WAV parameters of stored recordings: 8 kHz, 16-bit, mono (Asterisk's wav).
const (
	wavRate          = 8000
	wavBytesPerFrame = 2
)

// silentWAV is a RIFF/WAVE file of d of silence.
func silentWAV(d time.Duration) []byte {
	frames := int(d * wavRate / time.Second)
	data := frames * wavBytesPerFrame
	b := make([]byte, 44+data)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+data))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], wavRate)
	binary.LittleEndian.PutUint32(b[28:], wavRate*wavBytesPerFrame)
	binary.LittleEndian.PutUint16(b[32:], wavBytesPerFrame)
	binary.LittleEndian.PutUint16(b[34:], 8*wavBytesPerFrame)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(data))
	return b
}

// fileBody is a REST response that is a file, not JSON.
type fileBody struct {
	ctype string
	data  []byte
}

var errRecordingNotFound = errMsg(404, "Recording not found")

// routeStored serves /recordings/stored[/{name}[/file]].
func (st *state) routeStored(method string, parts []string) (int, any, *ariError) {
	if len(parts) == 2 {
		out := []obj{}
		for _, n := range st.storedOrder {
			if sr := st.stored[n]; sr != nil {
				out = append(out, o("name", sr.name, "format", sr.format))
			}
		}
		return 200, out, nil
	}
	sr := st.stored[parts[2]]
	if sr == nil {
		return 0, nil, errRecordingNotFound
	}
	switch {
	case len(parts) == 3 && method == "GET":
		return 200, o("name", sr.name, "format", sr.format), nil
	case len(parts) == 3 && method == "DELETE":
		delete(st.stored, sr.name)
		st.storedOrder = slices.DeleteFunc(st.storedOrder, func(n string) bool { return n == sr.name })
		return 204, nil, nil
	case len(parts) == 4 && parts[3] == "file" && method == "GET":
		ctype := "audio/wav"
		if sr.format != "wav" {
			ctype = "application/octet-stream"
		}
		return 200, fileBody{ctype: ctype, data: sr.data}, nil
	}
	return 0, nil, errMsg(404, "Resource not found")
}

// snoop creates a snoop channel on c that enters app (ARI
// channels/{id}/snoop): it lives until c is destroyed or it is hung up.
func (st *state) snoop(c *channel, id string, p params) (int, any, *ariError) {
	app := p.str("app")
	if app == "" {
		return 0, nil, errMsg(400, "Required parameter app not present")
	}
	for _, k := range []string{"spy", "whisper"} {
		switch p.str(k) {
		case "", "none", "in", "out", "both":
		default:
			return 0, nil, errMsg(400, "Invalid direction specified for "+k)
		}
	}
	if p.str("spy") == "" || p.str("spy") == "none" {
		if p.str("whisper") == "" || p.str("whisper") == "none" {
			return 0, nil, errMsg(400, "Direction must be specified for at least spy or whisper")
		}
	}
	if id != "" && st.channels[id] != nil {
		return 0, nil, errMsg(409, "Channel with given unique ID already exists")
	}
	st.localSeq++
	sn := &channel{id: st.nextID(id), name: fmt.Sprintf("Snoop/%s-%08x", c.id, st.localSeq-1), state: "Up", ctx: "default", exten: "s", prio: 1,
		appName: "Stasis", appData: app, created: st.now(), vars: map[string]string{}, subs: map[string]bool{}, snooped: c}
	st.channels[sn.id] = sn
	st.order = append(st.order, sn)
	c.snoops = append(c.snoops, sn)
	var args []string
	if a := p.str("appArgs"); a != "" {
		args = strings.Split(a, ",")
	}
	resp := sn.json()
	st.later(func() {
		if !sn.gone {
			st.enterStasis(sn, app, args, false)
		}
	})
	return 200, resp, nil
}

// endSnoops hangs up the snoop channels of a destroyed channel.
func (st *state) endSnoops(c *channel) {
	for _, sn := range c.snoops {
		if !sn.gone {
			st.hangupRequest(sn, 16, true)
			st.destroy(sn, 16)
		}
	}
	c.snoops = nil
}

// Recordings lists the names of stored (finished) recordings.
func (s *Server) Recordings() []string {
	var out []string
	_ = s.do(func() {
		for _, n := range s.st.storedOrder {
			if s.st.stored[n] != nil {
				out = append(out, n)
			}
		}
	})
	return out
}
