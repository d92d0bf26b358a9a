/* E-mail survey answer page: a browser that opens a score link records the score at once
 * (a POST); mail security scanners, which only fetch links, record nothing. */
(function () {
  "use strict";
  const form = document.querySelector("form[data-auto-submit]");
  if (form) form.submit();
})();
