// Playlist page: drag to reorder (SortableJS) and the back-to-back preview player, which
// shows each item's caption over the video and approximates a crossfade (the export is the truth),
// then the end card, if the playlist has one, for its length.
// Loaded as a file, never inline, to keep the Content Security Policy strict.
(function () {
  "use strict";

  // The list below and the timeline above reorder alike, through the list's endpoint.
  function initSortable(list, url, options) {
    if (!list || !url || list.dataset.sortable === "on" || !window.Sortable) return;
    list.dataset.sortable = "on";
    window.Sortable.create(list, Object.assign({
      forceFallback: true,  // pointer events rather than native drag: the same in every browser
      animation: 150,
      onEnd: function () {
        var order = Array.prototype.map.call(list.querySelectorAll("[data-item]"), function (li) {
          return li.dataset.item;
        });
        window.htmx.ajax("POST", url, {
          target: "#playlist-items",
          swap: "outerHTML",
          values: { item: order },
        });
      },
    }, options));
  }

  // The timeline (playlist_detail.html#summary): each item as wide as it plays, its trimmed
  // length less the crossfade into the next (preview.py's timeline, which the playhead follows),
  // on a scale long enough to show the target mark. Trim handles nudge by a frame of the
  // export (studio.stitch.export's 24 fps) or, with Shift, a second.
  var FRAME = 1 / 24;
  var SAVE_AFTER_MS = 600;  // the last of a run of key presses is saved, not each of them

  function figures(li) {
    return {
      start: parseFloat(li.dataset.start) || 0,
      end: parseFloat(li.dataset.end) || 0,
      takeLength: parseFloat(li.dataset.takeLength) || 0,
      crossfade: parseFloat(li.dataset.crossfade) || 0,
    };
  }

  function clamp(value, low, high) {
    return Math.max(low, Math.min(high, value));
  }

  function setSlider(handle, value, low, high) {
    handle.setAttribute("aria-valuenow", value.toFixed(3));
    handle.setAttribute("aria-valuemin", low.toFixed(3));
    handle.setAttribute("aria-valuemax", high.toFixed(3));
    handle.setAttribute("aria-valuetext", value.toFixed(2) + " s");
  }

  function Timeline(root) {
    this.root = root;
    this.track = root.querySelector("[data-track]");
    this.target = parseFloat(root.dataset.target) || 0;
    this.endCard = parseFloat(root.dataset.endCard) || 0;
    this.scale = 0;
    this.layout(false);
    var self = this;
    this.items().forEach(function (li) {
      self.describe(li);
      Array.prototype.forEach.call(li.querySelectorAll("[data-trim]"), function (handle) {
        self.bindHandle(li, handle);
      });
    });
    initSortable(this.track, root.dataset.reorderUrl, { draggable: "[data-item]", filter: "[data-trim]", preventOnFilter: false });
    var preview = document.getElementById("preview");
    this.playhead(preview ? parseFloat(preview.dataset.position) || 0 : 0);
  }

  Timeline.prototype.items = function () {
    return Array.prototype.slice.call(this.track.querySelectorAll("[data-item]"));
  };

  Timeline.prototype.at = function (seconds) {
    return (seconds / this.scale) * 100 + "%";
  };

  // While a handle is dragged the scale holds still, so the edge stays under the pointer.
  Timeline.prototype.layout = function (keepScale) {
    var items = this.items();
    var lengths = items.map(function (li) {
      var item = figures(li);
      return Math.max(0, item.end - item.start);
    });
    var played = lengths.map(function (length, i) {
      if (i + 1 >= items.length) return length;
      return length - clamp(figures(items[i]).crossfade, 0, Math.min(length, lengths[i + 1]));
    });
    var total = played.reduce(function (sum, each) { return sum + each; }, 0);
    if (items.length) total += this.endCard;
    if (!keepScale || !this.scale) this.scale = Math.max(total, this.target, 1);
    var self = this;
    items.forEach(function (li, i) { li.style.width = self.at(played[i]); });
    var card = this.track.querySelector("[data-end-card-block]");
    if (card) card.style.width = this.at(this.endCard);
    this.root.querySelector("[data-target-mark]").style.left = this.at(this.target);
    this.ruler();
  };

  Timeline.prototype.ruler = function () {
    var ruler = this.root.querySelector("[data-ruler]");
    var scale = this.scale;
    var step = [1, 2, 5, 10, 15, 30, 60].filter(function (each) { return scale / each <= 15; })[0] || 60;
    ruler.textContent = "";
    for (var second = 0; second < scale; second += step) {  // the end is the target mark's, or the last item's
      var tick = document.createElement("span");
      tick.className = "timeline-tick";
      tick.style.left = this.at(second);
      var label = document.createElement("span");
      label.textContent = second + " s";
      tick.appendChild(label);
      ruler.appendChild(tick);
    }
  };

  Timeline.prototype.playhead = function (seconds) {
    this.root.querySelector("[data-playhead]").style.left = this.at(seconds);
  };

  // An in handle runs from the take's start to a frame before the out; an out handle from a
  // frame after the in to the take's end.
  Timeline.prototype.describe = function (li) {
    var item = figures(li);
    var handleIn = li.querySelector("[data-trim=in]");
    var handleOut = li.querySelector("[data-trim=out]");
    if (handleIn) setSlider(handleIn, item.start, 0, item.end - FRAME);
    if (handleOut) setSlider(handleOut, item.end, item.start + FRAME, item.takeLength);
  };

  // On the export's frames: a value read back from its three decimals rounds to the same frame.
  Timeline.prototype.trim = function (li, which, seconds) {
    var item = figures(li);
    seconds = Math.round(seconds / FRAME) * FRAME;
    if (which === "in") li.dataset.start = clamp(seconds, 0, item.end - FRAME).toFixed(3);
    else li.dataset.end = clamp(seconds, item.start + FRAME, item.takeLength).toFixed(3);
    this.describe(li);
    this.layout(true);
  };

  // Through the trim endpoint, as the number fields send it: blank for an untrimmed end.
  Timeline.prototype.save = function (li) {
    window.clearTimeout(li.saveTimer);
    var item = figures(li);
    window.htmx.ajax("POST", li.dataset.trimUrl, {
      target: "#playlist-items",
      swap: "outerHTML",
      values: {
        trim_in: item.start > 0 ? item.start.toFixed(3) : "",
        trim_out: item.end < item.takeLength ? item.end.toFixed(3) : "",
      },
    });
  };

  Timeline.prototype.bindHandle = function (li, handle) {
    var self = this;
    var which = handle.dataset.trim;
    function value() {
      var item = figures(li);
      return which === "in" ? item.start : item.end;
    }
    handle.addEventListener("keydown", function (event) {
      var step = event.shiftKey ? 1 : FRAME;
      if (event.key === "ArrowLeft" || event.key === "ArrowDown") step = -step;
      else if (event.key !== "ArrowRight" && event.key !== "ArrowUp") return;
      event.preventDefault();
      self.trim(li, which, value() + step);
      window.clearTimeout(li.saveTimer);
      li.saveTimer = window.setTimeout(function () { self.save(li); }, SAVE_AFTER_MS);
    });
    handle.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      handle.focus();
      handle.setPointerCapture(event.pointerId);
      var startX = event.clientX, from = value();
      var perSecond = self.track.clientWidth / self.scale;
      function move(moved) { self.trim(li, which, from + (moved.clientX - startX) / perSecond); }
      function up() {
        handle.removeEventListener("pointermove", move);
        handle.removeEventListener("pointerup", up);
        handle.removeEventListener("pointercancel", up);
        if (value() !== from) self.save(li);
      }
      handle.addEventListener("pointermove", move);
      handle.addEventListener("pointerup", up);
      handle.addEventListener("pointercancel", up);
    });
  };

  function Preview(root) {
    this.root = root;
    this.video = root.querySelector("video");
    this.label = root.querySelector("[data-now-playing]");
    this.scrubber = root.querySelector("input[type=range]");
    this.clock = root.querySelector("[data-clock]");
    this.caption = root.querySelector("[data-caption]");
    this.card = root.querySelector("[data-end-card]");
    this.cardTimer = null;
    this.music = document.createElement("audio");  // the bed, if the playlist has one
    this.music.loop = true;
    this.load();
    this.loadMusic();
    var self = this;
    this.video.addEventListener("timeupdate", function () { self.onTime(); });
    this.scrubber.addEventListener("input", function () { self.seekTotal(parseFloat(self.scrubber.value)); });
    root.querySelector("[data-play]").addEventListener("click", function () { self.toggle(); });
  }

  Preview.prototype.load = function () {
    var entries = JSON.parse(this.root.dataset.items || "[]");
    // The end card comes last, as an entry of kind "end_card" (preview.py).
    this.endCard = null;
    this.items = entries.filter(function (entry) { return entry.kind !== "end_card"; });
    if (this.card && this.items.length) {
      this.endCard = entries.filter(function (entry) { return entry.kind === "end_card"; })[0] || null;
    }
    this.stopCard();
    this.onCard = false;
    if (this.card) this.card.hidden = true;
    // A crossfade brings the next item in that much earlier: the server's timeline (preview.py),
    // which pinned comments share.
    var offset = 0;
    this.items.forEach(function (item) {
      item.crossfade = item.crossfade || 0;
      item.offset = offset;
      offset += item.end - item.start - item.crossfade;
    });
    if (this.endCard) {
      this.endCard.offset = offset;
      offset += this.endCard.length;
      this.dressCard(this.endCard);
    }
    this.total = offset;
    this.scrubber.max = String(offset);
    this.scrubber.disabled = this.items.length === 0;
    this.index = -1;
    if (this.items.length) this.show(0, 0);
    else {
      this.label.textContent = "Nothing to preview yet: add finished takes.";
      this.showCaption("");
    }
  };

  Preview.prototype.showCaption = function (text) {
    if (!this.caption) return;
    this.caption.textContent = text || "";
    this.caption.hidden = !text;
  };

  // Played until its crossfade starts: the next item then fades in over the cut.
  Preview.prototype.playedEnd = function (item) {
    return item.end - item.crossfade;
  };

  Preview.prototype.dressCard = function (card) {
    this.card.style.backgroundColor = card.background;  // CSSOM, which the CSP allows
    this.card.style.color = card.text_colour;
    // An <img> without a source is invalid HTML: it exists only while there is a logo.
    var logo = this.card.querySelector("[data-end-card-logo]");
    if (card.logo && !logo) {
      logo = document.createElement("img");
      logo.className = "preview-end-card-logo";
      logo.alt = "Logo";
      logo.setAttribute("data-end-card-logo", "");
      this.card.prepend(logo);
    }
    if (card.logo) logo.setAttribute("src", card.logo); else if (logo) logo.remove();
    var cta = this.card.querySelector("[data-end-card-cta]");
    cta.textContent = card.call_to_action || "";
    cta.hidden = !card.call_to_action;
    var url = this.card.querySelector("[data-end-card-url]");
    url.textContent = card.url || "";
    url.hidden = !card.url;
  };

  Preview.prototype.setPosition = function (position) {
    this.scrubber.value = String(position);
    this.root.dataset.position = String(position);  // read by review.js to pin a comment
    var timeline = document.getElementById("timeline");
    if (timeline && timeline.timeline) timeline.timeline.playhead(position);
    this.clock.textContent = position.toFixed(1) + " / " + this.total.toFixed(1) + " s";
    this.syncMusic(position);
  };

  // The music bed (templates/playlists/music.html's #preview-music; a guest's page has none),
  // an approximation of the export's: looped from the ad's start, at the bed's level, faded in
  // and out like studio.stitch.MusicBed. The export also ducks it under the takes' own sound.
  var MUSIC_FADE_IN = 0.5, MUSIC_FADE_OUT = 1.5;

  Preview.prototype.loadMusic = function () {
    var source = document.getElementById("preview-music");
    var src = source ? source.dataset.src : "";
    this.musicSeconds = source ? parseFloat(source.dataset.seconds) || 0 : 0;
    this.musicVolume = source ? parseFloat(source.dataset.volume) || 0 : 0;
    if (src === (this.musicSrc || "")) return;
    this.musicSrc = src;
    this.music.pause();
    if (src) this.music.setAttribute("src", src); else this.music.removeAttribute("src");
    this.syncMusic(parseFloat(this.scrubber.value) || 0);
  };

  Preview.prototype.syncMusic = function (position) {
    if (!this.music || !this.musicSrc) return;
    var envelope = Math.min(1, position / MUSIC_FADE_IN, (this.total - position) / MUSIC_FADE_OUT);
    var volume = this.musicVolume * envelope;
    this.music.volume = isFinite(volume) ? Math.max(0, Math.min(1, volume)) : 0;
    var at = this.musicSeconds > 0 ? position % this.musicSeconds : position;
    if (Math.abs(this.music.currentTime - at) > 0.3) this.music.currentTime = at;
    if (this.playing && this.music.paused) {
      var started = this.music.play();
      if (started && started.catch) started.catch(function () {});
    } else if (!this.playing && !this.music.paused) {
      this.music.pause();
    }
  };

  // The end card has no video: a timer runs its clock while it plays.
  Preview.prototype.showCard = function (within) {
    this.video.pause();
    this.video.classList.remove("crossfade-in");
    this.showCaption("");
    this.onCard = true;
    this.index = this.items.length;
    this.cardTime = Math.max(0, Math.min(within, this.endCard.length));
    this.card.hidden = false;
    this.label.textContent = "Now playing: End card";
    this.setPosition(this.endCard.offset + this.cardTime);
    if (this.playing) this.runCard();
  };

  Preview.prototype.runCard = function () {
    var self = this;
    var last = performance.now();
    this.stopCard();
    this.cardTimer = window.setInterval(function () {
      var now = performance.now();
      self.cardTime = Math.min(self.endCard.length, self.cardTime + (now - last) / 1000);
      last = now;
      self.setPosition(self.endCard.offset + self.cardTime);
      if (self.cardTime >= self.endCard.length) {
        self.stopCard();
        self.playing = false;
        self.syncMusic(self.total);
      }
    }, 100);
  };

  Preview.prototype.stopCard = function () {
    if (this.cardTimer !== null) window.clearInterval(this.cardTimer);
    this.cardTimer = null;
  };

  Preview.prototype.leaveCard = function () {
    this.stopCard();
    this.onCard = false;
    if (this.card) this.card.hidden = true;
  };

  Preview.prototype.show = function (index, within) {
    this.leaveCard();
    var item = this.items[index];
    var previous = this.items[index - 1];
    var fading = index === this.index + 1 && previous && previous.crossfade > 0 && within === 0;
    this.video.classList.remove("crossfade-in");
    if (fading) {
      void this.video.offsetWidth;  // restart the animation
      this.video.classList.add("crossfade-in");
    }
    this.index = index;
    this.showCaption(item.caption);
    this.pendingSeek = item.start + within;
    if (this.video.getAttribute("src") !== item.src) {
      this.video.setAttribute("src", item.src);
      var self = this;
      this.video.addEventListener("loadedmetadata", function once() {
        self.video.removeEventListener("loadedmetadata", once);
        self.frame(item);
        self.video.currentTime = self.pendingSeek;
        if (self.playing) self.video.play();
      });
    } else {
      this.frame(item);
      this.video.currentTime = this.pendingSeek;
    }
    this.label.textContent = "Now playing: " + item.label + " (" + (index + 1) + " of " + this.items.length + ")";
  };

  // The export's framing, approximated: a crop fills the box around the crop centre, clamped
  // inside the picture as the export clamps it (object-position places the picture's x% on the
  // box's x%, so the centre is turned into that share of the overflow); fitted takes are shown
  // whole (the blurred backdrop of "blur" is left to the export).
  Preview.prototype.frame = function (item) {
    var style = this.video.style;
    var width = this.video.videoWidth, height = this.video.videoHeight;
    var box = this.video.clientWidth / Math.max(1, this.video.clientHeight);
    if (item.framing !== "crop" || !width || !height || !box) {
      style.objectFit = "contain";
      style.objectPosition = "50% 50%";
      return;
    }
    // The picture scaled to cover the box, in box widths and heights.
    var scale = Math.max(1 / (width / height / box), 1);
    var across = (width / height / box) * scale, down = scale;
    function share(centre, size) {
      if (size <= 1) return 50;
      var start = Math.min(Math.max(centre * size - 0.5, 0), size - 1);
      return (start / (size - 1)) * 100;
    }
    style.objectFit = "cover";
    style.objectPosition = share(item.crop[0], across) + "% " + share(item.crop[1], down) + "%";
  };

  Preview.prototype.onTime = function () {
    var item = this.items[this.index];
    if (!item || this.onCard) return;
    this.setPosition(item.offset + (this.video.currentTime - item.start));
    if (this.video.currentTime >= this.playedEnd(item) - 0.05) {
      if (this.index + 1 < this.items.length) this.show(this.index + 1, 0);
      else if (this.endCard) this.showCard(0);
      else { this.video.pause(); this.playing = false; this.syncMusic(this.total); }
    }
  };

  Preview.prototype.seekTotal = function (seconds) {
    if (this.endCard && seconds >= this.endCard.offset) {
      this.showCard(seconds - this.endCard.offset);
      return;
    }
    for (var i = this.items.length - 1; i >= 0; i--) {
      if (seconds >= this.items[i].offset) {
        var within = Math.min(seconds - this.items[i].offset, this.playedEnd(this.items[i]) - this.items[i].start);
        this.show(i, within);
        return;
      }
    }
  };

  Preview.prototype.toggle = function () {
    if (this.onCard) {
      this.playing = this.cardTimer === null;
      if (!this.playing) { this.stopCard(); this.syncMusic(this.endCard.offset + this.cardTime); return; }
      // At the card's end, play starts the playlist over.
      if (this.cardTime >= this.endCard.length) { this.show(0, 0); this.video.play(); }
      else this.runCard();
      return;
    }
    this.playing = this.video.paused;
    if (this.playing) this.video.play(); else this.video.pause();
    this.syncMusic(parseFloat(this.scrubber.value) || 0);
  };

  function init() {
    var list = document.getElementById("playlist-list");
    if (list) initSortable(list, list.dataset.reorderUrl, { handle: ".drag-handle" });
    var timeline = document.getElementById("timeline");
    if (timeline && !timeline.timeline) timeline.timeline = new Timeline(timeline);
    var root = document.getElementById("preview");
    if (root && !root.preview) root.preview = new Preview(root);
    else if (root && root.preview) root.preview.loadMusic();  // the music section was swapped
  }

  document.addEventListener("DOMContentLoaded", init);
  // A pinned review comment asks the preview to jump to its moment (static/js/review.js).
  document.addEventListener("preview:seek", function (event) {
    var root = document.getElementById("preview");
    if (!root || !root.preview || !root.preview.items.length) return;
    var seconds = Math.max(0, Math.min(event.detail.seconds, root.preview.total));
    root.preview.scrubber.value = String(seconds);
    root.dataset.position = String(seconds);
    root.preview.seekTotal(seconds);
  });
  // htmx gives focus back to the element of the same id after a swap, but a Move button that
  // is now disabled (its item reached an end) cannot take it: the item's other button does.
  // Remembered by the swap that takes the focused element away, and used by that swap's
  // settle alone: the summary and deliverables answer the same change and swap in between,
  // when the focus is already on the body.
  var focusedId = "";
  var swappedId = "";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    if (!active || !active.id || !target.id || !target.contains(active)) return;
    focusedId = active.id;
    swappedId = target.id;
  });

  function keepFocus() {
    if (document.activeElement !== document.body) return;
    var again = document.getElementById(focusedId);
    if (again && again.disabled) {
      var actions = again.closest(".item-actions");
      again = actions ? actions.querySelector("button:not([disabled])") : null;
    }
    if (again) again.focus();
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    init();
    if (focusedId && event.detail.elt && event.detail.elt.id === swappedId) {
      keepFocus();
      focusedId = swappedId = "";
    }
    var root = document.getElementById("preview");
    var fresh = document.getElementById("preview-items");
    // Only a change of the items starts the preview over: a comment or a review decision
    // swapped in elsewhere on the page leaves it where it is.
    if (root && root.preview && fresh && fresh.dataset.items !== root.dataset.items) {
      root.dataset.items = fresh.dataset.items;
      root.preview.load();
    }
  });
})();
