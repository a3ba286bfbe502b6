// SPDX-License-Identifier: AGPL-3.0-or-later
// The donate form's proof of work (donations::challenge). The form carries a signed
// challenge "v1:<campaign>:<expires>:<bits>:<nonce>:<sig>"; we find a decimal counter such
// that SHA-256(challenge + counter) starts with <bits> zero bits, put it in the form and send
// the form again. The search runs in a Web Worker (this same file) so the page stays
// responsive; without workers it runs in small slices on the page. No dependencies.
"use strict";

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const W = new Uint32Array(64);

// SHA-256 of the first `n` bytes of `m`, which has room for the padding (a multiple of 64
// bytes past n + 9; the bytes after n are overwritten); returns the state words.
function sha256(m, n) {
  const blocks = ((n + 9 + 63) >> 6) << 6;
  m.fill(0, n, blocks);
  m[n] = 0x80;
  const bits = n * 8;
  m[blocks - 4] = bits >>> 24;
  m[blocks - 3] = bits >>> 16;
  m[blocks - 2] = bits >>> 8;
  m[blocks - 1] = bits;
  let h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
  let h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
  for (let off = 0; off < blocks; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      W[i] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15], b = W[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0;
      d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  return [h0, h1, h2, h3, h4, h5, h6, h7];
}

function zeroBits(words) {
  let n = 0;
  for (const w of words) {
    if (w === 0) { n += 32; continue; }
    return n + Math.clz32(w);
  }
  return n;
}

// Tries counters from `from` for at most `count`; the counter found (a string) or null.
function search(challenge, bits, from, count) {
  const p = challenge.length;
  const m = new Uint8Array(((p + 20 + 9 + 63) >> 6) << 6);
  for (let k = 0; k < p; k++) m[k] = challenge.charCodeAt(k) & 0xff;
  for (let i = from; i < from + count; i++) {
    const digits = String(i);
    for (let k = 0; k < digits.length; k++) m[p + k] = digits.charCodeAt(k);
    if (zeroBits(sha256(m, p + digits.length)) >= bits) return digits;
  }
  return null;
}

function solveInWorker() {
  self.onmessage = (ev) => {
    const { challenge, bits } = ev.data;
    for (let from = 0; ; from += 100000) {
      const found = search(challenge, bits, from, 100000);
      if (found !== null) { self.postMessage(found); return; }
    }
  };
}

function solveOnPage(challenge, bits, done) {
  let from = 0;
  const slice = () => {
    const found = search(challenge, bits, from, 2000);
    if (found !== null) { done(found); return; }
    from += 2000;
    setTimeout(slice, 0);
  };
  slice();
}

function start() {
  const input = document.querySelector('input[name="pow_challenge"]');
  if (!input) return;
  const form = input.form;
  const counter = form.querySelector('input[name="pow_counter"]');
  const note = form.querySelector("[data-pow]");
  const challenge = input.value;
  const bits = Number(challenge.split(":")[3]);
  if (!counter || !(bits > 0 && bits <= 32)) return;
  if (note) note.hidden = false;
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  const finish = (found) => {
    counter.value = found;
    if (note && note.dataset.done) note.textContent = note.dataset.done;
    if (button) button.disabled = false;
    form.submit();
  };
  const src = document.currentScript && document.currentScript.src;
  let worker = null;
  try {
    if (src && typeof Worker === "function") worker = new Worker(src);
  } catch (_) {
    worker = null;
  }
  if (worker) {
    worker.onmessage = (ev) => { worker.terminate(); finish(ev.data); };
    worker.onerror = () => { worker.terminate(); solveOnPage(challenge, bits, finish); };
    worker.postMessage({ challenge, bits });
  } else {
    solveOnPage(challenge, bits, finish);
  }
}

if (typeof document === "undefined") {
  solveInWorker();
} else {
  // `document.currentScript` is only set while this script runs: start now (the script is
  // deferred, so the form is already parsed).
  start();
}
