// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The donor wall's moderation in the console: an editor finds a new donation on the
// console's Donor wall page, hides its message with a reason, and a campaign page that is
// open elsewhere drops the message without a reload; the pages pass axe-core (nothing
// serious or critical) on a phone.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { CAMPAIGN, formatViolations, launch, newContext, runAxe, screenshotPath, startApp, stopApp, donate } from './lib.mjs';

const EDITOR = { email: 'maribel@example.org', password: 'demo-maribel-2024' };
const PHONE_390 = { width: 390, height: 844 };
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

async function assertAccessible(page, label) {
  const blocking = (await runAxe(page)).filter((v) => BLOCKING.has(v.impact));
  assert.deepEqual(blocking, [], formatViolations(label, blocking));
}

test('an editor hides a donor message and an open campaign page drops it live', { timeout: 120_000 }, async (t) => {
  const donor = await newContext(browser, baseURL);
  const visitor = await newContext(browser, baseURL);
  const editor = await newContext(browser, baseURL, { viewport: PHONE_390, isMobile: true, hasTouch: true, bypassCSP: true });
  try {
    const message = `Moderation test ${Date.now()}`;
    const thanks = await donate(await donor.newPage(), { currency: 'GBP', amount: '3', name: 'Wall test', message });
    const donationId = thanks.split('/thanks/')[1];

    const open = await visitor.newPage();
    await open.goto(CAMPAIGN);
    await open.locator('[data-live][data-version]').waitFor({ state: 'attached', timeout: 10_000 });
    await open.locator('[data-wall] q', { hasText: message }).waitFor();

    const page = await editor.newPage();
    await page.goto('/signin');
    const form = page.locator('form[action="/signin"]');
    await form.getByLabel('E-mail address').fill(EDITOR.email);
    await form.getByLabel('Password', { exact: true }).fill(EDITOR.password);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/signin'), form.getByRole('button', { name: 'Sign in', exact: true }).click()]);

    await page.getByRole('navigation', { name: /console/i }).getByRole('link', { name: 'Donor wall' }).click();
    await page.waitForURL(/\/admin\/wall/);
    await assertAccessible(page, 'console donor wall');
    await page.screenshot({ path: screenshotPath('wall-console-list'), fullPage: true });
    await Promise.all([page.waitForURL(new RegExp(`/admin/donations/${donationId}`)), page.locator(`a[href="/admin/donations/${donationId}#wall"]`).first().click()]);
    const text = await page.locator('main').innerText();
    assert.ok(text.includes(message), 'the team reads the message');
    assert.ok(!text.includes('@example.org'), 'no donor e-mail for an editor');

    // Hiding without a reason is refused; with one it is saved.
    const wall = page.locator('#wall');
    await wall.getByRole('group', { name: "Donor's message" }).getByLabel('Hide').check();
    await wall.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Say why it is hidden.').waitFor();
    await wall.getByLabel('Reason').fill('Off-topic');
    await Promise.all([page.waitForURL(/\?wall=saved#wall$/), wall.getByRole('button', { name: 'Save' }).click()]);
    await page.getByText('The wall shows this donation without its message.').waitFor();
    await assertAccessible(page, 'console donation page');
    await page.screenshot({ path: screenshotPath('wall-console-donation'), fullPage: true });

    // The open page drops the message without a reload; the name and amount stay.
    await open.locator('[data-wall] q', { hasText: message }).waitFor({ state: 'detached', timeout: 10_000 });
    assert.ok(await open.locator('[data-wall] li', { hasText: 'Wall test' }).count() >= 1, 'the entry stays');
    t.diagnostic(`donation ${donationId}: message hidden, the open page followed`);
  } finally {
    await donor.close();
    await visitor.close();
    await editor.close();
  }
});
