/* The web form: the price and the button follow the chosen duration; an error summary
   takes the focus. The form works the same without this script. */
(function () {
  "use strict";
  var out = document.getElementById("price");
  var button = document.getElementById("park-submit");
  var note = document.getElementById("price-note");
  function show() {
    var picked = document.querySelector("input[name=duration]:checked");
    if (!out || !button) { return; }
    if (!picked) { out.textContent = ""; return; }
    out.textContent = picked.dataset.price;
    if (note) { note.textContent = picked.dataset.note || ""; }
    button.textContent = picked.dataset.free === "yes" ? button.dataset.free : button.dataset.pay;
  }
  document.querySelectorAll("input[name=duration]").forEach(function (el) {
    el.addEventListener("change", show);
  });
  show();
  var summary = document.getElementById("form-error");
  if (summary) { summary.focus(); }
})();
