package ringmedialect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// defaultName is the name of extension id created without one.
func defaultName(id string) string {
	return "000*" + strings.Repeat("0", max(0, 3-len(id))) + id
}

// page is one list response: status, body and the next page's token.
func (f *fixture) page(token, path string) (int, string, string) {
	f.t.Helper()
	p, q, _ := strings.Cut(path, "?")
	query, _ := url.ParseQuery(q)
	resp := f.raw(dialect.Request{Method: "GET", Path: "/api/ver1.0" + p, Query: query,
		Header: http.Header{"Authorization": {"Bearer " + token}}})
	return resp.Status, string(resp.Body), resp.Header.Get("X-Next-Page-Token")
}

// Extensions read back as POST answered them; PUT changes only the fields
// sent (checked as POST checks them, nothing stored on a mistake) and
// keeps the queue's parameters, as PUT of the queue keeps the extension's
// fields; names are unique per client; another client sees none of them.
// The exchange is in testdata/extensions.golden.
func TestExtensions(t *testing.T) {
	f := newFixture(t)
	tok, other := f.token("12", "s12"), f.token("13", "s13")
	var log strings.Builder
	must := func(tk, method, path, body string, want int) string {
		t.Helper()
		code, b := f.do(tk, method, path, body)
		if code != want {
			t.Fatalf("%s %s %s: %d %s, want %d", method, path, body, code, b, want)
		}
		fmt.Fprintf(&log, "%s %s %s\n%d %s\n\n", method, path, body, code, b)
		return b
	}
	id := func(b string) string {
		t.Helper()
		var e struct{ ID json.Number }
		if err := json.Unmarshal([]byte(b), &e); err != nil || e.ID == "" {
			t.Fatalf("no id in %s", b)
		}
		return e.ID.String()
	}

	created := must(tok, "POST", "/client/@me/extension/", `{"type":"queue","name":"370","label":"test queue","status":"blocked"}`, 201)
	ext := "/client/@me/extension/" + id(created)
	if got := must(tok, "GET", ext, "", 200); got != created {
		t.Errorf("GET %s\nPOST answered %s", got, created)
	}
	f.now = f.now.Add(30 * time.Minute) // create_date is the creation's, not the request's
	plain := must(tok, "POST", "/client/12/extension/", `{"type":"queue"}`, 201)
	plainExt := "/client/@me/extension/" + id(plain)
	plainName := defaultName(id(plain))
	if !strings.Contains(plain, `"name":"`+plainName+`"`) || !strings.Contains(plain, `"status":"active"`) || !strings.Contains(plain, `"label":""`) {
		t.Errorf("created without fields: %s, want %s, active, no label", plain, plainName)
	}
	if got := must(tok, "GET", plainExt, "", 200); got != plain {
		t.Errorf("GET %s\nPOST answered %s", got, plain)
	}

	// PUT changes the fields sent only.
	relabelled := must(tok, "PUT", ext, `{"label":"sales"}`, 200)
	if want := strings.Replace(created, `"label":"test queue"`, `"label":"sales"`, 1); relabelled != want {
		t.Errorf("PUT label: %s\nwant %s", relabelled, want)
	}
	renamed := must(tok, "PUT", ext, `{"name":"000*371","status":"active","type":"queue"}`, 200)
	want := strings.Replace(strings.Replace(relabelled, `"name":"000*370"`, `"name":"000*371"`, 1), `"status":"blocked"`, `"status":"active"`, 1)
	if renamed != want {
		t.Errorf("PUT name and status: %s\nwant %s", renamed, want)
	}
	if got := must(tok, "GET", ext, "", 200); got != renamed {
		t.Errorf("GET after PUT %s, PUT answered %s", got, renamed)
	}
	// Mistakes name the field and change nothing.
	for _, x := range []struct{ body, field string }{
		{`{"status":"on"}`, "status"},
		{`{"name":"sales"}`, "name"},
		{`{"name":"000*"}`, "name"},
		{`{"name":"12345678901"}`, "name"},
		{`{"label":"` + strings.Repeat("x", 256) + `"}`, "label"},
		{`{"label":5}`, "label"},
		{`{"type":"phone"}`, "type"},
		{`{"colour":"red"}`, "colour"},
		{`{"label":"ok","status":"on"}`, "status"},
	} {
		code, b := f.do(tok, "PUT", ext, x.body)
		if code != 400 || !strings.Contains(b, `"status":"invalid_parameter","field":"`+x.field+`"`) {
			t.Errorf("PUT %s: %d %s, want 400 naming %s", x.body, code, b, x.field)
		}
	}
	if got := must(tok, "GET", ext, "", 200); got != renamed {
		t.Errorf("after failed PUTs %s, want %s", got, renamed)
	}
	// Names are unique per client (the default names too); another client
	// may have the same.
	for _, x := range []struct{ method, path, body string }{
		{"POST", "/client/@me/extension/", `{"type":"queue","name":"371"}`},
		{"PUT", plainExt, `{"name":"000*371"}`},
		{"PUT", ext, `{"name":"` + plainName + `"}`},
	} {
		if code, b := f.do(tok, x.method, x.path, x.body); code != 409 || !strings.Contains(b, `"status":"already_exists","field":"name"`) {
			t.Errorf("%s %s %s: %d %s, want 409 naming name", x.method, x.path, x.body, code, b)
		}
	}
	if got := must(tok, "PUT", ext, `{"name":"000*371"}`, 200); got != renamed {
		t.Errorf("PUT of its own name: %s, want %s", got, renamed)
	}
	theirs := must(other, "POST", "/client/@me/extension/", `{"type":"queue","name":"371"}`, 201)
	// A name sent empty is the default one.
	defaulted := must(tok, "PUT", ext, `{"name":""}`, 200)
	if !strings.Contains(defaulted, `"name":"`+defaultName(id(created))+`"`) {
		t.Errorf("PUT of an empty name: %s", defaulted)
	}

	// The queue's parameters and the extension's fields live side by side.
	must(tok, "PUT", "/extension/"+id(created)+"/queue/", `{"strategy":"ring-all","max_wait_time":1800}`, 200)
	if got := must(tok, "GET", ext, "", 200); got != defaulted {
		t.Errorf("after PUT of the queue: %s, want %s", got, defaulted)
	}
	must(tok, "PUT", ext, `{"label":"support"}`, 200)
	if got := must(tok, "GET", "/extension/"+id(created)+"/queue/", "", 200); !strings.Contains(got, `"strategy":"ring-all"`) || !strings.Contains(got, `"max_wait_time":1800`) {
		t.Errorf("the queue after PUT of the extension: %s", got)
	}

	// Another client's extensions are not found; its own list holds its own.
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		if code, b := f.do(other, m, ext, `{}`); code != 404 {
			t.Errorf("another client %s %s: %d %s", m, ext, code, b)
		}
	}
	if code, b, next := f.page(other, "/client/@me/extension/"); code != 200 || b != "["+theirs+"]" || next != "" {
		t.Errorf("client 13's list: %d %s %q", code, b, next)
	}
	golden(t, "extensions.golden", []byte(log.String()))
}

