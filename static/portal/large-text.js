/* 适老化大字模式: applied before the page paints, from the visitor's saved choice. */
(function () {
  try {
    if (window.localStorage.getItem("portal-large-text") === "1") {
      document.documentElement.classList.add("large-text");
    }
  } catch (e) { /* storage disabled: normal size */ }
})();
