// Package zxycalldialect speaks zxycall's AI outbound task API (the seed
// zxycall-task.txt) over Switchboard's host API:
//
//	GET  /v1/task/create                        choices for a new task (meta)
//	POST /v1/task                               create a task
//	PUT  /v1/task/{task_id}                     change a task
//	GET  /v1/task                               list tasks
//	GET  /v1/task/{task_id}                     one task (ours)
//	GET  /v1/task/start/{id}, /v1/task/stop/{id} start, pause
//	GET  /v1/task/destroy/{task_id}             delete
//	POST /v1/task/import_task_customer/{task_id} import customers
//	GET  /v1/task/progress/{task_id}            progress (decided)
//	POST /v1/caller_line, GET /v1/caller_line[/{id}] caller lines (ours)
//	PUT, DELETE /v1/caller_line/{id}
//	GET, POST /v1/time_group; GET, PUT, DELETE /v1/time_group/{id}   blocked time groups (ours)
//	GET, POST /v1/auto_recycle_rule; GET, PUT, DELETE /v1/auto_recycle_rule/{id} redial rules (ours)
//	GET, POST /v1/customer_service; GET, PUT, DELETE /v1/customer_service/{id} agent groups (ours)
//	GET, POST /v1/outbound_group; GET, PUT, DELETE /v1/outbound_group/{id} script groups (ours)
//
// A task's call_notify_url receives a JSON POST per finished call
// (CallNotify, rendered by RenderEvent for the host's webhook sender).
//
// Requests carry "Authorization: Bearer <key.secret>", the account's
// provisioned token. Business errors are HTTP 200 with
// {"code": non-zero, "msg": "...", "data": null}; auth failures are 401 in
// the same shape. See README.md for what is the vendor's and what is ours.
package zxycalldialect

import (
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
const Name = "zxycall"

// Error codes of the dialect (ours: the seed gives none).
const (
	CodeUnauthorized   = 401
	CodeBadParam       = 10001
	CodeNotFound       = 10004
	CodeState          = 10009
	CodeNotSupported   = 10501
	CodeNoRoute        = 10404
	CodeMethod         = 10405
	CodeUnavailable    = 10503
	CodeInternal       = 10500
	defaultRegion      = "CN"
	zone               = "Asia/Shanghai"
	datetimeLayout     = time.DateTime
	maxImportBodyBytes = 32 << 20
	// undoTimeout bounds putting back a half-done change.
	undoTimeout = 10 * time.Second
)

// Config configures the dialect.
type Config struct {
	// Now stamps create_datetime and alter_datetime; default time.Now.
	Now func() time.Time
}

// Dialect is the zxycall dialect. It keeps no state of its own.
type Dialect struct {
	now func() time.Time
	loc *time.Location
	mux *http.ServeMux
}

var _ dialect.Dialect = (*Dialect)(nil)

// New returns the dialect.
func New(cfg Config) *Dialect {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	d := &Dialect{now: cfg.Now, loc: loc}
	d.mux = d.routes()
	return d
}

var tokenAuth = dialect.TokenAuth{Header: "Authorization", Prefix: "Bearer "}

// Info describes the dialect.
func (d *Dialect) Info(context.Context) (dialect.Info, error) {
	return dialect.Info{Name: Name, RoutePrefix: Name, AuthScheme: dialect.AuthBearer, OpenAPI: openAPI, Version: "0.1.0",
		TokenAuth: &tokenAuth}, nil
}

// apiError is the vendor's error body.
type apiError struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
	Data any    `json:"data"`
}

