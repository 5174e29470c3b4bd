package dialer_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/pkg/telephony/telephonytest"
)

func TestPacingLimits(t *testing.T) {
	tests := []struct {
		name   string
		rule   telephonytest.Rule
		pacing dialer.Pacing
		run    time.Duration
		check  func(t *testing.T, h *harness, o []originated)
	}{
		{"max concurrent", longCalls, dialer.Pacing{MaxConcurrent: 5}, 5 * time.Minute, func(t *testing.T, h *harness, o []originated) {
			if _, maxLive := h.pbx.Live(); maxLive != 5 || len(o) != 5 {
				t.Errorf("max live %d, originated %d; want 5 and 5", maxLive, len(o))
			}
		}},
		{"one call per minute", quickBusy, dialer.Pacing{Rate: dialer.Rate{Calls: 1, Per: time.Minute}}, 10 * time.Minute, func(t *testing.T, h *harness, o []originated) {
			if len(o) != 10 {
				t.Fatalf("originated %d in 10 min, want 10", len(o))
			}
			for i := 1; i < len(o); i++ {
				if gap := o[i].at.Sub(o[i-1].at); gap != time.Minute {
					t.Fatalf("gap %d = %s", i, gap)
				}
			}
		}},
		{"two per second", quickBusy, dialer.Pacing{Rate: dialer.Rate{Calls: 2, Per: time.Second}}, time.Minute, func(t *testing.T, h *harness, o []originated) {
			if len(o) != 120 {
				t.Errorf("originated %d in 1 min, want 120", len(o))
			}
		}},
		{"burst is bounded", quickBusy, dialer.Pacing{Rate: dialer.Rate{Calls: 1, Per: time.Second}, Burst: 3}, 10 * time.Second, func(t *testing.T, h *harness, o []originated) {
			// In any second no more than the burst, and 10 s give at most 1+10 calls.
			for i := 3; i < len(o); i++ {
				if o[i].at.Sub(o[i-3].at) < time.Second {
					t.Fatalf("4 calls within a second at %d", i)
				}
			}
			if len(o) > 11 {
				t.Errorf("%d calls in 10 s", len(o))
			}
		}},
		{"pause between calls per channel", quickBusy, dialer.Pacing{MaxConcurrent: 1, PauseBetweenCalls: 10 * time.Second}, time.Minute, func(t *testing.T, h *harness, o []originated) {
			for i := 1; i < len(o); i++ {
				if gap := o[i].at.Sub(o[i-1].at); gap != 12*time.Second {
					t.Fatalf("gap %d = %s, want 2 s call + 10 s pause", i, gap)
				}
			}
			if len(o) != 5 {
				t.Errorf("originated %d, want 5", len(o))
			}
		}},
		{"concurrent contact limit", longCalls, dialer.Pacing{MaxConcurrentContacts: 2}, 5 * time.Minute, func(t *testing.T, h *harness, o []originated) {
			if _, maxLive := h.pbx.Live(); maxLive != 2 {
				t.Errorf("max live %d, want 2", maxLive)
			}
			st, _ := h.d.ContactStatus("c", "k2")
			if st != dialer.ContactDelayedConcurrent {
				t.Errorf("waiting contact status %q, want %s", st, dialer.ContactDelayedConcurrent)
			}
		}},
		{"start interval", quickBusy, dialer.Pacing{StartInterval: 30 * time.Second}, 5 * time.Minute, func(t *testing.T, h *harness, o []originated) {
			for i := 1; i < len(o); i++ {
				if gap := o[i].at.Sub(o[i-1].at); gap != 30*time.Second {
					t.Fatalf("gap %d = %s", i, gap)
				}
			}
		}},
		{"asr guard pauses", allFail, dialer.Pacing{ASR: dialer.ASRGuard{Window: 10, Threshold: 0.5, Cooldown: 5 * time.Minute}, MaxConcurrent: 1}, 8 * time.Minute, func(t *testing.T, h *harness, o []originated) {
			if len(o) < 11 {
				t.Fatalf("only %d calls", len(o))
			}
			if gap := o[10].at.Sub(o[9].at); gap < 5*time.Minute {
				t.Errorf("gap after 10 failures = %s, want ≥ 5 min", gap)
			}
			if h.count(event.CampaignDelayed, func(e event.Event) bool { return e.Reason == dialer.ContactDelayedASR }) == 0 {
				t.Error("no campaign.delayed event")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.rule)
			c := ivrCampaign("c")
			c.Pacing = tt.pacing
			h.must(dialer.AddCampaign{Campaign: c})
			h.contacts("c", 0, 200, nil)
			h.run(t0.Add(tt.run - time.Millisecond))
			tt.check(t, h, h.originatesOf("c"))
		})
	}
}

