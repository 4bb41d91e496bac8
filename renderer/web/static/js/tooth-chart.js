// The tooth chart (widgets/tooth_chart.html): keyboard and pointer glue over a plain table.
// Without this file every tooth is a link to its row and the whole table shows. With it:
//  * a click, Enter or Space on a tooth opens that tooth's row (the table shows only the open
//    row; a button shows them all) and focuses the row's first control;
//  * the arrow keys move between teeth (left/right along a jaw as drawn, up/down to the other
//    jaw), Home/End go to the ends of a jaw; one tooth is in the tab order (roving tabindex);
//  * Escape in an open row returns to its tooth.
// It holds no rules, scores or visibility logic: what a tooth shows is drawn by the server,
// which sends the chart again (out of band) whenever a cell of its grid changes.
(function () {
  "use strict";

  var CONTROL = "select:not([disabled]), input:not([type=hidden]):not([disabled]), textarea:not([disabled]), button:not([disabled])";

  function teethOf(chart) {
    return Array.prototype.slice.call(chart.querySelectorAll(".odontogram .tooth"));
  }

  function rowOf(chart, tooth) {
    return tooth ? document.getElementById(tooth.getAttribute("data-row")) : null;
  }

  function current(chart) {
    var code = chart.getAttribute("data-current");
    return code ? document.getElementById(code) : null;
  }

  // Keep one tooth in the tab order (the open one, else the first) and mark the open one.
  function rove(chart) {
    var open = current(chart);
    var teeth = teethOf(chart);
    var focusable = open || teeth[0];
    teeth.forEach(function (tooth) {
      tooth.tabIndex = tooth === focusable ? 0 : -1;
      if (tooth === open) { tooth.setAttribute("aria-current", "true"); } else { tooth.removeAttribute("aria-current"); }
    });
    chart.querySelectorAll("tbody tr").forEach(function (tr) {
      tr.classList.toggle("is-open", !!open && tr.id === open.getAttribute("data-row"));
    });
    chart.classList.toggle("has-open", !!open);
  }

  function open(chart, tooth, focusRow) {
    chart.setAttribute("data-current", tooth.id);
    rove(chart);
    var row = rowOf(chart, tooth);
    if (!row) { return; }
    row.scrollIntoView({ block: "nearest" });
    if (focusRow) {
      var control = row.querySelector(CONTROL);
      if (control) { control.focus(); }
    }
  }

  // The tooth the arrow key goes to: along the jaw as drawn, or the nearest in the other jaw.
  function next(chart, tooth, key) {
    var arch = tooth.closest(".arch");
    var inArch = Array.prototype.slice.call(arch.querySelectorAll(".tooth"));
    var at = inArch.indexOf(tooth);
    if (key === "ArrowLeft") { return inArch[Math.max(0, at - 1)]; }
    if (key === "ArrowRight") { return inArch[Math.min(inArch.length - 1, at + 1)]; }
    if (key === "Home") { return inArch[0]; }
    if (key === "End") { return inArch[inArch.length - 1]; }
    var arches = Array.prototype.slice.call(chart.querySelectorAll(".arch"));
    var other = arches[arches.indexOf(arch) + (key === "ArrowUp" ? -1 : 1)];
    if (!other) { return tooth; }
    var box = tooth.getBoundingClientRect();
    var middle = box.left + box.width / 2;
    var best = tooth;
    var distance = Infinity;
    other.querySelectorAll(".tooth").forEach(function (candidate) {
      var b = candidate.getBoundingClientRect();
      var d = Math.abs(b.left + b.width / 2 - middle);
      if (d < distance) { distance = d; best = candidate; }
    });
    return best;
  }

  function enhance(chart) {
    if (chart.classList.contains("is-enhanced") || !chart.querySelector(".odontogram")) { return; }
    chart.classList.add("is-enhanced");
    var all = chart.querySelector(".tooth-chart-all");
    if (all) { all.hidden = false; }
    // a row with an error is open from the start, so the error is seen
    if (!current(chart)) {
      var wrong = chart.querySelector(".odontogram .tooth--invalid");
      if (wrong) { chart.setAttribute("data-current", wrong.id); }
    }
    rove(chart);
  }

  function enhanceAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.classList && scope.classList.contains("tooth-chart")) { enhance(scope); }
    scope.querySelectorAll(".tooth-chart").forEach(enhance);
    // a chart redrawn by the server: put the open tooth back
    if (scope.classList && scope.classList.contains("odontogram")) {
      var chart = scope.closest(".tooth-chart");
      if (chart) { rove(chart); }
    }
  }

  document.addEventListener("click", function (event) {
    var tooth = event.target.closest && event.target.closest(".tooth-chart.is-enhanced .odontogram .tooth");
    if (tooth) {
      event.preventDefault();
      open(tooth.closest(".tooth-chart"), tooth, true);
      return;
    }
    var toggle = event.target.closest && event.target.closest(".tooth-chart-all");
    if (toggle) {
      var chart = toggle.closest(".tooth-chart");
      var showing = chart.classList.toggle("shows-all");
      toggle.setAttribute("aria-pressed", showing ? "true" : "false");
      return;
    }
    // a link to a control in a closed row (the error summary): open that row first
    var link = event.target.closest && event.target.closest("a[href^='#']");
    if (link && link.getAttribute("href").length > 1) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      var row = target && target.closest(".tooth-chart.is-enhanced tbody tr");
      if (row) {
        var owner = row.closest(".tooth-chart");
        var its = owner.querySelector(".odontogram .tooth[data-row='" + row.id + "']");
        if (its) { open(owner, its, false); }
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    var tooth = event.target.closest && event.target.closest(".tooth-chart.is-enhanced .odontogram .tooth");
    if (tooth) {
      var chart = tooth.closest(".tooth-chart");
      if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        open(chart, tooth, true);
      } else if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].indexOf(event.key) >= 0) {
        event.preventDefault();
        var to = next(chart, tooth, event.key);
        teethOf(chart).forEach(function (t) { t.tabIndex = t === to ? 0 : -1; });
        to.focus();
      }
      return;
    }
    if (event.key === "Escape") {
      var row = event.target.closest && event.target.closest(".tooth-chart.is-enhanced tbody tr");
      if (row) {
        var owner = row.closest(".tooth-chart");
        var back = owner.querySelector(".odontogram .tooth[data-row='" + row.id + "']");
        if (back) { event.preventDefault(); back.focus(); }
      }
    }
  });

  document.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
})();
