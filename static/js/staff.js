// Staff pages, progressive enhancement only: every page works without this file.
(function () {
  "use strict";
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