func TestTrunkSharedByCampaignsWithPriority(t *testing.T) {
	h := newHarness(t, telephonytest.Rule{Busy: 1, QuickTime: telephonytest.Fix(5 * time.Second)})
	h.must(dialer.PutTrunk{Trunk: dialer.Trunk{ID: "line", MaxConcurrent: 4, CallerIDNumber: "13530525008"}})
	hi, lo := ivrCampaign("hi"), ivrCampaign("lo")
	hi.Trunk, lo.Trunk = "line", "line"
	hi.Priority, lo.Priority = 30, 10
	h.must(dialer.AddCampaign{Campaign: hi})
	h.must(dialer.AddCampaign{Campaign: lo})
	h.contacts("hi", 0, 2000, nil)
	h.contacts("lo", 5000, 2000, nil)
	h.run(t0.Add(30 * time.Minute))
	if got := h.pbx.MaxLiveOnTrunk("line"); got != 4 {
		t.Errorf("max live on trunk = %d, want 4", got)
	}
	nh, nl := len(h.originatesOf("hi")), len(h.originatesOf("lo"))
	if ratio := float64(nh) / float64(nl); math.Abs(ratio-3) > 0.15 {
		t.Errorf("priority 30:10 shares %d:%d (%.2f), want 3:1", nh, nl, ratio)
	}
	if o := h.origs[0]; o.req.CallerIDNumber != "13530525008" || o.req.Target.Trunk != "line" {
		t.Errorf("caller id / trunk = %+v", o.req)
	}
	// A campaign asking more concurrency than its trunk has is refused.
	big := ivrCampaign("big")
	big.Trunk, big.Pacing.MaxConcurrent = "line", 5
	var fe *dialer.FieldError
	if err := h.do(dialer.AddCampaign{Campaign: big}); !errors.As(err, &fe) || fe.Field != "pacing.max_concurrent" {
		t.Errorf("over-trunk campaign: %v", err)
	}
}

func TestRedialRulesAndTries(t *testing.T) {
	h := newHarness(t, quickBusy)
	c := ivrCampaign("c")
	c.Redial.Rules = map[telephony.Outcome]dialer.RedialRule{telephony.OutcomeBusy: {Count: 2, Intervals: []time.Duration{time.Minute, 5 * time.Minute}}}
	h.must(dialer.AddCampaign{Campaign: c})
	h.contacts("c", 0, 3, nil)
	h.run(t0.Add(time.Hour))
	per := map[string][]time.Time{}
	for _, o := range h.origs {
		per[o.contact] = append(per[o.contact], o.at)
	}
	for id, ts := range per {
		if len(ts) != 3 {
			t.Errorf("%s dialled %d times, want 3", id, len(ts))
			continue
		}
		// busy after 2 s, then 1 min; then 5 min.
		if g := ts[1].Sub(ts[0]); g != 62*time.Second {
			t.Errorf("%s first redial gap %s", id, g)
		}
		if g := ts[2].Sub(ts[1]); g != 302*time.Second {
			t.Errorf("%s second redial gap %s", id, g)
		}
	}
	if st, _ := h.d.State("c"); st != dialer.StateFinished {
		t.Errorf("state %s, want finished", st)
	}
	if n := h.count(event.ContactFinished, func(e event.Event) bool { return e.Outcome == "busy" && e.Reason == "failed" }); n != 3 {
		t.Errorf("contact.finished busy/failed = %d", n)
	}
}

func TestRingmeTryCountPerContact(t *testing.T) {
	h := newHarness(t, allFail)
	c := ivrCampaign("c")
	c.Redial.MaxTries = 2
	c.Redial.RetryPause = time.Minute
	h.must(dialer.AddCampaign{Campaign: c})
	h.contacts("c", 0, 1, func(in *dialer.ContactInput) { in.MaxTries = 4; in.RetryPause = 30 * time.Second })
	h.contacts("c", 1, 1, nil)
	h.run(t0.Add(time.Hour))
	got := map[string]int{}
	for _, o := range h.origs {
		got[o.contact]++
	}
	if got["k0"] != 4 || got["k1"] != 2 {
		t.Errorf("tries = %v, want k0 4 (contact try_count), k1 2", got)
	}
}

func TestAlternateNumbersWithinATry(t *testing.T) {
	h := newHarness(t, telephonytest.Rule{Pattern: "+7921*", Busy: 1, QuickTime: telephonytest.Fix(time.Second)}, longCalls)
	h.must(dialer.AddCampaign{Campaign: ivrCampaign("c")})
	h.contacts("c", 0, 1, func(in *dialer.ContactInput) { in.Numbers = append(in.Numbers, "+79031234567") })
	h.run(t0.Add(time.Minute))
	if len(h.origs) != 2 || h.origs[1].req.Target.Number != "+79031234567" || h.origs[1].at != t0.Add(time.Second) {
		t.Fatalf("originates = %+v", h.origs)
	}
	if n := h.count(event.AttemptConnected, nil); n != 1 {
		t.Errorf("connected %d", n)
	}
}

