// Package exampledialect is the smallest working Switchboard dialect, kept
// as the model for vendors' plugins (see README.md, "Dialect plugins"):
//
//	POST /example/queues              create a queue; the host assigns its id
//	PUT /example/queues/{id}          reconfigure a queue (or create it, on a
//	                                  host that lets clients choose ids)
//	GET /example/queues/{id}/status   the queue's callers and agents
//
// Requests carry "Authorization: Bearer <token>"; the host says which
// account a token belongs to. Errors have the shape
// {"error": "...", "field": "...", "message": "..."}. Queue and agent events
// are rendered as JSON webhooks.
package exampledialect

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

//go:embed openapi.json
var openAPI []byte

// Name is the dialect's name and route prefix.
const Name = "example"

// Dialect is the example dialect. It keeps no state: everything lives in
// the host.
type Dialect struct{}

var _ dialect.Dialect = Dialect{}

// New returns the example dialect.
func New() Dialect { return Dialect{} }

// Info describes the dialect.
func (Dialect) Info(context.Context) (dialect.Info, error) {
	return dialect.Info{Name: Name, RoutePrefix: Name, AuthScheme: dialect.AuthBearer, OpenAPI: openAPI, Version: "1.0.0",
		TokenAuth: &tokenAuth}, nil
}

