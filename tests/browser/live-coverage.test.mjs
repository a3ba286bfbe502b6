// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Live coverage of an event on a phone (390 px wide), with the demo editor:
//
//  a. the editor opens a published post's "Live coverage", starts it and adds an entry with a
//     photo from the phone-sized form; axe-core finds nothing serious; no sideways scrolling;
//  b. a reader's open page (CSP as served) shows the entry with its time in the reader's
//     zone, and a second entry arrives without a reload;
//  c. ending the coverage makes the entries part of the article's text.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { formatViolations, horizontalOverflow, launch, newContext, runAxe, signIn, startApp, stopApp } from './lib.mjs';

const EDITOR = { email: 'maribel@example.org', password: 'demo-maribel-2024' };
const PHONE_390 = { width: 390, height: 844 };
const BLOCKING = new Set(['serious', 'critical']);
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

async function assertAccessible(page, label) {
  const blocking = (await runAxe(page)).filter((v) => BLOCKING.has(v.impact));
  if (blocking.length) assert.fail(`APP BUG (accessibility): ${formatViolations(`${label} at ${page.url()}`, blocking)}`);
}

async function assertNoOverflow(page, label) {
  const { overflow, culprits } = await horizontalOverflow(page);
  assert.ok(overflow <= 0, `no sideways scrolling on ${label}: ${culprits.join('; ')}`);
}

async function clickAndWait(page, button) {
  await Promise.all([page.waitForEvent('load'), button.click()]);
}

describe('live coverage on a 390 px phone', () => {
  test('a–c. start, add with a photo, a reader sees it live, end', { timeout: 180_000 }, async () => {
    const stamp = Date.now().toString(36);
    const ed = await newContext(browser, baseURL, { viewport: PHONE_390, bypassCSP: true, isMobile: true, hasTouch: true });
    const page = await ed.newPage();
    await page.goto('/signin?next=%2Fadmin%2Fposts%3Fstatus%3Dpublished');
    await signIn(page, EDITOR);
    if (new URL(page.url()).pathname !== '/admin/posts') await page.goto('/admin/posts?status=published');
    const href = await page.locator('tr.post-published a[href^="/admin/posts/"]').first().getAttribute('href');
    await page.goto(href);
    await clickAndWait(page, page.getByRole('link', { name: 'Live coverage' }));
    await clickAndWait(page, page.getByRole('button', { name: 'Start live coverage' }));
    await page.getByLabel('What is happening').fill(`Doors open (${stamp})`);
    await page.getByLabel('Photo (optional)').setInputFiles({ name: 'hall.png', mimeType: 'image/png', buffer: PNG });
    await page.getByLabel('Describe the photo').fill('The hall filling up');
    // An entry of a post that goes to the fediverse may go to the followers too, ticked at
    // first; a page (the demo's first published post may be "About us") has no box.
    const box = page.getByRole('checkbox', { name: 'Also post to followers' });
    if (await box.count()) assert.ok(await box.isChecked(), 'ticked at first');
    await clickAndWait(page, page.getByRole('button', { name: 'Add entry' }));
    assert.match(await page.locator('[role=status]').innerText(), /Entry added/);
    assert.ok((await page.locator('ol.live-entries li').count()) >= 1);
    await assertAccessible(page, 'the live coverage page');
    await assertNoOverflow(page, 'the live coverage page');

    // A reader, with the page's CSP as served and a zone of their own.
    const publicHref = await page.getByRole('link', { name: 'View the public page' }).getAttribute('href');
    const reader = await newContext(browser, baseURL, { viewport: PHONE_390, isMobile: true, timezoneId: 'Asia/Tokyo', locale: 'en-GB' });
    const rp = await reader.newPage();
    await rp.goto(publicHref);
    const first = rp.locator('[data-live-entries] li').first();
    assert.match(await first.innerText(), new RegExp(`Doors open \\(${stamp}\\)`));
    assert.doesNotMatch(await first.locator('time').innerText(), /UTC$/, 'the time in the reader\'s zone');
    assert.equal(await first.locator('img').getAttribute('alt'), 'The hall filling up');
    // axe-core is injected as a script: checked in the editor's context (CSP bypassed).
    const axePage = await ed.newPage();
    await axePage.goto(publicHref);
    await assertAccessible(axePage, 'a live post');
    await axePage.close();
    await assertNoOverflow(rp, 'a live post');

    // A second entry reaches the open page without a reload.
    await page.locator('input[name=kind][value=quote]').check();
    await page.getByLabel('What is happening').fill(`Libraries are for everyone (${stamp})`);
    await clickAndWait(page, page.getByRole('button', { name: 'Add entry' }));
    await rp.locator('[data-live-entries] li blockquote', { hasText: stamp }).waitFor({ timeout: 30_000 });

    // End: the article has both entries, oldest first; the live section is gone.
    await clickAndWait(page, page.getByRole('button', { name: 'End live coverage' }));
    await rp.reload();
    assert.equal(await rp.locator('[data-live-post]').count(), 0);
    const text = await rp.locator('.e-content').innerText();
    assert.ok(text.indexOf(`Doors open (${stamp})`) < text.indexOf(`Libraries are for everyone (${stamp})`), text);
    await ed.close();
    await reader.close();
  });
});
