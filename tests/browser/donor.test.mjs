// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The donor's flow in a real browser: desktop and phone, without JavaScript, keyboard only.
// Each test uses a fresh browser context.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  CAMPAIGN,
  DESKTOP,
  PHONE,
  fillDonateForm,
  launch,
  newContext,
  screenshotPath,
  startApp,
  stopApp,
  submitDonateForm,
  succeedCheckout,
} from './lib.mjs';

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

/** Checks the thank-you page: the EUR amount given and its GBP conversion at the shown rate. */
async function assertThanksEur(page, eur) {
  const main = page.locator('main');
  await assert.doesNotReject(main.getByRole('heading', { level: 1, name: /Thank you/ }).waitFor());
  const text = (await main.innerText()).replace(/\s+/g, ' ');
  assert.match(text, new RegExp(`€${eur}(\\.00)?\\b`), `thank-you page shows €${eur}: ${text}`);
  const conv = text.match(/£([\d,]+\.\d\d)/);
  assert.ok(conv, `thank-you page shows a converted GBP amount: ${text}`);
  const rate = text.match(/1 EUR = ([\d.]+) GBP/);
  assert.ok(rate, `thank-you page shows the EUR→GBP rate used: ${text}`);
  const gbp = Number(conv[1].replace(/,/g, ''));
  const expected = eur * Number(rate[1]);
  assert.ok(Math.abs(gbp - expected) <= 0.011, `£${gbp} is €${eur} × ${rate[1]} (= ${expected.toFixed(4)})`);
}

for (const [device, viewport] of [
  ['desktop', DESKTOP],
  ['phone', PHONE],
]) {
  test(`donor on ${device} (${viewport.width}x${viewport.height}) gives €30 and is thanked`, { timeout: 90_000 }, async () => {
    const context = await newContext(browser, baseURL, {
      viewport,
      ...(device === 'phone' ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    });
    try {
      const page = await context.newPage();
      const res = await page.goto(CAMPAIGN);
      assert.equal(res.status(), 200);
      await page.locator('form[action$="/donate"]').waitFor();
      await page.screenshot({ path: screenshotPath(`donor-${device}-1-campaign`), fullPage: true });

      await fillDonateForm(page, {
        currency: 'EUR',
        amount: '30',
        name: `Browser test (${device})`,
        message: `Good luck from the ${device} test`,
      });
      assert.equal(await page.locator('select#currency').inputValue(), 'EUR');
      await page.locator('form[action$="/donate"]').screenshot({ path: screenshotPath(`donor-${device}-2-form-filled`) });

      await submitDonateForm(page);
      await assert.doesNotReject(page.getByText('TEST MODE', { exact: true }).first().waitFor());
      assert.match(await page.locator('main').innerText(), /€30/);
      await page.screenshot({ path: screenshotPath(`donor-${device}-3-checkout`), fullPage: true });

      await succeedCheckout(page);
      await assertThanksEur(page, 30);
      assert.match(await page.locator('main').innerText(), new RegExp(`Good luck from the ${device} test`));
      await page.screenshot({ path: screenshotPath(`donor-${device}-4-thanks`), fullPage: true });
    } finally {
      await context.close();
    }
  });
}

/** How far the page scrolls sideways, and which elements stick out past the right edge. */
function horizontalOverflow(page) {
  return page.evaluate(() => {
    const W = document.documentElement.clientWidth;
    const culprits = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      // Only the right side counts: things parked off-screen left (the skip link) add no scroll.
      if (r.right > W + 0.5) {
        const sel = el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + (el.className ? `.${String(el.className).trim().replace(/\s+/g, '.')}` : '');
        culprits.push(`${sel} "${(el.textContent || '').trim().slice(0, 30)}" spans x=${Math.round(r.left)}..${Math.round(r.right)}`);
      }
    }
    return { overflow: document.documentElement.scrollWidth - W, culprits };
  });
}

