// Try-a-rule: evaluate again as the record is typed. The page works without this file: the
// form posts to /try and the page comes back with the result. With it, each change posts the
// same form in the background and only the result panel is replaced (the form keeps focus).
(function () {
  "use strict";
  var form = document.getElementById("try-form");
  var panel = document.getElementById("try-result");
  if (!form || !panel || !window.fetch || !window.FormData || !window.DOMParser) {
    return;
  }
  var timer = null;
  var sent = 0;

  function evaluate() {
    var mine = ++sent;
    var data = new FormData(form);
    data.append("evaluate", "1");
    panel.setAttribute("aria-busy", "true");
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (mine !== sent) { return; } // a later change is on its way
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("try-result");
        if (fresh) { panel.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* the button still submits the form */ })
      .then(function () { if (mine === sent) { panel.removeAttribute("aria-busy"); } });
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(evaluate, 500);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  document.documentElement.classList.add("live-forms");
})();

// Draft a pack: a problem's "line N" selects that line in the text box (without this file the
// link only moves to the box).
(function () {
  "use strict";
  var links = document.querySelectorAll("a.goto[data-line]");
  Array.prototype.forEach.call(links, function (link) {
    link.addEventListener("click", function (event) {
      var box = document.getElementById(link.getAttribute("href").slice(1));
      if (!box || !box.setSelectionRange) { return; }
      event.preventDefault();
      var lines = box.value.split("\n");
      var line = Math.max(1, Math.min(lines.length, parseInt(link.getAttribute("data-line"), 10)));
      var start = 0;
      for (var i = 0; i < line - 1; i++) { start += lines[i].length + 1; }
      box.focus();
      box.setSelectionRange(start, start + lines[line - 1].length);
      var height = box.scrollHeight / Math.max(1, lines.length);
      box.scrollTop = Math.max(0, (line - 5) * height);
    });
  });
})();
