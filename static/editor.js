// SPDX-License-Identifier: AGPL-3.0-or-later
// The console's editors (posts, campaigns): keeps a draft of the form on the server every
// few seconds while it changes (POST to the form's data-autosave address; the answer brings
// fresh tokens), says when the session has ended (the text is kept for the sign-in), and
// tells the server where the cursor is in the body, so "Insert an image" puts it there.
// Without this script the forms work the same, minus the drafts; the image goes at the end.
(function () {
  'use strict';
  var form = document.querySelector('form[data-autosave]');
  if (!form || !window.fetch || !window.FormData) return;
  var url = form.getAttribute('data-autosave');
  var status = document.getElementById('autosave-status');
  var signin = document.getElementById('autosave-signin');
  var SKIP = ['csrf', 'keep_token', 'action', 'image', 'insert_image', 'cover'];
  var body = form.querySelector('textarea[name=body]');
  var insertAt = form.querySelector('input[name=insert_at]');
  var cursorMoved = false;

  function fields() {
    var d = new FormData(form);
    d.delete('image');
    d.delete('insert_image');
    d.delete('cover');
    d.delete('action');
    return d;
  }
  function text(d) {
    var parts = [];
    d.forEach(function (v, k) {
      if (SKIP.indexOf(k) < 0) parts.push(k + '=' + v);
    });
    return parts.join('\u0000');
  }
  function say(msg) {
    if (status) status.textContent = msg || '';
  }
  function setValue(name, value) {
    var el = form.querySelector('input[name=' + name + ']');
    if (el && value) el.value = value;
  }

  var last = text(fields());
  var busy = false;
  var submitting = false;
  function tick() {
    if (busy || submitting) return;
    var d = fields();
    var t = text(d);
    if (t === last) return;
    busy = true;
    fetch(url, {
      method: 'POST',
      body: d,
      credentials: 'same-origin',
      redirect: 'manual',
      headers: { Accept: 'application/json' },
    })
      .then(function (r) {
        if (r.type === 'opaqueredirect' || r.status === 401) {
          // Signed out: the server kept the text for the sign-in (console::keep).
          last = t;
          say(form.getAttribute('data-msg-signed-out'));
          if (signin) signin.hidden = false;
          return null;
        }
        if (!r.ok) throw new Error('autosave ' + r.status);
        return r.json();
      })
      .then(function (j) {
        if (!j) return;
        last = t;
        setValue('csrf', j.csrf);
        setValue('keep_token', j.keep_token);
        say(j.message);
        if (signin) signin.hidden = true;
      })
      .catch(function () {
        say(form.getAttribute('data-msg-failed'));
      })
      .then(function () {
        busy = false;
      });
  }
  setInterval(tick, 5000);

  if (body && insertAt) {
    ['focus', 'click', 'keyup', 'select', 'input'].forEach(function (ev) {
      body.addEventListener(ev, function () {
        cursorMoved = true;
      });
    });
  }
  form.addEventListener('submit', function () {
    submitting = true;
    if (body && insertAt && cursorMoved) insertAt.value = String(body.selectionStart);
  });
})();
