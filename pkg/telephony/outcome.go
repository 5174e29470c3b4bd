package telephony

import "fmt"

// Outcome is how one call attempt ended, in the core's words.
type Outcome string

// Outcomes. Vendors' words map onto these (see ARCHITECTURE.md).
const (
	OutcomeAnswered     Outcome = "answered"
	OutcomeBusy         Outcome = "busy"
	OutcomeNoAnswer     Outcome = "no_answer"
	OutcomeMachine      Outcome = "machine"
	OutcomeCongestion   Outcome = "congestion"
	OutcomeRejected     Outcome = "rejected"
	OutcomeFailed       Outcome = "failed" // unreachable, invalid number, other failures
	OutcomeNotEffective Outcome = "not_effective"
	OutcomeAbandoned    Outcome = "abandoned"
)

// Outcomes lists every outcome, for validation and reports.
var Outcomes = []Outcome{
	OutcomeAnswered, OutcomeBusy, OutcomeNoAnswer, OutcomeMachine, OutcomeCongestion,
	OutcomeRejected, OutcomeFailed, OutcomeNotEffective, OutcomeAbandoned,
}

// ParseOutcome returns the outcome named s.
func ParseOutcome(s string) (Outcome, error) {
	for _, o := range Outcomes {
		if string(o) == s {
			return o, nil
		}
	}
	return "", fmt.Errorf("unknown outcome %q", s)
}

// Cause is an ISDN Q.850 cause code as Asterisk reports it in hangup events.
type Cause int

// Q.850 causes the core names.
const (
	CauseUnallocated       Cause = 1
	CauseNoRouteDest       Cause = 3
	CauseNormalClearing    Cause = 16
	CauseUserBusy          Cause = 17
	CauseNoUserResponse    Cause = 18
	CauseNoAnswer          Cause = 19
	CauseSubscriberAbsent  Cause = 20
	CauseCallRejected      Cause = 21
	CauseNumberChanged     Cause = 22
	CauseDestOutOfOrder    Cause = 27
	CauseInvalidNumber     Cause = 28
	CauseNormalUnspecified Cause = 31
	CauseCongestion        Cause = 34
	CauseNetworkOutOfOrder Cause = 38
	CauseTempFailure       Cause = 41
	CauseSwitchCongestion  Cause = 42
	CauseChanUnavailable   Cause = 44
	CauseInterworking      Cause = 127
)

// OutcomeForUnansweredCause maps the hang-up cause of a call that was never
// answered to an outcome: 17 busy; 18/19 no answer; 21 rejected;
// 34/38/41/42/44 congestion; 1/3/20/22/27/28 and anything else unknown failed.
// An answered call's outcome is decided by the core (answered, machine,
// not_effective, abandoned), not by its cause.
func OutcomeForUnansweredCause(c Cause) Outcome {
	switch c {
	case CauseUserBusy:
		return OutcomeBusy
	case CauseNoUserResponse, CauseNoAnswer:
		return OutcomeNoAnswer
	case CauseCallRejected:
		return OutcomeRejected
	case CauseCongestion, CauseNetworkOutOfOrder, CauseTempFailure, CauseSwitchCongestion, CauseChanUnavailable:
		return OutcomeCongestion
	default:
		return OutcomeFailed
	}
}
