/* A network's payroll month: every cooperative's run followed without reloading
   (progressive enhancement: the page works without this script, its "Refresh" link
   reloads it). Reads the portal's own JSON (…/etat) once, then every 2 seconds while a
   run is still running; stops when every run is finished. The summary sentence is the
   page's live region (role="status"): it changes when a run finishes, not with each
   payslip. No external asset, no inline script (CSP 'self'). */
(function () {
  "use strict";
  var box = document.querySelector("[data-month-progress]");
  if (!box || !window.fetch || !window.caeFollow) { return; }
  var newRuns = box.querySelector("[data-new-runs]");
  function setText(node, text) {
    if (node && node.textContent !== text) { node.textContent = text; }
  }
  function figure(name) { return box.querySelector("[data-figure='" + name + "']"); }
  function showRun(run) {
    var row = document.querySelector("tr[data-cooperative='" + run.cooperative_id + "']");
    if (!row || row.getAttribute("data-outcome") !== "started") { return false; }
    row.setAttribute("data-status", run.status);
    setText(row.querySelector("[data-field='status']"), run.status_text);
    setText(row.querySelector("[data-field='completed']"), run.completed_text);
    setText(row.querySelector("[data-field='issued']"), run.issued_text);
    var bar = row.querySelector("[data-field='bar']");
    if (bar) {
      bar.max = run.expected || 1;
      bar.value = run.expected ? run.issued : 1;
      bar.textContent = run.percent + " %";
    }
    return true;
  }
  function show(state) {
    var unseen = 0;
    state.runs.forEach(function (run) { if (!showRun(run)) { unseen += 1; } });
    setText(figure("started"), String(state.figures.runs));
    setText(figure("running"), String(state.figures.running));
    setText(figure("issued"), String(state.figures.issued));
    setText(figure("expected"), String(state.figures.expected));
    setText(figure("summary"), state.summary);
    setText(figure("read"), state.read);
    if (newRuns) { newRuns.hidden = unseen === 0; }
    box.setAttribute("data-status", state.running ? "running" : "finished");
  }
  window.caeFollow(box, show, function (state) { return state.running ? 2000 : 0; });
}());
