// Drives DML's web app in a real headless Chromium (Debian's, at
// /usr/bin/chromium) through the test hooks of crates/dml-web/app/CONTRACT.md.
//
//   node flows.mjs '<json>'
//
// where the JSON holds
//   scenario      selftest | dev | wallet | stake-govern | contested | explorer
//   appUrl        the page's origin ("http://127.0.0.1:8091/"; selftest: unused)
//   devnet        the object `dml devnet --json` printed
//   screenshotDir where the PNGs go (created)
//   account       the dev account index the scenario acts as
//   …             scenario options (see each scenario below)
//
// Prints one JSON line per step: {"scenario", "step", "ms" (the step's
// duration), "at" (since the start), …what the page showed}. On any failure it
// prints {"scenario", "step", "error"} and the message on stderr, saves
// failure-<step>.png and exits 1. Every request of the page to a host other
// than the app's origin and the devnet's RPC, indexer and gateway is blocked
// and fails the scenario, as do uncaught page errors and CSP violations.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.DML_CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];
const HEX32 = /^0x[0-9a-fA-F]{64}$/;

let opts;
try {
  opts = JSON.parse(process.argv[2] ?? "");
} catch (e) {
  console.error(`flows.mjs: the argument must be one JSON object (${e.message})`);
  process.exit(2);
}
const scenario = opts.scenario;
const devnet = opts.devnet ?? {};
const shots = opts.screenshotDir || join(tmpdir(), `dml-web-shots-${process.pid}`);
mkdirSync(shots, { recursive: true });
const started = Date.now();
let currentStep = "start";

function emit(step, data = {}, ms = undefined) {
  const line = { scenario, step, ...(ms === undefined ? {} : { ms }), at: Date.now() - started, ...data };
  process.stdout.write(JSON.stringify(line) + "\n");
}

class Failure extends Error {}
function fail(message) {
  throw new Failure(message);
}
function check(condition, message) {
  if (!condition) fail(message);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the browser -------------------------------------------------------

const userDataDir = mkdtempSync(join(tmpdir(), "dml-chromium-"));
let context;
let page;
const violations = { blocked: [], pageErrors: [], csp: [], websockets: [] };
const consoleErrors = [];
const httpErrors = [];
const walletLog = [];

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

async function launch({ allowed, wallet }) {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    serviceWorkers: "block",
    timeout: 30_000,
  });
  const allowedOrigins = new Set(allowed.map(originOf).filter(Boolean));
  const allowedHosts = new Set([...allowedOrigins].map((o) => new URL(o).host));
  await context.route("**/*", (route) => {
    const url = route.request().url();
    const origin = originOf(url);
    if (url.startsWith("data:") || url.startsWith("blob:") || allowedOrigins.has(origin)) return route.continue();
    violations.blocked.push(url);
    return route.abort("blockedbyclient");
  });
  // Load-to-interactive: when body[data-ready="1"] first appears, in
  // performance.now() (milliseconds since navigation start). And CSP reports.
  await context.addInitScript(() => {
    window.__dmlReadyAt = null;
    window.__dmlCsp = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__dmlCsp.push(`${e.violatedDirective} blocked ${e.blockedURI || "(inline)"}`),
    );
    const seen = () => {
      if (window.__dmlReadyAt === null && document.body && document.body.dataset.ready === "1") {
        window.__dmlReadyAt = performance.now();
        return true;
      }
      return false;
    };
    const mo = new MutationObserver(() => {
      if (seen()) mo.disconnect();
    });
    mo.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-ready"] });
  });
  if (wallet) {
    await context.exposeFunction("__dmlWalletRecord", (record) => walletLog.push(record));
    const source = readFileSync(join(here, "wallet.js"), "utf8");
    await context.addInitScript({ content: `window.__dmlWalletConfig = ${JSON.stringify(wallet)};\n${source}` });
  }
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (e) => violations.pageErrors.push(String(e?.stack ?? e).split("\n").slice(0, 3).join(" | ")));
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text().slice(0, 300));
  });
  page.on("websocket", (ws) => {
    const host = (() => {
      try {
        return new URL(ws.url()).host;
      } catch {
        return "?";
      }
    })();
    if (!allowedHosts.has(host)) violations.websockets.push(ws.url());
  });
  page.on("response", (r) => {
    if (r.status() >= 400) httpErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
}

async function step(name, fn) {
  currentStep = name;
  const t = Date.now();
  const data = (await fn()) ?? {};
  emit(name, data, Date.now() - t);
  return data;
}

async function shot(name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// ---- page helpers ------------------------------------------------------

const appUrl = opts.appUrl ? new URL(opts.appUrl) : null;
const appRoot = appUrl ? `${appUrl.origin}/` : null;

/// Opens the app at `hash` as a fresh load, waits for body[data-ready="1"]
/// and the page's root; returns the load timings.
async function load(hash, testid) {
  const t0 = Date.now();
  const response = await page.goto(appRoot + hash, { waitUntil: "commit", timeout: 30_000 });
  check(response && response.ok(), `GET ${appRoot} answered ${response?.status()}`);
  await page.waitForSelector('body[data-ready="1"]', { state: "attached", timeout: 30_000 }).catch(() => {
    fail(`body[data-ready="1"] did not appear within 30 s of loading ${appRoot}${hash}`);
  });
  const wallMs = Date.now() - t0;
  await page.waitForSelector(`[data-testid="${testid}"]`, { state: "attached", timeout: 20_000 }).catch(() => {
    fail(`[data-testid="${testid}"] is not on the page at ${hash}`);
  });
  const perf = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return {
      readyAt: window.__dmlReadyAt,
      domInteractive: nav?.domInteractive ?? null,
      domContentLoaded: nav?.domContentLoadedEventEnd ?? null,
      loadEvent: nav?.loadEventEnd ?? null,
      transferSize: performance.getEntriesByType("resource").reduce((n, r) => n + (r.transferSize || 0), nav?.transferSize || 0),
    };
  });
  const headers = response.headers();
  return {
    loadToInteractiveMs: perf.readyAt === null ? null : Math.round(perf.readyAt),
    domInteractiveMs: perf.domInteractive === null ? null : Math.round(perf.domInteractive),
    domContentLoadedMs: perf.domContentLoaded === null ? null : Math.round(perf.domContentLoaded),
    loadEventMs: perf.loadEvent === null ? null : Math.round(perf.loadEvent),
    wallMs,
    transferBytes: perf.transferSize,
    csp: headers["content-security-policy"] ?? null,
  };
}

