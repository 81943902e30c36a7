// Application form: live amount from the server, autosave when leaving a section.
(function () {
  "use strict";
  var form = document.getElementById("application-form");
  if (!form) { return; }
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function textFields() {
    // Files are not sent by autosave or preview; they go with the explicit save/submit.
    var data = new FormData(form);
    Array.from(form.querySelectorAll("input[type=file]")).forEach(function (input) { data.delete(input.name); });
    return data;
  }

  var timer = null;
  function refreshAmount() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(form.dataset.previewUrl, {method: "POST", body: textFields(), headers: {"X-CSRFToken": csrf}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) { document.getElementById("live-evaluation").innerHTML = html; } })
        .catch(function () { /* offline: the saved amount stays shown */ });
    }, 300);
  }
  var factsStep = form.querySelector("[data-step=facts]");
  factsStep.addEventListener("input", refreshAmount);
  factsStep.addEventListener("change", refreshAmount);

  function autosave() {
    return fetch(form.dataset.autosaveUrl, {method: "POST", body: textFields(), headers: {"X-CSRFToken": csrf}, credentials: "same-origin"});
  }
  form.querySelectorAll("fieldset[data-step]").forEach(function (step) {
    step.addEventListener("focusout", function (event) {
      if (!step.contains(event.relatedTarget)) { autosave(); }
    });
  });
  window.addEventListener("pagehide", function () {
    if (navigator.sendBeacon) {
      var data = textFields();
      navigator.sendBeacon(form.dataset.autosaveUrl, data);  // the body carries the CSRF token
    }
  });
})();
