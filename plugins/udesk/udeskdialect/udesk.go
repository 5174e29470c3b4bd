// Package udeskdialect is the udesk dialect: Udesk's open API v1 for
// automatic callout tasks (cc_ad_tasks), served at /udesk/open_api_v1/….
//
// Every request but POST /open_api_v1/log_in is signed with Udesk's v2
// scheme: query parameters email, timestamp, nonce, sign and sign_version=v2,
// where sign is the lowercase hex SHA-256 of
// "email&open_api_token&timestamp&nonce&v2". The open_api_token comes from
// log_in with the account's email and api_token (as the password); the
// signature is checked by the host (Host.Authenticate with the signature
// scheme), so the token never reaches the plugin after it is issued.
//
// Errors have Udesk's shape {"code": N, "message": "…", "exception":
// {"message": "…"}} with the codes of the vendor's table (2000, 2005,
// 206203…, 501004…, 503001…) and of its signature rules (2059, 20621–20624).
// See plugins/udesk/README.md for what is the vendor's and what is ours.
package udeskdialect

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

//go:embed openapi.json
var openAPI []byte

// Name is the dialect's name and route prefix.
const Name = "udesk"

// TokenKind is the kind of the open_api_token log_in issues.
const TokenKind = "open_api_token"

// Udesk's result codes.
const (
	CodeOK                = 1000
	CodeUnknown           = 2000
	CodeNotFound          = 2005
	CodeBadSignature      = 2059
	CodeBadTimestamp      = 20621
	CodeTimestampExpired  = 20622
	CodeNonceUsed         = 20623
	CodeNonceMissing      = 20624
	CodeBadTaskType       = 206203
	CodeBadUserGroup      = 206204
	CodeBadName           = 206205
	CodeBadForcePolicy    = 206206
	CodeBadWorkingTime    = 206207
	CodeImportWhileOpen   = 501004
	CodeBadOpen           = 501015
	CodeAlreadyClosed     = 501016
	CodeBadNumber         = 501032
	CodeBadAfterAt        = 501033
	CodeAlreadyOpen       = 501035
	CodeBadCalloutNumber  = 503001
	CodeCallLimitTooLarge = 503002
)

// Config configures the dialect. The zero value is usable.
type Config struct {
	// Now is the clock timestamps are checked against; default the real clock.
	Now func() time.Time
	// MaxSkew is how far a request's timestamp may be from now (Udesk: 5 min).
	MaxSkew time.Duration
	// NonceTTL is how long a used nonce is refused (Udesk: 15 min).
	NonceTTL time.Duration
	// RateLimit is how many requests an account may make in any RateWindow
	// (Udesk: 60 a minute); negative: no limit.
	RateLimit  int
	RateWindow time.Duration
	// ImportInterval is the least time between two add_numbers calls of an
	// account (Udesk: 1 s); negative: no limit.
	ImportInterval time.Duration
}

func (c *Config) setDefaults() {
	if c.Now == nil {
		c.Now = clock.Real{}.Now
	}
	if c.MaxSkew == 0 {
		c.MaxSkew = 5 * time.Minute
	}
	if c.NonceTTL == 0 {
		c.NonceTTL = 15 * time.Minute
	}
	if c.RateLimit == 0 {
		c.RateLimit = 60
	}
	if c.RateWindow == 0 {
		c.RateWindow = time.Minute
	}
	if c.ImportInterval == 0 {
		c.ImportInterval = time.Second
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.MaxSkew < 0:
		return &dialect.FieldError{Field: "max_skew", Value: c.MaxSkew.String(), Reason: "must not be negative"}
	case c.NonceTTL < 0:
		return &dialect.FieldError{Field: "nonce_ttl", Value: c.NonceTTL.String(), Reason: "must not be negative"}
	case c.RateWindow < 0:
		return &dialect.FieldError{Field: "rate_window", Value: c.RateWindow.String(), Reason: "must not be negative"}
	}
	return nil
}

// keyNonce prefixes the plugin state key of a used nonce (its SHA-256, so
// any nonce fits a key); the entry lives for NonceTTL.
const keyNonce = "nonce:"

// Dialect is the udesk dialect. Used nonces and the accounts' request
// counts are the host's plugin state (Host.PutStateIfAbsent, AddState),
// so a restart of the plugin forgets none of them.
type Dialect struct {
	cfg      Config
	limits   limiter
	callback sync.Mutex // serialises results_callback changes, so a company has one
}

var _ dialect.Dialect = (*Dialect)(nil)

// New returns the udesk dialect, or an error naming the setting of cfg
// that cannot work.
func New(cfg Config) (*Dialect, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("udesk: %w", err)
	}
	return &Dialect{cfg: cfg, limits: newLimiter(cfg.RateLimit, cfg.RateWindow, cfg.ImportInterval)}, nil
}

// Info describes the dialect.
func (d *Dialect) Info(context.Context) (dialect.Info, error) {
	return dialect.Info{Name: Name, RoutePrefix: Name, AuthScheme: dialect.AuthSignature, OpenAPI: openAPI, Version: "0.1.0"}, nil
}

