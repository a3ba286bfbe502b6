// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The post editor on a phone (390 px wide), with the demo editor (src/app/demo.rs TEAM):
//
//  a. writing keeps a draft on the server every few seconds ("Draft kept at …");
//  b. the session ends (the same member signs out everywhere from another browser); the
//     editor says so, the member saves anyway, lands on the sign-in page ("What you typed is
//     kept"), signs in and is back in the editor with all of the text; saving keeps it;
//  c. "Insert an image" puts the image where the cursor is; Enter in the title of a draft
//     saves it (never publishes it); axe-core finds nothing serious; no sideways scrolling.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { formatViolations, launch, newContext, runAxe, screenshotPath, startApp, stopApp } from './lib.mjs';

const EDITOR = { email: 'maribel@example.org', password: 'demo-maribel-2024' };
const PHONE_390 = { width: 390, height: 844 };
const BLOCKING = new Set(['serious', 'critical']);

// A 2 × 2 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4UaEBRAwQCgAp7gWhjAnOiAAAAABJRU5ErkJggg==',
  'base64',
);

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

async function signIn(page, who) {
  const form = page.locator('form[action="/signin"]');
  await form.getByLabel('E-mail address').fill(who.email);
  await form.getByLabel('Password', { exact: true }).fill(who.password);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/signin'),
    form.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
}

/** Does `act` (a click, a key) and waits until the page it leads to has loaded. */
async function andWait(page, act) {
  await Promise.all([page.waitForEvent('load'), act()]);
}

async function clickAndWait(page, button) {
  await andWait(page, () => button.click());
}

function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

async function assertAccessible(page, label) {
  const blocking = (await runAxe(page)).filter((v) => BLOCKING.has(v.impact));
  if (blocking.length) assert.fail(`APP BUG (accessibility): ${formatViolations(`${label} at ${page.url()}`, blocking)}`);
}

describe('the post editor on a 390 px phone', () => {
  const ctx = () => newContext(browser, baseURL, { viewport: PHONE_390, bypassCSP: true, isMobile: true, hasTouch: true });
  const stamp = Date.now().toString(36);
  const title = `Bus notes ${stamp}`;
  const first = `Written on the bus, part one (${stamp}).`;
  const second = `Part two, typed after the session ended (${stamp}).`;

  test('a–b. autosave, the session ends, sign in again: the text is back', { timeout: 180_000 }, async () => {
    const context = await ctx();
    const page = await context.newPage();
    await page.goto('/signin?next=%2Fadmin%2Fposts%2Fnew');
    await signIn(page, EDITOR);
    assert.equal(new URL(page.url()).pathname, '/admin/posts/new');

    await page.locator('#title').fill(title);
    await page.locator('#body').fill(first);
    const status = page.locator('#autosave-status');
    await status.filter({ hasText: 'Draft kept at' }).waitFor({ timeout: 15_000 });
    assert.equal(await horizontalOverflow(page), 0, 'no sideways scrolling on the editor');

    // The same member signs out everywhere from another browser: this session is gone.
    const other = await ctx();
    const elsewhere = await other.newPage();
    await elsewhere.goto('/signin');
    await signIn(elsewhere, EDITOR);
    await elsewhere.goto('/signin');
    await clickAndWait(elsewhere, elsewhere.getByRole('button', { name: 'Sign out everywhere' }));
    await other.close();

    // More text; the next autosave finds the session gone and says so.
    await page.locator('#body').fill(`${first}\n\n${second}`);
    await status.filter({ hasText: 'You are signed out' }).waitFor({ timeout: 15_000 });
    assert.ok(await page.locator('#autosave-signin').isVisible(), 'the way to sign in again is shown');
    await page.screenshot({ path: screenshotPath('editor-phone-signed-out'), fullPage: true });

    // Saving anyway: the sign-in page says the text is kept, and after signing in it is back.
    await clickAndWait(page, page.getByRole('button', { name: 'Save draft' }));
    assert.equal(new URL(page.url()).pathname, '/signin');
    assert.match(await page.locator('main').innerText(), /What you typed is kept/);
    await signIn(page, EDITOR);
    assert.equal(new URL(page.url()).pathname, '/admin/posts/new');
    assert.equal(await page.locator('#title').inputValue(), title);
    assert.equal(await page.locator('#body').inputValue(), `${first}\n\n${second}`);
    assert.match(await page.locator('.kept').innerText(), /has not been saved yet/);
    await assertAccessible(page, 'editor with restored text');
    await page.screenshot({ path: screenshotPath('editor-phone-restored'), fullPage: true });

    await clickAndWait(page, page.getByRole('button', { name: 'Save draft' }));
    assert.match(new URL(page.url()).pathname, /^\/admin\/posts\/[0-9a-f]{32}$/);
    assert.match(await page.locator('main').innerText(), /Saved as a draft/);
    assert.equal(await page.locator('#body').inputValue(), `${first}\n\n${second}`);
    await context.close();
  });

  test('c. an image goes in at the cursor; Enter saves a draft', { timeout: 120_000 }, async () => {
    const context = await ctx();
    const page = await context.newPage();
    await page.goto('/signin?next=%2Fadmin%2Fposts%2Fnew');
    await signIn(page, EDITOR);
    await page.locator('#title').fill(`Pictures ${stamp}`);
    const body = page.locator('#body');
    await body.fill('Before the picture.\n\nAfter the picture.');
    // The cursor right after "Before the picture." (19 characters).
    await body.evaluate((el) => {
      el.focus();
      el.setSelectionRange(19, 19);
    });
    await page.locator('#insert_image').setInputFiles({ name: 'shelf.png', mimeType: 'image/png', buffer: PNG });
    await page.locator('#insert_alt').fill('A new shelf');
    await clickAndWait(page, page.getByRole('button', { name: 'Save draft' }));
    const text = await page.locator('#body').inputValue();
    assert.match(text, /^Before the picture\.\n\n!\[A new shelf\]\(\/media\/[0-9a-f]{32}\.png\)\n\nAfter the picture\.$/);

    // Enter in the title submits the form's first (hidden) button: save, not publish.
    await andWait(page, () => page.locator('#title').press('Enter'));
    assert.match(await page.locator('main').innerText(), /Saved as a draft/);
    assert.ok(await page.getByRole('button', { name: 'Publish' }).isVisible(), 'still a draft');
    await context.close();
  });
});
