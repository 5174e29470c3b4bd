package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/service"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// An IVR campaign whose robot asks for a human: the script's dialplan
// returns the call with Stasis(switchboard,handoff), the ARI adapter reports
// it, the dialer puts it in the campaign's queue, and the ACD bridges it to a
// logged-in agent; with nobody logged in it waits in the queue.
func TestRobotAsksForAHuman(t *testing.T) {
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
	eventually(t, "the demo ready", func() bool { return logs.saw("demo queue ready") })
	agents, err := svc.Queues().Agents(ctx, service.DemoTenant, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if err := svc.Emulator().SetEndpoint("agents", a.Config.Extension, asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	const scenario = "228cc4fa-92f2-4709-94e3-7344a96a5903"
	if err := svc.Emulator().SetEndpoint("twin24-robot", scenario, asterisk.Behaviour{Result: asterisk.ResultAnswer, HandoffAfter: 4 * time.Second}); err != nil {
		t.Fatal(err)
	}

	// run makes a one-contact campaign and returns its attempt once the
	// call is live and past the robot.
	run := func(name, number string) (store.Campaign, func() []store.Attempt) {
		t.Helper()
		if err := svc.Emulator().SetEndpoint("customers", number, asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: 2 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		c, err := svc.Campaigns().CreateCampaign(ctx, service.DemoTenant, dialer.Campaign{
			Name: name, Mode: dialer.ModeIVR, DefaultRegion: "RU", Queue: store.ACDID(queueID),
			Start: dialer.Start{Mode: dialer.StartManual},
			Destination: dialer.Destination{Kind: dialer.DestDialplan, Transfer: "queue",
				Dialplan: telephony.DialplanTarget{Context: "twin24-robot", Extension: scenario, Priority: 1}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Campaigns().Import(ctx, service.DemoTenant, c.ID, []dialer.ContactInput{{ID: "k", Numbers: []string{number}}}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Campaigns().Start(ctx, service.DemoTenant, c.ID); err != nil {
			t.Fatal(err)
		}
		return c, func() []store.Attempt {
			as, err := svc.Campaigns().Attempts(ctx, service.DemoTenant, c.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			return as
		}
	}
	inBridge := func(call string) bool {
		for _, b := range svc.Emulator().Bridges() {
			if slices.Contains(svc.Emulator().BridgeChannels(b), call) {
				return true
			}
		}
		return false
	}

	t.Run("an agent takes it", func(t *testing.T) {
		_, attempts := run("robot with agents", "+79215550101")
		var call string
		eventually(t, "the call handed to an agent", func() bool {
			as := attempts()
			if len(as) != 1 || as[0].Agent == "" {
				return false
			}
			call = as[0].ID
			return true
		})
		a := attempts()[0]
		if a.AnsweredAt.IsZero() || a.ConnectedAt.Sub(a.AnsweredAt) < 3*time.Second {
			t.Errorf("connected %v after the answer, want after the robot's 4 s", a.ConnectedAt.Sub(a.AnsweredAt))
		}
		if !slices.ContainsFunc(agents, func(ag store.Agent) bool { return fmt.Sprint(ag.ID) == a.Agent || ag.Config.ID == a.Agent }) {
			t.Errorf("agent %q is none of the demo agents", a.Agent)
		}
		eventually(t, "the customer bridged to the agent", func() bool { return inBridge(call) })
	})

	t.Run("nobody logged in", func(t *testing.T) {
		eventually(t, "the first call over", func() bool {
			st, _, err := svc.Queues().Status(ctx, service.DemoTenant, queueID)
			return err == nil && st.Answered == 0 && st.Waiting == 0 && st.Free == 4
		})
		for _, a := range agents {
			if err := svc.Queues().SetAgentStatus(ctx, service.DemoTenant, a.ID, acd.LoggedOut, "test"); err != nil {
				t.Fatal(err)
			}
		}
		_, attempts := run("robot without agents", "+79215550102")
		eventually(t, "the call waiting in the queue", func() bool {
			st, _, err := svc.Queues().Status(ctx, service.DemoTenant, queueID)
			return err == nil && st.Waiting == 1
		})
		as := attempts()
		if len(as) != 1 || as[0].Agent != "" || as[0].AnsweredAt.IsZero() || !as[0].EndedAt.IsZero() {
			t.Errorf("attempts %+v, want one answered and live, with no agent", as)
		}
		if inBridge(as[0].ID) {
			t.Error("the waiting call is bridged")
		}
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}
