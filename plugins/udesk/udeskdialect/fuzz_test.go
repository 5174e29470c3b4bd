package udeskdialect

import (
	"slices"
	"strings"
	"testing"
)

// codes are every code a decoder may answer with.
var codes = []int{CodeUnknown, CodeNotFound, CodeBadTaskType, CodeBadUserGroup, CodeBadName, CodeBadForcePolicy, CodeBadWorkingTime,
	CodeBadCalloutNumber}

// FuzzDecoders feeds arbitrary bodies to the request decoders: they never
// panic, refuse with a Udesk code, and what they accept is within the
// seed's limits.
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{
		`{"name":"Callout Task","description":"This is a callout task","task_type":1,"user_group_id":100,"force_policy_id":1,"priority":10,"working_time_id":1,"recall_policy":"customer_missed","recall_count":6,"recall_interval":"1,2,3,4,5,6","follow_on_policy":"customer_missed","callout_number":"021002002020","call_limit":"10"}`,
		`{"id":1,"numbers":[{"cellphone":"13223004567","name":"Test number 1","description":"Number description 1"},{"cellphone":"13223004569","custom":{"company":"Udesk","address":"Beijing City"}}]}`,
		`{"name":"x","task_type":"4","user_group_id":"7","priority":1e2,"call_limit":3}`,
		`{"id":"1","numbers":[{"cellphone":"13223004567,13223004568"},{"cellphone":12},null,{"custom":{"a":1}}]}`,
		``, `null`, `[]`, `{"open":true}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, aerr := parseCreate(body)
		if aerr != nil {
			if !slices.Contains(codes, aerr.Code) || aerr.Status < 400 || aerr.Status >= 500 || aerr.Exception == "" {
				t.Fatalf("create refused with %+v", aerr)
			}
		} else {
			if strings.TrimSpace(in.Name) == "" || taskModes[in.TaskType] == "" || in.UserGroupID <= 0 || in.Priority < 1 || in.Priority > 100 ||
				in.RecallCount < 0 || in.CallLimit < 0 || len(in.Intervals) == 0 {
				t.Fatalf("create accepted %+v", in)
			}
			c := in.campaign("CN", fixedTime)
			if c.Name != in.Name || c.Priority != in.Priority || c.Pacing.MaxConcurrent != in.CallLimit {
				t.Fatalf("campaign %+v from %+v", c, in)
			}
		}
		n, aerr := parseAddNumbers(body, "CN")
		if aerr != nil {
			if !slices.Contains(codes, aerr.Code) || aerr.Exception == "" {
				t.Fatalf("add_numbers refused with %+v", aerr)
			}
			return
		}
		if n.id == "" || len(n.entries) == 0 || len(n.entries) > MaxImport {
			t.Fatalf("add_numbers accepted %+v", n)
		}
		for _, e := range n.entries {
			if e.entry.Reason == "" && (len(e.numbers) == 0 || len(e.custom) > MaxCustomFields) {
				t.Fatalf("entry accepted: %+v", e)
			}
		}
	})
}

var fixedTime = mustTime("2026-06-01T12:00:00Z")
