// Live progress and the donate form's presets: progressive enhancements. Without them the
// page is complete.
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
(function () {
  var root = document.querySelector("[data-live]");
  if (!root || !window.EventSource) return;
  var state = null;
  var es = new EventSource(root.getAttribute("data-live"));
  function set(sel, text) {
    var el = root.querySelector(sel);
    if (el && text != null) el.textContent = text;
  }
  es.addEventListener("progress", function (e) {
    var d = JSON.parse(e.data);
    set("[data-raised]", d.raised);
    set("[data-donors]", d.donors_text);
    set("[data-percent]", d.percent_text);
    var bar = root.querySelector("[data-bar]");
    if (bar) bar.setAttribute("width", String(d.bar));
    var svg = root.querySelector("[data-bar-label]");
    if (svg) svg.setAttribute("aria-label", d.percent_text);
    root.setAttribute("data-version", String(d.version));
    // Reaching the goal changes the page's call to action: show the new page.
    if (state && state !== d.state && d.state === "funded") location.reload();
    state = d.state;
  });
})();
