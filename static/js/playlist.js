// Playlist page: drag to reorder (SortableJS) and the back-to-back preview player, which
// shows each item's caption over the video and approximates a crossfade (the export is the truth),
// then the end card, if the playlist has one, for its length.
// Loaded as a file, never inline, to keep the Content Security Policy strict.
(function () {
  "use strict";

  function initSortable(list) {
    if (!list || list.dataset.sortable === "on" || !window.Sortable) return;
    list.dataset.sortable = "on";
    window.Sortable.create(list, {
      handle: ".drag-handle",
      forceFallback: true,  // pointer events rather than native drag: the same in every browser
      animation: 150,
      onEnd: function () {
        var order = Array.prototype.map.call(list.querySelectorAll("[data-item]"), function (li) {
          return li.dataset.item;
        });
        window.htmx.ajax("POST", list.dataset.reorderUrl, {
          target: "#playlist-items",
          swap: "outerHTML",
          values: { item: order },
        });
      },
    });
  }

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
    var logo = this.card.querySelector("[data-end-card-logo]");
    if (card.logo) logo.setAttribute("src", card.logo); else logo.removeAttribute("src");
    logo.hidden = !card.logo;
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
    initSortable(document.getElementById("playlist-list"));
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
  document.addEventListener("htmx:afterSettle", function () {
    init();
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