for (const [device, viewport] of [
  ['desktop', DESKTOP],
  ['phone', PHONE],
]) {
  test(`pages do not scroll sideways on ${device} (${viewport.width}px wide)`, { timeout: 60_000 }, async () => {
    const context = await newContext(browser, baseURL, { viewport });
    try {
      const page = await context.newPage();
      const problems = [];
      for (const path of ['/', CAMPAIGN, `${CAMPAIGN}/donors`]) {
        await page.goto(path);
        const { overflow, culprits } = await horizontalOverflow(page);
        if (overflow > 0) problems.push(`${path}: ${overflow}px wider than the viewport; sticking out: ${culprits.join('; ')}`);
      }
      const knownBug = problems.some((p) => p.includes('label.vh'))
        ? '\nAPP BUG (static/app.css): the visually hidden currency label `label.vh[for=currency]` also ' +
          'matches `.row label{width:100%}`, which is more specific than `.vh{width:1px}`; so this ' +
          'absolutely positioned label is as wide as the viewport, starts at its static x and makes ' +
          'the page scroll sideways. Suggested fix: let `.vh` win, e.g. `.row label.vh{width:1px}` or ' +
          '`.vh{width:1px!important;height:1px!important;margin:-1px;padding:0;border:0}`.'
        : '';
      assert.deepEqual(problems, [], `the page scrolls sideways${knownBug}`);
    } finally {
      await context.close();
    }
  });
}

