package pluginhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// errorBody is the host's own error shape (the dialect's shapes are the
// plugin's business): used for unknown dialects, plugins that are down or
// failed, and requests that cannot be passed on.
type errorBody struct {
	Error   string `json:"error"`
	Dialect string `json:"dialect,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, body errorBody) {
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func unavailable(w http.ResponseWriter, name, why string) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, errorBody{Error: "dialect_unavailable", Dialect: name,
		Message: fmt.Sprintf("the %s dialect is temporarily unavailable (%s); retry in a moment", name, why)})
}

// splitDialect splits "/udesk/open_api_v1/x" into "udesk" and "/open_api_v1/x".
func splitDialect(p string) (name, rest string) {
	p = strings.TrimPrefix(p, "/")
	name, rest, _ = strings.Cut(p, "/")
	return name, "/" + rest
}

// ServeHTTP routes /{dialect}/… to the dialect's plugin.
func (m *Manager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, rest := splitDialect(r.URL.Path)
	s, ok := m.plugins[name]
	if !ok {
		writeError(w, http.StatusNotFound, errorBody{Error: "unknown_dialect", Dialect: name,
			Message: fmt.Sprintf("no dialect is mounted at /%s/", name)})
		return
	}
	if rest == "/openapi.json" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		info := s.info.Load()
		if info == nil || len(info.OpenAPI) == 0 {
			unavailable(w, name, "its OpenAPI document is not known yet")
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(info.OpenAPI)))
		_, _ = w.Write(info.OpenAPI)
		return
	}
	cur := s.current()
	if cur == nil {
		m.cfg.Metrics.RequestUnavailable(name)
		unavailable(w, name, "its plugin is not running; the host is restarting it")
		return
	}
	req, err := RequestFromHTTP(r, rest, m.cfg.MaxBodyBytes)
	if err != nil {
		var tooBig *http.MaxBytesError
		var fe *dialect.FieldError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, errorBody{Error: "body_too_large", Dialect: name, Field: "body",
				Message: fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit)})
		case errors.As(err, &fe):
			writeError(w, http.StatusBadRequest, errorBody{Error: "bad_request", Dialect: name, Field: fe.Field, Message: fe.Error()})
		default:
			writeError(w, http.StatusBadRequest, errorBody{Error: "bad_request", Dialect: name, Message: err.Error()})
		}
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), m.cfg.RequestTimeout)
	defer cancel()
	if a := cur.info.TokenAuth; a != nil {
		if tok := a.Token(req); tok != "" {
			acct, err := cur.host.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredToken, Secret: tok, Kind: a.Kind})
			switch {
			case err == nil:
				req.Account = &acct
			case errors.Is(err, dialect.ErrUnauthenticated):
				// the dialect answers it, in its vendor's shape
			default:
				m.cfg.Logger.Error("checking a token failed", "dialect", name, "err", err)
				unavailable(w, name, "the host could not check the request's credentials")
				return
			}
		}
	}
	resp, err := cur.handler.HandleHTTP(ctx, req)
	if err != nil {
		switch {
		case r.Context().Err() != nil:
			return // the client went away; nobody reads an answer
		case s.lost(cur, err):
			m.cfg.Metrics.RequestUnavailable(name)
			unavailable(w, name, "its plugin stopped while answering; the host is restarting it")
		case errors.Is(err, context.DeadlineExceeded):
			writeError(w, http.StatusGatewayTimeout, errorBody{Error: "dialect_timeout", Dialect: name,
				Message: fmt.Sprintf("the %s dialect did not answer within %s", name, m.cfg.RequestTimeout)})
		default:
			m.cfg.Logger.Error("dialect failed a request", "dialect", name, "method", req.Method, "path", req.Path, "err", err)
			writeError(w, http.StatusBadGateway, errorBody{Error: "dialect_failed", Dialect: name,
				Message: fmt.Sprintf("the %s dialect failed to answer (the service log has the details)", name)})
		}
		return
	}
	if err := WriteResponse(w, resp); err != nil {
		var fe *dialect.FieldError
		field := ""
		if errors.As(err, &fe) {
			field = fe.Field
		}
		m.cfg.Logger.Error("dialect returned an invalid response", "dialect", name, "err", err)
		writeError(w, http.StatusBadGateway, errorBody{Error: "dialect_bad_response", Dialect: name, Field: field,
			Message: fmt.Sprintf("the %s dialect returned an invalid response: %v", name, err)})
	}
}

// RequestFromHTTP converts an HTTP request for a dialect: path is the path
// after the dialect's prefix; the body is read up to maxBody bytes (a
// *http.MaxBytesError past that). Input that cannot cross the wire is a
// *dialect.FieldError naming the field.
func RequestFromHTTP(r *http.Request, path string, maxBody int64) (dialect.Request, error) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return dialect.Request{}, &dialect.FieldError{Field: "query", Value: r.URL.RawQuery, Reason: "is not a valid query string"}
	}
	var body []byte
	if r.Body != nil {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return dialect.Request{}, fmt.Errorf("read body: %w", err)
		}
		if int64(len(body)) > maxBody {
			return dialect.Request{}, &http.MaxBytesError{Limit: maxBody}
		}
	}
	req := dialect.Request{Method: r.Method, Path: path, Query: query, Header: r.Header.Clone(), Body: body,
		RemoteAddr: r.RemoteAddr, Host: r.Host}
	if err := req.Validate(); err != nil {
		return dialect.Request{}, err
	}
	return req, nil
}

// WriteResponse writes a dialect's response, or reports (writing nothing)
// why it cannot be sent.
func WriteResponse(w http.ResponseWriter, resp dialect.Response) error {
	if err := resp.Validate(); err != nil {
		return err
	}
	h := w.Header()
	for k, vs := range resp.Header {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	h.Del("Content-Length") // the body's own length, whatever the dialect said
	if status != http.StatusNoContent && status != http.StatusNotModified {
		h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(resp.Body)
	return nil
}
