/* E-mail and link survey pages.
 * 1. A browser that opens a score link records the score at once (a POST); mail security
 *    scanners, which only fetch links, record nothing.
 * 2. A question asked only after a choice on the same page (data-show-if: its answer
 *    conditions) shows once that choice is picked; the server drops what a hidden question
 *    leaves behind. */
(function () {
  "use strict";
  const form = document.querySelector("form[data-auto-submit]");
  if (form) form.submit();
  const dependent = document.querySelectorAll("[data-show-if]");
  if (!dependent.length) return;
  function picked(id) {
    const out = new Set();
    document.querySelectorAll('input[name="q:' + id + '"]:checked').forEach(function (i) {
      out.add(i.value);
    });
    const other = document.querySelector('input[name="q:' + id + ':other"]');
    if (other && other.value.trim()) out.add("other");
    return out;
  }
  function update() {
    dependent.forEach(function (box) {
      const holds = JSON.parse(box.dataset.showIf).every(function (c) {
        const have = picked(c.question);
        const parent = document.getElementById("question-" + c.question);
        return (!parent || !parent.hidden) && c.choices.some(function (x) { return have.has(x); });
      });
      box.hidden = !holds;
    });
  }
  document.addEventListener("change", update);
  document.addEventListener("input", update);
  update();
})();
