// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Passkeys in a real browser, with Chromium's virtual authenticator (DevTools protocol
// `WebAuthn.*`: CTAP2, built in, resident keys, user verification): a demo member signs in
// with the password, adds a passkey on the account page, signs out, and signs in again with
// the passkey alone (no e-mail, no password). Without JavaScript the passkey controls stay
// hidden and the password form still works.
//
// WebAuthn takes no IP addresses, so the browser uses http://localhost:PORT (the demo server
// listens on 127.0.0.1, which localhost reaches; a loopback base URL makes the relying party
// `localhost`).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { formatViolations, launch, newContext, runAxe, screenshotPath, startApp, stopApp } from './lib.mjs';

// A demo member (invented; the demo prints these passwords at start-up).
const EMAIL = 'wendell@example.org';
const PASSWORD = 'demo-wendell-2024';

let baseURL;
let browser;

/** axe-core finds nothing serious or critical on the page as it is now. */
async function assertAccessible(page, label) {
  const violations = (await runAxe(page)).filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.equal(violations.length, 0, formatViolations(label, violations));
}

before(async () => {
  const app = new URL(await startApp());
  app.hostname = 'localhost';
  baseURL = app.origin;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stopApp();
});

async function signInWithPassword(page) {
  await page.goto('/signin');
  await page.locator('#email').fill(EMAIL);
  await page.locator('#password').fill(PASSWORD);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/signin')),
    page.locator('form[action="/signin"] button[type=submit]').click(),
  ]);
}

test('add a passkey on the account page, then sign in with it alone', { timeout: 90_000 }, async () => {
  // bypassCSP only so that axe-core can be injected; the site's own script loads as usual.
  const context = await newContext(browser, baseURL, { bypassCSP: true });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));

    await signInWithPassword(page);
    await page.goto('/account');
    const add = page.locator('#passkey-add');
    await add.waitFor({ state: 'visible' });
    assert.equal(await page.locator('#passkey-needs-js').isVisible(), false);
    await page.locator('#passkey-label').fill('Virtual laptop');
    await Promise.all([page.waitForURL(/\/account\?notice=passkey-added$/), add.click()]);
    const list = page.locator('#passkey-list');
    await list.waitFor();
    assert.match(await list.innerText(), /Virtual laptop/);
    assert.match(await page.locator('#account-notice').innerText(), /passkey is added/);
    await page.screenshot({ path: screenshotPath('passkeys-account'), fullPage: true });
    await assertAccessible(page, 'account with a passkey');

    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential');

    // Signed out (a new browser session), then in again with the passkey alone.
    await context.clearCookies();
    await page.goto('/signin?next=%2Faccount');
    const button = page.locator('#passkey-signin-button');
    await button.waitFor({ state: 'visible' });
    await page.screenshot({ path: screenshotPath('passkeys-signin') });
    await assertAccessible(page, 'sign-in with the passkey button');
    await Promise.all([page.waitForURL(/\/account$/), button.click()]);
    assert.match(await page.locator('main').innerText(), new RegExp(EMAIL.replace('.', '\\.')));
    // The passkey now shows a last use.
    const row = await page.locator('#passkey-list tbody tr').first().innerText();
    assert.doesNotMatch(row, /Never/);
    assert.deepEqual(errors, []);

    // Removing it.
    await Promise.all([
      page.waitForURL(/\/account\?notice=passkey-deleted$/),
      page.locator('#passkey-list button[type=submit]').first().click(),
    ]);
    assert.equal(await page.locator('#passkey-list').count(), 0);
  } finally {
    await context.close();
  }
});

test('without JavaScript the passkey button stays hidden and passwords still work', { timeout: 60_000 }, async () => {
  const context = await newContext(browser, baseURL, { javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto('/signin');
    assert.equal(await page.locator('#passkey-signin').isVisible(), false);
    await signInWithPassword(page);
    await page.goto('/account');
    assert.equal(await page.locator('#passkey-register').isVisible(), false);
    assert.equal(await page.locator('#passkey-needs-js').isVisible(), true);
  } finally {
    await context.close();
  }
});
