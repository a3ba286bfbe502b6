// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Issue 11's week, on a 390 × 844 phone, against the demo (src/app/demo.rs TEAM):
//
//  a. a donor in Denmark (da-DK): the campaign page is Danish, DKK is chosen with its presets,
//     "1.000" typed is one thousand kroner all the way to the thank-you page and its rate
//     line (a Danish date); a browser that sends only "da" opens in DKK too;
//  b. a donor in India (en-IN): INR is chosen with ₹ presets; a preset is paid and the wall
//     (without JavaScript, a plain load) shows the gift;
//  c. the treasurer (Sigrun, Danish console, Europe/Copenhagen): totals per month and
//     currency; an offline gift received "tomorrow" is refused with the typed values kept;
//     received today as "1.250,50" it is recorded with a readable rate; voided with a reason
//     and the confirmation it leaves the public wall; the Danish CSV export has a byte-order
//     mark and semicolons;
//  d. an editor (Maribel) hides a donor's message: the public page (reloaded) no longer shows
//     it, and the amount still counts;
//  e. the owner (Harriet) invites someone; the invitation (read from the demo server's outbox
//     files: the console's outbox lists it but shows no body) opens a page whose time-zone
//     select suggests the browser's zone (Asia/Kolkata) over the owner's (Europe/London).
//
// Every page visited passes axe-core (nothing serious or critical) and does not scroll
// sideways. The contexts bypass CSP only so that axe-core can be injected. The flows compare
// before and after, never fixed totals: other test files share the server.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  CAMPAIGN,
  formatViolations,
  launch,
  newContext,
  runAxe,
  screenshotPath,
  startApp,
  startPrivateApp,
  stopApp,
  stopPrivateApp,
} from './lib.mjs';

const TREASURER = { email: 'sigrun@example.org', password: 'demo-sigrun-2024' };
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

/** A phone context; `opts` are Playwright context options (locale, timezoneId...). */
const phone = (opts = {}, url = baseURL) =>
  newContext(browser, url, { viewport: PHONE_390, isMobile: true, hasTouch: true, bypassCSP: true, ...opts });

const shot = (name) => screenshotPath(`week-${name}`);

