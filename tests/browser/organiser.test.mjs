// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The team console in a real browser, on desktop and phone widths, with the demo team that
// `serve --demo` seeds (src/demo.rs TEAM; the server prints these e-mails and passwords at
// start-up):
//
//  a. the owner turns on two-factor sign-in (the TOTP code is computed here, RFC 6238),
//     signs out and in again through /signin/2fa, then turns it off again so that the next
//     run (and the other test files) find the demo as it was;
//  b. an editor changes the campaign's summary (Preview, then Save) and the public page
//     shows it;
//  c. the editor publishes an update linked to the campaign: it is on the campaign page and
//     on /blog/;
//  d. a visitor comments on that update: held, approved by the editor in /admin/comments,
//     then shown on the post;
//  e. axe-core (serious/critical fail) on the console pages, /account and /signin, and no
//     sideways scrolling at phone width.
//
// Each flow runs in a fresh browser context. The contexts bypass CSP only so that axe-core
// can be injected.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  CAMPAIGN,
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
  startApp,
  stopApp,
  submitAndWait,
} from './lib.mjs';

// The demo team (invented people; src/demo.rs TEAM).
const OWNER = { email: 'harriet@example.org', password: 'demo-harriet-2024' };
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

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238 over RFC 4226: HMAC-SHA1, 6 digits, 30 s steps)

