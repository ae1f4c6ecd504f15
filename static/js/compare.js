// Compare two versions (templates/review/compare.html): one set of controls plays, pauses and
// seeks both players; the second follows the first, kept within a frame of it; side by side
// or a wipe, the second shown over the first from the wipe's edge to the right.
// Loaded as a file, never inline, to keep the CSP strict; the cut is CSSOM, which it allows.
(function () {
  "use strict";

  var FRAME = 1 / 30;  // the finest frame the takes and exports are made at

  function Compare(root) {
    this.first = root.querySelector("[data-first]");
    this.second = root.querySelector("[data-second]");
    this.stage = root.querySelector("[data-stage]");
    this.play = root.querySelector("[data-play]");
    this.position = root.querySelector("[data-position]");
    this.clock = root.querySelector("[data-clock]");
    this.wipe = root.querySelector("[data-wipe]");
    this.wipeControl = root.querySelector("[data-wipe-control]");
    this.modes = root.querySelector(".compare-modes");
    // One set of controls now: the players' own would let them drift apart.
    this.first.removeAttribute("controls");
    this.second.removeAttribute("controls");
    root.querySelector("[data-controls]").hidden = false;
    this.modes.hidden = false;

    var self = this;
    var first = this.first;
    first.addEventListener("loadedmetadata", function () { self.show(); });
    first.addEventListener("play", function () {
      self.play.textContent = "Pause";
      self.follow();
      window.requestAnimationFrame(function tick() {
        self.show();
        self.follow();
        if (!first.paused) window.requestAnimationFrame(tick);
      });
    });
    first.addEventListener("pause", function () {
      self.play.textContent = "Play";
      self.second.pause();
      self.follow();
      self.show();
    });
    first.addEventListener("seeked", function () { self.follow(); self.show(); });
    this.play.addEventListener("click", function () {
      if (first.paused) self.start(first);
      else first.pause();
    });
    this.position.addEventListener("input", function () {
      first.currentTime = parseFloat(self.position.value) || 0;
      self.follow();
    });
    this.wipe.addEventListener("input", function () { self.cut(); });
    this.modes.addEventListener("click", function (event) {
      var button = event.target.closest("[data-mode]");
      if (button) self.mode(button.dataset.mode);
    });
    this.show();
  }

  // A refused play (an autoplay policy) leaves both where they are: nothing to report.
  Compare.prototype.start = function (video) {
    var started = video.play();
    if (started && started.catch) started.catch(function () {});
  };

  // The second at the first's time (or its own end, when shorter), playing when the first is.
  Compare.prototype.follow = function () {
    var first = this.first, second = this.second;
    var end = isFinite(second.duration) ? second.duration : Infinity;
    var at = Math.min(first.currentTime, end);
    if (Math.abs(second.currentTime - at) > FRAME) second.currentTime = at;
    if (!first.paused && second.paused && at < end) this.start(second);
  };

  Compare.prototype.show = function () {
    var length = isFinite(this.first.duration) ? this.first.duration : 0;
    this.position.max = String(length);
    this.position.value = String(this.first.currentTime);
    this.clock.textContent = this.first.currentTime.toFixed(1) + " / " + length.toFixed(1) + " s";
  };

  Compare.prototype.mode = function (mode) {
    this.stage.classList.toggle("wipe", mode === "wipe");
    this.stage.classList.toggle("side", mode !== "wipe");
    this.modes.querySelectorAll("[data-mode]").forEach(function (button) {
      var pressed = button.dataset.mode === mode;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.classList.toggle("primary", pressed);
      button.classList.toggle("ghost", !pressed);
    });
    this.wipeControl.hidden = mode !== "wipe";
    this.cut();
  };

  Compare.prototype.cut = function () {
    var wiping = this.stage.classList.contains("wipe");
    var hidden = 100 - (parseFloat(this.wipe.value) || 0);
    this.second.style.clipPath = wiping ? "inset(0 0 0 " + hidden + "%)" : "";
  };

  var root = document.getElementById("compare");
  if (root) root.compare = new Compare(root);
})();
