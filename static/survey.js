// Progressive enhancement only: the survey works without this script.
// Fills the progress bar as items are answered.
(function () {
  var form = document.querySelector("form");
  var bar = document.getElementById("bar");
  if (!form || !bar) return;
  var groups = form.querySelectorAll(".q.i");
  function update() {
    var done = 0;
    for (var i = 0; i < groups.length; i++) {
      if (groups[i].querySelector("input:checked")) done++;
    }
    bar.style.width = (groups.length ? (100 * done) / groups.length : 0) + "%";
  }
  form.addEventListener("change", update);
  update();
})();