const STEP_SECS = 30;

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.toUpperCase().replace(/[\s=]/g, '')) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${JSON.stringify(text)}`);
    value = ((value << 5) | i) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The 6-digit code of time step `step` for a base32 secret. */
export function totp(secretB32, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32Decode(secretB32)).update(counter).digest();
  const offset = h[h.length - 1] & 0x0f;
  const bin = h.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 1_000_000).padStart(6, '0');
}

// The owner's last used time step, over both runs: the server keeps it when two-factor is
// turned off, so turning it on again within the same step would be a replay.
let ownerStep = -1;

const stepNow = () => Math.floor(Date.now() / 1000 / STEP_SECS);

/**
 * A code of a time step later than `usedStep` (the server refuses replays: a code must belong
 * to a later step than the last one used). Waits for the next step when needed.
 */
async function freshCode(secret, usedStep = -1) {
  while (stepNow() <= usedStep) {
    const msToNext = (stepNow() + 1) * STEP_SECS * 1000 - Date.now();
    await sleep(msToNext + 250);
  }
  const step = stepNow();
  return { step, code: totp(secret, step) };
}

// RFC 6238 appendix B (SHA-1, 8 digits there; the last 6 of them here), so the helper is right
// before any browser is involved.
test('TOTP helper matches the RFC 6238 test vectors', () => {
  const secret = Buffer.from('12345678901234567890').toString('hex');
  // base32 of the ASCII secret "12345678901234567890".
  const b32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  assert.equal(base32Decode(b32).toString('hex'), secret);
  assert.equal(totp(b32, Math.floor(59 / 30)), '287082');
  assert.equal(totp(b32, Math.floor(1111111109 / 30)), '081804');
  assert.equal(totp(b32, Math.floor(1234567890 / 30)), '005924');
  assert.equal(totp(b32, Math.floor(2000000000 / 30)), '279037');
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** axe-core finds nothing serious or critical on the page as it is now. */
async function assertAccessible(t, page, label) {
  await page.waitForLoadState('load');
  const violations = await runAxe(page);
  const blocking = violations.filter((v) => BLOCKING.has(v.impact));
  const minor = violations.filter((v) => !BLOCKING.has(v.impact));
  if (minor.length && t) {
    for (const line of formatViolations(`${label}, not blocking`, minor).split('\n')) t.diagnostic(line);
  }
  if (blocking.length) {
    const text = formatViolations(`${label} at ${page.url()}`, blocking);
    console.error(`\n${text}\n`);
    assert.fail(`APP BUG (accessibility): ${text}`);
  }
}

const DEVICES = [
  ['desktop', DESKTOP],
  ['phone', PHONE],
];

for (const [device, viewport] of DEVICES) {
  describe(`team console on ${device} (${viewport.width}x${viewport.height})`, () => {
    const ctx = (opts = {}) => newContext(browser, baseURL, { viewport, bypassCSP: true, ...opts });
    const shot = (name) => screenshotPath(`organiser-${device}-${name}`);
    // Flow c's post, for flow d.
    const post = { title: '', url: '' };

    test('a. the owner turns on two-factor sign-in and signs in with a code', { timeout: 240_000 }, async (t) => {
      const context = await ctx();
      let secret = '';
      let usedStep = ownerStep;
      let enabled = false;
      const page = await context.newPage();
      try {
        assert.equal(await signIn(page, OWNER), '/admin', 'the owner has no two-factor yet: straight to the console');

        await page.goto('/account/2fa');
        secret = (await page.locator('#totp-secret').innerText()).replace(/\s+/g, '');
        assert.match(secret, /^[A-Z2-7]{32}$/, 'a 160-bit base32 secret is shown');
        assert.ok(await page.getByRole('img', { name: 'QR code for your authenticator app' }).isVisible());
        await page.screenshot({ path: shot('a1-2fa-setup'), fullPage: true });
        await assertAccessible(t, page, `2FA setup (${device})`);

        let c = await freshCode(secret, usedStep);
        await page.getByLabel('Enter the six-digit code the app shows').fill(c.code);
        await submitAndWait(page, page.getByRole('button', { name: 'Turn on two-factor sign-in' }));
        usedStep = c.step;
        enabled = true;
        assert.match(await page.locator('main').innerText(), /Two-factor sign-in is on\./, 'the code turned two-factor on');
        assert.equal(await page.locator('ol.codes li').count(), 10, 'ten recovery codes, shown once');
        await page.screenshot({ path: shot('a2-2fa-enabled'), fullPage: true });
        await assertAccessible(t, page, `2FA enabled with recovery codes (${device})`);

        // Sign out from the console.
        await page.goto('/admin');
        await Promise.all([
          page.waitForURL((u) => u.pathname !== '/admin'),
          page.getByRole('button', { name: 'Sign out', exact: true }).click(),
        ]);
        await page.goto('/admin');
        assert.match(new URL(page.url()).pathname, /^\/signin/, 'signed out: the console asks to sign in');

        // Password first, then the second step.
        assert.equal(await signIn(page, OWNER), '/signin/2fa');
        await page.screenshot({ path: shot('a3-signin-2fa'), fullPage: true });
        await assertAccessible(t, page, `/signin/2fa (${device})`);
        // The code that turned it on is refused now (a replay) unless its step is over; a
        // fresh step's code gets in.
        c = await freshCode(secret, usedStep);
        await page.getByLabel('Code', { exact: true }).fill(c.code);
        await Promise.all([
          page.waitForURL((u) => u.pathname === '/admin'),
          page.getByRole('button', { name: 'Continue', exact: true }).click(),
        ]);
        usedStep = c.step;
        assert.match(await page.locator('.console-head .me').innerText(), /Harriet/);
        await page.screenshot({ path: shot('a4-console-after-2fa'), fullPage: true });
      } finally {
        // Turn it off again (needs yet another fresh code), so the demo stays as it was.
        if (enabled) {
          try {
            await page.goto('/account/2fa');
            const form = page.locator('form[action="/account/2fa/disable"]');
            if ((await form.count()) === 1) {
              const c = await freshCode(secret, usedStep);
              await form.getByLabel('Code from your authenticator app').fill(c.code);
              await Promise.all([
                page.waitForURL(/\/account\?notice=2fa-disabled$/),
                form.getByRole('button', { name: 'Turn off two-factor sign-in' }).click(),
              ]);
              usedStep = c.step;
            }
          } catch (e) {
            t.diagnostic(`could not turn two-factor off again: ${e}`);
          }
        }
        ownerStep = Math.max(ownerStep, usedStep);
        await context.close();
      }
    });

    test('b. an editor changes the campaign summary (Preview, then Save)', { timeout: 90_000 }, async () => {
      const context = await ctx();
      try {
        const page = await context.newPage();
        assert.equal(await signIn(page, EDITOR), '/admin');
        await page.goto(`/admin/campaigns/${SLUG}`);
        const summary = page.getByLabel('Summary (one or two sentences)');
        const original = await summary.inputValue();
        const edited = `Edited from the ${device} console at ${Date.now()}: every book counts.`;
        await summary.fill(edited);

        await submitAndWait(page, page.getByRole('button', { name: 'Preview', exact: true }));
        assert.ok(await page.getByRole('heading', { name: 'Preview of the story' }).isVisible(), 'the preview is shown');
        assert.equal(await page.getByLabel('Summary (one or two sentences)').inputValue(), edited, 'the preview keeps the edit');
        await page.screenshot({ path: shot('b1-campaign-preview'), fullPage: true });
        // Nothing saved yet.
        const publicPage = await context.newPage();
        await publicPage.goto(CAMPAIGN);
        assert.notEqual((await publicPage.locator('.summary').first().innerText()).trim(), edited);

        await Promise.all([
          page.waitForURL(new RegExp(`/admin/campaigns/${SLUG}\\?saved=1$`)),
          page.getByRole('button', { name: 'Save', exact: true }).click(),
        ]);
        assert.match(await page.getByRole('status').first().innerText(), /Saved/);
        await page.screenshot({ path: shot('b2-campaign-saved'), fullPage: true });

        await publicPage.goto(CAMPAIGN);
        assert.equal((await publicPage.locator('.summary').first().innerText()).trim(), edited);
        await publicPage.screenshot({ path: shot('b3-campaign-public') });

        // Put the summary back as it was.
        await page.goto(`/admin/campaigns/${SLUG}`);
        await page.getByLabel('Summary (one or two sentences)').fill(original);
        await Promise.all([
          page.waitForURL(/\?saved=1$/),
          page.getByRole('button', { name: 'Save', exact: true }).click(),
        ]);
      } finally {
        await context.close();
      }
    });

    test('c. the editor publishes an update linked to the campaign', { timeout: 90_000 }, async () => {
      const context = await ctx();
      try {
        const page = await context.newPage();
        assert.equal(await signIn(page, EDITOR), '/admin');
        await page.goto('/admin/posts/new');
        post.title = `Shelves are up (${device} ${Date.now()})`;
        await page.getByLabel('Title', { exact: true }).fill(post.title);
        await page
          .getByLabel('Text', { exact: true })
          .fill(`The first shelves went up this week.\n\nThanks to everyone who gave: this was written in the ${device} test.`);
        const campaign = page.getByLabel('Campaign', { exact: true });
        const options = await campaign.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent })));
        const ours = options.find((o) => /Kalpakkam/i.test(o.label || ''));
        assert.ok(ours, `the campaign is offered: ${JSON.stringify(options)}`);
        await campaign.selectOption(ours.value);
        await page.screenshot({ path: shot('c1-post-new'), fullPage: true });

        await Promise.all([
          page.waitForURL(/\/admin\/posts\/[^/?]+\?saved=1$/),
          page.getByRole('button', { name: 'Publish', exact: true }).click(),
        ]);
        const view = page.getByRole('link', { name: 'View the public page' });
        post.url = new URL(await view.getAttribute('href'), baseURL).pathname;
        assert.ok(await page.getByRole('button', { name: 'Unpublish', exact: true }).isVisible(), 'published');
        await page.screenshot({ path: shot('c2-post-published'), fullPage: true });

        await page.goto(CAMPAIGN);
        const updates = page.locator('#updates');
        assert.match(await updates.innerText(), new RegExp(post.title.replace(/[()]/g, '\\$&')));
        assert.equal(new URL(await updates.getByRole('link', { name: post.title }).getAttribute('href'), baseURL).pathname, post.url);
        await updates.screenshot({ path: shot('c3-campaign-updates') });

        await page.goto('/blog/');
        assert.ok(await page.getByRole('link', { name: post.title }).first().isVisible(), 'on the blog home');
        await page.goto(post.url);
        assert.match(await page.locator('main').innerText(), /first shelves went up/);
      } finally {
        await context.close();
      }
    });

    test('d. a visitor comments; held until the editor approves it', { timeout: 90_000 }, async (t) => {
      assert.ok(post.url, 'flow c published a post');
      const author = `Visitor ${device} ${Date.now() % 100000}`;
      const body = `Lovely news from ${device}! Can we visit the library (${Date.now()})?`;

      const visitor = await ctx();
      const editor = await ctx();
      try {
        const page = await visitor.newPage();
        await page.goto(post.url);
        const respond = page.locator('#respond');
        await respond.getByLabel('Name', { exact: true }).fill(author);
        await respond.getByLabel('E-mail', { exact: true }).fill(`visitor-${device}-${Date.now()}@example.net`);
        await respond.getByLabel('Comment', { exact: true }).fill(body);
        // Under 3 s from the form's token to the post counts as a bot.
        await sleep(3_500);
        await submitAndWait(page, respond.getByRole('button', { name: 'Post comment' }));
        // The answer is a page of its own (/posts/{id}/comments) with the notice as a status.
        assert.match(await page.getByRole('status').first().innerText(), /waiting for moderation/);
        await page.screenshot({ path: shot('d1-comment-held'), fullPage: true });
        await assertAccessible(t, page, `post with the held notice (${device})`);
        await page.goto(post.url);
        assert.doesNotMatch(await page.locator('#comments').innerText(), new RegExp(author), 'held: not shown yet');

        const queue = await editor.newPage();
        assert.equal(await signIn(queue, EDITOR), '/admin');
        await queue.goto('/admin/comments?status=pending');
        const item = queue.locator('li.comment').filter({ hasText: body });
        assert.equal(await item.count(), 1, 'the held comment is in the queue');
        await queue.screenshot({ path: shot('d2-moderation-queue'), fullPage: true });
        await submitAndWait(queue, item.getByRole('button', { name: `Approve ${author}` }));
        assert.equal(await queue.locator('li.comment').filter({ hasText: body }).count(), 0, 'gone from the pending queue');

        await page.goto(post.url);
        const comments = page.locator('#comments');
        assert.match(await comments.innerText(), new RegExp(author));
        assert.match(await comments.innerText(), /Lovely news from/);
        await comments.screenshot({ path: shot('d3-comment-approved') });
      } finally {
        await visitor.close();
        await editor.close();
      }
    });

    test('e. console, account and sign-in pages: axe and no sideways scrolling', { timeout: 120_000 }, async (t) => {
      const signedOut = await ctx();
      const context = await ctx();
      const problems = [];
      try {
        const pages = [
          ['/signin', signedOut],
          ['/admin', context],
          [`/admin/campaigns/${SLUG}`, context],
          ['/admin/posts/new', context],
          ['/admin/comments', context],
          ['/account', context],
        ];
        const page = await context.newPage();
        assert.equal(await signIn(page, EDITOR), '/admin');
        const anon = await signedOut.newPage();
        for (const [path, c] of pages) {
          const p = c === context ? page : anon;
          const res = await p.goto(path);
          assert.equal(res.status(), 200, `${path} answers 200`);
          assert.equal(new URL(p.url()).pathname, path, `${path} is not redirected`);
          await p.screenshot({ path: shot(`e-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'root'}`), fullPage: true });
          try {
            await assertAccessible(t, p, `${path} (${device})`);
          } catch (e) {
            problems.push(e.message);
          }
          if (viewport.width === PHONE.width) {
            const { overflow, culprits } = await horizontalOverflow(p);
            if (overflow > 0) {
              problems.push(`APP BUG (layout): ${path} is ${overflow}px wider than the ${viewport.width}px viewport; sticking out: ${culprits.join('; ')}`);
            }
          }
        }
        assert.deepEqual(problems, [], problems.join('\n\n'));
      } finally {
        await signedOut.close();
        await context.close();
      }
    });
  });
}
