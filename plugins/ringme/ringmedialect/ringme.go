// Package ringmedialect is the ringme dialect: the vendor's "ver1.0" REST
// API (client / extension / agent resources) served under
// /ringme/api/ver1.0 on top of the Switchboard host API.
//
// Done: OAuth client_credentials tokens; queues as extensions of type
// "queue" with their name, label and status and every queue parameter;
// queue status and callers; local and remote agents with their status and
// agent event registrations; agents in queues with level and position;
// callback task schedulers, their tasks with their caller IDs and the
// tasks' webhooks; the call history. See plugins/ringme/README.md for the endpoint list, what is
// not done yet and what we decided where the vendor's documents are silent.
package ringmedialect

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

//go:embed openapi.json
var openAPI []byte

// Name is the dialect's name and route prefix.
const Name = "ringme"

// apiPrefix is the vendor's path after the route prefix.
const apiPrefix = "/api/ver1.0"

// tokenKind is the kind of the OAuth access tokens the host issues.
const tokenKind = "access"

// tokenTTL is how long an access token lives (ours: the documents do not say).
const tokenTTL = time.Hour

// Config configures the dialect.
type Config struct {
	// Now is the clock for create_date; time.Now when nil.
	Now func() time.Time
	// Domain is the extensions' SIP domain in responses; "sip.ringme.ru" when empty.
	Domain string
	// ExtensionDomain is the domain of extension names in agent events
	// ("000*094@ringme.ru"); Domain without a leading "sip." when empty.
	ExtensionDomain string
	// RateLimit is how many requests a client may make per hour; over it
	// the client gets 429 rate_limit_exceeded. 0: no limit.
	RateLimit int
}

func (c *Config) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Domain == "" {
		c.Domain = "sip.ringme.ru"
	}
	if c.ExtensionDomain == "" {
		c.ExtensionDomain = strings.TrimPrefix(c.Domain, "sip.")
	}
}

// Dialect is the ringme dialect. Everything lives in the host: the rate
// limit counts and the numeric id counters as its plugin state.
type Dialect struct {
	cfg     Config
	limiter *limiter // nil: no limit
}

var _ dialect.Dialect = (*Dialect)(nil)

// New returns the ringme dialect.
func New(cfg Config) *Dialect {
	cfg.setDefaults()
	d := &Dialect{cfg: cfg}
	if cfg.RateLimit > 0 {
		d.limiter = &limiter{limit: cfg.RateLimit, now: cfg.Now}
	}
	return d
}

var tokenAuth = dialect.TokenAuth{Header: "Authorization", Prefix: "Bearer ", Kind: tokenKind}

// Info describes the dialect.
func (d *Dialect) Info(context.Context) (dialect.Info, error) {
	return dialect.Info{Name: Name, RoutePrefix: Name, AuthScheme: dialect.AuthBearer, OpenAPI: openAPI,
		Version: "0.1.0", TokenAuth: &tokenAuth}, nil
}