test('without JavaScript the whole donation still works', { timeout: 60_000 }, async () => {
  const context = await newContext(browser, baseURL, { javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(CAMPAIGN);
    // The page is complete without its script: the progress is rendered on the server.
    assert.match(await page.locator('[data-raised]').innerText(), /£[\d,]+/);
    assert.match((await page.locator('[data-bar]').getAttribute('width')) ?? '', /^\d+(\.\d+)?$/);

    await fillDonateForm(page, { currency: 'EUR', amount: '30', name: 'No-JS test', message: 'Sent without JavaScript' });
    await submitDonateForm(page);
    await page.getByText('TEST MODE', { exact: true }).first().waitFor();
    await page.screenshot({ path: screenshotPath('nojs-1-checkout'), fullPage: true });
    await succeedCheckout(page);
    await assertThanksEur(page, 30);
    await page.screenshot({ path: screenshotPath('nojs-2-thanks'), fullPage: true });

    // JavaScript really was off: the live-update script never opened its event stream.
    assert.deepEqual(requests.filter((u) => u.includes('/live')), [], 'no /live stream without JavaScript');
  } finally {
    await context.close();
  }
});

describe('keyboard only', () => {
  /** What the focused element is and whether its focus is visible. */
  function focusInfo(page) {
    return page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      const desc =
        el.tagName.toLowerCase() +
        (el.id ? `#${el.id}` : '') +
        (el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : '') +
        (el.getAttribute('value') && el.tagName !== 'TEXTAREA' ? `[value=${el.getAttribute('value')}]` : '') +
        (el.tagName === 'A' ? `[href=${el.getAttribute('href')}]` : '');
      return {
        desc,
        id: el.id,
        tag: el.tagName.toLowerCase(),
        type: el.getAttribute('type'),
        name: el.getAttribute('name'),
        value: el.getAttribute('value'),
        outlineStyle: cs.outlineStyle,
        outlineWidth: parseFloat(cs.outlineWidth) || 0,
        outlineColor: cs.outlineColor,
        boxShadow: cs.boxShadow,
        // What the outline is drawn on: the first ancestor background that is not transparent.
        // (The outline sits outside the element, offset from it, so the parent's background.)
        behind: (() => {
          for (let n = el.parentElement; n; n = n.parentElement) {
            const bg = getComputedStyle(n).backgroundColor;
            if (bg && !/^rgba\(.*,\s*0\)$/.test(bg) && bg !== 'transparent') return bg;
          }
          return 'rgb(255, 255, 255)';
        })(),
        inViewport: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
      };
    });
  }

  /** WCAG contrast ratio of two CSS rgb()/rgba() colours (alpha ignored). */
  function contrast(a, b) {
    const lum = (c) => {
      const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
        const x = Number(v) / 255;
        return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
    };
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  function assertVisibleFocus(f) {
    const outlined = f.outlineStyle !== 'none' && f.outlineWidth > 0 && !/rgba\(.*,\s*0\)$/.test(f.outlineColor);
    const shadowed = f.boxShadow && f.boxShadow !== 'none';
    assert.ok(outlined || shadowed, `focused ${f.desc} has no visible focus style (outline ${f.outlineStyle} ${f.outlineWidth}px ${f.outlineColor}, box-shadow ${f.boxShadow})`);
    if (outlined && /^rgb/.test(f.outlineColor)) {
      // WCAG 1.4.11: a focus indicator needs 3:1 against what it is drawn on.
      const ratio = contrast(f.outlineColor, f.behind);
      assert.ok(ratio >= 3, `focus outline of ${f.desc} (${f.outlineColor} on ${f.behind}) has contrast ${ratio.toFixed(2)}:1, under 3:1`);
    }
    assert.ok(f.inViewport, `focused ${f.desc} is not on screen`);
  }

  /** Press Tab until `match(focus)` (at most `max` times), checking every stop's focus style. */
  async function tabTo(page, match, what, visited, max = 60) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      const f = await focusInfo(page);
      if (!f) continue;
      visited.push(f.desc);
      assertVisibleFocus(f);
      if (match(f)) return f;
    }
    throw new Error(`${what} not reached with ${max} Tab presses; focus went: ${visited.join(' → ')}`);
  }

  test('reach, fill and submit the form and pay with Tab, Space and Enter', { timeout: 90_000 }, async () => {
    const context = await newContext(browser, baseURL);
    try {
      const page = await context.newPage();
      // No clicks anywhere in this test: page.mouse is never used and no locator is clicked.
      await page.goto(CAMPAIGN);
      const visited = [];

      // The first Tab stop is the skip link, and it shows itself when focused.
      await page.keyboard.press('Tab');
      const skip = await focusInfo(page);
      assert.ok(skip && skip.tag === 'a' && /#main$/.test(skip.desc.replace(/\]$/, '')), `first Tab stop is the skip link, got ${skip?.desc}`);
      assertVisibleFocus(skip);
      visited.push(skip.desc);

      // Amount: the first preset (Tab enters the radio group), chosen with Space.
      const preset = await tabTo(page, (f) => f.type === 'radio' && f.name === 'preset', 'an amount preset', visited);
      // A preset's value is its amount and currency (`10 GBP`).
      const presetPounds = preset.value.replace(/ GBP$/, '');
      await page.keyboard.press('Space');
      assert.equal(await page.locator(`input[type=radio][name=preset][value="${preset.value}"]`).isChecked(), true, 'Space chose the preset');

      // The name, typed.
      await tabTo(page, (f) => f.id === 'name', '#name', visited);
      await page.keyboard.type('Keyboard test');
      await tabTo(page, (f) => f.id === 'message', '#message', visited);
      await page.keyboard.type('Typed without a mouse');

      // Visibility: Tab enters the radio group on its checked choice ("with my name"); kept.
      const vis = await tabTo(page, (f) => f.type === 'radio' && f.name === 'visibility', 'the visibility choice', visited);
      assert.equal(vis.value, 'public', 'Tab lands on the checked visibility radio');

      // Submit with Enter on the donate button.
      await tabTo(page, (f) => f.tag === 'button' && f.type === 'submit', 'the donate button', visited);
      await Promise.all([page.waitForURL(/\/test-checkout\/[^/]+$/), page.keyboard.press('Enter')]);
      await page.getByText('TEST MODE', { exact: true }).first().waitFor();
      const checkout = await page.locator('main').innerText();
      assert.match(checkout, new RegExp(`£${presetPounds}\\b`), `checkout shows £${presetPounds}: ${checkout}`);

      // Pay with Space on the "succeed" button.
      const cvisited = [];
      await tabTo(page, (f) => f.tag === 'button' && f.value === 'succeed', 'the succeed button', cvisited);
      await Promise.all([page.waitForURL(new RegExp(`${CAMPAIGN}/thanks/[^/]+$`)), page.keyboard.press('Space')]);
      const thanks = await page.locator('main').innerText();
      assert.match(thanks, /Thank you/);
      assert.match(thanks, new RegExp(`£${presetPounds}\\b`));
      assert.match(thanks, /Typed without a mouse/);

      // And back to the campaign with Enter on the link.
      await tabTo(page, (f) => f.tag === 'a' && f.desc.includes(`[href=${CAMPAIGN}]`), 'the back-to-campaign link', cvisited);
      await Promise.all([page.waitForURL(new RegExp(`${CAMPAIGN}$`)), page.keyboard.press('Enter')]);
      await page.screenshot({ path: screenshotPath('keyboard-back-on-campaign') });
    } finally {
      await context.close();
    }
  });

  test('every Tab stop on the campaign page shows a visible focus style', { timeout: 60_000 }, async (t) => {
    const context = await newContext(browser, baseURL);
    try {
      const page = await context.newPage();
      await page.goto(CAMPAIGN);
      const seen = new Set();
      const problems = [];
      let minContrast = Infinity;
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press('Tab');
        const f = await focusInfo(page);
        if (!f) break; // focus left the document: all stops visited
        if (seen.has(f.desc)) break; // wrapped around
        seen.add(f.desc);
        if (f.outlineStyle !== 'none' && /^rgb/.test(f.outlineColor)) minContrast = Math.min(minContrast, contrast(f.outlineColor, f.behind));
        try {
          assertVisibleFocus(f);
        } catch (e) {
          problems.push(e.message);
        }
      }
      t.diagnostic(`${seen.size} Tab stops, lowest focus-outline contrast ${minContrast.toFixed(2)}:1: ${[...seen].join(' → ')}`);
      assert.ok(seen.size >= 10, `expected at least 10 Tab stops, saw ${[...seen].join(', ')}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});

test('the donate form keeps what was typed and says what is wrong (amount "abc")', { timeout: 60_000 }, async () => {
  const context = await newContext(browser, baseURL);
  try {
    const page = await context.newPage();
    await page.goto(CAMPAIGN);
    await fillDonateForm(page, { amount: 'abc', name: 'Typo test', message: 'kept' });
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/donate') && r.request().method() === 'POST'),
      page.locator('form[action$="/donate"] button[type=submit]').click(),
    ]);
    assert.equal(res.status(), 422);
    await page.waitForLoadState('load');
    const amount = page.locator('#amount');
    assert.equal(await amount.inputValue(), 'abc');
    assert.equal(await amount.getAttribute('aria-invalid'), 'true');
    const errId = await amount.getAttribute('aria-describedby');
    assert.ok(errId, '#amount points at its error message');
    assert.match(await page.locator(`#${errId}`).innerText(), /\S/);
    assert.equal(await page.locator('#name').inputValue(), 'Typo test');
    assert.equal(await page.locator('#message').inputValue(), 'kept');
    await page.screenshot({ path: screenshotPath('form-error'), fullPage: true });
  } finally {
    await context.close();
  }
});

describe('amount presets and the other-amount field (with JavaScript)', () => {
  /** Submits the form and returns the amount text the checkout shows. */
  async function checkoutAmount(page) {
    await submitDonateForm(page);
    return (await page.locator('main .big').innerText()).trim();
  }

  test('typing another amount after choosing a preset clears the preset and gives the typed amount', { timeout: 60_000 }, async () => {
    const context = await newContext(browser, baseURL);
    try {
      const page = await context.newPage();
      await page.goto(CAMPAIGN);
      await page.locator('input[type=radio][name=preset][value="25 GBP"]').check();
      await page.locator('#amount').pressSequentially('40');
      assert.equal(await page.locator('input[type=radio][name=preset]:checked').count(), 0, 'typing cleared the preset');
      assert.match(await checkoutAmount(page), /£40\b/);
    } finally {
      await context.close();
    }
  });

  test("switching the currency shows that currency's presets and limit and clears the chosen preset", { timeout: 60_000 }, async () => {
    const context = await newContext(browser, baseURL);
    try {
      const page = await context.newPage();
      await page.goto(CAMPAIGN);
      await page.locator('input[type=radio][name=preset][value="25 GBP"]').check();
      await page.locator('select#currency').selectOption('INR');
      assert.equal(await page.locator('.presets[data-currency=INR]').isVisible(), true, 'rupee presets shown');
      assert.equal(await page.locator('.presets[data-currency=GBP]').isVisible(), false, 'pound presets hidden');
      assert.equal(await page.locator('input[type=radio][name=preset]:checked').count(), 0, 'the pound preset was cleared');
      assert.match(await page.locator('p.hint[data-currency=INR]').innerText(), /₹/);
      assert.equal(await page.locator('p.hint[data-currency=GBP]').isVisible(), false, 'the pound limit hidden');
      await page.locator('input[type=radio][name=preset][value="1000 INR"]').check();
      assert.match(await checkoutAmount(page), /₹1,000\b/);
    } finally {
      await context.close();
    }
  });

  test('choosing a preset after typing another amount gives the preset', { timeout: 60_000 }, async () => {
    const context = await newContext(browser, baseURL);
    try {
      const page = await context.newPage();
      await page.goto(CAMPAIGN);
      await page.locator('#amount').pressSequentially('30');
      await page.locator('input[type=radio][name=preset][value="50 GBP"]').check();
      const typed = await page.locator('#amount').inputValue();
      const shown = await checkoutAmount(page);
      assert.match(
        shown,
        /£50\b/,
        `the donor chose the 50 preset last (the other-amount field still said "${typed}"), but the checkout says: ${shown}\n` +
          'APP BUG (static/live.js): choosing a preset does not clear #amount, and a typed amount wins; the ' +
          'form then submits preset=50 GBP&amount=30 and the server takes the typed one, while the ' +
          'page shows the 50 preset as chosen. Suggested fix: in live.js, on `change` of ' +
          'input[type=radio][name=preset], set #amount\'s value to "" (the mirror of the existing `input` ' +
          'handler on #amount).',
      );
    } finally {
      await context.close();
    }
  });
});
