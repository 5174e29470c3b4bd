package dashboard

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// QueueView is one queue on the board.
type QueueView struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	Name   string `json:"name"`
	Label  string `json:"label,omitempty"`
	// Waiting callers wait for an agent; Trying ones ring agents; Connected
	// ones talk to one.
	Waiting   int `json:"waiting"`
	Trying    int `json:"trying"`
	Connected int `json:"connected"`
	LoggedIn  int `json:"logged_in"`
	Free      int `json:"free"`
	// OldestJoinedMS is when the longest-waiting caller not yet connected
	// joined (Unix ms); 0 when none waits.
	OldestJoinedMS int64 `json:"oldest_joined_ms"`
	AnsweredToday  int   `json:"answered_today"`
	AbandonedToday int   `json:"abandoned_today"`
	// ServiceLevel is the percentage of today's answered and abandoned
	// callers answered within the service-level time; nil before any.
	ServiceLevel *float64 `json:"service_level"`
	// AgentStates counts the queue's agents by board state.
	AgentStates  map[string]int `json:"agent_states"`
	Members      []MemberView   `json:"members"`
	MembersTotal int            `json:"members_total"`
}

// MemberView is one caller in a queue.
type MemberView struct {
	Call     string `json:"call"`
	Number   string `json:"number"`
	State    string `json:"state"`
	Agent    string `json:"agent,omitempty"`
	JoinedMS int64  `json:"joined_ms"`
	// WaitMS is the wait of a connected caller (fixed once answered).
	WaitMS int64 `json:"wait_ms"`
}

// AgentView is one agent on the board.
type AgentView struct {
	ID        string `json:"id"`
	Tenant    string `json:"tenant"`
	Name      string `json:"name"`
	Extension string `json:"extension,omitempty"`
	Status    string `json:"status"`
	State     string `json:"state"`
	// Board is the one word the board colours by: logged_out, on_break or the state.
	Board        string   `json:"board"`
	StateSinceMS int64    `json:"state_since_ms"`
	CallsToday   int      `json:"calls_today"`
	TalkTodayMS  int64    `json:"talk_today_ms"`
	Queues       []string `json:"queues"`
}

// CampaignView is one campaign on the board.
type CampaignView struct {
	Tenant      string         `json:"tenant"`
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Mode        string         `json:"mode"`
	State       string         `json:"state"`
	Percent     float64        `json:"percent"`
	Done        int            `json:"done"`
	Total       int            `json:"total"`
	Dialled     int            `json:"dialled"`
	TargetCPS   float64        `json:"target_cps"`
	AchievedCPS float64        `json:"achieved_cps"`
	LiveCalls   int            `json:"live_calls"`
	Outcomes    map[string]int `json:"outcomes"`
	Predictive  bool           `json:"predictive"`
	AbandonRate float64        `json:"abandon_rate"`
	Occupancy   float64        `json:"occupancy"`
}

// Message is what the event stream carries: a full snapshot first, then
// deltas holding only what changed.
type Message struct {
	Full          bool           `json:"full,omitempty"`
	NowMS         int64          `json:"now_ms"`
	ServiceLevelS float64        `json:"service_level_s"`
	Queues        []QueueView    `json:"queues,omitempty"`
	Agents        []AgentView    `json:"agents,omitempty"`
	Campaigns     []CampaignView `json:"campaigns,omitempty"`
	// CampaignsChanged says Campaigns is the whole new list (possibly empty).
	CampaignsChanged bool     `json:"campaigns_changed,omitempty"`
	RemovedQueues    []string `json:"removed_queues,omitempty"`
	RemovedAgents    []string `json:"removed_agents,omitempty"`
}

type tally struct{ answered, abandoned, withinSL int }

type agentTally struct {
	calls  int
	talkMS int64
}

// cpsWindow is the span achieved cps is measured over.
const cpsWindow = 10 * time.Second

type subscriber struct{ ch chan []byte }

type subscribeReq struct{ reply chan *subscriber }

// hub is the model; only Run's goroutine touches it.
type hub struct {
	cfg Config
	log *slog.Logger

	queues    map[string]*QueueView
	agents    map[string]*AgentView
	campaigns []CampaignView

	day        string
	today      map[string]*tally
	agentToday map[string]*agentTally
	attempts   map[string][]time.Time // campaign key → attempt starts within cpsWindow

	all            bool
	dirtyQueues    map[string]bool
	dirtyAgents    map[string]bool
	dirtyCampaigns bool

	subs map[*subscriber]bool
}

func newHub(cfg Config, log *slog.Logger) *hub {
	return &hub{
		cfg: cfg, log: log,
		queues: map[string]*QueueView{}, agents: map[string]*AgentView{},
		today: map[string]*tally{}, agentToday: map[string]*agentTally{}, attempts: map[string][]time.Time{},
		all: true, dirtyQueues: map[string]bool{}, dirtyAgents: map[string]bool{}, dirtyCampaigns: true,
		subs: map[*subscriber]bool{},
	}
}

