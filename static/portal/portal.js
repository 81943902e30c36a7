/* Behaviour shared by every page (no inline scripts: the CSP forbids them). */
(function () {
  "use strict";

  // Selects that submit their form when changed (the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // 大字模式 switch: remembered in this browser.
  var toggle = document.getElementById("large-text-toggle");
  if (toggle) {
    var root = document.documentElement;
    var sync = function () {
      toggle.setAttribute("aria-pressed", root.classList.contains("large-text") ? "true" : "false");
    };
    sync();
    toggle.addEventListener("click", function () {
      root.classList.toggle("large-text");
      try {
        window.localStorage.setItem("portal-large-text", root.classList.contains("large-text") ? "1" : "0");
      } catch (e) { /* storage disabled */ }
      sync();
    });
  }

  // Phone layout: each table cell carries its column heading, shown as a label when the
  // table turns into cards below the md breakpoint (portal.css, .table-cards).
  document.querySelectorAll("table.table").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!heads.length) { return; }
    table.classList.add("table-cards");
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var col = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        if (!cell.hasAttribute("data-label") && heads[col]) {
          cell.setAttribute("data-label", heads[col]);
        }
        col += cell.colSpan || 1;
      });
    });
  });

  // Filter panels (<details class="filter-panel">) start open on wide screens and folded
  // on phones.
  if (window.matchMedia("(min-width: 768px)").matches) {
    document.querySelectorAll("details.filter-panel").forEach(function (d) { d.open = true; });
  }
})();

/* Print buttons and confirmations (data attributes instead of inline handlers). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
