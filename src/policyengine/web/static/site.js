// policyengine web pages: small progressive enhancements; every page reads without this file.
//
// - A check in progress (#job-progress): poll /jobs/<id>/progress, move the bar, and load the
//   results when the check is done (without this file the page refreshes itself).
// - A table with class "sortable": click a header with data-sort to sort the rows in place.
// - A form with data-filter-table: filter that table's rows as the choices change (the form
//   still submits to the server, which filters the same way).
"use strict";

(function () {
  function pollProgress(box) {
    var url = box.getAttribute("data-progress-url");
    var bar = document.getElementById("job-bar");
    var phase = document.getElementById("job-phase");
    var count = document.getElementById("job-count");
    function tick() {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { setTimeout(tick, 3000); return; }
          if (data.status !== "queued" && data.status !== "running") {
            window.location.reload();
            return;
          }
          if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
          if (phase) { phase.textContent = data.label; }
          if (count) { count.textContent = data.total ? data.done + " / " + data.total : ""; }
          setTimeout(tick, 1000);
        })
        .catch(function () { setTimeout(tick, 3000); });
    }
    setTimeout(tick, 500);
  }

  function cellKey(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    if (kind === "rank") { return Number(cell.getAttribute("data-rank") || 0); }
    if (kind === "count") { return -Number(cell.getAttribute("data-count") || 0); }
    var text = cell.textContent.trim();
    if (kind === "num") { return Number(text.replace(/[^0-9.\-]/g, "")) || 0; }
    return text;
  }

  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) { return; }
      th.addEventListener("click", function (event) {
        event.preventDefault();
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellKey(a, index, kind), y = cellKey(b, index, kind);
          var order = typeof x === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN");
          return ascending ? order : -order;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function liveFilter(form) {
    var table = document.getElementById(form.getAttribute("data-filter-table"));
    if (!table) { return; }
    var counter = document.getElementById("station-count");
    var verdict = form.querySelector("[name=verdict]");
    var area = form.querySelector("[name=area]");
    var query = form.querySelector("[name=q]");
    var total = table.tBodies[0].rows.length;
    function apply() {
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var text = row.textContent;
        var ok = (!verdict.value || row.getAttribute("data-verdict") === verdict.value) &&
          (!area.value || row.getAttribute("data-area") === area.value) &&
          (!query.value || text.indexOf(query.value.trim()) >= 0);
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      if (counter) {
        counter.textContent = counter.textContent.replace(/\d+ \/ \d+/, shown + " / " + total);
      }
    }
    [verdict, area].forEach(function (el) { if (el) { el.addEventListener("change", apply); } });
    if (query) { query.addEventListener("input", apply); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("job-progress");
    if (box) { pollProgress(box); }
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-filter-table]"), liveFilter);
  });
})();
