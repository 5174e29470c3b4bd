package dialect_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

func TestServeHTTPWithServeMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /queues/{id}/status", func(w http.ResponseWriter, r *http.Request) {
		st, err := dialect.HostFrom(r.Context()).QueueStatus(r.Context(), r.URL.Query().Get("account"), r.PathValue("id"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"queue": st.Queue, "waiting": st.Waiting})
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(append(b, r.Header.Get("X-A")...))
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	rec := &recHost{}
	ctx := context.Background()

	resp, err := dialect.ServeHTTP(ctx, rec, mux, dialect.Request{Method: "GET", Path: "/queues/q1/status",
		Query: url.Values{"account": {"acc1"}}})
	if err != nil || resp.Status != 200 || resp.Header.Get("Content-Type") != "application/json" ||
		string(resp.Body) != `{"queue":"q1","waiting":3}`+"\n" {
		t.Fatalf("GET: %+v %q %v", resp, resp.Body, err)
	}
	eq(t, "host call", rec.calls["QueueStatus"], []any{"acc1", "q1"})

	resp, err = dialect.ServeHTTP(ctx, rec, mux, dialect.Request{Method: "POST", Path: "/echo", Body: []byte("hi "),
		Header: http.Header{"X-A": {"there"}}})
	if err != nil || resp.Status != 201 || string(resp.Body) != "hi there" {
		t.Errorf("POST: %+v %v", resp, err)
	}
	resp, err = dialect.ServeHTTP(ctx, rec, mux, dialect.Request{Method: "DELETE", Path: "/echo"})
	if err != nil || resp.Status != http.StatusMethodNotAllowed {
		t.Errorf("wrong method: %+v %v", resp, err)
	}
	resp, err = dialect.ServeHTTP(ctx, rec, mux, dialect.Request{Method: "GET", Path: "/nothing"})
	if err != nil || resp.Status != http.StatusNotFound {
		t.Errorf("no route: %+v %v", resp, err)
	}
	if _, err := dialect.ServeHTTP(ctx, rec, mux, dialect.Request{Method: "GET", Path: "/panic"}); !errors.Is(err, dialect.ErrPanic) {
		t.Errorf("panic: %v", err)
	}
	var fe *dialect.FieldError
	if _, err := dialect.ServeHTTP(ctx, rec, mux, dialect.Request{Method: "BAD METHOD", Path: "/"}); !errors.As(err, &fe) || fe.Field != "method" {
		t.Errorf("bad method: %v", err)
	}
	if dialect.HostFrom(ctx) != nil {
		t.Error("HostFrom a plain context is not nil")
	}
}
