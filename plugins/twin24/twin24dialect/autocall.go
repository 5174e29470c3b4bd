package twin24dialect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// AutoCall is the body of POST /telephony/autoCall (the seed's fields).
// Pointers tell a missing field from a zero one: most are required.
type AutoCall struct {
	Name                  *string            `json:"name"`
	DefaultExec           *string            `json:"defaultExec"`
	DefaultExecData       *string            `json:"defaultExecData"`
	SecondExec            *string            `json:"secondExec"`
	SecondExecData        *string            `json:"secondExecData"`
	CidType               *string            `json:"cidType"`
	CidData               *string            `json:"cidData"`
	StartType             *string            `json:"startType"`
	StartMoment           *string            `json:"startMoment"`
	Cps                   *json.Number       `json:"cps"`
	TaskComment           *string            `json:"taskComment"`
	WebhookURLs           []string           `json:"webhookUrls"`
	AdditionalOptions     *AdditionalOptions `json:"additionalOptions"`
	RedialStrategyOptions *RedialOptions     `json:"redialStrategyOptions"`
}

// AdditionalOptions are the seed's additionalOptions.
type AdditionalOptions struct {
	FullListMethod    *string `json:"fullListMethod"`
	FullListTime      *int    `json:"fullListTime"`
	UseTr             *bool   `json:"useTr"`
	AllowCallTimeFrom *int    `json:"allowCallTimeFrom"`
	AllowCallTimeTo   *int    `json:"allowCallTimeTo"`
	RecordCall        *bool   `json:"recordCall"`
	RecTrimLeft       *int    `json:"recTrimLeft"`
	DetectRobot       *bool   `json:"detectRobot"`
	DetectRobotMode   *string `json:"detectRobotMode"`
	ProviderID        *string `json:"providerId"`
}

// RedialOptions are the seed's redialStrategyOptions.
type RedialOptions struct {
	RedialStrategyEn *bool       `json:"redialStrategyEn"`
	Busy             *RedialRule `json:"busy"`
	NoAnswer         *RedialRule `json:"noAnswer"`
	AnswerMash       *RedialRule `json:"answerMash"`
	Congestion       *RedialRule `json:"congestion"`
	AnswerNoList     *RedialRule `json:"answerNoList"`
}

// RedialRule is one outcome's redial rule.
type RedialRule struct {
	Redial *bool `json:"redial"`
	Time   *int  `json:"time"`
	Count  *int  `json:"count"`
}

// redialOutcomes maps the seed's outcome names to the core's, in the seed's order.
var redialOutcomes = []struct {
	name    string
	outcome telephony.Outcome
	rule    func(*RedialOptions) **RedialRule
}{
	{"busy", telephony.OutcomeBusy, func(o *RedialOptions) **RedialRule { return &o.Busy }},
	{"noAnswer", telephony.OutcomeNoAnswer, func(o *RedialOptions) **RedialRule { return &o.NoAnswer }},
	{"answerMash", telephony.OutcomeMachine, func(o *RedialOptions) **RedialRule { return &o.AnswerMash }},
	{"congestion", telephony.OutcomeCongestion, func(o *RedialOptions) **RedialRule { return &o.Congestion }},
	{"answerNoList", telephony.OutcomeNotEffective, func(o *RedialOptions) **RedialRule { return &o.AnswerNoList }},
}

// Limits and constants of the mapping (ours where the seed is silent).
const (
	// robotContext is the dialplan context robot scenarios run in; the
	// scenario uuid (defaultExecData) is the extension.
	robotContext = "twin24-robot"
	dayEnd       = 86399 // the last second of a day, allowCallTimeTo's maximum
	maxRedialGap = 864000
	maxRedials   = 100
	maxNameLen   = 255
	maxWebhooks  = 10
	momentLayout = "2006-01-02 15:04"
	// Attrs keys of the vendor fields the core keeps but does not act on.
	attrCidType        = "twin24.cidType"
	attrCidData        = "twin24.cidData"
	attrFullListMethod = "twin24.fullListMethod"
	attrCps            = "twin24.cps"
	attrRedial         = "twin24.redialStrategyOptions"
	webhookFormat      = "twin24"
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Errors collects field errors: the vendor's error body lists them all.
type Errors map[string]string

func (e Errors) add(field, reason string) {
	if _, ok := e[field]; !ok {
		e[field] = reason
	}
}

// Company is what reading a request needs from its account: the region
// numbers are parsed in and the zone of startMoment and the calling hours.
type Company struct {
	Region string
	Zone   *time.Location
}

// DecodeAutoCall reads a request body. A body that is not a JSON object, or
// a field of the wrong type, is reported by name.
func DecodeAutoCall(body []byte) (AutoCall, Errors) {
	var a AutoCall
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&a); err != nil {
		return AutoCall{}, jsonErrors(err)
	}
	if dec.More() {
		return AutoCall{}, Errors{"body": "must be one JSON object"}
	}
	return a, nil
}

