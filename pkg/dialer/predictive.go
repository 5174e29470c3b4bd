package dialer

import (
	"container/heap"
	"math"
	"time"
)

// predictor chooses how many lines a predictive campaign dials. It keeps live
// measurements (answer rate, time to answer, talk time) and, for each
// decision, models the answers the outstanding and new calls will bring
// (binomial, normal approximation) against the agents that will be free to
// take them (idle now, plus busy ones likely to free up in time). It dials the
// most calls whose expected abandoned share stays under a target, and steers
// that target with the measured abandon rate so the rolling rate stays under
// the cap.
type predictor struct {
	cap       float64
	connect   time.Duration
	maxPerAgt float64
	p         float64 // answer (by a person) rate estimate
	pN        float64
	tta       float64 // mean seconds from dial to answer
	aht       float64 // mean talk seconds of connected calls
	talk      talk
	theta     float64 // target expected abandon share of a dialling decision
	abandEWMA float64
	answeredN int
	// Ring-time histograms (1 s buckets) of answered and unanswered calls,
	// and the survival curves derived from them: the chance a call still
	// ringing at age t is one that will be answered.
	ansHist, failHist []float64
	ansSurv, failSurv []float64
	histDirty         int
	ansN, failN       int
	fates             fateHeap
}

type fate struct {
	dialled  time.Time
	ring     time.Duration
	answered bool
}

type fateHeap []fate

