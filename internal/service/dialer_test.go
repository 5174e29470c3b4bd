package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/service"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// A progressive campaign created through the campaigns service dials its
// contacts through the emulator, paced by the demo queue's agent supply;
// answered calls reach the demo agents, busy numbers are redialled by the
// rules, and every attempt and outcome is in the store.
func TestProgressiveCampaignIntoTheDemoQueue(t *testing.T) {
	logs := &logWatch{}
	svc, stop := start(t, service.Options{Demo: true, EmulatorSpeed: 20, Logger: slog.New(logs)})
	ctx := context.Background()
	var queueID int64
	eventually(t, "the demo agents logged in", func() bool {
		qs, _ := svc.Queues().Queues(ctx, service.DemoTenant)
		if len(qs) != 1 {
			return false
		}
		queueID = qs[0].ID
		st, _, err := svc.Queues().Status(ctx, service.DemoTenant, queueID)
		return err == nil && st.LoggedIn == 4
	})
	// Once the demo has programmed its agents' phones, make them quick: the
	// agents answer in a second and talk 5 s, so a customer (patient for a
	// minute) never waits long whatever the pacing's lag.
	eventually(t, "the demo ready", func() bool { return logs.saw("demo queue ready") })
	agents, err := svc.Queues().Agents(ctx, service.DemoTenant, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if err := svc.Emulator().SetEndpoint("agents", a.Config.Extension, asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}

	const answering, busy = 6, 2
	var in []dialer.ContactInput
	for i := range answering + busy {
		number := fmt.Sprintf("+7921555%04d", i)
		b := asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: 2 * time.Second, HangupAfter: time.Minute}
		if i >= answering {
			b = asterisk.Behaviour{Result: asterisk.ResultBusy, RingFor: time.Second}
		}
		if err := svc.Emulator().SetEndpoint("customers", number, b); err != nil {
			t.Fatal(err)
		}
		in = append(in, dialer.ContactInput{ID: fmt.Sprint("c", i), Name: fmt.Sprint("Customer ", i), Numbers: []string{number}})
	}
	in = append(in, dialer.ContactInput{ID: "bad", Numbers: []string{"12"}})

	cfg := dialer.Campaign{
		Name: "progressive demo", Mode: dialer.ModeProgressive, DefaultRegion: "RU", Queue: store.ACDID(queueID),
		Start:      dialer.Start{Mode: dialer.StartManual},
		Redial:     dialer.RedialPolicy{Rules: map[telephony.Outcome]dialer.RedialRule{telephony.OutcomeBusy: {Count: 1, Intervals: []time.Duration{20 * time.Second}}}},
		Predictive: dialer.Predictive{ConnectWithin: 40 * time.Second},
	}
	c, err := svc.Campaigns().CreateCampaign(ctx, service.DemoTenant, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Campaigns().Campaign(ctx, "someone-else", c.ID); err == nil {
		t.Fatal("another tenant sees the campaign")
	}
	res, err := svc.Campaigns().Import(ctx, service.DemoTenant, c.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != answering+busy || len(res.Rejected) != 1 || res.Rejected[0].Index != answering+busy || res.Rejected[0].Reason != dialer.ReasonInvalidNumber {
		t.Fatalf("import %+v", res)
	}
	if err := svc.Campaigns().Start(ctx, service.DemoTenant, c.ID); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(40 * time.Second)
	for {
		st, err := svc.Campaigns().Status(ctx, service.DemoTenant, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Campaign.State == dialer.StateFinished && st.Contacts[dialer.ContactFinished] == answering+busy {
			if st.Stats.AgentConnected != answering {
				t.Errorf("agent-connected %d, want %d (stats %+v)", st.Stats.AgentConnected, answering, st.Stats)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign not finished: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}

	as, err := svc.Campaigns().Attempts(ctx, service.DemoTenant, c.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	per := map[string][]store.Attempt{}
	for _, a := range as {
		per[a.ContactID] = append(per[a.ContactID], a)
		if a.EndedAt.IsZero() || a.Outcome == "" {
			t.Errorf("attempt %s not finished: %+v", a.ID, a)
		}
	}
	for i := range answering + busy {
		id := fmt.Sprint("c", i)
		got := per[id]
		switch {
		case i < answering:
			if len(got) != 1 || got[0].Outcome != string(telephony.OutcomeAnswered) || got[0].Agent == "" || got[0].ConnectedAt.IsZero() {
				t.Errorf("%s attempts %+v, want one answered and connected to an agent", id, got)
			}
		default:
			if len(got) != 2 || got[0].Outcome != string(telephony.OutcomeBusy) || got[1].Outcome != string(telephony.OutcomeBusy) || got[1].Try != 2 {
				t.Errorf("%s attempts %+v, want two busy tries", id, got)
			}
		}
		row, err := svc.DB().ContactRow(ctx, c.ID, id)
		if err != nil || row.Status != dialer.ContactFinished || row.InTry {
			t.Errorf("%s stored %+v %v", id, row, err)
		}
	}
	// Progressive: never more calls at once than the queue's agents.
	if n := maxOverlap(as); n > 4 {
		t.Errorf("%d calls at once for 4 agents", n)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// maxOverlap is the most attempts live at the same moment.
func maxOverlap(as []store.Attempt) int {
	best := 0
	for _, a := range as {
		n := 0
		for _, b := range as {
			if !b.StartedAt.After(a.StartedAt) && b.EndedAt.After(a.StartedAt) {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// logWatch is a slog handler that remembers the messages logged.
type logWatch struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (l *logWatch) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logWatch) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logWatch) WithGroup(string) slog.Handler      { return l }

func (l *logWatch) saw(msg string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if strings.Contains(m, msg) {
			return true
		}
	}
	return false
}
