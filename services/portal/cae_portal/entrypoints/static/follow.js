/* Following a state of the portal's own JSON without reloading, for the live pages
   (run-progress.js, assemblies-quorum.js, network-progress.js): progressive enhancement,
   each page works without a script and its "Refresh" link reloads it.

   caeFollow(box, show, next): reads box's data-url; show(state) updates the page;
   next(state) says in how many milliseconds to read again, 0 to stop. After an error it
   shows the box's [data-no-script] hint and reads again in 5 s. The box carries
   data-polled (the count of states shown) and data-live (following, done, retrying).
   No external asset, no inline script (CSP 'self'). */
window.caeFollow = function (box, show, next) {
  "use strict";
  var url = box.getAttribute("data-url");
  var hint = box.querySelector("[data-no-script]");
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        show(state);
        box.setAttribute("data-polled", String(Number(box.getAttribute("data-polled") || 0) + 1));
        if (hint) { hint.hidden = true; }
        var delay = next(state);
        box.setAttribute("data-live", delay ? "following" : "done");
        if (delay) { window.setTimeout(poll, delay); }
      })
      .catch(function () {
        if (hint) { hint.hidden = false; }
        box.setAttribute("data-live", "retrying");
        window.setTimeout(poll, 5000);
      });
  }
  poll();
};
