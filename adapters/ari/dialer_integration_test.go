package ari_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/ari"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) Publish(es ...event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, es...)
}

func (r *recorder) outcomes() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for _, e := range r.events {
		if e.Type == event.AttemptFinished {
			out[e.Contact] = e.Outcome
		}
	}
	return out
}

// An outbound IVR campaign run by pkg/dialer through the ARI adapter against
// the emulator, where every contact's number is an endpoint programmed for
// one outcome; answering machines are found by AMD in the dialplan.
func TestDialerCampaignHitsEachOutcome(t *testing.T) {
	clk := &asterisk.Scaled{Factor: 20}
	emu, err := asterisk.Start(asterisk.Config{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	contacts := []struct {
		id, number string
		b          asterisk.Behaviour
		want       telephony.Outcome
	}{
		{"answer", "89210000001", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: 2 * time.Second, HangupAfter: 30 * time.Second}, telephony.OutcomeAnswered},
		{"busy", "89210000002", asterisk.Behaviour{Result: asterisk.ResultBusy}, telephony.OutcomeBusy},
		{"noanswer", "89210000003", asterisk.Behaviour{Result: asterisk.ResultNoAnswer}, telephony.OutcomeNoAnswer},
		{"congestion", "89210000004", asterisk.Behaviour{Result: asterisk.ResultCongestion}, telephony.OutcomeCongestion},
		{"reject", "89210000005", asterisk.Behaviour{Result: asterisk.ResultReject, RingFor: time.Second}, telephony.OutcomeRejected},
		{"machine", "89210000006", asterisk.Behaviour{Result: asterisk.ResultMachine, RingFor: time.Second}, telephony.OutcomeMachine},
		{"unallocated", "89210000007", asterisk.Behaviour{Result: asterisk.ResultUnallocated}, telephony.OutcomeFailed},
	}
	src := dialer.NewMemorySource()
	for _, c := range contacts {
		ct, _, err := dialer.NewContact(dialer.ContactInput{ID: c.id, Numbers: []string{c.number}}, "RU")
		if err != nil {
			t.Fatal(err)
		}
		if err := emu.SetEndpoint("customers", ct.Numbers[0].E164, c.b); err != nil {
			t.Fatal(err)
		}
		src.Add("camp", ct)
	}
	port, err := ari.New(ari.Config{Servers: []ari.ServerConfig{{Name: "emu", URL: emu.ARIURL(), User: "ari", Password: "ari"}},
		NumberTemplate: "Local/{number}@customers", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	port.Start()
	defer port.Close()
	for deadline := time.Now().Add(5 * time.Second); port.Healthy() != nil; {
		if time.Now().After(deadline) {
			t.Fatal(port.Healthy())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)

	rec := &recorder{}
	eng, err := dialer.NewEngine(dialer.EngineConfig{Clock: clk, Port: port, Calls: port, Contacts: src, Publisher: rec})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	camp := dialer.Campaign{ID: "camp", Name: "camp", Mode: dialer.ModeIVR, DefaultRegion: "RU",
		Start: dialer.Start{Mode: dialer.StartNow}, RingTimeout: 10 * time.Second,
		AMD:         dialer.AMD{Enabled: true, OnMachine: "hangup"},
		Destination: dialer.Destination{Kind: dialer.DestDialplan, Dialplan: telephony.DialplanTarget{Context: "hold", Extension: "robot", Priority: 1}}}
	if err := eng.Do(ctx, dialer.AddCampaign{Campaign: camp}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := eng.Stats(ctx, "camp")
		if err != nil {
			t.Fatal(err)
		}
		if st.State == dialer.StateFinished {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign not finished: %+v; outcomes so far %v", st, rec.outcomes())
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := rec.outcomes()
	for _, c := range contacts {
		if got[c.id] != string(c.want) {
			t.Errorf("contact %s: outcome %q, want %q", c.id, got[c.id], c.want)
		}
	}
	if n := len(emu.Channels()); n != 0 {
		t.Errorf("%d channels left on the PBX", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
