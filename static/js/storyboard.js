// Storyboard page: live updates from everyone on it, drag to reorder, undo bars that expire.
// Loaded as a file, never inline, to keep the Content Security Policy strict.
(function () {
  "use strict";

  var INTERVAL = 3000; // one request per page per interval, whatever the page shows

  function Live(anchor) {
    this.url = anchor.dataset.liveUrl;
    this.list = document.getElementById("shot-list");
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
    var self = this;
    doc.querySelectorAll("template[data-shot]").forEach(function (template) {
      self.mergeShot(template);
    });
    this.sort();
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
      this.list.insertBefore(adopt(fresh), this.list.querySelector(".no-shots"));
      return;
    }
    if (here.hasAttribute("data-deleted")) return; // we deleted it; our Undo decides
    here.dataset.position = fresh.dataset.position;
    mergeBody(here, fresh, uuid);
    mergeTakes(here, fresh, uuid);
  };

  function mergeBody(here, fresh, uuid) {
    var mine = here.querySelector("#shot-" + uuid + "-body");
    var theirs = fresh.querySelector("#shot-" + uuid + "-body");
    if (!mine || !theirs || mine.dataset.stamp === theirs.dataset.stamp) return;
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

  function mergeTakes(here, fresh, uuid) {
    var list = here.querySelector("#shot-" + uuid + "-takes");
    fresh.querySelectorAll("li.take").forEach(function (take) {
      var mine = document.getElementById(take.id);
      if (!mine) { list.appendChild(adopt(take)); return; }
      if (mine.dataset.stamp === take.dataset.stamp) return;
      var video = mine.querySelector("video");
      if (video && !video.paused) return; // someone is watching it: the next change redraws
      if (inUse(mine)) return; // a comment half typed stays: the next change redraws
      replace(mine, take);
    });
  }

  // Someone is working in this card: focus inside, or text typed that is not sent yet.
  function inUse(card) {
    if (card.contains(document.activeElement) && document.activeElement !== card) return true;
    return Array.prototype.some.call(card.querySelectorAll("textarea, input[type=text], input[type=number]"), function (field) {
      return field.value !== field.defaultValue;
    });
  }

  Live.prototype.sort = function () {
    var shots = Array.prototype.slice.call(this.list.querySelectorAll(":scope > li[data-shot]"));
    var sorted = shots.slice().sort(function (a, b) {
      return Number(a.dataset.position) - Number(b.dataset.position);
    });
    var changed = sorted.some(function (li, index) { return li !== shots[index]; });
    if (!changed) return;
    var end = this.list.querySelector(".no-shots");
    var list = this.list;
    sorted.forEach(function (li) { list.insertBefore(li, end); });
  };

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
    window.setInterval(expireUndoBars, 1000);
  });
  document.addEventListener("visibilitychange", function () {
    var anchor = document.getElementById("storyboard-live");
    if (!document.hidden && anchor && anchor.live) anchor.live.fetch();
  });
})();
