// Jigi console: live preview of an SMS template or a translation while it is typed (the page works
// without it): the server checks the text as saving would and says how a phone shows it.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');
  var DELAY = 300;

  function show(block, errorsBox, data) {
    var preview = data.preview;
    block.querySelectorAll("[data-role]").forEach(function (node) {
      var role = node.getAttribute("data-role");
      var value = preview ? preview[role] : null;
      if (role === "forcing_chars" && preview) {
        value = preview.forcing_chars.length ? preview.forcing_chars.join(" ") : node.getAttribute("data-none");
      }
      var text = role === "text" || role === "gsm7_text" ? "" : "—";  // a value the preview lacks
      node.textContent = value === undefined || value === null ? text : value;
    });
    errorsBox.textContent = "";
    data.errors.forEach(function (message) {
      var line = document.createElement("p");
      line.className = "error";
      line.textContent = message;
      errorsBox.appendChild(line);
    });
  }

  document.querySelectorAll("textarea[data-preview-url]").forEach(function (area) {
    var block = document.querySelector('.preview-block[data-for="' + area.id + '"]');
    var errorsBox = document.getElementById(area.id + "-live-errors");
    var timer = null;
    var sequence = 0;
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++sequence;
        fetch(area.getAttribute("data-preview-url"), {
          method: "POST",
          credentials: "same-origin",
          headers: {"Content-Type": "application/json", "Accept": "application/json",
                    "X-CSRFToken": token ? token.content : ""},
          body: JSON.stringify({language: area.getAttribute("data-language"), body: area.value})
        }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (data) {
          if (data && mine === sequence) { show(block, errorsBox, data); }
        }).catch(function () { /* the server-side preview stays until the next keystroke */ });
      }, DELAY);
    });
  });
})();
