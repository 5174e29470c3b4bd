package ringmedialect_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// A scheduler holds many tasks for one a_number (its campaign dedupes by
// id); a scheduler stored before that keeps one per a_number (409 naming
// it) until it is next changed.
func TestTasksWithTheSameANumber(t *testing.T) {
	f := newFixture(t)
	tok := f.token("12", "s12")
	ctx := context.Background()
	two := `{"tasks":[{"a_number":"89215550001","b_number":"89215550002"},{"a_number":"+79215550001","b_number":"89215550003"}]}`

	code, body := f.do(tok, "POST", "/client/@me/task_scheduler/", `{"name":"new"}`)
	if code != 201 {
		t.Fatalf("scheduler: %d %s", code, body)
	}
	var s struct{ ID json.Number }
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	o, err := f.host.GetObject(ctx, "12", dialect.KindCampaign, s.ID.String())
	if err != nil || !strings.Contains(string(o.Spec), `"dedupe_by":"id"`) {
		t.Fatalf("the scheduler's campaign %s %v", o.Spec, err)
	}
	if code, body := f.do(tok, "POST", "/client/@me/task_scheduler/"+s.ID.String()+"/tasks/", two); code != 201 || strings.Count(body, `"id":`) != 2 {
		t.Errorf("two tasks for one a_number: %d %s", code, body)
	}

	spec, _ := json.Marshal(dialer.Campaign{Name: "old", Mode: dialer.ModeCallback, DefaultRegion: "RU", Start: dialer.Start{Mode: dialer.StartManual},
		Redial: dialer.RedialPolicy{MaxTries: 1}})
	old, err := f.host.PutObject(ctx, "12", dialect.Object{Kind: dialect.KindCampaign, Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	path := "/client/@me/task_scheduler/" + old.ID
	if code, body := f.do(tok, "POST", path+"/tasks/", two); code != 409 || !strings.Contains(body, `"field":"tasks[1].a_number"`) {
		t.Errorf("an older scheduler, two tasks for one a_number: %d %s", code, body)
	}
	if code, body := f.do(tok, "PUT", path, `{"name":"old, changed"}`); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, body := f.do(tok, "POST", path+"/tasks/", two); code != 201 || strings.Count(body, `"id":`) != 2 {
		t.Errorf("the changed scheduler, two tasks for one a_number: %d %s", code, body)
	}
}
