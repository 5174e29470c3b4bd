// Package twin24dialect speaks twin24's robot auto-call API (seed:
// twin24-autocall.txt) under /twin24/api/v1:
//
//	POST /auth/login                        email/password → authToken, refreshToken
//	GET  /auth/refresh                      refreshToken → new tokens
//	POST /telephony/autoCall                create a campaign → {"id":{"identity":…}}
//	GET  /telephony/autoCall                list (limit 1–1000, offset or page)
//	GET|PATCH|DELETE /telephony/autoCall/{id}
//	POST /telephony/autoCall/{id}/start|stop
//	POST /telephony/autoCall/{id}/contacts  add numbers (with scenario variables)
//	GET  /telephony/autoCall/{id}/contacts
//	GET  /telephony/autoCall/{id}/statistics  counts per outcome, progress
//
// Other requests carry "Authorization: Bearer <authToken>". Errors are
// {"error":{"code":…,"message":…,"fields":{field:reason}}} with 401, 404,
// 409 or 422. Campaigns live in the host as pkg/dialer campaigns in ivr
// mode, their webhookUrls as host subscriptions of the campaign whose
// events RenderEvent renders (callResult, autoCallFinished); see README.md
// for what is the vendor's and what is ours.
package twin24dialect

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

//go:embed openapi.json
var openAPI []byte

// Name is the dialect's name and route prefix.
const Name = "twin24"

// apiPrefix is the vendor's path after the route prefix.
const apiPrefix = "/api/v1"

// Token kinds and lifetimes (ours: the seed does not give them).
const (
	kindAccess     = "access"
	kindRefresh    = "refresh"
	defaultTTL     = time.Hour
	maxTTL         = 30 * 24 * time.Hour
	refreshTTL     = 30 * 24 * time.Hour
	defaultZone    = "Europe/Moscow"
	defaultRegion  = "RU"
	attrTimeZone   = "time_zone"
	defaultLimit   = 100
	maxLimit       = 1000
	maxImportBatch = 10000
)

// Dialect is the twin24 dialect. It keeps no state: everything lives in the host.
type Dialect struct {
	mux *http.ServeMux
}

var _ dialect.Dialect = (*Dialect)(nil)

var tokenAuth = dialect.TokenAuth{Header: "Authorization", Prefix: "Bearer ", Kind: kindAccess}

// New returns the twin24 dialect.
func New() *Dialect {
	d := &Dialect{mux: http.NewServeMux()}
	p := apiPrefix
	d.mux.HandleFunc("POST "+p+"/auth/login", login)
	d.mux.HandleFunc("GET "+p+"/auth/refresh", refresh)
	d.mux.HandleFunc("POST "+p+"/telephony/autoCall", authed(createAutoCall))
	d.mux.HandleFunc("GET "+p+"/telephony/autoCall", authed(listAutoCalls))
	d.mux.HandleFunc("GET "+p+"/telephony/autoCall/{id}", authed(getAutoCall))
	d.mux.HandleFunc("PATCH "+p+"/telephony/autoCall/{id}", authed(patchAutoCall))
	d.mux.HandleFunc("DELETE "+p+"/telephony/autoCall/{id}", authed(deleteAutoCall))
	d.mux.HandleFunc("POST "+p+"/telephony/autoCall/{id}/start", authed(action(dialect.CampaignStart)))
	d.mux.HandleFunc("POST "+p+"/telephony/autoCall/{id}/stop", authed(action(dialect.CampaignStop)))
	d.mux.HandleFunc("POST "+p+"/telephony/autoCall/{id}/contacts", authed(addContacts))
	d.mux.HandleFunc("GET "+p+"/telephony/autoCall/{id}/contacts", authed(listContacts))
	d.mux.HandleFunc("GET "+p+"/telephony/autoCall/{id}/statistics", authed(statistics))
	d.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path, nil)
	})
	return d
}

// Info describes the dialect.
func (*Dialect) Info(context.Context) (dialect.Info, error) {
	return dialect.Info{Name: Name, RoutePrefix: Name, AuthScheme: dialect.AuthBearer, OpenAPI: openAPI,
		Version: "0.1.0", TokenAuth: &tokenAuth}, nil
}

type acctKey struct{}
type reqKey struct{}

