/* Behaviour shared by every page; no inline scripts or handlers (the CSP forbids them).
   data-confirm asks before a button submits, data-autosubmit submits a select's form on
   change, data-percent sets a progress bar's width, data-print prints the page. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target) {
      // An incomplete form is reported first: confirming an irreversible step and then being
      // told a required reason is missing asks the user twice.
      var form = target.form;
      if (form && !form.noValidate && !target.formNoValidate && !form.checkValidity()) {
        form.reportValidity();
        event.preventDefault();
      } else if (!window.confirm(target.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    }
    if (event.target.closest("[data-print]")) {
      window.print();
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
    // Footer rows (totals) are labelled too; a cell spanning the whole row (an empty-state
    // message, "暂无…") gets no label: it is not the first column's value.
    table.querySelectorAll("tbody tr, tfoot tr").forEach(function (row) {
      var col = 0;
      var footer = row.parentNode.tagName === "TFOOT"; // its first cell is "合计" itself
      Array.prototype.forEach.call(row.children, function (cell) {
        var span = cell.colSpan || 1;
        if (!cell.hasAttribute("data-label") && heads[col] && span < heads.length &&
            !(footer && col === 0)) {
          cell.setAttribute("data-label", heads[col]);
        }
        col += span;
      });
    });
  });

  // Filter panels (<details class="filter-panel">) start open on wide screens, folded on phones.
  if (window.matchMedia("(min-width: 768px)").matches) {
    document.querySelectorAll("details.filter-panel").forEach(function (d) { d.open = true; });
  }
})();
