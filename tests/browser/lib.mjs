// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Shared helpers for the browser tests (run with `node --test`, see scripts/test-browser.sh).
//
// * The app: SHELFRAISER_URL (e.g. http://127.0.0.1:41234, set by scripts/test-browser.sh).
//   Without it, each test file starts its own demo server from SHELFRAISER_BIN (default
//   ../../target/debug/shelfraiser: run `cargo build` first) on a temporary data dir.
// * The browser: Debian's Chromium (CHROMIUM, default /usr/bin/chromium) driven by
//   playwright-core. Playwright's own browser downloads are never used.
//
// Everything here talks to 127.0.0.1 only.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const require = createRequire(import.meta.url);

export const SLUG = process.env.DEMO_SLUG || 'library-for-kalpakkam';
export const CAMPAIGN = `/campaigns/${SLUG}`;
export const SCREENSHOTS = join(HERE, 'screenshots');

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 360, height: 740 };

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Never through a proxy, whatever the environment says: the app is on 127.0.0.1.
  '--no-proxy-server',
  // CI containers often have a tiny /dev/shm.
  '--disable-dev-shm-usage',
];

/** The axe-core source, to inject into pages. */
export const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// ---------------------------------------------------------------------------------------------
// The app

let ownServer = null;

/**
 * The app's base URL (no trailing slash). Starts a demo server for this test file unless
 * SHELFRAISER_URL is set; call stopApp() in an after() hook.
 */
export async function startApp() {
  if (process.env.SHELFRAISER_URL) return process.env.SHELFRAISER_URL.replace(/\/+$/, '');
  if (ownServer) return ownServer.url;
  ownServer = await startPrivateApp();
  return ownServer.url;
}

export async function stopApp() {
  if (!ownServer) return;
  const server = ownServer;
  ownServer = null;
  await stopPrivateApp(server);
}

/**
 * A demo server of the caller's own, always started here (even with SHELFRAISER_URL set), on
 * a temporary data dir it can read (`dataDir`: e.g. the e-mails under `outbox/`). Returns
 * { child, dataDir, url }; stop it with stopPrivateApp().
 */
export async function startPrivateApp() {
  const bin = process.env.SHELFRAISER_BIN || join(ROOT, 'target', 'debug', 'shelfraiser');
  if (!existsSync(bin)) {
    throw new Error(`no server: set SHELFRAISER_URL, or build ${bin} (cargo build) or set SHELFRAISER_BIN`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'shelfraiser-browser-'));
  const child = spawn(bin, ['serve', '--demo', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Every test donates from 127.0.0.1: the per-address checkout limit is off here.
    env: { ...process.env, NO_COLOR: '1', SHELFRAISER_DONATIONS__CHECKOUTS_PER_IP: '0' },
  });
  let log = '';
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start in 60 s:\n${log}`)), 60_000);
    const onData = (b) => {
      log += b.toString();
      const m = log.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').match(/listening on (http:\/\/[^\s"',]+)/);
      if (m) {
        clearTimeout(timer);
        ok(m[1].replace(/[./]+$/, ''));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited (${code}) before listening:\n${log}`));
    });
  });
  return { child, dataDir, url };
}

