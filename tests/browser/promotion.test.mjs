// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Spreading the word, in a real browser against the demo:
//
//  a. the share kit at phone width: axe-core (serious/critical fail), no sideways scrolling,
//     each network's link filled in, Mastodon through the reader's server (a link, no
//     redirect), the badge image loading;
//  b. another site (a page of another origin) frames the campaign's card: it shows, live
//     totals and a donate link; the same site framing the campaign page itself is refused;
//  c. the poster: a QR code and the address, axe-clean;
//  d. a supporter makes a referral link at phone width, follows it, gives through the test
//     checkout and sees the gift credited on the supporters' board; no cookie is set;
//  e. the insight report (an owner): axe-clean, the timeline's SVG and its table.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import {
  CAMPAIGN,
  PHONE,
  formatViolations,
  horizontalOverflow,
  launch,
  newContext,
  runAxe,
  screenshotPath,
  signIn,
  startApp,
  succeedCheckout,
  fillDonateForm,
  submitDonateForm,
  stopApp,
} from './lib.mjs';

const BLOCKING = new Set(['serious', 'critical']);
let baseURL;
let browser;
const shot = (name) => screenshotPath(`promotion-${name}`);

before(async () => {
  baseURL = await startApp();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stopApp();
});

async function assertFits(page, label) {
  await page.waitForLoadState('load');
  const blocking = (await runAxe(page)).filter((v) => BLOCKING.has(v.impact));
  assert.deepEqual(blocking, [], formatViolations(`${label} at ${page.url()}`, blocking));
  const { overflow, culprits } = await horizontalOverflow(page);
  assert.ok(overflow <= 0, `${label} is ${overflow}px wider than the viewport: ${culprits.join('; ')}`);
}

test('a. the share kit on a phone', { timeout: 60_000 }, async () => {
  const context = await newContext(browser, baseURL, { viewport: PHONE, bypassCSP: true });
  try {
    const page = await context.newPage();
    await page.goto(CAMPAIGN);
    await page.getByRole('link', { name: 'Share this campaign' }).click();
    assert.equal(new URL(page.url()).pathname, `${CAMPAIGN}/share`);
    await assertFits(page, 'the share kit');
    const short = await page.getByLabel(/For Mastodon, Bluesky, X/).inputValue();
    assert.match(short, /^Help .+ raised of .+ so far\. http/);
    const bsky = await page.getByRole('link', { name: 'Bluesky' }).getAttribute('href');
    assert.equal(new URL(bsky).searchParams.get('text'), short, 'the short post, filled in');
    const badge = page.locator('img[src$="/badge.svg"]');
    await badge.scrollIntoViewIfNeeded();
    assert.equal(await badge.evaluate((img) => img.complete && img.naturalWidth), 320, 'the badge loads');
    await page.screenshot({ path: shot('a1-share'), fullPage: true });

    await page.getByLabel(/Your server/).fill('@me@social.example');
    await Promise.all([
      page.waitForURL(/[?&]server=/),
      page.getByRole('button', { name: 'Share', exact: true }).click(),
    ]);
    const go = page.getByRole('link', { name: /Continue to social\.example/ });
    const href = new URL(await go.getAttribute('href'));
    assert.equal(href.origin + href.pathname, 'https://social.example/share');
    assert.equal(href.searchParams.get('text'), short);
  } finally {
    await context.close();
  }
});

test('b. another site frames the card, never the campaign page', { timeout: 60_000 }, async () => {
  let blog;
  const context = await newContext(browser, baseURL, { viewport: { width: 900, height: 900 } });
  try {
    const page = await context.newPage();
    // A page of another origin (another port on 127.0.0.1: a real loopback server, so the
    // browser's private-network rules treat it like the app) framing both.
    const html = `<!doctype html><title>A supporter's blog</title>
      <iframe id="card" title="card" src="${baseURL}${CAMPAIGN}/embed" width="420" height="380"></iframe>
      <iframe id="page" title="page" src="${baseURL}${CAMPAIGN}" width="420" height="380"></iframe>`;
    blog = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise((ok) => blog.listen(0, '127.0.0.1', ok));
    const other = `http://127.0.0.1:${blog.address().port}`;
    assert.notEqual(other, baseURL);
    await page.goto(`${other}/supporters-blog`);
    await page.waitForLoadState('load');
    const card = page.frames().find((f) => f.url().endsWith(`${CAMPAIGN}/embed`));
    assert.ok(card, `the card's frame: ${page.frames().map((f) => f.url()).join(', ')}`);
    await card.waitForSelector('.campaign-card');
    assert.match(await card.locator('.campaign-card').innerText(), /raised of/);
    assert.equal(await card.locator('[data-live]').count(), 1, 'the bar follows the live stream');
    const donate = card.getByRole('link', { name: 'Donate' });
    assert.equal(await donate.evaluate((a) => a.target || document.querySelector('base')?.target), '_blank');
    // The campaign page refuses to be framed: its frame holds no document of ours.
    const framed = page.frames().find((f) => f.url() === `${baseURL}${CAMPAIGN}`);
    const shown = framed ? await framed.locator('h1').count().catch(() => 0) : 0;
    assert.equal(shown, 0, 'the campaign page is not shown in a frame');
    await page.screenshot({ path: shot('b1-framed') });
  } finally {
    await context.close();
    blog?.close();
  }
});

