// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The donor's path on a phone (390 px wide), with and without JavaScript: a declined payment
// comes back to the donate form filled in as typed (not the e-mail address), and the page of
// a finished checkout (the browser's Back after paying) links on to the thank-you page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { CAMPAIGN, fillDonateForm, launch, newContext, screenshotPath, startApp, stopApp, submitDonateForm, succeedCheckout } from './lib.mjs';

const PHONE_390 = { width: 390, height: 844 };

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

const phone = (opts = {}) =>
  newContext(browser, baseURL, { viewport: PHONE_390, isMobile: true, hasTouch: true, deviceScaleFactor: 2, ...opts });

/** The donate form's values as the page shows them. */
const formValues = (page) =>
  page.evaluate(() => {
    const f = document.querySelector('form[action$="/donate"]');
    const checked = (name) => f.querySelector(`input[name=${name}]:checked`)?.value ?? null;
    return {
      amount: f.querySelector('#amount').value,
      preset: checked('amount'),
      currency: f.querySelector('#currency').value,
      name: f.querySelector('#name').value,
      email: f.querySelector('#email').value,
      message: f.querySelector('#message').value,
      visibility: checked('visibility'),
    };
  });

for (const js of [true, false]) {
  test(`a declined payment returns the filled form on a 390 px phone (${js ? 'with' : 'without'} JavaScript)`, { timeout: 90_000 }, async () => {
    const context = await phone({ javaScriptEnabled: js });
    try {
      const page = await context.newPage();
      await page.goto(CAMPAIGN);
      await fillDonateForm(page, {
        currency: 'EUR',
        amount: '12.50',
        name: 'Declined on a phone',
        email: 'phone@example.org',
        message: 'Second try coming',
        visibility: 'anonymous',
      });
      await submitDonateForm(page);
      await Promise.all([
        page.waitForURL(/\?checkout=declined&from=[^#]+#donate$/),
        page.locator('button[name=outcome][value=decline]').click(),
      ]);
      await page.getByRole('alert').filter({ hasText: 'declined' }).waitFor();
      const values = await formValues(page);
      assert.deepEqual(values, {
        amount: '12.50',
        preset: null,
        currency: 'EUR',
        name: 'Declined on a phone',
        email: '',
        message: 'Second try coming',
        visibility: 'anonymous',
      });
      // The form is in view (the #donate anchor) and fits the phone's width.
      const box = await page.locator('#donate').boundingBox();
      assert.ok(box && box.width <= PHONE_390.width, `the form fits: ${JSON.stringify(box)}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no sideways scroll (${overflow}px)`);
      await page.screenshot({ path: screenshotPath(`donor-path-declined-${js ? 'js' : 'nojs'}`), fullPage: false });

      // Only the e-mail address is typed again; the payment now goes through.
      await fillDonateForm(page, { email: 'phone@example.org' });
      await submitDonateForm(page);
      assert.match(await page.locator('main').innerText(), /€12\.50/);
      await succeedCheckout(page);
    } finally {
      await context.close();
    }
  });
}

test('Back after paying shows the finished checkout with a link to the thank-you page (390 px)', { timeout: 90_000 }, async () => {
  const context = await phone();
  try {
    const page = await context.newPage();
    await page.goto(CAMPAIGN);
    await fillDonateForm(page, { currency: 'GBP', amount: '7', name: 'Back button', message: '' });
    await submitDonateForm(page);
    const checkoutUrl = page.url();
    await succeedCheckout(page);
    const thanksUrl = page.url();

    await page.goBack();
    await page.waitForURL(checkoutUrl);
    await page.getByText('This checkout is finished.').waitFor();
    const link = page.getByRole('link', { name: 'See your thank-you page' });
    assert.equal(await link.getAttribute('href'), new URL(thanksUrl).pathname);
    const box = await link.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE_390.width, `the link is on screen: ${JSON.stringify(box)}`);
    await page.screenshot({ path: screenshotPath('donor-path-finished'), fullPage: false });
    await Promise.all([page.waitForURL(thanksUrl), link.click()]);
    await page.getByRole('heading', { level: 1, name: /Thank you/ }).waitFor();
  } finally {
    await context.close();
  }
});
