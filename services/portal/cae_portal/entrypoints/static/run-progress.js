/* The payroll run's page: its progress updated without reloading (progressive enhancement:
   the page works without this script, its "Refresh" link reloads it). Polls the portal's
   own JSON (…/etat) every second while the run is running (follow.js). */
(function () {
  "use strict";
  var box = document.querySelector("[data-run-progress]");
  if (!box || !window.fetch || !window.caeFollow) { return; }
  var bar = box.querySelector("[data-figure='run-bar']");
  var issued = box.querySelector("[data-figure='run-issued']");
  var status = box.querySelector("[data-figure='run-status']");
  function show(state) {
    bar.max = state.expected || 1;
    bar.value = state.expected ? state.issued : 1;
    bar.textContent = state.percent + " %";
    issued.textContent = state.text;
    status.textContent = state.status_text;
    box.setAttribute("data-status", state.status);
  }
  window.caeFollow(box, show, function (state) {
    return state.status === "running" ? 1000 : 0;
  });
}());
