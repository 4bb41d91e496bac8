// Cliniform's only own script: glue between the page and htmx. It holds no rules, scores or
// visibility logic (the server's evaluator does all of that); it only
//  * tells the live endpoint which input changed (`_changed`),
//  * keeps aria-invalid in step with the error lists the server swapped in,
//  * shows a banner when the server cannot be reached, and hides it again.
(function () {
  "use strict";

  document.addEventListener("htmx:configRequest", function (event) {
    var trigger = event.detail.triggeringEvent;
    var target = trigger && trigger.target;
    if (target && target.name && target.form) {
      event.detail.parameters["_changed"] = target.name;
    }
  });

  function syncInvalid(root) {
    var lists = (root || document).querySelectorAll(".errors[id^='err-']");
    lists.forEach(function (list) {
      var id = list.id;
      var invalid = list.children.length > 0;
      document.querySelectorAll("[aria-describedby~='" + id + "']").forEach(function (el) {
        if (invalid) { el.setAttribute("aria-invalid", "true"); } else { el.removeAttribute("aria-invalid"); }
      });
      var wrapper = list.closest(".field");
      if (wrapper) { wrapper.classList.toggle("field--invalid", invalid); }
    });
  }

  function banner(show) {
    var el = document.getElementById("connection-banner");
    if (el) { el.hidden = !show; }
  }

  document.addEventListener("htmx:afterSettle", function () { syncInvalid(document); banner(false); });
  document.addEventListener("htmx:sendError", function () { banner(true); });
  document.addEventListener("htmx:responseError", function () { banner(true); });
})();
