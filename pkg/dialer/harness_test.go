package dialer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/pkg/telephony/telephonytest"
)

var t0 = telephonytest.DefaultStart // Monday 2026-01-05 09:00 UTC

// originated is one Originate decision as the harness saw it.
type originated struct {
	at       time.Time
	campaign string
	contact  string
	req      telephony.OriginateRequest
}

// harness drives a Dialer against the fake PBX in virtual time, answering
// HandToQueue from a simple agent pool per queue.
type harness struct {
	t         *testing.T
	d         *dialer.Dialer
	pbx       *telephonytest.PBX
	now       time.Time
	wake      time.Time
	origs     []originated
	decisions []dialer.Decision
	events    []event.Event
	agents    map[string]int // queue → idle agents
	staffed   map[string]int
	onCall    map[telephony.CallID]string
	ends      map[telephony.CallID]time.Time
	// connect decides a HandToQueue: true connects to an idle agent if any.
	noAgents bool
	// failRecord makes every Record fail, as a PBX that refuses it.
	failRecord bool
}

func newHarness(t *testing.T, rules ...telephonytest.Rule) *harness {
	t.Helper()
	d, err := dialer.New(dialer.Config{CallIDPrefix: "t", FetchBatch: 50})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, d: d, pbx: telephonytest.New(telephonytest.Config{Seed: 3, Rules: rules}), now: t0,
		agents: map[string]int{}, staffed: map[string]int{}, onCall: map[telephony.CallID]string{}, ends: map[telephony.CallID]time.Time{}}
}

func (h *harness) must(cmd dialer.Command) {
	h.t.Helper()
	if err := h.do(cmd); err != nil {
		h.t.Fatalf("%T: %v", cmd, err)
	}
}

func (h *harness) do(cmd dialer.Command) error {
	out, err := h.d.Handle(h.now, cmd)
	if err != nil {
		return err
	}
	h.apply(out)
	return nil
}

func (h *harness) apply(out dialer.Output) {
	h.wake = out.Wake
	h.events = append(h.events, out.Events...)
	ctx := context.Background()
	for _, x := range out.Decisions {
		h.decisions = append(h.decisions, x)
		switch x := x.(type) {
		case dialer.Originate:
			h.origs = append(h.origs, originated{at: h.now, campaign: x.Campaign, contact: x.Contact, req: x.Request})
			if err := h.pbx.Originate(ctx, x.Request); err != nil {
				h.t.Fatalf("originate: %v", err)
			}
		case dialer.Hangup:
			_ = h.pbx.Hangup(ctx, x.Call, x.Cause)
		case dialer.Play:
			_ = h.pbx.Play(ctx, x.Call, x.Media)
		case dialer.Record:
			if err := h.pbx.RecordCall(ctx, x.Call, x.Name); err != nil || h.failRecord {
				h.must(dialer.RecordingFailed(x))
			}
		case dialer.HandToQueue:
			if x.MaxWait == 0 {
				continue // a script's transfer: left waiting in the queue
			}
			if !h.noAgents && h.agents[x.Queue] > 0 {
				h.agents[x.Queue]--
				h.onCall[x.Call] = x.Queue
				h.must(dialer.QueueResult{Call: x.Call, Connected: true, Agent: "a"})
				h.supply(x.Queue)
			} else {
				h.must(dialer.QueueResult{Call: x.Call, Connected: false})
			}
		}
	}
}

// staff puts n idle agents on queue.
func (h *harness) staff(queue string, n int) {
	h.agents[queue] = n
	h.staffed[queue] = n
	h.supply(queue)
}

func (h *harness) supply(queue string) {
	h.must(dialer.AgentSupply{Queue: queue, Staffed: h.staffed[queue], Idle: h.agents[queue]})
}

// contacts adds n contacts with generated Russian mobiles, numbered from first.
func (h *harness) contacts(campaign string, first, n int, edit func(*dialer.ContactInput)) {
	h.t.Helper()
	var cs []dialer.Contact
	for i := first; i < first+n; i++ {
		in := dialer.ContactInput{ID: fmt.Sprint("k", i), Numbers: []string{fmt.Sprintf("+7921%07d", i)}}
		if edit != nil {
			edit(&in)
		}
		c, _, err := dialer.NewContact(in, "RU")
		if err != nil {
			h.t.Fatal(err)
		}
		cs = append(cs, c)
	}
	h.must(dialer.AddContacts{Campaign: campaign, Contacts: cs, Exhausted: true})
}

// run advances virtual time to until, feeding PBX events and wake-ups.
func (h *harness) run(until time.Time) {
	for {
		next := until
		if t, ok := h.pbx.NextAt(); ok && t.Before(next) {
			next = t
		}
		if !h.wake.IsZero() && h.wake.Before(next) {
			next = h.wake
		}
		if next.Before(h.now) {
			next = h.now
		}
		h.now = next
		h.pbx.Clock().Set(next)
		for _, e := range h.pbx.PopDue(next) {
			if e.Kind == telephony.EventHangup {
				h.ends[e.Call] = e.At
			}
			if q, ok := h.onCall[e.Call]; ok && e.Kind == telephony.EventHangup {
				delete(h.onCall, e.Call)
				h.agents[q]++
				h.supply(q)
			}
			h.must(dialer.CallEvent{Event: e})
		}
		h.apply(h.d.Advance(h.now))
		if !h.now.Before(until) {
			return
		}
	}
}

func (h *harness) count(typ event.Type, filter func(event.Event) bool) int {
	n := 0
	for _, e := range h.events {
		if e.Type == typ && (filter == nil || filter(e)) {
			n++
		}
	}
	return n
}

func (h *harness) originatesOf(campaign string) []originated {
	var out []originated
	for _, o := range h.origs {
		if o.campaign == campaign {
			out = append(out, o)
		}
	}
	return out
}

func ivrCampaign(id string) dialer.Campaign {
	return dialer.Campaign{ID: id, Name: id, Mode: dialer.ModeIVR, DefaultRegion: "RU", Start: dialer.Start{Mode: dialer.StartNow},
		Destination: dialer.Destination{Kind: dialer.DestDialplan, Dialplan: telephony.DialplanTarget{Context: "robot", Extension: "s", Priority: 1}}}
}

func agentCampaign(id string, mode dialer.Mode) dialer.Campaign {
	return dialer.Campaign{ID: id, Name: id, Mode: mode, DefaultRegion: "RU", Queue: "q", Start: dialer.Start{Mode: dialer.StartNow}}
}

// Rules used by the tests.
var (
	longCalls = telephonytest.Rule{Answer: 1, RingTime: telephonytest.Fix(2 * time.Second), TalkTime: telephonytest.Fix(10 * time.Minute)}
	quickBusy = telephonytest.Rule{Busy: 1, QuickTime: telephonytest.Fix(2 * time.Second)}
	allFail   = telephonytest.Rule{Congestion: 1, QuickTime: telephonytest.Fix(time.Second)}
)
