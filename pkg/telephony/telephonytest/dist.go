package telephonytest

import (
	"math"
	"math/rand/v2"
	"time"
)

// DistKind names a distribution shape.
type DistKind string

// Distribution shapes.
const (
	Fixed       DistKind = "fixed"       // always Mean
	Exponential DistKind = "exponential" // mean Mean
	Uniform     DistKind = "uniform"     // in [Min, Max]
	LogNormal   DistKind = "lognormal"   // mean Mean, shape Sigma
)

// Dist is a distribution of durations. The zero value is always zero.
type Dist struct {
	Kind     DistKind
	Mean     time.Duration
	Min, Max time.Duration
	Sigma    float64
}

// Fix is a fixed duration.
func Fix(d time.Duration) Dist { return Dist{Kind: Fixed, Mean: d} }

// Exp is an exponential distribution with mean m.
func Exp(m time.Duration) Dist { return Dist{Kind: Exponential, Mean: m} }

// Sample draws one duration (never negative), clamped to Max when Max > 0
// and raised to Min.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	var v time.Duration
	switch d.Kind {
	case Exponential:
		v = time.Duration(r.ExpFloat64() * float64(d.Mean))
	case Uniform:
		if d.Max > d.Min {
			v = d.Min + time.Duration(r.Int64N(int64(d.Max-d.Min)+1))
		} else {
			v = d.Min
		}
	case LogNormal:
		s := d.Sigma
		mu := math.Log(float64(d.Mean)) - s*s/2
		v = time.Duration(math.Exp(mu + s*r.NormFloat64()))
	default:
		v = d.Mean
	}
	if d.Max > 0 && v > d.Max {
		v = d.Max
	}
	if v < d.Min {
		v = d.Min
	}
	return max(v, 0)
}
