/* An assembly's staff page: its attendance and quorum updated without reloading, while
   the associates sign in, through this page or elsewhere (the governance service's sheet,
   read by the portal's JSON; progressive enhancement: the page works without this script,
   its "Refresh" link reloads it). Polls the portal's own JSON (…/presence) every 2 s
   until the assembly opens; no external asset. */
(function () {
  "use strict";
  var box = document.querySelector("[data-quorum-live]");
  if (!box || !window.fetch || !window.caeFollow) { return; }
  var list = box.querySelector("[data-figure='quorum']");
  function set(name, value) {
    var node = box.querySelector("[data-figure='" + name + "']");
    if (node && node.textContent !== String(value)) { node.textContent = String(value); }
  }
  function show(state) {
    set("present", state.present);
    set("represented", state.represented);
    set("postal", state.postal);
    set("taking-part", state.taking_part);
    set("electorate", state.electorate);
    var items = list.querySelectorAll("li");
    state.quorum.forEach(function (q, n) {
      var item = items[n];
      if (!item) { item = document.createElement("li"); list.appendChild(item); }
      item.className = q.reached ? "ok" : "warning";
      item.setAttribute("data-kind", q.kind);
      if (item.textContent !== state.quorum_text[n]) { item.textContent = state.quorum_text[n]; }
    });
    // the service's sheet: whoever signed the associate in, in whatever browser
    Object.keys(state.signed).forEach(function (member) {
      var row = box.querySelector("tr[data-member='" + member + "'] [data-state]");
      var mark = row && row.querySelector(".ok");
      if (row && !mark) {
        mark = document.createElement("span");
        mark.className = "ok";
        row.textContent = "";
        row.appendChild(mark);
      }
      if (mark && mark.textContent !== state.signed_text[member]) {
        mark.textContent = state.signed_text[member];
      }
    });
    box.setAttribute("data-taking-part", String(state.taking_part));
  }
  window.caeFollow(box, show, function (state) { return state.fixed ? 0 : 2000; });
}());
