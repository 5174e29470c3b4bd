package dialer_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/pkg/telephony/telephonytest"
)

// randomCampaign draws a campaign with random limits, windows and redial rules.
func randomCampaign(r *rand.Rand, id string, trunk string) dialer.Campaign {
	modes := []dialer.Mode{dialer.ModeIVR, dialer.ModeCallback, dialer.ModeProgressive, dialer.ModeRatio, dialer.ModePredictive}
	var c dialer.Campaign
	switch m := modes[r.IntN(len(modes))]; m {
	case dialer.ModeIVR:
		c = ivrCampaign(id)
	case dialer.ModeCallback:
		c = dialer.Campaign{ID: id, Name: id, Mode: m, DefaultRegion: "RU", Start: dialer.Start{Mode: dialer.StartNow}}
	default:
		c = agentCampaign(id, m)
		c.Queue = "q-" + id
	}
	c.Trunk = trunk
	c.Priority = 1 + r.IntN(100)
	if r.IntN(3) > 0 {
		c.Pacing.Rate = dialer.Rate{Calls: 1 + r.Int64N(5), Per: time.Duration(1+r.IntN(20)) * time.Second}
		c.Pacing.Burst = 1 + r.IntN(4)
	}
	if r.IntN(2) == 0 {
		c.Pacing.MaxConcurrent = 2 + r.IntN(8)
		if r.IntN(2) == 0 {
			c.Pacing.PauseBetweenCalls = time.Duration(r.IntN(15)) * time.Second
		}
	}
	if r.IntN(3) == 0 {
		c.Pacing.MaxConcurrentContacts = 1 + r.IntN(5)
	}
	if r.IntN(4) == 0 {
		c.Pacing.StartInterval = time.Duration(1+r.IntN(30)) * time.Second
	}
	if r.IntN(4) == 0 {
		c.Pacing.ASR = dialer.ASRGuard{Window: 5 + r.IntN(20), Threshold: 0.5 + r.Float64()*0.4, Cooldown: time.Minute}
	}
	if r.IntN(2) == 0 {
		from := time.Duration(r.IntN(24)) * time.Hour
		c.Windows.Blocked = []dialer.TimeGroup{{ID: "b", Ranges: []dialer.TimeRange{{From: from, To: from + time.Duration(1+r.IntN(90))*time.Minute}}}}
		if c.Windows.Blocked[0].Ranges[0].To > 24*time.Hour {
			c.Windows.Blocked[0].Ranges[0].To -= 24 * time.Hour
		}
	}
	if r.IntN(3) == 0 {
		c.Windows.CalleeLocal = true
		c.Windows.Allowed = []dialer.TimeGroup{{ID: "a", Ranges: []dialer.TimeRange{{From: 8 * time.Hour, To: 20 * time.Hour}}}}
	}
	c.Redial.Rules = map[telephony.Outcome]dialer.RedialRule{}
	for _, o := range []telephony.Outcome{telephony.OutcomeBusy, telephony.OutcomeNoAnswer, telephony.OutcomeCongestion, telephony.OutcomeAbandoned} {
		if r.IntN(2) == 0 {
			c.Redial.Rules[o] = dialer.RedialRule{Count: r.IntN(3), Intervals: []time.Duration{time.Duration(r.IntN(600)) * time.Second}}
		}
	}
	if r.IntN(3) == 0 {
		c.Redial.MaxTries = 1 + r.IntN(4)
	}
	if r.IntN(4) == 0 {
		c.Redial.FollowOn = []telephony.Outcome{telephony.OutcomeRejected}
	}
	return c
}

// allowedTries is the most tries a contact may get under c's rules.
func allowedTries(c dialer.Campaign) int {
	if c.Redial.MaxTries > 0 {
		return c.Redial.MaxTries
	}
	n := 1
	for _, r := range c.Redial.Rules {
		n += r.Count
	}
	if len(c.Redial.FollowOn) > 0 {
		n += max(c.Redial.FollowOnCount, 1)
	}
	return n
}

func TestInvariantsOverRandomSimulations(t *testing.T) {
	seeds := 10
	if testing.Short() {
		seeds = 4
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			rule := telephonytest.Rule{Answer: r.Float64(), Machine: r.Float64() * 0.2, Busy: r.Float64(), NoAnswer: r.Float64(), Congestion: r.Float64() * 0.5,
				Rejected: r.Float64() * 0.3, Failed: r.Float64() * 0.3, RingTime: telephonytest.Exp(8 * time.Second), TalkTime: telephonytest.Exp(time.Duration(10+r.IntN(200)) * time.Second)}
			h := newHarness(t, rule)
			h.now = t0.Add(time.Duration(r.IntN(24)) * time.Hour)
			trunkMax := 3 + r.IntN(10)
			h.must(dialer.PutTrunk{Trunk: dialer.Trunk{ID: "line", MaxConcurrent: trunkMax}})
			camps := map[string]dialer.Campaign{}
			for i := range 1 + r.IntN(3) {
				id := "c" + strconv.Itoa(i)
				c := randomCampaign(r, id, "line")
				c.Pacing.MaxConcurrent = min(c.Pacing.MaxConcurrent, trunkMax)
				if c.Pacing.MaxConcurrent == 0 {
					c.Pacing.PauseBetweenCalls = 0
				}
				h.must(dialer.AddCampaign{Campaign: c})
				c.SetDefaults()
				camps[id] = c
				if c.Queue != "" {
					h.staff(c.Queue, 1+r.IntN(6))
				}
				h.contacts(id, i*100000, 60+r.IntN(200), func(in *dialer.ContactInput) {
					if c.Mode == dialer.ModeCallback {
						in.Callback = fmt.Sprintf("+7903%07d", r.IntN(10_000_000))
					}
					if r.IntN(4) == 0 {
						in.Numbers = append(in.Numbers, fmt.Sprintf("+7916%07d", r.IntN(10_000_000)))
					}
				})
			}
			start := h.now
			end := start.Add(6 * time.Hour)
			for h.now.Before(end) {
				h.run(h.now.Add(time.Duration(5+r.IntN(40)) * time.Minute))
				// Stop or restart a campaign now and then.
				if r.IntN(5) == 0 {
					id := "c" + strconv.Itoa(r.IntN(len(camps)))
					if st, _ := h.d.State(id); st == dialer.StateRunning {
						h.must(dialer.StopCampaign{Campaign: id})
					} else if st == dialer.StateStopped {
						h.must(dialer.StartCampaign{Campaign: id})
					}
				}
			}
			h.run(end.Add(2 * time.Hour)) // let calls finish
			checkInvariants(t, h, camps, trunkMax)
		})
	}
}

