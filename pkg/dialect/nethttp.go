package dialect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

type hostKey struct{}

// HostFrom returns the host API of a request served by ServeHTTP, or nil.
func HostFrom(ctx context.Context) Host {
	h, _ := ctx.Value(hostKey{}).(Host)
	return h
}

// ServeHTTP answers req with an ordinary net/http handler, so a dialect with
// many endpoints can route with http.ServeMux patterns
// ("GET /open_api_v1/cc_ad_tasks/{id}") and r.PathValue. The handler finds
// the host API with HostFrom(r.Context()); what it writes becomes the
// Response. A panic in h is returned as ErrPanic.
func ServeHTTP(ctx context.Context, host Host, h http.Handler, req Request) (resp Response, err error) {
	defer recovered("ServeHTTP", &err)
	r, err := http.NewRequestWithContext(context.WithValue(ctx, hostKey{}, host), req.Method, "/", bytes.NewReader(req.Body))
	if err != nil {
		return Response{}, &FieldError{Field: "method", Value: req.Method, Reason: fmt.Sprintf("is not an HTTP method: %v", err)}
	}
	r.URL = &url.URL{Path: req.Path, RawQuery: url.Values(req.Query).Encode()}
	r.RequestURI = r.URL.RequestURI()
	r.Header = req.Header
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.RemoteAddr, r.Host = req.RemoteAddr, req.Host
	r.ContentLength = int64(len(req.Body))
	if len(req.Body) == 0 {
		r.Body = http.NoBody
	}
	w := &recorder{header: http.Header{}}
	h.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return Response{Status: w.status, Header: w.header, Body: w.body.Bytes()}, nil
}

// recorder is the http.ResponseWriter of ServeHTTP.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

var _ http.ResponseWriter = (*recorder)(nil)

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

var _ io.StringWriter = (*recorder)(nil)

func (w *recorder) WriteString(s string) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.WriteString(s)
}