func TestWindowsNeverDialOutsideAndResume(t *testing.T) {
	h := newHarness(t, quickBusy)
	h.now = t0.Add(-time.Hour) // 08:00 UTC Monday
	c := ivrCampaign("c")
	c.Pacing.Rate = dialer.Rate{Calls: 1, Per: 10 * time.Second}
	c.Windows = dialer.Windows{Zone: "UTC", Allowed: []dialer.TimeGroup{{ID: "am", Ranges: []dialer.TimeRange{{From: 9 * time.Hour, To: 10 * time.Hour}}}},
		Blocked: []dialer.TimeGroup{{ID: "break", Ranges: []dialer.TimeRange{{From: 9*time.Hour + 30*time.Minute, To: 9*time.Hour + 40*time.Minute}}}}}
	h.must(dialer.AddCampaign{Campaign: c})
	h.contacts("c", 0, 1000, nil)
	h.run(t0.Add(26 * time.Hour))
	if len(h.origs) == 0 {
		t.Fatal("never dialled")
	}
	day2 := 0
	for _, o := range h.origs {
		hh, mm := o.at.Hour(), o.at.Minute()
		if hh != 9 || (mm >= 30 && mm < 40) {
			t.Fatalf("dialled at %s, outside the window", o.at)
		}
		if o.at.Day() == 6 {
			day2++
		}
	}
	if day2 == 0 {
		t.Error("did not resume the next morning")
	}
	if first := h.origs[0].at; !first.Equal(t0) {
		t.Errorf("first call at %s, want 09:00", first)
	}
}

func TestCalleeLocalWindows(t *testing.T) {
	h := newHarness(t, quickBusy)
	h.now = t0.Add(-4 * time.Hour) // 05:00 UTC: 08:00 Moscow, 15:00 Vladivostok
	c := ivrCampaign("c")
	c.Windows = dialer.Windows{CalleeLocal: true, Allowed: []dialer.TimeGroup{{ID: "tr", Ranges: []dialer.TimeRange{{From: 9 * time.Hour, To: 21 * time.Hour}}}}}
	h.must(dialer.AddCampaign{Campaign: c})
	msk, _, _ := dialer.NewContact(dialer.ContactInput{ID: "msk", Numbers: []string{"84951234567"}}, "RU")
	vvo, _, _ := dialer.NewContact(dialer.ContactInput{ID: "vvo", Numbers: []string{"84232123456"}}, "RU")
	h.must(dialer.AddContacts{Campaign: "c", Contacts: []dialer.Contact{msk, vvo}, Exhausted: true})
	h.run(t0)
	got := map[string]time.Time{}
	for _, o := range h.origs {
		got[o.contact] = o.at
	}
	if !got["vvo"].Equal(t0.Add(-4 * time.Hour)) {
		t.Errorf("Vladivostok dialled at %v, want at once", got["vvo"])
	}
	if !got["msk"].Equal(t0.Add(-3 * time.Hour)) {
		t.Errorf("Moscow dialled at %v, want 06:00Z (09:00 local)", got["msk"])
	}
}