// apiError is the dialect's error body.
type apiError struct {
	Error   string `json:"error"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func reply(status int, v any) dialect.Response {
	body, err := json.Marshal(v)
	if err != nil {
		return dialect.JSON(http.StatusInternalServerError, []byte(`{"error":"internal","message":"encoding the response failed"}`))
	}
	return dialect.JSON(status, body)
}

// fail turns a host error into the dialect's error response.
func fail(err error) dialect.Response {
	var fe *dialect.FieldError
	switch {
	case errors.As(err, &fe):
		return reply(http.StatusBadRequest, apiError{Error: "bad_request", Field: fe.Field, Message: fe.Error()})
	case errors.Is(err, dialect.ErrNotFound):
		return reply(http.StatusNotFound, apiError{Error: "not_found", Message: err.Error()})
	case errors.Is(err, dialect.ErrUnauthenticated):
		return reply(http.StatusUnauthorized, apiError{Error: "unauthorized", Message: "a valid bearer token is required"})
	}
	return reply(http.StatusInternalServerError, apiError{Error: "internal", Message: err.Error()})
}

// tokenAuth has the host check the bearer token before the request
// reaches the dialect.
var tokenAuth = dialect.TokenAuth{Header: "Authorization", Prefix: "Bearer "}

// account is the request's account: checked by the host already
// (req.Account), or checked here when the dialect runs without that
// service (dialect.Bind in tests, a host that does not do it).
func account(ctx context.Context, host dialect.Host, req dialect.Request) (dialect.Account, error) {
	if req.Account != nil {
		return *req.Account, nil
	}
	token := tokenAuth.Token(req)
	if token == "" {
		return dialect.Account{}, dialect.ErrUnauthenticated
	}
	return host.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredToken, Secret: token})
}

// HandleHTTP routes one request.
func (Dialect) HandleHTTP(ctx context.Context, host dialect.Host, req dialect.Request) (dialect.Response, error) {
	acct, err := account(ctx, host, req)
	if err != nil {
		return fail(err), nil
	}
	parts := strings.Split(strings.Trim(req.Path, "/"), "/")
	switch {
	case len(parts) == 3 && parts[0] == "queues" && parts[2] == "status":
		if req.Method != http.MethodGet {
			return methodNotAllowed(http.MethodGet), nil
		}
		return queueStatus(ctx, host, acct.ID, parts[1]), nil
	case len(parts) == 2 && parts[0] == "queues":
		if req.Method != http.MethodPut {
			return methodNotAllowed(http.MethodPut), nil
		}
		return putQueue(ctx, host, acct.ID, parts[1], req.Body), nil
	case len(parts) == 1 && parts[0] == "queues":
		if req.Method != http.MethodPost {
			return methodNotAllowed(http.MethodPost), nil
		}
		return putQueue(ctx, host, acct.ID, "", req.Body), nil
	}
	return reply(http.StatusNotFound, apiError{Error: "not_found", Message: "no such endpoint: " + req.Method + " " + req.Path}), nil
}

func methodNotAllowed(allow string) dialect.Response {
	r := reply(http.StatusMethodNotAllowed, apiError{Error: "method_not_allowed", Message: "use " + allow})
	r.Header.Set("Allow", allow)
	return r
}

// QueueStatus is the body of GET /queues/{id}/status.
type QueueStatus struct {
	Queue    string `json:"queue"`
	Waiting  int    `json:"waiting"`
	Trying   int    `json:"trying"`
	Answered int    `json:"answered"`
	LoggedIn int    `json:"logged_in_agents"`
	Free     int    `json:"free_agents"`
}

func queueStatus(ctx context.Context, host dialect.Host, account, id string) dialect.Response {
	st, err := host.QueueStatus(ctx, account, id)
	if err != nil {
		return fail(err)
	}
	return reply(http.StatusOK, QueueStatus{Queue: st.Queue, Waiting: st.Waiting, Trying: st.Trying,
		Answered: st.Answered, LoggedIn: st.LoggedIn, Free: st.Free})
}

// Queue is the body of POST /queues and PUT /queues/{id}, and (with its
// id) of POST's reply.
type Queue struct {
	ID          string `json:"id,omitempty"` // read-only: the host assigns it
	Strategy    string `json:"strategy"`
	MaxWaitTime int    `json:"max_wait_time"` // seconds
}

// putQueue creates a queue (an empty id: the host assigns one, 201 with the
// stored queue) or reconfigures one (204).
func putQueue(ctx context.Context, host dialect.Host, account, id string, body []byte) dialect.Response {
	var in Queue
	if err := json.Unmarshal(body, &in); err != nil {
		return fail(&dialect.FieldError{Field: "body", Reason: "must be a JSON object: " + err.Error()})
	}
	q := acd.NewQueueConfig(id)
	if in.Strategy != "" {
		q.Strategy = acd.Strategy(in.Strategy)
	}
	if in.MaxWaitTime < 0 || in.MaxWaitTime > 86400 {
		return fail(&dialect.FieldError{Field: "max_wait_time", Reason: "must be between 0 and 86400 seconds"})
	}
	q.MaxWaitTime = time.Duration(in.MaxWaitTime) * time.Second
	stored, err := host.PutQueue(ctx, account, q)
	if err != nil {
		return fail(err)
	}
	if id != "" {
		return dialect.Response{Status: http.StatusNoContent}
	}
	return reply(http.StatusCreated, Queue{ID: stored.ID, Strategy: string(stored.Strategy), MaxWaitTime: int(stored.MaxWaitTime / time.Second)})
}

// Webhook is the JSON body of the dialect's webhooks.
type Webhook struct {
	Event   string `json:"event"`
	At      string `json:"at"`
	Account string `json:"account,omitempty"`
	Queue   string `json:"queue,omitempty"`
	Agent   string `json:"agent,omitempty"`
	Call    string `json:"call,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// RenderEvent renders queue, caller and agent events as one JSON POST (or
// the subscription's method) to the subscription's URL. Subscriptions list
// event types; an empty list takes them all.
func (Dialect) RenderEvent(_ context.Context, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	if len(sub.Events) > 0 && !slices.Contains(sub.Events, string(ev.Type)) {
		return nil, nil
	}
	body, err := json.Marshal(Webhook{Event: string(ev.Type), At: ev.At.UTC().Format(time.RFC3339Nano), Account: ev.Tenant,
		Queue: ev.Queue, Agent: ev.Agent, Call: ev.Call, From: ev.From, To: ev.To, Reason: ev.Reason})
	if err != nil {
		return nil, err
	}
	method := sub.Method
	if method == "" {
		method = http.MethodPost
	}
	return []dialect.Webhook{{Method: method, URL: sub.URL, ContentType: "application/json", Body: body}}, nil
}
