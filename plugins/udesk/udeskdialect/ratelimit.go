package udeskdialect

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter enforces Udesk's call limits per account: at most limit requests
// in any window (a sliding log of the accepted requests' times, so no
// window of that length ever holds more), and at least importGap between
// two accepted add_numbers calls. A refused request is not counted. The
// counts live in the plugin's memory, one entry per account that made a
// request: a restart forgets them, which errs on the client's side.
type limiter struct {
	limit     int // <= 0: no request limit
	window    time.Duration
	importGap time.Duration // <= 0: no add_numbers limit

	mu       sync.Mutex
	accounts map[string]*usage
}

// usage is one account's recent requests.
type usage struct {
	times      []time.Time // the last accepted requests, a ring of up to limit entries
	next       int         // where the next accepted request goes once the ring is full
	lastImport time.Time
}

func newLimiter(limit int, window, importGap time.Duration) *limiter {
	return &limiter{limit: limit, window: window, importGap: importGap, accounts: map[string]*usage{}}
}

// take counts one request of account at now (an add_numbers call when
// isImport), or refuses it with Udesk's error and how long to wait.
func (l *limiter) take(account string, now time.Time, isImport bool) *apiError {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.accounts[account]
	if u == nil {
		u = &usage{}
		l.accounts[account] = u
	}
	full := l.limit > 0 && len(u.times) == l.limit
	if full {
		if wait := u.times[u.next].Add(l.window).Sub(now); wait > 0 {
			return tooMany(wait, "at most %d requests per %s per company", l.limit, l.window)
		}
	}
	if isImport && l.importGap > 0 && !u.lastImport.IsZero() {
		if wait := u.lastImport.Add(l.importGap).Sub(now); wait > 0 {
			return tooMany(wait, "add_numbers: at most one call per %s per company", l.importGap)
		}
	}
	switch {
	case l.limit <= 0:
	case full:
		u.times[u.next] = now
		u.next = (u.next + 1) % l.limit
	default:
		u.times = append(u.times, now)
	}
	if isImport {
		u.lastImport = now
	}
	return nil
}

// tooMany is the answer to a request over a limit: HTTP 429 with the
// seed's generic code 2000 (the seed has no code for it) and Retry-After.
func tooMany(wait time.Duration, format string, args ...any) *apiError {
	secs := int64((wait + time.Second - 1) / time.Second)
	e := errf(http.StatusTooManyRequests, CodeUnknown, "Too many requests", "%s; retry in %d s", fmt.Sprintf(format, args...), secs)
	e.Header = http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}
	return e
}