// HandleHTTP routes one request.
func (d *Dialect) HandleHTTP(ctx context.Context, host dialect.Host, req dialect.Request) (dialect.Response, error) {
	ctx = context.WithValue(ctx, reqKey{}, req)
	return dialect.ServeHTTP(ctx, host, d.mux, req)
}

// errorBody is the vendor's error shape.
type errorBody struct {
	Error struct {
		Code    int               `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b := []byte(`{"error":{"code":500,"message":"encoding the response failed"}}`)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
	} else {
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, message string, fields map[string]string) {
	var e errorBody
	e.Error.Code, e.Error.Message, e.Error.Fields = status, message, fields
	writeJSON(w, status, e)
}

func invalid(w http.ResponseWriter, errs Errors) {
	writeError(w, http.StatusUnprocessableEntity, "validation failed", errs)
}

// hostFailed answers a host API error the vendor's way.
func hostFailed(w http.ResponseWriter, err error, what string) {
	var fe *dialect.FieldError
	switch {
	case errors.As(err, &fe):
		writeError(w, http.StatusUnprocessableEntity, "validation failed", map[string]string{vendorField(fe.Field): fe.Reason})
	case errors.Is(err, dialect.ErrNotFound):
		writeError(w, http.StatusNotFound, what+" not found", nil)
	case errors.Is(err, dialect.ErrUnauthenticated):
		writeError(w, http.StatusUnauthorized, "unauthorized", nil)
	case errors.Is(err, dialect.ErrFailedPrecondition):
		writeError(w, http.StatusConflict, "not allowed in the "+what+"'s current state", nil)
	case errors.Is(err, dialect.ErrConflict):
		writeError(w, http.StatusConflict, what+" already exists", nil)
	case errors.Is(err, dialect.ErrNotImplemented):
		writeError(w, http.StatusNotImplemented, "not supported: "+err.Error(), nil)
	case errors.Is(err, dialect.ErrUnavailable):
		writeError(w, http.StatusServiceUnavailable, "temporarily unavailable, retry later", nil)
	default:
		writeError(w, http.StatusInternalServerError, "internal error", nil)
	}
}

// vendorField names a core field by the vendor field it came from.
func vendorField(core string) string {
	switch core {
	case "trunk":
		return "additionalOptions.providerId"
	case "name":
		return "name"
	case "description":
		return "taskComment"
	case "pacing.rate", "cps":
		return "cps"
	case "start.at":
		return "startMoment"
	case "destination.transfer_target":
		return "secondExecData"
	case "destination.dialplan.extension":
		return "defaultExecData"
	}
	return core
}

// authed checks the bearer token (already checked by the host when it does
// TokenAuth) and passes the account on.
func authed(h func(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host := dialect.HostFrom(r.Context())
		req, _ := r.Context().Value(reqKey{}).(dialect.Request)
		var acct dialect.Account
		if req.Account != nil {
			acct = *req.Account
		} else {
			token := tokenAuth.Token(req)
			if token == "" {
				writeError(w, http.StatusUnauthorized, "unauthorized: an Authorization: Bearer authToken header is required", nil)
				return
			}
			a, err := host.Authenticate(r.Context(), dialect.Credentials{Scheme: dialect.CredToken, Secret: token, Kind: kindAccess})
			if err != nil {
				if errors.Is(err, dialect.ErrUnauthenticated) {
					writeError(w, http.StatusUnauthorized, "unauthorized: the authToken is invalid or expired", nil)
				} else {
					hostFailed(w, err, "account")
				}
				return
			}
			acct = a
		}
		h(w, r, host, acct)
	}
}

// CompanyOf reads a company's settings from its account: the default
// region (RU unless set) and the time zone (attr time_zone, else Europe/Moscow).
func CompanyOf(a dialect.Account) Company {
	co := Company{Region: a.DefaultRegion, Zone: moscow}
	if co.Region == "" {
		co.Region = defaultRegion
	}
	if z := a.Attrs[attrTimeZone]; z != "" {
		if loc, err := time.LoadLocation(z); err == nil {
			co.Zone = loc
		}
	}
	return co
}

var moscow = func() *time.Location {
	loc, err := time.LoadLocation(defaultZone)
	if err != nil {
		return time.FixedZone("MSK", 3*3600)
	}
	return loc
}()

func readTTL(field, raw string, def time.Duration) (time.Duration, Errors) {
	if raw == "" {
		return def, nil
	}
	var n int64
	if _, err := fmt.Sscan(raw, &n); err != nil || fmt.Sprint(n) != raw {
		return 0, Errors{field: "must be a whole number of seconds"}
	}
	if n < 1 || time.Duration(n)*time.Second > maxTTL {
		return 0, Errors{field: fmt.Sprintf("must be 1–%d seconds", int(maxTTL/time.Second))}
	}
	return time.Duration(n) * time.Second, nil
}

// tokens is the reply of login and refresh.
type tokens struct {
	AuthToken    string `json:"authToken"`
	RefreshToken string `json:"refreshToken"`
}

func issue(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account, ttl time.Duration) {
	access, err := host.IssueToken(r.Context(), acct.ID, dialect.TokenRequest{Kind: kindAccess, TTL: ttl})
	if err != nil {
		hostFailed(w, err, "account")
		return
	}
	ref, err := host.IssueToken(r.Context(), acct.ID, dialect.TokenRequest{Kind: kindRefresh, TTL: max(refreshTTL, ttl)})
	if err != nil {
		hostFailed(w, err, "account")
		return
	}
	writeJSON(w, http.StatusOK, tokens{AuthToken: access.Value, RefreshToken: ref.Value})
}

// loginBody is the body of POST /auth/login.
type loginBody struct {
	Email     *string      `json:"email"`
	Password  *string      `json:"password"`
	TTL       *json.Number `json:"ttl"`
	CompanyID *string      `json:"companyId"`
}

func login(w http.ResponseWriter, r *http.Request) {
	host := dialect.HostFrom(r.Context())
	req, _ := r.Context().Value(reqKey{}).(dialect.Request)
	var in loginBody
	if err := json.Unmarshal(req.Body, &in); err != nil {
		invalid(w, jsonErrors(err))
		return
	}
	errs := Errors{}
	if in.Email == nil || *in.Email == "" {
		errs.add("email", "is required")
	}
	if in.Password == nil || *in.Password == "" {
		errs.add("password", "is required")
	}
	ttl := defaultTTL
	if in.TTL != nil {
		var e Errors
		if ttl, e = readTTL("ttl", in.TTL.String(), defaultTTL); e != nil {
			errs.add("ttl", e["ttl"])
		}
	}
	if len(errs) > 0 {
		invalid(w, errs)
		return
	}
	acct, err := host.Authenticate(r.Context(), dialect.Credentials{Scheme: dialect.CredPassword, Principal: *in.Email, Secret: *in.Password})
	if errors.Is(err, dialect.ErrUnauthenticated) {
		writeError(w, http.StatusUnauthorized, "invalid email or password", nil)
		return
	}
	if err != nil {
		hostFailed(w, err, "account")
		return
	}
	if in.CompanyID != nil && *in.CompanyID != "" && *in.CompanyID != acct.ID {
		writeError(w, http.StatusUnauthorized, "the user has no access to this company", nil)
		return
	}
	issue(w, r, host, acct, ttl)
}

// refresh trades a refreshToken (query parameter refreshToken, or the
// bearer header) for new tokens.
func refresh(w http.ResponseWriter, r *http.Request) {
	host := dialect.HostFrom(r.Context())
	req, _ := r.Context().Value(reqKey{}).(dialect.Request)
	token := req.Query.Get("refreshToken")
	if token == "" {
		token = tokenAuth.Token(req)
	}
	if token == "" {
		invalid(w, Errors{"refreshToken": "is required"})
		return
	}
	ttl, errs := readTTL("ttl", req.Query.Get("ttl"), defaultTTL)
	if errs != nil {
		invalid(w, errs)
		return
	}
	acct, err := host.Authenticate(r.Context(), dialect.Credentials{Scheme: dialect.CredToken, Secret: token, Kind: kindRefresh})
	if errors.Is(err, dialect.ErrUnauthenticated) {
		writeError(w, http.StatusUnauthorized, "the refreshToken is invalid or expired", nil)
		return
	}
	if err != nil {
		hostFailed(w, err, "account")
		return
	}
	issue(w, r, host, acct, ttl)
}
