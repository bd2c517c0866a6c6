// The application form: the applicant's name and identity number are labelled by the type of
// applicant chosen (身份证号 for citizens, 统一社会信用代码 for enterprises).
(function () {
  "use strict";
  var select = document.getElementById("applicant-type");
  if (!select) {
    return;
  }
  function relabel() {
    var kind = select.value;
    ["applicant-name", "applicant-id-number"].forEach(function (id) {
      var label = document.querySelector('label[for="' + id + '"]');
      var text = label && label.getAttribute("data-" + kind);
      var target = label && label.querySelector(".switch");
      if (text && target) {
        target.textContent = text;
      }
    });
  }
  select.addEventListener("change", relabel);
  relabel();
})();