func (h *hub) dirty() bool {
	return h.all || h.dirtyCampaigns || len(h.dirtyQueues) > 0 || len(h.dirtyAgents) > 0
}

func (h *hub) run(ctx context.Context, d *Dashboard) error {
	h.flush(ctx)
	var (
		timer  *time.Timer
		flushC <-chan time.Time
		decay  *time.Timer
		decayC <-chan time.Time
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		if decay != nil {
			decay.Stop()
		}
		for s := range h.subs {
			close(s.ch)
		}
	}()
	arm := func() {
		if flushC == nil && h.dirty() {
			timer = time.NewTimer(h.cfg.Coalesce)
			flushC = timer.C
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case evs := <-d.events:
			h.apply(evs)
			arm()
		case <-flushC:
			flushC = nil
			h.flush(ctx)
			if decayC == nil && h.dialling() {
				decay = time.NewTimer(time.Second)
				decayC = decay.C
			}
			arm()
		case <-decayC:
			// Achieved cps falls as attempts age out of the window even
			// when no event arrives.
			decayC = nil
			h.dirtyCampaigns = true
			arm()
		case req := <-d.subs:
			s := &subscriber{ch: make(chan []byte, 64)}
			s.ch <- h.encode(h.snapshot())
			h.subs[s] = true
			req.reply <- s
		case s := <-d.unsubs:
			if h.subs[s] {
				delete(h.subs, s)
				close(s.ch)
			}
		case reply := <-d.snaps:
			reply <- h.encode(h.snapshot())
		}
	}
}

func (h *hub) dialling() bool {
	for _, a := range h.attempts {
		if len(a) > 0 {
			return true
		}
	}
	return false
}

func (h *hub) dayOf(t time.Time) string { return t.In(h.cfg.Location).Format(time.DateOnly) }

// rollDay resets today's tallies at midnight.
func (h *hub) rollDay() {
	day := h.dayOf(h.cfg.Now())
	if day == h.day {
		return
	}
	h.day = day
	clear(h.today)
	clear(h.agentToday)
	for id := range h.queues {
		h.dirtyQueues[id] = true
	}
	for id := range h.agents {
		h.dirtyAgents[id] = true
	}
}

func (h *hub) queueTally(id string) *tally {
	t := h.today[id]
	if t == nil {
		t = &tally{}
		h.today[id] = t
	}
	return t
}

func (h *hub) agentTally(id string) *agentTally {
	t := h.agentToday[id]
	if t == nil {
		t = &agentTally{}
		h.agentToday[id] = t
	}
	return t
}

// apply tallies the events and marks what they touched.
func (h *hub) apply(evs []event.Event) {
	h.rollDay()
	for _, e := range evs {
		if e.Queue != "" {
			h.dirtyQueues[e.Queue] = true
		}
		if e.Agent != "" {
			h.dirtyAgents[e.Agent] = true
		}
		if e.Campaign != "" {
			h.dirtyCampaigns = true
		}
		counts := e.At.IsZero() || h.dayOf(e.At) == h.day
		switch e.Type {
		case event.CallerBridged:
			if counts && e.Queue != "" {
				t := h.queueTally(e.Queue)
				t.answered++
				if time.Duration(e.DurationMS)*time.Millisecond <= h.cfg.ServiceLevel {
					t.withinSL++
				}
			}
			if counts && e.Agent != "" {
				h.agentTally(e.Agent).calls++
			}
		case event.CallerLeft:
			if counts && e.Queue != "" && e.Reason == string(acd.ReasonAbandoned) {
				h.queueTally(e.Queue).abandoned++
			}
		case event.CallEnded:
			if counts && e.Agent != "" {
				h.agentTally(e.Agent).talkMS += e.DurationMS
			}
		case event.AttemptStarted:
			if e.Campaign != "" {
				k := e.Tenant + "/" + e.Campaign
				h.attempts[k] = append(h.attempts[k], h.cfg.Now())
			}
		}
	}
}

type rawQueue struct {
	status  acd.QueueStatus
	members []acd.Member
	tiers   []acd.Tier
	tenant  string
}

