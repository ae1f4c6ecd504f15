// Storyboard page: live updates from everyone on it (to the list's cards, or to the board's
// frames and the shot open in its drawer), drag to reorder, undo bars that expire, the drawer,
// and prompts clamped to three lines with a "more" toggle.
// Loaded as a file, never inline, to keep the Content Security Policy strict.
(function () {
  "use strict";

  var INTERVAL = 3000; // one request per page per interval, whatever the page shows

  function Live(anchor) {
    this.url = anchor.dataset.liveUrl;
    this.busy = false;
    this.again = false;
    var self = this;
    this.timer = window.setInterval(function () { self.fetch(); }, INTERVAL);
    // Our own changes (a move, a duplicate, a new take) ask for the news at once.
    document.body.addEventListener("storyboard-changed", function () { self.fetch(); });
  }

  Live.prototype.token = function () {
    var status = document.getElementById("live-status");
    return status ? status.dataset.token : "";
  };

  Live.prototype.fetch = function () {
    if (this.busy) { this.again = true; return; }
    if (document.hidden && !this.again) return; // a background tab waits until it is looked at
    this.busy = true;
    this.again = false;
    var self = this;
    var url = this.url + "?since=" + encodeURIComponent(this.token());
    window.fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html) self.merge(html); })
      .catch(function () { /* offline for a moment: the next interval tries again */ })
      .then(function () {
        self.busy = false;
        if (self.again) self.fetch();
      });
  };

  Live.prototype.merge = function (html) {
    var doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
    var focused = document.activeElement && document.activeElement.id;
    var status = doc.getElementById("live-status");
    if (status) replace(document.getElementById("live-status"), status);
    var banner = doc.getElementById("pause-banner"), shown = document.getElementById("pause-banner");
    if (banner && shown && banner.dataset.state !== shown.dataset.state) replace(shown, banner);
    var self = this;
    doc.querySelectorAll("template[data-shot]").forEach(function (template) {
      self.mergeShot(template);
      mergeFrame(template);
    });
    sortShots(document.getElementById("shot-list"), "li[data-shot]");
    sortShots(document.getElementById("shot-board"), "li.frame");
    markOpenFrame();
    clampPrompts(document);
    if (focused && document.activeElement !== document.getElementById(focused)) {
      var again = document.getElementById(focused);
      if (again) again.focus();
    }
  };

  Live.prototype.mergeShot = function (template) {
    var uuid = template.dataset.shot;
    var here = document.getElementById("shot-" + uuid);
    if (template.hasAttribute("data-deleted")) {
      // Someone deleted it. Our own Undo bar for it stays until it expires.
      if (here && !here.hasAttribute("data-deleted")) here.remove();
      return;
    }
    var fresh = template.content.querySelector("li.shot");
    if (!here) {
      // The list shows every shot; the board's drawer only the one it has open.
      var list = document.getElementById("shot-list");
      if (list && list.dataset.view !== "board") list.insertBefore(adopt(fresh), list.querySelector(".no-shots"));
      return;
    }
    if (here.hasAttribute("data-deleted")) return; // we deleted it; our Undo decides
    here.dataset.position = fresh.dataset.position;
    // A price, the brand kit or a role changed: the cards differ with the same stamps.
    var redraw = template.hasAttribute("data-redraw");
    mergeBody(here, fresh, uuid, redraw);
    mergeTakes(here, fresh, uuid, redraw);
  };

  function mergeBody(here, fresh, uuid, redraw) {
    var mine = here.querySelector("#shot-" + uuid + "-body");
    var theirs = fresh.querySelector("#shot-" + uuid + "-body");
    if (!mine || !theirs || (!redraw && mine.dataset.stamp === theirs.dataset.stamp)) return;
    if (mine.hasAttribute("data-editing")) {
      // Never under someone's cursor: say it changed; saving then shows both versions.
      var note = mine.querySelector(".stale-note");
      if (note) note.hidden = false;
      return;
    }
    replace(mine, theirs);
    var label = here.querySelector(".shot-rail input[type=checkbox]");
    var title = theirs.querySelector(".shot-title");
    if (label && title) label.setAttribute("aria-label", "Select " + title.textContent.trim());
  }

  // Take cards that changed while someone was watching or working in them, by id: each is
  // merged once its video stops or focus leaves it (a live answer is sent only once).
  var waiting = {};

  function mergeTakes(here, fresh, uuid, redraw) {
    var list = here.querySelector("#shot-" + uuid + "-takes");
    fresh.querySelectorAll("li.take").forEach(function (take) {
      var mine = document.getElementById(take.id);
      if (!mine) { list.appendChild(adopt(take)); return; }
      // This one is newer; a redraw still waiting is owed even when its stamp is the same.
      var pending = waiting[take.id];
      delete waiting[take.id];
      if (!redraw && !pending && mine.dataset.stamp === take.dataset.stamp) return;
      if (busy(mine)) { waiting[take.id] = take; return; }
      mergeTake(mine, take);
    });
  }

  function mergeTake(mine, take) {
    var reading = mine.querySelector("details.review-fold[open]");
    var copy = replace(mine, take);
    // A review someone has open stays open (opening it fetches it afresh).
    var fold = reading && copy.querySelector("details.review-fold");
    if (fold) fold.open = true;
  }

  function mergeWaiting() {
    Object.keys(waiting).forEach(function (id) {
      var mine = document.getElementById(id);
      if (mine && busy(mine)) return;
      if (mine) mergeTake(mine, waiting[id]);
      delete waiting[id];
    });
  }

  // Someone is watching the take, or working in its card.
  function busy(card) {
    var video = card.querySelector("video");
    return (video && !video.paused) || inUse(card);
  }

  // Someone is working in this card: focus inside, or text typed that is not sent yet.
  function inUse(card) {
    if (card.contains(document.activeElement) && document.activeElement !== card) return true;
    return Array.prototype.some.call(card.querySelectorAll("textarea, input[type=text], input[type=number]"), function (field) {
      return field.value !== field.defaultValue;
    });
  }

  // A board frame: added, redrawn when it shows something else, or dropped with its shot. A
  // tick in its box stays ticked.
  function mergeFrame(template) {
    var board = document.getElementById("shot-board");
    if (!board) return;
    var here = document.getElementById("frame-" + template.dataset.shot);
    if (template.hasAttribute("data-deleted")) {
      if (here) here.remove();
      return;
    }
    var fresh = template.content.querySelector("li.frame");
    if (!here) {
      board.insertBefore(adopt(fresh), board.querySelector(".no-shots"));
      return;
    }
    if (here.innerHTML === fresh.innerHTML) return;
    var tick = here.querySelector("input[type=checkbox]");
    var copy = replace(here, fresh);
    var again = copy.querySelector("input[type=checkbox]");
    if (tick && again) again.checked = tick.checked;
  }

  function sortShots(list, selector) {
    if (!list) return;
    var shots = Array.prototype.slice.call(list.querySelectorAll(":scope > " + selector));
    var sorted = shots.slice().sort(function (a, b) {
      return Number(a.dataset.position) - Number(b.dataset.position);
    });
    var changed = sorted.some(function (li, index) { return li !== shots[index]; });
    if (!changed) return;
    var end = list.querySelector(".no-shots");
    sorted.forEach(function (li) { list.insertBefore(li, end); });
  }

  // The drawer: a frame's shot, fetched by htmx into #shot-drawer. Focus goes into it, and back
  // to the frame it came from when Close or Escape shuts it.
  function drawer() { return document.getElementById("shot-drawer"); }

  function openDrawer() {
    var box = drawer();
    box.hidden = false;
    var panel = box.querySelector(".drawer-panel");
    if (panel) panel.focus();
    clampPrompts(box);
    markOpenFrame();
  }

  // The frame whose shot is in the drawer says so (aria-current), also after a live redraw.
  function markOpenFrame() {
    var box = drawer();
    var panel = box && !box.hidden && box.querySelector(".drawer-panel");
    var open = panel ? "frame-" + panel.dataset.shot + "-open" : "";
    document.querySelectorAll(".frame-open").forEach(function (link) {
      if (link.id === open) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    });
  }

  function closeDrawer() {
    var box = drawer();
    var panel = box && box.querySelector(".drawer-panel");
    if (!panel) return false;
    var frame = document.getElementById("frame-" + panel.dataset.shot + "-open");
    box.hidden = true;
    box.replaceChildren();
    markOpenFrame();
    if (frame) frame.focus();
    return true;
  }

  // Duplicate in the drawer answers with the copy's card after the original's, as in the list;
  // on the board the copy is a frame (the live update that follows adds it), not a second card.
  function keepDrawerToItsShot(box) {
    var panel = box.querySelector(".drawer-panel");
    if (!panel || !panel.dataset.shot) return;
    box.querySelectorAll("#shot-list > li.shot").forEach(function (card) {
      if (card.dataset.shot !== panel.dataset.shot) card.remove();
    });
  }

  // Prompts: three lines, and a "more" toggle where the text runs on (measured, so a short
  // prompt gets no toggle at any width). Without this script the whole prompt shows.
  function clampPrompts(root) {
    root.querySelectorAll("[data-clamp]").forEach(function (prompt) {
      var toggle = prompt.parentNode.querySelector('[aria-controls="' + prompt.id + '"]');
      if (!toggle || toggle.getAttribute("aria-expanded") === "true") return;
      prompt.classList.add("clamped");
      toggle.hidden = prompt.scrollHeight <= prompt.clientHeight + 1;
    });
  }

  // The prompt's counter: "812 / 2000", and in words when it is near or over the limit (the
  // field has no maxlength, so nothing is cut). Counted as the server counts: by characters,
  // with each line break sent as two (a form sends CR LF).
  function countPrompt(field) {
    var counter = document.querySelector('[data-count-for="' + field.id + '"]');
    if (!counter) return;
    var limit = Number(field.dataset.limit);
    var length = Array.from(field.value).length + (field.value.match(/\n/g) || []).length;
    var state = length > limit ? "over" : length >= limit * 0.9 ? "near" : "";
    counter.querySelector("[data-count]").textContent = length + " / " + limit;
    var over = length - limit + " over the limit: shorten the prompt before saving.";
    counter.querySelector("[data-count-note]").textContent = state === "over" ? over : "";
    counter.classList.toggle("over", state === "over");
    if (counter.dataset.state === state) return; // announced once as it crosses a line
    counter.dataset.state = state;
    var say = { over: over, near: limit - length + " characters left.", "": "" }[state];
    counter.querySelector("[data-count-say]").textContent = say;
  }

  function initCounters(root) {
    root.querySelectorAll("textarea[data-limit]").forEach(function (field) {
      var id = field.id + "-count";
      var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(id) < 0) field.setAttribute("aria-describedby", described.concat(id).join(" "));
      countPrompt(field);
    });
  }

  function togglePrompt(toggle) {
    var prompt = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.querySelector("[data-toggle-word]").textContent = open ? "less" : "more";
    prompt.classList.toggle("clamped", !open);
  }

  function adopt(node) {
    var copy = document.importNode(node, true);
    window.htmx.process(copy);
    return copy;
  }

  function replace(old, node) {
    var copy = adopt(node);
    old.replaceWith(copy);
    return copy;
  }

  function initSortable(list) {
    if (!list || !list.dataset.reorderUrl || list.dataset.sortable === "on" || !window.Sortable) return;
    list.dataset.sortable = "on";
    window.Sortable.create(list, {
      handle: ".drag-handle",
      draggable: "li[data-shot]",
      forceFallback: true, // pointer events rather than native drag: the same in every browser
      animation: 150,
      onEnd: function () {
        var order = Array.prototype.map.call(
          list.querySelectorAll(":scope > li[data-shot]:not([data-deleted])"),
          function (li) { return li.dataset.shot; }
        );
        window.htmx.ajax("POST", list.dataset.reorderUrl, { swap: "none", values: { shot: order } });
      },
    });
  }

  // An Undo bar lasts as long as the server would honour it.
  function expireUndoBars() {
    var now = Date.now();
    document.querySelectorAll("li[data-undo-until]").forEach(function (li) {
      if (Date.parse(li.dataset.undoUntil) <= now) li.remove();
    });
  }

  function init() {
    var anchor = document.getElementById("storyboard-live");
    if (anchor && !anchor.live) anchor.live = new Live(anchor);
    initSortable(document.getElementById("shot-list"));
  }

  document.addEventListener("DOMContentLoaded", function () {
    init();
    clampPrompts(document);
    initCounters(document);
    var box = drawer();
    if (box && !box.hidden) { clampPrompts(box); markOpenFrame(); }
    window.setInterval(expireUndoBars, 1000);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var box = drawer();
    if (box && event.target === box) openDrawer();
    else clampPrompts(document);
    if (box) keepDrawerToItsShot(box);
    initCounters(document);
    mergeWaiting(); // a comment sent: its form is empty again
  });
  // Focus has moved on once focusout is over; a video's pause does not bubble.
  document.addEventListener("focusout", function () { window.setTimeout(mergeWaiting, 0); });
  document.addEventListener("pause", mergeWaiting, true);
  document.addEventListener("input", function (event) {
    if (event.target.matches("textarea[data-limit]")) countPrompt(event.target);
  });
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".prompt-toggle");
    if (toggle) { togglePrompt(toggle); return; }
    if (event.target.closest("[data-close-drawer]") && closeDrawer()) event.preventDefault();
  });
  document.addEventListener("keydown", function (event) {
    // A drawing on a take (annotate.js, which hears Escape first) is more inner still.
    if (event.key !== "Escape" || event.defaultPrevented) return;
    // Escape closes what is innermost first: an open take menu, then the drawer. Never while
    // typing, where it would throw away what was typed.
    var menu = event.target.closest("details.take-menu[open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
      event.preventDefault();
      return;
    }
    if (event.target.matches("textarea, input, select")) return;
    var box = drawer();
    if (box && box.contains(event.target) && closeDrawer()) event.preventDefault();
  });
  var resized = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resized);
    resized = window.setTimeout(function () { clampPrompts(document); }, 200);
  });
  document.addEventListener("visibilitychange", function () {
    var anchor = document.getElementById("storyboard-live");
    if (!document.hidden && anchor && anchor.live) anchor.live.fetch();
  });
})();
