package ringmedialect

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// dateLayout is the vendor's date format ("2020-03-16 12:11:13", UTC).
const dateLayout = "2006-01-02 15:04:05"

// oauthError is the OAuth 2.0 (RFC 6749 §5.2) error body of /oauth/token.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// TokenResponse is the body of a successful POST /oauth/token.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	TokenType   string `json:"token_type"`
}

// token serves POST /oauth/token: a form-encoded client_credentials grant
// (the client's id and secret in the form, or in HTTP basic auth).
func (d *Dialect) token(ctx context.Context, host dialect.Host, req dialect.Request) dialect.Response {
	oerr := func(status int, code, desc string) dialect.Response {
		r := reply(status, oauthError{Error: code, Description: desc})
		r.Header.Set("Cache-Control", "no-store")
		if status == http.StatusUnauthorized {
			r.Header.Set("WWW-Authenticate", `Basic realm="ringme"`)
		}
		return r
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return oerr(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded: "+err.Error())
	}
	for k, vs := range form {
		if len(vs) > 1 {
			return oerr(http.StatusBadRequest, "invalid_request", "parameter "+k+" is repeated")
		}
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := basicAuth(req.Header.Get("Authorization")); ok {
		if id != "" && id != u {
			return oerr(http.StatusBadRequest, "invalid_request", "client_id differs from the basic auth user")
		}
		id, secret = u, p
	}
	switch gt := form.Get("grant_type"); {
	case gt == "":
		return oerr(http.StatusBadRequest, "invalid_request", "grant_type is required")
	case gt != "client_credentials":
		return oerr(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
	}
	if id == "" {
		return oerr(http.StatusBadRequest, "invalid_request", "client_id is required")
	}
	if secret == "" {
		return oerr(http.StatusBadRequest, "invalid_request", "client_secret is required")
	}
	acct, err := host.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredPassword, Principal: id, Secret: secret})
	if errors.Is(err, dialect.ErrUnauthenticated) {
		return oerr(http.StatusUnauthorized, "invalid_client", "unknown client or wrong client_secret")
	}
	if err != nil {
		return fail(err, "client")
	}
	tok, err := host.IssueToken(ctx, acct.ID, dialect.TokenRequest{Kind: tokenKind, TTL: tokenTTL})
	if err != nil {
		return fail(err, "token")
	}
	r := reply(http.StatusOK, TokenResponse{AccessToken: tok.Value, ExpiresIn: int64(tokenTTL / time.Second), TokenType: "Bearer"})
	r.Header.Set("Cache-Control", "no-store")
	return r
}

func basicAuth(h string) (user, pass string, ok bool) {
	const prefix = "Basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(b), ":")
	if u, err := url.QueryUnescape(user); err == nil {
		user = u
	}
	if p, err := url.QueryUnescape(pass); err == nil {
		pass = p
	}
	return user, pass, ok
}

// QueueParams is the body of PUT /extension/{id}/queue/ (every field
// optional: those sent replace the stored ones). Times are seconds.
type QueueParams struct {
	Strategy                          *string     `json:"strategy"`
	RingProgressivelyDelay            *int64      `json:"ring_progressively_delay"`
	TierRulesApply                    *bool       `json:"tier_rules_apply"`
	TierRuleWaitSecond                *int64      `json:"tier_rule_wait_second"`
	TierRuleWaitMultiplyLevel         *bool       `json:"tier_rule_wait_multiply_level"`
	TierRuleNoAgentNoWait             *bool       `json:"tier_rule_no_agent_no_wait"`
	TimeBaseScore                     *string     `json:"time_base_score"`
	MaxWaitTime                       *int64      `json:"max_wait_time"`
	MaxWaitTimeWithNoAgent            *int64      `json:"max_wait_time_with_no_agent"`
	MaxWaitTimeWithNoAgentTimeReached *int64      `json:"max_wait_time_with_no_agent_time_reached"`
	TimeoutTransferDst                *flexString `json:"timeout_transfer_dst"`
	NoAgentTimeoutTransferDst         *flexString `json:"no_agent_timeout_transfer_dst"`
	ExitKey                           *flexString `json:"exit_key"`
	ExitTransferDst                   *flexString `json:"exit_transfer_dst"`
	ExitWithNoAvAgents                *bool       `json:"exit_with_no_av_agents"`
	DiscardAbandonedAfter             *int64      `json:"discard_abandoned_after"`
	AbandonedResumeAllowed            *bool       `json:"abandoned_resume_allowed"`
	AnnounceSound                     *flexString `json:"announce_sound"`
	AnnounceFrequency                 *int64      `json:"announce_frequency"`
	Sound                             *flexString `json:"sound"`
	SoundType                         *string     `json:"sound_type"`
	RecordEnabled                     *bool       `json:"record_enabled"`
	AgentAnnounceSound                *flexString `json:"agent_announce_sound"`
	AgentReportWaitTime               *bool       `json:"agent_report_wait_time"`
}

// Queue is the body of GET /extension/{id}/queue/ (and PUT's reply).
type Queue struct {
	Strategy                          string `json:"strategy"`
	RingProgressivelyDelay            int64  `json:"ring_progressively_delay"`
	TierRulesApply                    bool   `json:"tier_rules_apply"`
	TierRuleWaitSecond                int64  `json:"tier_rule_wait_second"`
	TierRuleWaitMultiplyLevel         bool   `json:"tier_rule_wait_multiply_level"`
	TierRuleNoAgentNoWait             bool   `json:"tier_rule_no_agent_no_wait"`
	TimeBaseScore                     string `json:"time_base_score"`
	MaxWaitTime                       int64  `json:"max_wait_time"`
	MaxWaitTimeWithNoAgent            int64  `json:"max_wait_time_with_no_agent"`
	MaxWaitTimeWithNoAgentTimeReached int64  `json:"max_wait_time_with_no_agent_time_reached"`
	TimeoutTransferDst                any    `json:"timeout_transfer_dst"`
	NoAgentTimeoutTransferDst         any    `json:"no_agent_timeout_transfer_dst"`
	ExitKey                           any    `json:"exit_key"`
	ExitTransferDst                   any    `json:"exit_transfer_dst"`
	ExitWithNoAvAgents                bool   `json:"exit_with_no_av_agents"`
	DiscardAbandonedAfter             int64  `json:"discard_abandoned_after"`
	AbandonedResumeAllowed            bool   `json:"abandoned_resume_allowed"`
	AnnounceSound                     any    `json:"announce_sound"`
	AnnounceFrequency                 int64  `json:"announce_frequency"`
	Sound                             any    `json:"sound"`
	SoundType                         string `json:"sound_type"`
	RecordEnabled                     bool   `json:"record_enabled"`
	AgentAnnounceSound                any    `json:"agent_announce_sound"`
	AgentReportWaitTime               bool   `json:"agent_report_wait_time"`
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func queueOf(q acd.QueueConfig) Queue {
	return Queue{Strategy: string(q.Strategy), RingProgressivelyDelay: secs(q.RingProgressivelyDelay),
		TierRulesApply: q.TierRulesApply, TierRuleWaitSecond: secs(q.TierRuleWaitSecond),
		TierRuleWaitMultiplyLevel: q.TierRuleWaitMultiplyLevel, TierRuleNoAgentNoWait: q.TierRuleNoAgentNoWait,
		TimeBaseScore: string(q.TimeBaseScore), MaxWaitTime: secs(q.MaxWaitTime),
		MaxWaitTimeWithNoAgent: secs(q.MaxWaitTimeWithNoAgent), MaxWaitTimeWithNoAgentTimeReached: secs(q.MaxWaitTimeWithNoAgentTimeReached),
		TimeoutTransferDst: nullable(q.TimeoutTransferDst), NoAgentTimeoutTransferDst: nullable(q.NoAgentTimeoutTransferDst),
		ExitKey: nullable(q.ExitKey), ExitTransferDst: nullable(q.ExitTransferDst), ExitWithNoAvAgents: q.ExitWithNoAvailableAgents,
		DiscardAbandonedAfter: secs(q.DiscardAbandonedAfter), AbandonedResumeAllowed: q.AbandonedResumeAllowed,
		AnnounceSound: idValue(q.AnnounceSound), AnnounceFrequency: secs(q.AnnounceFrequency), Sound: idValue(q.Sound),
		SoundType: q.SoundType, RecordEnabled: q.RecordEnabled, AgentAnnounceSound: idValue(q.AgentAnnounceSound),
		AgentReportWaitTime: q.AgentReportWaitTime}
}

// apply sets the fields p carries on q, checking each.
func (p QueueParams) apply(q *acd.QueueConfig) error {
	if p.Strategy != nil {
		s, err := acd.ParseStrategy(*p.Strategy)
		if err != nil {
			return &dialect.FieldError{Field: "strategy", Value: *p.Strategy, Reason: "must be one of " + strategyList()}
		}
		q.Strategy = s
	}
	if p.TimeBaseScore != nil {
		switch ts := acd.TimeBaseScore(*p.TimeBaseScore); ts {
		case acd.ScoreFromQueue, acd.ScoreFromSystem:
			q.TimeBaseScore = ts
		default:
			return &dialect.FieldError{Field: "time_base_score", Value: *p.TimeBaseScore, Reason: `must be "queue" or "system"`}
		}
	}
	if p.SoundType != nil {
		switch *p.SoundType {
		case "music", "ringback":
			q.SoundType = *p.SoundType
		default:
			return &dialect.FieldError{Field: "sound_type", Value: *p.SoundType, Reason: `must be "music" or "ringback"`}
		}
	}
	if p.ExitKey != nil {
		k := string(*p.ExitKey)
		if k != "" && (len(k) != 1 || !strings.Contains("0123456789*#ABCD", k)) {
			return &dialect.FieldError{Field: "exit_key", Value: k, Reason: "must be one DTMF digit (0-9, *, #, A-D)"}
		}
		q.ExitKey = k
	}
	for _, d := range []struct {
		field string
		v     *int64
		dst   *time.Duration
	}{
		{"ring_progressively_delay", p.RingProgressivelyDelay, &q.RingProgressivelyDelay},
		{"tier_rule_wait_second", p.TierRuleWaitSecond, &q.TierRuleWaitSecond},
		{"max_wait_time", p.MaxWaitTime, &q.MaxWaitTime},
		{"max_wait_time_with_no_agent", p.MaxWaitTimeWithNoAgent, &q.MaxWaitTimeWithNoAgent},
		{"max_wait_time_with_no_agent_time_reached", p.MaxWaitTimeWithNoAgentTimeReached, &q.MaxWaitTimeWithNoAgentTimeReached},
		{"discard_abandoned_after", p.DiscardAbandonedAfter, &q.DiscardAbandonedAfter},
		{"announce_frequency", p.AnnounceFrequency, &q.AnnounceFrequency},
	} {
		if d.v == nil {
			continue
		}
		v, err := seconds(d.field, *d.v)
		if err != nil {
			return err
		}
		*d.dst = v
	}
	for _, b := range []struct {
		v   *bool
		dst *bool
	}{
		{p.TierRulesApply, &q.TierRulesApply}, {p.TierRuleWaitMultiplyLevel, &q.TierRuleWaitMultiplyLevel},
		{p.TierRuleNoAgentNoWait, &q.TierRuleNoAgentNoWait}, {p.ExitWithNoAvAgents, &q.ExitWithNoAvailableAgents},
		{p.AbandonedResumeAllowed, &q.AbandonedResumeAllowed}, {p.RecordEnabled, &q.RecordEnabled},
		{p.AgentReportWaitTime, &q.AgentReportWaitTime},
	} {
		if b.v != nil {
			*b.dst = *b.v
		}
	}
	for _, s := range []struct {
		field string
		v     *flexString
		dst   *string
	}{
		{"timeout_transfer_dst", p.TimeoutTransferDst, &q.TimeoutTransferDst},
		{"no_agent_timeout_transfer_dst", p.NoAgentTimeoutTransferDst, &q.NoAgentTimeoutTransferDst},
		{"exit_transfer_dst", p.ExitTransferDst, &q.ExitTransferDst},
		{"announce_sound", p.AnnounceSound, &q.AnnounceSound},
		{"sound", p.Sound, &q.Sound},
		{"agent_announce_sound", p.AgentAnnounceSound, &q.AgentAnnounceSound},
	} {
		if s.v == nil {
			continue
		}
		if len(*s.v) > 255 {
			return &dialect.FieldError{Field: s.field, Reason: "must be at most 255 bytes"}
		}
		*s.dst = string(*s.v)
	}
	if q.Strategy == acd.RingProgressively && q.RingProgressivelyDelay <= 0 {
		return &dialect.FieldError{Field: "ring_progressively_delay", Reason: "must be positive for ring-progressively"}
	}
	if q.AnnounceFrequency > 0 && q.AnnounceSound == "" {
		return &dialect.FieldError{Field: "announce_sound", Reason: "is required when announce_frequency is set"}
	}
	return nil
}

func strategyList() string {
	s := make([]string, len(acd.Strategies))
	for i, st := range acd.Strategies {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

func (c *call) getQueue(ctx context.Context, id string) dialect.Response {
	q, err := c.host.GetQueue(ctx, c.acct.ID, id)
	if err != nil {
		return fail(err, "queue")
	}
	return reply(http.StatusOK, queueOf(q))
}

func (c *call) putQueue(ctx context.Context, id string) dialect.Response {
	var p QueueParams
	if err := decode(c.req.Body, &p); err != nil {
		return fail(err, "queue")
	}
	q, err := c.host.GetQueue(ctx, c.acct.ID, id)
	if err != nil {
		return fail(err, "queue")
	}
	if err := p.apply(&q); err != nil {
		return fail(err, "queue")
	}
	stored, err := c.host.PutQueue(ctx, c.acct.ID, q)
	if err != nil {
		return fail(err, "queue")
	}
	return reply(http.StatusOK, queueOf(stored))
}

// QueueStatus is the body of GET /extension/{id}/queue/status/.
type QueueStatus struct {
	AnsweredMembers int `json:"answered_members"`
	TryingMembers   int `json:"trying_members"`
	WaitingMembers  int `json:"waiting_members"`
}

func (c *call) queueStatus(ctx context.Context, id string) dialect.Response {
	st, err := c.host.QueueStatus(ctx, c.acct.ID, id)
	if err != nil {
		return fail(err, "queue")
	}
	return reply(http.StatusOK, QueueStatus{AnsweredMembers: st.Answered, TryingMembers: st.Trying, WaitingMembers: st.Waiting})
}

// QueueMember is one caller of GET /extension/{id}/queue/status/members/.
type QueueMember struct {
	CallAPIID      string `json:"call_api_id"`
	JoinedDatetime string `json:"joined_datetime"`
	Number         string `json:"number"`
	ServingAgent   string `json:"serving_agent"`
	State          string `json:"state"`
	WaitTime       int64  `json:"wait_time"`
}

func (c *call) queueMembers(ctx context.Context, id string) dialect.Response {
	ms, err := c.host.QueueMembers(ctx, c.acct.ID, id)
	if err != nil {
		return fail(err, "queue")
	}
	out := make([]QueueMember, 0, len(ms))
	for _, m := range ms {
		out = append(out, memberOf(m))
	}
	return reply(http.StatusOK, out)
}

func memberOf(m acd.Member) QueueMember {
	joined := ""
	if !m.Joined.IsZero() {
		joined = m.Joined.UTC().Format(dateLayout)
	}
	return QueueMember{CallAPIID: m.Caller, JoinedDatetime: joined, Number: m.Number,
		ServingAgent: m.ServingAgent, State: m.State, WaitTime: secs(m.WaitTime)}
}

// zeroPad left-pads id with zeros to n characters ("7" → "007").
func zeroPad(id string, n int) string {
	if len(id) >= n {
		return id
	}
	return strings.Repeat("0", n-len(id)) + id
}