// flush reads everything dirty from the ACD in one pass, updates the model
// and sends subscribers one delta.
func (h *hub) flush(ctx context.Context) {
	if !h.dirty() {
		return
	}
	h.rollDay()
	all := h.all
	for id := range h.dirtyAgents {
		if a := h.agents[id]; a != nil {
			for _, q := range a.Queues {
				h.dirtyQueues[q] = true
			}
		}
	}
	var (
		agentsRaw = map[string]*acd.AgentInfo{}
		queuesRaw = map[string]*rawQueue{}
	)
	err := h.cfg.ACD.Read(ctx, func(v acd.View, now time.Time) {
		agentIDs, queueIDs := slices.Collect(maps.Keys(h.dirtyAgents)), maps.Clone(h.dirtyQueues)
		if all {
			agentIDs = v.AgentIDs()
			queueIDs = map[string]bool{}
			for _, id := range v.QueueIDs() {
				queueIDs[id] = true
			}
		}
		for _, id := range agentIDs {
			info, err := v.Agent(id)
			if err != nil {
				agentsRaw[id] = nil
				continue
			}
			agentsRaw[id] = &info
			for _, t := range info.Queues {
				queueIDs[t.Queue] = true
			}
		}
		for id := range queueIDs {
			st, err := v.QueueStatus(id)
			if err != nil {
				queuesRaw[id] = nil
				continue
			}
			r := &rawQueue{status: st}
			r.members, _ = v.Members(id, now)
			r.tiers, _ = v.Tiers(id)
			if cfg, err := v.Queue(id); err == nil {
				r.tenant = cfg.Tenant
			}
			queuesRaw[id] = r
		}
	})
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("dashboard: read the ACD", "err", err)
		}
		return
	}
	h.all = false
	clear(h.dirtyAgents)
	clear(h.dirtyQueues)

	msg := Message{NowMS: h.cfg.Now().UnixMilli(), ServiceLevelS: h.cfg.ServiceLevel.Seconds()}
	if all {
		for id := range h.agents {
			if _, ok := agentsRaw[id]; !ok {
				agentsRaw[id] = nil
			}
		}
		for id := range h.queues {
			if _, ok := queuesRaw[id]; !ok {
				queuesRaw[id] = nil
			}
		}
	}
	for _, id := range sortedKeys(agentsRaw) {
		info := agentsRaw[id]
		if info == nil {
			if _, ok := h.agents[id]; ok {
				delete(h.agents, id)
				msg.RemovedAgents = append(msg.RemovedAgents, id)
			}
			continue
		}
		a := h.agentView(id, info)
		h.agents[id] = a
		msg.Agents = append(msg.Agents, *a)
	}
	for _, id := range sortedKeys(queuesRaw) {
		r := queuesRaw[id]
		if r == nil {
			if _, ok := h.queues[id]; ok {
				delete(h.queues, id)
				msg.RemovedQueues = append(msg.RemovedQueues, id)
			}
			continue
		}
		q := h.queueView(ctx, id, r)
		h.queues[id] = q
		msg.Queues = append(msg.Queues, *q)
	}
	if h.dirtyCampaigns {
		h.dirtyCampaigns = false
		if h.refreshCampaigns(ctx) {
			msg.CampaignsChanged = true
			msg.Campaigns = h.campaigns
			if msg.Campaigns == nil {
				msg.Campaigns = []CampaignView{}
			}
		}
	}
	if len(h.subs) == 0 || (len(msg.Agents) == 0 && len(msg.Queues) == 0 && !msg.CampaignsChanged &&
		len(msg.RemovedAgents) == 0 && len(msg.RemovedQueues) == 0) {
		return
	}
	h.broadcast(h.encode(msg))
}

func boardState(status acd.Status, state acd.State) string {
	switch {
	case status == acd.LoggedOut:
		return "logged_out"
	case status == acd.OnBreak && (state == acd.Idle || state == ""):
		return "on_break"
	}
	return string(state)
}

func (h *hub) agentView(id string, info *acd.AgentInfo) *AgentView {
	a := &AgentView{ID: id, Tenant: info.Config.Tenant, Name: info.Config.Name, Extension: info.Config.Extension,
		Status: string(info.Status), State: string(info.State), Board: boardState(info.Status, info.State),
		Queues: []string{}}
	if info.Config.Type == acd.RemoteAgent {
		a.Extension = info.Config.Number
	}
	if !info.StateSince.IsZero() {
		a.StateSinceMS = info.StateSince.UnixMilli()
	}
	if info.StatusSince.After(info.StateSince) && a.Board != string(info.State) {
		a.StateSinceMS = info.StatusSince.UnixMilli()
	}
	if t := h.agentToday[id]; t != nil {
		a.CallsToday, a.TalkTodayMS = t.calls, t.talkMS
	}
	for _, t := range info.Queues {
		a.Queues = append(a.Queues, t.Queue)
	}
	return a
}

