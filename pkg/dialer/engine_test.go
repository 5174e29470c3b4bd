package dialer_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/pkg/telephony/telephonytest"
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

func (r *recorder) count(t event.Type) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Type == t {
			n++
		}
	}
	return n
}

// queue answers every hand-off by connecting the call.
type queue struct{ e *dialer.Engine }

func (q *queue) HandToQueue(ctx context.Context, h dialer.HandToQueue) error {
	go func() { _ = q.e.Do(ctx, dialer.QueueResult{Call: h.Call, Connected: true, Agent: "a1"}) }()
	return nil
}

func TestEngineRunsACampaignOnTheFakePBX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pbx := telephonytest.New(telephonytest.Config{Seed: 1, Rules: []telephonytest.Rule{
			{Pattern: "+79210000001", Busy: 1, QuickTime: telephonytest.Fix(2 * time.Second)},
			{Answer: 1, RingTime: telephonytest.Fix(3 * time.Second), TalkTime: telephonytest.Fix(30 * time.Second)},
		}})
		src := dialer.NewMemorySource()
		for i, n := range []string{"89210000000", "89210000001", "89210000002"} {
			c, _, err := dialer.NewContact(dialer.ContactInput{ID: string(rune('a' + i)), Numbers: []string{n}}, "RU")
			if err != nil {
				t.Fatal(err)
			}
			src.Add("c", c)
		}
		rec := &recorder{}
		eng, err := dialer.NewEngine(dialer.EngineConfig{Clock: pbx.Clock(), Port: pbx, Calls: pbx, Contacts: src, Publisher: rec})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- eng.Run(ctx) }()

		c := ivrCampaign("c")
		c.Redial.Rules = map[telephony.Outcome]dialer.RedialRule{telephony.OutcomeBusy: {Count: 1, Intervals: []time.Duration{time.Minute}}}
		if err := eng.Do(ctx, dialer.AddCampaign{Campaign: c}); err != nil {
			t.Fatal(err)
		}
		var fe *dialer.FieldError
		if err := eng.Do(ctx, dialer.AddCampaign{Campaign: dialer.Campaign{ID: "bad"}}); !errors.As(err, &fe) {
			t.Errorf("bad campaign through the engine: %v", err)
		}
		for range 150 {
			synctest.Wait()
			pbx.Advance(time.Second)
		}
		synctest.Wait()
		st, err := eng.Stats(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		if st.State != dialer.StateFinished || st.Dialled != 4 || st.Outcomes[telephony.OutcomeAnswered] != 2 || st.Outcomes[telephony.OutcomeBusy] != 2 {
			t.Errorf("stats = %+v", st)
		}
		if n := rec.count(event.AttemptFinished); n != 4 {
			t.Errorf("published %d attempt.finished, want 4", n)
		}
		continued := 0
		for _, a := range pbx.Actions() {
			if a.Verb == "continue" && a.Target == "robot,s,1" {
				continued++
			}
		}
		if continued != 2 {
			t.Errorf("continued %d calls to the robot, want 2", continued)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := eng.Do(context.Background(), dialer.StartCampaign{Campaign: "c"}); err == nil {
			t.Error("Do after Run returned succeeded")
		}
	})
}

func TestEngineConfigErrors(t *testing.T) {
	var fe *dialer.FieldError
	if _, err := dialer.NewEngine(dialer.EngineConfig{}); !errors.As(err, &fe) || fe.Field != "port" {
		t.Errorf("NewEngine without port: %v", err)
	}
}

func TestEngineHandsAnsweredCallsToTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pbx := telephonytest.New(telephonytest.Config{Seed: 1, Rules: []telephonytest.Rule{longCalls}})
		src := dialer.NewMemorySource()
		for i := range 5 {
			c, _, _ := dialer.NewContact(dialer.ContactInput{ID: string(rune('a' + i)), Numbers: []string{"8921000000" + string(rune('0'+i))}}, "RU")
			src.Add("c", c)
		}
		rec := &recorder{}
		q := &queue{}
		eng, err := dialer.NewEngine(dialer.EngineConfig{Clock: pbx.Clock(), Port: pbx, Calls: pbx, Contacts: src, Publisher: rec, Queue: q})
		if err != nil {
			t.Fatal(err)
		}
		q.e = eng
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _ = eng.Run(ctx) }()
		if err := eng.Do(ctx, dialer.AddCampaign{Campaign: agentCampaign("c", dialer.ModeProgressive)}); err != nil {
			t.Fatal(err)
		}
		if err := eng.Do(ctx, dialer.AgentSupply{Queue: "q", Staffed: 2, Idle: 2}); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			synctest.Wait()
			pbx.Advance(time.Second)
		}
		synctest.Wait()
		if n := rec.count(event.AttemptConnected); n != 2 {
			t.Errorf("connected %d calls with 2 agents, want 2", n)
		}
		if _, maxLive := pbx.Live(); maxLive != 2 {
			t.Errorf("max live %d, want 2", maxLive)
		}
	})
}

// flakySource fails its first call, then serves from a MemorySource.
type flakySource struct {
	mu    sync.Mutex
	calls int
	src   *dialer.MemorySource
}

func (f *flakySource) NextContacts(ctx context.Context, campaign, cursor string, max int) ([]dialer.Contact, string, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	if n == 1 {
		return nil, cursor, errors.New("database is down")
	}
	return f.src.NextContacts(ctx, campaign, cursor, max)
}

func TestEngineRetriesTheContactSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pbx := telephonytest.New(telephonytest.Config{Rules: []telephonytest.Rule{quickBusy}})
		src := &flakySource{src: dialer.NewMemorySource()}
		c, _, _ := dialer.NewContact(dialer.ContactInput{ID: "a", Numbers: []string{"89210000000"}}, "RU")
		src.src.Add("c", c)
		eng, err := dialer.NewEngine(dialer.EngineConfig{Clock: pbx.Clock(), Port: pbx, Calls: pbx, Contacts: src})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _ = eng.Run(ctx) }()
		if err := eng.Do(ctx, dialer.AddCampaign{Campaign: ivrCampaign("c")}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if _, maxLive := pbx.Live(); maxLive != 0 {
			t.Fatal("dialled before the source answered")
		}
		for range 4 {
			pbx.Advance(time.Second)
			synctest.Wait()
		}
		if st, _ := eng.Stats(ctx, "c"); st.Dialled != 0 {
			t.Fatalf("asked the failed source again before 5 s: %+v", st)
		}
		for range 6 {
			pbx.Advance(time.Second)
			synctest.Wait()
		}
		st, _ := eng.Stats(ctx, "c")
		if st.Dialled != 1 || st.State != dialer.StateFinished {
			t.Errorf("after the source recovered: %+v", st)
		}
	})
}
