package dialer

import (
	"container/heap"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Recording of answered calls (twin24 recordCall/recTrimLeft, zxycall's
// recorded calls). A campaign that records starts one recording per attempt
// on the contact's leg (the A leg), Recording.TrimLeft after it answered: the
// trim is honoured by starting late rather than by cutting the file. The
// recording is of the whole call from then on, whatever the call does next
// (IVR in the dialplan, an agent, a callback's B leg), and is named after the
// A leg's call id, which is unique across Dialers and restarts. The
// attempt.finished of a recorded attempt carries the name as attr
// AttrRecording; a trim longer than the call leaves it without one.

// Attributes of a recorded attempt's attempt.finished.
const (
	// AttrRecording names the attempt's recording, when it has one.
	AttrRecording = "recording"
	// AttrRecordingURL is the link the recording is fetched from. The
	// Dialer does not know it: the host that serves recordings adds it.
	AttrRecordingURL = "recording_url"
)

// answeredRecording schedules or starts the recording of a call that answered.
func (d *Dialer) answeredRecording(now time.Time, c *call) {
	if c.bLeg || !c.cp.cfg.Recording.Enabled || c.recording != "" {
		return
	}
	c.recordAt = now.Add(c.cp.cfg.Recording.TrimLeft)
	if !c.recordAt.After(now) {
		d.startRecording(c)
		return
	}
	heap.Push(&d.recordDue, deadline{at: c.recordAt, call: c})
}

func (d *Dialer) startRecording(c *call) {
	c.recordAt = time.Time{}
	c.recording = string(c.id)
	d.decide(Record{Call: c.id, Name: c.recording})
}

// startDueRecordings starts the recordings whose trim has passed.
func (d *Dialer) startDueRecordings(now time.Time) {
	for {
		x, ok := d.recordDueTop()
		if !ok || now.Before(x.at) {
			return
		}
		heap.Pop(&d.recordDue)
		d.startRecording(x.call)
	}
}

// recordDueTop drops stale entries (ended calls, started recordings) and
// returns the earliest pending start.
func (d *Dialer) recordDueTop() (deadline, bool) {
	for len(d.recordDue) > 0 {
		x := d.recordDue[0]
		if x.call.ended || !x.call.recordAt.Equal(x.at) {
			heap.Pop(&d.recordDue)
			continue
		}
		return x, true
	}
	return deadline{}, false
}

// recordingFailed forgets a recording the PBX could not start, so no
// attempt.finished names a file that does not exist.
func (d *Dialer) recordingFailed(r RecordingFailed) {
	if c := d.calls[r.Call]; c != nil && c.recording == r.Name {
		c.recording = ""
	}
}

// withRecording adds the attempt's recording to its attempt.finished.
func withRecording(e *event.Event, c *call) {
	if c.recording != "" {
		e.Attrs[AttrRecording] = c.recording
	}
}
