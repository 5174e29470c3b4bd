// Package dialect is the contract between Switchboard and a dialect plugin:
// one vendor's REST API flavour (ringme, twin24, zxycall, udesk, or a
// vendor's own) running as a hashicorp/go-plugin process.
//
// A plugin implements [Dialect] and calls [Serve] from its main. The host
// (internal/pluginhost) starts the process, mounts it at /{route prefix}/,
// passes it every HTTP request under that prefix, and serves the [Host] API
// back to it over the go-plugin broker: the plugin translates the vendor's
// requests into host calls (queues, agents, campaigns, …) and the answers
// back into the vendor's responses. It also renders domain events into the
// vendor's webhook payloads.
//
// The wire contract is gRPC (proto/switchboard/dialect/v1, generated into
// dialectpb), so a plugin may be written in any language that speaks
// go-plugin's handshake; Go plugins only see the types of this package.
package dialect

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Dialect is what a plugin implements. Its methods are called concurrently.
type Dialect interface {
	// Info describes the dialect; the host calls it once per start.
	Info(ctx context.Context) (Info, error)
	// HandleHTTP answers one request under the dialect's prefix. host is the
	// host API for this request. Vendor errors (bad input, unknown ids, auth
	// failures) are responses in the vendor's shape, not errors: an error
	// means the dialect itself failed and the client gets a 502.
	HandleHTTP(ctx context.Context, host Host, req Request) (Response, error)
	// RenderEvent turns one domain event into the webhook requests sub
	// should receive; none when sub does not care about it.
	RenderEvent(ctx context.Context, ev event.Event, sub Subscription) ([]Webhook, error)
}

// Auth schemes a dialect may declare. The dialect checks credentials itself
// through Host.Authenticate; the scheme is reported in /{prefix}/openapi.json
// and to operators.
const (
	AuthNone      = "none"
	AuthBearer    = "bearer"    // Authorization: Bearer <token>
	AuthBasic     = "basic"     // HTTP basic
	AuthAPIKey    = "api_key"   // a key in a header or query parameter
	AuthSignature = "signature" // a signature over the request (HMAC, SHA1 of token and timestamp, …)
)

// Info describes a dialect.
type Info struct {
	// Name is the dialect's name, e.g. "udesk".
	Name string
	// RoutePrefix is the one path segment the dialect is mounted at
	// (/{RoutePrefix}/…). It must equal the plugin binary's file name.
	RoutePrefix string
	// AuthScheme is one of the Auth* constants, or a dialect's own word.
	AuthScheme string
	// OpenAPI is the dialect's OpenAPI 3 document (JSON), served at
	// /{RoutePrefix}/openapi.json.
	OpenAPI []byte
	// Version is the plugin's own version, for operators.
	Version string
	// TokenAuth, when set, has the host check a request's token before
	// passing the request on, saving the dialect a host API round trip: a
	// request with a valid token arrives with Request.Account set; one
	// without, or with a bad token, arrives without it, and the dialect
	// answers in its vendor's shape.
	TokenAuth *TokenAuth
}

// TokenAuth says where a dialect's requests carry their token.
type TokenAuth struct {
	// Header carries the token after Prefix ("Authorization", "Bearer ").
	Header, Prefix string
	// Query, when Header is empty, names the query parameter that carries it.
	Query string
	// Kind is the token kind (Host.IssueToken); empty: provisioned tokens.
	Kind string
}

// Token returns the token req carries where a says, or "".
func (a TokenAuth) Token(req Request) string {
	if a.Header == "" {
		if a.Query == "" {
			return ""
		}
		return req.Query.Get(a.Query)
	}
	v := req.Header.Get(a.Header)
	if len(v) < len(a.Prefix) || !strings.EqualFold(v[:len(a.Prefix)], a.Prefix) {
		return ""
	}
	return strings.TrimSpace(v[len(a.Prefix):])
}

// Validate reports the first field that is wrong.
func (i Info) Validate() error {
	if i.Name == "" {
		return &FieldError{Field: "name", Reason: "is required"}
	}
	if !validSegment(i.RoutePrefix) {
		return &FieldError{Field: "route_prefix", Value: i.RoutePrefix,
			Reason: "must be one path segment of letters, digits, '-', '_' or '.'"}
	}
	if i.AuthScheme == "" {
		return &FieldError{Field: "auth_scheme", Reason: "is required (use none for an open API)"}
	}
	if a := i.TokenAuth; a != nil && a.Header == "" && a.Query == "" {
		return &FieldError{Field: "token_auth", Reason: "needs a header or a query parameter"}
	}
	return nil
}

