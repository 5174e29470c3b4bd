package dialer

import (
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Stats are a campaign's counters and rates (udesk's task statistics, zxycall
// progress_bar, twin24 statistics).
type Stats struct {
	State State `json:"state"`
	// Total is the list's size when known, else the contacts loaded so far.
	Total  int `json:"total"`
	Loaded int `json:"loaded"`
	// Executed counts contacts dialled at least once (udesk execute_customer_count).
	Executed int `json:"executed"`
	// Done counts contacts with no more attempts; Percent is Done/Total.
	Done      int     `json:"done"`
	Percent   float64 `json:"percent"`
	Succeeded int     `json:"succeeded"`
	// Dialled counts attempts (one per number dialled).
	Dialled  int                       `json:"dialled"`
	Outcomes map[telephony.Outcome]int `json:"outcomes"`
	// CustomerAnswered counts attempts a person answered (udesk customer_answer_count).
	CustomerAnswered int `json:"customer_answered"`
	// AgentConnected counts answered attempts that reached an agent (udesk agent_answer_count).
	AgentConnected int `json:"agent_connected"`
	Abandoned      int `json:"abandoned"`
	// CallSuccessRate = answered / dialled; AgentAnswerRate = agent connected /
	// answered; AgentUseRate = agents' busy time / staffed time; DisturbRate =
	// abandoned / answered (answered by a person who got no agent).
	CallSuccessRate float64 `json:"call_success_rate"`
	AgentAnswerRate float64 `json:"agent_answer_rate"`
	AgentUseRate    float64 `json:"agent_use_rate"`
	DisturbRate     float64 `json:"disturb_rate"`
	// The same over the last 10 minutes (udesk minute_*).
	MinuteCallRate     float64 `json:"minute_call_rate"`
	MinuteAgentUseRate float64 `json:"minute_agent_use_rate"`
	MinuteDisturbRate  float64 `json:"minute_disturb_rate"`
	// AbandonRate is abandoned / answered over the predictive abandon window.
	AbandonRate float64 `json:"abandon_rate"`
	LiveCalls   int     `json:"live_calls"`
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (cp *campaign) snapshot(now time.Time) Stats {
	cp.integrate(now)
	cp.ten.trim(now)
	cp.win.trim(now)
	s := cp.stats
	s.Outcomes = make(map[telephony.Outcome]int, len(cp.stats.Outcomes))
	for k, v := range cp.stats.Outcomes {
		s.Outcomes[k] = v
	}
	s.State = cp.state
	s.Percent = 100 * ratio(s.Done, s.Total)
	s.CallSuccessRate = ratio(s.CustomerAnswered, s.Dialled)
	s.AgentAnswerRate = ratio(s.AgentConnected, s.CustomerAnswered)
	if cp.staffedSec > 0 {
		s.AgentUseRate = cp.busySec / cp.staffedSec
	}
	s.DisturbRate = ratio(s.Abandoned, s.CustomerAnswered)
	t := cp.ten.sum
	s.MinuteCallRate = ratio(t.answered, t.dialled)
	s.MinuteAgentUseRate = cp.minuteUse(now)
	s.MinuteDisturbRate = ratio(t.aband, t.answered)
	s.AbandonRate = ratio(cp.win.sum.aband, cp.win.sum.answered)
	s.LiveCalls = cp.inflight
	return s
}

// progress emits a progress event when the whole percentage changes.
func (cp *campaign) progress(d *Dialer, now time.Time, force bool) {
	pct := int(100 * ratio(cp.stats.Done, cp.stats.Total))
	if !force && pct == cp.lastProgressPct {
		return
	}
	cp.lastProgressPct = pct
	d.emit(event.Event{Type: event.CampaignProgress, At: now, Tenant: cp.cfg.Tenant, Campaign: cp.cfg.ID, Attrs: map[string]string{
		"total": strconv.Itoa(cp.stats.Total), "done": strconv.Itoa(cp.stats.Done), "percent": strconv.Itoa(pct),
	}})
}