/// Goes to `hash` inside the loaded app (the hash router; no reload) and
/// waits for the page root `testid` with data-loaded="1".
async function go(hash, testid, timeout = 20_000) {
  // Already there: setting the same hash fires no hashchange.
  if ((await page.evaluate(() => location.hash)) === hash) return loaded(testid, hash, timeout);
  await page.evaluate(() => {
    for (const el of document.querySelectorAll("[data-testid$='-page']")) el.setAttribute("data-dml-test-old", "1");
  });
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  return loaded(testid, hash, timeout);
}

async function loaded(testid, where, timeout = 20_000) {
  const sel = `[data-testid="${testid}"][data-loaded="1"]:not([data-dml-test-old])`;
  try {
    await page.waitForSelector(sel, { state: "attached", timeout });
  } catch {
    const errors = await errorTexts();
    const present = await page.$(`[data-testid="${testid}"]:not([data-dml-test-old])`);
    fail(
      `${where}: ${present ? `[data-testid="${testid}"] never got data-loaded="1"` : `no [data-testid="${testid}"]`} within ${timeout} ms` +
        (errors.length ? `; errors shown: ${JSON.stringify(errors)}` : ""),
    );
  }
}

async function errorTexts() {
  return page.$$eval('[data-testid="error"]', (els) => els.map((e) => e.textContent.trim()).filter(Boolean)).catch(() => []);
}

/// Waits for an error element whose text matches `re`; returns its text.
async function expectError(re, what, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const errors = await errorTexts();
    const hit = errors.find((t) => re.test(t));
    if (hit) return hit;
    if (Date.now() > deadline) fail(`${what}: no [data-testid="error"] matching ${re} within ${timeout} ms; errors shown: ${JSON.stringify(errors)}`);
    await sleep(150);
  }
}

/// Every [data-field] under `root`: {name: {value, text}} (the first of each name).
async function fields(root) {
  return page.$$eval(`${root} [data-field]`, (els) => {
    const out = {};
    for (const e of els) {
      const name = e.getAttribute("data-field");
      if (!(name in out)) out[name] = { value: e.getAttribute("data-value"), text: e.textContent.trim().replace(/\s+/g, " ") };
    }
    return out;
  });
}

function requireFields(got, names, where) {
  const missing = names.filter((n) => !(n in got));
  check(missing.length === 0, `${where}: no [data-field] ${missing.map((m) => `"${m}"`).join(", ")} (has ${Object.keys(got).join(", ") || "none"})`);
  const noValue = names.filter((n) => got[n].value === null);
  check(noValue.length === 0, `${where}: [data-field] ${noValue.join(", ")} without data-value`);
}

async function text(sel) {
  const el = await page.$(sel);
  return el ? (await el.textContent()) : null;
}

/// Clicks a transaction button and waits for its transaction to end: the
/// button enabled again, or a confirmation or error beside it. Fails on an error.
async function clickTx(sel, what, timeout = 30_000) {
  const before = await errorTexts();
  await page.click(sel);
  const disabledRightAfter = await page.$eval(sel, (b) => b.disabled).catch(() => null);
  await page
    .waitForFunction(
      (sel) => {
        const b = document.querySelector(sel);
        if (!b) return true;
        const near = b.parentElement?.querySelector('[data-testid="confirmation"], [data-testid="error"]');
        return b.getAttribute("aria-busy") !== "true" && (!b.disabled || near);
      },
      sel,
      { timeout, polling: 100 },
    )
    .catch(() => fail(`${what}: ${sel} still busy after ${timeout} ms`));
  const errors = (await errorTexts()).filter((e) => !before.includes(e));
  check(errors.length === 0, `${what} showed errors: ${JSON.stringify(errors)}`);
  const confirmation = await page.$eval(sel, (b) => b.parentElement?.querySelector('[data-testid="confirmation"]')?.textContent.trim() ?? null).catch(() => null);
  check(disabledRightAfter !== false, `${what}: ${sel} was not disabled while its transaction was in flight`);
  return { disabledRightAfter, confirmation };
}

async function connectDev(index) {
  await page.click('[data-testid="connect"]');
  await page.waitForSelector('select[data-testid="dev-account-select"]', { timeout: 10_000 }).catch(() => {
    fail('the connect chooser shows no select[data-testid="dev-account-select"] on a devnet');
  });
  await page.selectOption('select[data-testid="dev-account-select"]', String(index)).catch((e) => {
    fail(`select[data-testid="dev-account-select"] has no option value "${index}": ${e.message.split("\n")[0]}`);
  });
  await page.click('button[data-testid="use-dev-account"]');
  await page.waitForSelector('[data-testid="account"][data-address]', { timeout: 15_000 }).catch(async () => {
    fail(`no [data-testid="account"][data-address] after using dev account ${index}; errors: ${JSON.stringify(await errorTexts())}`);
  });
  const address = await page.getAttribute('[data-testid="account"]', "data-address");
  const expected = devnet.accounts?.[index]?.address;
  check(
    expected && address.toLowerCase() === expected.toLowerCase(),
    `[data-testid="account"] data-address is ${address}, dev account ${index} is ${expected}`,
  );
  const badge = await page.$('[data-testid="dev-mode-badge"]');
  check(badge, 'no [data-testid="dev-mode-badge"] in dev-account mode');
  return { address, devBadge: (await badge.textContent()).trim() };
}

function modelId(name) {
  const m = (devnet.models ?? []).find((m) => m.name === name);
  check(m, `the devnet has no model ${name}`);
  return m.id;
}

