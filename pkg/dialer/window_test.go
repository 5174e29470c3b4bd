package dialer

import (
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWindowsOpen(t *testing.T) {
	work := TimeGroup{ID: "work", Ranges: []TimeRange{{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, From: 9 * time.Hour, To: 18 * time.Hour}}}
	lunch := TimeGroup{ID: "lunch", Ranges: []TimeRange{{From: 13 * time.Hour, To: 14 * time.Hour}}}
	night := TimeGroup{ID: "night", Ranges: []TimeRange{{From: 21 * time.Hour, To: 8 * time.Hour}}}
	holiday := TimeGroup{ID: "holiday", Dates: []DateRanges{{Date: "2026-01-07", Ranges: []TimeRange{{From: 0, To: day}}}}}
	tests := []struct {
		name string
		w    Windows
		t    string
		want bool
	}{
		{"no groups: always", Windows{}, "2026-01-05T03:00:00Z", true},
		{"inside working hours", Windows{Allowed: []TimeGroup{work}}, "2026-01-05T09:00:00Z", true},
		{"end is exclusive", Windows{Allowed: []TimeGroup{work}}, "2026-01-05T18:00:00Z", false},
		{"weekend", Windows{Allowed: []TimeGroup{work}}, "2026-01-10T10:00:00Z", false},
		{"blocked lunch", Windows{Allowed: []TimeGroup{work}, Blocked: []TimeGroup{lunch}}, "2026-01-05T13:30:00Z", false},
		{"after lunch", Windows{Allowed: []TimeGroup{work}, Blocked: []TimeGroup{lunch}}, "2026-01-05T14:00:00Z", true},
		{"night wraps: late", Windows{Blocked: []TimeGroup{night}}, "2026-01-05T23:00:00Z", false},
		{"night wraps: early", Windows{Blocked: []TimeGroup{night}}, "2026-01-06T07:59:59Z", false},
		{"night wraps: morning", Windows{Blocked: []TimeGroup{night}}, "2026-01-06T08:00:00Z", true},
		{"holiday date blocked", Windows{Allowed: []TimeGroup{work}, Blocked: []TimeGroup{holiday}}, "2026-01-07T10:00:00Z", false},
		{"company zone", Windows{Zone: "Europe/Moscow", Allowed: []TimeGroup{work}}, "2026-01-05T06:30:00Z", true},         // 09:30 MSK
		{"company zone closed", Windows{Zone: "Europe/Moscow", Allowed: []TimeGroup{work}}, "2026-01-05T15:30:00Z", false}, // 18:30 MSK
		{"group zone wins", Windows{Zone: "UTC", Allowed: []TimeGroup{{ID: "w", Zone: "Asia/Shanghai", Ranges: work.Ranges}}}, "2026-01-05T02:00:00Z", true},
	}
	zs := zoneSet{}
	for _, tt := range tests {
		if got := tt.w.open(zs, at(tt.t), nil); got != tt.want {
			t.Errorf("%s: open(%s) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
}

func TestWindowsCalleeLocal(t *testing.T) {
	// twin24 useTr: 09:00–21:00 in the callee's own time.
	w := Windows{CalleeLocal: true, Allowed: []TimeGroup{{ID: "tr", Ranges: []TimeRange{{From: 9 * time.Hour, To: 21 * time.Hour}}}}}
	zs := zoneSet{}
	now := at("2026-01-05T05:00:00Z") // 08:00 Moscow, 15:00 Vladivostok
	if w.open(zs, now, []string{"Europe/Moscow"}) {
		t.Error("Moscow open at 08:00 local")
	}
	if !w.open(zs, now, []string{"Asia/Vladivostok"}) {
		t.Error("Vladivostok closed at 15:00 local")
	}
	if w.open(zs, now, []string{"Europe/Moscow", "Asia/Vladivostok"}) {
		t.Error("a number spanning zones must be open in all of them")
	}
	if w.open(zs, now, nil) {
		t.Error("a number without a zone must not be dialled under callee-local windows")
	}
	next, ok := w.nextOpen(zs, now, []string{"Europe/Moscow"})
	if !ok || !next.Equal(at("2026-01-05T06:00:00Z")) {
		t.Errorf("nextOpen = %v %v, want 06:00Z", next, ok)
	}
}

func TestWindowsNextOpen(t *testing.T) {
	work := TimeGroup{ID: "work", Ranges: []TimeRange{{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, From: 9 * time.Hour, To: 18 * time.Hour}}}
	lunch := TimeGroup{ID: "lunch", Ranges: []TimeRange{{From: 13 * time.Hour, To: 14 * time.Hour}}}
	w := Windows{Zone: "Europe/Moscow", Allowed: []TimeGroup{work}, Blocked: []TimeGroup{lunch}}
	zs := zoneSet{}
	tests := []struct{ from, want string }{
		{"2026-01-05T10:00:00Z", "2026-01-05T10:00:00Z"}, // open now: 13:00 MSK? no: 13:00 is lunch
		{"2026-01-09T15:30:00Z", "2026-01-12T06:00:00Z"}, // Friday 18:30 MSK → Monday 09:00 MSK
		{"2026-01-05T10:15:00Z", "2026-01-05T11:00:00Z"}, // lunch 13:15 MSK → 14:00 MSK
	}
	tests[0].want = "2026-01-05T11:00:00Z"
	for _, tt := range tests {
		got, ok := w.nextOpen(zs, at(tt.from), nil)
		if !ok || !got.Equal(at(tt.want)) {
			t.Errorf("nextOpen(%s) = %v %v, want %s", tt.from, got, ok, tt.want)
		}
	}
	never := Windows{Allowed: []TimeGroup{{ID: "x", Dates: []DateRanges{{Date: "2020-01-01", Ranges: []TimeRange{{From: 0, To: day}}}}}}}
	if _, ok := never.nextOpen(zs, at("2026-01-05T10:00:00Z"), nil); ok {
		t.Error("a past-only window reported an opening")
	}
}
