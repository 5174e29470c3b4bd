package specs_test

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/campaigns/specs"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

func TestCheckTimeGroup(t *testing.T) {
	day := []dialer.TimeRange{{From: 9 * time.Hour, To: 18 * time.Hour}}
	for _, c := range []struct {
		name  string
		g     dialer.TimeGroup
		field string // "": valid
	}{
		{"weekdays", dialer.TimeGroup{Name: "office", Zone: "Europe/Moscow", Ranges: []dialer.TimeRange{{Days: []time.Weekday{time.Monday}, From: 9 * time.Hour, To: 18 * time.Hour}}}, ""},
		{"wraps midnight", dialer.TimeGroup{Ranges: []dialer.TimeRange{{From: 22 * time.Hour, To: 6 * time.Hour}}}, ""},
		{"a holiday only", dialer.TimeGroup{Dates: []dialer.DateRanges{{Date: "2027-01-01", Ranges: day}}}, ""},
		{"no ranges", dialer.TimeGroup{Name: "empty"}, "ranges"},
		{"unknown zone", dialer.TimeGroup{Zone: "Mars/Olympus", Ranges: day}, "zone"},
		{"past 24 h", dialer.TimeGroup{Ranges: []dialer.TimeRange{day[0], {From: time.Hour, To: 25 * time.Hour}}}, "ranges[1]"},
		{"empty range", dialer.TimeGroup{Ranges: []dialer.TimeRange{{From: time.Hour, To: time.Hour}}}, "ranges[0]"},
		{"bad weekday", dialer.TimeGroup{Ranges: []dialer.TimeRange{{Days: []time.Weekday{7}, From: 0, To: time.Hour}}}, "ranges[0].days"},
		{"bad date", dialer.TimeGroup{Dates: []dialer.DateRanges{{Date: "01.01.2027", Ranges: day}}}, "dates[0].date"},
		{"bad date range", dialer.TimeGroup{Dates: []dialer.DateRanges{{Date: "2027-01-01", Ranges: []dialer.TimeRange{{From: -time.Hour, To: time.Hour}}}}}, "dates[0].ranges[0]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := specs.CheckTimeGroup(c.g)
			var fe *dialer.FieldError
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("refused a valid group: %v", err)
			case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
				t.Fatalf("got %v, want a field error on %q", err, c.field)
			}
		})
	}
}

func TestCheckRedialPolicy(t *testing.T) {
	rule := func(o telephony.Outcome, n int, d ...time.Duration) map[telephony.Outcome]dialer.RedialRule {
		return map[telephony.Outcome]dialer.RedialRule{o: {Count: n, Intervals: d}}
	}
	for _, c := range []struct {
		name  string
		p     dialer.RedialPolicy
		field string
	}{
		{"empty: no redials", dialer.RedialPolicy{}, ""},
		{"busy twice", dialer.RedialPolicy{Rules: rule(telephony.OutcomeBusy, 2, time.Minute), MaxTries: 3, RetryPause: time.Hour}, ""},
		{"unknown outcome", dialer.RedialPolicy{Rules: rule("sleepy", 1)}, "rules"},
		{"answered", dialer.RedialPolicy{Rules: rule(telephony.OutcomeAnswered, 1)}, "rules.answered"},
		{"count", dialer.RedialPolicy{Rules: rule(telephony.OutcomeBusy, 101)}, "rules.busy.count"},
		{"interval", dialer.RedialPolicy{Rules: rule(telephony.OutcomeBusy, 1, time.Minute, -time.Second)}, "rules.busy.intervals[1]"},
		{"max tries", dialer.RedialPolicy{MaxTries: 51}, "max_tries"},
		{"retry pause", dialer.RedialPolicy{RetryPause: 11 * 24 * time.Hour}, "retry_pause"},
		{"follow on", dialer.RedialPolicy{FollowOn: []telephony.Outcome{"sleepy"}}, "follow_on"},
		{"follow on count", dialer.RedialPolicy{FollowOnCount: 11}, "follow_on_count"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := specs.CheckRedialPolicy(&c.p)
			var fe *dialer.FieldError
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("refused a valid policy: %v", err)
			case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
				t.Fatalf("got %v, want a field error on %q", err, c.field)
			}
		})
	}
	p := dialer.RedialPolicy{FollowOn: []telephony.Outcome{telephony.OutcomeNoAnswer}}
	if err := specs.CheckRedialPolicy(&p); err != nil || p.FollowOnCount != 1 {
		t.Errorf("defaults: follow_on_count %d, %v; want 1", p.FollowOnCount, err)
	}
}

func TestDecode(t *testing.T) {
	for _, c := range []struct {
		spec, field string
	}{
		{`{"name":"x","ranges":[{"from":0,"to":3600000000000}]}`, ""},
		{`{"ranges":[{"from":"9h"}]}`, "ranges.from"},
		{`{"name":7}`, "name"},
		{`{"ranges":{}}`, "ranges"},
		{`[1]`, "spec"},
		{`{"name":`, "spec"},
		{``, "spec"},
	} {
		var g dialer.TimeGroup
		err := specs.Decode([]byte(c.spec), "a time group", &g)
		var fe *dialer.FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.spec, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("%s: got %v, want a field error on %q", c.spec, err, c.field)
		}
	}
}
