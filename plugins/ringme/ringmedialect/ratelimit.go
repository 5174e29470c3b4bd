package ringmedialect

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// limiter counts each client's requests in fixed one-hour windows. The
// counts live in the plugin process: a restart forgets them (the host API
// has no counters), which errs on the client's side.
type limiter struct {
	limit int
	now   func() time.Time

	mu      sync.Mutex
	windows map[string]window
}

type window struct {
	start time.Time
	count int
}

const rateWindow = time.Hour

// maxTracked bounds the clients tracked before expired windows are dropped.
const maxTracked = 10_000

// take counts one request of client and returns the rate limit headers
// and whether it is within the limit.
func (l *limiter) take(client string) (http.Header, bool) {
	now := l.now()
	l.mu.Lock()
	w, ok := l.windows[client]
	if !ok || !now.Before(w.start.Add(rateWindow)) {
		if len(l.windows) >= maxTracked {
			for k, old := range l.windows {
				if !now.Before(old.start.Add(rateWindow)) {
					delete(l.windows, k)
				}
			}
		}
		w = window{start: now.Truncate(time.Second)}
	}
	allowed := w.count < l.limit
	if allowed {
		w.count++
	}
	l.windows[client] = w
	l.mu.Unlock()
	reset := w.start.Add(rateWindow)
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(l.limit-w.count))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	if !allowed {
		h.Set("Retry-After", strconv.FormatInt(int64(reset.Sub(now).Round(time.Second)/time.Second), 10))
	}
	return h, allowed
}

func rateLimited(h http.Header) dialect.Response {
	r := errorReply(http.StatusTooManyRequests, "rate_limit_exceeded", "", "too many requests for this client this hour; retry after X-RateLimit-Reset")
	for k, vs := range h {
		r.Header[k] = vs
	}
	return r
}
