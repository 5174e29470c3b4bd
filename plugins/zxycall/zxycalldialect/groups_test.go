package zxycalldialect_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/service/servicetest"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/plugins/zxycall/zxycalldialect"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// Agent groups and script groups through the real service and plugin
// process: the default script group (once, also under concurrent first
// requests), CRUD with golden bodies, a task's customer_service_id and
// destination_extension checked and copied into its campaign (queue
// transfer, dialplan target, debug variable), in-use deletes refused, bad
// bodies named by field, and another account's groups out of sight.
func TestAgentAndScriptGroups(t *testing.T) {
	r := servicetest.WithPlugin(t, "zxycall")
	a, b := newTenant(t, r, 2), newTenant(t, r, 1)
	stamps := regexp.MustCompile(`"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"`)
	norm := func(s string, ids map[string]string) string {
		s = stamps.ReplaceAllString(strings.ReplaceAll(s, a.id, "<user_id>"), `"<datetime>"`)
		for from, to := range ids {
			s = strings.ReplaceAll(s, from, to)
		}
		return s
	}

	// A third account asking for its script groups at once gets one default.
	c := newTenantOnly(t, r)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { c.do("GET", "/v1/outbound_group", "") })
		wg.Go(func() { c.do("GET", "/v1/task/create", "") })
	}
	wg.Wait()
	var cs struct{ Data []zxycalldialect.Group }
	c.ok("GET", "/v1/outbound_group", "", &cs)
	if len(cs.Data) != 1 || cs.Data[0].Name == nil || *cs.Data[0].Name != "默认话术" || !cs.Data[0].Default || cs.Data[0].CreatedAt == nil {
		t.Fatalf("script groups after concurrent first requests: %+v", cs.Data)
	}
	var crules struct{ Data []zxycalldialect.RecycleRule }
	c.ok("GET", "/v1/auto_recycle_rule", "", &crules)
	if len(crules.Data) != 2 || crules.Data[0].ID != 1 {
		t.Errorf("the rules list beside the default script group: %+v, want the two default rules from id 1", crules.Data)
	}

	// Script groups: create, read, list.
	var sg zxycalldialect.Group
	a.ok("POST", "/v1/outbound_group", `{"name":"催收话术","debug":true,"link_word_group_id":"5","tag_scene_id":null,"default":false}`, &sg)
	sgID := strconv.Itoa(sg.ID)
	ids := map[string]string{`"id":` + sgID + `,`: `"id":"<group>",`, `"id":` + strconv.Itoa(a.script) + `,`: `"id":"<default>",`}
	_, body := a.do("GET", "/v1/outbound_group/"+sgID, "")
	golden(t, "outbound_group.json", norm(body, ids))
	_, body = a.do("GET", "/v1/outbound_group", "")
	golden(t, "outbound_groups.json", norm(body, ids))
	if sg.Default || !sg.Debug || sg.LinkWordGroupID == nil || *sg.LinkWordGroupID != 5 {
		t.Errorf("created script group %+v", sg)
	}

	// Agent groups: create (a new host queue), read, list.
	var ag zxycalldialect.MetaCustomerService
	a.ok("POST", "/v1/customer_service", `{"name":"组2","caller_line_id":"`+a.line+`","status":"1"}`, &ag)
	agID := strconv.Itoa(ag.ID)
	if q, err := r.DB().Queue(r.Ctx, a.id, int64(ag.ID)); err != nil || q.Tenant != a.id {
		t.Fatalf("agent group %d has no queue of the account: %+v %v", ag.ID, q, err)
	} else if at := q.Config.Attrs; at["name"] != "组2" || at["caller_line_id"] != a.line || at["status"] != "1" || at["created_at"] == "" {
		t.Errorf("agent group %d's fields in its queue's attrs: %v", ag.ID, at)
	}
	// The script group is the plugin's state of the account, keyed by id.
	if v, err := r.DB().GetState(r.Ctx, store.StateKey{Plugin: "zxycall", Account: a.id, Name: fmt.Sprintf("outbound_group/%019d", sg.ID)}, time.Now()); err != nil || !strings.Contains(string(v), `"name":"催收话术"`) {
		t.Errorf("script group %s in the plugin state: %s, %v", sgID, v, err)
	}
	ids[`"id":`+agID+`,`] = `"id":"<agent group>",`
	ids[`"caller_line_id":"`+a.line+`"`] = `"caller_line_id":"<line>"`
	_, body = a.do("GET", "/v1/customer_service/"+agID, "")
	golden(t, "customer_service.json", norm(body, ids))
	var off zxycalldialect.MetaCustomerService
	a.ok("POST", "/v1/customer_service", `{"name":"停用组","caller_line_id":"`+a.line+`","status":0}`, &off)
	var noLine zxycalldialect.MetaCustomerService
	a.ok("POST", "/v1/customer_service", `{"name":"无线路组"}`, &noLine)
	if noLine.Status != 1 || noLine.CallerLineID != nil {
		t.Errorf("a group without a line %+v", noLine)
	}
	var ags struct {
		Data []zxycalldialect.MetaCustomerService
	}
	a.ok("GET", "/v1/customer_service", "", &ags)
	if len(ags.Data) != 3 || ags.Data[0].ID != ag.ID || ags.Data[1].Status != 0 || ags.Data[2].CallerLineID != nil {
		t.Errorf("agent groups %+v", ags.Data)
	}

	// A queue made elsewhere is listed without name and line, is not usable,
	// and is adopted by a PUT.
	bare, err := r.Queues().CreateQueue(r.Ctx, a.id, "", "", acd.NewQueueConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	bareID := strconv.FormatInt(bare.ID, 10)
	var got zxycalldialect.MetaCustomerService
	a.ok("GET", "/v1/customer_service/"+bareID, "", &got)
	if got.ID != int(bare.ID) || got.Name != nil || got.CallerLineID != nil || got.Status != 1 {
		t.Errorf("a queue made elsewhere: %+v", got)
	}
	var task zxycalldialect.Entity
	tb := strings.Replace(a.taskBody("转人工", "", 1, a.timeGroup(), a.noRedial()), `"destination_extension":`+strconv.Itoa(a.script), `"destination_extension":`+sgID, 1)
	withGroup := func(id int) string {
		return strings.Replace(tb, `"maximumcall"`, `"customer_service_id":`+strconv.Itoa(id)+`,"maximumcall"`, 1)
	}
	a.refused("a queue made elsewhere", "POST", "/v1/task", withGroup(int(bare.ID)), zxycalldialect.CodeBadParam, "customer_service_id")
	a.ok("PUT", "/v1/customer_service/"+bareID, `{"name":"收编","caller_line_id":"`+a.line+`"}`, &got)
	var adopted zxycalldialect.Entity
	a.ok("POST", "/v1/task", withGroup(int(bare.ID)), &adopted)
	a.ok("GET", "/v1/task/destroy/"+adopted.UUID, "", nil)
	a.ok("DELETE", "/v1/customer_service/"+bareID, "", nil)
	if _, err := r.DB().Queue(r.Ctx, a.id, bare.ID); err == nil {
		t.Error("a deleted adopted group's queue is still stored")
	}
	a.ok("POST", "/v1/task", withGroup(ag.ID), &task)
	cp := campaign(t, r, a, task.UUID)
	if cp.Queue != agID || cp.Destination.Transfer != "queue" || cp.Destination.Kind != dialer.DestDialplan ||
		cp.Destination.Dialplan.Context != "default" || cp.Destination.Dialplan.Extension != sgID || cp.Destination.Dialplan.Priority != 1 ||
		cp.Variables["ZXYCALL_DEBUG"] != "1" {
		t.Errorf("task campaign queue %q destination %+v variables %v", cp.Queue, cp.Destination, cp.Variables)
	}
	if task.CustomerServiceID == nil || *task.CustomerServiceID != ag.ID || task.Group == nil || task.Group.Name == nil || *task.Group.Name != "催收话术" ||
		!task.Group.Debug || task.GroupStr == nil || *task.GroupStr != "催收话术" {
		t.Errorf("task entity customer_service_id %v group %+v group_str %v", task.CustomerServiceID, task.Group, task.GroupStr)
	}
	for _, e := range a.tasks() {
		if e.UUID == task.UUID && (e.Group == nil || e.Group.Name == nil || *e.Group.Name != "催收话术" || !e.Group.Debug || e.Group.Default) {
			t.Errorf("the list embeds group %+v", e.Group)
		}
	}
	// Changing the script group copies its debug into the task.
	a.ok("PUT", "/v1/outbound_group/"+sgID, `{"name":"催收话术二","debug":false,"default":false}`, &sg)
	if cp = campaign(t, r, a, task.UUID); len(cp.Variables) != 0 {
		t.Errorf("task variables after debug off: %v", cp.Variables)
	}
	if sg.Name == nil || *sg.Name != "催收话术二" || sg.Debug || sg.LinkWordGroupID != nil {
		t.Errorf("changed script group %+v", sg)
	}
	// Changing the agent group keeps its queue and creation stamp.
	var ag2 zxycalldialect.MetaCustomerService
	a.ok("PUT", "/v1/customer_service/"+agID, `{"name":"组2改","caller_line_id":"`+a.line+`"}`, &ag2)
	if ag2.ID != ag.ID || ag2.Name == nil || *ag2.Name != "组2改" || ag2.CreatedAt == nil || *ag2.CreatedAt != *ag.CreatedAt || ag2.Status != 1 {
		t.Errorf("changed agent group %+v (was %+v)", ag2, ag)
	}

	for _, c := range []struct {
		name, method, path, body string
		code                     int
		field                    string
	}{
		{"a disabled agent group", "POST", "/v1/task", withGroup(off.ID), zxycalldialect.CodeBadParam, "customer_service_id"},
		{"an agent group without a line", "POST", "/v1/task", withGroup(noLine.ID), zxycalldialect.CodeBadParam, "customer_service_id"},
		{"a script group id as the agent group", "POST", "/v1/task", withGroup(sg.ID), zxycalldialect.CodeBadParam, "customer_service_id"},
		{"a rule as the script group", "POST", "/v1/task", strings.Replace(tb, `"destination_extension":`+sgID, `"destination_extension":`+strconv.Itoa(a.noRedial()), 1), zxycalldialect.CodeBadParam, "destination_extension"},
		{"a script group as the rule", "POST", "/v1/task", strings.Replace(tb, `"auto_recycle_rule_id":`+strconv.Itoa(a.noRedial()), `"auto_recycle_rule_id":`+sgID, 1), zxycalldialect.CodeBadParam, "auto_recycle_rule_id"},
		{"a script group read as a rule", "GET", "/v1/auto_recycle_rule/" + sgID, "", zxycalldialect.CodeNotFound, ""},
		{"a script group changed as a rule", "PUT", "/v1/auto_recycle_rule/" + sgID, `{"name":"x"}`, zxycalldialect.CodeNotFound, ""},
		{"a script group deleted as a rule", "DELETE", "/v1/auto_recycle_rule/" + sgID, "", zxycalldialect.CodeNotFound, ""},
		{"a rule read as a script group", "GET", "/v1/outbound_group/" + strconv.Itoa(a.noRedial()), "", zxycalldialect.CodeNotFound, ""},
		{"script group without name", "POST", "/v1/outbound_group", `{"debug":true}`, zxycalldialect.CodeBadParam, "name"},
		{"script group debug not a bool", "POST", "/v1/outbound_group", `{"name":"x","debug":"yes"}`, zxycalldialect.CodeBadParam, "debug"},
		{"script group link_word_group_id 0", "POST", "/v1/outbound_group", `{"name":"x","link_word_group_id":0}`, zxycalldialect.CodeBadParam, "link_word_group_id"},
		{"a new script group as the default", "POST", "/v1/outbound_group", `{"name":"x","default":true}`, zxycalldialect.CodeBadParam, "default"},
		{"the default made not default", "PUT", "/v1/outbound_group/" + strconv.Itoa(a.script), `{"name":"x","default":false}`, zxycalldialect.CodeBadParam, "default"},
		{"agent group not JSON", "POST", "/v1/customer_service", `[`, zxycalldialect.CodeBadParam, "body"},
		{"agent group without name", "POST", "/v1/customer_service", `{"status":1}`, zxycalldialect.CodeBadParam, "name"},
		{"agent group status 2", "POST", "/v1/customer_service", `{"name":"x","status":2}`, zxycalldialect.CodeBadParam, "status"},
		{"agent group with an unknown line", "POST", "/v1/customer_service", `{"name":"x","caller_line_id":"99999"}`, zxycalldialect.CodeBadParam, "caller_line_id"},
		{"agent group with another account's line", "POST", "/v1/customer_service", `{"name":"x","caller_line_id":"` + b.line + `"}`, zxycalldialect.CodeBadParam, "caller_line_id"},
		{"an unknown agent group", "GET", "/v1/customer_service/99999", "", zxycalldialect.CodeNotFound, ""},
		{"not an agent group id", "PUT", "/v1/customer_service/abc", `{"name":"x"}`, zxycalldialect.CodeNotFound, ""},
		{"an unknown script group", "DELETE", "/v1/outbound_group/99999", "", zxycalldialect.CodeNotFound, ""},
		{"delete an agent group in use", "DELETE", "/v1/customer_service/" + agID, "", zxycalldialect.CodeState, task.UUID},
		{"delete a script group in use", "DELETE", "/v1/outbound_group/" + sgID, "", zxycalldialect.CodeState, task.UUID},
		{"delete a transfer line", "DELETE", "/v1/caller_line/" + a.line, "", zxycalldialect.CodeState, agID},
	} {
		a.refused(c.name, c.method, c.path, c.body, c.code, c.field)
	}
	// Nothing refused was stored.
	var after struct{ Data []zxycalldialect.Group }
	a.ok("GET", "/v1/outbound_group", "", &after)
	a.ok("GET", "/v1/customer_service", "", &ags)
	if len(after.Data) != 2 || len(ags.Data) != 3 || len(a.tasks()) != 1 {
		t.Errorf("after refusals: %d script groups, %d agent groups, %d tasks", len(after.Data), len(ags.Data), len(a.tasks()))
	}

	// Another account sees none of them.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/customer_service/" + agID, ""},
		{"PUT", "/v1/customer_service/" + agID, `{"name":"x"}`},
		{"DELETE", "/v1/customer_service/" + agID, ""},
		{"GET", "/v1/outbound_group/" + sgID, ""},
		{"PUT", "/v1/outbound_group/" + sgID, `{"name":"x"}`},
		{"DELETE", "/v1/outbound_group/" + sgID, ""},
	} {
		b.refused("another account's "+c.path, c.method, c.path, c.body, zxycalldialect.CodeNotFound, "")
	}
	b.refused("a task with another account's script group", "POST", "/v1/task", strings.Replace(b.taskBody("x", "", 1, b.timeGroup(), b.noRedial()),
		`"destination_extension":`+strconv.Itoa(b.script), `"destination_extension":`+sgID, 1), zxycalldialect.CodeBadParam, "destination_extension")
	b.refused("a task with another account's agent group", "POST", "/v1/task", strings.Replace(b.taskBody("x", "", 1, b.timeGroup(), b.noRedial()),
		`"maximumcall"`, `"customer_service_id":`+agID+`,"maximumcall"`, 1), zxycalldialect.CodeBadParam, "customer_service_id")
	var bags struct {
		Data []zxycalldialect.MetaCustomerService
	}
	var bsgs struct{ Data []zxycalldialect.Group }
	b.ok("GET", "/v1/customer_service", "", &bags)
	b.ok("GET", "/v1/outbound_group", "", &bsgs)
	if len(bags.Data) != 0 || len(bsgs.Data) != 1 || bsgs.Data[0].ID != b.script {
		t.Errorf("another account's groups: %+v %+v", bags.Data, bsgs.Data)
	}

	// Once the task has gone, the groups can go: the agent group with its queue.
	a.ok("GET", "/v1/task/destroy/"+task.UUID, "", nil)
	a.ok("DELETE", "/v1/customer_service/"+agID, "", nil)
	a.ok("DELETE", "/v1/outbound_group/"+sgID, "", nil)
	a.refused("a deleted agent group", "GET", "/v1/customer_service/"+agID, "", zxycalldialect.CodeNotFound, "")
	a.refused("a deleted script group", "GET", "/v1/outbound_group/"+sgID, "", zxycalldialect.CodeNotFound, "")
	if _, err := r.DB().Queue(r.Ctx, a.id, int64(ag.ID)); err == nil {
		t.Error("a deleted agent group's queue is still stored")
	}
	a.refused("a line other agent groups use", "DELETE", "/v1/caller_line/"+a.line, "", zxycalldialect.CodeState, strconv.Itoa(off.ID))
	a.ok("DELETE", "/v1/customer_service/"+strconv.Itoa(off.ID), "", nil)
	a.ok("DELETE", "/v1/caller_line/"+a.line, "", nil)
}

