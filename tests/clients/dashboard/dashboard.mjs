// biodev ui in a real browser: Debian's Chromium, headless, driven by playwright-core.
//   node dashboard.mjs URL SERVICES STOP_SERVICE CONTAINER_TO_STOP [SCREENSHOT.png]
// SERVICES: comma-separated services the page must show running. STOP_SERVICE is
// stopped from outside the page (the Engine API, as another program would), must turn
// to "exited" within seconds, and is brought back with the page's restart button; its
// logs must arrive, and the search box must filter them.
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

  if (errors.length) fail(`the page threw: ${errors.join("; ")}`);
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);
  }
} finally {
  await browser.close();
}
