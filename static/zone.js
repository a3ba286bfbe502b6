// Suggests the browser's time zone in a time-zone select the server marked
// `data-zone-suggest` (a new invitation, or a member who still has the default zone), as long
// as the field still shows the server's choice. The value of the attribute names a hint to
// reveal. Without JavaScript the server's default stays; the server checks whatever is sent.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) return;
  document.querySelectorAll("select[data-zone-suggest]").forEach(function (sel) {
    var opts = Array.prototype.slice.call(sel.options);
    var initial = opts.filter(function (o) { return o.defaultSelected; })[0] || opts[0];
    var offered = opts.some(function (o) { return o.value === zone; });
    if (!offered || !initial || sel.value !== initial.value || sel.value === zone) return;
    sel.value = zone;
    var hint = document.getElementById(sel.getAttribute("data-zone-suggest"));
    if (hint) hint.hidden = false;
  });
})();
