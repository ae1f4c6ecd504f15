// Review: pinned comments seek their video and play it from there; "at current time" fills a
// comment's pin; share links copy to the clipboard. Loaded as a file, never inline, to keep the CSP strict.
// One listener on the document serves every block, including those htmx swaps in later.
(function () {
  "use strict";

  if (window.studioReview) return;  // the storyboard may load this more than once
  window.studioReview = true;

  function takeVideo(element) {
    var take = element.closest(".take");
    return take ? take.querySelector("video") : null;
  }

  // The playlist preview (static/js/playlist.js) listens for "preview:seek" and reports its
  // position on the element as data-position.
  function previewPosition() {
    var preview = document.getElementById("preview");
    return preview ? parseFloat(preview.dataset.position || "0") : null;
  }

  function seekTake(button) {
    var video = takeVideo(button);
    if (!video) return;
    var seconds = parseFloat(button.dataset.seek);
    var go = function () {
      video.currentTime = seconds;
      play(video);
    };
    if (video.readyState >= 1) go();
    else {
      video.addEventListener("loadedmetadata", go, { once: true });
      video.preload = "metadata";
      video.load();
    }
    video.focus();
  }

  // A browser that refuses to play unasked (an autoplay policy) still leaves the video at the
  // pinned frame: the refusal is not an error worth a console line.
  function play(video) {
    var started = video.play();
    if (started && started.catch) started.catch(function () {});
  }

  function seekPreview(button) {
    document.dispatchEvent(new CustomEvent("preview:seek", {
      detail: { seconds: parseFloat(button.dataset.seekPreview) },
    }));
    var preview = document.getElementById("preview");
    if (!preview) return;
    preview.scrollIntoView({ block: "nearest" });
    // The preview's own play button (static/js/playlist.js) plays the items back to back, and
    // the music with them: pressed only when it is not playing already.
    if (preview.preview && !preview.preview.playing) preview.preview.toggle();
  }

  function pin(button) {
    var form = button.closest("form");
    var input = form && form.querySelector("input[name=at_seconds]");
    if (!input) return;
    var seconds = null;
    if (button.dataset.pinFrom === "preview") seconds = previewPosition();
    else {
      var video = takeVideo(button);
      if (video) seconds = video.currentTime;
    }
    if (seconds === null || isNaN(seconds)) return;
    input.value = seconds.toFixed(1);
    input.focus();
  }

  function copy(button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done);
    } else {
      field.select();  // plain http: select it, for Ctrl+C
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-seek], [data-seek-preview], [data-pin-from], [data-copy]");
    if (!button) return;
    if (button.dataset.seek !== undefined) seekTake(button);
    else if (button.dataset.seekPreview !== undefined) seekPreview(button);
    else if (button.dataset.pinFrom !== undefined) pin(button);
    else copy(button);
  });

  // After a comment is added, its form comes back empty in the swapped block; put the
  // keyboard focus back in the comment box so a reviewer can write the next one.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.classList || !target.classList.contains("review")) return;
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (elt && elt.classList && elt.classList.contains("comment-form")) {
      var fresh = document.getElementById(target.id);
      var box = fresh && fresh.querySelector("textarea");
      if (box) box.focus();
    }
  });
})();