test('c. the poster', { timeout: 60_000 }, async () => {
  const context = await newContext(browser, baseURL, { viewport: PHONE, bypassCSP: true });
  try {
    const page = await context.newPage();
    await page.goto(`${CAMPAIGN}/poster`);
    await assertFits(page, 'the poster');
    assert.equal(await page.locator('svg.qr[role="img"]').count(), 1);
    assert.match(await page.locator('main').innerText(), new RegExp(`${baseURL}${CAMPAIGN}`.replace(/[./]/g, '\\$&')));
    await page.screenshot({ path: shot('c1-poster'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('d. a referral link, followed, credited on the board', { timeout: 90_000 }, async () => {
  const context = await newContext(browser, baseURL, { viewport: PHONE, bypassCSP: true });
  try {
    const page = await context.newPage();
    await page.goto(`${CAMPAIGN}/share`);
    const name = `Reading circle ${Date.now() % 100000}`;
    await page.getByLabel('Your public name (optional)').fill(name);
    await page.getByLabel(/Show my name/).check();
    await Promise.all([
      page.waitForURL(new RegExp(`${CAMPAIGN}/links$`)),
      page.getByRole('button', { name: 'Make my link' }).click(),
    ]);
    await assertFits(page, 'the new link');
    const link = await page.getByLabel(/Share this address/).inputValue();
    assert.match(link, /\/r\/[A-Za-z0-9]{8}$/);
    await page.screenshot({ path: shot('d1-link'), fullPage: true });

    await page.goto(link);
    assert.match(page.url(), /\?ref=[A-Za-z0-9]{8}$/);
    await fillDonateForm(page, { amount: 17, name: 'A reader', visibility: 'public' });
    await submitDonateForm(page);
    await succeedCheckout(page);

    await page.goto(`${CAMPAIGN}/supporters`);
    await assertFits(page, 'the supporters\' board');
    const row = page.getByRole('row', { name: new RegExp(name) });
    assert.match(await row.innerText(), /17/);
    await page.screenshot({ path: shot('d2-board'), fullPage: true });
    assert.deepEqual(
      (await context.cookies()).map((c) => c.name),
      [],
      'no cookie on the way',
    );
  } finally {
    await context.close();
  }
});

test('e. the insight report', { timeout: 60_000 }, async () => {
  const context = await newContext(browser, baseURL, { viewport: PHONE, bypassCSP: true });
  try {
    const page = await context.newPage();
    assert.equal(await signIn(page, { email: 'harriet@example.org', password: 'demo-harriet-2024' }), '/admin');
    await page.goto('/admin/insight');
    await assertFits(page, 'the insight report');
    assert.equal(await page.locator('svg.timeline[role="img"]').count(), 1);
    await page.getByText('The timeline as a table').click();
    assert.ok((await page.locator('details table tbody tr').count()) > 0);
    await page.screenshot({ path: shot('e1-insight'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('f. the site that sent the visitor goes with the donate form', { timeout: 60_000 }, async () => {
  const context = await newContext(browser, baseURL, { viewport: PHONE });
  try {
    const page = await context.newPage();
    // Arriving from another site: the page's script adds its host to the form as `via`.
    await page.goto(CAMPAIGN, { referer: 'https://supporter-blog.example/our-library' });
    const via = page.locator('#donate form input[name=via]');
    await via.waitFor({ state: 'attached' });
    assert.equal(await via.inputValue(), 'supporter-blog.example');
    // From our own pages (or typed in): nothing is added.
    await page.goto(CAMPAIGN, { referer: `${baseURL}/blog` });
    await page.waitForLoadState('load');
    assert.equal(await page.locator('#donate form input[name=via]').count(), 0);
  } finally {
    await context.close();
  }
});
