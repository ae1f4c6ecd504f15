// The studio's own confirmation, in place of the browser's confirm(): a modal <dialog> (base.html)
// that names the action on its button, can say what the budget keeps, and hands focus back.
// It answers htmx's hx-confirm (the htmx:confirm event) and plain forms marked data-confirm.
// The element asking (or the button that sent its form) may say:
//   data-confirm-label   the confirm button's text (default "Confirm")
//   data-confirm-title   the dialog's title (default "Are you sure?")
//   data-confirm-detail  a line under the question, e.g. what the budget keeps
//   data-confirm-detail-url  where to ask for that line when the dialog opens (it is then
//                        current: takes started elsewhere since the page was drawn count)
//   data-confirm-danger  for what cannot be undone: focus starts on Cancel
//   data-confirm-dismiss the dismissing button's text (default "Cancel"), where "Cancel" would
//                        read as the action itself (Cancel take)
// Loaded as a file, never inline, to keep the Content Security Policy strict.
(function () {
  "use strict";

  var pending = null;  // {proceed, opener} while the dialog is open

  function option(sources, name) {
    for (var i = 0; i < sources.length; i++) {
      if (sources[i] && sources[i].hasAttribute && sources[i].hasAttribute("data-confirm-" + name)) {
        return sources[i].getAttribute("data-confirm-" + name);
      }
    }
    return null;
  }

  function ask(question, sources, opener, proceed) {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || pending) return;
    var detail = option(sources, "detail");
    var danger = option(sources, "danger") !== null;
    var ok = dialog.querySelector("[data-confirm-ok]");
    dialog.querySelector("[data-confirm-title]").textContent = option(sources, "title") || "Are you sure?";
    dialog.querySelector("[data-confirm-question]").textContent = question;
    var line = dialog.querySelector("[data-confirm-detail]");
    var detailUrl = option(sources, "detail-url");
    line.textContent = detailUrl ? "Checking the budget…" : detail || "";
    line.hidden = !detailUrl && !detail;
    ok.textContent = option(sources, "label") || "Confirm";
    dialog.querySelector("[data-confirm-cancel]").textContent = option(sources, "dismiss") || "Cancel";
    ok.classList.toggle("danger", danger);
    ok.classList.toggle("primary", !danger);
    var asking = pending = { proceed: proceed, opener: opener };
    if (detailUrl) {
      fetch(detailUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (text) { if (pending === asking) line.textContent = text.trim(); })
        .catch(function () {
          if (pending === asking) line.textContent = "The budget could not be checked just now.";
        });
    }
    dialog.returnValue = "";
    dialog.showModal();
    (danger ? dialog.querySelector("[data-confirm-cancel]") : ok).focus();
  }

  // Escape, Cancel and Confirm all end here: the answer is the button's value ("" for Escape).
  function closed() {
    var dialog = document.getElementById("confirm-dialog");
    var answer = pending;
    pending = null;
    if (!answer) return;
    if (answer.opener && answer.opener.isConnected) answer.opener.focus();
    if (dialog.returnValue === "confirm") answer.proceed();
  }

  document.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail;
    // htmx 2 gives the question; htmx 4 keeps it on the request's context.
    var question = detail.question || (detail.ctx && detail.ctx.confirm);
    if (!question) return;  // htmx asks every request: only those with hx-confirm are ours
    event.preventDefault();
    var elt = detail.elt;
    var triggering = detail.triggeringEvent;
    var submitter = triggering && triggering.submitter;
    var holder = elt.closest ? elt.closest("[hx-confirm]") : null;
    var opener = submitter || (document.activeElement !== document.body ? document.activeElement : elt);
    ask(question, [submitter, elt, holder], opener, function () { detail.issueRequest(true); });
  });

  // Plain forms: the submit is held until the dialog's answer, then sent again, marked as asked.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-confirm")) return;
    if (form.dataset.confirmed === "yes") { delete form.dataset.confirmed; return; }
    event.preventDefault();
    var submitter = event.submitter || null;
    ask(form.getAttribute("data-confirm"), [submitter, form], submitter || document.activeElement, function () {
      form.dataset.confirmed = "yes";
      form.requestSubmit(submitter);
    });
  });

  function bind() {
    var dialog = document.getElementById("confirm-dialog");
    if (dialog) dialog.addEventListener("close", closed);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();
