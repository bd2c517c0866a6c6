// The receipt's print button: shown only where scripts run, since printing needs one; the
// printed page is laid out by receipt.css.
(function () {
  "use strict";
  var button = document.getElementById("receipt-print");
  if (!button || typeof window.print !== "function") {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
})();
