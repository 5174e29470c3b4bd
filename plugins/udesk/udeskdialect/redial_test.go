package udeskdialect_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// recall and follow_on redial a number of the task's pool through the
// host: the pool entry holding it (also a comma-separated cellphone's
// second number) is delayed until after_at, or now for follow_on, and the
// due time is stored; numbers the pool does not hold are 501032 and
// another company's task is 2005, both leaving the pool as it was.
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
		{"cellphone":"13223004568,13223004569","name":"Two"},
		{"cellphone":"13223004570","name":"Three"}]}`)
	if st != 200 || !strings.Contains(body, `"successful_count":3`) {
		t.Fatalf("add_numbers: %d %s", st, body)
	}
	recallSeed := strings.Replace(seed(t, "recall.request.json"), `"id":1`, `"id":`+id, 1)
	other := e.tenant(t, "", 0)
	otherToken := l.login(other)
	refusals := []struct {
		name, path, body string
		q                url.Values
		status, code     int
		exc              string
	}{
		{"a number not in the pool", "recall", `{"id":` + id + `,"number":"13223004571","after_at":"2030-01-01T00:00:00Z"}`, nil, 400, 501032, "number 13223004571 is not in the number pool of task " + id},
		{"follow_on of a number not in the pool", "follow_on", `{"id":` + id + `,"called":"13223004571"}`, nil, 400, 501032, "called 13223004571 is not in the number pool"},
		{"another company's task", "recall", recallSeed, signed(other.email, otherToken, l.now, nil), 404, 2005, "Couldn't find CcAdTask with id=" + id},
		{"another company's task, follow_on", "follow_on", `{"id":` + id + `,"called":"13223004570"}`, signed(other.email, otherToken, l.now, nil), 404, 2005, "Couldn't find CcAdTask with id=" + id},
	}
	for _, c := range refusals {
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
	if err != nil || len(page.Contacts) != 3 {
		t.Fatalf("the task's contacts: %+v %v", page.Contacts, err)
	}
	for _, c := range page.Contacts {
		if c.Status != "scheduled" {
			t.Errorf("%s after refused redials: %s", c.ID, c.Status)
		}
	}

	accepted := []struct {
		name, path, body string
		contact          string
		due              time.Time // zero: now (follow_on)
		want             string
	}{
		{"the seed's recall", "recall", recallSeed, "13412341234", time.Date(2019, 2, 8, 7, 30, 2, 0, time.UTC), seed(t, "recall.response.json")},
		{"a second number, with its country code", "recall", `{"id":` + id + `,"number":"+8613223004569","after_at":"2030-01-01T08:00:00+08:00"}`,
			"13223004568,13223004569", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), seed(t, "recall.response.json")},
		{"the seed's follow_on", "follow_on", `{"id":` + id + `,"called":"13223004570"}`, "13223004570", time.Time{}, seed(t, "follow_on.response.json")},
	}
	for _, c := range accepted {
		t.Run(c.name, func(t *testing.T) {
			st, got := l.do("POST", "/open_api_v1/cc_ad_tasks/"+c.path, q(), c.body)
			if st != 200 || !sameJSON(t, got, c.want) {
				t.Fatalf("got %d %s, want %s", st, got, c.want)
			}
			n, _ := strconv.ParseInt(id, 10, 64)
			row, err := e.db.ContactRow(context.Background(), n, c.contact)
			if err != nil || row.Status != "delayed" || row.NextDue.IsZero() || (!c.due.IsZero() && !row.NextDue.Equal(c.due)) {
				t.Errorf("%s after the redial: %s due %v (%v), want delayed due %v", c.contact, row.Status, row.NextDue, err, c.due)
			}
		})
	}
}
