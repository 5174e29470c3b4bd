// Measures the wallboard with a large centre: the first render of every
// queue and agent, one supervisor click, and a burst of status changes
// posted at once, watching the page's long tasks meanwhile. scale_test.go
// seeds the service and runs this; it prints one JSON line.
//
// Environment: WALLBOARD_URL, WALLBOARD_PASSWORD, SCALE_AGENTS, SCALE_QUEUES,
// BURST (agents to put on break at once), ARTIFACTS, CHROMIUM.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const url = process.env.WALLBOARD_URL, password = process.env.WALLBOARD_PASSWORD;
const agents = Number(process.env.SCALE_AGENTS), queues = Number(process.env.SCALE_QUEUES), burst = Number(process.env.BURST || 200);
const artifacts = process.env.ARTIFACTS || "artifacts";
mkdirSync(artifacts, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync"],
});
const r = { agents, queues };
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on("pageerror", (e) => { console.error("page error:", e.message); r.page_errors = (r.page_errors || 0) + 1; });
  page.setDefaultTimeout(60_000);
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push({ at: e.startTime, ms: e.duration }); })
      .observe({ type: "longtask", buffered: true });
  });
  await page.goto(url + "/login");
  await page.fill("#password", password);
  const t0 = Date.now();
  await page.click("button[type=submit]");
  await page.waitForFunction(([a, q]) => document.querySelectorAll("#agents tbody tr").length >= a &&
    document.querySelectorAll("article.queue").length >= q, [agents, queues]);
  r.first_render_ms = Date.now() - t0;
  r.rows = await page.locator("#agents tbody tr").count();
  r.cards = await page.locator("article.queue").count();

  // One click, on an idle board.
  const first = await page.locator("#agents tbody tr").first().getAttribute("data-agent");
  let t = Date.now();
  await page.locator(`#agents tr[data-agent="${first}"]`).getByRole("button", { name: "Break" }).click();
  await page.waitForSelector(`#agents tr[data-agent="${first}"][data-status="on_break"]`);
  r.click_to_shown_ms = Date.now() - t;

  // A burst: many agents on break at once, posted in parallel.
  const ids = await page.$$eval("#agents tbody tr", (rows, n) => rows.slice(1, 1 + n).map((tr) => tr.dataset.agent), burst);
  const since = await page.evaluate(() => performance.now());
  t = Date.now();
  const statuses = await page.evaluate((ids) => Promise.all(ids.map((id) => fetch(`/wallboard/agents/${id}/status`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ status: "on_break" }),
  }).then((x) => x.status))), ids);
  r.burst_posted_ms = Date.now() - t;
  r.burst_failed = statuses.filter((s) => s !== 200).length;
  await page.waitForFunction((ids) => ids.every((id) => document.querySelector(`#agents tr[data-agent="${id}"]`).dataset.status === "on_break"), ids);
  r.burst_all_shown_ms = Date.now() - t;
  r.burst = ids.length;
  const long = await page.evaluate((since) => window.__long.filter((e) => e.at >= since), since);
  r.burst_long_tasks = long.length;
  r.burst_longest_task_ms = Math.round(Math.max(0, ...long.map((e) => e.ms)));
  const allLong = await page.evaluate(() => window.__long);
  r.longest_task_ms = Math.round(Math.max(0, ...allLong.map((e) => e.ms)));
  r.script = await page.evaluate(() => {
    const s = window.wallboardStats;
    const round = (x) => Math.round(x * 10) / 10;
    return { renders: s.renders, snapshot_ms: round(s.snapshotMs), max_delta_ms: round(s.maxDeltaMs), max_tick_ms: round(s.maxTickMs) };
  });
  r.heap_mb = Math.round((await page.evaluate(() => performance.memory ? performance.memory.usedJSHeapSize : 0)) / 1e5) / 10;
  r.dom_nodes = await page.evaluate(() => document.getElementsByTagName("*").length);
  await page.screenshot({ path: join(artifacts, "wallboard-scale.png") });
  console.log(JSON.stringify(r));
} catch (e) {
  console.error("FAILED:", e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
