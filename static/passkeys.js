// Passkeys (WebAuthn): adding one on the account page, signing in with one on the sign-in
// page. Loaded only on those two pages. Without JavaScript, or in a browser without
// WebAuthn, the passkey controls stay hidden; signing in with a password needs neither.
// The server sends options with binary fields as base64url strings and takes the
// authenticator's answer back the same way (team/passkeys.rs).
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) return;

  function toBuf(s) {
    var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64u(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBuf(c.id) });
    });
  }

  function creationOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = toBuf(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: toBuf(pk.user.id) });
    pk.excludeCredentials = withIds(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = toBuf(pk.challenge);
    pk.allowCredentials = withIds(pk.allowCredentials);
    return { publicKey: pk };
  }

  function extensions(cred) {
    try {
      return cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
    } catch (e) {
      return {};
    }
  }

  function registrationJSON(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toB64u(cred.rawId),
      type: cred.type,
      response: {
        attestationObject: toB64u(r.attestationObject),
        clientDataJSON: toB64u(r.clientDataJSON)
      },
      extensions: extensions(cred)
    };
    if (r.getTransports) out.response.transports = r.getTransports();
    return out;
  }

  function assertionJSON(cred) {
    var r = cred.response;
    return {
      id: cred.id,
      rawId: toB64u(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: toB64u(r.authenticatorData),
        clientDataJSON: toB64u(r.clientDataJSON),
        signature: toB64u(r.signature),
        userHandle: r.userHandle ? toB64u(r.userHandle) : null
      },
      extensions: extensions(cred)
    };
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": csrf
      },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (j) {
        if (!res.ok) {
          var err = new Error("refused");
          err.serverMessage = j && j.error && j.error.message;
          throw err;
        }
        return j;
      });
    });
  }

  // Wires one passkey control: reveals it, and runs `ceremony` on a click, showing what
  // happens in the status line.
  function wire(box, button, ceremony) {
    var status = box.querySelector("#passkey-status");
    function say(text) {
      status.textContent = text;
      status.hidden = !text;
    }
    box.hidden = false;
    var nojs = document.getElementById("passkey-needs-js");
    if (nojs) nojs.hidden = true;
    button.addEventListener("click", function () {
      button.disabled = true;
      say(box.dataset.working);
      ceremony(box.dataset.csrf)
        .then(function (j) {
          if (j && j.redirect) window.location.assign(j.redirect);
        })
        .catch(function (e) {
          if (e && e.serverMessage) say(e.serverMessage);
          else if (e && e.name === "NotAllowedError") say(box.dataset.cancelled);
          else say(box.dataset.failed);
        })
        .then(function () {
          button.disabled = false;
        });
    });
  }

  var register = document.getElementById("passkey-register");
  var add = document.getElementById("passkey-add");
  if (register && add) {
    wire(register, add, function (csrf) {
      return post("/account/passkeys/register/start", csrf).then(function (start) {
        return navigator.credentials.create(creationOptions(start.options)).then(function (cred) {
          var label = document.getElementById("passkey-label");
          return post("/account/passkeys/register/finish", csrf, {
            challenge: start.challenge,
            label: label ? label.value : "",
            credential: registrationJSON(cred)
          });
        });
      });
    });
  }

  var signin = document.getElementById("passkey-signin");
  var go = document.getElementById("passkey-signin-button");
  if (signin && go) {
    wire(signin, go, function (csrf) {
      return post("/signin/passkey/start", csrf).then(function (start) {
        return navigator.credentials.get(requestOptions(start.options)).then(function (cred) {
          var next = document.querySelector("input[name=next]");
          return post("/signin/passkey/finish", csrf, {
            challenge: start.challenge,
            credential: assertionJSON(cred),
            next: next ? next.value : ""
          });
        });
      });
    });
  }
})();
