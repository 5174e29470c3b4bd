package asterisk

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
}

func (r *liveRecording) json() obj {
	return o("name", r.name, "format", r.format, "state", r.state, "target_uri", r.target)
}

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
	name := p.str("name")
	if name == "" {
		return 0, nil, errMsg(400, "Required parameter name not present")
	}
	if p.str("format") == "" {
		return 0, nil, errMsg(400, "Required parameter format not present")
	}
	if st.findRecording(name) != nil {
		return 0, nil, errMsg(409, "Recording with that name already in progress")
	}
	rec := &liveRecording{name: name, format: p.str("format"), target: "bridge:" + b.id, state: "queued", subs: b.apps, bridge: b}
	b.recording = rec
	if st.recs == nil {
		st.recs = map[string]*liveRecording{}
	}
	st.recs[name] = rec
	resp := rec.json()
	st.later(func() {
		if rec.state != "queued" {
			return
		}
		rec.state = "recording"
		st.ariToSubs(rec.subs, o("type", "RecordingStarted", "timestamp", st.ts(), "recording", rec.json()))
	})
	return 200, resp, nil
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
	st.ariToSubs(rec.subs, o("type", "RecordingFinished", "timestamp", st.ts(), "recording", rec.json()))
	st.stored = append(st.stored, rec.name)
}

// Recordings lists the names of finished recordings.
func (s *Server) Recordings() []string {
	var out []string
	_ = s.do(func() { out = append(out, s.st.stored...) })
	return out
}
