// Annotations: a reviewer pauses a take's video, draws on the frame (arrow, box, freehand) and
// the drawing goes with the comment pinned to that moment; each saved drawing shows over the
// video while playback is within half a second of its moment (a pin's click seeks there).
// Shapes are kept as the server keeps them (studio/review/annotations.py): a kind and points,
// each a share (0 to 1) of the frame's width and height, so a drawing fits any size of player.
// Styles are SVG attributes and CSSOM, which the strict CSP allows; no inline style or script.
(function () {
  "use strict";

  if (window.studioAnnotate) return;  // the storyboard may load this more than once
  window.studioAnnotate = true;

  var SVG = "http://www.w3.org/2000/svg";
  var NEAR = 0.5;  // seconds either side of a pin's moment in which its drawing shows
  var STROKE = "#ffd400";
  var TOOLS = [["arrow", "Arrow"], ["box", "Box"], ["freehand", "Freehand"]];

  function videoOf(take) {
    return take ? take.querySelector(".take-media video") : null;
  }

  // The layer: an SVG laid exactly over the video element (not its letterbox: the player's box
  // has the take's ratio), drawn in a 0..1 square stretched to the video's size.
  function layerOf(take) {
    var video = videoOf(take);
    if (!video) return null;
    var media = video.parentNode;
    var layer = media.querySelector("svg.annotation-layer");
    if (layer) return layer;
    media.style.position = "relative";
    layer = document.createElementNS(SVG, "svg");
    layer.setAttribute("class", "annotation-layer");
    layer.setAttribute("viewBox", "0 0 1 1");
    layer.setAttribute("preserveAspectRatio", "none");
    layer.style.position = "absolute";
    layer.style.pointerEvents = "none";
    layer.style.touchAction = "none";
    layer.style.display = "none";
    layer.shapes = [];
    media.appendChild(layer);
    place(layer, video);
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        place(layer, video);
        render(layer, layer.shapes);
      }).observe(video);
    }
    return layer;
  }

  // In fractions of a pixel, as the video is laid out (offsetWidth would round them).
  function place(layer, video) {
    var media = video.parentNode;
    var box = video.getBoundingClientRect(), frame = media.getBoundingClientRect();
    layer.style.left = box.left - frame.left - media.clientLeft + "px";
    layer.style.top = box.top - frame.top - media.clientTop + "px";
    layer.style.width = box.width + "px";
    layer.style.height = box.height + "px";
  }

  function element(name, attributes) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    node.setAttribute("fill", "none");
    node.setAttribute("stroke", STROKE);
    node.setAttribute("stroke-width", "3");
    node.setAttribute("stroke-linecap", "round");
    node.setAttribute("stroke-linejoin", "round");
    node.setAttribute("vector-effect", "non-scaling-stroke");  // 3 px at any size
    return node;
  }

  function pointsText(points) {
    return points.map(function (p) { return p[0] + "," + p[1]; }).join(" ");
  }

  // An arrow's head is drawn in pixels, so it keeps its angle on a frame that is not square.
  function arrowHead(layer, points) {
    var width = layer.clientWidth || 1, height = layer.clientHeight || 1;
    var tail = points[0], head = points[1];
    var angle = Math.atan2((head[1] - tail[1]) * height, (head[0] - tail[0]) * width);
    var length = 16;
    return [angle - 0.5, angle + 0.5].map(function (wing) {
      return [head[0] - (length * Math.cos(wing)) / width, head[1] - (length * Math.sin(wing)) / height];
    });
  }

  function shapeNode(layer, shape) {
    var p = shape.points;
    if (shape.kind === "box") {
      return element("rect", {
        x: Math.min(p[0][0], p[1][0]), y: Math.min(p[0][1], p[1][1]),
        width: Math.abs(p[1][0] - p[0][0]), height: Math.abs(p[1][1] - p[0][1]),
      });
    }
    if (shape.kind === "arrow") {
      var wings = arrowHead(layer, p);
      var group = document.createElementNS(SVG, "g");
      group.appendChild(element("line", { x1: p[0][0], y1: p[0][1], x2: p[1][0], y2: p[1][1] }));
      group.appendChild(element("polyline", { points: pointsText([wings[0], p[1], wings[1]]) }));
      return group;
    }
    return element("polyline", { points: pointsText(p) });
  }

  function render(layer, shapes) {
    layer.shapes = shapes;
    while (layer.firstChild) layer.removeChild(layer.firstChild);
    shapes.forEach(function (shape) { layer.appendChild(shapeNode(layer, shape)); });
  }

  function show(layer, shapes, label) {
    place(layer, videoOf(layer.closest(".take")));
    render(layer, shapes);
    layer.setAttribute("role", "img");
    layer.setAttribute("aria-label", label);
    layer.style.display = "block";
  }

  function hide(layer) {
    render(layer, []);
    layer.removeAttribute("role");
    layer.removeAttribute("aria-label");
    layer.style.display = "none";
  }

  // Saved drawings: the pins of the take's comments carry them (templates/review/comment.html).
  function showSaved(video) {
    var take = video.closest(".take");
    if (!take || take.drawing || !video.closest(".take-media")) return;
    var now = video.currentTime, best = null;
    take.querySelectorAll("[data-annotation]").forEach(function (pin) {
      var distance = Math.abs(parseFloat(pin.dataset.seek) - now);
      if (distance <= NEAR && (!best || distance < best.distance)) best = { pin: pin, distance: distance };
    });
    var layer = best || take.querySelector("svg.annotation-layer") ? layerOf(take) : null;
    if (!layer) return;
    if (!best) { hide(layer); return; }
    var at = parseFloat(best.pin.dataset.seek).toFixed(1);
    show(layer, JSON.parse(best.pin.dataset.annotation), "Drawing of the comment at " + at + " s");
  }

  // Media events do not bubble: caught on their way down instead.
  ["timeupdate", "seeked"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (event.target.tagName === "VIDEO") showSaved(event.target);
    }, true);
  });

  // Drawing: one drawing at a time per take, held on the take's element while its form is open.

  function Drawing(take, form, tools) {
    this.take = take;
    this.form = form;
    this.tools = tools;
    this.video = videoOf(take);
    this.layer = layerOf(take);
    this.field = form.querySelector("input[name=annotation]");
    this.status = tools.querySelector("[data-annotate-status]");
    this.shapes = [];
    this.tool = null;
    this.current = null;
    var self = this;
    this.onDown = function (event) { self.down(event); };
    this.onMove = function (event) { self.move(event); };
    this.onUp = function () { self.up(); };
  }

  Drawing.prototype.start = function (tool) {
    var self = this;
    if (this.video.readyState < 1) {  // preload="none": the frame's time needs the metadata
      this.video.addEventListener("loadedmetadata", function () { self.start(tool); }, { once: true });
      this.video.preload = "metadata";
      this.video.load();
      return;
    }
    this.video.pause();
    if (!this.take.drawing) {
      // The pin is the paused moment, to the form's tenth of a second; the video shows that frame.
      var at = Math.round(this.video.currentTime * 10) / 10;
      this.video.currentTime = at;
      var input = this.form.querySelector("input[name=at_seconds]");
      if (input) input.value = at.toFixed(1);
      this.take.drawing = this;
    }
    if (!this.tool) {
      this.layer.addEventListener("pointerdown", this.onDown);
      this.layer.addEventListener("pointermove", this.onMove);
      this.layer.addEventListener("pointerup", this.onUp);
      this.layer.style.pointerEvents = "auto";
      this.layer.style.cursor = "crosshair";
    }
    this.tool = tool;
    this.press();
    this.draw();
    this.say("Paused at " + this.form.querySelector("input[name=at_seconds]").value +
      " s: drag on the video to draw. Escape cancels the drawing.");
  };

  // The tool put down: the video's own controls answer again; the drawing stays, to be sent.
  Drawing.prototype.stop = function () {
    this.layer.removeEventListener("pointerdown", this.onDown);
    this.layer.removeEventListener("pointermove", this.onMove);
    this.layer.removeEventListener("pointerup", this.onUp);
    this.layer.style.pointerEvents = "none";
    this.layer.style.cursor = "";
    this.tool = null;
    this.current = null;
    this.press();
  };

  // Escape, or the comment added: the drawing is over, and what shows over the video is the
  // saved drawings again.
  Drawing.prototype.end = function () {
    this.shapes = [];
    this.save();
    this.stop();
    if (this.take.drawing === this) this.take.drawing = null;
    hide(this.layer);
    showSaved(this.video);
  };

  Drawing.prototype.clear = function () {
    if (this.take.drawing !== this) return;  // nothing drawn yet: the saved drawings stay
    this.shapes = [];
    this.current = null;
    this.save();
    this.draw();
    this.say("Drawing cleared.");
  };

  Drawing.prototype.press = function () {
    var tool = this.tool;
    this.tools.querySelectorAll("[data-tool]").forEach(function (button) {
      var pressed = button.dataset.tool === tool;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.classList.toggle("primary", pressed);
      button.classList.toggle("ghost", !pressed);
    });
  };

  Drawing.prototype.point = function (event) {
    var box = this.layer.getBoundingClientRect();
    var clamp = function (n) { return Math.round(Math.max(0, Math.min(1, n)) * 10000) / 10000; };
    return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
  };

  Drawing.prototype.down = function (event) {
    if (!this.tool || event.button !== 0) return;
    event.preventDefault();
    this.layer.setPointerCapture(event.pointerId);
    var at = this.point(event);
    this.current = { kind: this.tool, points: [at, at] };
    this.draw();
  };

  Drawing.prototype.move = function (event) {
    if (!this.current) return;
    var at = this.point(event), points = this.current.points;
    if (this.current.kind !== "freehand") points[1] = at;
    else {
      var last = points[points.length - 1];
      // A point every few thousandths of the frame: a smooth line within the server's bound.
      if (Math.abs(at[0] - last[0]) + Math.abs(at[1] - last[1]) > 0.004 && points.length < 500) points.push(at);
    }
    this.draw();
  };

  Drawing.prototype.up = function () {
    var shape = this.current;
    this.current = null;
    if (!shape) return;
    var a = shape.points[0], b = shape.points[shape.points.length - 1];
    // A click without a drag draws nothing.
    if (Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) > 0.01 && this.shapes.length < 30) {
      this.shapes.push(shape);
      this.save();
      var n = this.shapes.length;
      this.say(n + (n === 1 ? " shape" : " shapes") + " drawn: add the comment to keep the drawing.");
    }
    this.draw();
  };

  Drawing.prototype.draw = function () {
    var shapes = this.current ? this.shapes.concat([this.current]) : this.shapes;
    show(this.layer, shapes, "Your drawing");
  };

  Drawing.prototype.save = function () {
    this.field.value = this.shapes.length ? JSON.stringify(this.shapes) : "";
  };

  Drawing.prototype.say = function (text) {
    this.status.textContent = text;
  };

  function button(text, attributes) {
    var node = document.createElement("button");
    node.type = "button";
    node.className = "button small ghost";
    node.textContent = text;
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    return node;
  }

  // The tools join each take's comment form (templates/review/take_review.html) once the page
  // can draw: without this script the form is the plain one, with no drawing to send.
  function enhance(form) {
    var take = form.closest(".take");
    if (!take || !videoOf(take) || form.querySelector(".annotate-tools")) return;
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "annotation";
    form.appendChild(field);
    var section = form.closest("[aria-label^='Review of ']");
    var which = section ? section.getAttribute("aria-label").replace("Review of ", "") : "the take";
    var tools = document.createElement("div");
    tools.className = "annotate-tools pin-row";
    tools.setAttribute("role", "group");
    tools.setAttribute("aria-label", "Draw on the paused frame of " + which);
    TOOLS.forEach(function (tool) {
      tools.appendChild(button(tool[1], { "data-tool": tool[0], "aria-pressed": "false" }));
    });
    tools.appendChild(button("Clear", { "data-annotate-clear": "" }));
    var status = document.createElement("span");
    status.className = "small muted";
    status.setAttribute("data-annotate-status", "");
    status.setAttribute("aria-live", "polite");
    tools.appendChild(status);
    var submit = form.querySelector("button[type=submit]");
    form.insertBefore(tools, submit);
    var drawing = new Drawing(take, form, tools);
    tools.addEventListener("click", function (event) {
      var pressed = event.target.closest("button");
      if (!pressed) return;
      if (pressed.dataset.tool === undefined) drawing.clear();
      else if (drawing.tool === pressed.dataset.tool) drawing.stop();  // pressed again: done
      else drawing.start(pressed.dataset.tool);
    });
  }

  function enhanceAll() {
    // A drawing whose form was swapped away (the comment was added) is over.
    document.querySelectorAll(".take").forEach(function (take) {
      if (take.drawing && !document.contains(take.drawing.form)) take.drawing.end();
    });
    document.querySelectorAll(".take .comment-form").forEach(enhance);
  }

  // Escape cancels the drawing of the take the keyboard is in, else of the one being drawn on.
  // Heard while capturing, before the storyboard's Escape (which closes the drawer around it).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var here = document.activeElement && document.activeElement.closest(".take");
    var takes = Array.prototype.filter.call(document.querySelectorAll(".take"), function (take) {
      return take.drawing;
    });
    var take = here && here.drawing ? here : takes[0];
    if (!take) return;
    event.preventDefault();
    var drawing = take.drawing;
    drawing.end();
    drawing.say("Drawing cancelled.");
  }, true);

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhanceAll);
  else enhanceAll();
  document.addEventListener("htmx:afterSettle", enhanceAll);
})();
