// The donate form's presets: a progressive enhancement. Without it the page is complete.
(function () {
  // Presets and the free amount field: typing clears the preset, picking a preset clears the
  // typed amount (without JavaScript a typed amount wins).
  var other = document.getElementById("amount");
  var presets = document.querySelectorAll("input[type=radio][name=preset]");
  if (other) {
    other.addEventListener("input", function () {
      presets.forEach(function (r) { r.checked = false; });
    });
    presets.forEach(function (r) {
      r.addEventListener("change", function () { if (r.checked) other.value = ""; });
    });
  }
  // The other site that sent the visitor, when the browser says (`document.referrer`): its
  // host goes with the form as `via`, since the page is the same for everyone and no cookie
  // is set. Without JavaScript nothing is sent. A form shown again carries it already.
  var form = other && other.form;
  if (form && document.referrer && !form.querySelector("input[name=via]")) {
    try {
      var host = new URL(document.referrer).host;
      if (host && host !== location.host) {
        var via = document.createElement("input");
        via.type = "hidden";
        via.name = "via";
        via.value = host;
        form.appendChild(via);
      }
    } catch (e) { /* not a URL: nothing sent */ }
  }
  // Each accepted currency has its presets and limit line; show the chosen currency's and
  // clear a preset picked under another (without JavaScript the server refuses that one).
  var currency = document.getElementById("currency");
  if (currency) {
    currency.addEventListener("change", function () {
      document.querySelectorAll("[data-currency]").forEach(function (el) {
        var on = el.getAttribute("data-currency") === currency.value;
        el.hidden = !on;
        if (!on) el.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = false; });
      });
    });
  }
})();

// Live progress: a progressive enhancement. Without it the page is complete. Each event
// carries the totals, the milestones' reached flags and the donor wall's newest entries.
(function () {
  var root = document.querySelector("[data-live]");
  if (!root || !window.EventSource) return;
  var state = null;
  var es = new EventSource(root.getAttribute("data-live"));
  function set(sel, text) {
    var el = root.querySelector(sel);
    if (el && text != null) el.textContent = text;
  }
  // A milestone's "reached" marks: the bar's line and the list item's tick.
  function milestone(m) {
    document.querySelectorAll('[data-milestone="' + Number(m.amount_minor) + '"]').forEach(function (el) {
      el.classList.toggle("reached", !!m.reached);
      var ok = el.querySelector(".ok");
      if (ok) ok.hidden = !m.reached;
    });
  }
  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = value;
    return el;
  }
  // The donor wall, rebuilt from the event's entries (names and messages as the wall shows
  // them after moderation). Donor text is only ever set as text.
  function wall(items, more) {
    var list = document.querySelector("[data-wall]");
    if (!list) return;
    var out = document.createDocumentFragment();
    items.forEach(function (w) {
      var li = document.createElement("li");
      li.append(text("strong", "", w.name), " ", text("span", "amt", w.amount), " ", text("span", "meta", w.date));
      if (w.rate_note) li.append(" ", text("span", "meta", "(" + w.rate_note + ")"));
      if (w.message) li.append(document.createElement("br"), text("q", "", w.message));
      out.appendChild(li);
    });
    list.replaceChildren(out);
    var empty = document.querySelector("[data-wall-empty]");
    if (empty) empty.hidden = items.length > 0;
    var all = document.querySelector("[data-wall-more]");
    if (all) all.hidden = !more;
  }
  es.addEventListener("progress", function (e) {
    var d = JSON.parse(e.data);
    set("[data-raised]", d.raised);
    set("[data-donors]", d.donors_text);
    set("[data-percent]", d.percent_text);
    var bar = root.querySelector("[data-bar]");
    if (bar) bar.setAttribute("width", String(d.bar));
    // Pledges and accrued matches: a lighter segment after the raised one, and its text.
    var pledgedBar = root.querySelector("[data-pledged-bar]");
    if (pledgedBar) {
      pledgedBar.setAttribute("x", String(d.bar));
      pledgedBar.setAttribute("width", String(d.pledged_bar || 0));
    }
    set("[data-pledged]", d.pledged);
    var pledgedWrap = root.querySelector("[data-pledged-wrap]");
    if (pledgedWrap) pledgedWrap.hidden = !d.pledged;
    var svg = root.querySelector("[data-bar-label]");
    if (svg) svg.setAttribute("aria-label", d.bar_label || d.percent_text);
    var banners = document.querySelector("[data-matches]");
    if (banners && d.matches) {
      var out = document.createDocumentFragment();
      d.matches.forEach(function (m) { out.appendChild(text("p", "match", m)); });
      banners.replaceChildren(out);
    }
    if (d.milestones) d.milestones.forEach(milestone);
    if (d.wall) wall(d.wall, d.wall_more);
    root.setAttribute("data-version", String(d.version));
    // Reaching the goal changes the page's call to action: show the new page.
    if (state && state !== d.state && d.state === "funded") location.reload();
    state = d.state;
  });
})();

// Live coverage of an event: a progressive enhancement. Without it the page shows the entries
// as of its loading, in UTC. With it, the times read in the reader's own zone and the list is
// refreshed every 20 s from the page itself (a kept copy in the page cache until an entry is
// added), while the tab is visible.
(function () {
  var box = document.querySelector("[data-live-post]");
  if (!box) return;
  var lang = document.documentElement.lang || undefined;
  function localize(root) {
    root.querySelectorAll("time[data-local]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) t.textContent = d.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
    });
  }
  localize(box);
  if (!window.fetch || !window.DOMParser) return;
  setInterval(function () {
    if (document.hidden) return;
    fetch(location.pathname, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live-post]");
      // The coverage ended: the entries are now the article's text.
      if (!fresh) { location.reload(); return; }
      localize(fresh);
      box.replaceWith(fresh);
      box = fresh;
    }).catch(function () {});
  }, 20000);
})();