func jsonErrors(err error) Errors {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return Errors{te.Field: fmt.Sprintf("must be %s, not a JSON %s", jsonType(te.Type.Kind().String()), te.Value)}
	}
	return Errors{"body": "must be a JSON object: " + err.Error()}
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64":
		return "an integer"
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "ptr", "map":
		return "an object"
	}
	return "a number"
}

// ParseCPS decodes the seed's cps encoding exactly: 1 + N/100 is N calls per
// second, 1 − N/100 is one call every N seconds.
func ParseCPS(n json.Number) (dialer.Rate, error) {
	s := strings.TrimSpace(n.String())
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return dialer.Rate{}, errors.New("must be a number")
	}
	switch {
	case f <= 0:
		return dialer.Rate{}, errors.New("must be greater than 0 (1 − N/100 is one call every N seconds, N < 100)")
	case f == 1:
		return dialer.Rate{}, errors.New("1.0 is neither N calls per second (1 + N/100) nor one call every N seconds (1 − N/100)")
	case f > 1+float64(dialer.MaxCPS)/100:
		return dialer.Rate{}, fmt.Errorf("at most %d calls per second (%g)", dialer.MaxCPS, 1+float64(dialer.MaxCPS)/100)
	}
	if strings.ContainsAny(s, "eE") { // keep big.Rat away from huge exponents
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	v, ok := new(big.Rat).SetString(s)
	if !ok {
		return dialer.Rate{}, errors.New("must be a number")
	}
	hundred := big.NewRat(100, 1)
	one := big.NewRat(1, 1)
	var rate *big.Rat
	if v.Cmp(one) > 0 {
		rate = new(big.Rat).Mul(new(big.Rat).Sub(v, one), hundred) // N calls per second
	} else {
		every := new(big.Rat).Mul(new(big.Rat).Sub(one, v), hundred) // one call every N seconds
		rate = new(big.Rat).Inv(every)
	}
	r, err := dialer.ParseRate(rate.RatString())
	if err != nil {
		var fe *dialer.FieldError
		if errors.As(err, &fe) {
			return dialer.Rate{}, errors.New(fe.Reason)
		}
		return dialer.Rate{}, err
	}
	return r, nil
}

// FormatCPS encodes a rate the seed's way: 1 + N/100 from one call per
// second up, 1 − N/100 below.
func FormatCPS(r dialer.Rate) json.Number {
	if r.IsZero() {
		return ""
	}
	cps := big.NewRat(r.Calls*int64(time.Second), int64(r.Per))
	hundred := big.NewRat(100, 1)
	one := big.NewRat(1, 1)
	var v *big.Rat
	if cps.Cmp(one) >= 0 {
		v = new(big.Rat).Add(one, new(big.Rat).Quo(cps, hundred))
	} else {
		v = new(big.Rat).Sub(one, new(big.Rat).Quo(new(big.Rat).Inv(cps), hundred))
	}
	f, _ := v.Float64()
	return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
}

