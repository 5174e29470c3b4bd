package zxycalldialect

import (
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// The host API does not store time groups or redial policies as objects of
// their own yet (hostapi answers ErrNotImplemented), so the dialect offers a
// built-in set of each: the seed's three blocked time groups (with its
// uuids; the windows are ours) and two redial rules. A task carries the
// chosen group and rule inside its campaign spec (Windows.Blocked, Redial).

// timeGroup is a blocked time group of enum_disable_dial_timegroup.
type timeGroup struct {
	UUID   string
	Name   string
	Ranges []dialer.TimeRange
}

var timeGroups = []timeGroup{
	{"146979fe-3864-4817-ad76-13b37f43bb1c", "休息时间", []dialer.TimeRange{{From: 21 * time.Hour, To: 9 * time.Hour}}},
	{"cf44b8fc-a60f-499e-a5c8-5340963a56a3", "午休时间", []dialer.TimeRange{{From: 12 * time.Hour, To: 13*time.Hour + 30*time.Minute}}},
	{"a6c20127-1199-4b87-bffa-75ed3e368fd0", "早会时间", []dialer.TimeRange{{From: 9 * time.Hour, To: 9*time.Hour + 30*time.Minute}}},
}

func findTimeGroup(uuid string) (timeGroup, bool) {
	for _, g := range timeGroups {
		if g.UUID == uuid {
			return g, true
		}
	}
	return timeGroup{}, false
}

// recycleRule is a redial rule of auto_recycle_rules.
type recycleRule struct {
	ID        int
	Name      string
	Remark    string
	IsDefault bool
	Policy    dialer.RedialPolicy
}

var recycleRules = []recycleRule{
	{ID: 1, Name: "默认", Remark: "未接通、占线、线路拥塞: 30 分钟后重呼, 最多 2 次", IsDefault: true, Policy: dialer.RedialPolicy{
		Rules: map[telephony.Outcome]dialer.RedialRule{
			telephony.OutcomeNoAnswer:   {Count: 2, Intervals: []time.Duration{30 * time.Minute}},
			telephony.OutcomeBusy:       {Count: 2, Intervals: []time.Duration{30 * time.Minute}},
			telephony.OutcomeCongestion: {Count: 2, Intervals: []time.Duration{30 * time.Minute}},
		}}},
	{ID: 2, Name: "不重呼", Remark: "不重呼"},
}

func findRecycleRule(id int) (recycleRule, bool) {
	for _, r := range recycleRules {
		if r.ID == id {
			return r, true
		}
	}
	return recycleRule{}, false
}
