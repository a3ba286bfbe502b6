// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Two demo sites federating, used the way their teams would, at phone width:
//
//  a. on the north site the owner opens Following, mistypes an address (told what to fix,
//     the text kept), then follows the south site's campaign by its @name@host address; the
//     follow waits for the south's Accept, then stands;
//  b. an editor on the south publishes an update linked to its campaign; it appears on the
//     north's Following page; the north likes it (the button shows it pressed), and the
//     south's post page counts the like;
//  c. the north replies; the reply waits in the south's moderation queue;
//  d. axe-core (serious/critical fail) and no sideways scrolling on the Following page, at
//     phone and desktop widths.
//
// Both servers are `serve --demo` on 127.0.0.1, each allowed to reach the other through
// `SHELFRAISER_OUTBOUND_ALLOW` (loopback is refused otherwise). Deliveries go through their
// job queues, so the steps wait (reloading) for what the other side sent.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  DESKTOP,
  PHONE,
  SLUG,
  formatViolations,
  horizontalOverflow,
  launch,
  newContext,
  runAxe,
  screenshotPath,
  signIn,
  startPrivateApp,
  stopPrivateApp,
  submitAndWait,
} from './lib.mjs';

const OWNER = { email: 'harriet@example.org', password: 'demo-harriet-2024' };
const EDITOR = { email: 'maribel@example.org', password: 'demo-maribel-2024' };
const BLOCKING = new Set(['serious', 'critical']);

let north;
let south;
let browser;
const shot = (name) => screenshotPath(`federation-${name}`);
const post = { title: '', url: '' };

