package ringmedialect_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/acd"
)

// Current calls are hung up (DELETE) and transferred (POST …/transfer/)
// through the host's call control, with real callers in the ACD: the call
// leaves the client's current calls and the ACD decides the hang-up or the
// transfer; another client's call, an unknown one and a call already gone
// are 404; a bad body or destination is 400 naming the field, and leaves
// the call where it was.
func TestCurrentCallsHangupAndTransfer(t *testing.T) {
	f := newFixture(t)
	tok, other := f.token("12", "s12"), f.token("13", "s13")
	code, b := f.do(tok, "POST", "/client/@me/extension/", `{"type":"queue","name":"000*372"}`)
	if code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	var ext struct {
		ID json.Number `json:"id"`
	}
	if err := json.Unmarshal([]byte(b), &ext); err != nil {
		t.Fatal(err)
	}
	e, err := f.host.Engine("12")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"call-1", "call-2", "call-3"} {
		if err := e.Do(context.Background(), acd.Join{Queue: ext.ID.String(), Caller: id, Number: "89215650644"}); err != nil {
			t.Fatal(err)
		}
	}
	current := func() []string {
		t.Helper()
		code, b := f.do(tok, "GET", "/client/@me/current_calls/", "")
		var cs []struct {
			ID string `json:"call_api_id"`
		}
		if err := json.Unmarshal([]byte(b), &cs); err != nil || code != 200 {
			t.Fatalf("current calls: %d %s", code, b)
		}
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids
	}

	for _, c := range []struct {
		name, token, method, path, body string
		status                          int
		want                            string
	}{
		{"another client's hang-up", other, "DELETE", "/client/@me/current_calls/call-1", "", 404, `{"status":"not_found","message":"call not found"}`},
		{"another client's transfer", other, "POST", "/client/@me/current_calls/call-1/transfer/", `{"destination":"333"}`, 404, `{"status":"not_found","message":"call not found"}`},
		{"an unknown call", tok, "DELETE", "/client/@me/current_calls/call-9", "", 404, `{"status":"not_found","message":"call not found"}`},
		{"an unknown call's transfer", tok, "POST", "/client/@me/current_calls/call-9/transfer/", `{"destination":"333"}`, 404, `{"status":"not_found","message":"call not found"}`},
		{"no destination", tok, "POST", "/client/@me/current_calls/call-1/transfer/", `{}`, 400,
			`{"status":"invalid_parameter","field":"destination","message":"destination: is required"}`},
		{"a null destination", tok, "POST", "/client/@me/current_calls/call-1/transfer/", `{"destination":null}`, 400,
			`{"status":"invalid_parameter","field":"destination","message":"destination: is required"}`},
		{"a destination with a space", tok, "POST", "/client/@me/current_calls/call-1/transfer/", `{"destination":"3 33"}`, 400,
			`{"status":"invalid_parameter","field":"destination","message":"destination: must be UTF-8 without spaces or control characters (got \"3 33\")"}`},
		{"a destination of the wrong type", tok, "POST", "/client/@me/current_calls/call-1/transfer/", `{"destination":true}`, 400,
			`{"status":"invalid_parameter","field":"destination","message":"destination: must be of type string (got \"bool\")"}`},
		{"an unknown field", tok, "POST", "/client/@me/current_calls/call-1/transfer/", `{"destination":"333","dst":"1"}`, 400,
			`{"status":"invalid_parameter","field":"dst","message":"dst: is not a known parameter"}`},
		{"not an object", tok, "POST", "/client/@me/current_calls/call-1/transfer/", `"333"`, 400,
			`{"status":"invalid_parameter","field":"body","message":"body: must be a JSON object"}`},
		{"GET of the transfer action", tok, "GET", "/client/@me/current_calls/call-1/transfer/", "", 405, `{"status":"method_not_allowed","message":"use POST"}`},
		{"PUT of a call", tok, "PUT", "/client/@me/current_calls/call-1", "{}", 405, `{"status":"method_not_allowed","message":"use GET or DELETE"}`},
		{"another action", tok, "POST", "/client/@me/current_calls/call-1/park/", "{}", 404, `{"status":"not_found","message":"resource not found"}`},
	} {
		if code, b := f.do(c.token, c.method, c.path, c.body); code != c.status || b != c.want {
			t.Errorf("%s: %d %s, want %d %s", c.name, code, b, c.status, c.want)
		}
	}
	if got := current(); !slices.Equal(got, []string{"call-1", "call-2", "call-3"}) {
		t.Fatalf("current calls after the refusals %v", got)
	}
	if r := f.host.Releases("12"); len(r) != 0 {
		t.Fatalf("the ACD let callers go on refused requests: %+v", r)
	}

	if code, b := f.do(tok, "DELETE", "/client/@me/current_calls/call-1", ""); code != 204 || b != "" {
		t.Fatalf("hang-up: %d %s", code, b)
	}
	if code, b := f.do(tok, "POST", "/client/@me/current_calls/call-2/transfer/", `{"destination":333}`); code != 204 || b != "" {
		t.Fatalf("transfer: %d %s", code, b)
	}
	if code, b := f.do(tok, "POST", "/client/12/current_calls/call-3/transfer", `{"destination":"ivr,s,1"}`); code != 204 || b != "" {
		t.Fatalf("transfer to a dialplan target: %d %s", code, b)
	}
	if got := current(); len(got) != 0 {
		t.Errorf("current calls after hang-up and transfers %v", got)
	}
	want := []acd.Decision{
		acd.HangupCaller{Caller: "call-1", Reason: acd.ReasonRemoved},
		acd.Transfer{Caller: "call-2", Destination: "333", Reason: acd.ReasonTransferred},
		acd.Transfer{Caller: "call-3", Destination: "ivr,s,1", Reason: acd.ReasonTransferred},
	}
	if got := f.host.Releases("12"); !slices.Equal(got, want) {
		t.Errorf("the ACD decided %+v, want %+v", got, want)
	}
	for _, c := range []struct{ method, path, body string }{
		{"DELETE", "/client/@me/current_calls/call-1", ""},
		{"POST", "/client/@me/current_calls/call-1/transfer/", `{"destination":"333"}`},
	} {
		if code, b := f.do(tok, c.method, c.path, c.body); code != 404 || b != `{"status":"not_found","message":"call not found"}` {
			t.Errorf("%s %s of a call gone: %d %s", c.method, c.path, code, b)
		}
	}
}
