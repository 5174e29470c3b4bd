package zxycalldialect_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/plugins/zxycall/zxycalldialect"
)

// The request decoders (task, customers, line, time group, rule, agent
// group, script group) never panic, name the field they refuse, and a body
// they accept satisfies the required fields and fixed values.
func FuzzDecodeTask(f *testing.F) {
	f.Add([]byte(`{"caller_line_id":"1","destination_extension":297,"disable_dial_timegroup":"146979fe-3864-4817-ad76-13b37f43bb1c","maximumcall":1,"name":"测试任务","random_assignment_number":0,"recycle_limit":0,"remark":"第一个任务","_originate_timeout":60,"call_pause_second":10,"auto_recycle_rule_id":1}`))
	f.Add([]byte(`{"maximumcall":"2","_originate_timeout":1e1}`))
	f.Add([]byte(`{"call_notify_url":"http://127.0.0.1:81/api/hangup_notify","call_notify_type":2}`))
	f.Add([]byte(`{"call_notify_url":"ftp://x","call_notify_type":"1"}`))
	f.Add([]byte(`{"name":"周末","ranges":[{"start":"00:00","end":"24:00","weekdays":[6,"7"]}],"dates":[{"date":"2026-10-01"}]}`))
	f.Add([]byte(`{"name":"x","max_tries":"3","rules":[{"outcome":"busy","count":2,"interval_seconds":[60,"120"]}]}`))
	f.Add([]byte(`{"name":"组2","caller_line_id":"1","status":"1"}`))
	f.Add([]byte(`{"name":"催收话术","debug":1,"link_word_group_id":"5","tag_scene_id":null,"default":false}`))
	f.Add([]byte(`[1]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, fe := zxycalldialect.DecodeTask(body)
		if fe == nil {
			if in.Name == nil || in.Maximumcall == nil || *in.Maximumcall < 1 || *in.RecycleLimit != 0 || *in.RandomAssignmentNumber != 0 ||
				in.OriginateTimeout == nil || *in.OriginateTimeout < 1 || in.CallerLineID == nil || in.AutoRecycleRuleID == nil {
				t.Fatalf("accepted %q as %+v", body, in)
			}
			if in.CallNotifyURL != nil && strings.TrimSpace(*in.CallNotifyURL) != "" {
				u, err := url.Parse(strings.TrimSpace(*in.CallNotifyURL))
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
					t.Fatalf("accepted call_notify_url %q", *in.CallNotifyURL)
				}
			}
			if in.CallNotifyType != nil && *in.CallNotifyType != 2 {
				t.Fatalf("accepted call_notify_type %d", *in.CallNotifyType)
			}
		} else if fe.Field == "" {
			t.Fatalf("an error naming no field: %v", fe)
		}
		_, _ = zxycalldialect.DecodeCustomers("text/csv", body)
		_, _ = zxycalldialect.DecodeCustomers("application/json", body)
		_, _ = zxycalldialect.DecodeLine(body)
		if g, fe := zxycalldialect.DecodeTimeGroup(body); fe == nil && (g.Name == "" || len(g.Ranges)+len(g.Dates) == 0) {
			t.Fatalf("accepted time group %q as %+v", body, g)
		} else if fe != nil && fe.Field == "" {
			t.Fatalf("a time group error naming no field: %v", fe)
		}
		if _, fe := zxycalldialect.DecodeRecycleRule(body); fe != nil && fe.Field == "" {
			t.Fatalf("a rule error naming no field: %v", fe)
		}
		if g, fe := zxycalldialect.DecodeAgentGroup(body); fe == nil && (strings.TrimSpace(g.Name) == "" || (g.Status != 0 && g.Status != 1)) {
			t.Fatalf("accepted agent group %q as %+v", body, g)
		} else if fe != nil && fe.Field == "" {
			t.Fatalf("an agent group error naming no field: %v", fe)
		}
		if g, fe := zxycalldialect.DecodeScriptGroup(body); fe == nil && (strings.TrimSpace(g.Name) == "" ||
			g.LinkWordGroupID != nil && *g.LinkWordGroupID <= 0 || g.TagSceneID != nil && *g.TagSceneID <= 0) {
			t.Fatalf("accepted script group %q as %+v", body, g)
		} else if fe != nil && fe.Field == "" {
			t.Fatalf("a script group error naming no field: %v", fe)
		}
	})
}
