package acd

import (
	"errors"
	"testing"
	"time"
)

func TestBadInputNamesTheField(t *testing.T) {
	q := func(mod func(*QueueConfig)) Command {
		c := NewQueueConfig("q")
		mod(&c)
		return AddQueue{Config: c}
	}
	a := func(mod func(*AgentConfig)) Command {
		c := NewAgentConfig("a", LocalAgent)
		c.Extension = "100"
		mod(&c)
		return AddAgent{Config: c}
	}
	tests := []struct {
		name  string
		cmd   Command
		field string
	}{
		{"unknown strategy", q(func(c *QueueConfig) { c.Strategy = "fastest" }), "strategy"},
		{"empty queue id", q(func(c *QueueConfig) { c.ID = "" }), "id"},
		{"negative tier wait", q(func(c *QueueConfig) { c.TierRuleWaitSecond = -time.Second }), "tier_rule_wait_second"},
		{"negative max wait", q(func(c *QueueConfig) { c.MaxWaitTime = -1 }), "max_wait_time"},
		{"huge max wait", q(func(c *QueueConfig) { c.MaxWaitTime = 400 * 24 * time.Hour }), "max_wait_time"},
		{"bad time base", q(func(c *QueueConfig) { c.TimeBaseScore = "member" }), "time_base_score"},
		{"bad exit key", q(func(c *QueueConfig) { c.ExitKey = "12" }), "exit_key"},
		{"announce without sound", q(func(c *QueueConfig) { c.AnnounceFrequency = time.Second }), "announce_sound"},
		{"bad sound type", q(func(c *QueueConfig) { c.SoundType = "jazz" }), "sound_type"},
		{"zero progressive delay", q(func(c *QueueConfig) { c.Strategy, c.RingProgressivelyDelay = RingProgressively, 0 }), "ring_progressively_delay"},
		{"agent type", a(func(c *AgentConfig) { c.Type = "robot" }), "type"},
		{"local agent without extension", a(func(c *AgentConfig) { c.Extension = "" }), "extension"},
		{"remote agent without number", a(func(c *AgentConfig) { c.Type = RemoteAgent }), "number"},
		{"negative wrap up", a(func(c *AgentConfig) { c.WrapUpTime = -time.Second }), "wrap_up_time"},
		{"zero call timeout", a(func(c *AgentConfig) { c.CallTimeout = 0 }), "call_timeout"},
		{"negative max no answer", a(func(c *AgentConfig) { c.MaxNoAnswer = -1 }), "max_no_answer"},
		{"tier for unknown agent", SetTier{Tier: Tier{Queue: "known", Agent: "ghost"}}, "agent_id"},
		{"tier for unknown queue", SetTier{Tier: Tier{Queue: "ghost", Agent: "known"}}, "queue"},
		{"negative level", SetTier{Tier: Tier{Queue: "known", Agent: "known", Level: -1}}, "level"},
		{"negative position", SetTier{Tier: Tier{Queue: "known", Agent: "known", Position: -1}}, "position"},
		{"join unknown queue", Join{Queue: "ghost", Caller: "c"}, "queue"},
		{"join without caller", Join{Queue: "known"}, "caller"},
		{"join huge priority", Join{Queue: "known", Caller: "c", Priority: 1 << 40}, "priority"},
		{"bad status", SetAgentStatus{Agent: "known", Status: "dancing"}, "status"},
		{"bad state", SetAgentState{Agent: "known", State: InCall}, "state"},
		{"bad offer result", OfferResult{Offer: 1, Result: "maybe"}, "result"},
		{"nil command", nil, "command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, CoreConfig{})
			h.queue(NewQueueConfig("known"))
			h.agents("known")
			before := h.core.QueueIDs()
			err := h.try(tt.cmd)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *FieldError", err)
			}
			if fe.Field != tt.field {
				t.Fatalf("field %q (%v), want %q", fe.Field, err, tt.field)
			}
			if !IsBadInput(err) {
				t.Fatal("IsBadInput = false")
			}
			if after := h.core.QueueIDs(); len(after) != len(before) {
				t.Fatal("a rejected command changed the queues")
			}
		})
	}
}

func TestUnknownReferencesAreSentinels(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	for _, tt := range []struct {
		cmd  Command
		want error
	}{
		{RemoveQueue{Queue: "x"}, ErrUnknownQueue},
		{RemoveAgent{Agent: "x"}, ErrUnknownAgent},
		{SetAgentStatus{Agent: "x", Status: Available}, ErrUnknownAgent},
		{Hangup{Caller: "x"}, ErrUnknownCaller},
		{CallEnded{Caller: "x"}, ErrUnknownCaller},
		{DTMF{Caller: "x", Digit: "1"}, ErrUnknownCaller},
	} {
		if err := h.try(tt.cmd); !errors.Is(err, tt.want) {
			t.Errorf("%T: %v, want %v", tt.cmd, err, tt.want)
		}
	}
	h.queue(NewQueueConfig("q"))
	h.join("q", "c1")
	if err := h.try(Join{Queue: "q", Caller: "c1"}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate join: %v", err)
	}
	if err := h.try(RemoveTier{Queue: "q", Agent: "x"}); !errors.Is(err, ErrUnknownTier) {
		t.Errorf("remove unknown tier: %v", err)
	}
}

func TestCoreConfigValidation(t *testing.T) {
	_, err := NewCore(CoreConfig{CounterReset: "sometimes"})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "counter_reset" {
		t.Fatalf("NewCore: %v", err)
	}
	if _, err := NewEngine(EngineConfig{}); !errors.As(err, &fe) || fe.Field != "decisions" {
		t.Fatalf("NewEngine without sink: %v", err)
	}
}

// Every event carries the tenant that owns its queue or agent, and agents
// never join another tenant's queue.
func TestTenantsStayApart(t *testing.T) {
	h := newHarness(t, CoreConfig{})
	q := NewQueueConfig("q12")
	q.Tenant = "12"
	h.queue(q)
	for _, id := range []string{"a12", "a13"} {
		cfg := NewAgentConfig(id, LocalAgent)
		cfg.Extension, cfg.Tenant = "1", id[1:]
		h.agentWith(cfg)
	}
	err := h.try(SetTier{Tier: Tier{Queue: "q12", Agent: "a13"}})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "agent_id" {
		t.Fatalf("cross-tenant tier: %v", err)
	}
	h.tier("q12", "a12", 0, 0)
	h.login("a12", "a13")
	h.join("q12", "c1")
	for _, e := range h.events {
		want := "12"
		if e.Agent == "a13" {
			want = "13"
		}
		if e.Tenant != want {
			t.Fatalf("event %s for queue %q agent %q has tenant %q, want %q", e.Type, e.Queue, e.Agent, e.Tenant, want)
		}
	}
}