// Campaign validates a request and maps it onto the core's campaign. It
// reports every bad field at once. webhookUrls are checked for their form
// only: they become host subscriptions of the campaign (see hooks.go), not
// part of it.
func (a AutoCall) Campaign(co Company) (dialer.Campaign, Errors) {
	errs := Errors{}
	c := dialer.Campaign{Mode: dialer.ModeIVR, DefaultRegion: co.Region, Attrs: map[string]string{}}
	c.Windows.Zone = co.Zone.String()

	str := func(field string, p *string, required bool) string {
		if p == nil || strings.TrimSpace(*p) == "" {
			if required {
				errs.add(field, "is required")
			}
			return ""
		}
		return *p
	}
	oneOf := func(field, v string, allowed ...string) {
		for _, x := range allowed {
			if v == x {
				return
			}
		}
		errs.add(field, "must be one of: "+strings.Join(allowed, ", "))
	}

	c.Name = str("name", a.Name, true)
	if len([]rune(c.Name)) > maxNameLen {
		errs.add("name", fmt.Sprintf("must be at most %d characters", maxNameLen))
	}
	if v := str("defaultExec", a.DefaultExec, true); v != "" {
		oneOf("defaultExec", v, "robot")
	}
	c.Destination.Kind = dialer.DestDialplan
	if v := str("defaultExecData", a.DefaultExecData, true); v != "" {
		if !uuidRE.MatchString(v) {
			errs.add("defaultExecData", "must be a scenario uuid")
		}
		c.Destination.Dialplan = telephony.DialplanTarget{Context: robotContext, Extension: v, Priority: 1}
	}
	switch v := str("secondExec", a.SecondExec, true); v {
	case "":
	case "ch":
		c.Destination.Transfer = "channel"
		d := str("secondExecData", a.SecondExecData, true)
		if d != "" && !uuidRE.MatchString(d) {
			errs.add("secondExecData", "must be a channel uuid")
		}
		c.Destination.TransferTarget = telephony.Target{Extension: d}
	case "hangup":
		c.Destination.Transfer = "hangup"
	default:
		oneOf("secondExec", v, "ch", "hangup")
	}

	switch v := str("cidType", a.CidType, true); v {
	case "":
	case "gornum", "pool":
		d := str("cidData", a.CidData, true)
		c.Attrs[attrCidType], c.Attrs[attrCidData] = v, d
		if v == "gornum" && phoneLike(d) {
			c.CallerID = dialer.CallerID{Mode: dialer.CallerIDFixed, Number: d}
		} else {
			// No number directory in the host: the call presents the
			// trunk's number, and the entity id is kept.
			c.CallerID = dialer.CallerID{Mode: dialer.CallerIDTrunk, PoolID: d}
		}
	case "random":
		c.Attrs[attrCidType] = v
		c.CallerID = dialer.CallerID{Mode: dialer.CallerIDTrunk}
	default:
		oneOf("cidType", v, "gornum", "pool", "random")
	}

	switch v := str("startType", a.StartType, true); v {
	case "":
	case "manual":
		c.Start.Mode = dialer.StartManual
	case "now":
		c.Start.Mode = dialer.StartNow
	case "time":
		c.Start.Mode = dialer.StartAt
		if m := str("startMoment", a.StartMoment, true); m != "" {
			at, err := time.ParseInLocation(momentLayout, m, co.Zone)
			if err != nil {
				errs.add("startMoment", "must be YYYY-MM-DD hh:mm (the company's time zone)")
			}
			c.Start.At = at
		}
	default:
		oneOf("startType", v, "manual", "now", "time")
	}

	if a.Cps == nil || a.Cps.String() == "" {
		errs.add("cps", "is required")
	} else if r, err := ParseCPS(*a.Cps); err != nil {
		errs.add("cps", err.Error())
	} else {
		c.Pacing.Rate = r
		c.Attrs[attrCps] = a.Cps.String()
	}
	if a.TaskComment != nil {
		c.Description = *a.TaskComment
	}
	if len(a.WebhookURLs) > maxWebhooks {
		errs.add("webhookUrls", fmt.Sprintf("at most %d addresses", maxWebhooks))
	}
	for i, u := range a.WebhookURLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs.add(fmt.Sprintf("webhookUrls[%d]", i), "must be an absolute http or https URL")
		}
	}

	if o := a.AdditionalOptions; o == nil {
		errs.add("additionalOptions", "is required")
	} else {
		o.apply(&c, errs)
	}
	if r := a.RedialStrategyOptions; r == nil {
		errs.add("redialStrategyOptions", "is required")
	} else {
		r.apply(&c, errs)
	}
	if len(errs) > 0 {
		return dialer.Campaign{}, errs
	}
	return c, nil
}

