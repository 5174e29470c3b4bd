// Drives the wallboard in Debian's chromium: signs in, waits for the demo
// queue's calls to show, logs an agent out with a click and waits for the
// board to show it, saving screenshots. wallboard_test.go starts the
// service and runs this; it prints one JSON line of what it saw.
//
// Environment: WALLBOARD_URL, WALLBOARD_PASSWORD, WALLBOARD_AGENT (the
// agent id to log out), WALLBOARD_CAMPAIGN (optional tenant/id of a running
// campaign to watch and stop), ARTIFACTS (screenshot folder), CHROMIUM (default
// /usr/bin/chromium).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const url = process.env.WALLBOARD_URL;
const password = process.env.WALLBOARD_PASSWORD;
const agent = process.env.WALLBOARD_AGENT;
const campaign = process.env.WALLBOARD_CAMPAIGN;
const artifacts = process.env.ARTIFACTS || "artifacts";
if (!url || !password || !agent) {
  console.error("WALLBOARD_URL, WALLBOARD_PASSWORD and WALLBOARD_AGENT are required");
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(artifacts, name), fullPage: true });
const step = (msg) => console.error(new Date().toISOString(), msg);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync"],
});
const result = {};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (e) => { console.error("page error:", e.message); result.page_errors = (result.page_errors || 0) + 1; });
  page.setDefaultTimeout(30_000);

  step("open the wallboard: expect the login");
  await page.goto(url + "/");
  if (!page.url().endsWith("/login")) throw new Error("not sent to /login: " + page.url());
  await page.fill("#password", "wrong password");
  await page.click("button[type=submit]");
  await page.waitForSelector("text=Wrong password.");
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  await page.waitForSelector("#conn[data-state=live]");
  step("signed in, stream live");

  step("wait for demo calls on the board");
  const card = page.locator("article.queue", { hasText: "support" });
  await card.waitFor();
  await page.waitForFunction(() => {
    const c = [...document.querySelectorAll("article.queue")].find((e) => e.textContent.includes("support"));
    return c && Number(c.querySelector('[data-f="answered_today"]').textContent) >= 2 &&
      document.querySelector('#agents tr[data-board="in_call"]');
  }, null, { timeout: 60_000 });
  result.answered_today = Number(await card.locator('[data-f="answered_today"]').textContent());
  result.service_level = await card.locator('[data-f="service_level"]').textContent();
  result.agents_in_call = await page.locator('#agents tr[data-board="in_call"]').count();
  result.agents = await page.locator("#agents tbody tr").count();
  await card.locator("summary").click();
  result.callers_listed = await card.locator(".members tbody tr").count();
  if (campaign) {
    step("wait for campaign " + campaign + " to dial");
    const cc = page.locator(`article.campaign[data-campaign="${campaign}"]`);
    await cc.waitFor();
    await page.waitForFunction((key) => {
      const c = document.querySelector(`article.campaign[data-campaign="${key}"]`);
      return c && Number(c.querySelector('[data-f="dialled"]').textContent) >= 3;
    }, campaign, { timeout: 60_000 });
    result.campaign_dialled = Number(await cc.locator('[data-f="dialled"]').textContent());
    result.campaign_cps = await cc.locator('[data-f="cps"]').textContent();
    result.campaign_progress = await cc.locator('[data-f="progress"]').textContent();
  }
  await shot(page, "wallboard.png");
  step("calls shown: " + JSON.stringify(result));

  step("log agent " + agent + " out");
  const row = page.locator(`#agents tr[data-agent="${agent}"]`);
  result.agent_before = await row.getAttribute("data-status");
  if (result.agent_before === "logged_out") throw new Error("agent " + agent + " is already logged out");
  const clicked = Date.now();
  await row.getByRole("button", { name: "Log out" }).click();
  await page.waitForSelector(`#agents tr[data-agent="${agent}"][data-status="logged_out"]`, { timeout: 10_000 });
  result.logout_shown_ms = Date.now() - clicked;
  result.agent_after = await row.getAttribute("data-status");
  result.agent_state_cell = await row.locator(".state").textContent();
  result.logout_button_disabled = await row.getByRole("button", { name: "Log out" }).isDisabled();
  await page.waitForFunction(() => {
    const c = [...document.querySelectorAll("article.queue")].find((e) => e.textContent.includes("support"));
    return c && c.querySelector('[data-f="agent_states"] [data-state="logged_out"]');
  }, null, { timeout: 10_000 });
  result.queue_states = await card.locator('[data-f="agent_states"]').textContent();
  await shot(page, "wallboard-logged-out.png");

  if (campaign) {
    step("stop campaign " + campaign);
    const cc = page.locator(`article.campaign[data-campaign="${campaign}"]`);
    await cc.getByRole("button", { name: "Stop" }).click();
    await page.waitForFunction((key) => {
      const s = document.querySelector(`article.campaign[data-campaign="${key}"] [data-f="state"]`).textContent;
      return s === "stopping" || s === "stopped";
    }, campaign, { timeout: 10_000 });
    result.campaign_after = await cc.locator('[data-f="state"]').textContent();
  }

  step("sign out");
  await page.click("text=Sign out");
  await page.waitForURL(/\/login$/);
  const after = await page.request.get(url + "/wallboard/snapshot");
  result.snapshot_after_signout = after.status();
  console.log(JSON.stringify(result));
} catch (e) {
  console.error("FAILED:", e.message);
  const pages = browser.contexts().flatMap((c) => c.pages());
  if (pages.length) await shot(pages[0], "failure.png").catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
