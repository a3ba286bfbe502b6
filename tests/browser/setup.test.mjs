// SPDX-License-Identifier: AGPL-3.0-or-later
//
// First run (issue 16): a fresh server (no --demo) on an empty data dir prints a one-time
// setup link; the setup page is completed with the keyboard alone on a phone; the owner lands
// on the console with the "Getting started" checklist; the site shows its new name; a second
// visit to the link is refused. axe-core finds nothing serious on the pages.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PHONE, formatViolations, horizontalOverflow, launch, newContext, runAxe, screenshotPath } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

let server;
let browser;

/** Starts `serve` on an empty data dir; resolves with its address and printed setup link. */
function startFresh() {
  const bin = process.env.SHELFRAISER_BIN || join(ROOT, 'target', 'debug', 'shelfraiser');
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'shelfraiser-setup-'));
  const child = spawn(bin, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (b) => (err += b.toString()));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no setup link in 60 s:\n${out}\n${err}`)), 60_000);
    child.stdout.on('data', (b) => {
      out += b.toString();
      const url = out.match(/listening on (http:\/\/\S+)/);
      const link = out.match(/^setup: (http:\/\/\S+)$/m);
      if (url && link) {
        clearTimeout(timer);
        ok({ child, dataDir, url: url[1], link: link[1] });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited (${code}):\n${out}\n${err}`));
    });
  });
}

before(async () => {
  server = await startFresh();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (server) {
    if (server.child.exitCode === null) {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    rmSync(server.dataDir, { recursive: true, force: true });
  }
});

async function assertAccessible(page, label) {
  const violations = (await runAxe(page)).filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.equal(violations.length, 0, formatViolations(label, violations));
}

/** Tabs (forward only) until the field `id` has the focus. */
async function tabTo(page, id) {
  for (let i = 0; i < 60; i++) {
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`the keyboard never reached #${id}`);
}

async function typeInto(page, id, text) {
  await tabTo(page, id);
  await page.keyboard.type(text);
}

test('set up a fresh site by keyboard on a phone, then the link is spent', { timeout: 120_000 }, async () => {
  const context = await newContext(browser, server.url, { viewport: PHONE, bypassCSP: true, hasTouch: true });
  try {
    const page = await context.newPage();
    // Without the token: refused.
    const refused = await page.goto('/setup');
    assert.equal(refused.status(), 403);

    const res = await page.goto(server.link);
    assert.equal(res.status(), 200);
    await assertAccessible(page, 'setup page');
    const wide = await horizontalOverflow(page);
    assert.ok(wide.overflow <= 0, `the setup page scrolls sideways: ${wide.culprits.join('; ')}`);

    // A first try with a short password: the form comes back with the error and what was typed.
    await typeInto(page, 'site_name', 'Friends of the Kalpakkam Library');
    await typeInto(page, 'site_description', 'Books for every child in the village');
    await typeInto(page, 'owner_name', 'Ana Owner');
    await typeInto(page, 'owner_email', 'ana@example.org');
    await typeInto(page, 'password', 'short');
    await typeInto(page, 'confirm', 'short');
    await typeInto(page, 'campaign_title', 'A children’s library');
    await typeInto(page, 'campaign_goal', '5000');
    await page.keyboard.press('Enter');
    await page.waitForLoadState('load');
    await page.locator('#password-err').waitFor().catch(async (e) => { throw new Error(`${e}\n${await page.locator('main').innerHTML()}`); });
    assert.equal(await page.locator('#site_name').inputValue(), 'Friends of the Kalpakkam Library');
    assert.equal(await page.locator('#password').inputValue(), '');
    assert.equal(await page.locator('#password').getAttribute('aria-invalid'), 'true');
    await assertAccessible(page, 'setup page with errors');

    // Again, with a good password; Enter in the last field sends the form.
    await page.keyboard.press('Tab'); // from wherever the page put the focus
    await typeInto(page, 'password', 'a long enough password');
    await typeInto(page, 'confirm', 'a long enough password');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/admin'),
      page.keyboard.press('Enter'),
    ]);
    await page.getByRole('heading', { name: 'Getting started' }).waitFor();
    assert.ok(await page.getByRole('link', { name: 'Invite the team' }).isVisible());
    assert.match(await page.content(), /A children’s library/);
    await page.screenshot({ path: screenshotPath('setup-dashboard-phone'), fullPage: true });
    await assertAccessible(page, 'console after setup');

    // The site speaks with its new name.
    await page.goto('/');
    assert.equal(await page.locator('header .brand').textContent(), 'Friends of the Kalpakkam Library');
    assert.match(await page.title(), /Friends of the Kalpakkam Library/);

    // The link is spent.
    const again = await page.goto(server.link);
    assert.equal(again.status(), 410);
    assert.match(await page.locator('main').textContent(), /already set up/);
  } finally {
    await context.close();
  }
});