/// Picks the model in the playground and fills its form with `values`
/// (name → string; checkboxes by truthiness), and the fee.
async function fillTask(name, values, fee) {
  const id = modelId(name);
  await page.waitForSelector('select[data-testid="model-select"]');
  const options = await page.$$eval('select[data-testid="model-select"] option', (os) => os.map((o) => ({ value: o.value, text: o.textContent.trim() })));
  const option = options.find((o) => o.value.toLowerCase() === id.toLowerCase());
  check(option, `select[data-testid="model-select"] has no option with value ${id} (${name}); options: ${JSON.stringify(options)}`);
  await page.selectOption('select[data-testid="model-select"]', option.value);
  const form = 'form[data-testid="task-form"]';
  // The form is generated from the model's schema, maybe after fetching its
  // template: wait until it has every control to fill and stays the same
  // element for a moment, so nothing filled is thrown away by a re-render.
  const names = Object.keys(values);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ready = await page.evaluate((names) => {
      const f = document.querySelector('form[data-testid="task-form"]');
      if (!f || !names.every((n) => f.querySelector(`[name="${n}"]`))) return false;
      const was = f.getAttribute("data-dml-test-form");
      f.setAttribute("data-dml-test-form", "1");
      return was === "1";
    }, names);
    if (ready) break;
    if (Date.now() > deadline) {
      const has = await page.$$eval(`${form} [name]`, (els) => els.map((e) => e.name)).catch(() => []);
      fail(`form[data-testid="task-form"] for ${name} does not settle with controls ${names.join(", ")} (has ${has.join(", ") || "no form"})`);
    }
    await sleep(300);
  }
  for (const [key, value] of Object.entries(values)) {
    const sel = `${form} [name="${key}"]`;
    await page.waitForSelector(sel, { timeout: 10_000 }).catch(() => fail(`the ${name} form has no control [name="${key}"]`));
    const kind = await page.$eval(sel, (e) => (e.tagName === "SELECT" ? "select" : e.type === "checkbox" ? "checkbox" : "text"));
    if (kind === "select") await page.selectOption(sel, String(value));
    else if (kind === "checkbox") await page.setChecked(sel, Boolean(value));
    else await page.fill(sel, String(value));
  }
  if (fee !== undefined) await page.fill('input[data-testid="fee-input"]', String(fee));
  const controls = await page.$$eval(`${form} [name]`, (els) =>
    els.map((e) => ({ name: e.name, tag: e.tagName.toLowerCase(), type: e.type ?? null, min: e.min || null, max: e.max || null, step: e.step || null, maxLength: e.maxLength > 0 ? e.maxLength : null, value: e.type === "checkbox" ? e.checked : e.value })),
  );
  const breakdown = {};
  for (const k of ["fee-model", "fee-network", "fee-solver", "fee-total"]) breakdown[k] = (await text(`[data-testid="${k}"]`))?.trim() ?? null;
  const feeValue = await page.inputValue('input[data-testid="fee-input"]').catch(() => null);
  return { model: name, modelId: id, optionText: option.text, controls, fee: feeValue, breakdown };
}

/// Clicks submit (twice, quickly, when `double`), waits for the task id.
async function submit({ double = false } = {}) {
  const button = 'button[data-testid="submit-task"]';
  const before = (await text('[data-testid="task-id"]'))?.trim() ?? null;
  if (double) await page.dblclick(button);
  else await page.click(button);
  const disabledRightAfter = await page.$eval(button, (b) => b.disabled).catch(() => null);
  try {
    await page.waitForFunction(
      (before) => {
        const t = document.querySelector('[data-testid="task-id"]')?.textContent.trim();
        return t && /^0x[0-9a-fA-F]{64}$/.test(t) && t !== before;
      },
      before,
      { timeout: 30_000, polling: 100 },
    );
  } catch {
    fail(`no new [data-testid="task-id"] within 30 s of submitting; errors: ${JSON.stringify(await errorTexts())}`);
  }
  const taskId = (await text('[data-testid="task-id"]')).trim();
  const href = await page.$eval('[data-testid="task-id"]', (e) => (e.closest("a") ?? e.querySelector("a"))?.getAttribute("href") ?? null);
  check(href && href.toLowerCase().endsWith(`#/task/${taskId}`.toLowerCase()), `[data-testid="task-id"] links to ${href}, not #/task/${taskId}`);
  return { taskId, href, disabledRightAfter };
}

async function timelineState() {
  return page.evaluate(() => {
    const st = document.querySelector('[data-testid="status"]');
    const steps = [...document.querySelectorAll('ol[data-testid="timeline"] li[data-step]')].map((li) => ({
      step: li.getAttribute("data-step"),
      done: li.getAttribute("data-done") === "1",
    }));
    return { status: st?.getAttribute("data-status") ?? null, statusText: st?.textContent.trim() ?? null, steps };
  });
}

/// Polls the timeline until `until(state)`; returns when each step was first
/// seen done and each status first seen (ms since the call).
async function watch(until, timeoutMs, what) {
  const t0 = Date.now();
  const stepsAt = {};
  const statusAt = {};
  let state;
  for (;;) {
    state = await timelineState();
    const now = Date.now() - t0;
    for (const s of state.steps) if (s.done && !(s.step in stepsAt)) stepsAt[s.step] = now;
    if (state.status && !(state.status in statusAt)) statusAt[state.status] = now;
    if (until(state)) break;
    if (now > timeoutMs) {
      fail(
        `${what}: after ${timeoutMs} ms [data-testid="status"] is ${JSON.stringify(state.status)} (${state.statusText}), steps done ${JSON.stringify(stepsAt)}; errors: ${JSON.stringify(await errorTexts())}`,
      );
    }
    await sleep(200);
  }
  check(state.steps.length > 0, 'ol[data-testid="timeline"] has no li[data-step]');
  return { status: state.status, stepsAt, statusAt, steps: state.steps.map((s) => s.step), totalMs: Date.now() - t0 };
}

async function readOutput() {
  const out = await page.evaluate(() => {
    const o = document.querySelector('[data-testid="output"]');
    if (!o) return null;
    const pre = o.querySelector("pre");
    const img = o.querySelector("img");
    const svg = o.querySelector('svg[data-chart="embedding"]');
    return {
      kind: pre ? "text" : img ? "image" : svg ? "embedding" : "unknown",
      text: pre ? pre.textContent : null,
      img: img ? { src: img.getAttribute("src"), complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight } : null,
    };
  });
  check(out, 'no [data-testid="output"] after the task was claimed');
  const cid = (await text('[data-testid="output-cid"]'))?.trim() ?? null;
  const seed = (await text('[data-testid="seed"]'))?.trim() ?? null;
  const runYourself = (await text('[data-testid="run-yourself"]'))?.trim() ?? null;
  check(cid && /^Qm[1-9A-HJ-NP-Za-km-z]{44}$/.test(cid), `[data-testid="output-cid"] is ${JSON.stringify(cid)}, not a CIDv0`);
  check(seed && /^[0-9]+$/.test(seed), `[data-testid="seed"] is ${JSON.stringify(seed)}, not a decimal seed`);
  check(runYourself && /dml model run /.test(runYourself) && runYourself.includes(seed) && /dml cid /.test(runYourself), `[data-testid="run-yourself"] is ${JSON.stringify(runYourself)}: expected "dml model run <name> --input '<json>' --seed ${seed} --out <file>" and "dml cid <file>"`);
  return { ...out, cid, seed, runYourself };
}

async function waitImage(timeout = 20_000) {
  try {
    await page.waitForFunction(
      () => {
        const i = document.querySelector('[data-testid="output"] img');
        return i && i.complete && i.naturalWidth > 0;
      },
      null,
      { timeout, polling: 200 },
    );
  } catch {
    const img = await page.$eval('[data-testid="output"] img', (i) => ({ src: i.getAttribute("src"), complete: i.complete, w: i.naturalWidth })).catch(() => null);
    fail(`the output <img> did not load (naturalWidth > 0) within ${timeout} ms: ${JSON.stringify(img)}`);
  }
}

