/* The survey designer (dashboard/survey_questions.html): a refused change swaps in with its
   error, and the preview frame reloads after every save and follows its switches (path,
   language, width). No inline script, so the dashboard's Content-Security-Policy holds.
   Without JavaScript every form still works: plain POSTs, and the switches' GET form. */
(function () {
  "use strict";

  // A refused change answers 400 with the editor showing why: swap it in as htmx does a 200.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr && detail.xhr.status === 400 && detail.target && detail.target.id === "questions-editor") {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  function switches() { return document.getElementById("preview-switches"); }
  function frame() { return document.getElementById("preview-frame"); }

  function choice(name, fallback) {
    var form = switches();
    var value = form ? new FormData(form).get(name) : null;
    return value ? String(value) : fallback;
  }

  function reload() {
    var iframe = frame();
    if (!iframe) return;
    var params = new URLSearchParams({path: choice("path", "promoter"), locale: choice("locale", "en")});
    // A fresh query string, so the frame always navigates, even to the same path.
    params.set("t", String(Date.now()));
    iframe.src = iframe.dataset.base + "?" + params.toString();
    iframe.title = "Preview of the draft as a " + choice("path", "promoter") + " sees it";
  }

  function resize() {
    var box = document.getElementById("preview-box");
    if (!box) return;
    var width = choice("width", "desktop");
    box.classList.toggle("preview-phone", width === "phone");
    box.classList.toggle("preview-desktop", width !== "phone");
  }

  function remember() {
    var url = new URL(window.location.href);
    ["path", "locale", "width"].forEach(function (name) { url.searchParams.set(name, choice(name, "")); });
    window.history.replaceState(null, "", url.toString());
  }

  document.addEventListener("questions-saved", reload);
  document.addEventListener("change", function (event) {
    var form = switches();
    if (!form || !(event.target instanceof Element) || !form.contains(event.target)) return;
    if (event.target.getAttribute("name") === "width") resize();
    else reload();
    remember();
  });
  document.addEventListener("submit", function (event) {
    if (event.target === switches()) {
      event.preventDefault();
      reload();
      resize();
      remember();
    }
  });
})();
