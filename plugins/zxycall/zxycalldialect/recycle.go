package zxycalldialect

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// RecycleRule is a redial rule (重呼规则) as GET/POST/PUT
// /v1/auto_recycle_rule answer it: the seed's auto_recycle_rule with what
// it does (ours).
type RecycleRule struct {
	AutoRecycleRule
	// Rules say which outcomes are redialled, how often and after how long.
	Rules []RecycleRuleItem `json:"rules"`
	// MaxTries caps a customer's calls whatever the outcome; 0: no cap.
	MaxTries int `json:"max_tries"`
}

// RecycleRuleItem redials calls that ended with Outcome up to Count times,
// IntervalSeconds[i] seconds after the (i+1)th call (the last repeats).
type RecycleRuleItem struct {
	Outcome         string `json:"outcome"`
	Count           int    `json:"count"`
	IntervalSeconds []int  `json:"interval_seconds"`
}

// ruleID is a host id as zxycall's integer rule id (0 if it is not one).
func ruleID(id string) int {
	n, _ := strconv.Atoi(id)
	return n
}

func autoRecycleRule(acct dialect.Account, r RedialSpec, defaultID string) AutoRecycleRule {
	return AutoRecycleRule{ID: ruleID(r.ID), UserID: acct.ID, Name: r.Name, Status: true, IsDefault: r.ID == defaultID}
}

func recycleRuleEntity(acct dialect.Account, r RedialSpec, defaultID string) RecycleRule {
	out := RecycleRule{AutoRecycleRule: autoRecycleRule(acct, r, defaultID), Rules: []RecycleRuleItem{}, MaxTries: r.MaxTries}
	for _, o := range telephony.Outcomes {
		rr, ok := r.Rules[o]
		if !ok {
			continue
		}
		it := RecycleRuleItem{Outcome: string(o), Count: rr.Count, IntervalSeconds: []int{}}
		for _, d := range rr.Intervals {
			it.IntervalSeconds = append(it.IntervalSeconds, int(d/time.Second))
		}
		out.Rules = append(out.Rules, it)
	}
	return out
}

