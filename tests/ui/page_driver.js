// Drives Debian's chromium (puppeteer-core, DevTools protocol) through the status page for
// system_page.py, which runs the agent and the scanners. Protocol on stdin/stdout:
//   driver prints  READY              (page open, live, every link shown)
//   test writes    GO                 (it has just stopped the scanner of LOST_LINK)
//   driver prints  RESULT <json>      (then exits 0; any failure: a message and exit 1)
// Settings come from the environment: PAGE_URL, TOKEN, LINKS (comma-separated), LOST_LINK,
// SHOT_DIR, CHROMIUM, PROFILE_DIR.
"use strict";
const readline = require("readline");
const puppeteer = require("puppeteer-core");

const env = process.env;
const origin = new URL(env.PAGE_URL).origin;
const links = env.LINKS.split(",");

function fail(msg) {
  console.log("FAIL " + msg);
  process.exitCode = 1;
  throw new Error(msg);
}

function nextLine(rl) {
  return new Promise((resolve) => rl.once("line", resolve));
}

async function linkStates(page) {
  return page.$$eval("tr[data-link]", (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.link, r.dataset.state])));
}

(async () => {
  const rl = readline.createInterface({ input: process.stdin });
  const browser = await puppeteer.launch({
    executablePath: env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--user-data-dir=" + env.PROFILE_DIR],
  });
  const result = { requests: [], cspViolations: [], consoleErrors: [] };
  try {
    // Without JavaScript: the server's first paint alone shows every link.
    const plain = await browser.newPage();
    await plain.setJavaScriptEnabled(false);
    // The login form: the token goes in a POST body, the browser comes back to / with a
    // session cookie.
    await plain.goto(env.PAGE_URL + "/", { waitUntil: "load" });
    await plain.type("input[name=token]", env.TOKEN);
    await Promise.all([plain.waitForNavigation({ waitUntil: "load" }),
                       plain.click("button[type=submit]")]);
    const noJs = await linkStates(plain);
    for (const l of links) if (noJs[l] !== "up") fail("without JS, link " + l + ": " + noJs[l]);
    if (new URL(plain.url()).search) fail("the token stayed in the address: " + plain.url());
    result.noJsFlows = await plain.$$eval("article.flow", (a) => a.length);
    await plain.close();

    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on("request", (r) => result.requests.push(r.url()));
    page.on("console", (m) => {
      const t = m.text();
      if (/Content.Security.Policy/i.test(t)) result.cspViolations.push(t);
      else if (m.type() === "error") result.consoleErrors.push(t);
    });
    await page.evaluateOnNewDocument(() => {
      window.__violations = [];
      document.addEventListener("securitypolicyviolation", (e) => {
        window.__violations.push([e.violatedDirective, e.sourceFile, e.lineNumber, e.sample].join(" "));
      });
    });
    // The cookie set by the first page is this browser's; the address carries no token.
    await page.goto(env.PAGE_URL + "/", { waitUntil: "load" });
    await page.waitForFunction(
      () => document.getElementById("live") && document.getElementById("live").textContent === "live",
      { timeout: 10000 });
    const before = await linkStates(page);
    for (const l of links) if (before[l] !== "up") fail("link " + l + " shown as " + before[l]);
    await page.evaluate(() => { window.__sameDocument = true; });
    result.flowTiles = await page.$$eval("article.flow", (a) => a.length);
    result.overall = await page.$eval("#overall .st", (e) => e.textContent);

    console.log("READY");
    if ((await nextLine(rl)) !== "GO") fail("expected GO");
    const lost = env.LOST_LINK;
    await page.waitForFunction(
      (name) => [...document.querySelectorAll("tr[data-link]")].some(
        (r) => r.dataset.link === name && r.dataset.state === "down"),
      { timeout: 15000, polling: 20 }, lost);
    const shownAt = Date.now();
    // The link's "since" is the agent's time of the event that put it down.
    const since = await page.$$eval("tr[data-link]", (rows, name) => {
      const r = rows.find((x) => x.dataset.link === name);
      return r.querySelector("time").getAttribute("datetime");
    }, lost);
    result.eventToPageMs = shownAt - Date.parse(since);
    result.sameDocument = await page.evaluate(() => window.__sameDocument === true);
    result.after = await linkStates(page);
    result.lostRowText = await page.$$eval("tr[data-link]", (rows, name) =>
      rows.find((x) => x.dataset.link === name).innerText, lost);
    await page.screenshot({ path: env.SHOT_DIR + "/status-page.png", fullPage: true });
    await page.setViewport({ width: 390, height: 844, isMobile: true, deviceScaleFactor: 2 });
    await new Promise((r) => setTimeout(r, 200));
    result.phoneOverflowPx = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.screenshot({ path: env.SHOT_DIR + "/status-page-phone.png" });
    result.violationDetails = await page.evaluate(() => window.__violations);
    result.foreign = result.requests.filter((u) => !u.startsWith(origin + "/") && !u.startsWith("data:"));
    console.log("RESULT " + JSON.stringify(result));
  } finally {
    await browser.close();
    rl.close();
  }
})().catch((e) => {
  console.log("FAIL " + (e && e.stack ? e.stack : e));
  process.exit(1);
});
