// The large-text mode (大字版): the header's link switches it in place, so nothing typed into a
// form is lost, and keeps the choice in the cookie the server reads. Without JavaScript the
// link itself asks the server (?text=large or ?text=standard), which sets the same cookie.
(function () {
  "use strict";
  var COOKIE = "yiwang_text";
  var YEAR = 365 * 24 * 3600;

  function choose(link, size) {
    var large = size === "large";
    document.documentElement.classList.toggle("large-text", large);
    var secure = location.protocol === "https:" ? "; secure" : "";
    document.cookie = COOKIE + "=" + size + "; path=/; max-age=" + YEAR + "; samesite=lax" + secure;
    var next = large ? "standard" : "large";
    var url = new URL(link.href);
    url.searchParams.set("text", next);
    link.href = url.pathname + url.search;
    link.dataset.textSize = next;
    link.textContent = large ? link.dataset.standard : link.dataset.large;
    // An address that still says ?text= would undo the choice at the next reload.
    var here = new URL(location.href);
    if (here.searchParams.has("text")) {
      here.searchParams.delete("text");
      history.replaceState(history.state, "", here.pathname + here.search + here.hash);
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-text-size]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    choose(link, link.dataset.textSize);
    link.focus();
  });
})();
