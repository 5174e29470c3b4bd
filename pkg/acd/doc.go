// Package acd is Switchboard's Automatic Call Distributor: inbound queues with
// FreeSWITCH mod_callcenter's nine strategies, tiers (agent level and
// position) with its tier rules, agents with statuses, states and timers, and
// the callers waiting for them.
//
// # Shape
//
// Core is a pure state machine. It does no I/O and reads no clock:
// Core.Handle(now, command) applies a Command (a caller joins, an agent logs
// in, an offer was answered, …) and returns an Output — Decisions for the PBX
// side (Hold, Offer, CancelOffer, Connect, Announce, Transfer, HangupCaller)
// and domain events (pkg/event) for every change. Core.NextDeadline says
// when it needs Core.Advance to fire its timers (ring timeouts, delays,
// wrap-up, tier waits, announcements, queue timeouts). Simulations and tests
// drive a Core directly in virtual time.
//
// Engine is the goroutine that owns one Core in a running service: commands
// through Engine.Do, reads through Engine.Read, timers on an injected
// clock.Clock, decisions to a DecisionSink, events to an event.Publisher.
//
// # Routing
//
// In every strategy the lowest level with a free agent the caller reaches is
// used first. Each level of each queue keeps its free agents in an index
// ordered for the queue's strategy (a B-tree, or a dense set for random), and
// each queue keeps its callers that may take an agent in service order,
// grouped by the highest level they reach; so a decision looks at one caller
// per group and one agent per level and never scans the queue.
//
// Callers are served by score, as mod_callcenter's members_callback does:
// the earliest start first, where the start is the join time (time base
// "queue") or the time the call entered the system ("system"), less the
// caller's Priority in seconds.
//
// An agent is free when its status is available or available_on_demand, its
// state is waiting, it has no offer and no call, and any delay after a failed
// offer has passed. An agent in many queues has at most one offer at a time.
// ring-all and ring-progressively offer a caller to several agents; the first
// answer wins and the other offers are cancelled. The ACD itself cancels an
// offer that rings for the agent's call_timeout and counts it as no answer.
//
// # Decisions where mod_callcenter's code, its docs and the seed differ
//
//   - The lowest level rings at once. mod_callcenter starts its tier cursor at
//     0, so with tier rules on even level 1 waits one tier_rule_wait_second;
//     the ringme seed says the lowest level is called first, and a free agent
//     should not sit idle while the caller hears music.
//   - The wait for the next level counts from when the current level started
//     ringing for that caller (the seed: "the report begins when the current
//     level agents start calling"), not from when the caller joined (the
//     code). With tier_rule_wait_multiply_level the wait is multiplied by the
//     next level's value.
//   - tier_rule_no_agent_no_wait defaults to true (the code's default; the
//     docs and sample config say false): a level where no agent is logged in
//     (any status but logged_out, as the code counts) is skipped at once,
//     since nobody there can ever answer. Levels whose agents are merely busy
//     still cost their wait.
//   - ring-all without tier rules rings every free agent of every level at
//     once, as mod_callcenter does; use tier rules to ring levels in turn.
//   - max_wait_time_with_no_agent counts from the moment the queue's last
//     logged-in agent left (on break counts as logged in, as in
//     mod_callcenter); a caller joining after that threshold was reached may
//     wait only max_wait_time_with_no_agent_time_reached (the docs' rule).
//   - exit_with_no_av_agents (ringme) makes callers leave to
//     exit_transfer_dst when no agent is available (available or
//     available_on_demand), on joining or when the last one leaves.
//   - Abandoned callers are remembered by number for discard_abandoned_after
//     when abandoned_resume_allowed is on; rejoining within it restores their
//     place (their score), while max_wait_time counts from the new join.
//   - A status change to anything but available/available_on_demand cancels
//     the agent's ringing offer without penalty; a connected call goes on.
//     max_no_answer consecutive no-answers put the agent on break (source
//     "system"), mod_callcenter's default agent_no_answer_status.
//   - Agent status events fire only when the status really changes (ringme).
//
// # Counters and their reset
//
// fewest-calls and least-talk-time order agents by calls answered and talk
// time. mod_callcenter zeroes both whenever an agent becomes available, so a
// late log-in takes every call until it catches up. CoreConfig.CounterReset
// makes this a choice: KeepCounters (the default; reset them with
// ResetAgentCounters, e.g. at the start of a shift), ResetOnAvailable
// (mod_callcenter), or CatchUpOnAvailable (raise them to the lowest values
// among the free agents of the agent's queues, so the late agent takes its
// turn without being flooded). longest-idle-agent orders by the end of the
// last connected call (mod_callcenter's last_bridge_end); an unanswered offer
// does not count as a call.
package acd
