package dialer

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

func TestRedialDecide(t *testing.T) {
	busy, noAns, mach := telephony.OutcomeBusy, telephony.OutcomeNoAnswer, telephony.OutcomeMachine
	twin := RedialPolicy{Rules: map[telephony.Outcome]RedialRule{
		busy:  {Count: 2, Intervals: []time.Duration{time.Minute}},
		noAns: {Count: 3, Intervals: []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute}},
	}}
	ringme := RedialPolicy{MaxTries: 3, RetryPause: 90 * time.Second}
	udesk := RedialPolicy{FollowOn: []telephony.Outcome{busy}, FollowOnCount: 1, Rules: map[telephony.Outcome]RedialRule{busy: {Count: 1, Intervals: []time.Duration{10 * time.Minute}}}}
	used := func(o telephony.Outcome, n int) map[telephony.Outcome]int { return map[telephony.Outcome]int{o: n} }
	tests := []struct {
		name string
		p    RedialPolicy
		o    telephony.Outcome
		h    contactTries
		want redialDecision
	}{
		{"answered is final", twin, telephony.OutcomeAnswered, contactTries{tries: 1}, redialDecision{}},
		{"busy first redial", twin, busy, contactTries{tries: 1, byOutcome: used(busy, 0)}, redialDecision{again: true, after: time.Minute}},
		{"busy count used up", twin, busy, contactTries{tries: 3, byOutcome: used(busy, 2)}, redialDecision{}},
		{"no answer second interval", twin, noAns, contactTries{tries: 2, byOutcome: used(noAns, 1)}, redialDecision{again: true, after: 2 * time.Minute}},
		{"interval list last repeats", RedialPolicy{Rules: map[telephony.Outcome]RedialRule{noAns: {Count: 5, Intervals: []time.Duration{time.Minute, 2 * time.Minute}}}},
			noAns, contactTries{tries: 4, byOutcome: used(noAns, 3)}, redialDecision{again: true, after: 2 * time.Minute}},
		{"outcome without rule is final", twin, mach, contactTries{tries: 1}, redialDecision{}},
		{"try count with pause", ringme, mach, contactTries{tries: 1}, redialDecision{again: true, after: 90 * time.Second}},
		{"try count reached", ringme, mach, contactTries{tries: 3}, redialDecision{}},
		{"contact try count overrides", ringme, mach, contactTries{tries: 3, maxTries: 5, retryPause: time.Hour}, redialDecision{again: true, after: time.Hour}},
		{"max tries caps rules", RedialPolicy{MaxTries: 2, Rules: twin.Rules}, noAns, contactTries{tries: 2, byOutcome: used(noAns, 1)}, redialDecision{}},
		{"follow on first", udesk, busy, contactTries{tries: 1}, redialDecision{again: true, followOn: true}},
		{"then the recall rule", udesk, busy, contactTries{tries: 2, followOns: 1, byOutcome: used(busy, 0)}, redialDecision{again: true, after: 10 * time.Minute}},
	}
	for _, tt := range tests {
		if got := tt.p.decide(tt.o, tt.h); got != tt.want {
			t.Errorf("%s: decide = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseIntervalList(t *testing.T) {
	got, err := ParseIntervalList("1,2,3")
	if err != nil || !slices.Equal(got, []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute}) {
		t.Errorf("ParseIntervalList(1,2,3) = %v, %v", got, err)
	}
	got, err = ParseIntervalList("")
	if err != nil || !slices.Equal(got, []time.Duration{600 * time.Second}) {
		t.Errorf("default = %v, %v", got, err)
	}
	var fe *FieldError
	if _, err := ParseIntervalList("1,x"); !errors.As(err, &fe) || fe.Field != "recall_interval" {
		t.Errorf("bad list: %v", err)
	}
}