// apiError is a Udesk error answer.
type apiError struct {
	Status    int
	Code      int
	Message   string
	Exception string
	Header    http.Header // extra response headers (Retry-After)
}

func (e *apiError) Error() string {
	return fmt.Sprintf("udesk %d: %s: %s", e.Code, e.Message, e.Exception)
}

func errf(status, code int, message, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: message, Exception: fmt.Sprintf(format, args...)}
}

// badParam is code 2000 naming the parameter that is wrong.
func badParam(field, format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, CodeUnknown, "Unknown error", "%s: %s", field, fmt.Sprintf(format, args...))
}

type errorBody struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	Exception struct {
		Message string `json:"message"`
	} `json:"exception"`
}

func reply(status int, v any) dialect.Response {
	body, err := json.Marshal(v)
	if err != nil {
		return dialect.JSON(http.StatusServiceUnavailable, []byte(`{"code":2000,"message":"Unknown error","exception":{"message":"encoding the response failed"}}`))
	}
	return dialect.JSON(status, body)
}

func (e *apiError) response() dialect.Response {
	b := errorBody{Code: e.Code, Message: e.Message}
	b.Exception.Message = e.Exception
	r := reply(e.Status, b)
	for k, vs := range e.Header {
		r.Header[k] = vs
	}
	return r
}

// ok is a success body with just the code.
func ok() dialect.Response {
	return reply(http.StatusOK, struct {
		Code int `json:"code"`
	}{CodeOK})
}

// HandleHTTP authenticates and routes one request.
func (d *Dialect) HandleHTTP(ctx context.Context, host dialect.Host, req dialect.Request) (resp dialect.Response, err error) {
	r, aerr := d.handle(ctx, host, req)
	if aerr != nil {
		return aerr.response(), nil
	}
	return r, nil
}

func (d *Dialect) handle(ctx context.Context, host dialect.Host, req dialect.Request) (dialect.Response, *apiError) {
	rest, found := strings.CutPrefix(req.Path, "/open_api_v1/")
	if !found {
		return dialect.Response{}, errf(http.StatusNotFound, CodeNotFound, "Resource not found", "no such endpoint: %s %s", req.Method, req.Path)
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if len(parts) == 1 && parts[0] == "log_in" {
		if req.Method != http.MethodPost {
			return dialect.Response{}, methodNotAllowed(req)
		}
		return d.logIn(ctx, host, req.Body)
	}
	if parts[0] != "cc_ad_tasks" {
		return dialect.Response{}, errf(http.StatusNotFound, CodeNotFound, "Resource not found", "no such endpoint: %s %s", req.Method, req.Path)
	}
	rt, aerr := route(req.Method, parts[1:])
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	acct, aerr := d.authenticate(ctx, host, req.Query)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	if aerr := d.limits.take(ctx, host, acct.ID, d.cfg.Now(), rt.isImport); aerr != nil {
		return dialect.Response{}, aerr
	}
	for k := range req.Query {
		if !authParams[k] && !rt.query[k] {
			return dialect.Response{}, errf(http.StatusBadRequest, CodeUnknown, "Unknown error", "unknown attribute: %s", k)
		}
	}
	t := tenant{host: host, acct: acct, now: d.cfg.Now, d: d}
	return rt.handle(ctx, t, rt.id, req)
}

func methodNotAllowed(req dialect.Request) *apiError {
	return errf(http.StatusMethodNotAllowed, CodeNotFound, "Resource not found", "no such endpoint: %s %s", req.Method, req.Path)
}

// authParams are the signature's query parameters, allowed on every request.
var authParams = map[string]bool{"email": true, "timestamp": true, "nonce": true, "sign": true, "sign_version": true}

// logIn answers POST /open_api_v1/log_in {"email", "password"} with an
// open_api_auth_token; the password is the account's api_token. A
// successful log_in counts against the account's request limit.
func (d *Dialect) logIn(ctx context.Context, host dialect.Host, body []byte) (dialect.Response, *apiError) {
	m, aerr := object(body, "email", "password")
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	email, _, aerr := str(m, "email")
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	password, _, aerr := str(m, "password")
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	if email == "" || password == "" {
		return dialect.Response{}, errf(http.StatusUnauthorized, CodeBadSignature, "Login failed", "email and password are required")
	}
	acct, err := host.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredPassword, Principal: email, Secret: password})
	if errors.Is(err, dialect.ErrUnauthenticated) {
		return dialect.Response{}, errf(http.StatusUnauthorized, CodeBadSignature, "Login failed", "email or password is incorrect")
	}
	if err != nil {
		return dialect.Response{}, hostError(err, "")
	}
	if aerr := d.limits.take(ctx, host, acct.ID, d.cfg.Now(), false); aerr != nil {
		return dialect.Response{}, aerr
	}
	tok, err := host.IssueToken(ctx, acct.ID, dialect.TokenRequest{Kind: TokenKind})
	if err != nil {
		return dialect.Response{}, hostError(err, "")
	}
	return reply(http.StatusOK, struct {
		Code  int    `json:"code"`
		Token string `json:"open_api_auth_token"`
	}{CodeOK, tok.Value}), nil
}