func write(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusOK, []byte(`{"code":10500,"msg":"encoding the response failed","data":null}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func ok(w http.ResponseWriter, v any) { write(w, http.StatusOK, v) }

// success is the body of the calls whose answer the seed leaves open.
func success(w http.ResponseWriter, data any) {
	ok(w, struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
		Data any    `json:"data"`
	}{0, "success", data})
}

func fail(w http.ResponseWriter, code int, msg string) {
	status := http.StatusOK
	if code == CodeUnauthorized {
		status = http.StatusUnauthorized
	}
	write(w, status, apiError{Code: code, Msg: msg})
}

func badParam(w http.ResponseWriter, field, reason string) {
	fail(w, CodeBadParam, "参数错误: "+field+": "+reason)
}

// failErr answers a host error in the vendor's shape.
func failErr(w http.ResponseWriter, err error) {
	var (
		fe *dialect.FieldError
		ue *undoError
	)
	switch {
	case errors.As(err, &ue):
		fail(w, CodeInternal, "内部错误: "+err.Error())
	case errors.As(err, &fe):
		fail(w, CodeBadParam, "参数错误: "+fe.Error())
	case errors.Is(err, dialect.ErrNotFound):
		fail(w, CodeNotFound, "记录不存在: "+err.Error())
	case errors.Is(err, dialect.ErrFailedPrecondition), errors.Is(err, dialect.ErrConflict):
		fail(w, CodeState, "状态不允许: "+err.Error())
	case errors.Is(err, dialect.ErrUnauthenticated):
		fail(w, CodeUnauthorized, "未授权: 需要有效的 Bearer token")
	case errors.Is(err, dialect.ErrNotImplemented):
		fail(w, CodeNotSupported, "不支持: "+err.Error())
	case errors.Is(err, dialect.ErrUnavailable):
		fail(w, CodeUnavailable, "服务暂不可用: "+err.Error())
	default:
		fail(w, CodeInternal, "内部错误: "+err.Error())
	}
}

type accountKey struct{}

// reqAccount is the request's account, set by HandleHTTP.
func reqAccount(r *http.Request) dialect.Account {
	a, _ := r.Context().Value(accountKey{}).(dialect.Account)
	return a
}

// HandleHTTP checks the token and routes one request.
func (d *Dialect) HandleHTTP(ctx context.Context, host dialect.Host, req dialect.Request) (dialect.Response, error) {
	var acct dialect.Account
	if req.Account != nil {
		acct = *req.Account
	} else {
		token := tokenAuth.Token(req)
		var err error
		if token == "" {
			err = dialect.ErrUnauthenticated
		} else {
			acct, err = host.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredToken, Secret: token})
		}
		if err != nil {
			if errors.Is(err, dialect.ErrUnauthenticated) {
				body, _ := json.Marshal(apiError{Code: CodeUnauthorized, Msg: "未授权: 需要有效的 Bearer token"})
				return dialect.JSON(http.StatusUnauthorized, body), nil
			}
			return dialect.Response{}, fmt.Errorf("authenticate: %w", err)
		}
	}
	if acct.DefaultRegion == "" {
		acct.DefaultRegion = defaultRegion
	}
	return dialect.ServeHTTP(context.WithValue(ctx, accountKey{}, acct), host, d.mux, req)
}

func (d *Dialect) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /v1/task/create", d.taskMeta)
	m.HandleFunc("POST /v1/task", d.createTask)
	m.HandleFunc("GET /v1/task", d.listTasks)
	m.HandleFunc("GET /v1/task/{task_id}", d.getTask)
	m.HandleFunc("PUT /v1/task/{task_id}", d.updateTask)
	m.HandleFunc("GET /v1/task/destroy/{task_id}", d.destroyTask)
	m.HandleFunc("GET /v1/task/start/{task_id}", d.action(dialect.CampaignStart))
	m.HandleFunc("GET /v1/task/stop/{task_id}", d.action(dialect.CampaignStop))
	m.HandleFunc("GET /v1/task/progress/{task_id}", d.progress)
	m.HandleFunc("POST /v1/task/import_task_customer/{task_id}", d.importCustomers)
	m.HandleFunc("POST /v1/caller_line", d.putLine)
	m.HandleFunc("GET /v1/caller_line", d.listLines)
	m.HandleFunc("GET /v1/caller_line/{id}", d.getLine)
	m.HandleFunc("PUT /v1/caller_line/{id}", d.putLine)
	m.HandleFunc("DELETE /v1/caller_line/{id}", d.deleteLine)
	m.HandleFunc("GET /v1/time_group", d.listTimeGroups)
	m.HandleFunc("POST /v1/time_group", d.putTimeGroup)
	m.HandleFunc("GET /v1/time_group/{id}", d.getTimeGroup)
	m.HandleFunc("PUT /v1/time_group/{id}", d.putTimeGroup)
	m.HandleFunc("DELETE /v1/time_group/{id}", d.deleteTimeGroup)
	m.HandleFunc("GET /v1/auto_recycle_rule", d.listRecycleRules)
	m.HandleFunc("POST /v1/auto_recycle_rule", d.putRecycleRule)
	m.HandleFunc("GET /v1/auto_recycle_rule/{id}", d.getRecycleRule)
	m.HandleFunc("PUT /v1/auto_recycle_rule/{id}", d.putRecycleRule)
	m.HandleFunc("DELETE /v1/auto_recycle_rule/{id}", d.deleteRecycleRule)
	m.HandleFunc("GET /v1/customer_service", d.listAgentGroups)
	m.HandleFunc("POST /v1/customer_service", d.putAgentGroup)
	m.HandleFunc("GET /v1/customer_service/{id}", d.getAgentGroup)
	m.HandleFunc("PUT /v1/customer_service/{id}", d.putAgentGroup)
	m.HandleFunc("DELETE /v1/customer_service/{id}", d.deleteAgentGroup)
	m.HandleFunc("GET /v1/outbound_group", d.listScriptGroups)
	m.HandleFunc("POST /v1/outbound_group", d.putScriptGroup)
	m.HandleFunc("GET /v1/outbound_group/{id}", d.getScriptGroup)
	m.HandleFunc("PUT /v1/outbound_group/{id}", d.putScriptGroup)
	m.HandleFunc("DELETE /v1/outbound_group/{id}", d.deleteScriptGroup)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, CodeNoRoute, "接口不存在: "+r.Method+" "+r.URL.Path)
	})
	return m
}
