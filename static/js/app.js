// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Focus the error summary so screen readers announce the problems.
  var summary = document.querySelector("[data-focus]");
  if (summary) { summary.focus(); }

  // "None of these" unticks the other options, and the other options untick it.
  document.querySelectorAll("[data-exclusive-group]").forEach(function (group) {
    group.addEventListener("change", function (event) {
      var box = event.target;
      if (!box.checked) { return; }
      group.querySelectorAll("input[type=checkbox]").forEach(function (other) {
        if (other !== box && (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) {
          other.checked = false;
        }
      });
    });
  });

  // Stop a second click sending a form twice (the server also ignores repeats).
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("[data-prevent-double-click]");
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
  });
})();