// authenticate checks the v2 signature of a request's query.
func (d *Dialect) authenticate(ctx context.Context, host dialect.Host, q map[string][]string) (dialect.Account, *apiError) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	email, ts, nonce, sign, version := get("email"), get("timestamp"), get("nonce"), get("sign"), get("sign_version")
	unauthorized := func(code int, message, format string, args ...any) (dialect.Account, *apiError) {
		return dialect.Account{}, errf(http.StatusUnauthorized, code, message, format, args...)
	}
	if email == "" || sign == "" {
		return unauthorized(CodeBadSignature, "Signature verification failed", "email and sign are required")
	}
	if nonce == "" {
		return unauthorized(CodeNonceMissing, "Nonce is missing", "nonce is required")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || secs < 0 {
		return unauthorized(CodeBadTimestamp, "Invalid timestamp", "timestamp %q is not a Unix time in seconds", ts)
	}
	now := d.cfg.Now()
	if skew := now.Sub(time.Unix(secs, 0)); skew > d.cfg.MaxSkew || skew < -d.cfg.MaxSkew {
		return unauthorized(CodeTimestampExpired, "Timestamp expired", "timestamp %d is more than %s from the server's time", secs, d.cfg.MaxSkew)
	}
	if version != "v2" {
		return unauthorized(CodeBadSignature, "Signature verification failed", "sign_version must be v2")
	}
	acct, err := host.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredSignature, Principal: email, Secret: sign, Kind: TokenKind,
		Params: map[string]string{"algorithm": "sha256", "message": email + "&{secret}&" + ts + "&" + nonce + "&v2"}})
	if errors.Is(err, dialect.ErrUnauthenticated) {
		return unauthorized(CodeBadSignature, "Signature verification failed", "sign does not match email, open_api_token, timestamp and nonce")
	}
	if err != nil {
		return dialect.Account{}, hostError(err, "")
	}
	sum := sha256.Sum256([]byte(nonce))
	fresh, err := host.PutStateIfAbsent(ctx, acct.ID, keyNonce+hex.EncodeToString(sum[:]), nil, d.cfg.NonceTTL)
	if err != nil {
		return dialect.Account{}, hostError(err, "")
	}
	if !fresh {
		return unauthorized(CodeNonceUsed, "Nonce already used", "nonce %q was used in the last %s", nonce, d.cfg.NonceTTL)
	}
	return acct, nil
}

// hostError turns a host API error into Udesk's answer; id is the task the
// request named, for 2005's message.
func hostError(err error, id string) *apiError {
	var fe *dialect.FieldError
	switch {
	case errors.As(err, &fe):
		return fieldError(fe)
	case errors.Is(err, dialect.ErrNotFound):
		return notFound(id)
	case errors.Is(err, dialect.ErrUnauthenticated):
		return errf(http.StatusUnauthorized, CodeBadSignature, "Signature verification failed", "%v", err)
	case errors.Is(err, dialect.ErrFailedPrecondition), errors.Is(err, dialect.ErrConflict):
		return errf(http.StatusConflict, CodeUnknown, "Unknown error", "%v", err)
	case errors.Is(err, dialect.ErrNotImplemented):
		return errf(http.StatusNotImplemented, CodeUnknown, "Unknown error", "not supported: %v", err)
	}
	return errf(http.StatusServiceUnavailable, CodeUnknown, "Unknown error", "the service could not answer now: %v", err)
}

// fieldError maps a host FieldError (named after pkg/dialer's fields) to the
// code of the udesk parameter it came from.
func fieldError(fe *dialect.FieldError) *apiError {
	detail := fe.Error()
	switch f := fe.Field; {
	case f == "name":
		return errf(http.StatusBadRequest, CodeBadName, "Invalid name", "%s", detail)
	case f == "mode":
		return errf(http.StatusBadRequest, CodeBadTaskType, "Invalid task_type", "%s", detail)
	case f == "queue":
		return errf(http.StatusBadRequest, CodeBadUserGroup, "Invalid user_group_id", "user_group_id: no such customer service group (%s)", detail)
	case f == "trunk" || strings.HasPrefix(f, "caller_id"):
		return errf(http.StatusBadRequest, CodeBadCalloutNumber, "Invalid callout_number", "callout_number: %s", detail)
	case f == "pacing.max_concurrent":
		return errf(http.StatusBadRequest, CodeCallLimitTooLarge, "Does not meet the current concurrent call limit for the dialing number", "call_limit: %s", detail)
	case f == "priority":
		return badParam("priority", "%s", fe.Reason)
	case strings.HasPrefix(f, "redial"):
		return badParam("recall_policy", "%s", detail)
	}
	return errf(http.StatusBadRequest, CodeUnknown, "Unknown error", "%s", detail)
}

func notFound(id string) *apiError {
	if id == "" {
		return errf(http.StatusNotFound, CodeNotFound, "Resource not found", "Couldn't find CcAdTask without an ID")
	}
	return errf(http.StatusNotFound, CodeNotFound, "Resource not found", "Couldn't find CcAdTask with id=%s [WHERE cc_ad_tasks .company_id = ?]", id)
}
