// A bank-result import run by a worker: move the <progress> bar until the job ends, then
// reload the page, which shows the outcome or every bad row.
(function () {
  "use strict";
  var box = document.getElementById("bank-import");
  if (!box || box.dataset.state === "done" || box.dataset.state === "failed") { return; }
  var bar = document.getElementById("bank-import-progress");
  var message = box.querySelector("[data-testid=import-message]");
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.value = job.percent;
        bar.textContent = job.percent + "%";
        message.textContent = job.message || job.state;
        if (job.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