func (h *hub) queueView(ctx context.Context, id string, r *rawQueue) *QueueView {
	q := &QueueView{ID: id, Tenant: r.tenant, Name: id}
	if old := h.queues[id]; old != nil && old.Tenant == r.tenant {
		q.Name, q.Label = old.Name, old.Label
	} else if n, err := store.ParseACDID(id); err == nil {
		if sq, err := h.cfg.Directory.Queue(ctx, r.tenant, n); err == nil {
			q.Name, q.Label = sq.Name, sq.Label
		}
	}
	st := r.status
	q.Waiting, q.Trying, q.Connected, q.LoggedIn, q.Free = st.Waiting, st.Trying, st.Answered, st.LoggedIn, st.Free
	if t := h.today[id]; t != nil {
		q.AnsweredToday, q.AbandonedToday = t.answered, t.abandoned
		if n := t.answered + t.abandoned; n > 0 {
			sl := 100 * float64(t.withinSL) / float64(n)
			q.ServiceLevel = &sl
		}
	}
	q.MembersTotal = len(r.members)
	q.Members = []MemberView{}
	for _, m := range r.members {
		if m.State != "answered" && (q.OldestJoinedMS == 0 || m.Joined.UnixMilli() < q.OldestJoinedMS) {
			q.OldestJoinedMS = m.Joined.UnixMilli()
		}
		if len(q.Members) < h.cfg.MaxMembers {
			q.Members = append(q.Members, MemberView{Call: m.Caller, Number: m.Number, State: m.State, Agent: m.ServingAgent,
				JoinedMS: m.Joined.UnixMilli(), WaitMS: m.WaitTime.Milliseconds()})
		}
	}
	q.AgentStates = map[string]int{}
	for _, t := range r.tiers {
		if a := h.agents[t.Agent]; a != nil {
			q.AgentStates[a.Board]++
		}
	}
	return q
}

func (h *hub) refreshCampaigns(ctx context.Context) bool {
	if h.cfg.Campaigns == nil {
		return false
	}
	cs, err := h.cfg.Campaigns.Campaigns(ctx)
	if err != nil {
		h.log.Warn("dashboard: list campaigns", "err", err)
		return false
	}
	now := h.cfg.Now()
	views := make([]CampaignView, 0, len(cs))
	for _, c := range cs {
		k := c.Tenant + "/" + c.ID
		starts := h.attempts[k]
		for len(starts) > 0 && now.Sub(starts[0]) > cpsWindow {
			starts = starts[1:]
		}
		if len(starts) == 0 {
			delete(h.attempts, k)
		} else {
			h.attempts[k] = starts
		}
		views = append(views, campaignView(c, float64(len(starts))/cpsWindow.Seconds()))
	}
	slices.SortFunc(views, func(a, b CampaignView) int {
		if a.Tenant != b.Tenant {
			return compare(a.Tenant, b.Tenant)
		}
		return compare(a.ID, b.ID)
	})
	h.campaigns = views
	return true
}

func campaignView(c Campaign, achieved float64) CampaignView {
	s := c.Stats
	v := CampaignView{Tenant: c.Tenant, ID: c.ID, Name: c.Name, Mode: string(c.Mode), State: string(s.State),
		Percent: s.Percent, Done: s.Done, Total: s.Total, Dialled: s.Dialled, TargetCPS: c.TargetCPS,
		AchievedCPS: achieved, LiveCalls: s.LiveCalls, Outcomes: map[string]int{},
		Predictive: c.Mode == dialer.ModePredictive, AbandonRate: s.AbandonRate, Occupancy: s.AgentUseRate}
	if v.Name == "" {
		v.Name = c.ID
	}
	for o, n := range s.Outcomes {
		v.Outcomes[string(o)] = n
	}
	return v
}

func (h *hub) snapshot() Message {
	msg := Message{Full: true, NowMS: h.cfg.Now().UnixMilli(), ServiceLevelS: h.cfg.ServiceLevel.Seconds(),
		Queues: []QueueView{}, Agents: []AgentView{}, Campaigns: h.campaigns, CampaignsChanged: true}
	for _, id := range sortedKeys(h.queues) {
		msg.Queues = append(msg.Queues, *h.queues[id])
	}
	for _, id := range sortedKeys(h.agents) {
		msg.Agents = append(msg.Agents, *h.agents[id])
	}
	if msg.Campaigns == nil {
		msg.Campaigns = []CampaignView{}
	}
	return msg
}

func (h *hub) encode(m Message) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		h.log.Error("dashboard: encode", "err", err)
		return []byte("{}")
	}
	return b
}

// broadcast sends every subscriber the message; one that has fallen this
// far behind is dropped, and its browser reconnects for a fresh snapshot.
func (h *hub) broadcast(b []byte) {
	for s := range h.subs {
		select {
		case s.ch <- b:
		default:
			delete(h.subs, s)
			close(s.ch)
		}
	}
}

// sortedKeys orders ids numerically when they are numbers (store ids), else
// as strings.
func sortedKeys[V any](m map[string]V) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, compare)
	return keys
}

func compare(a, b string) int {
	if len(a) != len(b) && isDigits(a) && isDigits(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
