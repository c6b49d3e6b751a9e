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

  // Follow-up questions (GOV.UK's conditional reveal): shown under their question while an
  // answer that calls for them is chosen, hidden otherwise; their "revealed" input tells the
  // server they were on screen. In page order, so a follow-up of a follow-up that has just been
  // hidden goes too. A follow-up whose question is on another page is left as the server sent it.
  var followUps = document.querySelectorAll("[data-follow-up]");
  function reveal() {
    followUps.forEach(function (field) {
      var name = field.getAttribute("data-follow-up");
      var wanted = field.getAttribute("data-follow-up-values").split(" ");
      var parents = document.querySelectorAll("input[name=\"" + name.replace(/["\\]/g, "\\$&") + "\"]");
      if (!parents.length) { return; }
      var shown = Array.prototype.some.call(parents, function (input) {
        return input.checked && wanted.indexOf(input.value) !== -1 && !input.closest("[hidden]");
      });
      field.hidden = !shown;
      var revealed = field.querySelector("input[name=revealed]");
      if (revealed) { revealed.disabled = !shown; }
    });
  }
  if (followUps.length) {
    document.addEventListener("change", reveal);
    reveal();
  }

  // Stop a second click sending a form twice (the server also ignores repeats).
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("[data-prevent-double-click]");
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
  });
})();