func (h fateHeap) Len() int           { return len(h) }
func (h fateHeap) Less(i, j int) bool { return h[i].dialled.Before(h[j].dialled) }
func (h fateHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *fateHeap) Push(x any)        { *h = append(*h, x.(fate)) }
func (h *fateHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

const histBuckets = 601

func newPredictor(p Predictive) predictor {
	return predictor{
		cap: p.AbandonCap, connect: p.ConnectWithin, maxPerAgt: p.MaxLinesPerAgent,
		p: p.InitialAnswerRate, tta: 8, aht: 120, theta: p.AbandonCap / 4,
		ansHist: make([]float64, histBuckets), failHist: make([]float64, histBuckets),
	}
}

func bucket(d time.Duration) int { return min(max(int(d/time.Second), 0), histBuckets-1) }

// rang records how long a call rang before it was answered or failed. It is
// learnt from only once every call dialled at the same time has had its fate
// decided (after the ring timeout): learning at once would favour quick
// fates (fast answers, fast failures) over slow ones (ring timeouts).
func (pr *predictor) rang(now time.Time, d time.Duration, answered bool) {
	heap.Push(&pr.fates, fate{dialled: now.Add(-d), ring: d, answered: answered})
}

// mature learns from the fates of calls dialled before now-timeout.
func (pr *predictor) mature(now time.Time, timeout time.Duration) {
	cut := now.Add(-timeout - watchdogGrace)
	for len(pr.fates) > 0 && pr.fates[0].dialled.Before(cut) {
		f := heap.Pop(&pr.fates).(fate)
		pr.learn(f.ring, f.answered)
	}
}

func (pr *predictor) learn(d time.Duration, answered bool) {
	// The answer rate is learnt when a call's fate is known (answered, or
	// ended unanswered), not when the attempt ends: talk would delay answers.
	const horizon = 400
	pr.pN = min(pr.pN+1, horizon)
	x := 0.0
	if answered {
		x = 1
	}
	// The prior counts as 30 calls.
	pr.p += (x - pr.p) / (pr.pN + 30)
	h := pr.failHist
	pr.failN++
	if answered {
		h = pr.ansHist
		pr.ansN++
		pr.failN--
	}
	// Exponential forgetting keeps the curves current.
	h[bucket(d)]++
	pr.histDirty++
	if pr.ansN == 200 && pr.failN >= 200 || pr.failN == 200 && pr.ansN >= 200 {
		// The measured curves take over from the cautious guess: start the
		// target low again, it was grown under the guess.
		pr.theta = math.Min(pr.theta, pr.cap/2)
	}
	if pr.histDirty >= 50 || pr.ansSurv == nil {
		pr.histDirty = 0
		pr.ansSurv = survival(pr.ansHist, pr.ansSurv)
		pr.failSurv = survival(pr.failHist, pr.failSurv)
		for i := range pr.ansHist {
			pr.ansHist[i] *= 0.98
			pr.failHist[i] *= 0.98
		}
	}
}

// survival turns a histogram into P(duration > i s), reusing out.
func survival(h, out []float64) []float64 {
	if out == nil {
		out = make([]float64, len(h))
	}
	total := 0.0
	for _, x := range h {
		total += x
	}
	left := total
	for i, x := range h {
		left -= x
		if total > 0 {
			out[i] = left / total
		} else {
			out[i] = 1
		}
	}
	return out
}

// ringingP is the chance that a call ringing for age will be answered.
func (pr *predictor) ringingP(age time.Duration, p float64) float64 {
	// Early samples are biased to short rings (long ones have not ended
	// yet): the curves are trusted only once both hold enough calls.
	if pr.ansSurv == nil || pr.ansN < 200 || pr.failN < 200 {
		// Until then assume quick failures have cleared the older calls, which
		// makes them likelier to answer: a cautious guess.
		if age >= 3*time.Second {
			return math.Min(1, 2*p)
		}
		return p
	}
	i := bucket(age)
	sa, sf := 1.0, 1.0
	if i > 0 {
		sa, sf = pr.ansSurv[i-1], pr.failSurv[i-1]
	}
	num := p * sa
	den := num + (1-p)*sf
	if den <= 0 {
		return 0
	}
	return num / den
}

// answered records the ring time of an answered call.
func (pr *predictor) answered(ring time.Duration) {
	pr.tta += (ring.Seconds() - pr.tta) / 50
}

// talk estimates the mean talk time without the bias of learning only from
// calls that have ended (short ones end first): over the calls connected in
// the last hour, it is (talk of the ended + time so far of the ongoing) /
// ended, the exponential model's maximum-likelihood estimate. Two prior calls
// of 120 s keep it defined at the start.
type talk struct {
	recs            []*talkRec
	head            int
	endedN          int
	endedSum        float64 // seconds
	ongoingN        int
	ongoingStartSum float64 // seconds since epoch
	epoch           time.Time
}

type talkRec struct {
	start   time.Time
	end     time.Time
	evicted bool
}

const talkWindow = time.Hour

func (t *talk) secs(at time.Time) float64 { return at.Sub(t.epoch).Seconds() }

func (t *talk) connected(now time.Time) *talkRec {
	if t.epoch.IsZero() {
		t.epoch = now
	}
	r := &talkRec{start: now}
	t.recs = append(t.recs, r)
	t.ongoingN++
	t.ongoingStartSum += t.secs(now)
	return r
}

func (t *talk) ended(r *talkRec, now time.Time) {
	if r == nil || r.evicted || !r.end.IsZero() {
		return
	}
	r.end = now
	t.ongoingN--
	t.ongoingStartSum -= t.secs(r.start)
	t.endedN++
	t.endedSum += now.Sub(r.start).Seconds()
}

func (t *talk) mean(now time.Time) float64 {
	for t.head < len(t.recs) && now.Sub(t.recs[t.head].start) > talkWindow {
		r := t.recs[t.head]
		r.evicted = true
		if r.end.IsZero() {
			t.ongoingN--
			t.ongoingStartSum -= t.secs(r.start)
		} else {
			t.endedN--
			t.endedSum -= r.end.Sub(r.start).Seconds()
		}
		t.recs[t.head] = nil
		t.head++
	}
	if t.head > 1024 && t.head*2 > len(t.recs) {
		t.recs = append(t.recs[:0], t.recs[t.head:]...)
		t.head = 0
	}
	const priorN, priorMean = 2, 120.0
	exposure := t.endedSum + float64(t.ongoingN)*t.secs(now) - t.ongoingStartSum
	return (exposure + priorN*priorMean) / float64(t.endedN+priorN)
}

// attempt records a finished attempt and steers the target.
func (pr *predictor) attempt(now time.Time, human, abandoned bool, cp *campaign) {
	if !human {
		return
	}
	pr.answeredN++
	a := 0.0
	if abandoned {
		a = 1
	}
	pr.abandEWMA += (a - pr.abandEWMA) / math.Min(float64(pr.answeredN), 200)
	goal := 0.7 * pr.cap
	window := ratio(cp.win.sum.aband, cp.win.sum.answered)
	switch {
	case cp.win.sum.answered >= 20 && window >= 0.8*pr.cap:
		pr.theta *= 0.85
	case cp.win.sum.answered >= 20 && window >= 0.7*pr.cap && abandoned:
		pr.theta *= 0.9
	default:
		pr.theta *= math.Exp(0.01 * (goal - pr.abandEWMA) / goal)
	}
	pr.theta = math.Min(math.Max(pr.theta, 0.05*pr.cap), 1.5*pr.cap)
}

// want is how many more calls to dial now.
func (pr *predictor) want(now time.Time, cp *campaign) int {
	pr.mature(now, cp.cfg.RingTimeout)
	pr.aht = pr.talk.mean(now)
	s := cp.supply
	if s.Staffed == 0 {
		return 0
	}
	idle := float64(s.Idle - cp.handoffs)
	h := pr.tta + pr.connect.Seconds()
	var fMean, fVar float64
	lastWrap, lastQ := time.Duration(-1), 0.0
	for _, b := range s.Busy {
		var q float64
		if !b.FreeAt.IsZero() {
			if b.FreeAt.Sub(now).Seconds() <= h {
				q = 1
			}
		} else if b.WrapUp == lastWrap {
			q = lastQ
		} else {
			if rem := h - b.WrapUp.Seconds(); rem > 0 && pr.aht > 0 {
				q = 1 - math.Exp(-rem/pr.aht)
			}
			lastWrap, lastQ = b.WrapUp, q
		}
		fMean += q
		fVar += q * (1 - q)
	}
	supply := idle + fMean
	ringing := cp.ringing
	limit := int(pr.maxPerAgt*float64(s.Staffed)) - ringing - cp.handoffs
	if limit <= 0 {
		return 0
	}
	p := math.Min(math.Max(pr.p, 0.01), 1)
	var rMean, rVar float64
	for _, c := range cp.ringingCalls {
		q := pr.ringingP(now.Sub(c.started), p)
		rMean += q
		rVar += q * (1 - q)
	}
	// Spend less of the target as the rolling window nears the cap.
	theta := pr.theta
	if cp.win.sum.answered >= 20 {
		room := 0.9*pr.cap - ratio(cp.win.sum.aband, cp.win.sum.answered)
		theta *= math.Min(math.Max(room/(0.45*pr.cap), 0.05), 1)
		// Small teams answer few calls an hour, so one abandon moves the
		// window a lot: spend less when under five abandons are left.
		spare := 0.9*pr.cap*float64(cp.win.sum.answered) - float64(cp.win.sum.aband)
		theta *= math.Min(math.Max(spare/5, 0.05), 1)
	}
	ok := func(n int) bool {
		answers := rMean + float64(n)*p
		mu := answers - supply
		sd := math.Sqrt(rVar + float64(n)*p*(1-p) + fVar)
		return expectedExcess(mu, sd) <= theta*answers
	}
	if !ok(1) {
		// Never starve: with an idle agent and nothing ringing, one call goes.
		if idle >= 1 && ringing == 0 {
			return 1
		}
		return 0
	}
	lo, hi := 1, limit
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if ok(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// expectedExcess is E[max(0, Y)] for Y ~ Normal(mu, sd²).
func expectedExcess(mu, sd float64) float64 {
	if sd <= 1e-9 {
		return math.Max(mu, 0)
	}
	z := mu / sd
	return mu*normCDF(z) + sd*normPDF(z)
}

func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
func normPDF(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }
