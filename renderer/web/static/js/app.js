// Cliniform's only own script: glue between the page and htmx. It holds no rules, scores or
// visibility logic (the server's evaluator does all of that); it only
//  * tells the live endpoint which inputs changed (`_changed`),
//  * keeps aria-invalid in step with the error lists the server swapped in,
//  * shows a banner when the server cannot be reached, and hides it again,
//  * has a draft autosaved after a row is added or removed too, and saves a change still
//    waiting for the autosave's pause before the page is left (language switch, a link),
//  * sends the page's CSRF token with every htmx request (X-CSRF-Token),
//  * counts down the session's idle timeout and warns before it signs the person out.
(function () {
  "use strict";

  function meta(name) {
    return document.querySelector("meta[name='" + name + "']");
  }

  // Inputs changed since the last live answer arrived. A request the next keystroke replaced
  // (hx-sync) was never answered, so the next one names those inputs too, before its own
  // (`_changed` repeated; the last is the one that triggered it).
  var pending = [];
  var sent = [];
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.name && target.form && pending.indexOf(target.name) < 0) { pending.push(target.name); }
  }, true);

  document.addEventListener("htmx:configRequest", function (event) {
    var token = meta("csrf-token");
    if (token) { event.detail.headers["X-CSRF-Token"] = token.content; }
    var trigger = event.detail.triggeringEvent;
    var target = trigger && trigger.target;
    if (target && target.name && target.form) {
      if (event.detail.elt === target.form) {
        sent = pending.filter(function (name) { return name !== target.name; }).concat([target.name]);
        event.detail.parameters["_changed"] = sent;
      } else {
        event.detail.parameters["_changed"] = target.name;
      }
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && event.detail.elt && event.detail.elt.tagName === "FORM") {
      pending = pending.filter(function (name) { return sent.indexOf(name) < 0; });
    }
  });

  // Only the error lists in what was swapped: a periodontal chart has ~900 of them, and
  // htmx settles every out-of-band fragment separately.
  function syncInvalid(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var lists = Array.prototype.slice.call(scope.querySelectorAll(".errors[id^='err-']"));
    if (scope.matches && scope.matches(".errors[id^='err-']")) { lists.push(scope); }
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

  document.addEventListener("htmx:afterSettle", function (event) { syncInvalid(event.target); banner(false); });
  document.addEventListener("htmx:sendError", function () { banner(true); });
  document.addEventListener("htmx:responseError", function () { banner(true); });

  // -- the draft autosave: no answer is lost to leaving the page ---------------------------
  // fill.html's #autosave posts the form 1.5 s after the last input. Adding or removing a
  // row is a click, not an input, so it fires cliniform:changed there too. A change made
  // since the last save (`edits` > `saved`) is saved before another form of the page is
  // submitted (the language switch comes back to this page, so it waits for the save), and
  // sent as a beacon when the page goes away by a link.
  var autosave = document.getElementById("autosave");
  var answers = document.getElementById("answers-form");
  if (autosave && answers) {
    var edits = 0;
    var saved = 0;
    var sending = 0;
    // an autosave on its way (its answer brings the draft's new _version), and the answers
    // form being posted (it carries every answer: no autosave or beacon may race it, or the
    // post would be based on a version the autosave has just replaced: a 409)
    var inflight = false;
    var leaving = false;
    var afterSave = null;
    var url = autosave.getAttribute("hx-post");
    var draft = function () {
      var body = new FormData(answers);
      var params = autosave.getAttribute("hx-params") || "";
      if (params.indexOf("not ") === 0) { params.slice(4).split(",").forEach(function (name) { body.delete(name.trim()); }); }
      return body;
    };
    answers.addEventListener("input", function () { edits += 1; });
    // a row button posts the answers form (hx-sync keeps one request at a time): noted when
    // it is sent, counted when the form's answer arrives
    var rowPending = false;
    document.addEventListener("htmx:configRequest", function (event) {
      var elt = event.detail.elt;
      if (elt === autosave) {
        if (leaving) { event.preventDefault(); return; }
        sending = edits;
        inflight = true;
      }
      if (elt && (elt.name === "_add_row" || elt.name === "_remove_row") && answers.contains(elt)) { rowPending = true; }
    });
    document.addEventListener("htmx:afterRequest", function (event) {
      var elt = event.detail.elt;
      if (elt === autosave) {
        inflight = false;
        if (afterSave) { var resume = afterSave; afterSave = null; resume(); }
      }
      if (!event.detail.successful) { return; }
      if (elt === autosave) {
        saved = Math.max(saved, sending);
      } else if (elt === answers && rowPending) {
        rowPending = false;
        edits += 1;
        autosave.dispatchEvent(new CustomEvent("cliniform:changed"));
      }
    });
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form === answers) {
        // save and sign post every answer themselves; one waits for an autosave on its way
        // so that it is based on the version that autosave makes
        if (inflight) {
          event.preventDefault();
          afterSave = function () { form.requestSubmit(event.submitter || undefined); };
          return;
        }
        if (!event.defaultPrevented) { leaving = true; saved = edits; }
        return;
      }
      if (edits <= saved) { return; }
      event.preventDefault();
      var token = meta("csrf-token");
      var now = edits;
      fetch(url, { method: "POST", body: draft(), credentials: "same-origin",
                   headers: { "X-CSRF-Token": token ? token.content : "", "HX-Request": "true" } })
        .catch(function () { /* the beacon on the way out is the last chance */ })
        .then(function () { saved = Math.max(saved, now); form.requestSubmit(event.submitter || undefined); });
    }, true);
    window.addEventListener("pagehide", function () {
      if (edits > saved) { navigator.sendBeacon(url, draft()); saved = edits; }
    });
  }

  // -- the session countdown ------------------------------------------------------------
  // The server ends a session after `idle` seconds without a request. The page knows how
  // long it had when it was rendered; every htmx request restarts the count. Before it
  // warns, it asks the server (GET /session/status, which does not count as activity),
  // since work in another tab keeps the same session alive.
  var session = meta("session-seconds");
  var warning = document.getElementById("session-warning");
  if (session && warning) {
    var warnAt = parseInt(session.getAttribute("data-warning"), 10) || 120;
    var idle = parseInt(session.getAttribute("data-idle"), 10) || 900;
    var deadline = Date.now() + (parseInt(session.content, 10) || 0) * 1000;
    var countdown = document.getElementById("session-countdown");
    var asked = false;

    var restart = function (seconds) {
      deadline = Date.now() + seconds * 1000;
      asked = false;
      warning.hidden = true;
    };
    var signedOut = function () {
      window.location.assign("/login?ended=idle&next=" + encodeURIComponent(window.location.pathname + window.location.search));
    };
    var ask = function () {
      asked = true;
      fetch("/session/status", { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.seconds_left > warnAt) { restart(body.seconds_left); } else { deadline = Date.now() + body.seconds_left * 1000; }
        })
        .catch(function () { /* keep the local count */ });
    };
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      // a second of grace past zero, so the server has surely ended the session too
      if (Date.now() > deadline + 1000) { signedOut(); return; }
      if (left <= warnAt) {
        if (!asked) { ask(); }
        warning.hidden = false;
        countdown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      } else {
        warning.hidden = true;
      }
    };
    document.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.successful) { restart(idle); }
    });
    var form = warning.querySelector("form");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var token = meta("csrf-token");
      fetch("/session/extend", {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": token ? token.content : "" },
      })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (body) { restart(body.seconds_left); })
        .catch(function () { form.submit(); });
    });
    window.setInterval(tick, 1000);
  }
})();
