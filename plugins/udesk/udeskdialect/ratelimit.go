package udeskdialect

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// limiter enforces Udesk's call limits per account: at most limit requests
// in any window, and at least importGap between two accepted add_numbers
// calls. A refused request is not counted. The counts are the host's
// plugin state (see keys below), so a restart of the plugin or of the
// service keeps them, and several plugin processes share them.
//
// The window is a ring of limit slots, each an entry that lives for the
// window and holds the time of the request that took it; "rate:seq"
// counts the accepted requests, and the next one takes slot seq % limit:
// the slot of the oldest of the last limit accepted requests, so a request
// is accepted exactly when no window holds limit others (a sliding log).
// Two requests racing for a slot both read the sequence again; the loser
// tries the next slot, or is refused as over the limit.
type limiter struct {
	limit     int // <= 0: no request limit
	window    time.Duration
	importGap time.Duration // <= 0: no add_numbers limit
}

// Plugin state keys of the limiter, per account.
const (
	keyRateSeq  = "rate:seq"
	keyRateSlot = "rate:slot:"
	keyImport   = "rate:import"
)

// slotTries bounds how often a request races for a slot before it is refused.
const slotTries = 3

func newLimiter(limit int, window, importGap time.Duration) limiter {
	return limiter{limit: limit, window: window, importGap: importGap}
}

// stamp is a request's time as a state value.
func stamp(t time.Time) []byte { return strconv.AppendInt(nil, t.UnixNano(), 10) }

// take counts one request of account at now (an add_numbers call when
// isImport), or refuses it with Udesk's error and how long to wait.
func (l limiter) take(ctx context.Context, host dialect.Host, account string, now time.Time, isImport bool) *apiError {
	importing := isImport && l.importGap > 0
	if importing {
		stored, err := host.PutStateIfAbsent(ctx, account, keyImport, stamp(now), l.importGap)
		if err != nil {
			return hostError(err, "")
		}
		if !stored {
			return tooMany(l.left(ctx, host, account, keyImport, l.importGap, now), "add_numbers: at most one call per %s per company", l.importGap)
		}
	}
	aerr := l.takeSlot(ctx, host, account, now)
	if aerr != nil && importing {
		// The refused call does not count: the mark is this request's own
		// (no other add_numbers got past it meanwhile).
		if err := host.DeleteState(ctx, account, keyImport); err != nil {
			return hostError(err, "")
		}
	}
	return aerr
}

// takeSlot takes the next slot of the account's window ring.
func (l limiter) takeSlot(ctx context.Context, host dialect.Host, account string, now time.Time) *apiError {
	if l.limit <= 0 {
		return nil
	}
	full := func(wait time.Duration) *apiError {
		return tooMany(wait, "at most %d requests per %s per company", l.limit, l.window)
	}
	seq, err := host.AddState(ctx, account, keyRateSeq, 0, 0)
	if err != nil {
		return hostError(err, "")
	}
	for range slotTries {
		slot := keyRateSlot + strconv.FormatInt(seq%int64(l.limit), 10)
		stored, err := host.PutStateIfAbsent(ctx, account, slot, stamp(now), l.window)
		if err != nil {
			return hostError(err, "")
		}
		if stored {
			if _, err := host.AddState(ctx, account, keyRateSeq, 1, 0); err != nil {
				return hostError(err, "")
			}
			return nil
		}
		again, err := host.AddState(ctx, account, keyRateSeq, 0, 0)
		if err != nil {
			return hostError(err, "")
		}
		if again == seq { // the slot is the oldest request's, still in the window
			return full(l.left(ctx, host, account, slot, l.window, now))
		}
		seq = again
	}
	return full(time.Second)
}

// left is how long the request stamped at key keeps its mark of length d;
// at least a second when the mark has just gone or cannot be read.
func (l limiter) left(ctx context.Context, host dialect.Host, account, key string, d time.Duration, now time.Time) time.Duration {
	v, err := host.GetState(ctx, account, key)
	if err != nil {
		return time.Second
	}
	ns, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return time.Second
	}
	return max(time.Unix(0, ns).Add(d).Sub(now), time.Second)
}

// tooMany is the answer to a request over a limit: HTTP 429 with the
// seed's generic code 2000 (the seed has no code for it) and Retry-After.
func tooMany(wait time.Duration, format string, args ...any) *apiError {
	secs := int64((wait + time.Second - 1) / time.Second)
	e := errf(http.StatusTooManyRequests, CodeUnknown, "Too many requests", "%s; retry in %d s", fmt.Sprintf(format, args...), secs)
	e.Header = http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}
	return e
}
