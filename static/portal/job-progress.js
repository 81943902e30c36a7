// Poll a background job and draw its progress bar until it ends.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var bar = box.querySelector("[data-testid=progress-bar]");
  var message = box.querySelector("[data-testid=job-message]");
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.style.width = job.percent + "%";
        bar.textContent = job.percent + "%";
        bar.parentElement.setAttribute("aria-valuenow", job.percent);
        message.textContent = job.message || job.state;
        if (job.ready) { document.getElementById("job-download").classList.remove("d-none"); }
        if (job.state === "done" && box.dataset.doneUrl) { document.getElementById("job-continue").classList.remove("d-none"); }
        if (job.state !== "done" && job.state !== "failed") { setTimeout(poll, 500); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
