// biodev ui in a real browser: Debian's Chromium, headless, driven by playwright-core.
//   node dashboard.mjs URL SERVICES STOP_SERVICE CONTAINER_TO_STOP [SCREENSHOT.png]
// SERVICES: comma-separated services the page must show running. STOP_SERVICE is
// stopped from outside the page (the Engine API, as another program would), must turn
// to "exited" within seconds, and is brought back with the page's restart button; its
// logs must arrive, and the search box must filter them. With LOCK_FILE set (the
// project's lock, cli/lock.h), another holder takes it and the stop button must be
// refused with the page saying the project is busy; once it is free again the restart
// button works and the notice goes.
import { spawn } from "node:child_process";
import http from "node:http";
import { chromium } from "playwright-core";

const [url, servicesArg, stopService, stopContainer, screenshot] = process.argv.slice(2);
const services = servicesArg.split(",");
const sock = process.env.DOCKER_SOCK || "/var/run/docker.sock";

function engine(method, path) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode < 300 ? resolve(res.statusCode) : reject(new Error(`${method} ${path}: ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

const fail = (msg) => {
  console.error(`FAIL ${msg}`);
  process.exit(1);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);

  const state = (svc) => page.locator(`tr[data-service="${svc}"] td.state .badge`);
  for (const svc of services) {
    await state(svc).filter({ hasText: /^running$/ }).waitFor({ timeout: 15000 }).catch(() => fail(`${svc} is not shown running`));
    await page.locator(`#graph g.svc[data-service="${svc}"]`).waitFor({ timeout: 5000 }).catch(() => fail(`${svc} is not in the topology`));
  }
  const links = await page.locator(`tr[data-service="${stopService}"] a`).count();
  if (links < 1) fail(`${stopService} shows no published port link`);
  console.log(`PASS the page shows ${services.join(", ")} running, each in the topology`);

  // Logs: the service's own output, streamed.
  await page.selectOption("#logservice", stopService);
  await page.locator("#logs div:not(.status)").first().waitFor({ timeout: 10000 }).catch(() => fail(`no log lines of ${stopService}`));
  console.log(`PASS logs of ${stopService} arrive (${await page.locator("#logs div").count()} lines)`);

  // Stopped from outside: the engine's event reaches the page.
  let t0 = Date.now();
  await engine("POST", `/containers/${stopContainer}/stop?t=1`);
  const stopCall = (Date.now() - t0) / 1000;
  await state(stopService).filter({ hasText: /^exited$/ }).waitFor({ timeout: 5000 }).catch(() => fail(`${stopService} is not shown exited 5 s after the engine stopped it`));
  const shownDown = (Date.now() - t0) / 1000;
  console.log(`PASS ${stopService} stopped through the Engine API shows exited ${shownDown.toFixed(2)} s after the stop call began (the call took ${stopCall.toFixed(2)} s)`);
  await page.locator("#logs div.status").first().waitFor({ timeout: 5000 }).catch(() => fail("the log panel does not say the service stopped"));

  // The restart button brings it back.
  const before = await page.locator("#logs div:not(.status)").count();
  t0 = Date.now();
  await page.locator(`tr[data-service="${stopService}"] button[data-action="restart"]`).click();
  await state(stopService).filter({ hasText: /^running$/ }).waitFor({ timeout: 20000 }).catch(() => fail(`${stopService} is not running 20 s after the restart button`));
  console.log(`PASS the restart button brought ${stopService} back: running after ${((Date.now() - t0) / 1000).toFixed(2)} s`);
  await page.waitForFunction((n) => document.querySelectorAll("#logs div:not(.status)").length > n, before, { timeout: 15000 })
    .catch(() => fail(`no new log lines of ${stopService} after its restart`));
  console.log(`PASS logs of the restarted ${stopService} follow on (${await page.locator("#logs div:not(.status)").count()} lines)`);

  // Search filters the lines.
  const first = (await page.locator("#logs div:not(.status)").first().getAttribute("data-text")) || "";
  const word = (first.match(/[A-Za-z]{4,}/) || [null])[0];
  if (!word) fail(`no word to search for in "${first}"`);
  await page.fill("#search", word);
  const visible = await page.locator("#logs div:not(.hidden)").count();
  const all = await page.locator("#logs div").count();
  const marked = await page.locator("#logs div:not(.hidden) mark").count();
  if (visible < 1 || marked < 1) fail(`searching "${word}" shows nothing`);
  const wrong = await page.locator("#logs div:not(.hidden)").evaluateAll((ds, w) => ds.filter((d) => !d.dataset.text.toLowerCase().includes(w.toLowerCase())).length, word);
  if (wrong) fail(`searching "${word}" shows ${wrong} lines without it`);
  console.log(`PASS searching "${word}" shows ${visible} of ${all} lines, each with the word marked`);
  await page.fill("#search", "");

  if (process.env.LOCK_FILE) {
    // Another command holds the project lock, as `biodev up` would (same file, same flock).
    const lock = process.env.LOCK_FILE;
    const holder = spawn("bash", ["-c", 'exec 9>>"$1" && flock -x 9 && printf "biodev up, pid %s, since now\\n" "$$" >"$1" && exec sleep 60', "holder", lock], { stdio: "ignore" });
    const { readFileSync } = await import("node:fs");
    const t1 = Date.now();
    while (!readFileSync(lock, "utf8").includes("biodev up, pid")) {
      if (Date.now() - t1 > 5000) fail(`the lock holder did not start on ${lock}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.locator(`tr[data-service="${stopService}"] button[data-action="stop"]`).click();
    await page.locator("#notice").filter({ hasText: /is busy \(biodev up, pid \d+/ }).waitFor({ timeout: 5000 })
      .catch(async () => fail(`the page does not say the project is busy: "${await page.locator("#notice").textContent()}"`));
    console.log(`PASS while another holds the project lock the stop button is refused: "${await page.locator("#notice").textContent()}"`);
    await new Promise((r) => setTimeout(r, 1500));
    if (!(await state(stopService).filter({ hasText: /^running$/ }).count())) fail(`${stopService} stopped although the project was busy`);
    holder.kill();
    await new Promise((r) => holder.on("exit", r));
    await page.locator(`tr[data-service="${stopService}"] button[data-action="restart"]`).click();
    await page.locator("#notice").waitFor({ state: "hidden", timeout: 20000 }).catch(() => fail("the busy notice stays after a restart that worked"));
    await state(stopService).filter({ hasText: /^running$/ }).waitFor({ timeout: 20000 }).catch(() => fail(`${stopService} is not running after the restart button`));
    console.log(`PASS once the lock is free the restart button works again and the notice goes`);
  }

  if (errors.length) fail(`the page threw: ${errors.join("; ")}`);
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);
  }
} finally {
  await browser.close();
}
