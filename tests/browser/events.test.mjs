// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Hashtag days on a phone: an editor creates and publishes an event in the console, the
// campaign page links it, a supporter sends an entry from the event page without
// JavaScript help, a refused link keeps what was typed; the pages pass axe-core (nothing
// serious or critical) at phone width and do not scroll sideways.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { CAMPAIGN, PHONE, SLUG, formatViolations, horizontalOverflow, launch, newContext, runAxe, screenshotPath, signIn, startApp, stopApp, submitAndWait } from './lib.mjs';

const EDITOR = { email: 'maribel@example.org', password: 'demo-maribel-2024' };
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

test('an event is published and takes an entry on a phone', { timeout: 120_000 }, async (t) => {
  const phone = { viewport: PHONE, isMobile: true, hasTouch: true };
  const editor = await newContext(browser, baseURL, { ...phone, bypassCSP: true });
  const visitor = await newContext(browser, baseURL, { ...phone, bypassCSP: true });
  try {
    const slug = `follow-day-${Date.now()}`;
    const page = await editor.newPage();
    await signIn(page, EDITOR);
    await page.goto('/admin/events');
    await assertAccessible(page, 'console events');
    const form = page.locator('form[action="/admin/events"]');
    await form.getByLabel('Campaign', { exact: true }).selectOption(SLUG);
    await form.getByLabel(/^Address/).fill(slug);
    await form.getByLabel('Title', { exact: true }).fill('Follow a library day');
    await form.getByLabel('Day', { exact: true }).fill('2030-10-01');
    await form.getByLabel('Hashtag', { exact: true }).fill('#FollowALibrary');
    await form.getByLabel(/Call to action/).fill('Follow your library **today**.');
    await form.getByLabel(/Challenge/).fill('Make a promotion video under a minute and share it.');
    await form.getByLabel('State', { exact: true }).selectOption('published');
    await submitAndWait(page, form.getByRole('button', { name: 'Create event' }));
    await page.getByText('Event created.').waitFor();
    await assertAccessible(page, 'console event');

    const v = await visitor.newPage();
    await v.goto(CAMPAIGN);
    await Promise.all([v.waitForURL(new RegExp(`/events/${slug}$`)), v.getByRole('link', { name: 'Follow a library day' }).click()]);
    await v.getByText('#FollowALibrary').first().waitFor();
    await assertAccessible(v, 'event page');
    const o = await horizontalOverflow(v);
    assert.ok(o.overflow <= 0, `no sideways scrolling: ${o.culprits.join('; ')}`);
    await v.screenshot({ path: screenshotPath('event-phone'), fullPage: true });

    const entry = v.locator(`form[action="/campaigns/${SLUG}/events/${slug}"]`);
    await entry.getByLabel(/^Link to your entry/).fill('ftp://example.org/video');
    await entry.getByLabel('Title', { exact: true }).fill('My video');
    await submitAndWait(v, entry.getByRole('button', { name: 'Send entry' }));
    await v.getByText('The link must start with http:// or https://.').waitFor();
    assert.equal(await entry.getByLabel('Title', { exact: true }).inputValue(), 'My video', 'typed values kept');
    await assertAccessible(v, 'event page with an error');
    await entry.getByLabel(/^Link to your entry/).fill('https://video.example/mine');
    await submitAndWait(v, entry.getByRole('button', { name: 'Send entry' }));
    await v.getByText(/Your entry will show here/).waitFor();

    await page.reload();
    await page.getByRole('link', { name: 'My video' }).waitFor();
    t.diagnostic(`event ${slug}: published, linked, one entry waiting`);
  } finally {
    await editor.close();
    await visitor.close();
  }
});
