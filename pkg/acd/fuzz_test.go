package acd

import (
	"testing"
	"time"
)

// FuzzEngineCommands decodes bytes into a sequence of commands over a small
// space of queues, agents and callers and applies them to a Core. Whatever
// the sequence, the core must not panic and its invariants must hold.
// Run it longer with: make fuzz FUZZTIME=5m
func FuzzEngineCommands(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{0, 0, 1, 1, 2, 0, 3, 0, 4, 0, 5, 5, 5, 6, 7, 8, 8, 8, 9, 9, 10, 10, 11, 12, 13})
	f.Add([]byte("ring-all then answer then hang up, repeatedly; ring-all then answer"))
	f.Add([]byte{3, 7, 3, 7, 9, 9, 9, 1, 1, 1, 6, 6, 6, 2, 2, 255, 254, 253, 128, 64})
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newHarness(t, CoreConfig{Seed: 1, CounterReset: []CounterReset{KeepCounters, ResetOnAvailable, CatchUpOnAvailable}[len(data)%3]})
		r := byteReader{data: data}
		for !r.done() {
			cmd, advance := decodeCommand(&r)
			if advance > 0 {
				h.advance(advance)
				continue
			}
			out, _ := h.core.Handle(h.now, cmd) // errors are fine; panics and broken invariants are not
			h.record(out)
		}
	})
}

type byteReader struct {
	data []byte
	pos  int
}

func (r *byteReader) done() bool { return r.pos >= len(r.data) }

func (r *byteReader) next() int {
	if r.done() {
		return 0
	}
	b := r.data[r.pos]
	r.pos++
	return int(b)
}

var fuzzStrategies = append([]Strategy{"bogus"}, Strategies...)

// decodeCommand turns the next bytes into a command, or a time advance.
func decodeCommand(r *byteReader) (Command, time.Duration) {
	queue := func() string { return "q" + itoa(r.next()%3) }
	agent := func() string { return "a" + itoa(r.next()%5) }
	caller := func() string { return "c" + itoa(r.next()%8) }
	switch op := r.next() % 18; op {
	case 0:
		q := NewQueueConfig(queue())
		q.Strategy = fuzzStrategies[r.next()%len(fuzzStrategies)]
		flags := r.next()
		q.TierRulesApply = flags&1 != 0
		q.TierRuleWaitMultiplyLevel = flags&2 != 0
		q.TierRuleNoAgentNoWait = flags&4 != 0
		q.ExitWithNoAvailableAgents = flags&8 != 0
		q.AbandonedResumeAllowed = flags&16 != 0
		if flags&32 != 0 {
			q.TimeBaseScore = ScoreFromSystem
		}
		if flags&64 != 0 {
			q.AnnounceSound, q.AnnounceFrequency = "s", time.Duration(r.next()%30)*time.Second
		}
		q.TierRuleWaitSecond = time.Duration(r.next()%40-5) * time.Second
		q.MaxWaitTime = time.Duration(r.next()%120) * time.Second
		q.MaxWaitTimeWithNoAgent = time.Duration(r.next()%60) * time.Second
		q.MaxWaitTimeWithNoAgentTimeReached = time.Duration(r.next()%10) * time.Second
		q.RingProgressivelyDelay = time.Duration(r.next()%15) * time.Second
		q.ExitKey = []string{"", "1", "#", "xx"}[r.next()%4]
		return AddQueue{Config: q}, 0
	case 1:
		a := NewAgentConfig(agent(), []AgentType{LocalAgent, RemoteAgent, "x"}[r.next()%3])
		a.Extension, a.Number = "100", "+7921"
		a.CallTimeout = time.Duration(r.next()%40) * time.Second
		a.NoAnswerDelayTime = time.Duration(r.next()%20-2) * time.Second
		a.BusyDelayTime = time.Duration(r.next()%20) * time.Second
		a.WrapUpTime = time.Duration(r.next()%20) * time.Second
		a.MaxNoAnswer = r.next() % 4
		return AddAgent{Config: a}, 0
	case 2:
		return SetTier{Tier: Tier{Queue: queue(), Agent: agent(), Level: r.next()%4 - 1, Position: r.next() % 4}}, 0
	case 3:
		return SetAgentStatus{Agent: agent(), Status: []Status{Available, AvailableOnDemand, OnBreak, LoggedOut, "x"}[r.next()%5]}, 0
	case 4:
		return Join{Queue: queue(), Caller: caller(), Number: "n" + itoa(r.next()%3), Priority: r.next()%3*10 - 10}, 0
	case 5:
		return OfferResult{Offer: OfferID(r.next() % 40), Result: []OfferOutcome{OfferAnswered, OfferNoAnswer, OfferBusy, OfferRejected, OfferFailed, "x"}[r.next()%6]}, 0
	case 6:
		return CallEnded{Caller: caller()}, 0
	case 7:
		return Hangup{Caller: caller()}, 0
	case 8:
		return nil, time.Duration(r.next()+1) * 250 * time.Millisecond
	case 9:
		return SetAgentState{Agent: agent(), State: []State{Waiting, Idle, InCall}[r.next()%3]}, 0
	case 10:
		return RemoveTier{Queue: queue(), Agent: agent()}, 0
	case 11:
		return RemoveAgent{Agent: agent(), RemoveFromQueues: r.next()%2 == 0}, 0
	case 12:
		return RemoveQueue{Queue: queue()}, 0
	case 13:
		return DTMF{Caller: caller(), Digit: []string{"1", "#", "5", ""}[r.next()%4]}, 0
	case 14:
		return ResetAgentCounters{Agent: agent()}, 0
	case 16:
		return RemoveCaller{Caller: caller(), Queue: []string{"", queue()}[r.next()%2], Reason: []LeaveReason{"", "kicked", ReasonAbandoned}[r.next()%3]}, 0
	case 17:
		return TransferCaller{Caller: caller(), Queue: []string{"", queue()}[r.next()%2], Destination: []string{"", "333", "ctx,100,1"}[r.next()%3]}, 0
	default:
		return nil, time.Duration(r.next()+1) * 5 * time.Second
	}
}
