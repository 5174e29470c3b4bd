package ringmedialect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// limiter counts each client's requests in fixed one-hour windows, the
// first starting at the client's first request (to the second), the next
// at its first request after that one ended. Window and count are the
// host's plugin state (per account: "rate:window" holds the window's
// start and lives until its end; "rate:count:<start>" counts its
// requests), so a restart of the plugin or of the service keeps them.
type limiter struct {
	limit int
	now   func() time.Time
}

const rateWindow = time.Hour

// Plugin state keys of the limiter.
const (
	keyRateWindow = "rate:window"
	keyRateCount  = "rate:count:"
)

// take counts one request of client and returns the rate limit headers
// and whether it is within the limit; err is the host's failure.
func (l *limiter) take(ctx context.Context, host dialect.Host, client string) (h http.Header, allowed bool, err error) {
	now := l.now()
	start, err := l.window(ctx, host, client, now)
	if err != nil {
		return nil, false, err
	}
	reset := start.Add(rateWindow)
	n, err := host.AddState(ctx, client, keyRateCount+strconv.FormatInt(start.Unix(), 10), 1, rateWindow)
	if err != nil {
		return nil, false, fmt.Errorf("rate limit: %w", err)
	}
	allowed = n <= int64(l.limit) // a refused request counts past the limit, which changes nothing
	h = http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(max(int64(l.limit)-n, 0), 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	if !allowed {
		h.Set("Retry-After", strconv.FormatInt(int64(reset.Sub(now).Round(time.Second)/time.Second), 10))
	}
	return h, allowed, nil
}

// window returns the start of the client's current window, starting one
// at now when none is open (atomically: concurrent first requests agree).
func (l *limiter) window(ctx context.Context, host dialect.Host, client string, now time.Time) (time.Time, error) {
	for range 2 { // a window ending between the two calls: once more
		start := now.Truncate(time.Second)
		opened, err := host.PutStateIfAbsent(ctx, client, keyRateWindow, strconv.AppendInt(nil, start.Unix(), 10), start.Add(rateWindow).Sub(now))
		if err != nil {
			return time.Time{}, fmt.Errorf("rate limit window: %w", err)
		}
		if opened {
			return start, nil
		}
		v, err := host.GetState(ctx, client, keyRateWindow)
		if errors.Is(err, dialect.ErrNotFound) {
			continue
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("rate limit window: %w", err)
		}
		secs, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("rate limit window %q: %w", v, err)
		}
		return time.Unix(secs, 0), nil
	}
	return now.Truncate(time.Second), nil
}

func rateLimited(h http.Header) dialect.Response {
	r := errorReply(http.StatusTooManyRequests, "rate_limit_exceeded", "", "too many requests for this client this hour; retry after X-RateLimit-Reset")
	for k, vs := range h {
		r.Header[k] = vs
	}
	return r
}