func validSegment(s string) bool {
	if s == "" || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Request is one HTTP request as the dialect sees it.
type Request struct {
	Method string
	// Path is the path after the dialect's prefix, starting with "/": a
	// request for /udesk/open_api_v1/cc_ad_tasks has Path
	// "/open_api_v1/cc_ad_tasks".
	Path       string
	Query      url.Values
	Header     http.Header
	Body       []byte
	RemoteAddr string
	Host       string
	// Account is the request's account when the host checked its token
	// (Info.TokenAuth); nil otherwise.
	Account *Account
}

// Validate reports the first field that cannot cross the wire: gRPC carries
// text as UTF-8, so the host answers 400 for a request that is not.
func (r Request) Validate() error {
	if r.Method == "" {
		return &FieldError{Field: "method", Reason: "is required"}
	}
	if !utf8.ValidString(r.Method) {
		return &FieldError{Field: "method", Value: r.Method, Reason: "must be valid UTF-8"}
	}
	if !strings.HasPrefix(r.Path, "/") {
		return &FieldError{Field: "path", Value: r.Path, Reason: `must start with "/"`}
	}
	if !utf8.ValidString(r.Path) {
		return &FieldError{Field: "path", Value: r.Path, Reason: "must be valid UTF-8"}
	}
	if err := validValues("query", r.Query); err != nil {
		return err
	}
	if err := validValues("header", r.Header); err != nil {
		return err
	}
	type field struct{ name, v string }
	fields := []field{{"remote_addr", r.RemoteAddr}, {"host", r.Host}}
	if a := r.Account; a != nil {
		fields = append(fields, field{"account.id", a.ID}, field{"account.name", a.Name}, field{"account.default_region", a.DefaultRegion})
		for k, v := range a.Attrs {
			fields = append(fields, field{"account.attrs", k + v})
		}
	}
	for _, f := range fields {
		if !utf8.ValidString(f.v) {
			return &FieldError{Field: f.name, Value: f.v, Reason: "must be valid UTF-8"}
		}
	}
	return nil
}

func validValues[M ~map[string][]string](field string, m M) error {
	for k, vs := range m {
		if !utf8.ValidString(k) {
			return &FieldError{Field: field, Value: k, Reason: "names must be valid UTF-8"}
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return &FieldError{Field: field + "." + k, Value: v, Reason: "must be valid UTF-8"}
			}
		}
	}
	return nil
}

// Response is the dialect's answer.
type Response struct {
	// Status is the HTTP status code; 0 means 200.
	Status int
	Header http.Header
	Body   []byte
}

// Validate reports the first field the host cannot send to an HTTP client.
func (r Response) Validate() error {
	if r.Status != 0 && (r.Status < 200 || r.Status > 599) {
		return &FieldError{Field: "status", Value: fmt.Sprint(r.Status), Reason: "must be a final HTTP status code (200-599)"}
	}
	if (r.Status == http.StatusNoContent || r.Status == http.StatusNotModified) && len(r.Body) > 0 {
		return &FieldError{Field: "body", Reason: fmt.Sprintf("must be empty with status %d", r.Status)}
	}
	for k, vs := range r.Header {
		if !validHeaderName(k) {
			return &FieldError{Field: "header", Value: k, Reason: "is not a valid header name"}
		}
		for _, v := range vs {
			if !validHeaderValue(v) {
				return &FieldError{Field: "header." + k, Value: v, Reason: "is not a valid header value"}
			}
		}
	}
	return nil
}

// JSON returns a response with a JSON body and its content type.
func JSON(status int, body []byte) Response {
	return Response{Status: status, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, Body: body}
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return utf8.ValidString(s)
}

// Subscription is a webhook registration: where, how and which events.
// Format, Events and Attrs are the dialect's (a vendor's payload flavour,
// its event names, extra URLs); the host stores them as they are. The host
// offers RenderEvent only the events in the subscription's scope: its
// account, and its Campaign, Agent and EventTypes when set — narrow them,
// since every offer is a call into the plugin.
type Subscription struct {
	ID      string
	Account string
	// Campaign limits the subscription to one campaign; empty: the whole account.
	Campaign string
	// Agent limits the subscription to one agent's events; empty: all.
	Agent string
	// Contact limits a campaign's subscription (Campaign is required with
	// it) to one contact's events; empty: all.
	Contact string
	// EventTypes are the event types offered to RenderEvent (event.Type
	// values, "<subject>.*" or "*"); empty: all.
	EventTypes []string
	URL        string
	Method     string
	Format     string
	// Events are the dialect's own filter (event.Type values or its
	// vendor's names), read by its RenderEvent; the host ignores them.
	Events []string
	// Attrs are the dialect's settings. Every value that is an http(s) URL
	// is checked against the address policy when the subscription is
	// stored, and a rendered Webhook may go to it.
	Attrs map[string]string
}

// Webhook is one HTTP request the host delivers for an event. URL is the
// subscription's URL when empty; otherwise it must be the subscription's
// URL or one of its Attrs URLs, with any query string.
type Webhook struct {
	Method      string
	URL         string
	ContentType string
	Header      http.Header
	Body        []byte
}