func TestModes(t *testing.T) {
	for _, m := range []dialer.Mode{dialer.ModeProgressive, dialer.ModePreview} {
		t.Run(string(m)+" dials one per idle agent", func(t *testing.T) {
			h := newHarness(t, longCalls)
			h.must(dialer.AddCampaign{Campaign: agentCampaign("c", m)})
			h.staff("q", 3)
			h.contacts("c", 0, 50, nil)
			h.run(t0.Add(time.Second))
			if len(h.origs) != 3 {
				t.Errorf("originated %d with 3 idle agents", len(h.origs))
			}
			h.run(t0.Add(5 * time.Minute))
			if len(h.origs) != 3 || h.count(event.AttemptConnected, nil) != 3 {
				t.Errorf("after connect: %d originated, %d connected", len(h.origs), h.count(event.AttemptConnected, nil))
			}
			for _, x := range h.decisions {
				if q, ok := x.(dialer.HandToQueue); ok && (q.Contact == "" || q.Campaign != "c") {
					t.Errorf("hand-off without the contact to show the agent: %+v", q)
				}
			}
		})
	}
	t.Run("ratio dials N per idle agent", func(t *testing.T) {
		h := newHarness(t, longCalls)
		c := agentCampaign("c", dialer.ModeRatio)
		c.Ratio = 2.5
		h.must(dialer.AddCampaign{Campaign: c})
		h.staff("q", 2)
		h.contacts("c", 0, 50, nil)
		h.run(t0.Add(time.Second))
		if len(h.origs) != 5 {
			t.Errorf("originated %d with 2 idle agents at ratio 2.5", len(h.origs))
		}
	})
	t.Run("no agents, no calls", func(t *testing.T) {
		h := newHarness(t, longCalls)
		h.must(dialer.AddCampaign{Campaign: agentCampaign("c", dialer.ModePredictive)})
		h.contacts("c", 0, 50, nil)
		h.run(t0.Add(time.Minute))
		if len(h.origs) != 0 {
			t.Errorf("originated %d with no agents", len(h.origs))
		}
	})
	t.Run("predictive abandons without an agent", func(t *testing.T) {
		h := newHarness(t, longCalls)
		h.noAgents = true
		h.must(dialer.AddCampaign{Campaign: agentCampaign("c", dialer.ModePredictive)})
		h.staff("q", 1)
		h.contacts("c", 0, 1, nil)
		h.run(t0.Add(time.Minute))
		var sawHand, sawPlay bool
		for _, x := range h.decisions {
			switch x := x.(type) {
			case dialer.HandToQueue:
				sawHand = x.MaxWait == 2*time.Second && x.Queue == "q"
			case dialer.Play:
				sawPlay = x.Media != ""
			}
		}
		if !sawHand || !sawPlay {
			t.Errorf("hand to queue %v, play and hang up %v", sawHand, sawPlay)
		}
		st, _ := h.d.Stats("c", h.now)
		if st.Abandoned != 1 || st.Outcomes[telephony.OutcomeAbandoned] != 1 || st.DisturbRate != 1 {
			t.Errorf("stats = %+v", st)
		}
	})
	t.Run("ivr continues to the dialplan", func(t *testing.T) {
		h := newHarness(t, longCalls)
		h.must(dialer.AddCampaign{Campaign: ivrCampaign("c")})
		h.contacts("c", 0, 1, nil)
		h.run(t0.Add(time.Minute))
		found := false
		for _, x := range h.decisions {
			if x, ok := x.(dialer.ContinueDialplan); ok && x.To.Context == "robot" && x.To.Extension == "s" {
				found = true
			}
		}
		if !found {
			t.Error("no ContinueDialplan")
		}
	})
	t.Run("callback bridges A and B, trying alternate A numbers", func(t *testing.T) {
		h := newHarness(t, telephonytest.Rule{Pattern: "+7921*", Busy: 1, QuickTime: telephonytest.Fix(time.Second)}, longCalls)
		c := dialer.Campaign{ID: "c", Name: "cb", Mode: dialer.ModeCallback, DefaultRegion: "RU", Start: dialer.Start{Mode: dialer.StartNow},
			CallerID: dialer.CallerID{Number: "74950000000", Name: "Shop"}, Pacing: dialer.Pacing{MaxConcurrent: 2}}
		h.must(dialer.AddCampaign{Campaign: c})
		h.contacts("c", 0, 1, func(in *dialer.ContactInput) {
			in.Numbers = append(in.Numbers, "+79031234567")
			in.Callback = "+79161234567"
		})
		h.run(t0.Add(time.Minute))
		var nums []string
		for _, o := range h.origs {
			nums = append(nums, o.req.Target.Number)
		}
		if len(nums) != 3 || nums[0] != "+79210000000" || nums[1] != "+79031234567" || nums[2] != "+79161234567" {
			t.Fatalf("dialled %v, want A, alternate A, B", nums)
		}
		var bridged bool
		for _, x := range h.decisions {
			if x, ok := x.(dialer.Bridge); ok && len(x.Calls) == 2 && x.Calls[0] == h.origs[1].req.Call && x.Calls[1] == h.origs[2].req.Call {
				bridged = true
			}
		}
		if !bridged {
			t.Error("A and B were not bridged")
		}
		if _, maxLive := h.pbx.Live(); maxLive > 2 {
			t.Errorf("max live %d exceeds 2 channels", maxLive)
		}
		if h.origs[0].req.CallerIDNumber != "74950000000" || h.origs[0].req.CallerIDName != "Shop" {
			t.Errorf("caller id %+v", h.origs[0].req)
		}
	})
}