const signingSent = () => walletLog.filter((r) => r.method === "eth_sendTransaction" && r.forwarded);
const inPageWallet = () => page.evaluate(() => window.__dmlWallet?.requests.map((r) => ({ method: r.method, ok: r.ok, code: r.error?.code ?? null, forwarded: !!r.forwarded, rejected: !!r.rejected })) ?? null);

function txSummary(r) {
  const tx = r.params?.[0] ?? {};
  return { to: tx.to ?? null, selector: typeof tx.data === "string" ? tx.data.slice(0, 10) : typeof tx.input === "string" ? tx.input.slice(0, 10) : null, hash: r.result ?? null, ok: r.ok };
}

// ---- scenarios ---------------------------------------------------------

function devnetOrigins() {
  return [devnet.rpc_url, devnet.indexer_url, devnet.gateway_url].filter(Boolean);
}

/// The harness itself, without the app: a tiny page served here that finds
/// the test wallet by EIP-6963, switches (4902), adds the chain, connects,
/// sends a transaction the dev chain signs, has one rejected (4001), and
/// tries a request to a foreign host, which must be blocked.
async function selftest() {
  const account = devnet.accounts[opts.account ?? 6].address;
  const html = `<!doctype html><meta charset="utf-8"><title>wallet self-test</title><body><pre id="log"></pre><script>
(async () => {
  const out = { providers: [] };
  try {
    window.addEventListener("eip6963:announceProvider", (e) => out.providers.push({ ...e.detail.info, hasRequest: typeof e.detail.provider.request === "function", p: e.detail.provider }));
    window.dispatchEvent(new Event("eip6963:requestProvider"));
    await new Promise((r) => setTimeout(r, 50));
    const p = out.providers.find((x) => x.rdns === "org.dml.testwallet").p;
    const events = [];
    p.on("chainChanged", (c) => events.push(["chainChanged", c]));
    p.on("accountsChanged", (a) => events.push(["accountsChanged", a]));
    out.startChain = await p.request({ method: "eth_chainId" });
    out.accountsBefore = await p.request({ method: "eth_accounts" });
    try { await p.request({ method: "wallet_switchEthereumChain", params: [{ chainId: "0x7a69" }] }); out.switch1 = "ok"; } catch (e) { out.switch1 = e.code; }
    await p.request({ method: "wallet_addEthereumChain", params: [{ chainId: "0x7a69", chainName: "DML devnet", rpcUrls: [${JSON.stringify(devnet.rpc_url)}], nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 } }] });
    await p.request({ method: "wallet_switchEthereumChain", params: [{ chainId: "0x7a69" }] });
    out.chain = await p.request({ method: "eth_chainId" });
    out.accounts = await p.request({ method: "eth_requestAccounts" });
    window.__dmlWallet.rejectNext = true;
    try { await p.request({ method: "eth_sendTransaction", params: [{ from: out.accounts[0], to: out.accounts[0], value: "0x1" }] }); out.reject = "sent"; } catch (e) { out.reject = e.code; out.rejectMessage = e.message; }
    out.hash = await p.request({ method: "eth_sendTransaction", params: [{ from: out.accounts[0], to: out.accounts[0], value: "0x1" }] });
    for (let i = 0; i < 100 && !out.receipt; i++) { out.receipt = await p.request({ method: "eth_getTransactionReceipt", params: [out.hash] }); if (!out.receipt) await new Promise((r) => setTimeout(r, 100)); }
    out.receiptStatus = out.receipt?.status;
    delete out.receipt;
    try { await fetch("http://203.0.113.9:9/forbidden"); out.foreign = "fetched"; } catch (e) { out.foreign = "blocked"; }
    await new Promise((r) => setTimeout(r, 20));
    out.events = events;
  } catch (e) { out.error = String(e && e.message || e); }
  out.providers = out.providers.map(({ p, ...rest }) => rest);
  window.__selftest = out;
  document.body.dataset.ready = "1";
})();
</script>`;
  const server = createServer((req, res) => {
    res.writeHead(req.url === "/" ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(req.url === "/" ? html : "");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  try {
    await launch({ allowed: [origin, ...devnetOrigins()], wallet: { rpcUrl: devnet.rpc_url, account, chainId: devnet.chain_id ?? 31337, startChainId: 1 } });
    await step("selftest", async () => {
      await page.goto(origin + "/", { waitUntil: "commit" });
      await page.waitForSelector('body[data-ready="1"]', { state: "attached", timeout: 20_000 });
      const out = await page.evaluate(() => window.__selftest);
      check(!out.error, `the self-test page failed: ${out.error}`);
      const info = out.providers.find((p) => p.rdns === "org.dml.testwallet");
      check(out.providers.length === 1 && info, `EIP-6963: expected one announcement in reply to requestProvider, got ${JSON.stringify(out.providers)}`);
      check(info.name === "DML Test Wallet" && info.icon.startsWith("data:image/svg+xml") && /^[0-9a-f-]{36}$/.test(info.uuid), `provider info ${JSON.stringify(info)}`);
      check(out.startChain === "0x1" && out.accountsBefore.length === 0, `starts on ${out.startChain} with ${out.accountsBefore}`);
      check(out.switch1 === 4902, `switch before add: ${out.switch1}, expected 4902`);
      check(out.chain === "0x7a69", `chain after add + switch: ${out.chain}`);
      check(out.accounts.length === 1 && out.accounts[0].toLowerCase() === account.toLowerCase(), `accounts ${out.accounts}`);
      check(out.reject === 4001, `rejected signature: ${out.reject}`);
      check(HEX32.test(out.hash) && out.receiptStatus === "0x1", `sent ${out.hash}, receipt status ${out.receiptStatus}`);
      check(out.foreign === "blocked" && violations.blocked.includes("http://203.0.113.9:9/forbidden"), `foreign request: ${out.foreign}, blocked ${violations.blocked}`);
      check(JSON.stringify(out.events[0]) === JSON.stringify(["chainChanged", "0x7a69"]) && out.events.some((e) => e[0] === "accountsChanged"), `events ${JSON.stringify(out.events)}`);
      const sent = signingSent();
      check(sent.length === 1 && walletLog.filter((r) => r.rejected).length === 1, `the wallet log has ${sent.length} transactions forwarded, expected 1 (and one rejected)`);
      // The foreign request was the test's own; it must not fail the run.
      violations.blocked = violations.blocked.filter((u) => u !== "http://203.0.113.9:9/forbidden");
      return { hash: out.hash, account, events: out.events, requests: walletLog.map((r) => r.method) };
    });
  } finally {
    server.close();
  }
}

async function openApp(walletCfg) {
  check(appRoot, "no appUrl given");
  await launch({ allowed: [appRoot, ...devnetOrigins()], wallet: walletCfg });
  const config = await step("config", async () => {
    const r = await fetch(new URL("/config.json", appRoot));
    check(r.ok, `GET /config.json: ${r.status}`);
    const c = await r.json();
    check(c.rpcUrl === devnet.rpc_url, `config.json rpcUrl ${c.rpcUrl} is not the devnet's ${devnet.rpc_url}`);
    check(c.indexerUrl === devnet.indexer_url && c.gatewayUrl === devnet.gateway_url, `config.json indexer/gateway ${c.indexerUrl} ${c.gatewayUrl} are not the devnet's`);
    check(c.chainId === (devnet.chain_id ?? 31337) && c.devnet === true, `config.json chainId ${c.chainId}, devnet ${c.devnet}`);
    check(c.contracts?.engine?.toLowerCase() === String(devnet.engine).toLowerCase(), `config.json engine ${c.contracts?.engine}`);
    return { chainId: c.chainId, devAccounts: c.devAccounts?.length ?? 0 };
  });
  return config;
}

/// (a) dev-account mode: load time, connect, a text task to claimed, an image task to claimed.
async function dev() {
  await openApp(null);
  await step("load", () => load("#/playground", "playground-page"));
  await shot("playground-before");
  const account = opts.account ?? 9;
  await step("connect", () => connectDev(account));
  const text = opts.text ?? { prompt: "The network", max_length: 40, temperature: 0.5 };
  const submitted = await step("submit-text", async () => {
    const filled = await fillTask("textgenrnn", text, opts.fee ?? "0.01");
    const s = await submit({ double: true });
    return { ...filled, ...s };
  });
  await step("timeline-text", () => watch((s) => s.status === "claimed", opts.claimTimeoutMs ?? 90_000, "the text task"));
  await step("output-text", async () => {
    const out = await readOutput();
    check(out.kind === "text", `the text task's output is shown as ${out.kind}, not <pre>`);
    const ids = await page.$$eval('[data-testid="task-id"]', (els) => els.map((e) => e.textContent.trim()));
    check(ids.length === 1, `${ids.length} [data-testid="task-id"] after one (double-clicked) submission`);
    return { taskId: submitted.taskId, ...out };
  });
  await shot("playground-after");
  const image = opts.image ?? { prompt: "a pair of ankle boots", steps: 10, scale: 3 };
  const img = await step("submit-image", async () => {
    const filled = await fillTask("fashion-diffusion", image, opts.fee ?? "0.01");
    return { ...filled, ...(await submit()) };
  });
  await step("timeline-image", () => watch((s) => s.status === "claimed", opts.claimTimeoutMs ?? 90_000, "the image task"));
  await step("output-image", async () => {
    await waitImage();
    const out = await readOutput();
    check(out.kind === "image", `the image task's output is shown as ${out.kind}, not <img>`);
    return { taskId: img.taskId, ...out };
  });
  await shot("playground-image");
}

/// (b) the injected EIP-6963 wallet: switch → 4902 → add, an out-of-schema
/// value, a rejected signature, then a task to claimed.
async function wallet() {
  const index = opts.account ?? 6;
  const account = devnet.accounts[index].address;
  await openApp({ rpcUrl: devnet.rpc_url, account, chainId: devnet.chain_id ?? 31337, startChainId: 1 });
  await step("load", () => load("#/playground", "playground-page"));
  await step("connect", async () => {
    await page.click('[data-testid="connect"]');
    const sel = 'button[data-testid="wallet-option"][data-rdns="org.dml.testwallet"]';
    await page.waitForSelector(sel, { timeout: 10_000 }).catch(async () => {
      const options = await page.$$eval('[data-testid="wallet-option"]', (os) => os.map((o) => o.getAttribute("data-rdns")));
      fail(`no ${sel} in the chooser (wallet options: ${JSON.stringify(options)})`);
    });
    const options = await page.$$eval('[data-testid="wallet-option"]', (os) => os.map((o) => ({ rdns: o.getAttribute("data-rdns"), text: o.textContent.trim() })));
    check(!options.some((o) => o.rdns === "injected"), `an "injected" option is listed although an EIP-6963 provider announced: ${JSON.stringify(options)}`);
    const label = options.find((o) => o.rdns === "org.dml.testwallet").text;
    await page.click(sel);
    await page.waitForFunction(
      (a) => document.querySelector('[data-testid="account"]')?.getAttribute("data-address")?.toLowerCase() === a.toLowerCase(),
      account,
      { timeout: 15_000 },
    ).catch(async () => {
      const shown = await page.getAttribute('[data-testid="account"]', "data-address").catch(() => null);
      fail(`[data-testid="account"] data-address is ${shown} after connecting the test wallet (${account}); wallet requests: ${JSON.stringify(walletLog.map((r) => [r.method, r.error?.code ?? "ok"]))}; errors: ${JSON.stringify(await errorTexts())}`);
    });
    // The chain: switch refused with 4902, then add with the devnet's chain id and an RPC URL, and the wallet ends on it.
    const methods = walletLog.map((r) => r.method);
    const firstSwitch = walletLog.findIndex((r) => r.method === "wallet_switchEthereumChain");
    const add = walletLog.findIndex((r) => r.method === "wallet_addEthereumChain");
    check(firstSwitch >= 0, `the page never asked wallet_switchEthereumChain (requests: ${methods.join(", ")})`);
    check(walletLog[firstSwitch].error?.code === 4902, `the first wallet_switchEthereumChain answered ${JSON.stringify(walletLog[firstSwitch].error ?? "ok")}, expected 4902`);
    check(add > firstSwitch, `no wallet_addEthereumChain after the 4902 (requests: ${methods.join(", ")})`);
    const addParams = walletLog[add].params?.[0] ?? {};
    check(walletLog[add].ok, `wallet_addEthereumChain failed: ${walletLog[add].error?.message} (params ${JSON.stringify(addParams)})`);
    const chain = await page.evaluate(() => window.__dmlWallet.chainId);
    check(chain === "0x7a69", `the wallet is on ${chain} after connecting, not 0x7a69`);
    const badge = await page.$('[data-testid="dev-mode-badge"]');
    check(!badge, "[data-testid=dev-mode-badge] shown for an injected wallet");
    return { address: await page.getAttribute('[data-testid="account"]', "data-address"), label, methods, addChain: addParams };
  });
  const text = opts.text ?? { prompt: "From the wallet", max_length: 30, temperature: 0.5 };
  await step("out-of-schema", async () => {
    await fillTask("textgenrnn", { ...text, max_length: 5000 }, opts.fee ?? "0.01");
    const before = walletLog.length;
    await page.click('button[data-testid="submit-task"]');
    const error = await expectError(/max_length/i, "max_length 5000");
    await sleep(1000);
    const after = walletLog.slice(before).filter((r) => r.method === "eth_sendTransaction" || r.method.startsWith("eth_sign") || r.method === "personal_sign");
    check(after.length === 0, `a signature was asked for an out-of-schema input: ${JSON.stringify(after.map((r) => r.method))}`);
    check(!(await page.$('[data-testid="task-id"]')), "a [data-testid=task-id] appeared for an out-of-schema input");
    return { error };
  });
  await step("reject", async () => {
    await fillTask("textgenrnn", text, opts.fee ?? "0.01");
    await page.evaluate(() => {
      window.__dmlWallet.rejectNext = true;
    });
    const before = walletLog.length;
    await page.click('button[data-testid="submit-task"]');
    const error = await expectError(/reject/i, "a rejected signature");
    check(/The wallet rejected the signature\./.test(error), `the rejection shows ${JSON.stringify(error)}, not "The wallet rejected the signature."`);
    await sleep(1000);
    const since = walletLog.slice(before);
    const rejected = since.filter((r) => r.rejected);
    check(rejected.length === 1, `${rejected.length} requests were rejected, expected the one signature`);
    const sent = since.filter((r) => r.method === "eth_sendTransaction" && r.forwarded);
    check(sent.length === 0, `after the rejection the page still sent ${sent.length} transaction(s): ${JSON.stringify(sent.map(txSummary))}`);
    check(!(await page.$('[data-testid="task-id"]')), "a [data-testid=task-id] appeared though the signature was rejected");
    await page.waitForFunction(() => !document.querySelector('button[data-testid="submit-task"]').disabled, null, { timeout: 10_000 }).catch(() => fail("submit-task stays disabled after the rejection"));
    return { error, rejectedMethod: rejected[0].method };
  });
  // A fee above the account's balance: refused in words before the wallet is asked.
  await step("not-enough-dml", async () => {
    await fillTask("textgenrnn", text, "100000000");
    const before = walletLog.length;
    await page.click('button[data-testid="submit-task"]');
    const error = await expectError(/Not enough DML/, "a fee of 100,000,000 DML");
    await sleep(1000);
    const asked = walletLog.slice(before).filter((r) => r.method === "eth_sendTransaction" || r.method.startsWith("eth_sign"));
    check(asked.length === 0, `a fee above the balance still asked the wallet: ${JSON.stringify(asked.map((r) => r.method))}`);
    check(!(await page.$('[data-testid="task-id"]')), "a [data-testid=task-id] appeared for a fee above the balance");
    return { error };
  });
  // The node down: every request to the RPC fails as a refused connection
  // (the page's own reads and the wallet's), and the page says so; once it
  // is back, the next submission goes through (the "submit" step).
  await step("node-down", async () => {
    await fillTask("textgenrnn", text, opts.fee ?? "0.01");
    const rpcOrigin = originOf(devnet.rpc_url);
    const down = (url) => url.origin === rpcOrigin;
    await page.route(down, (route) => route.abort("connectionrefused"));
    try {
      const before = walletLog.length;
      await page.click('button[data-testid="submit-task"]');
      const error = await expectError(/does not answer/, "the node down");
      check(error.includes(rpcOrigin), `the node-down sentence does not name the node ${rpcOrigin}: ${JSON.stringify(error)}`);
      const sent = walletLog.slice(before).filter((r) => r.method === "eth_sendTransaction" && r.forwarded);
      check(sent.length === 0, `a transaction reached the node while it was down: ${JSON.stringify(sent.map(txSummary))}`);
      return { error };
    } finally {
      await page.unroute(down);
      await page.waitForFunction(() => !document.querySelector('button[data-testid="submit-task"]').disabled, null, { timeout: 15_000 }).catch(() => fail("submit-task stays disabled after the node came back"));
    }
  });
  const submitted = await step("submit", async () => {
    const before = walletLog.length;
    const s = await submit({ double: true });
    await sleep(500);
    const sent = walletLog.slice(before).filter((r) => r.method === "eth_sendTransaction" && r.forwarded).map(txSummary);
    return { ...s, transactions: sent };
  });
  await step("timeline", () => watch((s) => s.status === "claimed", opts.claimTimeoutMs ?? 90_000, "the wallet's task"));
  await step("output", async () => {
    const out = await readOutput();
    const sent = signingSent().map(txSummary);
    return { taskId: submitted.taskId, ...out, allTransactions: sent, walletRequests: await inPageWallet() };
  });
  await shot("playground-wallet");
}

/// Stake: a deposit, a withdrawal request with its countdown (and Complete
/// once unlocked when it comes within `completeWithinMs`); govern: the
/// proposals list and delegating votes to oneself.
async function stakeGovern() {
  await openApp(null);
  await step("load", () => load("#/stake", "stake-page"));
  const account = opts.account ?? 5;
  const me = await step("connect", () => connectDev(account));
  await loaded("stake-page", "#/stake");
  await step("deposit", async () => {
    await page.fill('input[data-testid="validator-deposit-amount"]', String(opts.deposit ?? "5"));
    const r = await clickTx('button[data-testid="validator-deposit"]', "the deposit");
    return { ...r, amount: String(opts.deposit ?? "5") };
  });
  await step("withdraw-request", async () => {
    await page.fill('input[data-testid="validator-withdraw-amount"]', String(opts.withdraw ?? "2"));
    const tx = await clickTx('button[data-testid="validator-withdraw"]', "the withdrawal request");
    await page.waitForSelector('[data-testid="withdraw-request"]', { timeout: 30_000 }).catch(async () => {
      fail(`no [data-testid="withdraw-request"] after asking to withdraw; errors: ${JSON.stringify(await errorTexts())}`);
    });
    const first = (await text('[data-testid="withdraw-request"]')).trim().replace(/\s+/g, " ");
    await sleep(2100);
    const second = (await text('[data-testid="withdraw-request"]')).trim().replace(/\s+/g, " ");
    check(first !== second, `the withdraw request's countdown did not change in 2 s: ${JSON.stringify(first)}`);
    return { ...tx, first, second, count: (await page.$$('[data-testid="withdraw-request"]')).length };
  });
  await shot("stake");
  if (opts.completeWithinMs) {
    await step("withdraw-complete", async () => {
      const button = page.locator('[data-testid="withdraw-request"] button', { hasText: /complete/i }).first();
      await button.waitFor({ state: "visible", timeout: opts.completeWithinMs }).catch(() => fail(`no "Complete" button in the withdraw request within ${opts.completeWithinMs} ms`));
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="withdraw-request"] button')].some((b) => /complete/i.test(b.textContent) && !b.disabled), null, { timeout: opts.completeWithinMs });
      await button.click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="withdraw-request"]').length === 0, null, { timeout: 30_000 }).catch(async () => {
        fail(`the withdraw request is still listed after Complete; errors: ${JSON.stringify(await errorTexts())}`);
      });
      return {};
    });
  }
  await step("govern", async () => {
    await go("#/govern", "govern-page");
    const proposals = await page.$$eval('[data-testid="proposal"]', (ps) =>
      ps.map((p) => ({ id: p.getAttribute("data-id"), state: p.querySelector('[data-field="state"]')?.getAttribute("data-value") ?? null, stateText: p.querySelector('[data-field="state"]')?.textContent.trim() ?? null, supports: [...p.querySelectorAll("button[data-support]")].map((b) => b.getAttribute("data-support")) })),
    );
    if (opts.proposal) {
      const p = proposals.find((p) => p.id === String(opts.proposal));
      check(p, `[data-testid="proposal"][data-id="${opts.proposal}"] is not listed (listed: ${JSON.stringify(proposals.map((p) => p.id))})`);
      check(p.state !== null, `proposal ${opts.proposal} has no [data-field="state"] with data-value`);
    }
    return { proposals };
  });
  await shot("govern");
  await step("delegate-votes", async () => {
    const votes = () => page.getAttribute('[data-testid="govern-page"] [data-field="votes"]', "data-value").catch(() => null);
    const before = await votes();
    check(before !== null, '[data-field="votes"] with data-value is not on the govern page');
    await page.fill('input[data-testid="delegate-votes-input"]', me.address);
    const tx = await clickTx('button[data-testid="delegate-votes"]', "delegating votes");
    await page.waitForFunction((b) => {
      const v = document.querySelector('[data-testid="govern-page"] [data-field="votes"]')?.getAttribute("data-value");
      return v !== null && v !== undefined && v !== b;
    }, before, { timeout: 30_000 }).catch(async () => fail(`[data-field="votes"] stayed ${before} after delegating to self; errors: ${JSON.stringify(await errorTexts())}`));
    return { ...tx, address: me.address, before, after: await votes() };
  });
}

