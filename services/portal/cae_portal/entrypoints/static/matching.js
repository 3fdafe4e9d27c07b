// The skill fields' autocomplete: as one types (2 letters at least), the taxonomy's skills
// whose labels start alike fill the field's <datalist>. Without JavaScript the fields are
// plain text fields: a skill in one's own words is accepted as well.
(function () {
  "use strict";
  var timer = null;
  var last = "";
  function suggest(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var text = input.value.trim();
    if (!list || text.length < 2 || text === last) { return; }
    last = text;
    fetch(input.dataset.suggest + "?q=" + encodeURIComponent(text), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (answer) {
      return answer.ok ? answer.json() : [];
    }).then(function (labels) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      labels.forEach(function (label) {
        var option = document.createElement("option");
        option.value = label;
        list.appendChild(option);
      });
    }).catch(function () { /* no suggestion: the field stays a text field */ });
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.dataset || !input.dataset.suggest) { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { suggest(input); }, 250);
  });
}());
