// Behaviour that used to sit in inline attributes (the Content-Security-Policy forbids them):
// data-confirm asks before a button submits, data-autosubmit submits a select's form on
// change, data-percent sets a progress bar's width.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]") && event.target.form) {
      event.target.form.submit();
    }
  });
  document.querySelectorAll("[data-percent]").forEach(function (bar) {
    bar.style.width = bar.getAttribute("data-percent") + "%";
  });
})();
