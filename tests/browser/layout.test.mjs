// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Every public page of the demo fits its column: at 360 px wide (a small phone) and at
// 1280 px (a desktop) no page scrolls sideways — `document.documentElement.scrollWidth`
// greater than `innerWidth` fails, naming the page and the elements that stick out.
//
// The pages: every URL in /sitemap.xml (front page, blog, campaigns, posts, pages), the public
// pages those link to, two levels deep (donor list, tag, category and author archives…),
// each post's month archive, and a search with results. The demo has an update with
// a 1,200 px picture, a six-column table and a long line of code (src/app/demo/blog.rs); the
// test checks they are among the pages, so it can fail.
//
// The viewport is a plain 360 px window, not an emulated phone: a phone browser zooms out to
// show a page that is too wide, which would hide the overflow this test looks for.
//
// What scrolls inside its own box instead (tables, code) must be reachable by keyboard: axe's
// `scrollable-region-focusable` rule runs on every page too, in a second context that lets
// axe in past the CSP (the widths are measured under the site's real CSP).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { AXE_SOURCE, DESKTOP, PHONE, launch, newContext, screenshotPath, startApp, stopApp } from './lib.mjs';

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

// Not pages to read: the console and account pages, sign-in, APIs, feeds, files, the
// language switch, the test checkout, the live stream.
const SKIP =
  /^\/(admin|account|signin|signout|signout-everywhere|reset|invite|api|lang|static|media|providers|test-checkout|healthz|readyz|metrics|passkeys|comments|posts)(\/|$|\?)|\/feed\.(atom|xml|json)$|\/live$|^\/sitemap\.xml$|^\/robots\.txt$|\/thanks\//;

/** `href` as a path on the app (path + query, no fragment), or null when it is elsewhere. */
function localPath(href, from) {
  let u;
  try {
    u = new URL(href.replace(/&amp;/g, '&'), from);
  } catch {
    return null;
  }
  if (u.origin !== new URL(baseURL).origin) return null;
  const path = u.pathname + u.search;
  return SKIP.test(u.pathname) ? null : path;
}

/** The public pages: the sitemap, then links two levels deep, then archives and search. */
async function publicPages() {
  const xml = await (await fetch(`${baseURL}/sitemap.xml`)).text();
  const seen = new Set();
  let level = [];
  for (const m of xml.matchAll(/<loc>([^<]+)<\/loc>/g)) {
    const p = localPath(m[1], baseURL);
    if (p && !seen.has(p)) {
      seen.add(p);
      level.push(p);
    }
  }
  assert.ok(level.length >= 5, `the sitemap lists the demo's pages: ${[...seen].join(' ')}`);
  for (let depth = 0; depth < 2; depth++) {
    const next = [];
    for (const path of level) {
      const res = await fetch(baseURL + path);
      if (!(res.headers.get('content-type') || '').startsWith('text/html')) continue;
      const html = await res.text();
      for (const m of html.matchAll(/\shref="([^"]*)"/g)) {
        const p = localPath(m[1], baseURL + path);
        if (p && !seen.has(p) && seen.size < 200) {
          seen.add(p);
          next.push(p);
        }
      }
    }
    level = next;
  }
  // Month archives of the dated posts, and a search that finds something.
  for (const p of [...seen]) {
    const m = p.match(/^\/(\d{4})\/(\d{2})\/\d{2}\/[^/]+\/$/);
    if (m) seen.add(`/${m[1]}/${m[2]}/`);
  }
  seen.add('/search?q=library');
  return [...seen].sort();
}

let pages;

/** Loads each page at `viewport`; returns [path, scrollWidth, innerWidth, culprits] of those too wide. */
async function tooWide(viewport, label) {
  const context = await newContext(browser, baseURL, { viewport });
  const page = await context.newPage();
  const wide = [];
  const found = { img: 0, table: 0, pre: 0 };
  try {
    for (const path of pages) {
      const res = await page.goto(path, { waitUntil: 'load' });
      assert.ok(res && res.status() < 400, `${path} answers ${res && res.status()}`);
      const r = await page.evaluate(() => {
        const vw = window.innerWidth;
        const out = [];
        for (const el of document.body.querySelectorAll('*')) {
          const b = el.getBoundingClientRect();
          if (b.right > vw + 0.5 && out.length < 4) {
            out.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ')[0] : ''} (right edge ${Math.round(b.right)})`);
          }
        }
        return {
          sw: document.documentElement.scrollWidth,
          vw,
          out,
          img: [...document.querySelectorAll('main img[width]')].filter((i) => Number(i.getAttribute('width')) >= 1200).length,
          table: document.querySelectorAll('main table').length,
          pre: document.querySelectorAll('main pre').length,
        };
      });
      found.img += r.img;
      found.table += r.table;
      found.pre += r.pre;
      if (r.sw > r.vw) {
        wide.push([path, r.sw, r.vw, r.out]);
        const name = `layout-${label}-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'front'}`;
        await page.screenshot({ path: screenshotPath(name), fullPage: false });
      }
    }
  } finally {
    await context.close();
  }
  return { wide, found };
}

/** Scroll boxes a keyboard cannot reach, per page, at `viewport`: [path, targets]. */
async function unreachable(viewport) {
  const context = await newContext(browser, baseURL, { viewport, bypassCSP: true });
  const page = await context.newPage();
  const out = [];
  try {
    for (const path of pages) {
      await page.goto(path, { waitUntil: 'load' });
      await page.addScriptTag({ content: AXE_SOURCE });
      const targets = await page.evaluate(async () => {
        const r = await window.axe.run(document, {
          runOnly: ['scrollable-region-focusable'],
          resultTypes: ['violations'],
        });
        return r.violations.flatMap((v) => v.nodes.map((n) => n.target.join(' ')));
      });
      if (targets.length) out.push([path, targets]);
    }
  } finally {
    await context.close();
  }
  return out;
}

function report(wide) {
  return wide.map(([p, sw, vw, out]) => `  ${p}: ${sw} px wide in a ${vw} px window; sticking out: ${out.join(', ')}`).join('\n');
}

test('the demo has public pages to check, with a wide picture, a table and code', { timeout: 60_000 }, async () => {
  pages = await publicPages();
  const has = (re) => pages.some((p) => re.test(p));
  assert.ok(has(/^\/campaigns\/[^/]+$/), `a campaign page among ${pages.join(' ')}`);
  assert.ok(has(/\/donors$/), 'the donor list');
  assert.ok(has(/^\/blog\/$/), 'the blog');
  assert.ok(has(/^\/(tag|category)\//), 'tag or category archives');
  assert.ok(has(/^\/about\/$/), 'a page');
  console.log(`# ${pages.length} pages: ${pages.join(' ')}`);
});

for (const [label, viewport] of [
  ['phone', PHONE],
  ['desktop', DESKTOP],
]) {
  test(`no public page scrolls sideways at ${viewport.width} px (${label}); its scroll boxes take the keyboard`, { timeout: 300_000 }, async () => {
    if (!pages) pages = await publicPages();
    const { wide, found } = await tooWide(viewport, label);
    // The content that would overflow is there (else this test could not fail).
    assert.ok(found.img > 0, 'a page shows a picture 1,200 px wide');
    assert.ok(found.table > 0, 'a page shows a table');
    assert.ok(found.pre > 0, 'a page shows a block of code');
    assert.equal(wide.length, 0, `pages wider than the window at ${viewport.width} px:\n${report(wide)}`);
    const stuck = await unreachable(viewport);
    assert.deepEqual(stuck, [], `scroll boxes a keyboard cannot reach at ${viewport.width} px`);
  });
}
