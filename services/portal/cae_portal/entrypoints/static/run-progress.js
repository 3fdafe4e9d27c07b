/* The payroll run's page: its progress updated without reloading (progressive enhancement:
   the page works without this script, its "Refresh" link reloads it). Polls the portal's
   own JSON (…/etat) every second while the run is running; no external asset. */
(function () {
  "use strict";
  var box = document.querySelector("[data-run-progress]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-url");
  var bar = box.querySelector("[data-figure='run-bar']");
  var issued = box.querySelector("[data-figure='run-issued']");
  var status = box.querySelector("[data-figure='run-status']");
  var hint = box.querySelector("[data-no-script]");
  if (hint) { hint.hidden = true; }
  function show(state) {
    bar.max = state.expected || 1;
    bar.value = state.expected ? state.issued : 1;
    bar.textContent = state.percent + " %";
    issued.textContent = state.text;
    status.textContent = state.status_text;
    box.setAttribute("data-status", state.status);
    box.setAttribute("data-polled", String(Number(box.getAttribute("data-polled") || 0) + 1));
  }
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.status === "running") { window.setTimeout(poll, 1000); }
      })
      .catch(function () {
        if (hint) { hint.hidden = false; }
        window.setTimeout(poll, 5000);
      });
  }
  poll();
}());
