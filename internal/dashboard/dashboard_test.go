package dashboard_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/internal/dashboard"
	"github.com/switchboard-cc/switchboard/internal/queues"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

const password = "correct horse battery"

// fixture is a real ACD engine and queue management over SQLite, whose
// events reach the dashboard's sink the way the bus delivers them.
type fixture struct {
	t       testing.TB
	ctx     context.Context
	engine  *acd.Engine
	queues  *queues.Service
	board   *dashboard.Dashboard
	srv     *httptest.Server
	client  *http.Client
	events  chan []event.Event
	offers  chan acd.Offer
	mu      sync.Mutex
	seen    []event.Event
	queueID int64
	agents  []store.Agent
}

func newFixture(t testing.TB, campaigns dashboard.Campaigns) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &fixture{t: t, ctx: ctx, events: make(chan []event.Event, 1024), offers: make(chan acd.Offer, 64)}
	var err error
	f.engine, err = acd.NewEngine(acd.EngineConfig{
		Decisions: acd.DecisionSinkFunc(func(ds []acd.Decision) {
			for _, d := range ds {
				if o, ok := d.(acd.Offer); ok {
					f.offers <- o
				}
			}
		}),
		Events: event.PublisherFunc(func(evs ...event.Event) { f.events <- append([]event.Event(nil), evs...) }),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.queues = queues.New(storetest.SQLite(t), f.engine, nil)
	f.board, err = dashboard.New(dashboard.Config{ACD: f.engine, Directory: f.queues, Campaigns: campaigns,
		Password: password, Coalesce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = f.engine.Run(ctx) })
	wg.Go(func() { _ = f.board.Run(ctx) })
	wg.Go(func() { // the bus
		for {
			select {
			case <-ctx.Done():
				return
			case evs := <-f.events:
				f.mu.Lock()
				f.seen = append(f.seen, evs...)
				f.mu.Unlock()
				_ = f.board.Sink(ctx, evs)
			}
		}
	})
	f.srv = httptest.NewServer(f.board)
	t.Cleanup(func() { f.srv.Close(); cancel(); wg.Wait() })
	jar, _ := cookiejar.New(nil)
	f.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return f
}

// seed makes one queue with n available agents.
func (f *fixture) seed(n int) {
	f.t.Helper()
	q, err := f.queues.CreateQueue(f.ctx, "t1", "sales", "Sales line", acd.NewQueueConfig(""))
	if err != nil {
		f.t.Fatal(err)
	}
	f.queueID = q.ID
	for i := range n {
		cfg := acd.NewAgentConfig("", acd.LocalAgent)
		cfg.Extension, cfg.Name = fmt.Sprintf("20%02d", i), fmt.Sprintf("Agent %d", i)
		a, err := f.queues.CreateAgent(f.ctx, "t1", cfg, acd.Available, nil)
		if err != nil {
			f.t.Fatal(err)
		}
		if err := f.queues.SetTier(f.ctx, "t1", store.Tier{QueueID: q.ID, AgentID: a.ID, Level: 1, Position: i + 1}); err != nil {
			f.t.Fatal(err)
		}
		f.agents = append(f.agents, a)
	}
}

func (f *fixture) login() {
	f.t.Helper()
	resp, err := f.client.PostForm(f.srv.URL+"/login", url.Values{"password": {password}})
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		f.t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func (f *fixture) post(path, body string) (int, string) {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", f.srv.URL)
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return resp.StatusCode, b.String()
}

// stream reads the event stream's messages.
type stream struct {
	msgs chan streamMsg
	stop func()
}

type streamMsg struct {
	name string
	msg  dashboard.Message
}

func (f *fixture) stream() *stream {
	f.t.Helper()
	ctx, cancel := context.WithCancel(f.ctx)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/wallboard/events", nil)
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		f.t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &stream{msgs: make(chan streamMsg, 256), stop: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(s.msgs)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 4<<20)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				var m dashboard.Message
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m); err != nil {
					panic(err)
				}
				s.msgs <- streamMsg{name, m}
			}
		}
	}()
	f.t.Cleanup(cancel)
	return s
}

// until reads messages until ok accepts one.
func (s *stream) until(t *testing.T, what string, ok func(streamMsg) bool) streamMsg {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, open := <-s.msgs:
			if !open {
				t.Fatalf("stream closed waiting for %s", what)
			}
			if ok(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no message with %s", what)
		}
	}
}

func agentIn(m dashboard.Message, id string) (dashboard.AgentView, bool) {
	for _, a := range m.Agents {
		if a.ID == id {
			return a, true
		}
	}
	return dashboard.AgentView{}, false
}