func checkInvariants(t *testing.T, h *harness, camps map[string]dialer.Campaign, trunkMax int) {
	t.Helper()
	if got := h.pbx.MaxLiveOnTrunk("line"); got > trunkMax {
		t.Errorf("trunk carried %d calls, max %d", got, trunkMax)
	}
	// State per campaign over time, from the events.
	type span struct {
		at    time.Time
		state string
	}
	states := map[string][]span{}
	for _, e := range h.events {
		if e.Type == event.CampaignStateChanged {
			states[e.Campaign] = append(states[e.Campaign], span{e.At, e.To})
		}
	}
	stateAt := func(c string, at time.Time) string {
		s := ""
		for _, x := range states[c] {
			if !x.at.After(at) {
				s = x.state
			}
		}
		return s
	}
	type edge struct {
		at    time.Time
		delta int
	}
	for id, c := range camps {
		var aLegs []time.Time
		var edges []edge
		live := map[string]telephony.CallID{}
		tries := map[string]map[string]bool{}
		for _, o := range h.origs {
			if o.campaign != id {
				continue
			}
			end, ok := h.ends[o.req.Call]
			if !ok {
				t.Errorf("%s: call %s never ended", id, o.req.Call)
				continue
			}
			edges = append(edges, edge{o.at, 1}, edge{end, -1})
			bLeg := o.req.Variables["SWITCHBOARD_LEG"] == "b"
			if !bLeg {
				aLegs = append(aLegs, o.at)
				if st := stateAt(id, o.at); st != string(dialer.StateRunning) {
					t.Errorf("%s: dialled at %s while %q", id, o.at, st)
				}
				var zones []string
				if n, err := dialer.NormalizeNumber(o.req.Target.Number, "RU"); err == nil {
					zones = n.Zones
				}
				if !c.Windows.Open(o.at, zones) {
					t.Errorf("%s: dialled %s at %s outside its windows", id, o.req.Target.Number, o.at)
				}
			}
			_ = live
		}
		for _, e := range h.events {
			if e.Campaign == id && e.Type == event.AttemptStarted && e.Attrs["leg"] == "" {
				if tries[e.Contact] == nil {
					tries[e.Contact] = map[string]bool{}
				}
				tries[e.Contact][e.Attrs["try"]] = true
			}
		}
		for contact, ts := range tries {
			if len(ts) > allowedTries(c) {
				t.Errorf("%s: contact %s got %d tries, rules allow %d", id, contact, len(ts), allowedTries(c))
			}
		}
		// Concurrency: ends sort before starts at the same instant (a channel freed and reused).
		slices.SortFunc(edges, func(a, b edge) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return a.delta - b.delta
		})
		cur, peak := 0, 0
		for _, e := range edges {
			cur += e.delta
			peak = max(peak, cur)
		}
		if c.Pacing.MaxConcurrent > 0 && peak > c.Pacing.MaxConcurrent {
			t.Errorf("%s: %d calls at once, max %d", id, peak, c.Pacing.MaxConcurrent)
		}
		// CPS: any B+k consecutive calls span at least k periods of the rate.
		if rt := c.Pacing.Rate; !rt.IsZero() {
			b := c.Pacing.Burst
			for i := range aLegs {
				for _, k := range []int{1, 2, 5} {
					j := i + b + k - 1
					if j >= len(aLegs) {
						break
					}
					if span := aLegs[j].Sub(aLegs[i]); int64(span)*rt.Calls < int64(k)*int64(rt.Per) {
						t.Fatalf("%s: %d calls in %s exceed rate %s burst %d", id, b+k, span, rt, b)
					}
				}
			}
		}
		// No number is in two calls at once.
		byNumber := map[string][]edge{}
		for _, o := range h.origs {
			if o.campaign == id {
				byNumber[o.req.Target.Number] = append(byNumber[o.req.Target.Number], edge{o.at, 1}, edge{h.ends[o.req.Call], -1})
			}
		}
		for n, es := range byNumber {
			slices.SortFunc(es, func(a, b edge) int {
				if c := a.at.Compare(b.at); c != 0 {
					return c
				}
				return a.delta - b.delta
			})
			cur := 0
			for _, e := range es {
				cur += e.delta
				if cur > 1 {
					t.Errorf("%s: %s dialled twice at once", id, n)
					break
				}
			}
		}
	}
	if h.d.LiveCalls() != 0 {
		t.Errorf("%d calls still live in the dialer after the PBX went quiet", h.d.LiveCalls())
	}
}
