// SPDX-License-Identifier: AGPL-3.0-or-later
//
// axe-core on every page a donor sees, in English and Danish, on desktop and phone widths:
// no violation of impact "serious" or "critical". Lesser ones are printed as diagnostics.
//
// The site's Content-Security-Policy forbids inline scripts, so these contexts bypass CSP to
// inject axe (the CSP itself is not under test here).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  CAMPAIGN,
  DESKTOP,
  PHONE,
  fillDonateForm,
  formatViolations,
  launch,
  newContext,
  runAxe,
  startApp,
  stopApp,
  submitDonateForm,
  succeedCheckout,
} from './lib.mjs';

const BLOCKING = new Set(['serious', 'critical']);

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

// Each page: how to get there from a fresh page in the given context.
const PAGES = [
  ['front page', async (page) => page.goto('/')],
  ['campaign (en)', async (page) => page.goto(CAMPAIGN)],
  [
    'campaign (da)',
    async (page) => {
      await page.goto(`/lang/da?next=${CAMPAIGN}`);
      assert.equal(await page.getAttribute('html', 'lang'), 'da');
    },
  ],
  [
    'checkout',
    async (page) => {
      await page.goto(CAMPAIGN);
      await fillDonateForm(page, { currency: 'EUR', amount: '30', name: 'axe test', message: 'Checked by axe' });
      await submitDonateForm(page);
    },
  ],
  [
    'thanks',
    async (page) => {
      await page.goto(CAMPAIGN);
      await fillDonateForm(page, { currency: 'EUR', amount: '30', name: 'axe test', message: 'Checked by axe' });
      await submitDonateForm(page);
      await succeedCheckout(page);
    },
  ],
  ['donors', async (page) => page.goto(`${CAMPAIGN}/donors`)],
  [
    '404 page',
    async (page) => {
      const res = await page.goto('/campaigns/no-such-campaign');
      assert.equal(res.status(), 404);
    },
  ],
  [
    'form with errors (amount "abc")',
    async (page) => {
      await page.goto(CAMPAIGN);
      await fillDonateForm(page, { amount: 'abc', name: 'axe test' });
      await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/donate') && r.request().method() === 'POST'),
        page.locator('form[action$="/donate"] button[type=submit]').click(),
      ]);
      await page.waitForLoadState('load');
      assert.equal(await page.locator('#amount').getAttribute('aria-invalid'), 'true');
    },
  ],
];

for (const [device, viewport] of [
  ['desktop', DESKTOP],
  ['phone', PHONE],
]) {
  describe(`axe on ${device} (${viewport.width}x${viewport.height})`, () => {
    for (const [name, open] of PAGES) {
      test(`${name}: no serious or critical violations`, { timeout: 60_000 }, async (t) => {
        const context = await newContext(browser, baseURL, { viewport, bypassCSP: true });
        try {
          const page = await context.newPage();
          await open(page);
          await page.waitForLoadState('load');
          const violations = await runAxe(page);
          const blocking = violations.filter((v) => BLOCKING.has(v.impact));
          const minor = violations.filter((v) => !BLOCKING.has(v.impact));
          if (minor.length) {
            for (const line of formatViolations(`${name} (${device}), not blocking`, minor).split('\n')) t.diagnostic(line);
          }
          if (blocking.length) {
            const text = formatViolations(`${name} (${device}) at ${page.url()}`, blocking);
            // Printed in full on stderr too, so the CI log shows it readably.
            console.error(`\n${text}\n`);
            assert.fail(`APP BUG (accessibility): ${text}`);
          }
        } finally {
          await context.close();
        }
      });
    }
  });
}

test('axe self-check: it does find violations planted in a page', { timeout: 60_000 }, async () => {
  const context = await newContext(browser, baseURL, { bypassCSP: true });
  try {
    const page = await context.newPage();
    await page.goto('/');
    await page.evaluate(() => {
      const main = document.querySelector('main');
      main.insertAdjacentHTML('beforeend', '<img src="/static/nope.png"><p style="color:#eee;background:#fff">faint</p><button></button>');
    });
    const ids = (await runAxe(page)).map((v) => v.id);
    for (const id of ['image-alt', 'color-contrast', 'button-name']) assert.ok(ids.includes(id), `axe found ${id} (found: ${ids.join(', ')})`);
  } finally {
    await context.close();
  }
});