func queueIn(m dashboard.Message, id string) (dashboard.QueueView, bool) {
	for _, q := range m.Queues {
		if q.ID == id {
			return q, true
		}
	}
	return dashboard.QueueView{}, false
}

func TestLoginGuardsEverything(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		method, path string
		want         int
		location     string
	}{
		{http.MethodGet, "/", http.StatusSeeOther, "/login"},
		{http.MethodGet, "/wallboard/events", http.StatusUnauthorized, ""},
		{http.MethodGet, "/wallboard/snapshot", http.StatusUnauthorized, ""},
		{http.MethodPost, "/wallboard/agents/1/status", http.StatusUnauthorized, ""},
		{http.MethodPost, "/wallboard/campaigns/t1/1/stop", http.StatusUnauthorized, ""},
		{http.MethodGet, "/login", http.StatusOK, ""},
		{http.MethodGet, "/wallboard/assets/app.js", http.StatusOK, ""},
		{http.MethodGet, "/nothing-here", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, f.srv.URL+tt.path, strings.NewReader(`{"status":"logged_out"}`))
			resp, err := f.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want || resp.Header.Get("Location") != tt.location {
				t.Fatalf("%d to %q, want %d to %q", resp.StatusCode, resp.Header.Get("Location"), tt.want, tt.location)
			}
		})
	}

	resp, err := f.client.PostForm(f.srv.URL+"/login", url.Values{"password": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong password: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}

	f.login()
	resp, err = f.client.Get(f.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("page after login: %d", resp.StatusCode)
	}

	// A forged cookie is refused.
	u, _ := url.Parse(f.srv.URL)
	cookies := f.client.Jar.Cookies(u)
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	exp, _, _ := strings.Cut(cookies[0].Value, ".")
	forged, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/wallboard/snapshot", nil)
	forged.AddCookie(&http.Cookie{Name: cookies[0].Name, Value: exp + "9.AAAA"})
	resp, err = http.DefaultClient.Do(forged)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged cookie: %d", resp.StatusCode)
	}

	// A cross-site POST is refused even with the session.
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/wallboard/agents/1/status", strings.NewReader(`{"status":"logged_out"}`))
	req.Header.Set("Origin", "https://evil.example")
	resp, err = f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
}

func TestGeneratedPassword(t *testing.T) {
	d, err := dashboard.New(dashboard.Config{ACD: &acd.Engine{}, Directory: &queues.Service{}})
	if err != nil {
		t.Fatal(err)
	}
	p, generated := d.Password()
	if !generated || len(p) < 16 {
		t.Fatalf("password %q generated %v", p, generated)
	}
	d2, _ := dashboard.New(dashboard.Config{ACD: &acd.Engine{}, Directory: &queues.Service{}})
	if p2, _ := d2.Password(); p2 == p {
		t.Fatal("two generated passwords are equal")
	}
	if _, err := dashboard.New(dashboard.Config{Directory: &queues.Service{}}); err == nil {
		t.Fatal("no ACD accepted")
	}
}