func TestMachineAndNotEffective(t *testing.T) {
	h := newHarness(t,
		telephonytest.Rule{Pattern: "+79210000000", Machine: 1, RingTime: telephonytest.Fix(2 * time.Second), TalkTime: telephonytest.Fix(time.Minute)},
		telephonytest.Rule{Answer: 1, RingTime: telephonytest.Fix(2 * time.Second), TalkTime: telephonytest.Fix(5 * time.Second)})
	c := ivrCampaign("c")
	c.AMD = dialer.AMD{Enabled: true, OnMachine: "hangup"}
	c.EffectiveTalk = 20 * time.Second
	h.must(dialer.AddCampaign{Campaign: c})
	h.contacts("c", 0, 2, nil)
	h.run(t0.Add(time.Minute))
	st, _ := h.d.Stats("c", h.now)
	if st.Outcomes[telephony.OutcomeMachine] != 1 || st.Outcomes[telephony.OutcomeNotEffective] != 1 {
		t.Errorf("outcomes %v, want one machine and one not_effective", st.Outcomes)
	}
	if !h.origs[0].req.DetectMachine {
		t.Error("originate without machine detection")
	}
}

func TestLifecycle(t *testing.T) {
	h := newHarness(t, longCalls)
	c := ivrCampaign("c")
	c.Start = dialer.Start{Mode: dialer.StartManual}
	c.Pacing.MaxConcurrent = 2
	h.must(dialer.AddCampaign{Campaign: c})
	h.contacts("c", 0, 3, nil)
	h.run(t0.Add(time.Minute))
	if len(h.origs) != 0 {
		t.Fatal("a manual campaign dialled before Start")
	}
	h.must(dialer.StartCampaign{Campaign: "c"})
	if len(h.origs) != 2 {
		t.Fatalf("originated %d after start", len(h.origs))
	}
	h.run(t0.Add(2 * time.Minute))
	h.must(dialer.StopCampaign{Campaign: "c"})
	if st, _ := h.d.State("c"); st != dialer.StateStopping {
		t.Errorf("state %s with calls up, want stopping", st)
	}
	h.run(t0.Add(20 * time.Minute))
	if st, _ := h.d.State("c"); st != dialer.StateStopped || len(h.origs) != 2 {
		t.Errorf("state %s, originated %d; want stopped, 2", st, len(h.origs))
	}
	if err := h.do(dialer.StopCampaign{Campaign: "c"}); !errors.Is(err, dialer.ErrState) {
		t.Errorf("stop twice: %v", err)
	}
	h.must(dialer.StartCampaign{Campaign: "c"})
	h.run(t0.Add(time.Hour))
	st, _ := h.d.Stats("c", h.now)
	if st.State != dialer.StateFinished || st.Done != 3 || st.Percent != 100 || st.Outcomes[telephony.OutcomeAnswered] != 3 {
		t.Errorf("stats = %+v", st)
	}
	if h.count(event.CampaignProgress, func(e event.Event) bool { return e.Attrs["percent"] == "100" }) == 0 {
		t.Error("no 100% progress event")
	}
	if err := h.do(dialer.RemoveCampaign{Campaign: "c"}); err != nil {
		t.Error(err)
	}
	if err := h.do(dialer.StartCampaign{Campaign: "c"}); !errors.Is(err, dialer.ErrUnknownCampaign) {
		t.Errorf("start removed: %v", err)
	}
}

func TestStartAt(t *testing.T) {
	h := newHarness(t, quickBusy)
	c := ivrCampaign("c")
	c.Start = dialer.Start{Mode: dialer.StartAt, At: t0.Add(90 * time.Minute)}
	h.must(dialer.AddCampaign{Campaign: c})
	h.contacts("c", 0, 1, nil)
	h.run(t0.Add(3 * time.Hour))
	if len(h.origs) != 1 || !h.origs[0].at.Equal(t0.Add(90*time.Minute)) {
		t.Errorf("originates %+v, want one at start time", h.origs)
	}
}

func TestRecallAndFollowOn(t *testing.T) {
	h := newHarness(t, quickBusy)
	c := ivrCampaign("c")
	c.Redial.FollowOn = []telephony.Outcome{telephony.OutcomeBusy}
	h.must(dialer.AddCampaign{Campaign: c})
	h.contacts("c", 0, 1, nil)
	h.run(t0.Add(time.Minute))
	// busy at 2 s → follow-on at once → busy at 4 s → finished.
	if len(h.origs) != 2 || !h.origs[1].at.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("follow-on: %+v", h.origs)
	}
	// A finished contact is redialled at a given time when its contact is supplied (udesk recall).
	ct, _, _ := dialer.NewContact(dialer.ContactInput{ID: "k0", Numbers: []string{"+79210000000"}}, "RU")
	if err := h.do(dialer.Recall{Campaign: "c", Number: "+79210000000", At: t0.Add(time.Hour)}); err == nil {
		t.Error("recall of a forgotten contact without the contact succeeded")
	}
	h.must(dialer.Recall{Campaign: "c", Number: "+79210000000", At: t0.Add(time.Hour), Contact: &ct})
	h.run(t0.Add(2 * time.Hour))
	if len(h.origs) != 3 || !h.origs[2].at.Equal(t0.Add(time.Hour)) {
		t.Fatalf("recall: %+v", h.origs)
	}
	h.must(dialer.FollowOn{Campaign: "c", Number: "+79210000000", Contact: &ct})
	if len(h.origs) != 4 || !h.origs[3].at.Equal(h.now) {
		t.Fatalf("follow_on command: %d originates", len(h.origs))
	}
}