export async function stopPrivateApp(server) {
  if (!server) return;
  const { child, dataDir } = server;
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
  rmSync(dataDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// The browser

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

/** A fresh context with sensible timeouts; `opts` are Playwright context options. */
export async function newContext(browser, baseURL, opts = {}) {
  const context = await browser.newContext({
    baseURL,
    viewport: DESKTOP,
    locale: 'en-GB',
    // No proxy, whatever the environment says: every request goes to 127.0.0.1.
    ...opts,
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  return context;
}

export function screenshotPath(name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}

/**
 * Fills and submits the campaign page's donate form (with the mouse and keyboard of
 * Playwright's actions, which work with and without JavaScript). Returns nothing; the page is
 * then on the test checkout.
 */
export async function fillDonateForm(page, { amount, currency, name, email, message, visibility } = {}) {
  const form = page.locator('form[action$="/donate"]');
  if (currency) await form.locator('select#currency').selectOption(currency);
  if (amount !== undefined) await form.locator('#amount').fill(String(amount));
  if (name !== undefined) await form.locator('#name').fill(name);
  if (email !== undefined) await form.locator('#email').fill(email);
  if (message !== undefined) await form.locator('#message').fill(message);
  if (visibility) await form.locator(`input[name=visibility][value=${visibility}]`).check();
}

export async function submitDonateForm(page) {
  await Promise.all([
    page.waitForURL(/\/test-checkout\/[^/]+$/),
    page.locator('form[action$="/donate"] button[type=submit]').click(),
  ]);
}

/** From the test checkout, press the "succeed" button and wait for the thank-you page. */
export async function succeedCheckout(page) {
  await Promise.all([
    page.waitForURL(new RegExp(`${CAMPAIGN}/thanks/[^/]+$`)),
    page.locator('button[name=outcome][value=succeed]').click(),
  ]);
}

/** A whole donation, from the campaign page to the thank-you page; returns the thanks URL. */
export async function donate(page, fields) {
  await page.goto(CAMPAIGN);
  await fillDonateForm(page, fields);
  await submitDonateForm(page);
  await succeedCheckout(page);
  return page.url();
}

// ---------------------------------------------------------------------------------------------
// axe-core

/**
 * Runs axe-core on the page (which must come from a context with bypassCSP: true, since the
 * site's CSP forbids the injected script). Returns all violations.
 */
export async function runAxe(page) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!hasAxe) await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        impact: n.impact,
        target: n.target.join(' '),
        html: n.html,
        summary: n.failureSummary,
      })),
    }));
  });
}

/** Human-readable text of axe violations. */
export function formatViolations(label, violations) {
  if (!violations.length) return `${label}: no violations`;
  const out = [`${label}: ${violations.length} violation(s)`];
  for (const v of violations) {
    out.push(`  [${v.impact}] ${v.id}: ${v.help}`);
    out.push(`    ${v.helpUrl}`);
    for (const n of v.nodes.slice(0, 8)) {
      out.push(`    - ${n.target}`);
      out.push(`      ${n.html.length > 160 ? n.html.slice(0, 157) + '...' : n.html}`);
      for (const line of (n.summary || '').split('\n')) if (line.trim()) out.push(`      ${line.trim()}`);
    }
    if (v.nodes.length > 8) out.push(`    ... and ${v.nodes.length - 8} more element(s)`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Pages

/** How far the page scrolls sideways, and which elements stick out past the right edge. */
export function horizontalOverflow(page) {
  return page.evaluate(() => {
    const W = document.documentElement.clientWidth;
    const culprits = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > W + 0.5) {
        const sel =
          el.tagName.toLowerCase() +
          (el.id ? `#${el.id}` : '') +
          (typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().replace(/\s+/g, '.')}` : '');
        culprits.push(`${sel} "${(el.textContent || '').trim().slice(0, 30)}" spans x=${Math.round(r.left)}..${Math.round(r.right)}`);
      }
    }
    return { overflow: document.documentElement.scrollWidth - W, culprits: culprits.slice(0, 10) };
  });
}

/** Fills and sends the password form; returns the path landed on (not /signin). */
export async function signIn(page, who) {
  await page.goto('/signin');
  const form = page.locator('form[action="/signin"]');
  await form.getByLabel('E-mail address').fill(who.email);
  await form.getByLabel('Password', { exact: true }).fill(who.password);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/signin'),
    form.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
  return new URL(page.url()).pathname;
}

/** Sends a POST form by clicking `button` and waits for the page it answers with. */
export async function submitAndWait(page, button) {
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document'),
    button.click(),
  ]);
  await page.waitForLoadState('load');
}
