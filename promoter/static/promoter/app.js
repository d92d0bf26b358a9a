/* Promoter dashboard behaviour shared by every page (no inline scripts, so a strict CSP holds). */
(function () {
  "use strict";
  // A form with data-confirm asks before it submits (destructive actions such as deleting a tag).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // A select with data-autosubmit submits its form when changed (the segments breakdown).
  document.addEventListener("change", function (event) {
    const field = event.target;
    if (field instanceof HTMLSelectElement && "autosubmit" in field.dataset && field.form) {
      field.form.requestSubmit();
    }
  });
})();