func TestNothingDialsTwice(t *testing.T) {
	h := newHarness(t, longCalls)
	h.must(dialer.AddCampaign{Campaign: ivrCampaign("c")})
	a, _, _ := dialer.NewContact(dialer.ContactInput{ID: "a", Numbers: []string{"+79210000001"}}, "RU")
	b, _, _ := dialer.NewContact(dialer.ContactInput{ID: "b", Numbers: []string{"89210000001"}}, "RU")
	h.must(dialer.AddContacts{Campaign: "c", Contacts: []dialer.Contact{a, a, b}, Exhausted: true})
	if h.count(event.ContactRejected, nil) != 1 {
		t.Error("duplicate contact id not rejected")
	}
	h.run(t0.Add(time.Minute))
	if len(h.origs) != 1 {
		t.Fatalf("the same number was dialled %d times at once", len(h.origs))
	}
	h.run(t0.Add(time.Hour))
	if len(h.origs) != 2 || h.origs[1].at.Before(h.origs[0].at.Add(10*time.Minute)) {
		t.Errorf("second contact with the same number: %+v", h.origs)
	}
	// Repeated PBX events do not double count.
	h.must(dialer.CallEvent{Event: telephony.Event{Kind: telephony.EventHangup, Call: h.origs[0].req.Call}})
	st, _ := h.d.Stats("c", h.now)
	if st.Dialled != 2 || st.Outcomes[telephony.OutcomeAnswered] != 2 {
		t.Errorf("stats after a repeated hangup: %+v", st)
	}
}

func TestBadCommands(t *testing.T) {
	h := newHarness(t)
	var fe *dialer.FieldError
	tests := []struct {
		cmd   dialer.Command
		field string
		is    error
	}{
		{dialer.AddCampaign{Campaign: dialer.Campaign{ID: "x"}}, "name", nil},
		{dialer.StartCampaign{Campaign: "nope"}, "", dialer.ErrUnknownCampaign},
		{dialer.PutTrunk{Trunk: dialer.Trunk{}}, "trunk.id", nil},
		{dialer.PutTrunk{Trunk: dialer.Trunk{ID: "t", MaxConcurrent: -1}}, "trunk.max_concurrent", nil},
		{dialer.AgentSupply{Queue: "q", Staffed: 1, Idle: 2}, "idle", nil},
		{dialer.AddContacts{Campaign: "nope"}, "", dialer.ErrUnknownCampaign},
		{nil, "command", nil},
	}
	for _, tt := range tests {
		err := h.do(tt.cmd)
		if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
			t.Errorf("%T: %v, want field %s", tt.cmd, err, tt.field)
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%T: %v, want %v", tt.cmd, err, tt.is)
		}
	}
	c := ivrCampaign("c")
	h.must(dialer.AddCampaign{Campaign: c})
	if err := h.do(dialer.AddCampaign{Campaign: c}); !errors.Is(err, dialer.ErrDuplicate) {
		t.Errorf("duplicate campaign: %v", err)
	}
	if err := h.do(dialer.AddContacts{Campaign: "c", Contacts: []dialer.Contact{{ID: "x", Numbers: []dialer.Number{{E164: "89210000000"}}}}}); !errors.As(err, &fe) || fe.Field != "contacts[0].contact.numbers[0].e164" {
		t.Errorf("unnormalised contact: %v", err)
	}
	if err := h.do(dialer.Recall{Campaign: "c", Number: "+79210000000"}); !errors.As(err, &fe) || fe.Field != "after_at" {
		t.Errorf("recall without time: %v", err)
	}
	up := ivrCampaign("c")
	up.Mode = dialer.ModeProgressive
	up.Queue = "q"
	up.Destination = dialer.Destination{}
	if err := h.do(dialer.UpdateCampaign{Campaign: up}); !errors.As(err, &fe) || fe.Field != "mode" {
		t.Errorf("mode change while running: %v", err)
	}
}