// apiError is the body of every error outside the OAuth endpoint:
// status is a machine-readable code (the vendor's rate limit answer uses
// status "rate_limit_exceeded"), field names the offending input.
type apiError struct {
	Status  string `json:"status"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func reply(status int, v any) dialect.Response {
	body, err := json.Marshal(v)
	if err != nil {
		return dialect.JSON(http.StatusInternalServerError, []byte(`{"status":"internal_error","message":"encoding the response failed"}`))
	}
	return dialect.JSON(status, body)
}

func errorReply(status int, code, field, msg string) dialect.Response {
	return reply(status, apiError{Status: code, Field: field, Message: msg})
}

func notFound(what string) dialect.Response {
	return errorReply(http.StatusNotFound, "not_found", "", what+" not found")
}

func notSupported(what string) dialect.Response {
	return errorReply(http.StatusNotImplemented, "not_supported", "", what+" is not supported by this server yet")
}

func badField(field, reason string) dialect.Response {
	return errorReply(http.StatusBadRequest, "invalid_parameter", field, field+": "+reason)
}

// fail turns a host error into the vendor's error response. what names
// the object for a not-found answer.
func fail(err error, what string) dialect.Response {
	var fe *dialect.FieldError
	switch {
	case errors.As(err, &fe):
		return errorReply(http.StatusBadRequest, "invalid_parameter", fe.Field, fe.Error())
	case errors.Is(err, dialect.ErrNotFound):
		return notFound(what)
	case errors.Is(err, dialect.ErrConflict):
		return errorReply(http.StatusConflict, "already_exists", "", what+" already exists")
	case errors.Is(err, dialect.ErrFailedPrecondition):
		return errorReply(http.StatusConflict, "failed_precondition", "", err.Error())
	case errors.Is(err, dialect.ErrUnauthenticated):
		return unauthorized()
	case errors.Is(err, dialect.ErrNotImplemented):
		return notSupported(what)
	case errors.Is(err, dialect.ErrUnavailable):
		return errorReply(http.StatusServiceUnavailable, "unavailable", "", "the service is unavailable, retry later")
	}
	return errorReply(http.StatusInternalServerError, "internal_error", "", err.Error())
}

func unauthorized() dialect.Response {
	r := errorReply(http.StatusUnauthorized, "unauthorized", "", "a valid bearer access token is required (POST /oauth/token)")
	r.Header.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	return r
}

func methodNotAllowed(allow ...string) dialect.Response {
	r := errorReply(http.StatusMethodNotAllowed, "method_not_allowed", "", "use "+strings.Join(allow, " or "))
	r.Header.Set("Allow", strings.Join(allow, ", "))
	return r
}

// call is one authenticated request.
type call struct {
	d    *Dialect
	host dialect.Host
	acct dialect.Account
	req  dialect.Request
}

// HandleHTTP routes one request.
func (d *Dialect) HandleHTTP(ctx context.Context, host dialect.Host, req dialect.Request) (dialect.Response, error) {
	rest, ok := strings.CutPrefix(req.Path, apiPrefix+"/")
	if !ok {
		return errorReply(http.StatusNotFound, "not_found", "", "no such resource: "+req.Path), nil
	}
	seg := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if len(seg) == 2 && seg[0] == "oauth" && seg[1] == "token" {
		if req.Method != http.MethodPost {
			return methodNotAllowed(http.MethodPost), nil
		}
		return d.token(ctx, host, req), nil
	}
	acct, err := d.account(ctx, host, req)
	if err != nil {
		return fail(err, "account"), nil
	}
	var limits http.Header
	if d.limiter != nil {
		var ok bool
		if limits, ok, err = d.limiter.take(ctx, host, acct.ID); err != nil {
			return fail(err, "rate limit"), nil
		} else if !ok {
			return rateLimited(limits), nil
		}
	}
	c := &call{d: d, host: host, acct: acct, req: req}
	var resp dialect.Response
	switch seg[0] {
	case "client":
		resp = c.client(ctx, seg[1:])
	case "extension":
		resp = c.extension(ctx, seg[1:])
	default:
		resp = errorReply(http.StatusNotFound, "not_found", "", "no such resource: "+req.Path)
	}
	for k, vs := range limits {
		if resp.Header == nil {
			resp.Header = http.Header{}
		}
		resp.Header[k] = vs
	}
	return resp, nil
}

// account is the request's account: checked by the host already
// (req.Account), or checked here.
func (d *Dialect) account(ctx context.Context, host dialect.Host, req dialect.Request) (dialect.Account, error) {
	if req.Account != nil {
		return *req.Account, nil
	}
	token := tokenAuth.Token(req)
	if token == "" {
		return dialect.Account{}, dialect.ErrUnauthenticated
	}
	return host.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredToken, Secret: token, Kind: tokenKind})
}

// client routes /client/{client_id}/…: client_id is "@me" or the token's
// own client; another client's id answers 404, as an unknown one would.
func (c *call) client(ctx context.Context, seg []string) dialect.Response {
	if len(seg) < 2 {
		return notFound("resource")
	}
	if seg[0] != "@me" && seg[0] != c.acct.ID {
		return notFound("client")
	}
	switch {
	case len(seg) == 2 && seg[1] == "extension":
		switch c.req.Method {
		case http.MethodGet:
			return c.listExtensions(ctx)
		case http.MethodPost:
			return c.createExtension(ctx)
		}
		return methodNotAllowed(http.MethodGet, http.MethodPost)
	case len(seg) == 3 && seg[1] == "extension":
		if !validID(seg[2]) {
			return notFound("extension")
		}
		return c.extensionByID(ctx, seg[2])
	case len(seg) >= 3 && seg[1] == "agent" && (seg[2] == "local" || seg[2] == "remote"):
		typ := seg[2]
		switch len(seg) {
		case 3:
			switch c.req.Method {
			case http.MethodGet:
				return c.listAgents(ctx, typ)
			case http.MethodPost:
				return c.createAgent(ctx, typ)
			}
			return methodNotAllowed(http.MethodGet, http.MethodPost)
		case 4:
			if !validID(seg[3]) {
				return notFound("agent")
			}
			switch c.req.Method {
			case http.MethodGet:
				return c.getAgent(ctx, typ, seg[3])
			case http.MethodPut:
				return c.updateAgent(ctx, typ, seg[3])
			case http.MethodDelete:
				return c.deleteAgent(ctx, typ, seg[3])
			}
			return methodNotAllowed(http.MethodGet, http.MethodPut, http.MethodDelete)
		}
		switch {
		case seg[4] != "event" || len(seg) > 6:
			return notFound("resource")
		case !validID(seg[3]):
			return notFound("agent")
		case len(seg) == 5:
			return c.agentEvents(ctx, typ, seg[3], "")
		case !validID(seg[5]):
			return notFound("agent event")
		}
		return c.agentEvents(ctx, typ, seg[3], seg[5])
	case seg[1] == "task_scheduler":
		return c.taskSchedulers(ctx, seg[2:])
	case seg[1] == "current_calls":
		return c.calls(ctx, seg[2:])
	case seg[1] == "call_history":
		return c.callHistory(ctx, seg[2:])
	}
	return notFound("resource")
}

// extension routes /extension/{extension_id}/….
func (c *call) extension(ctx context.Context, seg []string) dialect.Response {
	if len(seg) < 2 || !validID(seg[0]) {
		return notFound("extension")
	}
	id := seg[0]
	if seg[1] != "queue" {
		return notFound("resource")
	}
	seg = seg[2:]
	m := c.req.Method
	switch {
	case len(seg) == 0:
		switch m {
		case http.MethodGet:
			return c.getQueue(ctx, id)
		case http.MethodPut:
			return c.putQueue(ctx, id)
		}
		return methodNotAllowed(http.MethodGet, http.MethodPut)
	case len(seg) == 1 && seg[0] == "status":
		if m != http.MethodGet {
			return methodNotAllowed(http.MethodGet)
		}
		return c.queueStatus(ctx, id)
	case len(seg) == 2 && seg[0] == "status" && seg[1] == "members":
		if m != http.MethodGet {
			return methodNotAllowed(http.MethodGet)
		}
		return c.queueMembers(ctx, id)
	case len(seg) >= 2 && seg[0] == "agents" && (seg[1] == "local" || seg[1] == "remote"):
		typ := seg[1]
		switch len(seg) {
		case 2:
			switch m {
			case http.MethodGet:
				return c.listQueueAgents(ctx, id, typ)
			case http.MethodPost:
				return c.addQueueAgent(ctx, id, typ)
			}
			return methodNotAllowed(http.MethodGet, http.MethodPost)
		case 3:
			if !validID(seg[2]) {
				return notFound("queue agent")
			}
			switch m {
			case http.MethodGet:
				return c.getQueueAgent(ctx, id, typ, seg[2])
			case http.MethodPut:
				return c.updateQueueAgent(ctx, id, typ, seg[2])
			case http.MethodDelete:
				return c.deleteQueueAgent(ctx, id, typ, seg[2])
			}
			return methodNotAllowed(http.MethodGet, http.MethodPut, http.MethodDelete)
		}
	}
	return notFound("resource")
}

// validID: the vendor's ids are positive integers (long).
func validID(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0 && strconv.FormatInt(n, 10) == s
}

// wireID is a host id written as the vendor's integer id (a JSON number),
// or as a string when the host's id is not numeric.
type wireID string

// MarshalJSON writes the id as a number when it is one.
func (id wireID) MarshalJSON() ([]byte, error) {
	if _, err := strconv.ParseInt(string(id), 10, 64); err == nil {
		return []byte(id), nil
	}
	return json.Marshal(string(id))
}
