package dialect_test

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	pb "github.com/switchboard-cc/switchboard/pkg/dialect/dialectpb"
)

// FuzzRequestRoundTrip: a request that validates survives the wire exactly;
// one that does not is a *FieldError, never a panic or a marshal failure.
func FuzzRequestRoundTrip(f *testing.F) {
	f.Add("GET", "/queues/1/status", "a=1&a=2&b=", "Authorization", "Bearer t0k", []byte(nil), "127.0.0.1:5", "h", "")
	f.Add("POST", "/open_api_v1/cc_ad_tasks", "", "Content-Type", "application/json", []byte(`{"name":"x"}`), "", "", "acc-1")
	f.Add("PUT", "/\xff", "q=\xfe", "X-\xff", "v\x00", []byte{0, 1, 2}, "\xff", "", "\xff")
	f.Add("", "no-slash", "", "", "", []byte{}, "", "", "")
	f.Fuzz(func(t *testing.T, method, path, rawQuery, hk, hv string, body []byte, remote, host, account string) {
		q, _ := url.ParseQuery(rawQuery)
		req := dialect.Request{Method: method, Path: path, Query: q, Header: http.Header{hk: {hv, hv + "2"}}, Body: body,
			RemoteAddr: remote, Host: host}
		if account != "" {
			req.Account = &dialect.Account{ID: account, DefaultRegion: "RU", Attrs: map[string]string{"k": account}}
		}
		if err := req.Validate(); err != nil {
			var fe *dialect.FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("Validate error %v is not a *FieldError naming a field", err)
			}
			return
		}
		wire, err := proto.Marshal(dialect.RequestToPB(req))
		if err != nil {
			t.Fatalf("a valid request does not marshal: %v", err)
		}
		var m pb.HTTPRequest
		if err := proto.Unmarshal(wire, &m); err != nil {
			t.Fatal(err)
		}
		got := dialect.RequestFromPB(&m)
		normalize := func(r *dialect.Request) {
			if len(r.Body) == 0 {
				r.Body = nil
			}
			if len(r.Query) == 0 {
				r.Query = nil
			}
		}
		normalize(&got)
		normalize(&req)
		if !reflect.DeepEqual(got, req) {
			t.Fatalf("round trip changed the request:\n got %#v\nwant %#v", got, req)
		}
	})
}

// FuzzResponseRoundTrip: the same for responses.
func FuzzResponseRoundTrip(f *testing.F) {
	f.Add(200, "Content-Type", "application/json", []byte(`{"ok":true}`))
	f.Add(204, "X-A", "b", []byte("x"))
	f.Add(99, "Bad Name", "v\r\nInjected: 1", []byte(nil))
	f.Add(0, "", "", []byte{})
	f.Fuzz(func(t *testing.T, status int, hk, hv string, body []byte) {
		resp := dialect.Response{Status: status, Header: http.Header{hk: {hv}}, Body: body}
		if err := resp.Validate(); err != nil {
			var fe *dialect.FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("Validate error %v is not a *FieldError naming a field", err)
			}
			return
		}
		wire, err := proto.Marshal(dialect.ResponseToPB(resp))
		if err != nil {
			t.Fatalf("a valid response does not marshal: %v", err)
		}
		var m pb.HTTPResponse
		if err := proto.Unmarshal(wire, &m); err != nil {
			t.Fatal(err)
		}
		got := dialect.ResponseFromPB(&m)
		if len(got.Body) == 0 && len(resp.Body) == 0 {
			got.Body, resp.Body = nil, nil
		}
		if !reflect.DeepEqual(got, resp) {
			t.Fatalf("round trip changed the response:\n got %#v\nwant %#v", got, resp)
		}
	})
}

func TestRequestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		req   dialect.Request
		field string
	}{
		{dialect.Request{Path: "/"}, "method"},
		{dialect.Request{Method: "GET", Path: "x"}, "path"},
		{dialect.Request{Method: "GET", Path: "/\xff"}, "path"},
		{dialect.Request{Method: "GET", Path: "/", Query: url.Values{"a": {"\xff"}}}, "query.a"},
		{dialect.Request{Method: "GET", Path: "/", Header: http.Header{"X": {"\xfe"}}}, "header.X"},
		{dialect.Request{Method: "GET", Path: "/", Host: "\xff"}, "host"},
	}
	for _, c := range cases {
		var fe *dialect.FieldError
		if err := c.req.Validate(); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: err %v, want a *FieldError on %s", c.req, err, c.field)
		}
	}
}

func TestResponseValidateNamesTheField(t *testing.T) {
	cases := []struct {
		resp  dialect.Response
		field string
	}{
		{dialect.Response{Status: 100}, "status"},
		{dialect.Response{Status: 600}, "status"},
		{dialect.Response{Status: 204, Body: []byte("x")}, "body"},
		{dialect.Response{Header: http.Header{"Bad Name": {"v"}}}, "header"},
		{dialect.Response{Header: http.Header{"X": {"a\r\nb"}}}, "header.X"},
	}
	for _, c := range cases {
		var fe *dialect.FieldError
		if err := c.resp.Validate(); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: err %v, want a *FieldError on %s", c.resp, err, c.field)
		}
	}
	if err := (dialect.Response{}).Validate(); err != nil {
		t.Errorf("zero response: %v", err)
	}
}

func TestInfoValidate(t *testing.T) {
	ok := dialect.Info{Name: "udesk", RoutePrefix: "udesk", AuthScheme: dialect.AuthSignature}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "a/b", "..", "a b", "ü"} {
		bad := ok
		bad.RoutePrefix = p
		var fe *dialect.FieldError
		if err := bad.Validate(); !errors.As(err, &fe) || fe.Field != "route_prefix" {
			t.Errorf("route prefix %q: err %v", p, err)
		}
	}
}