func TestStreamShowsCallsAndSupervisorActions(t *testing.T) {
	f := newFixture(t, nil)
	f.seed(3)
	f.login()
	s := f.stream()
	qid := store.ACDID(f.queueID)

	first := s.until(t, "the snapshot", func(m streamMsg) bool { return m.name == "snapshot" })
	if !first.msg.Full {
		t.Fatal("the first message is not full")
	}
	// The snapshot may predate the seeding's events; a delta then follows.
	s0 := first
	if _, ok := queueIn(first.msg, qid); !ok || len(first.msg.Agents) < 3 {
		s0 = s.until(t, "the seeded queue", func(m streamMsg) bool { _, ok := queueIn(m.msg, qid); return ok })
	}
	q, _ := queueIn(s0.msg, qid)
	if q.Name != "sales" || q.Label != "Sales line" || q.Tenant != "t1" {
		t.Fatalf("queue %+v", q)
	}

	// A caller joins and is bridged to an agent within the service level.
	ctx := f.ctx
	if err := f.engine.Do(ctx, acd.Join{Caller: "c1", Queue: qid, Number: "+15550001"}); err != nil {
		t.Fatal(err)
	}
	m := s.until(t, "a waiting caller", func(m streamMsg) bool {
		q, ok := queueIn(m.msg, qid)
		return ok && q.MembersTotal == 1
	})
	q, _ = queueIn(m.msg, qid)
	if q.Members[0].Number != "+15550001" || q.OldestJoinedMS == 0 {
		t.Fatalf("member %+v, oldest %d", q.Members, q.OldestJoinedMS)
	}
	if q.Members[0].State == "answered" {
		t.Fatal("answered before any agent took the call")
	}

	// The rung agent answers, as the inbound binding reports it.
	var offer acd.Offer
	select {
	case offer = <-f.offers:
	case <-time.After(5 * time.Second):
		t.Fatal("no agent was offered the call")
	}
	agentID := offer.Agent
	if err := f.engine.Do(ctx, acd.OfferResult{Offer: offer.ID, Result: acd.OfferAnswered}); err != nil {
		t.Fatalf("answer the offer: %v", err)
	}
	m = s.until(t, "the answered call counted", func(m streamMsg) bool {
		q, ok := queueIn(m.msg, qid)
		return ok && q.AnsweredToday == 1
	})
	q, _ = queueIn(m.msg, qid)
	if q.ServiceLevel == nil || *q.ServiceLevel != 100 || q.Connected != 1 || q.AgentStates["in_call"] != 1 {
		t.Fatalf("after the answer: %+v", q)
	}
	if a, ok := agentIn(m.msg, agentID); ok && (a.CallsToday != 1 || a.Board != "in_call") {
		t.Fatalf("agent %+v", a)
	}

	// The supervisor logs a free agent out: the status changes through
	// internal/queues with source "supervisor".
	free := ""
	for _, a := range f.agents {
		if store.ACDID(a.ID) != agentID {
			free = store.ACDID(a.ID)
			break
		}
	}
	if code, body := f.post("/wallboard/agents/"+free+"/status", `{"status":"logged_out"}`); code != http.StatusOK {
		t.Fatalf("log out: %d %s", code, body)
	}
	m = s.until(t, "the agent logged out", func(m streamMsg) bool {
		a, ok := agentIn(m.msg, free)
		return ok && a.Status == "logged_out"
	})
	if a, _ := agentIn(m.msg, free); a.Board != "logged_out" {
		t.Fatalf("agent %+v", a)
	}
	f.mu.Lock()
	var fired bool
	for _, e := range f.seen {
		fired = fired || (e.Type == event.AgentStatusChanged && e.Agent == free && e.To == "logged_out" && e.Source == "supervisor")
	}
	f.mu.Unlock()
	if !fired {
		t.Fatal("no agent.status_changed with source supervisor")
	}
	n, _ := store.ParseACDID(free)
	stored, err := f.queues.Agent(ctx, "t1", n)
	if err != nil || stored.Status != acd.LoggedOut {
		t.Fatalf("stored agent %+v, %v", stored, err)
	}

	// Bad requests name what is wrong.
	for _, tt := range []struct {
		path, body string
		code       int
		mention    string
	}{
		{"/wallboard/agents/" + free + "/status", `{"status":"dancing"}`, http.StatusBadRequest, "status"},
		{"/wallboard/agents/abc/status", `{"status":"available"}`, http.StatusBadRequest, "agent id"},
		{"/wallboard/agents/999/status", `{"status":"available"}`, http.StatusNotFound, "999"},
		{"/wallboard/agents/" + free + "/status", `{"state":"x"}`, http.StatusBadRequest, "body"},
		{"/wallboard/campaigns/t1/1/start", `{}`, http.StatusNotFound, "no campaigns"},
	} {
		if code, body := f.post(tt.path, tt.body); code != tt.code || !strings.Contains(body, tt.mention) {
			t.Errorf("POST %s %s: %d %s, want %d mentioning %q", tt.path, tt.body, code, body, tt.code, tt.mention)
		}
	}
}

func TestDeltasCarryOnlyWhatChanged(t *testing.T) {
	f := newFixture(t, nil)
	f.seed(40)
	f.login()
	s := f.stream()
	// Wait until the board holds all 40 agents.
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap, err := f.board.Snapshot(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Agents) == 40 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Drain what the seeding produced.
	for quiet := false; !quiet; {
		select {
		case <-s.msgs:
		case <-time.After(300 * time.Millisecond):
			quiet = true
		}
	}
	target := store.ACDID(f.agents[7].ID)
	if code, body := f.post("/wallboard/agents/"+target+"/status", `{"status":"on_break"}`); code != http.StatusOK {
		t.Fatalf("break: %d %s", code, body)
	}
	m := s.until(t, "the break", func(m streamMsg) bool { _, ok := agentIn(m.msg, target); return ok })
	if m.msg.Full || len(m.msg.Agents) != 1 || m.msg.Agents[0].Board != "on_break" {
		t.Fatalf("delta carries %d agents (%+v), want only the one on break", len(m.msg.Agents), m.msg.Agents)
	}
	q, ok := queueIn(m.msg, store.ACDID(f.queueID))
	if !ok || q.AgentStates["on_break"] != 1 || q.AgentStates["waiting"] != 39 {
		t.Fatalf("queue in the delta: %+v", q)
	}
}

