// Switchboard wallboard: a snapshot then deltas over server-sent events;
// changes gather per animation frame and only the rows they touch are
// updated. No polling: the one timer redraws elapsed times from the
// timestamps the server sent.
"use strict";
(() => {
  const STATES = ["waiting", "receiving", "in_call", "wrap_up", "idle", "on_break", "logged_out"];
  const LABEL = { waiting: "ready", receiving: "ringing", in_call: "in call", wrap_up: "wrap-up", idle: "idle",
    on_break: "on break", logged_out: "logged out", available: "available", available_on_demand: "on demand" };
  const $ = (s, el = document) => el.querySelector(s);
  const filterEl = $("#filter");
  const queuesEl = $("#queues"), agentsBody = $("#agents tbody"), campaignsEl = $("#campaigns");
  const queues = new Map(), agents = new Map(); // id → {data, el}
  let campaigns = new Map(); // tenant/id → {data, el}
  let offset = 0; // server clock − browser clock, ms
  let pending = null, frame = 0;
  // Elements showing the time since a moment: the tick redraws only the
  // ones on screen, so a long agent list costs nothing while scrolled away.
  const since = new Map(); // element → ms
  const visible = new Set();
  const seen = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) { visible.add(e.target); const ms = since.get(e.target); if (ms) set(e.target, dur(now() - ms)); }
      else visible.delete(e.target);
    }
  });
  const untrack = (el) => { if (since.delete(el)) { seen.unobserve(el); visible.delete(el); } };

  const now = () => Date.now() + offset;
  const dur = (ms) => {
    if (!(ms >= 0)) ms = 0;
    const s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(r).padStart(2, "0");
  };
  const set = (el, text) => { text = String(text); if (el.textContent !== text) el.textContent = text; };
  const field = (el, f) => el.querySelector('[data-f="' + f + '"]');
  const chip = (state, n) => {
    const c = document.createElement("span");
    c.className = "chip"; c.style.setProperty("--c", "var(--" + state + ")"); c.dataset.state = state;
    c.textContent = (LABEL[state] || state) + " " + n;
    return c;
  };
  const chips = (el, counts, order) => {
    const key = JSON.stringify(counts);
    if (el.dataset.key === key) return;
    el.dataset.key = key;
    el.replaceChildren(...order.filter((s) => counts[s]).map((s) => chip(s, counts[s])));
  };
  const track = (el, ms) => {
    if (ms) { if (!since.has(el)) seen.observe(el); since.set(el, ms); set(el, dur(now() - ms)); }
    else { untrack(el); set(el, "–"); }
  };

  // ---- queues ----
  function queueCard(q) {
    const el = $("#queue-card").content.firstElementChild.cloneNode(true);
    el.dataset.queue = q.id;
    return el;
  }
  function renderQueue(q) {
    let rec = queues.get(q.id);
    if (!rec) { rec = { el: queueCard(q) }; queues.set(q.id, rec); insertSorted(queuesEl, rec.el, q.id, "queue"); }
    rec.data = q;
    const el = rec.el;
    set(field(el, "name"), q.name); set(field(el, "label"), q.label || "");
    set(field(el, "waiting"), q.waiting + q.trying);
    track(field(el, "longest"), q.oldest_joined_ms);
    set(field(el, "connected"), q.connected);
    set(field(el, "answered_today"), q.answered_today);
    set(field(el, "abandoned_today"), q.abandoned_today);
    set(field(el, "service_level"), q.service_level == null ? "–" : Math.round(q.service_level) + "%");
    set(field(el, "members_total"), q.members_total);
    el.classList.toggle("alert", q.waiting > 0 && q.free === 0 && q.logged_in === 0);
    chips(field(el, "agent_states"), q.agent_states || {}, STATES);
    const body = $(".members tbody", el);
    for (const tr of body.children) untrack(tr.children[2]);
    body.replaceChildren(...q.members.map((m) => {
      const tr = document.createElement("tr");
      tr.dataset.call = m.call;
      const cells = [m.number || "anonymous", m.state, "", agentName(m.agent)];
      for (const c of cells) { const td = document.createElement("td"); td.textContent = c; tr.append(td); }
      if (m.state === "answered") set(tr.children[2], dur(m.wait_ms)); else track(tr.children[2], m.joined_ms);
      return tr;
    }));
  }
  function agentName(id) {
    if (!id) return "";
    const a = agents.get(id);
    return a ? a.data.name || id : id;
  }
  function insertSorted(parent, el, id, key) {
    const n = Number(id);
    for (const other of parent.children) {
      const o = other.dataset[key];
      if ((isNaN(n) || isNaN(Number(o))) ? o > id : Number(o) > n) { parent.insertBefore(el, other); return; }
    }
    parent.append(el);
  }

  // ---- agents ----
  // A row keeps its cells, so an update touches them directly.
  function agentRow(a) {
    const tr = document.createElement("tr");
    tr.dataset.agent = a.id;
    const c = { tr, buttons: [] };
    for (const f of ["name", "extension", "status", "board", "since", "calls_today", "talk_today", "queues"]) {
      const td = document.createElement("td"); td.dataset.f = f; tr.append(td); c[f] = td;
    }
    c.state = document.createElement("span"); c.state.className = "state"; c.board.append(c.state);
    const td = document.createElement("td"); td.className = "actions";
    for (const [status, text] of [["available", "Log in"], ["on_break", "Break"], ["logged_out", "Log out"]]) {
      const b = document.createElement("button");
      b.type = "button"; b.dataset.status = status; b.textContent = text;
      td.append(b); c.buttons.push(b);
    }
    tr.append(td);
    return c;
  }
  // renderAgent updates (or makes) an agent's row; a new row goes in id
  // order unless the caller appends rows in order itself (into).
  function renderAgent(a, into) {
    let rec = agents.get(a.id);
    if (!rec) {
      rec = { cells: agentRow(a) }; rec.el = rec.cells.tr; agents.set(a.id, rec);
      if (into) into.append(rec.el); else insertSorted(agentsBody, rec.el, a.id, "agent");
    }
    const old = rec.data;
    rec.data = a;
    const c = rec.cells, tr = rec.el;
    set(c.name, a.name || a.id);
    set(c.extension, a.extension || "");
    set(c.status, LABEL[a.status] || a.status);
    if (!old || old.board !== a.board) {
      set(c.state, LABEL[a.board] || a.board);
      c.state.style.setProperty("--c", "var(--" + a.board + ")");
      tr.dataset.board = a.board;
    }
    if (!old || old.status !== a.status) {
      tr.dataset.status = a.status;
      for (const b of c.buttons) {
        b.disabled = b.dataset.status === a.status || (b.dataset.status === "available" && a.status === "available_on_demand");
      }
    }
    if (!old || old.state_since_ms !== a.state_since_ms) track(c.since, a.state_since_ms);
    set(c.calls_today, a.calls_today);
    set(c.talk_today, dur(a.talk_today_ms));
    set(c.queues, a.queues.map((q) => (queues.get(q)?.data.name) || q).join(", "));
    if (filterEl.value) applyFilter(tr);
  }
  agentsBody.addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-status]");
    if (!b) return;
    const id = b.closest("tr").dataset.agent;
    b.disabled = true;
    await post("/wallboard/agents/" + encodeURIComponent(id) + "/status", { status: b.dataset.status });
  });
  function applyFilter(tr) {
    const q = filterEl.value.trim().toLowerCase();
    tr.hidden = q !== "" && !tr.textContent.toLowerCase().includes(q);
  }
  filterEl.addEventListener("input", () => { for (const { el } of agents.values()) applyFilter(el); });

  // ---- campaigns ----
  function renderCampaigns(list) {
    const next = new Map();
    for (const c of list) {
      const key = c.tenant + "/" + c.id;
      let rec = campaigns.get(key);
      if (!rec) {
        rec = { el: $("#campaign-card").content.firstElementChild.cloneNode(true) };
        rec.el.dataset.campaign = key;
      }
      rec.data = c;
      campaignsEl.append(rec.el);
      next.set(key, rec);
      const el = rec.el;
      el.classList.toggle("predictive", c.predictive);
      set(field(el, "name"), c.name); set(field(el, "mode"), c.mode); set(field(el, "state"), c.state);
      field(el, "bar").style.width = Math.min(100, c.percent) + "%";
      set(field(el, "progress"), c.done + " / " + c.total + " (" + c.percent.toFixed(1) + "%)");
      set(field(el, "cps"), (c.target_cps ? c.target_cps.toFixed(2) : "∞") + " / " + c.achieved_cps.toFixed(2));
      set(field(el, "live_calls"), c.live_calls);
      set(field(el, "dialled"), c.dialled);
      set(field(el, "abandon_rate"), (100 * c.abandon_rate).toFixed(1) + "%");
      set(field(el, "occupancy"), (100 * c.occupancy).toFixed(0) + "%");
      chips(field(el, "outcomes"), c.outcomes, Object.keys(c.outcomes).sort());
    }
    for (const [key, rec] of campaigns) if (!next.has(key)) rec.el.remove();
    campaigns = next;
    $("#no-campaigns").hidden = campaigns.size > 0;
  }
  campaignsEl.addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-action]");
    if (!b) return;
    const [tenant, id] = b.closest("[data-campaign]").dataset.campaign.split("/");
    await post("/wallboard/campaigns/" + encodeURIComponent(tenant) + "/" + encodeURIComponent(id) + "/" + b.dataset.action, {});
  });

  async function post(url, body) {
    const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (r.status === 401) location.href = "/login";
    else if (!r.ok) alert((await r.json().catch(() => ({}))).error || r.statusText);
  }

  // ---- totals ----
  function renderTotals() {
    const counts = {};
    for (const { data } of agents.values()) counts[data.board] = (counts[data.board] || 0) + 1;
    chips($("#totals"), counts, STATES);
    $("#no-queues").hidden = queues.size > 0;
  }

  // ---- stream ----
  function take(m, full) {
    offset = m.now_ms - Date.now();
    if (full || !pending) pending = { full, queues: new Map(), agents: new Map(), campaigns: null, rq: [], ra: [] };
    for (const q of m.queues || []) pending.queues.set(q.id, q);
    for (const a of m.agents || []) pending.agents.set(a.id, a);
    if (m.campaigns_changed) pending.campaigns = m.campaigns || [];
    pending.rq.push(...(m.removed_queues || []));
    pending.ra.push(...(m.removed_agents || []));
    set($("#sl-note"), "service level: answered within " + m.service_level_s + " s");
    if (!frame) frame = requestAnimationFrame(render);
  }
  // stats lets tests and the curious see what drawing costs (script time only).
  const stats = window.wallboardStats = { renders: 0, lastMs: 0, maxDeltaMs: 0, snapshotMs: 0, ticks: 0, maxTickMs: 0 };
  function render() {
    frame = 0;
    const p = pending; pending = null;
    if (!p) return;
    const t0 = performance.now();
    if (p.full) {
      for (const m of [queues, agents]) { for (const { el } of m.values()) el.remove(); m.clear(); }
      for (const el of since.keys()) untrack(el);
    }
    for (const id of p.ra) { const r = agents.get(id); if (r) { untrack(r.cells.since); r.el.remove(); } agents.delete(id); }
    for (const id of p.rq) {
      const r = queues.get(id);
      if (r) { for (const el of r.el.querySelectorAll("dd, td")) untrack(el); r.el.remove(); }
      queues.delete(id);
    }
    // Queue names label agents and agent names label callers: a full
    // snapshot draws the queues again once both are known.
    for (const q of p.queues.values()) renderQueue(q);
    if (p.full) {
      // The snapshot lists agents in order: build the rows off the page.
      const frag = document.createDocumentFragment();
      for (const a of p.agents.values()) renderAgent(a, frag);
      agentsBody.append(frag);
      for (const q of p.queues.values()) renderQueue(q);
    } else {
      for (const a of p.agents.values()) renderAgent(a);
    }
    if (p.campaigns) renderCampaigns(p.campaigns);
    renderTotals();
    stats.renders++; stats.lastMs = performance.now() - t0;
    if (p.full) stats.snapshotMs = stats.lastMs; else stats.maxDeltaMs = Math.max(stats.maxDeltaMs, stats.lastMs);
  }
  const conn = $("#conn");
  function connect() {
    const es = new EventSource("/wallboard/events");
    es.addEventListener("open", () => { conn.dataset.state = "live"; conn.textContent = "live"; });
    es.addEventListener("snapshot", (e) => take(JSON.parse(e.data), true));
    es.addEventListener("delta", (e) => take(JSON.parse(e.data), false));
    es.addEventListener("error", () => {
      conn.dataset.state = "lost"; conn.textContent = "reconnecting…";
      if (es.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      es.close();
      // Refused outright: a lapsed session goes back to the login.
      fetch("/wallboard/snapshot", { method: "HEAD" }).then((r) => {
        if (r.status === 401) location.href = "/login"; else setTimeout(connect, 2000);
      }, () => setTimeout(connect, 2000));
    });
  }
  connect();
  setInterval(() => {
    const t0 = performance.now(), t = now();
    for (const el of visible) set(el, dur(t - since.get(el)));
    set($("#clock"), new Date(t).toLocaleTimeString());
    stats.ticks++; stats.maxTickMs = Math.max(stats.maxTickMs, performance.now() - t0);
  }, 1000);
})();
