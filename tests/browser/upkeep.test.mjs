// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The console's upkeep pages on a 390 × 844 phone, as the demo's owner (issue 16):
//
//  a. Exchange rates: the rates in use are listed; the ECB's daily file chosen in the file
//     field and imported (the notice says how many days were read); a file that is not the
//     ECB's is refused with the reason, and the page keeps working;
//  b. Backups: "Back up now" writes an archive into the server's data folder, listed with its
//     size and a download link that gives the archive; the schedule form refuses "daily" with
//     the reason next to the field, then saves 12 hours / keep 5.
//
// Every page visited passes axe-core (nothing serious or critical) and does not scroll
// sideways. The contexts bypass CSP only so that axe-core can be injected.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { formatViolations, launch, newContext, runAxe, signIn, startPrivateApp, stopPrivateApp, submitAndWait } from './lib.mjs';

const OWNER = { email: 'harriet@example.org', password: 'demo-harriet-2024' };
const PHONE_390 = { width: 390, height: 844 };
const BLOCKING = new Set(['serious', 'critical']);
const ECB_FILE = fileURLToPath(new URL('../../fixtures/eurofxref-daily.xml', import.meta.url));

let server;
let browser;

before(async () => {
  server = await startPrivateApp();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stopPrivateApp(server);
});

async function assertFits(t, page, label) {
  await page.waitForLoadState('load');
  const violations = (await runAxe(page)).filter((v) => BLOCKING.has(v.impact));
  assert.deepEqual(violations, [], formatViolations(`${label} at ${page.url()}`, violations));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${label}: ${overflow}px wider than the viewport`);
  t.diagnostic(`${label}: fits, no serious axe findings`);
}

describe('console upkeep on a phone', () => {
  test('exchange rates: listed, imported by upload, a wrong file refused', async (t) => {
    assert.ok(existsSync(ECB_FILE), ECB_FILE);
    const ctx = await newContext(browser, server.url, { viewport: PHONE_390, isMobile: true, hasTouch: true, bypassCSP: true });
    const page = await ctx.newPage();
    await signIn(page, OWNER);
    await page.goto('/admin/rates');
    await assert.doesNotReject(page.getByRole('heading', { name: 'Exchange rates', level: 1 }).waitFor());
    assert.ok(await page.getByRole('rowheader', { name: 'USD' }).isVisible(), 'the demo has rates');
    await assertFits(t, page, 'rates');

    await page.getByLabel("The ECB's rates file (XML)").setInputFiles(ECB_FILE);
    await submitAndWait(page, page.getByRole('button', { name: 'Import', exact: true }));
    assert.match(await page.getByRole('status').innerText(), /One day read, \d+ new rates? stored\./);
    assert.match(await page.locator('main').innerText(), /uploaded, rates up to/);

    const bad = join(server.dataDir, 'not-rates.xml');
    writeFileSync(bad, '<html><body>maintenance</body></html>');
    await page.getByLabel("The ECB's rates file (XML)").setInputFiles(bad);
    await submitAndWait(page, page.getByRole('button', { name: 'Import', exact: true }));
    assert.match(await page.getByRole('alert').innerText(), /not the European Central Bank's rates file/);
    await assertFits(t, page, 'rates, refused file');
    await ctx.close();
  });

  test('backups: back up now, download, the schedule', async (t) => {
    const ctx = await newContext(browser, server.url, {
      viewport: PHONE_390, isMobile: true, hasTouch: true, bypassCSP: true, acceptDownloads: true,
    });
    const page = await ctx.newPage();
    await signIn(page, OWNER);
    await page.goto('/admin/backups');
    await assertFits(t, page, 'backups');
    await submitAndWait(page, page.getByRole('button', { name: 'Back up now' }));
    assert.equal(await page.getByRole('status').innerText(), 'Backup written.');
    const folder = join(server.dataDir, 'backups');
    const files = readdirSync(folder).filter((f) => f.endsWith('.tar.gz'));
    assert.equal(files.length, 1, files.join(', '));
    const link = page.getByRole('link', { name: files[0] });
    assert.ok(await link.isVisible());
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), files[0]);
    const saved = join(server.dataDir, 'downloaded.tar.gz');
    await download.saveAs(saved);
    assert.ok(existsSync(saved));

    const every = page.getByLabel('Back up every (hours)');
    await every.fill('daily');
    await submitAndWait(page, page.getByRole('button', { name: 'Save schedule' }));
    assert.equal(await page.getByLabel('Back up every (hours)').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#b-every-err').innerText(), /whole number of hours/);
    assert.equal(await page.getByLabel('Back up every (hours)').inputValue(), 'daily');
    await assertFits(t, page, 'backups, refused schedule');
    await page.getByLabel('Back up every (hours)').fill('12');
    await page.getByLabel('Archives to keep').fill('5');
    await submitAndWait(page, page.getByRole('button', { name: 'Save schedule' }));
    assert.equal(await page.getByRole('status').innerText(), 'Schedule saved.');
    assert.equal(await page.getByLabel('Back up every (hours)').inputValue(), '12');
    assert.match(await page.locator('main').innerText(), /Set here/);
    await ctx.close();
  });
});
