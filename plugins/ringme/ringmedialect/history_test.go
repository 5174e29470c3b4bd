package ringmedialect_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// The call history list: the client's calls, each as GET
// …/call_history/{call_uuid} answers it, oldest first; paged by position;
// filtered by scheduler, task, time and number; another client's calls
// are never in it. The whole list is testdata/call_history_list.json.
func TestListCallHistory(t *testing.T) {
	f := newFixture(t)
	tok, other := f.token("12", "s12"), f.token("13", "s13")
	sched := func(tk string) string {
		t.Helper()
		code, b := f.do(tk, "POST", "/client/@me/task_scheduler/", `{"name":"cb"}`)
		var s struct{ ID json.Number }
		if err := json.Unmarshal([]byte(b), &s); code != 201 || err != nil {
			t.Fatalf("scheduler: %d %s", code, b)
		}
		return s.ID.String()
	}
	s1, s2, s13 := sched(tok), sched(tok), sched(other)
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	leg := func(acct, id, call, campaign, contact, leg, number string, start time.Duration, outcome string) {
		f.host.AddCall(acct, dialect.CallRecord{ID: id, Call: call, Direction: "outbound", Campaign: campaign, Contact: contact,
			Number: number, CallerID: "74950000000", Started: at.Add(start), Ended: at.Add(start + time.Minute), Outcome: outcome,
			Attrs: map[string]string{"leg": leg}})
	}
	// Recorded out of order: the list orders by the A leg's start, then by uuid.
	leg("12", "z", "z", s2, "1", "a", "+79215650646", time.Hour, "busy")
	leg("12", "x-b", "x", s1, "7", "b", "+78125550102", 5*time.Second, "answered")
	leg("12", "y", "y", s1, "8", "a", "+79215650645", 0, "no_answer")
	leg("12", "x", "x", s1, "7", "a", "+79215650644", 0, "answered")
	leg("13", "w", "w", s13, "1", "a", "+79215650647", 0, "answered")

	get := func(tk, uuid string) string {
		t.Helper()
		code, b := f.do(tk, "GET", "/client/@me/call_history/"+uuid, "")
		if code != 200 {
			t.Fatalf("GET %s: %d %s", uuid, code, b)
		}
		return b
	}
	x, y, z := get(tok, "x"), get(tok, "y"), get(tok, "z")
	list := func(tk, query string) (string, string) {
		t.Helper()
		code, b, next := f.page(tk, "/client/@me/call_history/"+query)
		if code != 200 {
			t.Fatalf("list %s: %d %s", query, code, b)
		}
		return b, next
	}
	all, next := list(tok, "")
	if all != "["+x+","+y+","+z+"]" || next != "" {
		t.Errorf("list %s (next %q)\nwant [%s,%s,%s]", all, next, x, y, z)
	}
	golden(t, "call_history_list.json", []byte(all+"\n"))

	// Pages of one: every call once, in order; the last page has no token.
	var paged []string
	for token, i := "", 0; i < 5; i++ {
		b, n := list(tok, "?limit=1&page_token="+token)
		paged = append(paged, b)
		if token = n; token == "" {
			break
		}
	}
	if want := []string{"[" + x + "]", "[" + y + "]", "[" + z + "]"}; strings.Join(paged, "\n") != strings.Join(want, "\n") {
		t.Errorf("pages of one:\n%s\nwant\n%s", strings.Join(paged, "\n"), strings.Join(want, "\n"))
	}
	// A call made after the first page was read is on the last page.
	first, token := list(tok, "?limit=2")
	leg("12", "v", "v", s2, "2", "a", "+79215650648", 2*time.Hour, "answered")
	v := get(tok, "v")
	if rest, n := list(tok, "?limit=2&page_token="+token); first != "["+x+","+y+"]" || rest != "["+z+","+v+"]" || n != "" {
		t.Errorf("pages of two with a call made between them: %s %s (next %q)", first, rest, n)
	}

	for _, tt := range []struct{ query, want string }{
		{"?scheduler_id=" + s1, "[" + x + "," + y + "]"},
		{"?scheduler_id=" + s1 + "&task_id=8", "[" + y + "]"},
		{"?scheduler_id=" + s2 + "&task_id=8", "[]"},
		{"?date_from=2026-05-01 09:30", "[" + z + "," + v + "]"},
		{"?date_from=2026-05-01 09:00:00&date_to=2026-05-01 10:00:00", "[" + x + "," + y + "]"},
		{"?date_to=2026-05-01 09:00:01", "[" + x + "," + y + "]"},
		{"?number=89215650645", "[" + y + "]"},
		{"?number=%2B7 812 555-01-02", "[" + x + "]"}, // a B leg's number finds its call
		{"?number=89215650649", "[]"},
		{"?scheduler_id=" + s2 + "&date_to=2026-05-01 10:30&limit=1", "[" + z + "]"},
	} {
		if got, _ := list(tok, tt.query); got != tt.want {
			t.Errorf("list %s: %s\nwant %s", tt.query, got, tt.want)
		}
	}
	if got, _ := list(other, ""); got != "["+get(other, "w")+"]" {
		t.Errorf("client 13's list: %s", got)
	}
	for _, x := range []struct {
		tk, query string
		status    int
		want      string
	}{
		{tok, "?task_id=7", 400, `"field":"task_id"`},
		{tok, "?scheduler_id=abc", 400, `"field":"scheduler_id"`},
		{tok, "?scheduler_id=" + s1 + "&task_id=0", 400, `"field":"task_id"`},
		{tok, "?date_from=yesterday", 400, `"field":"date_from"`},
		{tok, "?date_to=2026-13-01 00:00", 400, `"field":"date_to"`},
		{tok, "?date_from=2026-05-01 10:00&date_to=2026-05-01 10:00", 400, `"field":"date_to"`},
		{tok, "?number=12", 400, `"field":"number"`},
		{tok, "?limit=1001", 400, `"field":"limit"`},
		{tok, "?page_token=nope", 400, `"field":"page_token"`},
		{tok, "?scheduler_id=999", 404, `"message":"task scheduler not found"`},
		{other, "?scheduler_id=" + s1, 404, `"message":"task scheduler not found"`},
	} {
		if code, b := f.do(x.tk, "GET", "/client/@me/call_history/"+x.query, ""); code != x.status || !strings.Contains(b, x.want) {
			t.Errorf("list %s: %d %s, want %d with %s", x.query, code, b, x.status, x.want)
		}
	}
	if code, b := f.do(other, "GET", "/client/@me/call_history/x", ""); code != 404 {
		t.Errorf("client 13 reads client 12's call: %d %s", code, b)
	}
}