// DecodeRecycleRule reads the body of POST and PUT /v1/auto_recycle_rule
// (ours): {"name", "remark", "status", "rules": [{"outcome", "count",
// "interval_seconds"}], "max_tries"}. The host keeps no remark and no
// disabled rules yet: remark must be empty and status true when sent.
func DecodeRecycleRule(body []byte) (RedialSpec, *dialect.FieldError) {
	var r RedialSpec
	m, fe := fields("body", body)
	if fe != nil {
		return r, fe
	}
	if r.Name, fe = decodeName(m); fe != nil {
		return r, fe
	}
	remark, fe := decodeString("remark", m["remark"])
	if fe != nil {
		return r, fe
	}
	if remark != nil && *remark != "" {
		return r, &dialect.FieldError{Field: "remark", Value: truncate(*remark), Reason: "is not kept yet: leave it empty"}
	}
	if b := m["status"]; !isNull(b) && string(b) != "true" && string(b) != "1" {
		return r, &dialect.FieldError{Field: "status", Value: truncate(string(b)), Reason: "must be true: disabled rules are not kept yet (delete the rule instead)"}
	}
	maxTries, fe := decodeInt("max_tries", m["max_tries"])
	if fe != nil {
		return r, fe
	}
	if maxTries != nil {
		if *maxTries < 0 || *maxTries > dialer.MaxTries {
			return r, &dialect.FieldError{Field: "max_tries", Value: strconv.Itoa(*maxTries), Reason: fmt.Sprintf("must be 0–%d", dialer.MaxTries)}
		}
		r.MaxTries = *maxTries
	}
	raw, fe := items("rules", m["rules"])
	if fe != nil {
		return r, fe
	}
	for i, rb := range raw {
		f := fmt.Sprintf("rules[%d]", i)
		rm, fe := fields(f, rb)
		if fe != nil {
			return r, fe
		}
		o, fe := decodeString(f+".outcome", rm["outcome"])
		if fe != nil {
			return r, fe
		}
		switch {
		case o == nil:
			return r, required(f + ".outcome")
		case !slices.Contains(telephony.Outcomes, telephony.Outcome(*o)):
			return r, &dialect.FieldError{Field: f + ".outcome", Value: truncate(*o), Reason: "must be busy, no_answer, machine, congestion, rejected, failed, not_effective or abandoned"}
		case telephony.Outcome(*o) == telephony.OutcomeAnswered:
			return r, &dialect.FieldError{Field: f + ".outcome", Value: *o, Reason: "answered calls are not redialled"}
		}
		if _, dup := r.Rules[telephony.Outcome(*o)]; dup {
			return r, &dialect.FieldError{Field: f + ".outcome", Value: *o, Reason: "has a rule already"}
		}
		count, fe := decodeInt(f+".count", rm["count"])
		if fe != nil {
			return r, fe
		}
		if count == nil {
			return r, required(f + ".count")
		}
		if *count < 1 || *count > 100 {
			return r, &dialect.FieldError{Field: f + ".count", Value: strconv.Itoa(*count), Reason: "must be 1–100"}
		}
		ivs, fe := items(f+".interval_seconds", rm["interval_seconds"])
		if fe != nil {
			return r, fe
		}
		if len(ivs) == 0 || len(ivs) > 100 {
			return r, &dialect.FieldError{Field: f + ".interval_seconds", Reason: "must list 1–100 waits in seconds (the last repeats)"}
		}
		rule := dialer.RedialRule{Count: *count}
		for j, ib := range ivs {
			jf := fmt.Sprintf("%s.interval_seconds[%d]", f, j)
			n, fe := decodeInt(jf, ib)
			if fe != nil {
				return r, fe
			}
			if n == nil || *n < 0 || time.Duration(*n)*time.Second > dialer.MaxRetryPause {
				return r, &dialect.FieldError{Field: jf, Value: truncate(string(ib)), Reason: "must be 0–864000 seconds"}
			}
			rule.Intervals = append(rule.Intervals, time.Duration(*n)*time.Second)
		}
		if r.Rules == nil {
			r.Rules = map[telephony.Outcome]dialer.RedialRule{}
		}
		r.Rules[telephony.Outcome(*o)] = rule
	}
	return r, nil
}

func (d *Dialect) listRecycleRules(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	rules, err := recycleRules(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	def := defaultRule(rules)
	out := make([]RecycleRule, 0, len(rules))
	for _, rr := range rules {
		out = append(out, recycleRuleEntity(acct, rr, def))
	}
	ok(w, struct {
		Data []RecycleRule `json:"data"`
	}{out})
}

// ruleEntity renders one rule, with is_default from the account's rules.
func ruleEntity(w http.ResponseWriter, r *http.Request, rule RedialSpec) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	rules, err := allRules(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	ok(w, recycleRuleEntity(acct, rule, defaultRule(rules)))
}

func (d *Dialect) getRecycleRule(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	o, err := host.GetObject(ctx, acct.ID, dialect.KindRedialPolicy, r.PathValue("id"))
	if err != nil {
		failErr(w, err)
		return
	}
	rule, err := recycleRuleOf(o)
	if err != nil {
		failErr(w, err)
		return
	}
	ruleEntity(w, r, rule)
}

// putRecycleRule creates (no id) or replaces a rule; a replaced one is
// copied again into the tasks that name it.
func (d *Dialect) putRecycleRule(w http.ResponseWriter, r *http.Request) {
	rule, stored := putObject(d, w, r, catalogKind[RedialSpec]{
		kind: dialect.KindRedialPolicy, attr: attrRecycleRule, what: "rule",
		decode: DecodeRecycleRule, setID: func(s *RedialSpec, id string) { s.ID = id }, of: recycleRuleOf,
		apply: func(c *dialer.Campaign, s RedialSpec) { c.Redial = s.RedialPolicy },
	})
	if stored {
		ruleEntity(w, r, rule)
	}
}

func (d *Dialect) deleteRecycleRule(w http.ResponseWriter, r *http.Request) {
	d.deleteObject(w, r, dialect.KindRedialPolicy, attrRecycleRule, func(o dialect.Object) error {
		_, err := recycleRuleOf(o)
		return err
	})
}
