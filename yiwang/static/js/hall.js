// The application form: the applicant's name and identity number are labelled by the type of
// applicant chosen (身份证号 for citizens, 统一社会信用代码 for enterprises); the identity
// number is checked as it is typed (the GB 11643 and GB 32100 check characters), so that a
// typo is caught before the form is sent; the courier address appears when 快递送达 is chosen,
// its fields then required (the district only where the city has districts), its city and
// district lists following the province and city chosen. The server checks all of it again:
// without this script the form still works.
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

  // --- the identity number ---------------------------------------------------------------
  var RIC_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var RIC_CHECK = "10X98765432";
  var USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

  function ricValid(value) {
    if (!/^\d{17}[\dX]$/.test(value)) {
      return false;
    }
    var sum = 0;
    for (var i = 0; i < 17; i += 1) {
      sum += Number(value.charAt(i)) * RIC_WEIGHTS[i];
    }
    return RIC_CHECK.charAt(sum % 11) === value.charAt(17);
  }

  function usccValid(value) {
    if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(value)) {
      return false;
    }
    var sum = 0;
    for (var i = 0; i < 17; i += 1) {
      sum += USCC_CHARS.indexOf(value.charAt(i)) * USCC_WEIGHTS[i];
    }
    return USCC_CHARS.charAt((31 - (sum % 31)) % 31) === value.charAt(17);
  }

  var idInput = document.getElementById("applicant-id-number");
  var idNote = document.getElementById("applicant-id-number-check");
  function checkId(finished) {
    if (!idInput || !idNote) {
      return;
    }
    var value = idInput.value.replace(/[\s-]/g, "").toUpperCase();
    var kind = select.value === "enterprise" ? "uscc" : "ric";
    var message = "";
    if (value.length > 18 || (value.length && value.length < 18 && finished)) {
      message = idInput.getAttribute("data-" + kind + "-length");
    } else if (value.length === 18 && !(kind === "uscc" ? usccValid(value) : ricValid(value))) {
      message = idInput.getAttribute("data-" + kind + "-invalid");
    }
    idInput.setCustomValidity(message || "");
    idNote.textContent = message || "";
    idNote.hidden = !message;
    if (message) {
      idInput.setAttribute("aria-invalid", "true");
      idInput.setAttribute("aria-describedby", "applicant-id-number-check");
    } else if (idInput.getAttribute("aria-describedby") === "applicant-id-number-check") {
      idInput.removeAttribute("aria-invalid");
      idInput.removeAttribute("aria-describedby");
    }
  }
  if (idInput) {
    idInput.addEventListener("input", function () { checkId(false); });
    idInput.addEventListener("change", function () { checkId(true); });
    select.addEventListener("change", function () { checkId(true); });
    if (idInput.value) {
      checkId(true);
    }
  }

  // --- the courier address ---------------------------------------------------------------
  var method = document.getElementById("delivery-method");
  var address = document.getElementById("delivery-address");
  if (!method || !address) {
    return;
  }
  var url = address.getAttribute("data-divisions");
  var province = document.getElementById("delivery-province");
  var city = document.getElementById("delivery-city");
  var district = document.getElementById("delivery-district");

  // Required only for delivery by courier, so that neither the browser nor a screen reader
  // asks for an address another method does not need; a district only where the chosen city
  // has districts (东莞市 has none). The mark in the label follows.
  function requireAddress() {
    var courier = method.value === "courier";
    var fields = address.querySelectorAll("[data-courier-required]");
    Array.prototype.forEach.call(fields, function (field) {
      var required = courier && !(field === district && city.value && district.options.length < 2);
      field.required = required;
      var mark = address.querySelector('label[for="' + field.id + '"] .req');
      if (mark) {
        mark.hidden = !required;
      }
    });
  }
  function showAddress() {
    address.hidden = method.value !== "courier";
    requireAddress();
  }
  method.addEventListener("change", showAddress);
  showAddress();
  function fill(list, divisions) {
    while (list.options.length > 1) {
      list.remove(1);
    }
    divisions.forEach(function (division) {
      list.add(new Option(division.name, division.code));
    });
    list.value = divisions.length === 1 ? divisions[0].code : "";
    requireAddress();
  }
  function load(query, list, then) {
    fill(list, []);
    if (!query.split("=")[1]) {
      if (then) {
        then();
      }
      return;
    }
    fetch(url + "?" + query, { headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : { divisions: [] }; })
      .then(function (body) {
        fill(list, body.divisions);
        if (then) {
          then();
        }
      })
      .catch(function () { /* the lists stay empty; the server still checks the address */ });
  }
  function loadDistricts() {
    load("city=" + encodeURIComponent(city.value), district);
  }
  province.addEventListener("change", function () {
    fill(district, []);
    load("province=" + encodeURIComponent(province.value), city, loadDistricts);
  });
  city.addEventListener("change", loadDistricts);
})();
