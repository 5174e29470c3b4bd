package dialer

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

func validCampaign() Campaign {
	return Campaign{ID: "c1", Name: "spring", Mode: ModeProgressive, DefaultRegion: "RU", Queue: "sales"}
}

func TestCampaignValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(c *Campaign)
		field string
	}{
		{"no id", func(c *Campaign) { c.ID = " " }, "id"},
		{"no name", func(c *Campaign) { c.Name = "" }, "name"},
		{"bad mode", func(c *Campaign) { c.Mode = "robocall" }, "mode"},
		{"no region", func(c *Campaign) { c.DefaultRegion = "" }, "default_region"},
		{"bad region", func(c *Campaign) { c.DefaultRegion = "XX" }, "default_region"},
		{"agent mode without queue", func(c *Campaign) { c.Queue = "" }, "queue"},
		{"ivr without dialplan", func(c *Campaign) { c.Mode = ModeIVR; c.Queue = "" }, "destination.dialplan.context"},
		{"ivr without extension", func(c *Campaign) {
			c.Mode = ModeIVR
			c.Destination = Destination{Kind: DestDialplan, Dialplan: telephony.DialplanTarget{Context: "robot"}}
		}, "destination.dialplan.extension"},
		{"number destination outside callback", func(c *Campaign) { c.Destination.Kind = DestNumber }, "destination.kind"},
		{"bad transfer", func(c *Campaign) { c.Destination.Transfer = "teleport" }, "destination.transfer"},
		{"channel transfer without target", func(c *Campaign) { c.Destination.Transfer = "channel" }, "destination.transfer_target"},
		{"fixed caller id without number", func(c *Campaign) { c.CallerID.Mode = CallerIDFixed }, "caller_id.number"},
		{"pool without numbers", func(c *Campaign) { c.CallerID.Mode = CallerIDPool }, "caller_id.numbers"},
		{"bad caller id mode", func(c *Campaign) { c.CallerID.Mode = "psychic" }, "caller_id.mode"},
		{"priority too high", func(c *Campaign) { c.Priority = 101 }, "priority"},
		{"priority negative", func(c *Campaign) { c.Priority = -1 }, "priority"},
		{"cps too fast", func(c *Campaign) { c.Pacing.Rate = Rate{Calls: 201, Per: time.Second} }, "pacing.rate"},
		{"cps too slow", func(c *Campaign) { c.Pacing.Rate = Rate{Calls: 1, Per: 2 * time.Hour} }, "pacing.rate"},
		{"cps malformed", func(c *Campaign) { c.Pacing.Rate = Rate{Calls: 0, Per: time.Second} }, "pacing.rate"},
		{"burst", func(c *Campaign) { c.Pacing.Burst = -3 }, "pacing.burst"},
		{"max concurrent", func(c *Campaign) { c.Pacing.MaxConcurrent = -1 }, "pacing.max_concurrent"},
		{"pause without channels", func(c *Campaign) { c.Pacing.PauseBetweenCalls = 10 * time.Second }, "pacing.pause_between_calls"},
		{"contacts limit", func(c *Campaign) { c.Pacing.MaxConcurrentContacts = -1 }, "pacing.max_concurrent_contacts"},
		{"start interval", func(c *Campaign) { c.Pacing.StartInterval = -time.Second }, "pacing.start_interval"},
		{"asr threshold", func(c *Campaign) { c.Pacing.ASR = ASRGuard{Window: 10, Threshold: 1.5} }, "pacing.asr.threshold"},
		{"asr window", func(c *Campaign) { c.Pacing.ASR = ASRGuard{Window: -1} }, "pacing.asr.window"},
		{"bad zone", func(c *Campaign) { c.Windows.Zone = "Mars/Olympus" }, "windows.zone"},
		{"empty group", func(c *Campaign) { c.Windows.Allowed = []TimeGroup{{ID: "g"}} }, "windows.allowed[0].ranges"},
		{"range past midnight", func(c *Campaign) {
			c.Windows.Blocked = []TimeGroup{{ID: "g", Ranges: []TimeRange{{From: 0, To: 25 * time.Hour}}}}
		}, "windows.blocked[0].ranges[0]"},
		{"bad date", func(c *Campaign) {
			c.Windows.Blocked = []TimeGroup{{ID: "g", Dates: []DateRanges{{Date: "1 May", Ranges: []TimeRange{{From: 0, To: day}}}}}}
		}, "windows.blocked[0].dates[0].date"},
		{"start at without time", func(c *Campaign) { c.Start.Mode = StartAt }, "start.at"},
		{"bad start mode", func(c *Campaign) { c.Start.Mode = "whenever" }, "start.mode"},
		{"bad dedupe key", func(c *Campaign) { c.DedupeBy = "name" }, "dedupe_by"},
		{"redial unknown outcome", func(c *Campaign) {
			c.Redial.Rules = map[telephony.Outcome]RedialRule{"sulking": {Count: 1}}
		}, "redial.rules"},
		{"redial answered", func(c *Campaign) {
			c.Redial.Rules = map[telephony.Outcome]RedialRule{telephony.OutcomeAnswered: {Count: 1}}
		}, "redial.rules.answered"},
		{"redial count", func(c *Campaign) {
			c.Redial.Rules = map[telephony.Outcome]RedialRule{telephony.OutcomeBusy: {Count: -1}}
		}, "redial.rules.busy.count"},
		{"redial interval", func(c *Campaign) {
			c.Redial.Rules = map[telephony.Outcome]RedialRule{telephony.OutcomeBusy: {Count: 1, Intervals: []time.Duration{-time.Second}}}
		}, "redial.rules.busy.intervals[0]"},
		{"max tries", func(c *Campaign) { c.Redial.MaxTries = 51 }, "redial.max_tries"},
		{"retry pause", func(c *Campaign) { c.Redial.RetryPause = 864001 * time.Second }, "redial.retry_pause"},
		{"follow on outcome", func(c *Campaign) { c.Redial.FollowOn = []telephony.Outcome{"meh"} }, "redial.follow_on"},
		{"amd mode", func(c *Campaign) { c.AMD = AMD{Enabled: true, OnMachine: "sing"} }, "amd.on_machine"},
		{"ring timeout", func(c *Campaign) { c.RingTimeout = time.Millisecond }, "ring_timeout"},
		{"effective talk", func(c *Campaign) { c.EffectiveTalk = -time.Second }, "effective_talk"},
		{"trim", func(c *Campaign) { c.Recording.TrimLeft = -time.Second }, "recording.trim_left"},
		{"ratio", func(c *Campaign) { c.Mode = ModeRatio; c.Ratio = 0.5 }, "ratio"},
		{"abandon cap", func(c *Campaign) { c.Predictive.AbandonCap = 1.2 }, "predictive.abandon_cap"},
		{"abandon window", func(c *Campaign) { c.Predictive.AbandonWindow = time.Second }, "predictive.abandon_window"},
		{"connect within", func(c *Campaign) { c.Predictive.ConnectWithin = -time.Second }, "predictive.connect_within"},
		{"subscription url", func(c *Campaign) { c.Subscriptions = []Subscription{{}} }, "subscriptions[0].url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCampaign()
			tt.edit(&c)
			c.SetDefaults()
			err := c.Validate()
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want *FieldError", err)
			}
			if fe.Field != tt.field {
				t.Errorf("field = %q, want %q (%v)", fe.Field, tt.field, err)
			}
		})
	}
}

func TestCampaignDefaults(t *testing.T) {
	c := validCampaign()
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Priority != 10 || c.RingTimeout != 30*time.Second || c.Predictive.AbandonCap != 0.03 ||
		c.Predictive.ConnectWithin != 2*time.Second || c.Destination.Kind != DestQueue || c.Start.Mode != StartManual {
		t.Errorf("defaults = %+v", c)
	}
	cb := Campaign{ID: "cb", Name: "cb", Mode: ModeCallback, DefaultRegion: "RU"}
	cb.SetDefaults()
	if err := cb.Validate(); err != nil || cb.Destination.Kind != DestNumber {
		t.Errorf("callback defaults: %v %+v", err, cb.Destination)
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range Modes {
		if got, err := ParseMode(string(m)); err != nil || got != m {
			t.Errorf("ParseMode(%s) = %s, %v", m, got, err)
		}
	}
	var fe *FieldError
	if _, err := ParseMode("robot"); !errors.As(err, &fe) || fe.Field != "mode" {
		t.Errorf("ParseMode(robot) = %v", err)
	}
}