/// (c) a task answered by the malicious solver: contested → voting → outcome.
async function contested() {
  await openApp(null);
  await step("load", () => load("#/playground", "playground-page"));
  await step("connect", () => connectDev(opts.account ?? 9));
  const attempts = opts.attempts ?? 3;
  let task = null;
  for (let i = 1; i <= attempts && !task; i++) {
    const submitted = await step(`submit-${i}`, async () => ({
      ...(await fillTask("textgenrnn", { prompt: `Contest me, attempt ${i}`, max_length: opts.maxLength ?? 300, temperature: 0.5 }, opts.fee ?? "0.01")),
      ...(await submit()),
    }));
    const w = await step(`timeline-${i}`, () =>
      watch((s) => s.status === "claimed" || s.status === "resolved", opts.timeoutMs ?? 120_000, `attempt ${i}`),
    );
    if (w.status === "resolved" || "contested" in w.statusAt || "contested" in w.stepsAt) {
      const missing = ["contested", "voting", "outcome"].filter((s) => !(s in w.stepsAt));
      check(missing.length === 0, `the contested task's timeline never marked ${missing.join(", ")} done (done: ${JSON.stringify(w.stepsAt)})`);
      task = submitted.taskId;
      await shot("playground-contested");
      emit("contested", { taskId: task, attempt: i, statusText: (await timelineState()).statusText });
    } else {
      emit("not-contested", { taskId: submitted.taskId, attempt: i, note: "an honest solver answered first; trying again" });
    }
  }
  check(task, `none of ${attempts} tasks was answered by the malicious solver`);
  await step("contestation-page", async () => {
    await go(`#/contestation/${task}`, "contestation-page");
    const f = await fields('[data-testid="contestation-page"]');
    requireFields(f, ["contester", "yeas", "nays", "outcome"], `#/contestation/${task}`);
    return { taskId: task, fields: f };
  });
  await shot("contestation");
  await step("task-page", async () => {
    await go(`#/task/${task}`, "task-page");
    const f = await fields('[data-testid="task-page"]');
    requireFields(f, ["model", "fee", "owner", "blocktime", "status", "solver", "cid", "claimed"], `#/task/${task}`);
    return { taskId: task, fields: f };
  });
}

