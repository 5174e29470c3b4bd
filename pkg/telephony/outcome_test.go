package telephony

import "testing"

func TestOutcomeForUnansweredCause(t *testing.T) {
	tests := []struct {
		cause Cause
		want  Outcome
	}{
		{CauseNormalClearing, OutcomeFailed}, // 16 before answer: the far end cleared without answering
		{CauseUserBusy, OutcomeBusy},
		{CauseNoUserResponse, OutcomeNoAnswer},
		{CauseNoAnswer, OutcomeNoAnswer},
		{CauseCallRejected, OutcomeRejected},
		{CauseCongestion, OutcomeCongestion},
		{CauseNetworkOutOfOrder, OutcomeCongestion},
		{CauseTempFailure, OutcomeCongestion},
		{CauseSwitchCongestion, OutcomeCongestion},
		{CauseChanUnavailable, OutcomeCongestion},
		{CauseUnallocated, OutcomeFailed},
		{CauseNoRouteDest, OutcomeFailed},
		{CauseInvalidNumber, OutcomeFailed},
		{Cause(0), OutcomeFailed},
	}
	for _, tt := range tests {
		if got := OutcomeForUnansweredCause(tt.cause); got != tt.want {
			t.Errorf("OutcomeForUnansweredCause(%d) = %s, want %s", tt.cause, got, tt.want)
		}
	}
}

func TestParseOutcome(t *testing.T) {
	for _, o := range Outcomes {
		got, err := ParseOutcome(string(o))
		if err != nil || got != o {
			t.Errorf("ParseOutcome(%q) = %q, %v", o, got, err)
		}
	}
	if _, err := ParseOutcome("maybe"); err == nil {
		t.Error("ParseOutcome(maybe) succeeded, want error")
	}
}
