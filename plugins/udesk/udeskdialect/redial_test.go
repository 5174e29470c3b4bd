package udeskdialect_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// recall and follow_on check their bodies and the number's place in the
// task's pool, then answer "not supported yet" without touching the task.
func TestRecallFollowOn(t *testing.T) {
	e := newEnv(t)
	l := newLocal(t, e)
	tn := e.tenant(t, "", 0)
	token := l.login(tn)
	q := func() url.Values { return signed(tn.email, token, l.now, nil) }
	_, body := l.do("POST", "/open_api_v1/cc_ad_tasks", q(), `{"name":"redials","task_type":4,"user_group_id":7}`)
	var r struct{ ID int }
	if json.Unmarshal([]byte(body), &r) != nil || r.ID == 0 {
		t.Fatalf("create: %s", body)
	}
	id := jsonInt(r.ID)
	st, body := l.do("POST", "/open_api_v1/cc_ad_tasks/add_numbers", q(), `{"id":`+id+`,"numbers":[
		{"cellphone":"13412341234","name":"One"},
		{"cellphone":"13223004568,13223004569","name":"Two"}]}`)
	if st != 200 || !strings.Contains(body, `"successful_count":2`) {
		t.Fatalf("add_numbers: %d %s", st, body)
	}
	recallSeed := strings.Replace(seed(t, "recall.request.json"), `"id":1`, `"id":`+id, 1)
	other := e.tenant(t, "", 0)
	otherToken := l.login(other)
	cases := []struct {
		name, path, body string
		q                url.Values
		status, code     int
		exc              string
	}{
		{"the seed's recall", "recall", recallSeed, nil, 501, 2000, "not supported yet: recall"},
		{"a second number, with its country code", "recall", `{"id":` + id + `,"number":"+8613223004569","after_at":"2030-01-01T00:00:00Z"}`, nil, 501, 2000, "not supported yet: recall"},
		{"follow_on", "follow_on", `{"id":` + id + `,"called":"13223004568"}`, nil, 501, 2000, "not supported yet: follow_on"},
		{"a number not in the pool", "recall", `{"id":` + id + `,"number":"13223004570","after_at":"2030-01-01T00:00:00Z"}`, nil, 400, 501032, "number 13223004570 is not in the number pool of task " + id},
		{"follow_on of a number not in the pool", "follow_on", `{"id":` + id + `,"called":"13223004570"}`, nil, 400, 501032, "called 13223004570 is not in the number pool"},
		{"another company's task", "recall", recallSeed, signed(other.email, otherToken, l.now, nil), 404, 2005, "Couldn't find CcAdTask with id=" + id},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			query := c.q
			if query == nil {
				query = q()
			}
			st, got := l.do("POST", "/open_api_v1/cc_ad_tasks/"+c.path, query, c.body)
			if st != c.status || code(t, got) != c.code || !strings.Contains(got, c.exc) {
				t.Errorf("got %d %s\nwant %d code %d containing %q", st, got, c.status, c.code, c.exc)
			}
		})
	}
	page, err := e.host.ListContacts(context.Background(), tn.id, id, dialect.Page{})
	if err != nil || len(page.Contacts) != 2 {
		t.Errorf("the task's contacts changed: %+v %v", page.Contacts, err)
	}
}