/// (d) + (e): search, every explorer page with its data-field values, and a
/// screenshot of each.
async function explorer() {
  await openApp(null);
  const ex = opts.explore ?? {};
  await step("load", () => load("#/explorer", "explorer-page"));
  await step("home", async () => {
    await loaded("explorer-page", "#/explorer");
    const feed = (await page.$$('ol[data-testid="feed"] > li')).length;
    const charts = await page.$$eval("svg[data-chart]", (s) => s.map((x) => x.getAttribute("data-chart")));
    const missing = ["emission", "tasks", "stake"].filter((c) => !charts.includes(c));
    check(feed > 0, 'ol[data-testid="feed"] has no li after tasks were solved');
    check(missing.length === 0, `no svg[data-chart] ${missing.join(", ")} on the explorer home (has ${charts.join(", ") || "none"})`);
    return { feed, charts };
  });
  await shot("explorer");

  const search = async (q, { useButton = false } = {}) => {
    await go("#/explorer", "explorer-page");
    await page.fill('input[data-testid="search-input"]', q);
    if (useButton) await page.click('button[data-testid="search-submit"]');
    else await page.press('input[data-testid="search-input"]', "Enter");
    try {
      await page.waitForFunction(
        () => !location.hash.startsWith("#/explorer") || document.querySelector('a[data-testid="search-result"]') || /Nothing found/.test(document.body.innerText),
        null,
        { timeout: 15_000, polling: 100 },
      );
    } catch {
      fail(`searching ${q}: neither a page, nor a[data-testid="search-result"], nor "Nothing found" within 15 s; errors: ${JSON.stringify(await errorTexts())}`);
    }
    const hash = await page.evaluate(() => location.hash);
    const results = await page.$$eval('a[data-testid="search-result"]', (as) => as.map((a) => ({ href: a.getAttribute("href"), text: a.textContent.trim() })));
    const nothing = !hash.startsWith("#/explorer") ? false : await page.evaluate(() => /Nothing found/.test(document.body.innerText));
    return { hash, results, nothing };
  };
  /// Searches `q` and ends on `route` (directly, or by the listed result that links there).
  const find = async (kind, q, route, opts = {}) =>
    step(`search-${kind}`, async () => {
      const r = await search(q, opts);
      let via = "navigated";
      if (r.hash.startsWith("#/explorer")) {
        check(!r.nothing, `searching the ${kind} ${q} shows "Nothing found"`);
        const hit = r.results.find((x) => x.href?.toLowerCase().endsWith(route.toLowerCase()));
        check(hit, `searching the ${kind} ${q} lists ${JSON.stringify(r.results)}, none links to ${route}`);
        await page.click(`a[data-testid="search-result"][href="${hit.href}"]`);
        await page.waitForFunction((route) => location.hash.toLowerCase() === route.toLowerCase(), route, { timeout: 10_000 });
        via = "result";
      } else {
        check(r.hash.toLowerCase() === route.toLowerCase(), `searching the ${kind} ${q} went to ${r.hash}, not ${route}`);
      }
      return { q, route, via, results: r.results };
    });

  if (ex.task) await find("task", ex.task, `#/task/${ex.task}`, { useButton: true });
  if (ex.model) await find("model", ex.model, `#/model/${ex.model}`);
  if (ex.address) await find("address", ex.address, `#/address/${ex.address}`);
  if (ex.solver) await find("solver", ex.solver, `#/solver/${ex.solver}`);
  if (ex.cid) {
    const kinds = await fetch(`${devnet.indexer_url}/api/v1/search?q=${encodeURIComponent(ex.cid)}`).then((r) => r.json()).catch(() => []);
    if (!Array.isArray(kinds) || kinds.length === 0) {
      emit("search-cid", { skipped: true, q: ex.cid, note: "the indexer's /api/v1/search has no CID kind yet (it answered [] for the CID): skipped" });
    } else {
      await step("search-cid", async () => {
        const r = await search(ex.cid);
        check(!r.nothing, `searching the CID ${ex.cid} shows "Nothing found" though the indexer answers ${JSON.stringify(kinds)}`);
        // Where the indexer's hits lead: one navigates there, several are listed.
        const routes = kinds.filter((k) => k.kind && k.id).map((k) => `#/${k.kind}/${k.id}`.toLowerCase());
        if (r.hash.startsWith("#/explorer")) {
          const listed = r.results.map((x) => x.href?.toLowerCase());
          check(routes.every((route) => listed.some((h) => h?.endsWith(route))), `searching the CID ${ex.cid} lists ${JSON.stringify(r.results)}; the indexer's hits are ${JSON.stringify(routes)}`);
        } else {
          check(routes.includes(r.hash.toLowerCase()), `searching the CID ${ex.cid} went to ${r.hash}; the indexer's hits are ${JSON.stringify(routes)}`);
        }
        return { q: ex.cid, hash: r.hash, results: r.results, indexer: kinds };
      });
    }
  }

  const detail = async (name, hash, testid, want) =>
    step(name, async () => {
      await go(hash, testid);
      const f = await fields(`[data-testid="${testid}"]`);
      requireFields(f, want, hash);
      await shot(name);
      return { hash, fields: f };
    });
  const lists = async (name, hash, testid) =>
    step(name, async () => {
      await go(hash, testid);
      await shot(name);
      const rows = await page.$$eval(`[data-testid="${testid}"] a[href^="#/"]`, (as) => as.length);
      return { hash, links: rows };
    });
  await lists("tasks", "#/tasks", "tasks-page");
  if (ex.task) await detail("task", `#/task/${ex.task}`, "task-page", ["model", "fee", "owner", "blocktime", "status", "solver", "cid", "claimed"]);
  await lists("models", "#/models", "models-page");
  if (ex.model) await detail("model", `#/model/${ex.model}`, "model-page", ["fee", "addr", "rate", "cid", "tasks", "solved", "name"]);
  await lists("solvers", "#/solvers", "solvers-page");
  if (ex.solver) await detail("solver", `#/solver/${ex.solver}`, "solver-page", ["staked", "tasksSolved", "claimed", "contestationsWon", "contestationsLost", "slashes", "rewards"]);
  if (ex.address) await detail("address", `#/address/${ex.address}`, "address-page", ["balance", "staked", "votes", "delegate"]);
  if (ex.contested) await detail("contestation", `#/contestation/${ex.contested}`, "contestation-page", ["contester", "yeas", "nays", "outcome"]);
  await step("stake-page", async () => {
    await go("#/stake", "stake-page");
    await shot("stake");
    return { pools: (await page.$$('[data-testid="pool"]')).length, lp: !!(await page.$('[data-testid="lp-staking"]')) };
  });
  await step("govern-page", async () => {
    await go("#/govern", "govern-page");
    await shot("govern");
    return { proposals: (await page.$$('[data-testid="proposal"]')).length };
  });
  await step("nav", async () => {
    const navs = await page.$$eval("a[data-nav]", (as) => as.map((a) => a.getAttribute("data-nav")));
    const missing = ["playground", "explorer", "stake", "govern"].filter((n) => !navs.includes(n));
    check(missing.length === 0, `no a[data-nav] ${missing.join(", ")}`);
    await page.click('a[data-nav="playground"]');
    await loaded("playground-page", "a[data-nav=playground]");
    return { navs };
  });
}

