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
  // Browsers still report some zones by their old names (ICU's): suggest today's name.
  var renamed = {
    "Asia/Calcutta": "Asia/Kolkata", "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Saigon": "Asia/Ho_Chi_Minh", "Asia/Rangoon": "Asia/Yangon",
    "Europe/Kiev": "Europe/Kyiv", "Atlantic/Faeroe": "Atlantic/Faroe",
    "America/Godthab": "America/Nuuk", "Pacific/Enderbury": "Pacific/Kanton",
    "Pacific/Truk": "Pacific/Chuuk", "Pacific/Ponape": "Pacific/Pohnpei"
  };
  if (renamed[zone]) zone = renamed[zone];
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