// An extension whose queue was stored before extensions kept their fields
// reads as POST made it (the default name, no label, active; create_date
// unknown: null) and takes a PUT like any other.
func TestExtensionStoredBeforeItsFields(t *testing.T) {
	f := newFixture(t)
	tok := f.token("12", "s12")
	q, err := f.host.PutQueue(context.Background(), "12", acd.NewQueueConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	name := defaultName(q.ID)
	want := `{"status":"active","domain":"sip.ringme.ru","create_date":null,"name":"` + name + `","dial_rule_limit":null,"extension_group_id":null,"label":"","caller_id_name":null,"client_id":12,"extra_params":null,"message_did":null,"dial_rule_id":null,"ani_rfc3325":false,"type":"queue","id":` + q.ID + `,"did_as_transfer_caller_id":null}`
	if code, b := f.do(tok, "GET", "/client/@me/extension/"+q.ID, ""); code != 200 || b != want {
		t.Errorf("GET: %d %s\nwant %s", code, b, want)
	}
	if code, b := f.do(tok, "PUT", "/client/@me/extension/"+q.ID, `{"label":"old"}`); code != 200 || b != strings.Replace(want, `"label":""`, `"label":"old"`, 1) {
		t.Errorf("PUT: %d %s", code, b)
	}
	if code, b := f.do(tok, "POST", "/client/@me/extension/", `{"type":"queue","name":"`+name+`"}`); code != 409 {
		t.Errorf("its default name taken by a new extension: %d %s", code, b)
	}
}

// The list pages in id order; every entry is what GET answers; the token
// is a position, so a deletion between pages skips nothing.
func TestListExtensions(t *testing.T) {
	f := newFixture(t)
	tok := f.token("12", "s12")
	var gets []string
	for i := range 5 {
		code, b := f.do(tok, "POST", "/client/@me/extension/", fmt.Sprintf(`{"type":"queue","label":"q%d"}`, i))
		if code != 201 {
			t.Fatalf("POST: %d %s", code, b)
		}
		gets = append(gets, b)
	}
	ids := make([]string, len(gets))
	for i, b := range gets {
		var e struct{ ID json.Number }
		_ = json.Unmarshal([]byte(b), &e)
		ids[i] = e.ID.String()
	}
	code, b, next := f.page(tok, "/client/@me/extension/")
	if code != 200 || b != "["+strings.Join(gets, ",")+"]" || next != "" {
		t.Errorf("whole list: %d %s %q", code, b, next)
	}
	code, b, next = f.page(tok, "/client/@me/extension/?limit=2")
	if code != 200 || b != "["+gets[0]+","+gets[1]+"]" || next == "" {
		t.Fatalf("first page: %d %s %q", code, b, next)
	}
	if c, b := f.do(tok, "DELETE", "/client/@me/extension/"+ids[1], ""); c != 204 {
		t.Fatalf("DELETE: %d %s", c, b)
	}
	code, b, next = f.page(tok, "/client/@me/extension/?limit=2&page_token="+next)
	if code != 200 || b != "["+gets[2]+","+gets[3]+"]" || next == "" {
		t.Fatalf("second page: %d %s %q", code, b, next)
	}
	code, b, next = f.page(tok, "/client/@me/extension/?limit=2&page_token="+next)
	if code != 200 || b != "["+gets[4]+"]" || next != "" {
		t.Errorf("last page: %d %s %q", code, b, next)
	}
	for _, x := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=x", "limit"}, {"page_token=abc", "page_token"}, {"page_token=-1", "page_token"},
	} {
		if code, b := f.do(tok, "GET", "/client/@me/extension/?"+x.query, ""); code != 400 || !strings.Contains(b, `"field":"`+x.field+`"`) {
			t.Errorf("?%s: %d %s, want 400 naming %s", x.query, code, b, x.field)
		}
	}
}
