// Playlist page: an item's crop centre set by clicking its poster frame. The two number inputs
// ("Crop centre, across" and "down") are the keyboard way and what is sent; a click fills them
// in, and the marker shows where the centre is. The server checks the values (0 to 1).
// Loaded as a file, never inline, to keep the Content Security Policy strict.
(function () {
  "use strict";

  function clamp(value) {
    return Math.max(0, Math.min(1, value));
  }

  function placeMarker(form) {
    var marker = form.querySelector("[data-crop-marker]");
    var x = parseFloat(form.querySelector("[data-crop-x]").value);
    var y = parseFloat(form.querySelector("[data-crop-y]").value);
    if (!marker) return;
    var inside = x >= 0 && x <= 1 && y >= 0 && y <= 1;
    marker.hidden = !inside;
    if (inside) {
      marker.style.left = (x * 100) + "%";  // CSSOM, which the CSP allows
      marker.style.top = (y * 100) + "%";
    }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-crop-form]"), placeMarker);
  }

  document.addEventListener("click", function (event) {
    var frame = event.target.closest && event.target.closest("[data-crop-picker]");
    if (!frame) return;
    var form = frame.closest("[data-crop-form]");
    var box = frame.getBoundingClientRect();
    if (!form || !box.width || !box.height) return;
    form.querySelector("[data-crop-x]").value = clamp((event.clientX - box.left) / box.width).toFixed(3);
    form.querySelector("[data-crop-y]").value = clamp((event.clientY - box.top) / box.height).toFixed(3);
    var framing = form.querySelector("select[name=framing]");
    if (framing) framing.value = "crop";  // a centre is for cropping
    placeMarker(form);
  });

  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("[data-crop-form]");
    if (form) placeMarker(form);
  });

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();
