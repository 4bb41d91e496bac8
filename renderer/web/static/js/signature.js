// Drawn signatures (consent signing): signature_pad on every [data-signature-pad].
// Pointer events, so a finger, a pen or a mouse all draw. The PNG (a data: URL) and the
// strokes (signature_pad's point data, as JSON) go into two hidden fields; "Undo" takes the
// last stroke back, "Clear" starts again. A form with an empty pad is not submitted.
// No inline script anywhere: this file is loaded with `defer` (CSP forbids inline code).
(function () {
  "use strict";

  function setup(box) {
    var canvas = box.querySelector("canvas");
    var image = box.querySelector('input[name="signature"]');
    var strokes = box.querySelector('input[name="strokes"]');
    var error = box.querySelector("[data-pad-error]");
    var pad = new window.SignaturePad(canvas, { minWidth: 0.8, maxWidth: 2.6, penColor: "#10243e" });

    function save() {
      var empty = pad.isEmpty();
      image.value = empty ? "" : pad.toDataURL("image/png");
      strokes.value = empty ? "" : JSON.stringify(pad.toData());
      if (!empty && error) { error.hidden = true; }
    }

    function fit() {
      // keep the drawing when the box changes size (rotation, window resize)
      var data = pad.toData();
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (data.length) { pad.fromData(data); }
    }

    pad.addEventListener("endStroke", save);
    box.querySelector("[data-pad-clear]").addEventListener("click", function () { pad.clear(); save(); });
    box.querySelector("[data-pad-undo]").addEventListener("click", function () {
      var data = pad.toData();
      data.pop();
      pad.fromData(data);
      save();
    });
    window.addEventListener("resize", fit);
    fit();

    var form = box.closest("form");
    if (form) {
      form.addEventListener("submit", function (event) {
        save();
        if (pad.isEmpty()) {
          event.preventDefault();
          if (error) { error.hidden = false; }
          canvas.scrollIntoView({ block: "center" });
        }
      });
    }
  }

  function start() {
    if (!window.SignaturePad) { return; }
    document.querySelectorAll("[data-signature-pad]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
