package dialect_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// echoDialect answers with what the host says about the queue named by the
// path, or panics on /panic.
type echoDialect struct{}

func (echoDialect) Info(context.Context) (dialect.Info, error) {
	return dialect.Info{Name: "echo", RoutePrefix: "echo", AuthScheme: dialect.AuthNone, OpenAPI: []byte(`{"openapi":"3.0.3"}`),
		TokenAuth: &dialect.TokenAuth{Query: "token", Kind: "api"}}, nil
}

func (echoDialect) HandleHTTP(ctx context.Context, host dialect.Host, req dialect.Request) (dialect.Response, error) {
	if req.Path == "/panic" {
		panic("boom")
	}
	st, err := host.QueueStatus(ctx, req.Header.Get("X-Account"), strings.TrimPrefix(req.Path, "/"))
	if err != nil {
		return dialect.Response{}, err
	}
	resp := dialect.Response{Status: 200, Header: http.Header{"X-Queue": {st.Queue}}, Body: []byte(req.Method)}
	if req.Account != nil {
		resp.Header.Set("X-Account", req.Account.ID+"/"+req.Account.DefaultRegion)
	}
	return resp, nil
}

func (echoDialect) RenderEvent(_ context.Context, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	return []dialect.Webhook{{Method: "POST", URL: sub.URL, Body: []byte(ev.Type)}}, nil
}

// TestPluginOverGoPlugin runs the go-plugin glue in one process: the host
// side dispenses the plugin, serves the host API over the broker, and the
// plugin calls it back.
func TestPluginOverGoPlugin(t *testing.T) {
	rec := &recHost{}
	// Closing the client shuts the server down through go-plugin's
	// controller; stopping it here as well would race inside go-plugin.
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
		dialect.PluginName: &dialect.Plugin{Impl: echoDialect{}, Host: rec},
	})
	defer client.Close()
	raw, err := client.Dispense(dialect.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := raw.(dialect.Handler)
	if !ok {
		t.Fatalf("dispensed %T, not a dialect.Handler", raw)
	}
	ctx := context.Background()
	info, err := h.Info(ctx)
	if err != nil || info.RoutePrefix != "echo" || string(info.OpenAPI) != `{"openapi":"3.0.3"}` ||
		info.TokenAuth == nil || *info.TokenAuth != (dialect.TokenAuth{Query: "token", Kind: "api"}) {
		t.Fatalf("info %+v %v", info, err)
	}
	resp, err := h.HandleHTTP(ctx, dialect.Request{Method: "GET", Path: "/q1", Header: http.Header{"X-Account": {"acc9"}}})
	if err != nil || resp.Status != 200 || resp.Header.Get("X-Queue") != "q1" || string(resp.Body) != "GET" {
		t.Fatalf("response %+v %v", resp, err)
	}
	eq(t, "host call made by the plugin", rec.calls["QueueStatus"], []any{"acc9", "q1"})
	resp, err = h.HandleHTTP(ctx, dialect.Request{Method: "GET", Path: "/q1", Account: &dialect.Account{ID: "acc9", DefaultRegion: "CN"}})
	if err != nil || resp.Header.Get("X-Account") != "acc9/CN" {
		t.Errorf("the account the host checked did not reach the plugin: %+v %v", resp, err)
	}

	_, err = h.HandleHTTP(ctx, dialect.Request{Method: "GET", Path: "/panic"})
	if err == nil || !strings.Contains(err.Error(), "dialect panicked: boom") {
		t.Errorf("a panicking handler: %v", err)
	}
	if _, err := h.Info(ctx); err != nil {
		t.Errorf("the plugin stopped serving after a panic: %v", err)
	}
	rec.err = dialect.ErrNotFound
	if _, err := h.HandleHTTP(ctx, dialect.Request{Method: "GET", Path: "/q1"}); !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("a host error returned by the dialect: %v", err)
	}
	ws, err := h.RenderEvent(ctx, event.Event{Type: event.CallEnded}, dialect.Subscription{URL: "https://x.example"})
	if err != nil || len(ws) != 1 || string(ws[0].Body) != "call.ended" || ws[0].URL != "https://x.example" {
		t.Errorf("render %+v %v", ws, err)
	}
}

func TestBindRecoversPanics(t *testing.T) {
	_, err := dialect.Bind(echoDialect{}, &recHost{}).HandleHTTP(context.Background(), dialect.Request{Method: "GET", Path: "/panic"})
	if !errors.Is(err, dialect.ErrPanic) {
		t.Errorf("err = %v, want ErrPanic", err)
	}
}

func TestTokenAuthToken(t *testing.T) {
	bearer := dialect.TokenAuth{Header: "Authorization", Prefix: "Bearer "}
	query := dialect.TokenAuth{Query: "access_token"}
	cases := []struct {
		a    dialect.TokenAuth
		req  dialect.Request
		want string
	}{
		{bearer, dialect.Request{Header: http.Header{"Authorization": {"Bearer abc"}}}, "abc"},
		{bearer, dialect.Request{Header: http.Header{"Authorization": {"bearer  abc "}}}, "abc"},
		{bearer, dialect.Request{Header: http.Header{"Authorization": {"Basic abc"}}}, ""},
		{bearer, dialect.Request{Header: http.Header{"Authorization": {"Bear"}}}, ""},
		{bearer, dialect.Request{}, ""},
		{query, dialect.Request{Query: url.Values{"access_token": {"q1"}}}, "q1"},
		{query, dialect.Request{}, ""},
		{dialect.TokenAuth{}, dialect.Request{Query: url.Values{"": {"x"}}}, ""},
	}
	for _, c := range cases {
		if got := c.a.Token(c.req); got != c.want {
			t.Errorf("%+v on %+v: %q, want %q", c.a, c.req, got, c.want)
		}
	}
	var fe *dialect.FieldError
	bad := dialect.Info{Name: "x", RoutePrefix: "x", AuthScheme: "bearer", TokenAuth: &dialect.TokenAuth{Kind: "access"}}
	if err := bad.Validate(); !errors.As(err, &fe) || fe.Field != "token_auth" {
		t.Errorf("token auth without a place: %v", err)
	}
}
