package pluginhost_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/switchboard-cc/switchboard/internal/pluginhost"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	pb "github.com/switchboard-cc/switchboard/pkg/dialect/dialectpb"
)

// FuzzRequestFromHTTP: whatever an HTTP client sends, the host either
// converts it into a request that crosses the wire unchanged, or answers with
// a typed error (a *dialect.FieldError naming the field, or a
// *http.MaxBytesError); it never panics.
func FuzzRequestFromHTTP(f *testing.F) {
	f.Add("GET", "/queues/1/status", "a=1&a=2", "Authorization", "Bearer x", []byte(nil))
	f.Add("POST", "/x", "%zz", "X", "y", []byte("0123456789abcdefXYZ"))
	f.Add("PUT", "/\xff", "a=\xff", "X-\xfe", "\xff", []byte{0xff})
	f.Fuzz(func(t *testing.T, method, path, rawQuery, hk, hv string, body []byte) {
		r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery},
			Header: http.Header{hk: {hv}}, Body: io.NopCloser(bytes.NewReader(body)), Host: "h", RemoteAddr: "1.2.3.4:5"}
		const limit = 16
		req, err := pluginhost.RequestFromHTTP(r, "/"+path, limit)
		if err != nil {
			var fe *dialect.FieldError
			var mb *http.MaxBytesError
			switch {
			case errors.As(err, &mb):
				if len(body) <= limit {
					t.Fatalf("body of %d bytes rejected as too large", len(body))
				}
			case errors.As(err, &fe):
				if fe.Field == "" {
					t.Fatalf("field error without a field: %v", err)
				}
			default:
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if len(body) > limit {
			t.Fatalf("body of %d bytes accepted", len(body))
		}
		wire, err := proto.Marshal(dialect.RequestToPB(req))
		if err != nil {
			t.Fatalf("an accepted request does not marshal: %v", err)
		}
		var m pb.HTTPRequest
		if err := proto.Unmarshal(wire, &m); err != nil {
			t.Fatal(err)
		}
		got := dialect.RequestFromPB(&m)
		if !bytes.Equal(got.Body, req.Body) || got.Method != method || got.Path != "/"+path ||
			!reflect.DeepEqual(map[string][]string(got.Header), map[string][]string(req.Header)) ||
			len(got.Query) != len(req.Query) {
			t.Fatalf("round trip changed the request:\n got %#v\nwant %#v", got, req)
		}
	})
}

// FuzzWriteResponse: whatever a plugin answers, the host either writes it
// exactly or refuses it with a *dialect.FieldError, writing nothing.
func FuzzWriteResponse(f *testing.F) {
	f.Add(200, "Content-Type", "application/json", []byte(`{}`))
	f.Add(204, "X", "y", []byte(nil))
	f.Add(302, "Location", "/x", []byte("moved"))
	f.Add(42, "Bad:Name", "v\nw", []byte("x"))
	f.Fuzz(func(t *testing.T, status int, hk, hv string, body []byte) {
		rec := httptest.NewRecorder()
		resp := dialect.Response{Status: status, Header: http.Header{hk: {hv}}, Body: body}
		if err := pluginhost.WriteResponse(rec, resp); err != nil {
			var fe *dialect.FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
				t.Fatalf("a refused response was partly written: %v %q", rec.Header(), rec.Body.String())
			}
			return
		}
		want := status
		if want == 0 {
			want = 200
		}
		if rec.Code != want || !bytes.Equal(rec.Body.Bytes(), body) {
			t.Fatalf("wrote %d %q, want %d %q", rec.Code, rec.Body.Bytes(), want, body)
		}
		if want != 204 && want != 304 && rec.Header().Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Fatalf("Content-Length %q for %d bytes", rec.Header().Get("Content-Length"), len(body))
		}
	})
}
