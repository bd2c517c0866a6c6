// The console's sensing page: say when new alerts arrive, from the server-sent events of
// /api/v1/sensing/alerts/stream (the department's own, by the page's filter), so that a member
// of staff on duty knows to reload the list. Everything shown is text, never HTML.
(function () {
  "use strict";

  var box = document.getElementById("live-alerts");
  if (!box || typeof EventSource === "undefined") return;
  var count = box.querySelector(".live-count");
  var last = box.querySelector(".live-last");
  var seen = 0;

  function arrived(event) {
    var data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    seen += 1;
    count.textContent = String(seen);
    last.textContent = [data.thing_name, data.datastream_name, data.label].filter(Boolean).join(" · ");
    box.hidden = false;
  }

  var source = new EventSource(box.dataset.stream);
  source.onopen = function () { box.dataset.connected = "true"; };
  ["alert.raised", "alert.escalated", "alert.recurred"].forEach(function (name) {
    source.addEventListener(name, arrived);
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
