package dialer_test

import (
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/pkg/telephony/telephonytest"
)

func TestRecording(t *testing.T) {
	const ring = 2 * time.Second
	talk := func(d time.Duration) telephonytest.Rule {
		return telephonytest.Rule{Answer: 1, RingTime: telephonytest.Fix(ring), TalkTime: telephonytest.Fix(d)}
	}
	callback := func(rec dialer.Recording) dialer.Campaign {
		return dialer.Campaign{ID: "c", Name: "cb", Mode: dialer.ModeCallback, DefaultRegion: "RU", Start: dialer.Start{Mode: dialer.StartNow},
			Pacing: dialer.Pacing{MaxConcurrent: 2}, Recording: rec}
	}
	ivr := func(rec dialer.Recording) dialer.Campaign {
		c := ivrCampaign("c")
		c.Recording = rec
		return c
	}
	on := dialer.Recording{Enabled: true}
	tests := []struct {
		name       string
		campaign   dialer.Campaign
		rule       telephonytest.Rule
		failRecord bool
		// startAfter is when, after t0, the recording should start; negative: never.
		startAfter time.Duration
	}{
		{"not recording", ivr(dialer.Recording{}), talk(time.Minute), false, -1},
		{"not recording even with a trim", ivr(dialer.Recording{TrimLeft: 5 * time.Second}), talk(time.Minute), false, -1},
		{"recorded from answer", ivr(on), talk(time.Minute), false, ring},
		{"recorded from answer + trim", ivr(dialer.Recording{Enabled: true, TrimLeft: 7 * time.Second}), talk(time.Minute), false, ring + 7*time.Second},
		{"a trim longer than the call records nothing", ivr(dialer.Recording{Enabled: true, TrimLeft: 30 * time.Second}), talk(10 * time.Second), false, -1},
		{"unanswered calls are not recorded", ivr(on), quickBusy, false, -1},
		{"a recording the PBX refused is not named", ivr(on), talk(time.Minute), true, ring},
		{"callback records the A leg, B included", callback(dialer.Recording{Enabled: true, TrimLeft: time.Second}), talk(time.Minute), false, ring + time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.rule)
			h.failRecord = tc.failRecord
			h.must(dialer.AddCampaign{Campaign: tc.campaign})
			h.contacts("c", 0, 1, func(in *dialer.ContactInput) {
				if tc.campaign.Mode == dialer.ModeCallback {
					in.Callback = "+79161234567"
				}
			})
			h.run(t0.Add(10 * time.Minute))
			if len(h.origs) == 0 {
				t.Fatal("nothing dialled")
			}
			a := h.origs[0].req.Call
			var recs []telephonytest.Action
			for _, x := range h.pbx.Actions() {
				if x.Verb == "record_call" {
					recs = append(recs, x)
				}
			}
			finished := h.count(event.AttemptFinished, nil)
			var got string
			var named bool
			for _, e := range h.events {
				if e.Type == event.AttemptFinished && telephony.CallID(e.Call) == a {
					got, named = e.Attrs[dialer.AttrRecording]
				}
			}
			if finished != 1 {
				t.Fatalf("%d attempt.finished, want 1", finished)
			}
			if tc.startAfter < 0 {
				if len(recs) != 0 || named {
					t.Fatalf("recorded %+v, finished names %q; want no recording", recs, got)
				}
				return
			}
			if len(recs) != 1 {
				t.Fatalf("record requests %+v, want one", recs)
			}
			r := recs[0]
			if r.Call != a || r.Target != string(a) {
				t.Errorf("recorded call %s as %q, want the A leg %s named after it", r.Call, r.Target, a)
			}
			if want := t0.Add(tc.startAfter); !r.At.Equal(want) {
				t.Errorf("recording started at +%v, want +%v", r.At.Sub(t0), tc.startAfter)
			}
			switch {
			case tc.failRecord && named:
				t.Errorf("attempt.finished names %q though the PBX refused the recording", got)
			case !tc.failRecord && got != string(a):
				t.Errorf("attempt.finished recording %q (present %v), want %q", got, named, a)
			}
		})
	}
}
