package telephonytest

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

func originate(t *testing.T, p *PBX, id, number string) {
	t.Helper()
	if err := p.Originate(context.Background(), telephony.OriginateRequest{Call: telephony.CallID(id), Target: telephony.Target{Number: number, Trunk: "t1"}, Timeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
}

// drain pops every event and returns them by call.
func drain(p *PBX) map[telephony.CallID][]telephony.Event {
	out := map[telephony.CallID][]telephony.Event{}
	for {
		evs, ok := p.PopNext()
		if !ok {
			return out
		}
		for _, e := range evs {
			out[e.Call] = append(out[e.Call], e)
		}
	}
}

func TestRulesPerNumberPattern(t *testing.T) {
	p := New(Config{Seed: 1, Rules: []Rule{
		{Pattern: "+7921*", Busy: 1},
		{Pattern: "+7999*", NoAnswer: 1},
		{Pattern: "+86*", Congestion: 1},
		{Pattern: "+1*", Answer: 1, RingTime: Fix(5 * time.Second), TalkTime: Fix(time.Minute)},
	}})
	start := p.Clock().Now()
	originate(t, p, "busy", "+79210000001")
	originate(t, p, "noans", "+79990000001")
	originate(t, p, "cong", "+8613223004567")
	originate(t, p, "ans", "+12025550100")
	got := drain(p)
	last := func(id telephony.CallID) telephony.Event { evs := got[id]; return evs[len(evs)-1] }
	if e := last("busy"); e.Kind != telephony.EventHangup || e.Cause != telephony.CauseUserBusy || e.Outcome != telephony.OutcomeBusy {
		t.Errorf("busy: %+v", e)
	}
	if e := last("noans"); e.Cause != telephony.CauseNoAnswer || !e.At.Equal(start.Add(30*time.Second)) {
		t.Errorf("no answer: %+v", e)
	}
	if e := last("cong"); e.Outcome != telephony.OutcomeCongestion {
		t.Errorf("congestion: %+v", e)
	}
	evs := got["ans"]
	if len(evs) != 3 || evs[0].Kind != telephony.EventRinging || evs[1].Kind != telephony.EventAnswered || !evs[1].At.Equal(start.Add(5*time.Second)) ||
		evs[2].Kind != telephony.EventHangup || evs[2].Cause != telephony.CauseNormalClearing || !evs[2].At.Equal(start.Add(65*time.Second)) {
		t.Errorf("answered call events: %+v", evs)
	}
	if live, maxLive := p.Live(); live != 0 || maxLive != 4 || p.MaxLiveOnTrunk("t1") != 4 {
		t.Errorf("live %d max %d trunk %d", live, maxLive, p.MaxLiveOnTrunk("t1"))
	}
}

func TestAnswerRateAndMachineDetection(t *testing.T) {
	p := New(Config{Seed: 7, Rules: []Rule{{Answer: 0.3, Machine: 0.2, Busy: 0.5, RingTime: Exp(8 * time.Second), TalkTime: Exp(time.Minute)}}})
	const n = 4000
	for i := range n {
		if err := p.Originate(context.Background(), telephony.OriginateRequest{Call: telephony.CallID(rune('a'+i%26)) + telephony.CallID(string(rune(i))), Target: telephony.Target{Number: "+1"}, Timeout: time.Hour, DetectMachine: true}); err != nil {
			t.Fatal(err)
		}
	}
	answered, machines := 0, 0
	for _, evs := range drain(p) {
		for _, e := range evs {
			switch e.Kind {
			case telephony.EventAnswered:
				answered++
			case telephony.EventMachineDetection:
				if e.Machine {
					machines++
				}
			}
		}
	}
	if got := float64(answered) / n; math.Abs(got-0.5) > 0.03 {
		t.Errorf("answered share = %.3f, want ≈0.5", got)
	}
	if got := float64(machines) / n; math.Abs(got-0.2) > 0.03 {
		t.Errorf("machine share = %.3f, want ≈0.2", got)
	}
}

func TestHangupAndErrors(t *testing.T) {
	p := New(Config{Rules: []Rule{{Answer: 1, RingTime: Fix(2 * time.Second), TalkTime: Fix(time.Hour)}}})
	ctx := context.Background()
	originate(t, p, "a", "+1")
	if err := p.Originate(ctx, telephony.OriginateRequest{Call: "a"}); !errors.Is(err, ErrDuplicateCall) {
		t.Errorf("duplicate originate: %v", err)
	}
	p.Advance(3 * time.Second)
	if err := p.Hangup(ctx, "a", telephony.CauseNormalClearing); err != nil {
		t.Fatal(err)
	}
	evs := drain(p)["a"]
	if len(evs) != 1 || evs[0].Kind != telephony.EventHangup || evs[0].Outcome != "" {
		t.Errorf("after hangup: %+v", evs)
	}
	if err := p.Hangup(ctx, "a", telephony.CauseNormalClearing); !errors.Is(err, ErrNoSuchCall) {
		t.Errorf("second hangup: %v", err)
	}
	if got := p.Actions(); len(got) != 3 || got[0].Verb != "originate" || got[1].Verb != "hangup" {
		t.Errorf("actions: %+v", got)
	}
}

func TestEventsChannelAndClock(t *testing.T) {
	p := New(Config{Rules: []Rule{{Busy: 1, QuickTime: Fix(2 * time.Second)}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := p.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	timer := p.Clock().NewTimer(time.Second)
	originate(t, p, "x", "+1")
	p.Advance(time.Second)
	select {
	case <-timer.C():
	default:
		t.Fatal("timer did not fire at 1 s")
	}
	select {
	case e := <-ch:
		t.Fatalf("event before its time: %+v", e)
	default:
	}
	p.Advance(time.Second)
	if e := <-ch; e.Kind != telephony.EventHangup || e.Cause != telephony.CauseUserBusy {
		t.Errorf("event = %+v", e)
	}
}

func TestDistributions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	mean := func(d Dist) float64 {
		s := 0.0
		for range 20000 {
			s += d.Sample(r).Seconds()
		}
		return s / 20000
	}
	tests := []struct {
		d    Dist
		want float64
	}{
		{Fix(3 * time.Second), 3},
		{Exp(120 * time.Second), 120},
		{Dist{Kind: Uniform, Min: time.Second, Max: 5 * time.Second}, 3},
		{Dist{Kind: LogNormal, Mean: 60 * time.Second, Sigma: 0.5}, 60},
	}
	for _, tt := range tests {
		if got := mean(tt.d); math.Abs(got-tt.want)/tt.want > 0.03 {
			t.Errorf("%+v mean = %.2f, want %.2f", tt.d, got, tt.want)
		}
	}
}