// fakeCampaigns stands in for the campaign management at the dashboard's
// own interface.
type fakeCampaigns struct {
	mu      sync.Mutex
	list    []dashboard.Campaign
	actions []string
}

func (c *fakeCampaigns) Campaigns(context.Context) ([]dashboard.Campaign, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]dashboard.Campaign(nil), c.list...), nil
}

func (c *fakeCampaigns) StartCampaign(_ context.Context, tenant, id string) error {
	return c.act("start", tenant, id)
}

func (c *fakeCampaigns) StopCampaign(_ context.Context, tenant, id string) error {
	return c.act("stop", tenant, id)
}

func (c *fakeCampaigns) act(what, tenant, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id != "5" {
		return errors.New("unknown campaign " + id)
	}
	c.actions = append(c.actions, what+" "+tenant+"/"+id)
	return nil
}

func TestCampaignPanel(t *testing.T) {
	fc := &fakeCampaigns{list: []dashboard.Campaign{{Tenant: "t1", ID: "5", Name: "Renewals", Mode: dialer.ModePredictive, TargetCPS: 2,
		Stats: dialer.Stats{State: dialer.State("running"), Total: 200, Done: 50, Percent: 25, Dialled: 80, LiveCalls: 6,
			Outcomes: map[telephony.Outcome]int{"answered": 30, "busy": 10}, AbandonRate: 0.02, AgentUseRate: 0.85}}}}
	f := newFixture(t, fc)
	f.login()
	s := f.stream()
	snap := s.until(t, "the snapshot", func(m streamMsg) bool { return m.name == "snapshot" })
	if len(snap.msg.Campaigns) != 1 {
		t.Fatalf("campaigns %+v", snap.msg.Campaigns)
	}
	c := snap.msg.Campaigns[0]
	if c.Name != "Renewals" || c.Percent != 25 || c.TargetCPS != 2 || c.LiveCalls != 6 || !c.Predictive ||
		c.AbandonRate != 0.02 || c.Occupancy != 0.85 || c.Outcomes["busy"] != 10 {
		t.Fatalf("campaign %+v", c)
	}

	// Attempts started raise the achieved cps; campaign events trigger a refresh.
	now := time.Now()
	var evs []event.Event
	for i := range 5 {
		evs = append(evs, event.Event{Type: event.AttemptStarted, At: now, Tenant: "t1", Campaign: "5", Attempt: fmt.Sprint(i)})
	}
	if err := f.board.Sink(f.ctx, evs); err != nil {
		t.Fatal(err)
	}
	m := s.until(t, "achieved cps", func(m streamMsg) bool {
		return m.msg.CampaignsChanged && len(m.msg.Campaigns) == 1 && m.msg.Campaigns[0].AchievedCPS > 0
	})
	if got := m.msg.Campaigns[0].AchievedCPS; got != 0.5 {
		t.Fatalf("achieved cps %v, want 5 attempts / 10 s", got)
	}

	if code, body := f.post("/wallboard/campaigns/t1/5/stop", `{}`); code != http.StatusOK {
		t.Fatalf("stop: %d %s", code, body)
	}
	if code, body := f.post("/wallboard/campaigns/t1/9/start", `{}`); code != http.StatusBadRequest || !strings.Contains(body, "unknown campaign") {
		t.Fatalf("start unknown: %d %s", code, body)
	}
	if code, _ := f.post("/wallboard/campaigns/t1/5/pause", `{}`); code != http.StatusNotFound {
		t.Fatalf("pause: %d", code)
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if len(fc.actions) != 1 || fc.actions[0] != "stop t1/5" {
		t.Fatalf("actions %v", fc.actions)
	}
}

// Whatever the body, the status endpoint answers with a client error or
// success, never a server error, and never changes an agent to a status
// that does not exist.
func FuzzAgentStatusBody(f *testing.F) {
	for _, s := range []string{`{"status":"on_break"}`, `{"status":""}`, `{}`, `[]`, `{"status":1}`, `{"status":"available","x":1}`, "", "\x00"} {
		f.Add(s)
	}
	fx := newFixture(f, nil)
	fx.seed(1)
	fx.login()
	id := store.ACDID(fx.agents[0].ID)
	f.Fuzz(func(t *testing.T, body string) {
		fx.t = t
		code, resp := fx.post("/wallboard/agents/"+id+"/status", body)
		if code >= 500 || (code != http.StatusOK && code != http.StatusBadRequest) {
			t.Fatalf("body %q: %d %s", body, code, resp)
		}
		info, err := fx.queues.AgentState(fx.ctx, "t1", fx.agents[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := acd.ParseStatus(string(info.Status)); err != nil {
			t.Fatalf("agent status %q after body %q", info.Status, body)
		}
	})
}