func TestStatsRates(t *testing.T) {
	h := newHarness(t,
		telephonytest.Rule{Pattern: "+79210000000", Answer: 1, RingTime: telephonytest.Fix(2 * time.Second), TalkTime: telephonytest.Fix(20 * time.Minute)},
		telephonytest.Rule{Pattern: "+79210000001", Answer: 1, RingTime: telephonytest.Fix(2 * time.Second), TalkTime: telephonytest.Fix(20 * time.Minute)},
		quickBusy)
	h.must(dialer.AddCampaign{Campaign: agentCampaign("c", dialer.ModeProgressive)})
	h.staff("q", 4)
	h.contacts("c", 0, 4, nil)
	h.run(t0.Add(15 * time.Minute))
	st, err := h.d.Stats("c", h.now)
	if err != nil {
		t.Fatal(err)
	}
	// Two agents talk from 2 s on, two stay idle: half the staffed time is busy.
	if math.Abs(st.AgentUseRate-0.5) > 0.01 || math.Abs(st.MinuteAgentUseRate-0.5) > 1e-9 {
		t.Errorf("agent use %.4f, last 10 min %.4f; want 0.5", st.AgentUseRate, st.MinuteAgentUseRate)
	}
	if st.Dialled != 4 || st.CustomerAnswered != 0 || st.Done != 2 || st.Executed != 4 || st.Total != 4 || st.Percent != 50 {
		t.Errorf("stats = %+v", st)
	}
	h.run(t0.Add(30 * time.Minute))
	st, _ = h.d.Stats("c", h.now)
	if st.CallSuccessRate != 0.5 || st.AgentAnswerRate != 1 || st.DisturbRate != 0 || st.CustomerAnswered != 2 {
		t.Errorf("rates = %+v", st)
	}
}

func TestAbandonedCallHearsTheMessageThenHangsUp(t *testing.T) {
	h := newHarness(t, longCalls)
	h.noAgents = true
	c := agentCampaign("c", dialer.ModePredictive)
	c.Predictive.AbandonMedia = "sound:all-agents-busy"
	h.must(dialer.AddCampaign{Campaign: c})
	h.staff("q", 1)
	h.contacts("c", 0, 1, nil)
	h.run(t0.Add(time.Minute))
	var played, hungUp time.Time
	for _, a := range h.pbx.Actions() {
		switch {
		case a.Verb == "play" && a.Target == "sound:all-agents-busy":
			played = a.At
		case a.Verb == "hangup" && !played.IsZero() && hungUp.IsZero():
			hungUp = a.At
		}
	}
	// Answered at 2 s, no agent: the message starts at once (well inside 2 s)
	// and the call is hung up when the 3 s playback ends.
	if !played.Equal(t0.Add(2*time.Second)) || !hungUp.Equal(t0.Add(5*time.Second)) {
		t.Errorf("played at %v, hung up at %v", played.Sub(t0), hungUp.Sub(t0))
	}
}

func TestFinishedCampaignWakesForNewContacts(t *testing.T) {
	h := newHarness(t, quickBusy)
	h.must(dialer.AddCampaign{Campaign: ivrCampaign("c")})
	h.contacts("c", 0, 1, nil)
	h.run(t0.Add(time.Minute))
	if st, _ := h.d.State("c"); st != dialer.StateFinished {
		t.Fatalf("state %s", st)
	}
	// An import tells the campaign the source has more: it asks for them.
	h.must(dialer.AddContacts{Campaign: "c"})
	fetched := false
	for _, x := range h.decisions {
		if f, ok := x.(dialer.FetchContacts); ok && f.Campaign == "c" {
			fetched = true
		}
	}
	if st, _ := h.d.State("c"); st != dialer.StateRunning || !fetched {
		t.Errorf("state %s, fetched %v", st, fetched)
	}
}

func TestContactStatusWhileASRPaused(t *testing.T) {
	h := newHarness(t, allFail)
	c := ivrCampaign("c")
	c.Pacing.MaxConcurrent = 1
	c.Pacing.ASR = dialer.ASRGuard{Window: 3, Threshold: 0.5, Cooldown: 10 * time.Minute}
	h.must(dialer.AddCampaign{Campaign: c})
	h.contacts("c", 0, 10, nil)
	h.run(t0.Add(time.Minute))
	if st, err := h.d.ContactStatus("c", "k5"); err != nil || st != dialer.ContactDelayedASR {
		t.Errorf("status %q, %v; want delayed_asr", st, err)
	}
}

