package zxycalldialect_test

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/service/servicetest"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/plugins/zxycall/zxycalldialect"
)

// campaign reads a task's campaign as the host stored it.
func campaign(t *testing.T, r *servicetest.Running, tn tenant, task string) dialer.Campaign {
	t.Helper()
	n, err := strconv.ParseInt(task, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.DB().Campaign(r.Ctx, tn.id, n)
	if err != nil {
		t.Fatal(err)
	}
	return c.Config
}

// Time groups, redial rules and caller lines: the defaults a new account gets (once,
// also when asked for at the same time), CRUD through the real service,
// copies into the tasks that name them, bad bodies named by field, and
// another account's objects out of sight.
func TestTimeGroupsRulesAndLines(t *testing.T) {
	r := servicetest.WithPlugin(t, "zxycall")
	a, b := newTenant(t, r, 2), newTenant(t, r, 1)
	norm := func(s string) string { return strings.ReplaceAll(s, a.id, "<user_id>") }
	// The defaults' ids depend on how the requests below interleave.
	ids := regexp.MustCompile(`"(uuid":"|id":)\d+`)
	normIDs := func(s string) string { return ids.ReplaceAllString(norm(s), `"$1<id>`) }

	// Asked for at once, the defaults are still made once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { a.do("GET", "/v1/time_group", "") })
		wg.Go(func() { a.do("GET", "/v1/auto_recycle_rule", "") })
	}
	wg.Wait()
	code, body := a.do("GET", "/v1/time_group", "")
	if code != 200 {
		t.Fatalf("time groups: %d %s", code, body)
	}
	golden(t, "time_groups.json", normIDs(body))
	var groups struct{ Data []zxycalldialect.TimeGroup }
	a.ok("GET", "/v1/time_group", "", &groups)
	if len(groups.Data) != 3 {
		t.Fatalf("%d default time groups, want 3: %s", len(groups.Data), body)
	}
	var rules struct{ Data []zxycalldialect.RecycleRule }
	a.ok("GET", "/v1/auto_recycle_rule", "", &rules)
	if len(rules.Data) != 2 || !rules.Data[0].IsDefault || rules.Data[1].IsDefault {
		t.Fatalf("default rules %+v", rules.Data)
	}
	_, body = a.do("GET", "/v1/auto_recycle_rule", "")
	golden(t, "recycle_rules.json", normIDs(body))

	// Create, read, and use them in a task.
	var g zxycalldialect.TimeGroup
	a.ok("POST", "/v1/time_group", `{"name":"周末","ranges":[{"start":"00:00","end":"24:00","weekdays":[6,"7"]},{"start":"20:30:15","end":"08:00"}],
		"dates":[{"date":"2026-10-01"},{"date":"2026-10-02","ranges":[{"start":"12:00","end":"14:00"}]}]}`, &g)
	_, body = a.do("GET", "/v1/time_group/"+g.UUID, "")
	golden(t, "time_group.json", norm(strings.ReplaceAll(body, `"uuid":"`+g.UUID+`"`, `"uuid":"<id>"`)))
	var rule zxycalldialect.RecycleRule
	a.ok("POST", "/v1/auto_recycle_rule", `{"name":"忙线快速重呼","remark":"","status":true,"max_tries":"3",
		"rules":[{"outcome":"busy","count":2,"interval_seconds":[60,"120"]},{"outcome":"no_answer","count":1,"interval_seconds":[600]}]}`, &rule)
	ruleID := strconv.Itoa(rule.ID)
	_, body = a.do("GET", "/v1/auto_recycle_rule/"+ruleID, "")
	golden(t, "recycle_rule.json", norm(strings.ReplaceAll(body, `"id":`+ruleID+`,`, `"id":"<id>",`)))
	if rule.IsDefault {
		t.Error("a new rule is the default")
	}

	var task zxycalldialect.Entity
	a.ok("POST", "/v1/task", a.taskBody("用自己的", "", 2, g.UUID, rule.ID), &task)
	c := campaign(t, r, a, task.UUID)
	want := dialer.RedialPolicy{MaxTries: 3, Rules: map[telephony.Outcome]dialer.RedialRule{
		telephony.OutcomeBusy:     {Count: 2, Intervals: []time.Duration{time.Minute, 2 * time.Minute}},
		telephony.OutcomeNoAnswer: {Count: 1, Intervals: []time.Duration{10 * time.Minute}}}}
	if len(c.Windows.Blocked) != 1 || c.Windows.Blocked[0].ID != g.UUID || len(c.Windows.Blocked[0].Ranges) != 2 || len(c.Windows.Blocked[0].Dates) != 2 ||
		c.Windows.Blocked[0].Ranges[0].Days[1] != time.Sunday || c.Windows.Zone != "Asia/Shanghai" {
		t.Errorf("task windows %+v", c.Windows)
	}
	if c.Redial.MaxTries != want.MaxTries || len(c.Redial.Rules) != 2 || c.Redial.Rules[telephony.OutcomeBusy].Intervals[1] != 2*time.Minute {
		t.Errorf("task redial %+v, want %+v", c.Redial, want)
	}

	// Changing them changes the task's copies.
	a.ok("PUT", "/v1/time_group/"+g.UUID, `{"name":"午后","ranges":[{"start":"14:00","end":"15:00"}]}`, &g)
	a.ok("PUT", "/v1/auto_recycle_rule/"+ruleID, `{"name":"只重呼一次","rules":[{"outcome":"congestion","count":1,"interval_seconds":[5]}]}`, &rule)
	c = campaign(t, r, a, task.UUID)
	if len(c.Windows.Blocked) != 1 || c.Windows.Blocked[0].Name != "午后" || len(c.Windows.Blocked[0].Ranges) != 1 || c.Windows.Blocked[0].Ranges[0].From != 14*time.Hour {
		t.Errorf("task windows after the change %+v", c.Windows)
	}
	if _, ok := c.Redial.Rules[telephony.OutcomeCongestion]; !ok || len(c.Redial.Rules) != 1 || c.Redial.MaxTries != 0 {
		t.Errorf("task redial after the change %+v", c.Redial)
	}
	for _, e := range a.tasks() {
		if e.UUID == task.UUID && (e.DisableTimeGroup == nil || e.DisableTimeGroup.Name != "午后" || e.AutoRecycleRule == nil || e.AutoRecycleRule.Name != "只重呼一次") {
			t.Errorf("the list embeds %+v and %+v", e.DisableTimeGroup, e.AutoRecycleRule)
		}
	}

	// A caller line changes, but not below its running tasks' maximumcall.
	var cl zxycalldialect.CallerLine
	a.ok("PUT", "/v1/caller_line/"+a.line, `{"name":"改名线路","call_line":"3","call_number":"13530525009"}`, &cl)
	if cl.ID != a.line || cl.Name != "改名线路" || cl.CallLine != 3 || cl.CallNumberPrefix == nil || *cl.CallNumberPrefix != "13530525009" {
		t.Errorf("changed line %+v", cl)
	}
	// The task runs, waiting under a group that blocks the whole day.
	a.ok("PUT", "/v1/time_group/"+g.UUID, `{"name":"全天","ranges":[{"start":"00:00","end":"24:00"}]}`, &g)
	a.ok("POST", "/v1/task/import_task_customer/"+task.UUID, `[{"number":"13223004567"}]`, nil)
	a.ok("GET", "/v1/task/start/"+task.UUID, "", &task)
	if task.Start != 1 {
		t.Fatalf("the task did not start: %+v", task)
	}
	a.refused("call_line below a running task's maximumcall", "PUT", "/v1/caller_line/"+a.line, `{"name":"x","call_line":1}`, zxycalldialect.CodeBadParam, "at least 2")
	a.ok("GET", "/v1/task/stop/"+task.UUID, "", &task)
	if n := campaign(t, r, a, task.UUID); len(n.Windows.Blocked) != 1 || n.Windows.Blocked[0].Name != "全天" {
		t.Errorf("the running task's windows %+v", n.Windows)
	}

	// In use, they cannot go; once the task has gone, they can.
	a.refused("delete a time group in use", "DELETE", "/v1/time_group/"+g.UUID, "", zxycalldialect.CodeState, task.UUID)
	a.refused("delete a rule in use", "DELETE", "/v1/auto_recycle_rule/"+ruleID, "", zxycalldialect.CodeState, task.UUID)
	a.refused("delete a line in use", "DELETE", "/v1/caller_line/"+a.line, "", zxycalldialect.CodeState, "")
	a.ok("GET", "/v1/task/destroy/"+task.UUID, "", nil)
	a.ok("DELETE", "/v1/time_group/"+g.UUID, "", nil)
	a.ok("DELETE", "/v1/auto_recycle_rule/"+ruleID, "", nil)
	a.ok("DELETE", "/v1/caller_line/"+a.line, "", nil)
	a.refused("a deleted line", "GET", "/v1/caller_line/"+a.line, "", zxycalldialect.CodeNotFound, "")
	a.refused("a deleted time group", "GET", "/v1/time_group/"+g.UUID, "", zxycalldialect.CodeNotFound, "")
	a.refused("a deleted rule", "GET", "/v1/auto_recycle_rule/"+ruleID, "", zxycalldialect.CodeNotFound, "")

	mine := groups.Data[0].UUID
	for _, c := range []struct {
		name, method, path, body string
		code                     int
		field                    string
	}{
		{"group not JSON", "POST", "/v1/time_group", `[`, zxycalldialect.CodeBadParam, "body"},
		{"group without name", "POST", "/v1/time_group", `{"ranges":[{"start":"01:00","end":"02:00"}]}`, zxycalldialect.CodeBadParam, "name"},
		{"group without ranges", "POST", "/v1/time_group", `{"name":"x"}`, zxycalldialect.CodeBadParam, "ranges"},
		{"ranges not an array", "POST", "/v1/time_group", `{"name":"x","ranges":{}}`, zxycalldialect.CodeBadParam, "ranges"},
		{"start 25:00", "POST", "/v1/time_group", `{"name":"x","ranges":[{"start":"25:00","end":"02:00"}]}`, zxycalldialect.CodeBadParam, "ranges[0].start"},
		{"end without minutes", "POST", "/v1/time_group", `{"name":"x","ranges":[{"start":"01:00","end":"2"}]}`, zxycalldialect.CodeBadParam, "ranges[0].end"},
		{"empty range", "POST", "/v1/time_group", `{"name":"x","ranges":[{"start":"01:00","end":"01:00"}]}`, zxycalldialect.CodeBadParam, "ranges[0]"},
		{"weekday 8", "POST", "/v1/time_group", `{"name":"x","ranges":[{"start":"01:00","end":"02:00","weekdays":[1,8]}]}`, zxycalldialect.CodeBadParam, "ranges[0].weekdays[1]"},
		{"bad date", "POST", "/v1/time_group", `{"name":"x","dates":[{"date":"2026-13-01"}]}`, zxycalldialect.CodeBadParam, "dates[0].date"},
		{"rule without name", "POST", "/v1/auto_recycle_rule", `{"rules":[]}`, zxycalldialect.CodeBadParam, "name"},
		{"rule with a remark", "POST", "/v1/auto_recycle_rule", `{"name":"x","remark":"备注"}`, zxycalldialect.CodeBadParam, "remark"},
		{"disabled rule", "POST", "/v1/auto_recycle_rule", `{"name":"x","status":false}`, zxycalldialect.CodeBadParam, "status"},
		{"redial answered", "POST", "/v1/auto_recycle_rule", `{"name":"x","rules":[{"outcome":"answered","count":1,"interval_seconds":[1]}]}`, zxycalldialect.CodeBadParam, "rules[0].outcome"},
		{"unknown outcome", "POST", "/v1/auto_recycle_rule", `{"name":"x","rules":[{"outcome":"sad","count":1,"interval_seconds":[1]}]}`, zxycalldialect.CodeBadParam, "rules[0].outcome"},
		{"outcome twice", "POST", "/v1/auto_recycle_rule", `{"name":"x","rules":[{"outcome":"busy","count":1,"interval_seconds":[1]},{"outcome":"busy","count":1,"interval_seconds":[1]}]}`, zxycalldialect.CodeBadParam, "rules[1].outcome"},
		{"count 0", "POST", "/v1/auto_recycle_rule", `{"name":"x","rules":[{"outcome":"busy","count":0,"interval_seconds":[1]}]}`, zxycalldialect.CodeBadParam, "rules[0].count"},
		{"no intervals", "POST", "/v1/auto_recycle_rule", `{"name":"x","rules":[{"outcome":"busy","count":1}]}`, zxycalldialect.CodeBadParam, "rules[0].interval_seconds"},
		{"negative interval", "POST", "/v1/auto_recycle_rule", `{"name":"x","rules":[{"outcome":"busy","count":1,"interval_seconds":[-1]}]}`, zxycalldialect.CodeBadParam, "rules[0].interval_seconds[0]"},
		{"max_tries 51", "POST", "/v1/auto_recycle_rule", `{"name":"x","max_tries":51}`, zxycalldialect.CodeBadParam, "max_tries"},
		{"an unknown group", "GET", "/v1/time_group/99999", "", zxycalldialect.CodeNotFound, ""},
		{"not a group id", "PUT", "/v1/time_group/abc", `{"name":"x","ranges":[{"start":"01:00","end":"02:00"}]}`, zxycalldialect.CodeNotFound, ""},
		{"an unknown rule", "DELETE", "/v1/auto_recycle_rule/99999", "", zxycalldialect.CodeNotFound, ""},
	} {
		a.refused(c.name, c.method, c.path, c.body, c.code, c.field)
	}
	// Another account's objects are not found, and its list has its own defaults.
	b.refused("another account's group", "GET", "/v1/time_group/"+mine, "", zxycalldialect.CodeNotFound, "")
	b.refused("another account's group, changed", "PUT", "/v1/time_group/"+mine, `{"name":"x","ranges":[{"start":"01:00","end":"02:00"}]}`, zxycalldialect.CodeNotFound, "")
	b.refused("another account's group, deleted", "DELETE", "/v1/time_group/"+mine, "", zxycalldialect.CodeNotFound, "")
	b.refused("another account's rule", "GET", "/v1/auto_recycle_rule/"+strconv.Itoa(rules.Data[0].ID), "", zxycalldialect.CodeNotFound, "")
	var theirs struct{ Data []zxycalldialect.TimeGroup }
	b.ok("GET", "/v1/time_group", "", &theirs)
	if len(theirs.Data) != 3 || theirs.Data[0].UUID == mine {
		t.Errorf("another account's time groups %+v", theirs.Data)
	}
	b.refused("a task with another account's time group", "POST", "/v1/task", b.taskBody("x", "", 1, mine, b.noRedial()), zxycalldialect.CodeBadParam, "disable_dial_timegroup")
	b.refused("a task with another account's rule", "POST", "/v1/task", b.taskBody("x", "", 1, theirs.Data[0].UUID, rules.Data[0].ID), zxycalldialect.CodeBadParam, "auto_recycle_rule_id")
	if ts := b.tasks(); len(ts) != 0 {
		t.Errorf("refused tasks were made: %+v", ts)
	}
	a.ok("GET", "/v1/time_group/"+mine, "", nil)
}
