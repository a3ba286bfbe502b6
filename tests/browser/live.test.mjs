// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Live progress: a donation made in one browser shows on a campaign page open in another,
// without a reload (Server-Sent Events from /campaigns/{slug}/live and /static/live.*.js).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { CAMPAIGN, fillDonateForm, launch, newContext, screenshotPath, startApp, stopApp, submitDonateForm, succeedCheckout } from './lib.mjs';

let baseURL;
let browser;

before(async () => {
  baseURL = await startApp();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stopApp();
});

const snapshot = (page) =>
  page.evaluate(() => ({
    raised: document.querySelector('[data-raised]').textContent.trim(),
    bar: Number(document.querySelector('[data-bar]').getAttribute('width')),
    marker: window.__noReloadMarker === true,
  }));

test('a donation in page B moves page A\'s total and bar without a reload', { timeout: 60_000 }, async (t) => {
  const ctxA = await newContext(browser, baseURL);
  const ctxB = await newContext(browser, baseURL);
  try {
    const pageA = await ctxA.newPage();
    let navigations = 0;
    pageA.on('framenavigated', (f) => {
      if (f === pageA.mainFrame()) navigations++;
    });
    await pageA.goto(CAMPAIGN);
    // Wait until the live script has its stream: the first event sets data-version.
    await pageA.locator('[data-live][data-version]').waitFor({ state: 'attached', timeout: 10_000 });
    await pageA.evaluate(() => {
      window.__noReloadMarker = true;
    });
    const before = await snapshot(pageA);
    assert.ok(before.bar < 96, `the bar has room to grow (is at ${before.bar}%)`);
    const navigationsBefore = navigations;

    // Page B, another visitor: enough to move the integer-percent bar by several points
    // (£500 of the demo's £12,000 goal is over 4%).
    const pageB = await ctxB.newPage();
    await pageB.goto(CAMPAIGN);
    await fillDonateForm(pageB, { currency: 'GBP', amount: '500', name: 'Live test', message: 'Watch the bar' });
    await submitDonateForm(pageB);
    await succeedCheckout(pageB);
    const started = Date.now();

    // Page A follows within 10 s.
    await pageA.waitForFunction(
      ({ raised, bar }) =>
        document.querySelector('[data-raised]').textContent.trim() !== raised &&
        Number(document.querySelector('[data-bar]').getAttribute('width')) > bar,
      before,
      { timeout: 10_000, polling: 100 },
    );
    const afterA = await snapshot(pageA);
    const took = Date.now() - started;

    assert.ok(afterA.marker, 'page A was not reloaded (its window is the same)');
    assert.equal(navigations, navigationsBefore, 'page A did not navigate');
    assert.notEqual(afterA.raised, before.raised);
    assert.ok(afterA.bar > before.bar, `bar grew: ${before.bar} → ${afterA.bar}`);

    // What page A shows now is what a fresh load shows (same server-side truth).
    const pageC = await ctxB.newPage();
    await pageC.goto(CAMPAIGN);
    const fresh = await snapshot(pageC);
    assert.equal(afterA.raised, fresh.raised, 'live total equals a freshly loaded page\'s total');
    assert.equal(afterA.bar, fresh.bar, 'live bar equals a freshly loaded page\'s bar');

    await pageA.locator('section.progress').screenshot({ path: screenshotPath('live-after-donation') });
    t.diagnostic(`live update: ${before.raised} (${before.bar}%) -> ${afterA.raised} (${afterA.bar}%), ${took} ms after the thank-you page`);
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
});
