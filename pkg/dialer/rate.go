package dialer

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Rate is an exact call rate: Calls per Per. 1/60 cps is {1, time.Minute},
// 3 cps is {3, time.Second}; no float rounding ever enters the pacing.
type Rate struct {
	Calls int64         `json:"calls"`
	Per   time.Duration `json:"per"`
}

// IsZero reports whether no rate is set (unlimited).
func (r Rate) IsZero() bool { return r.Calls == 0 && r.Per == 0 }

// CPS is the rate in calls per second, for reports.
func (r Rate) CPS() float64 {
	if r.Per == 0 {
		return 0
	}
	return float64(r.Calls) / r.Per.Seconds()
}

func (r Rate) String() string {
	if r.IsZero() {
		return "unlimited"
	}
	return fmt.Sprintf("%d/%s", r.Calls, r.Per)
}

func (r Rate) validate(field string) error {
	if r.Calls < 1 || r.Per <= 0 {
		return &FieldError{Field: field, Value: r.String(), Reason: "calls and per must be positive"}
	}
	// One call per hour is the slowest rate; 200 per second the fastest.
	if r.Per > time.Duration(r.Calls)*time.Hour {
		return &FieldError{Field: field, Value: r.String(), Reason: "slower than one call per hour"}
	}
	if big.NewRat(r.Calls, int64(r.Per)).Cmp(big.NewRat(MaxCPS, int64(time.Second))) > 0 {
		return &FieldError{Field: field, Value: r.String(), Reason: fmt.Sprintf("faster than %d calls per second", MaxCPS)}
	}
	return nil
}

// ParseRate reads a calls-per-second figure: "10", "0.5", "1/60" (one call per
// 60 s), or "3/2". Decimal and fraction forms are kept exact.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 {
		return Rate{}, &FieldError{Field: "cps", Value: s, Reason: "must be a positive number or fraction such as 1/60"}
	}
	return rateFromRat("cps", s, r)
}

// RateFromCPS converts a float calls-per-second figure, exact for its shortest
// decimal form (0.25 → 1 per 4 s).
func RateFromCPS(cps float64) (Rate, error) {
	return ParseRate(strconv.FormatFloat(cps, 'f', -1, 64))
}

// rateFromRat turns calls-per-second r into calls per whole nanoseconds.
func rateFromRat(field, raw string, r *big.Rat) (Rate, error) {
	// calls/second = num/den → num calls per den seconds.
	num, den := r.Num(), r.Denom()
	per := new(big.Int).Mul(den, big.NewInt(int64(time.Second)))
	g := new(big.Int).GCD(nil, nil, num, per)
	num.Quo(num, g)
	per.Quo(per, g)
	if !num.IsInt64() || !per.IsInt64() {
		return Rate{}, &FieldError{Field: field, Value: raw, Reason: "too precise"}
	}
	rate := Rate{Calls: num.Int64(), Per: time.Duration(per.Int64())}
	if err := rate.validate(field); err != nil {
		return Rate{}, &FieldError{Field: field, Value: raw, Reason: err.(*FieldError).Reason}
	}
	return rate, nil
}

// tokenBucket paces calls at an exact Rate with a bounded burst. Credit is an
// integer: it grows by rate.Calls every nanosecond and a call costs rate.Per,
// so fractional rates accrue without rounding.
type tokenBucket struct {
	rate   Rate
	burst  int64
	credit int64 // in units where one call costs rate.Per (ns); grows rate.Calls per ns
	at     time.Time
}

func newTokenBucket(r Rate, burst int, now time.Time) tokenBucket {
	b := tokenBucket{rate: r, burst: int64(burst), at: now}
	if !r.IsZero() {
		b.credit = int64(r.Per) // one call available at once
	}
	return b
}

func (b *tokenBucket) limit() int64 { return b.burst * int64(b.rate.Per) }

func (b *tokenBucket) advance(now time.Time) {
	if b.rate.IsZero() || !now.After(b.at) {
		return
	}
	room := b.limit() - b.credit
	el := int64(now.Sub(b.at))
	if room <= 0 {
		b.credit = b.limit()
	} else if el >= room/b.rate.Calls+1 {
		b.credit = b.limit()
	} else {
		b.credit = min(b.limit(), b.credit+el*b.rate.Calls)
	}
	b.at = now
}

// available reports how many calls may start now.
func (b *tokenBucket) available(now time.Time) int {
	if b.rate.IsZero() {
		return 1 << 30
	}
	b.advance(now)
	return int(b.credit / int64(b.rate.Per))
}

// take spends one call's credit; the caller checked available.
func (b *tokenBucket) take(now time.Time) {
	if b.rate.IsZero() {
		return
	}
	b.advance(now)
	b.credit -= int64(b.rate.Per)
}

// nextAt is when the next call's credit is there.
func (b *tokenBucket) nextAt(now time.Time) time.Time {
	if b.rate.IsZero() {
		return now
	}
	b.advance(now)
	need := int64(b.rate.Per) - b.credit
	if need <= 0 {
		return now
	}
	ns := (need + b.rate.Calls - 1) / b.rate.Calls
	return now.Add(time.Duration(ns))
}