before(async () => {
  process.env.SHELFRAISER_OUTBOUND_ALLOW = '127.0.0.1';
  [north, south] = await Promise.all([startPrivateApp(), startPrivateApp()]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await Promise.all([stopPrivateApp(north), stopPrivateApp(south)]);
});

/** Reloads `page` until `check()` holds (the other server's delivery arrived), up to 90 s. */
async function reloadUntil(page, what, check) {
  for (let i = 0; i < 90; i++) {
    if (await check()) return;
    await sleep(1_000);
    await page.reload();
  }
  assert.fail(`never happened: ${what}`);
}

test('a. the north follows the south campaign by its address', { timeout: 150_000 }, async () => {
  const context = await newContext(browser, north.url, { viewport: PHONE });
  try {
    const page = await context.newPage();
    assert.equal(await signIn(page, OWNER), '/admin');
    assert.equal(await page.locator('nav a[href="/admin/following"]').count(), 1, 'in the console menu');
    await page.goto('/admin/following');

    const form = page.locator('form[action="/admin/following/follow"]');
    await form.getByLabel(/The account's address/).fill('kalpakkam library');
    await submitAndWait(page, form.getByRole('button', { name: 'Follow', exact: true }));
    assert.match(await page.getByRole('alert').innerText(), /@name@server\.example/);
    assert.equal(await form.getByLabel(/The account's address/).inputValue(), 'kalpakkam library', 'the text is kept');

    const host = new URL(south.url).host;
    await form.getByLabel(/The account's address/).fill(`@${SLUG}@${host}`);
    const as = form.getByLabel('Follow as', { exact: true });
    const options = await as.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent })));
    const campaign = options.find((o) => /Kalpakkam/i.test(o.label || ''));
    assert.ok(campaign, `the campaign is offered: ${JSON.stringify(options)}`);
    await as.selectOption(campaign.value);
    await submitAndWait(page, form.getByRole('button', { name: 'Follow', exact: true }));
    assert.match(await page.getByRole('status').innerText(), /follow request was sent/);
    await page.screenshot({ path: shot('a1-follow-sent'), fullPage: true });
    await reloadUntil(page, 'the south accepts', async () => {
      const list = await page.locator('#follows-h + ul').innerText().catch(() => '');
      return /followed by/.test(list) && !/waiting for their server/.test(list);
    });
    await page.screenshot({ path: shot('a2-following'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('b. the south publishes; the north reads it and likes it', { timeout: 180_000 }, async () => {
  const southCtx = await newContext(browser, south.url, { viewport: PHONE });
  const northCtx = await newContext(browser, north.url, { viewport: PHONE });
  try {
    const editor = await southCtx.newPage();
    assert.equal(await signIn(editor, EDITOR), '/admin');
    await editor.goto('/admin/posts/new');
    post.title = `Shelves for the north to see (${Date.now()})`;
    await editor.getByLabel('Title', { exact: true }).fill(post.title);
    await editor.getByLabel('Text', { exact: true }).fill('The first shelves went up this week.');
    const campaign = editor.getByLabel('Campaign', { exact: true });
    const options = await campaign.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent })));
    await campaign.selectOption(options.find((o) => /Kalpakkam/i.test(o.label || '')).value);
    await Promise.all([
      editor.waitForURL(/\/admin\/posts\/[^/?]+\?saved=1$/),
      editor.getByRole('button', { name: 'Publish', exact: true }).click(),
    ]);
    post.url = new URL(await editor.getByRole('link', { name: 'View the public page' }).getAttribute('href'), south.url).pathname;

    const page = await northCtx.newPage();
    assert.equal(await signIn(page, OWNER), '/admin');
    await page.goto('/admin/following');
    const item = page.locator('article.card').filter({ hasText: post.title });
    await reloadUntil(page, 'the post reaches the north', async () => (await item.count()) === 1);
    assert.match(await item.innerText(), /first shelves went up/);
    await submitAndWait(page, item.getByRole('button', { name: 'Like', exact: true }));
    assert.match(await page.getByRole('status').innerText(), /Liked/);
    const liked = page.locator('article.card').filter({ hasText: post.title }).getByRole('button', { name: 'Unlike' });
    assert.equal(await liked.getAttribute('aria-pressed'), 'true');
    await page.screenshot({ path: shot('b1-liked'), fullPage: true });

    const reader = await southCtx.newPage();
    await reader.goto(post.url);
    await reloadUntil(reader, 'the like reaches the south', async () => {
      const main = await reader.locator('main').innerText();
      return /1 person likes this/.test(main) && /Liked or boosted by/.test(main);
    });
    await reader.screenshot({ path: shot('b2-south-post-liked'), fullPage: true });
  } finally {
    await southCtx.close();
    await northCtx.close();
  }
});

test('c. the north replies; the reply waits in the south moderation queue', { timeout: 150_000 }, async () => {
  assert.ok(post.title, 'flow b published a post');
  const northCtx = await newContext(browser, north.url, { viewport: PHONE });
  const southCtx = await newContext(browser, south.url, { viewport: PHONE });
  try {
    const page = await northCtx.newPage();
    assert.equal(await signIn(page, OWNER), '/admin');
    await page.goto('/admin/following');
    const item = page.locator('article.card').filter({ hasText: post.title });
    await item.getByText('Reply', { exact: true }).click();
    const text = `Congratulations from the north (${Date.now()})!`;
    await item.getByLabel(/Your reply/).fill(text);
    await submitAndWait(page, item.getByRole('button', { name: 'Send reply' }));
    assert.match(await page.getByRole('status').innerText(), /reply was sent/);
    assert.equal(await page.locator('article.card').filter({ hasText: text }).count(), 1, 'our reply is listed');

    const queue = await southCtx.newPage();
    assert.equal(await signIn(queue, EDITOR), '/admin');
    await queue.goto('/admin/comments?status=pending');
    await reloadUntil(queue, 'the reply reaches the south', async () => (await queue.locator('li.comment').filter({ hasText: text }).count()) === 1);
    await queue.screenshot({ path: shot('c1-south-queue'), fullPage: true });
  } finally {
    await northCtx.close();
    await southCtx.close();
  }
});

for (const [device, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
  test(`d. the Following page on ${device}: axe and no sideways scrolling`, { timeout: 60_000 }, async () => {
    const context = await newContext(browser, north.url, { viewport, bypassCSP: true });
    try {
      const page = await context.newPage();
      assert.equal(await signIn(page, OWNER), '/admin');
      await page.goto('/admin/following');
      await page.waitForLoadState('load');
      const blocking = (await runAxe(page)).filter((v) => BLOCKING.has(v.impact));
      assert.deepEqual(blocking, [], formatViolations(`/admin/following (${device})`, blocking));
      const { overflow, culprits } = await horizontalOverflow(page);
      assert.ok(overflow <= 0, `/admin/following is ${overflow}px wider than the viewport: ${culprits.join('; ')}`);
      await page.screenshot({ path: shot(`d-${device}`), fullPage: true });
    } finally {
      await context.close();
    }
  });
}
