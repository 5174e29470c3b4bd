package ringmedialect_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/plugins/ringme/ringmedialect"
)

// The hourly counts are the host's plugin state: a new dialect instance
// over the same host (the plugin restarted) goes on counting in the same
// window, and several instances share one count.
func TestRateLimitOutlivesRestart(t *testing.T) {
	f := newFixture(t)
	start := func() dialect.Handler {
		return dialect.Bind(ringmedialect.New(ringmedialect.Config{Now: func() time.Time { return f.now }, RateLimit: 3}), f.host)
	}
	f.h = start()
	tok := f.token("12", "s12")
	get := func() dialect.Response {
		return f.raw(dialect.Request{Method: "GET", Path: "/api/ver1.0/client/@me/agent/local/", Header: http.Header{"Authorization": {"Bearer " + tok}}})
	}
	reset := fmt.Sprint(epoch.Add(time.Hour).Unix())
	for _, remaining := range []string{"2", "1"} {
		if r := get(); r.Status != 200 || r.Header.Get("X-RateLimit-Remaining") != remaining {
			t.Fatalf("before the restart: %d %v %s", r.Status, r.Header, r.Body)
		}
	}
	f.now = f.now.Add(10 * time.Minute)
	f.h = start() // restarted
	if r := get(); r.Status != 200 || r.Header.Get("X-RateLimit-Remaining") != "0" || r.Header.Get("X-RateLimit-Reset") != reset {
		t.Errorf("the third request, after a restart: %d %v %s; want remaining 0, reset %s", r.Status, r.Header, r.Body, reset)
	}
	other := start() // a second instance at once
	f.h = other
	if r := get(); r.Status != 429 || r.Header.Get("Retry-After") != "3000" || r.Header.Get("X-RateLimit-Reset") != reset {
		t.Errorf("the fourth request, on another instance: %d %v %s; want 429 for 50 minutes", r.Status, r.Header, r.Body)
	}
	f.now = epoch.Add(time.Hour)
	f.h = start()
	tok = f.token("12", "s12") // the access token lasts an hour too
	if r := get(); r.Status != 200 || r.Header.Get("X-RateLimit-Remaining") != "2" ||
		r.Header.Get("X-RateLimit-Reset") != fmt.Sprint(epoch.Add(2*time.Hour).Unix()) {
		t.Errorf("the next window: %d %v %s", r.Status, r.Header, r.Body)
	}
}