func phoneLike(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 5 || len(s) > 15 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func intIn(errs Errors, field string, p *int, required bool, lo, hi int) (int, bool) {
	if p == nil {
		if required {
			errs.add(field, "is required")
		}
		return 0, false
	}
	if *p < lo || *p > hi {
		errs.add(field, fmt.Sprintf("must be %d–%d", lo, hi))
		return 0, false
	}
	return *p, true
}

func (o *AdditionalOptions) apply(c *dialer.Campaign, errs Errors) {
	const f = "additionalOptions."
	if o.FullListMethod == nil {
		errs.add(f+"fullListMethod", "is required")
	} else if *o.FullListMethod != "reject" {
		errs.add(f+"fullListMethod", "must be reject")
	} else {
		c.Attrs[attrFullListMethod] = *o.FullListMethod
	}
	if n, ok := intIn(errs, f+"fullListTime", o.FullListTime, true, 0, 86400); ok {
		c.EffectiveTalk = time.Duration(n) * time.Second
	}
	useTr := o.UseTr != nil && *o.UseTr
	c.Windows.CalleeLocal = useTr
	if useTr || o.AllowCallTimeFrom != nil || o.AllowCallTimeTo != nil { // one needs the other
		from, okFrom := intIn(errs, f+"allowCallTimeFrom", o.AllowCallTimeFrom, true, 0, dayEnd)
		to, okTo := intIn(errs, f+"allowCallTimeTo", o.AllowCallTimeTo, true, 0, dayEnd)
		if okFrom && okTo {
			r := dialer.TimeRange{From: time.Duration(from) * time.Second, To: time.Duration(to+1) * time.Second}
			if (to+1)%(dayEnd+1) == from { // the whole day
				r = dialer.TimeRange{From: 0, To: 24 * time.Hour}
			}
			c.Windows.Allowed = []dialer.TimeGroup{{ID: "allowCallTime", Ranges: []dialer.TimeRange{r}}}
		}
	}
	if o.RecordCall == nil {
		errs.add(f+"recordCall", "is required")
	} else if *o.RecordCall {
		c.Recording.Enabled = true
		if n, ok := intIn(errs, f+"recTrimLeft", o.RecTrimLeft, true, 0, 3600); ok {
			c.Recording.TrimLeft = time.Duration(n) * time.Second
		}
	} else {
		intIn(errs, f+"recTrimLeft", o.RecTrimLeft, false, 0, 3600)
	}
	if o.DetectRobot != nil && *o.DetectRobot {
		c.AMD.Enabled = true
		switch {
		case o.DetectRobotMode == nil || *o.DetectRobotMode == "":
			errs.add(f+"detectRobotMode", "is required when detectRobot is true")
		case *o.DetectRobotMode == "back":
			c.AMD.OnMachine = "hangup"
		case *o.DetectRobotMode == "forward":
			c.AMD.OnMachine = "continue"
		default:
			errs.add(f+"detectRobotMode", "must be one of: back, forward")
		}
	} else if m := o.DetectRobotMode; m != nil && *m != "" && *m != "back" && *m != "forward" {
		errs.add(f+"detectRobotMode", "must be one of: back, forward")
	}
	if o.ProviderID != nil {
		c.Trunk = *o.ProviderID
	}
}

func (r *RedialOptions) apply(c *dialer.Campaign, errs Errors) {
	const f = "redialStrategyOptions."
	if r.RedialStrategyEn == nil {
		errs.add(f+"redialStrategyEn", "is required")
	}
	on := r.RedialStrategyEn != nil && *r.RedialStrategyEn
	for _, o := range redialOutcomes {
		rule := *o.rule(r)
		field := f + o.name
		if rule == nil {
			errs.add(field, "is required")
			continue
		}
		if rule.Redial == nil {
			errs.add(field+".redial", "is required")
			continue
		}
		gap, okGap := intIn(errs, field+".time", rule.Time, *rule.Redial, 1, maxRedialGap)
		count, okCount := intIn(errs, field+".count", rule.Count, *rule.Redial, 1, maxRedials)
		if on && *rule.Redial && okGap && okCount {
			if c.Redial.Rules == nil {
				c.Redial.Rules = map[telephony.Outcome]dialer.RedialRule{}
			}
			c.Redial.Rules[o.outcome] = dialer.RedialRule{Count: count, Intervals: []time.Duration{time.Duration(gap) * time.Second}}
		}
	}
	if b, err := json.Marshal(r); err == nil {
		c.Attrs[attrRedial] = string(b)
	}
}

// View is an autoCall as GET returns it: the create body's fields, with
// the id and the state the host reports.
type View struct {
	ID                    Identity          `json:"id"`
	Name                  string            `json:"name"`
	DefaultExec           string            `json:"defaultExec"`
	DefaultExecData       string            `json:"defaultExecData"`
	SecondExec            *string           `json:"secondExec"`
	SecondExecData        *string           `json:"secondExecData"`
	CidType               *string           `json:"cidType"`
	CidData               *string           `json:"cidData"`
	StartType             string            `json:"startType"`
	StartMoment           *string           `json:"startMoment"`
	Cps                   *json.Number      `json:"cps"`
	TaskComment           string            `json:"taskComment"`
	WebhookURLs           []string          `json:"webhookUrls"`
	AdditionalOptions     AdditionalOptions `json:"additionalOptions"`
	RedialStrategyOptions RedialOptions     `json:"redialStrategyOptions"`
	Status                string            `json:"status"`
}

// Identity is the seed's {"identity": id}.
type Identity struct {
	Identity string `json:"identity"`
}

func ptr[T any](v T) *T { return &v }

// viewOf renders a stored campaign the vendor's way. Fields the core acts
// on come from the campaign; the rest from the Attrs kept at creation;
// webhookUrls are the URLs of its subscriptions.
func viewOf(obj dialect.Object, zone *time.Location, webhookURLs []string) (View, error) {
	var c dialer.Campaign
	if err := json.Unmarshal(obj.Spec, &c); err != nil {
		return View{}, fmt.Errorf("decode campaign %s: %w", obj.ID, err)
	}
	var st struct {
		State string `json:"state"`
	}
	if len(obj.Status) > 0 {
		if err := json.Unmarshal(obj.Status, &st); err != nil {
			return View{}, fmt.Errorf("decode campaign %s status: %w", obj.ID, err)
		}
	}
	v := View{ID: Identity{obj.ID}, Name: c.Name, DefaultExec: "robot", DefaultExecData: c.Destination.Dialplan.Extension,
		TaskComment: c.Description, WebhookURLs: []string{}, Status: st.State}
	switch c.Destination.Transfer {
	case "channel":
		v.SecondExec, v.SecondExecData = ptr("ch"), ptr(c.Destination.TransferTarget.Extension)
	case "hangup":
		v.SecondExec = ptr("hangup")
	}
	if t, ok := c.Attrs[attrCidType]; ok {
		v.CidType = ptr(t)
		if d, ok := c.Attrs[attrCidData]; ok {
			v.CidData = ptr(d)
		}
	}
	switch c.Start.Mode {
	case dialer.StartNow:
		v.StartType = "now"
	case dialer.StartAt:
		v.StartType = "time"
		v.StartMoment = ptr(c.Start.At.In(zone).Format(momentLayout))
	default:
		v.StartType = "manual"
	}
	if !c.Pacing.Rate.IsZero() {
		cps := FormatCPS(c.Pacing.Rate)
		if raw, ok := c.Attrs[attrCps]; ok {
			if r, err := ParseCPS(json.Number(raw)); err == nil && r == c.Pacing.Rate {
				cps = json.Number(raw) // as the client wrote it
			}
		}
		v.Cps = &cps
	}
	v.WebhookURLs = append(v.WebhookURLs, webhookURLs...)
	o := &v.AdditionalOptions
	o.FullListMethod = ptr("reject")
	o.FullListTime = ptr(int(c.EffectiveTalk / time.Second))
	o.UseTr = ptr(c.Windows.CalleeLocal)
	if len(c.Windows.Allowed) > 0 && len(c.Windows.Allowed[0].Ranges) > 0 {
		r := c.Windows.Allowed[0].Ranges[0]
		o.AllowCallTimeFrom = ptr(int(r.From / time.Second))
		o.AllowCallTimeTo = ptr(int(r.To/time.Second) - 1)
	}
	o.RecordCall = ptr(c.Recording.Enabled)
	if c.Recording.Enabled {
		o.RecTrimLeft = ptr(int(c.Recording.TrimLeft / time.Second))
	}
	o.DetectRobot = ptr(c.AMD.Enabled)
	switch c.AMD.OnMachine {
	case "hangup":
		o.DetectRobotMode = ptr("back")
	case "continue":
		o.DetectRobotMode = ptr("forward")
	}
	if c.Trunk != "" {
		o.ProviderID = ptr(c.Trunk)
	}
	r := &v.RedialStrategyOptions
	if raw, ok := c.Attrs[attrRedial]; ok {
		_ = json.Unmarshal([]byte(raw), r) // values the core does not hold (rules switched off)
	}
	r.RedialStrategyEn = ptr(len(c.Redial.Rules) > 0 || r.RedialStrategyEn != nil && *r.RedialStrategyEn)
	for _, oc := range redialOutcomes {
		rule := ruleOf(oc.rule(r))
		if cr, ok := c.Redial.Rules[oc.outcome]; ok {
			rule.Redial, rule.Count = ptr(true), ptr(cr.Count)
			if len(cr.Intervals) > 0 {
				rule.Time = ptr(int(cr.Intervals[0] / time.Second))
			}
		} else if *r.RedialStrategyEn && len(c.Redial.Rules) > 0 {
			rule.Redial = ptr(false)
		}
		if rule.Redial == nil {
			rule.Redial = ptr(false)
		}
	}
	return v, nil
}

func ruleOf(p **RedialRule) *RedialRule {
	if *p == nil {
		*p = &RedialRule{}
	}
	return *p
}
