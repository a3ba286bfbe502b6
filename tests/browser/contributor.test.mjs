// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The team's week on a phone (390 px wide), with the demo team that `serve --demo` seeds
// (src/app/demo.rs TEAM):
//
//  a. a member (Wendell) signs in, writes a draft, saves it, submits it for review; their
//     editor offers "Save draft" and "Submit for review" and never "Publish";
//  b. an editor (Maribel) finds it waiting for review, opens it and publishes it; the public
//     page shows it;
//  c. the owner's invitation form suggests the browser's time zone (here Europe/Copenhagen;
//     the owner's is Europe/London), and keeps the owner's own zone without JavaScript.
//
// Each flow runs in a fresh browser context; pages are checked with axe-core (serious and
// critical fail) and for sideways scrolling. The contexts bypass CSP only so that axe-core
// can be injected.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { formatViolations, launch, newContext, runAxe, screenshotPath, signIn, startApp, stopApp } from './lib.mjs';

const MEMBER = { email: 'wendell@example.org', password: 'demo-wendell-2024' };
const EDITOR = { email: 'maribel@example.org', password: 'demo-maribel-2024' };
const OWNER = { email: 'harriet@example.org', password: 'demo-harriet-2024' };
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

/** axe finds nothing serious, and the page does not scroll sideways. */
async function assertFits(t, page, label) {
  await page.waitForLoadState('load');
  const violations = (await runAxe(page)).filter((v) => BLOCKING.has(v.impact));
  assert.deepEqual(violations, [], formatViolations(`${label} at ${page.url()}`, violations));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${label}: ${overflow}px wider than the viewport`);
  t.diagnostic(`${label}: fits, no serious axe findings`);
}

describe('the team week on a phone (390 px)', () => {
  const ctx = (opts = {}) => newContext(browser, baseURL, { viewport: PHONE_390, bypassCSP: true, ...opts });
  const shot = (name) => screenshotPath(`contributor-${name}`);
  const post = { title: `Story hour by a volunteer (${Date.now()})`, editorPath: '' };

  test('a. a member writes a draft and submits it for review', { timeout: 90_000 }, async (t) => {
    const context = await ctx();
    try {
      const page = await context.newPage();
      assert.equal(await signIn(page, MEMBER), '/admin');
      await page.getByRole('link', { name: 'Posts', exact: true }).click();
      await page.getByRole('link', { name: 'New post', exact: true }).click();
      assert.equal(new URL(page.url()).pathname, '/admin/posts/new');
      assert.equal(await page.getByRole('button', { name: 'Publish', exact: true }).count(), 0, 'no Publish for a member');
      assert.equal(await page.locator('#status').count(), 0, 'no status field for a member');
      await assertFits(t, page, 'the member’s new post');

      await page.getByLabel('Title', { exact: true }).fill(post.title);
      await page.getByLabel('Text', { exact: true }).fill('Every Saturday at ten, a volunteer reads aloud to the children.');
      await Promise.all([
        page.waitForURL(/\/admin\/posts\/[^/?]+\?saved=1$/),
        page.getByRole('button', { name: 'Save draft', exact: true }).click(),
      ]);
      post.editorPath = new URL(page.url()).pathname;
      await page.screenshot({ path: shot('a1-draft-saved'), fullPage: true });

      await Promise.all([
        page.waitForURL(/\?saved=submitted$/),
        page.getByRole('button', { name: 'Submit for review', exact: true }).click(),
      ]);
      assert.match(await page.getByRole('status').first().innerText(), /Submitted for review/);
      assert.match(await page.locator('#pending-note').innerText(), /waits for an editor/);
      await page.screenshot({ path: shot('a2-submitted'), fullPage: true });
      await assertFits(t, page, 'the submitted post');

      await page.goto('/admin/posts');
      const row = page.locator('tr').filter({ hasText: post.title });
      assert.match(await row.innerText(), /Pending review/);
    } finally {
      await context.close();
    }
  });

  test('b. an editor publishes what waits for review', { timeout: 90_000 }, async (t) => {
    assert.ok(post.editorPath, 'flow a submitted a post');
    const context = await ctx();
    try {
      const page = await context.newPage();
      assert.equal(await signIn(page, EDITOR), '/admin');
      await page.goto('/admin/posts');
      const waiting = page.locator('#pending-review a');
      assert.match(await waiting.innerText(), /wait(s)? for review/);
      await waiting.click();
      await page.screenshot({ path: shot('b1-pending-list'), fullPage: true });
      await assertFits(t, page, 'posts waiting for review');
      await page.getByRole('link', { name: post.title, exact: true }).click();
      assert.equal(new URL(page.url()).pathname, post.editorPath);
      // "Publish" is the first (primary) button on a post waiting for review.
      const first = page.locator('p.buttons button:not([hidden])').first();
      assert.equal((await first.innerText()).trim(), 'Publish');
      await Promise.all([page.waitForURL(/\?saved=1$/), first.click()]);
      assert.ok(await page.getByRole('button', { name: 'Unpublish', exact: true }).isVisible(), 'published');
      const href = await page.getByRole('link', { name: 'View the public page' }).getAttribute('href');
      await page.screenshot({ path: shot('b2-published'), fullPage: true });
      await page.goto(href);
      assert.match(await page.locator('main').innerText(), /volunteer reads aloud/);
    } finally {
      await context.close();
    }
  });

  test('c. the invitation form suggests the browser’s time zone', { timeout: 90_000 }, async (t) => {
    for (const javaScriptEnabled of [true, false]) {
      const context = await ctx({ timezoneId: 'Europe/Copenhagen', javaScriptEnabled });
      try {
        const page = await context.newPage();
        assert.equal(await signIn(page, OWNER), '/admin');
        await page.goto('/admin/members');
        const zone = page.getByLabel('Time zone', { exact: true });
        if (javaScriptEnabled) {
          await assert.doesNotReject(page.waitForFunction(() => document.querySelector('#invite-zone').value === 'Europe/Copenhagen'));
          assert.ok(await page.locator('#invite-zone-suggested').isVisible(), 'the suggestion is said');
          await page.locator('#invite').screenshot({ path: shot('c1-invite-zone-suggested') });
          await assertFits(t, page, 'the invitation form');
        } else {
          assert.equal(await zone.inputValue(), 'Europe/London', 'without JavaScript: the owner’s zone');
          assert.ok(!(await page.locator('#invite-zone-suggested').isVisible()));
        }
      } finally {
        await context.close();
      }
    }
  });
});
