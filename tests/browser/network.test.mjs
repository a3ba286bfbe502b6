// SPDX-License-Identifier: AGPL-3.0-or-later
//
// What the donor's browser fetches: only the app's own origin, and little of it.
//
// * Every request on every page a donor sees goes to the app's origin (no CDN, font, analytics).
// * The campaign page's HTML, compressed as a browser asks for it, fits in 14 KB (about the
//   first round trip of a new TCP connection); a first visit transfers at most 60 KB in all.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { CAMPAIGN, fillDonateForm, launch, newContext, startApp, stopApp, submitDonateForm, succeedCheckout } from './lib.mjs';

const HTML_LIMIT = 14 * 1024;
const FIRST_VISIT_LIMIT = 60 * 1024;

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

/** Lets the page settle: its load event plus a moment for late requests (the live stream). */
async function settle(page) {
  await page.waitForLoadState('load');
  await page.waitForTimeout(500);
}

test('every page a donor sees only talks to the app\'s own origin', { timeout: 60_000 }, async (t) => {
  const origin = new URL(baseURL).origin;
  const context = await newContext(browser, baseURL);
  const foreign = [];
  const seen = new Set();
  let where = '(start)';
  // Context-wide, so that requests from every page and worker are seen.
  context.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.href === 'about:blank') return;
    seen.add(`${r.method()} ${u.pathname}`);
    if (u.origin !== origin) foreign.push(`${where}: ${r.method()} ${r.url()} (${r.resourceType()})`);
  });
  try {
    const page = await context.newPage();
    const visit = async (label, fn) => {
      where = label;
      await fn();
      await settle(page);
    };
    await visit('front page', () => page.goto('/'));
    await visit('campaign', () => page.goto(CAMPAIGN));
    await visit('campaign (da)', () => page.goto(`/lang/da?next=${CAMPAIGN}`));
    await visit('campaign (en again)', () => page.goto(`/lang/en?next=${CAMPAIGN}`));
    await visit('checkout', async () => {
      await fillDonateForm(page, { currency: 'EUR', amount: '30', name: 'Origin test' });
      await submitDonateForm(page);
    });
    await visit('thanks', () => succeedCheckout(page));
    await visit('donors', () => page.goto(`${CAMPAIGN}/donors`));
    await visit('404', () => page.goto('/no-such-page'));
    t.diagnostic(`requests seen: ${[...seen].sort().join(', ')}`);
    assert.ok(seen.size >= 8, 'the pages were actually visited');
    assert.deepEqual(foreign, [], `requests to other origins than ${origin}`);
  } finally {
    await context.close();
  }
});

/** GET `path` with the given Accept-Encoding; returns the status, headers and bytes on the wire. */
function rawGet(path, acceptEncoding) {
  return new Promise((ok, fail) => {
    const req = http.get(new URL(path, baseURL), { headers: { 'accept-encoding': acceptEncoding }, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (b) => (bytes += b.length));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, bytes }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.setTimeout(15_000, () => req.destroy(new Error(`GET ${path} timed out`)));
  });
}

test(`the campaign page's HTML is at most ${HTML_LIMIT} bytes compressed`, { timeout: 30_000 }, async (t) => {
  const identity = await rawGet(CAMPAIGN, 'identity');
  const br = await rawGet(CAMPAIGN, 'br, gzip');
  const gzip = await rawGet(CAMPAIGN, 'gzip');
  assert.equal(br.status, 200);
  t.diagnostic(
    `campaign HTML: ${identity.bytes} B uncompressed, ${br.bytes} B as ${br.headers['content-encoding'] ?? 'identity'} ` +
      `(Accept-Encoding: br, gzip), ${gzip.bytes} B as ${gzip.headers['content-encoding'] ?? 'identity'} (gzip only)`,
  );
  assert.match(br.headers['content-encoding'] ?? '', /^(br|gzip)$/, 'the HTML is sent compressed');
  assert.ok(br.bytes <= HTML_LIMIT, `compressed HTML is ${br.bytes} B, over ${HTML_LIMIT} B`);
  assert.ok(gzip.bytes <= HTML_LIMIT, `gzip-only HTML is ${gzip.bytes} B, over ${HTML_LIMIT} B`);
});

test(`a first visit to the campaign page transfers at most ${FIRST_VISIT_LIMIT} bytes`, { timeout: 60_000 }, async (t) => {
  const context = await newContext(browser, baseURL);
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    // requestId -> what arrived. `wire` is Chromium's count of bytes received for the request
    // (response headers + compressed body), `headers` the part of it before the body.
    const reqs = new Map();
    const get = (id) => {
      if (!reqs.has(id)) reqs.set(id, { url: '?', headers: 0, body: 0, wire: 0, done: false, encoding: '', status: 0 });
      return reqs.get(id);
    };
    cdp.on('Network.requestWillBeSent', (e) => (get(e.requestId).url = e.request.url));
    cdp.on('Network.responseReceived', (e) => {
      const r = get(e.requestId);
      r.status = e.response.status;
      const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
      r.encoding = h['content-encoding'] || '';
      // At this point encodedDataLength is what arrived so far: the status line and headers.
      r.headers = e.response.encodedDataLength || 0;
    });
    // Chromium reports no body chunks for an open event stream, only its messages: count each
    // as the text it came as (the stream is not compressed).
    cdp.on('Network.eventSourceMessageReceived', (e) => {
      get(e.requestId).body += Buffer.byteLength(`event: ${e.eventName}\ndata: ${e.data}\n\n`);
    });
    cdp.on('Network.loadingFinished', (e) => {
      const r = get(e.requestId);
      r.wire = e.encodedDataLength;
      r.done = true;
    });

    await page.goto(CAMPAIGN);
    await page.locator('[data-live][data-version]').waitFor({ state: 'attached', timeout: 10_000 });
    await page.waitForTimeout(1000);

    let total = 0;
    let bodies = 0;
    const lines = [];
    for (const r of reqs.values()) {
      if (r.url.startsWith('data:')) continue;
      // The live stream never finishes: count its headers and the messages so far.
      const wire = r.done ? r.wire : r.headers + r.body;
      const body = r.done ? wire - r.headers : r.body;
      total += wire;
      bodies += body;
      lines.push(`${new URL(r.url).pathname} ${r.status} ${r.encoding || 'identity'} ${wire} B, body ${body} B${r.done ? '' : ' (open stream, so far)'}`);
    }
    t.diagnostic(`first visit: ${total} B on the wire (headers + bodies), ${bodies} B of bodies, in ${lines.length} requests: ${lines.join('; ')}`);
    assert.ok(lines.length >= 3, 'the page, its cover image and its script were fetched');
    assert.ok(total <= FIRST_VISIT_LIMIT, `first visit transferred ${total} B, over ${FIRST_VISIT_LIMIT} B`);
  } finally {
    await context.close();
  }
});