func TestScriptTransfer(t *testing.T) {
	for _, tt := range []struct {
		transfer string
		check    func(x dialer.Decision) bool
	}{
		{"channel", func(x dialer.Decision) bool {
			r, ok := x.(dialer.Redirect)
			return ok && r.To.Extension == "700"
		}},
		{"queue", func(x dialer.Decision) bool {
			q, ok := x.(dialer.HandToQueue)
			return ok && q.Queue == "support" && q.MaxWait == 0
		}},
		{"hangup", func(x dialer.Decision) bool {
			_, ok := x.(dialer.Hangup)
			return ok
		}},
	} {
		t.Run(tt.transfer, func(t *testing.T) {
			h := newHarness(t, longCalls)
			c := ivrCampaign("c")
			c.Queue = "support"
			c.Destination.Transfer = tt.transfer
			c.Destination.TransferTarget = telephony.Target{Extension: "700"}
			h.must(dialer.AddCampaign{Campaign: c})
			h.contacts("c", 0, 1, nil)
			h.run(t0.Add(10 * time.Second))
			var fe *dialer.FieldError
			if err := h.do(dialer.ScriptTransfer{Call: "nope"}); !errors.As(err, &fe) || fe.Field != "call" {
				t.Errorf("unknown call: %v", err)
			}
			h.decisions = nil
			h.must(dialer.ScriptTransfer{Call: h.origs[0].req.Call})
			if len(h.decisions) == 0 || !tt.check(h.decisions[0]) {
				t.Errorf("decisions %+v", h.decisions)
			}
		})
	}
}

// TestScriptTransferFromCall: a script's call returning to the app asking for
// a human (telephony.EventScriptTransfer) goes where the campaign says, and
// the attempt's attempt.finished records the transfer.
func TestScriptTransferFromCall(t *testing.T) {
	for _, tt := range []struct {
		name     string
		mode     dialer.Mode
		transfer string
		agent    string // the agent a queue transfer connects to
		first    func(x dialer.Decision) bool
		attrs    map[string]string
	}{
		{"queue with an agent", dialer.ModeIVR, "queue", "a7", func(x dialer.Decision) bool {
			q, ok := x.(dialer.HandToQueue)
			return ok && q.Queue == "support"
		}, map[string]string{"transfer": "queue", "transfer_agent": "a7"}},
		{"queue without an agent", dialer.ModeIVR, "queue", "", func(x dialer.Decision) bool {
			_, ok := x.(dialer.HandToQueue)
			return ok
		}, map[string]string{"transfer": "queue", "transfer_agent": ""}},
		{"channel", dialer.ModeIVR, "channel", "", func(x dialer.Decision) bool {
			r, ok := x.(dialer.Redirect)
			return ok && r.To.Extension == "700"
		}, map[string]string{"transfer": "channel"}},
		{"none", dialer.ModeIVR, "", "", func(x dialer.Decision) bool {
			_, ok := x.(dialer.Hangup)
			return ok
		}, map[string]string{"transfer": "hangup"}},
		{"not an ivr call", dialer.ModeProgressive, "queue", "", func(x dialer.Decision) bool {
			_, ok := x.(dialer.Hangup)
			return ok
		}, map[string]string{"transfer": ""}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, longCalls)
			c := ivrCampaign("c")
			if tt.mode != dialer.ModeIVR {
				c = agentCampaign("c", tt.mode)
			}
			c.Queue = "support"
			c.Destination.Transfer = tt.transfer
			c.Destination.TransferTarget = telephony.Target{Extension: "700"}
			h.must(dialer.AddCampaign{Campaign: c})
			if tt.mode != dialer.ModeIVR {
				h.staff("support", 1)
			}
			h.contacts("c", 0, 1, nil)
			h.run(t0.Add(10 * time.Second))
			if len(h.origs) == 0 {
				t.Fatal("nothing dialled")
			}
			call := h.origs[0].req.Call
			h.decisions = nil
			h.must(dialer.CallEvent{Event: telephony.Event{Kind: telephony.EventScriptTransfer, Call: call}})
			if len(h.decisions) == 0 || !tt.first(h.decisions[0]) {
				t.Fatalf("decisions %+v", h.decisions)
			}
			if tt.agent != "" {
				h.must(dialer.QueueResult{Call: call, Connected: true, Agent: tt.agent})
				if n := h.count(event.AttemptConnected, func(e event.Event) bool {
					return e.Call == string(call) && e.Agent == tt.agent && e.Reason == "transfer"
				}); n != 1 {
					t.Errorf("attempt.connected to %s for the transfer: %d", tt.agent, n)
				}
			}
			h.must(dialer.CallEvent{Event: telephony.Event{Kind: telephony.EventHangup, Call: call, Cause: telephony.CauseNormalClearing}})
			var fin *event.Event
			for i := range h.events {
				if e := h.events[i]; e.Type == event.AttemptFinished && e.Call == string(call) {
					fin = &h.events[i]
				}
			}
			if fin == nil {
				t.Fatalf("no attempt.finished for %s", call)
			}
			for k, want := range tt.attrs {
				if got := fin.Attrs[k]; got != want {
					t.Errorf("attempt.finished %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