/** Signs in with the password form (by field names: the form is in the browser's language). */
async function signIn(page, who) {
  await page.goto('/signin');
  const form = page.locator('form[action="/signin"]');
  await form.locator('input[name=email]').fill(who.email);
  await form.locator('input[name=password]').fill(who.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/signin'), form.locator('button[type=submit]').click()]);
  return new URL(page.url()).pathname;
}

/** axe finds nothing serious, and the page does not scroll sideways. */
async function assertFits(t, page, label) {
  await page.waitForLoadState('load');
  const violations = (await runAxe(page)).filter((v) => BLOCKING.has(v.impact));
  assert.deepEqual(violations, [], formatViolations(`${label} at ${page.url()}`, violations));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${label}: ${overflow}px wider than the viewport`);
  t.diagnostic(`${label}: fits, no serious axe findings`);
}

/** The visible preset labels of the donate form, and the currency chosen. */
const donateState = (page) =>
  page.evaluate(() => {
    const f = document.querySelector('form[action$="/donate"]');
    const shown = [...f.querySelectorAll('.presets')].filter((g) => !g.hidden);
    return {
      currency: f.querySelector('#currency').value,
      shownGroups: shown.map((g) => g.dataset.currency),
      // Money is formatted with no-break spaces ("100 kr."): compared with plain ones.
      presets: shown.flatMap((g) => [...g.querySelectorAll('label')].map((l) => l.textContent.replace(/\s+/g, ' ').trim())),
    };
  });

/** From the donate form as filled: the checkout, "succeed", the thank-you page. */
async function payAndThank(page) {
  await Promise.all([page.waitForURL(/\/test-checkout\/[^/]+$/), page.locator('form[action$="/donate"] button[type=submit]').click()]);
  const checkout = await page.locator('main').innerText();
  await Promise.all([
    page.waitForURL(new RegExp(`${CAMPAIGN}/thanks/[^/]+$`)),
    page.locator('button[name=outcome][value=succeed]').click(),
  ]);
  return checkout;
}

/** The campaign page's raised total and donor count as shown. */
const progressText = async (page) => ({
  raised: (await page.locator('[data-raised]').innerText()).trim(),
  donors: (await page.locator('[data-donors]').innerText()).trim(),
});

/** A date (YYYY-MM-DD) in a time zone, `days` from today there. */
function dayIn(zone, days = 0) {
  const d = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

describe('issue 11: the week on a 390 px phone', () => {
  const stamp = Date.now();

  test('a. a donor in Denmark gives "1.000" kroner and reads a Danish thank-you page', { timeout: 120_000 }, async (t) => {
    const context = await phone({ locale: 'da-DK', extraHTTPHeaders: { 'Accept-Language': 'da-DK,da' } });
    try {
      const page = await context.newPage();
      await page.goto(CAMPAIGN);
      assert.equal(await page.locator('html').getAttribute('lang'), 'da');
      assert.ok(await page.getByRole('heading', { name: 'Giv et bidrag' }).isVisible(), 'the donate form is in Danish');
      const state = await donateState(page);
      assert.equal(state.currency, 'DKK', 'a Danish browser opens in DKK');
      assert.deepEqual(state.shownGroups, ['DKK']);
      assert.deepEqual(state.presets, ['100 kr.', '250 kr.', '500 kr.', '1.000 kr.']);
      await page.screenshot({ path: shot('a1-campaign-da'), fullPage: false });
      await assertFits(t, page, 'the Danish campaign page');

      const form = page.locator('form[action$="/donate"]');
      await form.getByLabel('Andet beløb').fill('1.000');
      await form.locator('#name').fill(`Dansk giver ${stamp}`);
      const checkout = await payAndThank(page);
      assert.match(checkout, /1\.000(,00)?\s*kr\./, `the checkout asks for one thousand kroner: ${checkout}`);
      const thanks = await page.locator('main').innerText();
      t.diagnostic(`thank-you page: ${thanks.replace(/\s+/g, ' ')}`);
      assert.match(await page.locator('.thanks .big').innerText(), /Du gav 1\.000(,00)?\s*kr\. til/, 'thanked for 1.000 kr.');
      const rate = await page.locator('.thanks p.meta').innerText();
      assert.match(rate, /^Anvendt kurs: 1 DKK = \d+,\d+ GBP/, `a Danish rate: ${rate}`);
      assert.doesNotMatch(rate, /\d{9,}/, `a readable rate: ${rate}`);
      assert.match(
        rate,
        /\d{1,2}\. (januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december) \d{4}/,
        `the rate's date in Danish: ${rate}`,
      );
      // One thousand kroner at that rate, in pounds (1 kr. would be a few pence).
      const num = (x) => Number(x.replace(/\./g, '').replace(',', '.'));
      const rateValue = num(rate.match(/= ([\d.,]+) GBP/)[1]);
      const converted = num(thanks.match(/Det er ([\d.,]+)\s*£/)[1]);
      assert.ok(Math.abs(converted - 1000 * rateValue) < 0.01, `1.000 kr. at ${rateValue} is ${converted} £`);
      await page.screenshot({ path: shot('a2-thanks-da'), fullPage: true });
      await assertFits(t, page, 'the Danish thank-you page');
    } finally {
      await context.close();
    }

    const onlyDa = await phone({ locale: 'da', extraHTTPHeaders: { 'Accept-Language': 'da' } });
    try {
      const page = await onlyDa.newPage();
      await page.goto(CAMPAIGN);
      assert.equal((await donateState(page)).currency, 'DKK', 'a browser sending only "da" opens in DKK');
    } finally {
      await onlyDa.close();
    }
  });

  test('b. a donor in India pays a ₹ preset and the wall shows the gift', { timeout: 120_000 }, async (t) => {
    const name = `Ananya ${stamp}`;
    const context = await phone({ locale: 'en-IN', extraHTTPHeaders: { 'Accept-Language': 'en-IN,en' }, timezoneId: 'Asia/Kolkata' });
    try {
      const page = await context.newPage();
      await page.goto(CAMPAIGN);
      const state = await donateState(page);
      assert.equal(state.currency, 'INR', 'an Indian browser opens in INR');
      assert.deepEqual(state.shownGroups, ['INR']);
      assert.deepEqual(state.presets, ['₹500', '₹1,000', '₹2,500', '₹5,000']);
      await assertFits(t, page, 'the campaign page in en-IN');

      const form = page.locator('form[action$="/donate"]');
      await form.getByLabel('₹2,500').check();
      await form.locator('#name').fill(name);
      await form.locator('#message').fill(`For the Tamil shelf ${stamp}`);
      await form.locator('input[name=visibility][value=public]').check();
      await page.screenshot({ path: shot('b1-campaign-en-IN'), fullPage: false });
      const checkout = await payAndThank(page);
      assert.match(checkout, /₹2,500/, `the checkout asks for ₹2,500: ${checkout}`);
      assert.match(await page.locator('.thanks .big').innerText(), /₹2,500/);
      await page.screenshot({ path: shot('b2-thanks-en-IN'), fullPage: true });
      await assertFits(t, page, 'the thank-you page in en-IN');
    } finally {
      await context.close();
    }

    // The public wall, read as a plain page without JavaScript.
    const visitor = await phone({ javaScriptEnabled: false });
    try {
      const page = await visitor.newPage();
      await page.goto(CAMPAIGN);
      const entry = page.locator('[data-wall] li', { hasText: name });
      assert.equal(await entry.count(), 1, 'the gift is on the wall');
      assert.match(await entry.innerText(), /₹2,500/);
      assert.match(await entry.innerText(), new RegExp(`For the Tamil shelf ${stamp}`));
      await entry.scrollIntoViewIfNeeded();
      await page.screenshot({ path: shot('b3-wall'), fullPage: false });
    } finally {
      await visitor.close();
    }
  });

  test('c. the treasurer: totals, an offline gift refused, recorded, voided; the Danish CSV', { timeout: 180_000 }, async (t) => {
    const donor = `Kontant ${stamp}`;
    const message = `Fra bogbasaren ${stamp}`;
    const context = await phone({ locale: 'da-DK', timezoneId: 'Europe/Copenhagen', acceptDownloads: true });
    const visitor = await phone({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      assert.equal(await signIn(page, TREASURER), '/admin');
      await page.goto('/admin/donations');
      assert.equal(await page.locator('html').getAttribute('lang'), 'da', 'Sigrun’s console is Danish');

      // Totals per month and currency.
      const totals = page.locator('table.totals');
      assert.ok(await page.getByRole('heading', { name: 'Totaler pr. måned og valuta' }).isVisible());
      const rows = await totals.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
      t.diagnostic(`totals: ${JSON.stringify(rows)}`);
      const currencies = new Set(rows.map((r) => r[1]));
      for (const c of ['GBP', 'DKK', 'INR']) assert.ok(currencies.has(c), `a total in ${c}`);
      assert.ok(rows.some((r) => r[0] === 'Alle måneder'), 'a line over all months');
      assert.ok(rows.some((r) => r[0] !== 'Alle måneder' && r[0] !== ''), 'a line per month');
      await page.screenshot({ path: shot('c1-donations-totals'), fullPage: true });
      await assertFits(t, page, 'the Danish donations page');

      // Received tomorrow: refused, the typed values kept.
      const offline = page.locator('#offline form');
      await offline.getByLabel('Beløb', { exact: true }).fill('1.250,50');
      await offline.getByLabel('Valuta', { exact: true }).selectOption('DKK');
      await offline.getByLabel('Modtaget den').fill(dayIn('Europe/Copenhagen', 1));
      await offline.locator('#o-donor').fill(donor);
      await offline.locator('#o-message').fill(message);
      await offline.locator('#o-visibility').selectOption('public');
      await Promise.all([page.waitForURL(/\/admin\/donations/), offline.locator('button[type=submit]').click()]);
      await page.waitForLoadState('load');
      const dateErr = await page.locator('#o-date-err').innerText();
      assert.match(dateErr, /Modtagelsesdatoen kan ikke ligge efter i dag/, `refused: ${dateErr}`);
      assert.equal(await page.locator('#o-date').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.locator('#o-amount').inputValue(), '1.250,50', 'the amount as typed');
      assert.equal(await page.locator('#o-currency').inputValue(), 'DKK');
      assert.equal(await page.locator('#o-donor').inputValue(), donor);
      assert.equal(await page.locator('#o-message').inputValue(), message);
      await page.locator('#offline').screenshot({ path: shot('c2-offline-tomorrow-refused') });
      await assertFits(t, page, 'the refused offline form');

      // Received today: recorded.
      await page.locator('#o-date').fill(dayIn('Europe/Copenhagen'));
      await Promise.all([
        page.waitForURL(/\/admin\/donations\/[^/?]+\?added=1/),
        page.locator('#offline form button[type=submit]').click(),
      ]);
      const detailPath = new URL(page.url()).pathname;
      const field = async (dt) => (await page.locator('dl.fields dt', { hasText: dt }).locator('xpath=following-sibling::dd[1]').innerText()).trim();
      assert.match(await field('Beløb'), /^1\.250,50\s*kr\.$/, 'the amount read the Danish way');
      const rate = await field('Valutakurs');
      t.diagnostic(`the rate as shown: ${rate.replace(/\s+/g, ' ')}`);
      const shownRate = rate.split('\n')[0];
      assert.match(shownRate, /^1 DKK = \d+,\d+ GBP/, `a Danish rate: ${shownRate}`);
      assert.doesNotMatch(shownRate, /\d{9,}/, `readable, not 15 digits: ${shownRate}`);
      assert.match(shownRate, /ECB-referencekurs fra/, 'whose rate and of which day');
      await page.screenshot({ path: shot('c3-offline-recorded'), fullPage: true });
      await assertFits(t, page, 'the recorded offline donation');

      // The public wall lists it...
      const pub = await visitor.newPage();
      await pub.goto(CAMPAIGN);
      assert.equal(await pub.locator('[data-wall] li', { hasText: donor }).count(), 1, 'the offline gift is on the wall');

      // ...until it is voided.
      const voidForm = page.locator('#void form');
      await voidForm.getByLabel('Begrundelse').fill('Tastet to gange; den rigtige gave er registreret.');
      await voidForm.getByLabel('Ja, annullér denne donation').check();
      await Promise.all([page.waitForURL(/\?voided=1/), voidForm.locator('button[type=submit]').click()]);
      assert.equal(new URL(page.url()).pathname, detailPath);
      assert.match(await page.getByRole('status').first().innerText(), /Donationen er annulleret/);
      assert.match(await page.getByRole('note').innerText(), /annulleret .* Tastet to gange/s);
      assert.equal(await page.locator('#void form').count(), 0, 'no second void');
      await page.screenshot({ path: shot('c4-voided'), fullPage: true });
      await assertFits(t, page, 'the voided donation');

      await pub.reload();
      assert.equal(await pub.locator('[data-wall] li', { hasText: donor }).count(), 0, 'the voided gift left the wall');
      assert.ok(!(await pub.locator('main').innerText()).includes(message));

      // The Danish export: byte-order mark and semicolons.
      await page.goto('/admin/donations');
      const link = page.getByRole('link', { name: 'Hent som CSV (til bogholderen)' });
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      const bytes = readFileSync(await download.path());
      assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a byte-order mark first');
      const lines = bytes.subarray(3).toString('utf8').split(/\r?\n/);
      assert.ok(lines[0].split(';').length > 5, `the header is split by semicolons: ${lines[0]}`);
      assert.ok(!lines[0].includes(','), `no commas in the header: ${lines[0]}`);
      const mine = lines.find((l) => l.includes(donor));
      assert.ok(mine, 'the voided gift is in the export');
      assert.ok(mine.split(';').includes('1250,50'), `a decimal comma: ${mine}`);
      t.diagnostic(`CSV ${download.suggestedFilename()}: ${lines[0]}`);
    } finally {
      await context.close();
      await visitor.close();
    }
  });

  test('d. an editor hides a donor’s message; the amount still counts', { timeout: 120_000 }, async (t) => {
    const name = `Wall reader ${stamp}`;
    const message = `Buy cheap links ${stamp}`;
    const donorCtx = await phone();
    const visitor = await phone({ javaScriptEnabled: false });
    const editor = await phone();
    try {
      const d = await donorCtx.newPage();
      await d.goto(CAMPAIGN);
      const form = d.locator('form[action$="/donate"]');
      await form.locator('#currency').selectOption('GBP');
      await form.locator('#amount').fill('4');
      await form.locator('#name').fill(name);
      await form.locator('#message').fill(message);
      await payAndThank(d);
      const donationId = d.url().split('/thanks/')[1];

      const pub = await visitor.newPage();
      await pub.goto(CAMPAIGN);
      assert.equal(await pub.locator('[data-wall] q', { hasText: message }).count(), 1, 'the message is on the wall');
      const before = await progressText(pub);

      const page = await editor.newPage();
      assert.equal(await signIn(page, EDITOR), '/admin');
      await page.goto('/admin/wall');
      await assertFits(t, page, 'the console’s donor wall');
      await Promise.all([
        page.waitForURL(new RegExp(`/admin/donations/${donationId}`)),
        page.locator(`a[href="/admin/donations/${donationId}#wall"]`).first().click(),
      ]);
      const wall = page.locator('#wall');
      await wall.getByRole('group', { name: "Donor's message" }).getByLabel('Hide').check();
      await wall.getByLabel('Reason').fill('A link for sale');
      await Promise.all([page.waitForURL(/\?wall=saved#wall$/), wall.getByRole('button', { name: 'Save' }).click()]);
      await page.getByText('The wall shows this donation without its message.').waitFor();
      await page.screenshot({ path: shot('d1-message-hidden'), fullPage: true });
      await assertFits(t, page, 'the donation with its message hidden');

      await pub.reload();
      assert.equal(await pub.locator('[data-wall] q', { hasText: message }).count(), 0, 'the message left the wall');
      assert.ok(!(await pub.locator('main').innerText()).includes(message), 'nowhere on the page');
      assert.equal(await pub.locator('[data-wall] li', { hasText: name }).count(), 1, 'the name and amount stay');
      assert.deepEqual(await progressText(pub), before, 'the total and count are unchanged');
      await pub.locator('[data-wall] li', { hasText: name }).scrollIntoViewIfNeeded();
      await pub.screenshot({ path: shot('d2-wall-without-message'), fullPage: false });
    } finally {
      await donorCtx.close();
      await visitor.close();
      await editor.close();
    }
  });

  test('e. the invitation page suggests the browser’s time zone', { timeout: 180_000 }, async (t) => {
    // A server of this test's own: its outbox files hold the invitation's link.
    const app = await startPrivateApp();
    const owner = await phone({ timezoneId: 'Europe/London' }, app.url);
    const invitee = await phone({ locale: 'en-IN', timezoneId: 'Asia/Kolkata' }, app.url);
    try {
      const email = `kavya-${stamp}@example.org`;
      const page = await owner.newPage();
      assert.equal(await signIn(page, OWNER), '/admin');
      await page.goto('/admin/members');
      const invite = page.locator('#invite form');
      await invite.getByLabel('E-mail', { exact: true }).fill(email);
      await invite.getByLabel('Name', { exact: true }).fill('Kavya');
      assert.equal(await invite.getByLabel('Time zone', { exact: true }).inputValue(), 'Europe/London', 'the owner’s zone');
      await Promise.all([page.waitForURL(/\/admin\/members\?done=invited/), invite.locator('button[type=submit]').click()]);
      await assertFits(t, page, 'the members page after inviting');

      await page.goto('/admin/outbox');
      assert.equal(await page.locator('tbody tr', { hasText: email }).count(), 1, 'the invitation is in the outbox');
      await page.screenshot({ path: shot('e1-outbox'), fullPage: true });
      // A console table wider than the phone scrolls in its focusable box, not in the table.
      await assertFits(t, page, 'the outbox');

      const link = inviteLink(app.dataDir, email);
      t.diagnostic(`invitation link: ${link.replace(/[^/]{12}$/, '…')}`);
      const p = await invitee.newPage();
      await p.goto(link);
      const zone = p.locator('#time_zone');
      // Chromium names this zone by its older alias, Asia/Calcutta (ICU's canonical id);
      // zone.js suggests today's name, which is what gets stored.
      const browserZone = await p.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
      assert.ok(['Asia/Kolkata', 'Asia/Calcutta'].includes(browserZone), `the browser's zone: ${browserZone}`);
      await p.waitForFunction(() => document.querySelector('#time_zone').value === 'Asia/Kolkata');
      t.diagnostic(`the browser says ${browserZone}; the invitation page suggests Asia/Kolkata`);
      assert.ok(await p.locator('#time_zone-suggested').isVisible(), 'the suggestion is said');
      const serverChoice = await zone.evaluate((s) => [...s.options].find((o) => o.defaultSelected)?.value);
      assert.equal(serverChoice, 'Europe/London', 'the server offered the owner’s choice');
      await p.screenshot({ path: shot('e2-invite-zone-suggested'), fullPage: true });
      await assertFits(t, p, 'the invitation page');
    } finally {
      await owner.close();
      await invitee.close();
      await stopPrivateApp(app);
    }
  });
});

/** The /invite/ link of the newest e-mail to `to` in a demo server's outbox files. */
function inviteLink(dataDir, to) {
  const dir = join(dataDir, 'outbox');
  assert.ok(existsSync(dir), `no outbox directory in ${dataDir}`);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.eml'))) {
    const raw = readFileSync(join(dir, f), 'utf8');
    if (!raw.includes(to)) continue;
    const text = decodeMail(raw);
    const m = text.match(/https?:\/\/[^\s"<>]+\/invite\/[A-Za-z0-9_-]+/);
    if (m) return m[0];
  }
  assert.fail(`no invitation to ${to} in ${dir}`);
}

/** The message's parts as text: quoted-printable and base64 bodies decoded. */
function decodeMail(raw) {
  let out = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  for (const block of raw.match(/(?:^[A-Za-z0-9+/=]{40,}\r?\n)+/gm) || []) {
    out += '\n' + Buffer.from(block.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return out;
}