// newTenantOnly provisions an account and asks it for nothing.
func newTenantOnly(t *testing.T, r *servicetest.Running) tenant {
	t.Helper()
	acct, creds, err := accounts.Create(r.Ctx, r.DB(), accounts.Request{Dialect: "zxycall"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tenant{client: client{t: t, base: r.URL(), token: creds["token"]}, id: acct.ID}
}

// timeGroup is the id of the account's first time group.
func (tn tenant) timeGroup() string {
	tn.t.Helper()
	var gs struct{ Data []zxycalldialect.TimeGroup }
	tn.ok("GET", "/v1/time_group", "", &gs)
	if len(gs.Data) == 0 {
		tn.t.Fatal("no time groups")
	}
	return gs.Data[0].UUID
}

// A script's request for a human takes the call to the task's agent group:
// the real service at 50× emulator speed dials the customer, runs the
// call in the group's script (default,<script group>,1), the script asks for
// a human after 20 s (Goto(switchboard-handoff,s,1), back to the Stasis app
// with "handoff"), and the dialer hands the call to the group's queue,
// where it waits for an agent.
func TestAgentGroupTransfer(t *testing.T) {
	r := servicetest.WithPlugin(t, "zxycall", servicetest.Speed(50))
	a := newTenant(t, r, 1)
	emu := r.Emulator()
	robot := asterisk.Behaviour{Result: asterisk.ResultAnswer, HandoffAfter: 20 * time.Second}
	if err := emu.SetEndpoint("default", strconv.Itoa(a.script), robot); err != nil {
		t.Fatal(err)
	}
	if err := emu.SetEndpoint("customers", "+8613223004567", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: time.Hour}); err != nil {
		t.Fatal(err)
	}
	var g zxycalldialect.TimeGroup
	a.ok("POST", "/v1/time_group", `{"name":"远","ranges":[`+farWindow(t)+`]}`, &g)
	var ag zxycalldialect.MetaCustomerService
	a.ok("POST", "/v1/customer_service", `{"name":"人工","caller_line_id":"`+a.line+`"}`, &ag)
	var task zxycalldialect.Entity
	a.ok("POST", "/v1/task", strings.Replace(a.taskBody("转人工", "", 1, g.UUID, a.noRedial()), `"maximumcall"`,
		`"customer_service_id":`+strconv.Itoa(ag.ID)+`,"maximumcall"`, 1), &task)
	a.ok("POST", "/v1/task/import_task_customer/"+task.UUID, `[{"number":"13223004567"}]`, nil)
	a.ok("GET", "/v1/task/start/"+task.UUID, "", nil)

	campaignID, err := strconv.ParseInt(task.UUID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var call string
	for call == "" {
		atts, err := r.DB().Attempts(r.Ctx, campaignID, "13223004567")
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range atts {
			if !at.ConnectedAt.IsZero() && at.EndedAt.IsZero() {
				call = at.ID
			}
		}
		if call == "" {
			if time.Now().After(deadline) {
				t.Fatalf("the call did not reach the script: %+v", atts)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for {
		_, members, err := r.Queues().Status(r.Ctx, a.id, int64(ag.ID))
		if err != nil {
			t.Fatal(err)
		}
		if len(members) == 1 {
			if members[0].Caller != call {
				t.Fatalf("the agent group's queue holds %+v, want call %s", members, call)
			}
			break
		}
		if len(members) > 1 || time.Now().After(deadline) {
			t.Fatalf("the agent group's queue holds %+v, want the transferred call", members)
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.ok("GET", "/v1/task/stop/"+task.UUID, "", nil)
}

// A task's call_notify_url shows a script's hand-off to its agent group:
// the robot asks for a human after 20 s, the group's one logged-in agent
// takes the call, and the notification names the transfer and the agent.
func TestCallNotifyHandoff(t *testing.T) {
	r := servicetest.WithPlugin(t, "zxycall", servicetest.Speed(50))
	a := newTenant(t, r, 1)
	emu := r.Emulator()
	robot := asterisk.Behaviour{Result: asterisk.ResultAnswer, HandoffAfter: 20 * time.Second}
	if err := emu.SetEndpoint("default", strconv.Itoa(a.script), robot); err != nil {
		t.Fatal(err)
	}
	if err := emu.SetEndpoint("customers", "+8613223004567", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := emu.SetEndpoint("agents", "2001", asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: time.Second, HangupAfter: time.Hour}); err != nil {
		t.Fatal(err)
	}
	var g zxycalldialect.TimeGroup
	a.ok("POST", "/v1/time_group", `{"name":"远","ranges":[`+farWindow(t)+`]}`, &g)
	var ag zxycalldialect.MetaCustomerService
	a.ok("POST", "/v1/customer_service", `{"name":"人工","caller_line_id":"`+a.line+`"}`, &ag)
	cfg := acd.NewAgentConfig("new", acd.LocalAgent)
	cfg.Extension = "2001"
	agent, err := r.Queues().CreateAgent(r.Ctx, a.id, cfg, acd.Available, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Queues().SetTier(r.Ctx, a.id, store.Tier{QueueID: int64(ag.ID), AgentID: agent.ID, Level: 1, Position: 1}); err != nil {
		t.Fatal(err)
	}
	rec := newReceiver(t)
	var task zxycalldialect.Entity
	a.ok("POST", "/v1/task", strings.Replace(a.taskBody("转人工", rec.URL+"/notify", 1, g.UUID, a.noRedial()), `"maximumcall"`,
		`"customer_service_id":`+strconv.Itoa(ag.ID)+`,"maximumcall"`, 1), &task)
	a.ok("POST", "/v1/task/import_task_customer/"+task.UUID, `[{"number":"13223004567"}]`, nil)
	a.ok("GET", "/v1/task/start/"+task.UUID, "", nil)

	got := rec.wait(1, time.Now().Add(20*time.Second))
	if len(got) != 1 {
		t.Fatalf("%d notifications, want 1: %+v", len(got), got)
	}
	n := got[0].body
	if n.TaskUUID != task.UUID || n.Number != "13223004567" || n.Outcome != "answered" || n.HangupCause != nil ||
		n.Transfer == nil || *n.Transfer != "queue" || n.Agent == nil || *n.Agent != store.ACDID(agent.ID) {
		t.Errorf("notification %s, want the call transferred to the group's queue and taken by agent %d", got[0].raw, agent.ID)
	}
	// The customer hangs up a minute after answering, 20 s of it with the robot.
	if n.Duration < 55 || n.Duration > 70 {
		t.Errorf("duration %d, want about 60: %s", n.Duration, got[0].raw)
	}
	if !decidedFields(got[0].raw) {
		t.Errorf("body %s has other fields than the decided eight", got[0].raw)
	}
}
