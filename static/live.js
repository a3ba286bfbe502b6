// Live progress: a progressive enhancement. Without it the page is complete.
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
  // Amount presets and the free amount field share a name: typing clears the preset.
  var other = document.getElementById("amount");
  if (other) other.addEventListener("input", function () {
    document.querySelectorAll("input[type=radio][name=amount]").forEach(function (r) { r.checked = false; });
  });
})();
