package dialer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// FuzzDialerCommands feeds the Dialer arbitrary command sequences decoded
// from bytes. Whatever the sequence: no panic, no call id originated twice,
// no originate for a campaign that is not running, counters stay sane.
func FuzzDialerCommands(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add([]byte{0, 0, 2, 2, 9, 9, 9, 9, 3, 3, 9, 9, 4, 1, 2, 5, 5, 5, 9})
	f.Add([]byte{1, 4, 2, 10, 6, 7, 7, 8, 11, 3, 12, 5, 0, 13})
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, data []byte) {
	{
		d, err := dialer.New(dialer.Config{FetchBatch: 10})
		if err != nil {
			t.Fatal(err)
		}
		now := t0
		seen := map[telephony.CallID]bool{}
		var live []telephony.CallID
		running := map[string]bool{}
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		campaigns := []string{"a", "b"}
		for len(data) > 0 {
			op := next()
			id := campaigns[int(next())%2]
			var cmd dialer.Command
			switch op % 15 {
			case 0:
				c := ivrCampaign(id)
				if b := next(); b%3 == 0 {
					c = agentCampaign(id, []dialer.Mode{dialer.ModeProgressive, dialer.ModeRatio, dialer.ModePredictive}[int(b/3)%3])
				} else if b%3 == 1 {
					c = dialer.Campaign{ID: id, Name: id, Mode: dialer.ModeCallback, DefaultRegion: "RU"}
				}
				c.Start.Mode = []dialer.StartMode{dialer.StartNow, dialer.StartManual, dialer.StartAt, "bogus"}[int(next())%4]
				c.Start.At = now.Add(time.Duration(next()) * time.Second)
				c.Pacing.MaxConcurrent = int(next()%6) - 1
				c.Pacing.Rate = dialer.Rate{Calls: int64(next() % 4), Per: time.Duration(next()%5) * time.Second}
				c.Trunk = []string{"", "t"}[int(next())%2]
				c.Redial.Rules = map[telephony.Outcome]dialer.RedialRule{telephony.Outcomes[int(next())%len(telephony.Outcomes)]: {Count: int(next() % 3), Intervals: []time.Duration{time.Duration(next()) * time.Second}}}
				cmd = dialer.AddCampaign{Campaign: c}
			case 1:
				cmd = dialer.PutTrunk{Trunk: dialer.Trunk{ID: "t", MaxConcurrent: int(next()%5) - 1}}
			case 2:
				var cs []dialer.Contact
				for i := range int(next() % 5) {
					in := dialer.ContactInput{ID: fmt.Sprint(next() % 8), Numbers: []string{fmt.Sprintf("+7921000%04d", int(next())%16+i)}}
					if next()%2 == 0 {
						in.Callback = "+79031234567"
					}
					if c, _, err := dialer.NewContact(in, "RU"); err == nil {
						cs = append(cs, c)
					}
				}
				cmd = dialer.AddContacts{Campaign: id, Contacts: cs, Exhausted: next()%2 == 0}
			case 3:
				cmd = dialer.StartCampaign{Campaign: id}
			case 4:
				cmd = dialer.StopCampaign{Campaign: id}
			case 5, 6, 7:
				if len(live) == 0 {
					continue
				}
				call := live[int(next())%len(live)]
				kinds := []telephony.EventKind{telephony.EventRinging, telephony.EventAnswered, telephony.EventHangup, telephony.EventMachineDetection, telephony.EventOriginateFailed, telephony.EventScriptTransfer}
				cmd = dialer.CallEvent{Event: telephony.Event{Kind: kinds[int(next())%len(kinds)], Call: call, Cause: telephony.Cause(next() % 45), Machine: next()%2 == 0}}
			case 8:
				staffed := int(next() % 6)
				cmd = dialer.AgentSupply{Queue: "q", Staffed: staffed, Idle: int(next() % 7)}
			case 9:
				now = now.Add(time.Duration(next()) * time.Second)
			case 10:
				if len(live) == 0 {
					continue
				}
				cmd = dialer.QueueResult{Call: live[int(next())%len(live)], Connected: next()%2 == 0}
			case 11:
				cmd = dialer.Recall{Campaign: id, Number: fmt.Sprintf("+7921000%04d", next()%16), At: now.Add(time.Duration(next()) * time.Second)}
			case 12:
				cmd = dialer.FollowOn{Campaign: id, Number: fmt.Sprintf("+7921000%04d", next()%16)}
			case 13:
				cmd = dialer.RemoveCampaign{Campaign: id}
			case 14:
				if len(live) == 0 {
					continue
				}
				cmd = dialer.ScriptTransfer{Call: live[int(next())%len(live)]}
			}
			var out dialer.Output
			if cmd == nil {
				out = d.Advance(now)
			} else {
				out, err = d.Handle(now, cmd)
				if err != nil {
					continue
				}
			}
			for _, e := range out.Events {
				if e.Type == event.CampaignStateChanged {
					running[e.Campaign] = e.To == string(dialer.StateRunning)
				}
			}
			for _, x := range out.Decisions {
				if o, ok := x.(dialer.Originate); ok {
					if seen[o.Request.Call] {
						t.Fatalf("call id %s originated twice", o.Request.Call)
					}
					// A callback's B leg belongs to a task already under way: it may go while stopping.
					if !running[o.Campaign] && o.Request.Variables["SWITCHBOARD_LEG"] != "b" {
						st, _ := d.State(o.Campaign)
						t.Fatalf("originate for %s while not running (state %s, cmd %T %+v)", o.Campaign, st, cmd, cmd)
					}
					seen[o.Request.Call] = true
					live = append(live, o.Request.Call)
				}
			}
			if !out.Wake.IsZero() && out.Wake.Before(now) {
				t.Fatalf("wake %s before now %s", out.Wake, now)
			}
			for _, c := range campaigns {
				st, err := d.Stats(c, now)
				if err != nil {
					continue
				}
				if st.Done > st.Total || st.Done < 0 || st.LiveCalls < 0 || st.Dialled < 0 {
					t.Fatalf("stats of %s: %+v", c, st)
				}
			}
		}
	}
}
