package dialer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// RedialRule says how often and after how long a contact is redialled after
// one outcome.
type RedialRule struct {
	// Count is how many redials this outcome allows (twin24 count, udesk recall_count).
	Count int `json:"count"`
	// Intervals are the waits before the 1st, 2nd, … redial; the last one
	// repeats (twin24 time: one value; udesk recall_interval "1,2,3": 1, 2, 3 min).
	Intervals []time.Duration `json:"intervals"`
}

func (r RedialRule) interval(n int) time.Duration {
	if len(r.Intervals) == 0 {
		return 0
	}
	return r.Intervals[min(n, len(r.Intervals))-1]
}

// RedialPolicy holds every redial rule of a campaign.
type RedialPolicy struct {
	// Rules per outcome (twin24 redialStrategyOptions, udesk recall_policy,
	// zxycall auto_recycle_rule). Outcomes without a rule are final.
	Rules map[telephony.Outcome]RedialRule `json:"rules,omitempty"`
	// MaxTries caps the tries of a contact whatever the outcome (ringme
	// try_count, 1–50); 0 means no cap beyond the rules.
	MaxTries int `json:"max_tries,omitempty"`
	// RetryPause is the wait before a retry allowed by MaxTries but by no rule
	// (ringme try_again_pause).
	RetryPause time.Duration `json:"retry_pause,omitempty"`
	// FollowOn outcomes trigger one immediate follow-up call (udesk follow_on_policy).
	FollowOn []telephony.Outcome `json:"follow_on,omitempty"`
	// FollowOnCount caps follow-ups per contact (default 1).
	FollowOnCount int `json:"follow_on_count,omitempty"`
}

// Limits on redials.
const (
	MaxTries      = 50
	MaxRetryPause = 864000 * time.Second // ringme try_again_pause_caller
)

// successful reports whether an outcome ends a contact as a success.
func successful(o telephony.Outcome) bool { return o == telephony.OutcomeAnswered }

func (p *RedialPolicy) setDefaults() {
	if len(p.FollowOn) > 0 && p.FollowOnCount == 0 {
		p.FollowOnCount = 1
	}
}

func (p RedialPolicy) validate() error {
	for o, r := range p.Rules {
		f := "redial.rules." + string(o)
		if !slices.Contains(telephony.Outcomes, o) {
			return &FieldError{Field: "redial.rules", Value: string(o), Reason: "unknown outcome"}
		}
		if successful(o) {
			return &FieldError{Field: f, Reason: "answered calls are not redialled"}
		}
		if r.Count < 0 || r.Count > 100 {
			return &FieldError{Field: f + ".count", Value: fmt.Sprint(r.Count), Reason: "must be 0–100"}
		}
		for i, d := range r.Intervals {
			if d < 0 || d > MaxRetryPause {
				return &FieldError{Field: fmt.Sprintf("%s.intervals[%d]", f, i), Value: d.String(), Reason: "must be 0–864000 s"}
			}
		}
	}
	if p.MaxTries < 0 || p.MaxTries > MaxTries {
		return &FieldError{Field: "redial.max_tries", Value: fmt.Sprint(p.MaxTries), Reason: "must be 0–50"}
	}
	if p.RetryPause < 0 || p.RetryPause > MaxRetryPause {
		return &FieldError{Field: "redial.retry_pause", Value: p.RetryPause.String(), Reason: "must be 0–864000 s"}
	}
	for _, o := range p.FollowOn {
		if !slices.Contains(telephony.Outcomes, o) {
			return &FieldError{Field: "redial.follow_on", Value: string(o), Reason: "unknown outcome"}
		}
	}
	if p.FollowOnCount < 0 || p.FollowOnCount > 10 {
		return &FieldError{Field: "redial.follow_on_count", Value: fmt.Sprint(p.FollowOnCount), Reason: "must be 0–10"}
	}
	return nil
}

// ParseIntervalList reads udesk's recall_interval: comma-separated minutes
// ("1,2,3" → 60 s, 120 s, 180 s); empty gives the 600 s default.
func ParseIntervalList(s string) ([]time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return []time.Duration{600 * time.Second}, nil
	}
	var out []time.Duration
	for p := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 || n > 14400 {
			return nil, &FieldError{Field: "recall_interval", Value: s, Reason: "must be comma-separated minutes, each 0–14400"}
		}
		out = append(out, time.Duration(n)*time.Minute)
	}
	return out, nil
}

// Attributes of a contact.scheduled event that storage keeps with the due
// time and gives back in Progress after a restart.
const (
	// AttrNumber is the number (E.164) the scheduled try starts with.
	AttrNumber = "number"
	// AttrOnce is "true" when the scheduled try is the contact's only one
	// (a recall of a finished contact).
	AttrOnce = "once"
)

// scheduledAttrs are the attributes of a contact.scheduled event for cs's
// next try at at.
func scheduledAttrs(cs *contactState, at time.Time) map[string]string {
	a := map[string]string{"at": at.UTC().Format(time.RFC3339Nano), "try": strconv.Itoa(cs.tries + 1),
		AttrNumber: cs.c.Numbers[cs.numIdx].E164}
	if cs.recalled {
		a[AttrOnce] = "true"
	}
	return a
}

// redialDecision is what to do after a try ended with outcome o.
type redialDecision struct {
	again    bool
	after    time.Duration
	followOn bool
}

// contactTries is the part of a contact's history redial rules read.
type contactTries struct {
	tries      int                       // tries made so far, including the one just ended
	byOutcome  map[telephony.Outcome]int // redials already used per outcome
	followOns  int
	maxTries   int           // contact override (ringme try_count), 0: none
	retryPause time.Duration // contact override (ringme try_again_pause), 0: none
}

// decide applies the policy to a finished try. It does not mutate h.
func (p RedialPolicy) decide(o telephony.Outcome, h contactTries) redialDecision {
	if successful(o) {
		return redialDecision{}
	}
	maxTries := p.MaxTries
	if h.maxTries > 0 {
		maxTries = h.maxTries
	}
	if maxTries > 0 && h.tries >= maxTries {
		return redialDecision{}
	}
	if slices.Contains(p.FollowOn, o) && h.followOns < p.FollowOnCount {
		return redialDecision{again: true, followOn: true}
	}
	if r, ok := p.Rules[o]; ok {
		if h.byOutcome[o] >= r.Count {
			return redialDecision{}
		}
		after := r.interval(h.byOutcome[o] + 1)
		if h.retryPause > 0 {
			after = h.retryPause
		}
		return redialDecision{again: true, after: after}
	}
	if maxTries > 0 {
		pause := p.RetryPause
		if h.retryPause > 0 {
			pause = h.retryPause
		}
		return redialDecision{again: true, after: pause}
	}
	return redialDecision{}
}
