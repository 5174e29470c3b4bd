package dialer_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"testing/synctest"
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

// refusingPort is a PBX that refuses its second recording request.
type refusingPort struct {
	*telephonytest.PBX
	asked *atomic.Int32
}

func (p refusingPort) RecordCall(ctx context.Context, call telephony.CallID, name string) error {
	if p.asked.Add(1) == 2 {
		return errors.New("recording refused")
	}
	return p.PBX.RecordCall(ctx, call, name)
}

// Through the engine: the recording starts TrimLeft after the answer on the
// PBX; one the PBX refuses leaves its attempt without a recording.
func TestEngineRecordsCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pbx := telephonytest.New(telephonytest.Config{Seed: 1, Rules: []telephonytest.Rule{
			{Answer: 1, RingTime: telephonytest.Fix(3 * time.Second), TalkTime: telephonytest.Fix(30 * time.Second)},
		}})
		src := dialer.NewMemorySource()
		for i, n := range []string{"89210000000", "89210000001"} {
			c, _, err := dialer.NewContact(dialer.ContactInput{ID: string(rune('a' + i)), Numbers: []string{n}}, "RU")
			if err != nil {
				t.Fatal(err)
			}
			src.Add("c", c)
		}
		port := refusingPort{PBX: pbx, asked: &atomic.Int32{}}
		rec := &recorder{}
		eng, err := dialer.NewEngine(dialer.EngineConfig{Clock: pbx.Clock(), Port: port, Calls: pbx, Contacts: src, Publisher: rec,
			Dialer: dialer.Config{CallIDPrefix: "e"}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- eng.Run(ctx) }()
		c := ivrCampaign("c")
		c.Recording = dialer.Recording{Enabled: true, TrimLeft: 5 * time.Second}
		c.Pacing.MaxConcurrent = 1
		if err := eng.Do(ctx, dialer.AddCampaign{Campaign: c}); err != nil {
			t.Fatal(err)
		}
		for range 120 {
			synctest.Wait()
			pbx.Advance(time.Second)
		}
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}

		// One call at a time: the first is recorded, the second refused.
		answered := map[string]time.Time{}
		var finished []event.Event
		rec.mu.Lock()
		for _, e := range rec.events {
			switch e.Type {
			case event.AttemptAnswered:
				answered[e.Call] = e.At
			case event.AttemptFinished:
				finished = append(finished, e)
			}
		}
		rec.mu.Unlock()
		if len(finished) != 2 {
			t.Fatalf("%d attempt.finished, want 2", len(finished))
		}
		first, second := finished[0], finished[1]
		if got := first.Attrs[dialer.AttrRecording]; got != first.Call {
			t.Errorf("first attempt's recording %q, want %q", got, first.Call)
		}
		if got, ok := second.Attrs[dialer.AttrRecording]; ok {
			t.Errorf("the refused recording is named: %q", got)
		}
		var starts []telephonytest.Action
		for _, a := range pbx.Actions() {
			if a.Verb == "record_call" {
				starts = append(starts, a)
			}
		}
		want := answered[first.Call].Add(5 * time.Second)
		if len(starts) != 1 || string(starts[0].Call) != first.Call || starts[0].Target != first.Call || !starts[0].At.Equal(want) {
			t.Errorf("recordings started %+v, want %s at %v (5 s after its answer)", starts, first.Call, want)
		}
		if port.asked.Load() != 2 {
			t.Errorf("%d recording requests, want 2", port.asked.Load())
		}
	})
}
