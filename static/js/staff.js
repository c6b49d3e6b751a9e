// Staff pages, progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // A date picker left half-typed ("4/12/20") sends nothing, so the form would go without
  // the date and without a word. Stop the form and say so next to the field, as the server
  // words it (the input's data-incomplete). Caught on the way down, before other handlers.
  function dateProblem(input, message) {
    var id = input.id + "-error";
    var error = document.getElementById(id);
    if (!error) {
      error = document.createElement("p");
      error.id = id;
      error.className = "error-message";
      var row = input.closest(".input-row") || input;
      row.parentNode.insertBefore(error, row);
    }
    error.setAttribute("data-from-script", "");
    error.textContent = "";
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = "Error:";
    error.appendChild(hidden);
    error.appendChild(document.createTextNode(" " + message));
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(id) === -1) { described.push(id); }
    input.setAttribute("aria-describedby", described.join(" "));
    var field = input.closest(".field");
    if (field) { field.classList.add("field--error"); }
  }
  // Forms with a date picker are left to the browser's own check without this script (which
  // stops a half-typed date); with it, the message below says what to do, by the field.
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    if (form.querySelector("input[type=date]")) { form.noValidate = true; }
  });
  document.addEventListener("submit", function (event) {
    var dates = event.target.querySelectorAll("input[type=date]");
    var bad = Array.prototype.filter.call(dates, function (input) {
      return input.validity && input.validity.badInput;
    });
    if (!bad.length) { return; }
    event.preventDefault();
    event.stopPropagation();
    bad.forEach(function (input) {
      dateProblem(input, input.getAttribute("data-incomplete") || "Enter a full date");
    });
    bad[0].focus();
  }, true);
  // Once the date is whole again (or cleared), the script's own message goes.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "date" || input.validity.badInput) { return; }
    var error = document.getElementById(input.id + "-error");
    if (!error || !error.hasAttribute("data-from-script")) { return; }
    error.remove();
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== error.id;
    });
    if (described.length) { input.setAttribute("aria-describedby", described.join(" ")); }
    else { input.removeAttribute("aria-describedby"); }
    var field = input.closest(".field");
    if (field) { field.classList.remove("field--error"); }
  });

  // "Copy" beside a phone number or email address: shown only where the browser can copy.
  var buttons = document.querySelectorAll("[data-copy]");
  if (!buttons.length || !navigator.clipboard || !window.isSecureContext) { return; }
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  document.body.appendChild(status);
  buttons.forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var label = button.innerHTML;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = "Copied";
        status.textContent = "Copied " + text;
        setTimeout(function () { button.innerHTML = label; }, 2000);
      }, function () {
        status.textContent = "Could not copy: select the text and copy it instead";
      });
    });
  });
})();