const scenarios = { selftest, dev, wallet, "stake-govern": stakeGovern, contested, explorer };

async function main() {
  const run = scenarios[scenario];
  if (!run) {
    console.error(`flows.mjs: unknown scenario ${JSON.stringify(scenario)} (one of ${Object.keys(scenarios).join(", ")})`);
    process.exit(2);
  }
  let code = 0;
  try {
    await run();
    currentStep = "checks";
    const problems = [];
    if (violations.blocked.length) problems.push(`requests to hosts other than the app, RPC, indexer and gateway (blocked): ${[...new Set(violations.blocked)].join(", ")}`);
    if (violations.websockets.length) problems.push(`WebSockets to other hosts: ${violations.websockets.join(", ")}`);
    if (violations.pageErrors.length) problems.push(`uncaught errors in the page: ${violations.pageErrors.join(" || ")}`);
    const csp = page ? await page.evaluate(() => window.__dmlCsp ?? []).catch(() => []) : [];
    if (csp.length) problems.push(`Content-Security-Policy violations: ${csp.join("; ")}`);
    emit("checks", { ok: problems.length === 0, problems, consoleErrors: consoleErrors.slice(0, 20), httpErrors: httpErrors.slice(0, 20), screenshots: shots });
    if (problems.length) {
      console.error(`flows.mjs ${scenario}: ${problems.join("\n")}`);
      code = 1;
    }
  } catch (e) {
    const message = e instanceof Failure ? e.message : String(e?.stack ?? e);
    let screenshot = null;
    try {
      if (page) {
        screenshot = join(shots, `failure-${currentStep}.png`);
        await page.screenshot({ path: screenshot, fullPage: true, timeout: 5000 });
      }
    } catch {
      screenshot = null;
    }
    emit(currentStep, { error: message, screenshot, blocked: violations.blocked, pageErrors: violations.pageErrors, consoleErrors: consoleErrors.slice(0, 10) });
    console.error(`flows.mjs ${scenario}: step ${currentStep} failed: ${message}`);
    code = 1;
  } finally {
    await context?.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  }
  process.exit(code);
}

main();
