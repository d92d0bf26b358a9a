/*! Promoter survey widget: a survey's additional questions. Plain ES2017, no dependencies.
 *
 * promoter.js loads this file, at the version it was served with, when a survey on screen has
 * questions (docs/ingest-api.md, "Rendering questions"). It renders in promoter.js's dialog
 * with promoter.js's helpers and sends through promoter.js's queue (the context `c`, below).
 * Which questions are asked follows promoter/surveys/questions.py `shown()`, case by case
 * (promoter/ingest/tests/test_widget_branching_browser.py); what Python reads and this does
 * not: non-ASCII digits as numbers, ISO week dates (2024-W01-1).
 *
 * Server and user strings are untrusted: the DOM is built with createElement/textContent only.
 */
(function (w) {
  "use strict";
  const P = (w.Promoter = w.Promoter || { q: [] });
  if (P._Q) return; // loaded twice

  // --- branching -----------------------------------------------------------------------------
  // Python's casefold(), near enough for comparing words (ß/SS → ss).
  const fold = (s) => s.toUpperCase().toLowerCase();
  // Python's str() of a JSON value (a list as its repr).
  function pystr(v) {
    if (v === true || v === false) return v ? "True" : "False";
    if (v == null) return "None";
    if (!Array.isArray(v)) return String(v);
    return "[" + v.map((x) => (typeof x === "string" ? "'" + x + "'" : pystr(x))).join(", ") + "]";
  }

  // promoter/surveys/eligibility.py _number: a number, or text Python's float() reads.
  const FLOAT = /^[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?$/;
  function num(v) {
    if (typeof v === "number") return v;
    if (typeof v !== "string") return null;
    const s = v.trim();
    if (FLOAT.test(s)) return +s.replace(/_/g, "");
    const m = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
    if (!m) return null;
    return /^n/i.test(m[2]) ? NaN : m[1] === "-" ? -Infinity : Infinity;
  }

  // _date: datetime.fromisoformat (Python 3.11) of text, "Z" read as +00:00, no zone as UTC;
  // microseconds since 1970 (so that comparisons keep Python's precision).
  // YYYY-MM-DD or YYYYMMDD, then (after any one character) hh[:mm[:ss[.ffffff]]], then
  // ±hh[:mm[:ss[.ffffff]]]; groups 1 3 4: the date, 5 7 8 9: the time, 10-14: the offset.
  const ISO = new RegExp(
    "^(\\d{4})(-?)(\\d\\d)\\2(\\d\\d)" +
      "(?:.(\\d\\d)(?:(:?)(\\d\\d)(?:\\6(\\d\\d)(?:[.,](\\d+))?)?)?" +
      "(?:([+-])(\\d\\d)(?::?(\\d\\d)(?::?(\\d\\d)(?:[.,](\\d+))?)?)?)?)?$",
  );
  function date(v) {
    if (typeof v !== "string") return null;
    const m = ISO.exec(v.replace(/Z/g, "+00:00"));
    if (!m) return null;
    const [y, mo, dd, H, M, S] = [1, 3, 4, 5, 7, 8].map((i) => +(m[i] || 0));
    const us = (f) => +((f || "") + "00000").slice(0, 6);
    const t = new Date(Date.UTC(y, mo - 1, dd, H, M, S));
    t.setUTCFullYear(y); // years 0-99 are not 1900-1999
    const off = ((+(m[11] || 0) * 60 + +(m[12] || 0)) * 60 + +(m[13] || 0)) * 1e6 + us(m[14]);
    const fine =
      t.getUTCMonth() === mo - 1 && t.getUTCDate() === dd && H < 24 && M < 60 && S < 60;
    if (!y || !fine || off >= 864e8) return null;
    return t.getTime() * 1000 + us(m[9]) - (m[10] === "-" ? -off : off);
  }

  // _same: text compared trimmed and casefolded, else as numbers, else Python's ==.
  function same(a, b) {
    if (typeof a === "string" && typeof b === "string") return fold(a.trim()) === fold(b.trim());
    const x = num(a);
    const y = num(b);
    if (x !== null && y !== null) return x === y;
    const scalar = (v) => typeof v === "boolean" || typeof v === "number";
    if (scalar(a) && scalar(b)) return +a === +b; // True == 1
    return JSON.stringify(a) === JSON.stringify(b);
  }

  // matches: a property condition of targeting (promoter/surveys/eligibility.py).
  function matches(x, props) {
    const op = x.op || "eq";
    const want = x.value === undefined ? null : x.value;
    const name = String(x.property);
    const has = Object.prototype.hasOwnProperty.call(props, name) && props[name] != null;
    const v = has ? props[name] : null;
    if (op === "exists") return has;
    if (op === "missing") return !has;
    if (op === "ne") return !has || !same(v, want);
    if (op === "in" || op === "not_in") {
      const hit = has && (Array.isArray(want) ? want : [want]).some((o) => same(v, o));
      return op === "in" ? hit : !hit;
    }
    if (!has) return false;
    if (op === "eq") return same(v, want);
    if (op === "contains") {
      if (Array.isArray(v)) return v.some((i) => same(i, want));
      return fold(pystr(v)).includes(fold(pystr(want)));
    }
    let a = num(v);
    let b = num(want);
    if (a === null || b === null) [a, b] = [date(v), date(want)];
    if (a === null || b === null) return false;
    if (op === "gt") return a > b;
    if (op === "gte") return a >= b;
    return op === "lt" ? a < b : op === "lte" && a <= b;
  }

  const TYPES = ["single_choice", "multiple_choice", "yes_no", "pmf", "text", "rating", "message"];

  // What an answer (stored form) picked: its choices, and "other" for a filled Other box.
  const picked = (a) => (a.choices || []).concat(a.other ? ["other"] : []);

  // shown(): whether question q is asked after score c.n (category c.cat), with `answers`
  // (stored forms, by question id) and the person's properties c.props. `loose` (a preview,
  // which has neither answers nor a person): an answer condition holds once its question is
  // reached, and a property condition holds.
  function shown(q, c, answers, loose) {
    return (q.show_if || []).every((x) => {
      if (x.kind === "category") return (x.categories || []).indexOf(c.cat) >= 0;
      if (x.kind === "score") {
        return (x.min == null ? 0 : x.min) <= c.n && c.n <= (x.max == null ? 10 : x.max);
      }
      if (x.kind === "answer") {
        const a = answers[x.question];
        return !!a && (loose || picked(a).some((y) => (x.choices || []).indexOf(y) >= 0));
      }
      return loose || matches(x, c.props);
    });
  }

  // --- asking --------------------------------------------------------------------------------
  // Rules beside promoter.js's, with its colour variables (--pc, --on, --ln, --fg, --bg).
  const CSS = `.q{display:flex;flex-direction:column;gap:6px}
.q label,.g label{position:relative;display:flex;align-items:center;gap:10px;padding:8px 10px;border:1px solid var(--ln);border-radius:6px;cursor:pointer}
.q label:has(:checked){box-shadow:inset 0 0 0 1px var(--ln)}
.q label input{accent-color:var(--pc);width:18px;height:18px;flex:none}
.o,.t{display:block;width:100%;padding:8px 10px;border:1px solid var(--ln);border-radius:6px;background:var(--bg)}
textarea.t{min-height:84px;resize:vertical}
.g{display:flex;gap:4px}
.g label{flex:1 1 0;min-width:0;justify-content:center;padding:0;height:40px;font-weight:600}
.g input{position:absolute;opacity:0;width:1px;height:1px}
.g label:has(:focus-visible){outline:3px solid var(--ln);outline-offset:2px}
.n label:hover,.n label:has(:checked){background:var(--pc);color:var(--on);border-color:var(--pc)}
.k label{flex:0 0 44px;border:0;font-size:30px;color:transparent;-webkit-text-stroke:1.5px var(--ln)}
.k label.on{color:var(--pc);-webkit-text-stroke-color:var(--pc)}
.e{margin-top:8px;font-size:13px;font-weight:600}
.e:empty{display:none}`;

  // The choices of q in the order this person sees them: q.shuffle shuffles them once per
  // person (the order follows from `seed`, so a reload keeps it); a preview keeps q's order.
  function order(q, seed) {
    const cs = (q.choices || []).slice();
    if (!q.shuffle || !seed) return cs;
    let h = 2166136261;
    for (const ch of seed + ":" + q.id) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    for (let i = cs.length - 1; i > 0; i--) {
      h ^= h << 13;
      h ^= h >>> 17;
      h ^= h << 5;
      const j = (h >>> 0) % (i + 1);
      [cs[i], cs[j]] = [cs[j], cs[i]];
    }
    return cs;
  }

  // Renders question q in frame f (its page(), root, live region); done([wire, stored]) is
  // called with the answer on "Next" (null: skipped). A required question keeps the person
  // until it has an answer.
  function ask(q, f, c, done) {
    const { el, btn, txt } = c;
    if (!f.root.querySelector("style[data-q]")) {
      f.root.append(el("style", { "data-q": "", text: CSS }));
    }
    const req = !!q.required;
    const t = q.type;
    let box; // the controls
    let first; // the control that takes focus
    let get; // the answer given, [wire form, stored form], or null
    const err = el("p", { class: "e", id: "pe", role: "alert" });
    const enter = (e) => {
      if (e.key === "Enter" && (e.target.tagName === "INPUT" || e.metaKey || e.ctrlKey)) {
        e.preventDefault();
        next();
      }
    };
    const mark = { "data-question": q.id, part: "question", "aria-describedby": "pe" };
    if (t === "text") {
      box = first = el(
        q.long ? "textarea" : "input",
        Object.assign(
          {
            class: "t",
            type: q.long ? null : "text",
            rows: q.long ? "3" : null,
            maxlength: q.long ? "5000" : "1000",
            "aria-labelledby": "pq",
            "aria-required": String(req),
            "data-promoter": "answer",
            onkeydown: enter,
          },
          mark,
        ),
      );
      get = () => {
        const v = box.value.trim();
        return v ? [v, { text: v }] : null;
      };
    } else {
      const rating = t === "rating";
      const many = t === "multiple_choice";
      const stars = rating && q.style !== "numbers";
      const kind = many ? "checkbox" : "radio";
      const inputs = [];
      const option = (value, text, aria) => {
        const i = el("input", {
          type: kind,
          name: "a",
          value,
          "aria-label": aria,
          "data-promoter": rating ? "rating" : "choice",
          part: "choice",
          onkeydown: enter,
          onchange: () => {
            if (!stars) return;
            for (const x of inputs) x.parentNode.classList.toggle("on", +x.value <= +i.value);
          },
        });
        inputs.push(i);
        return el("label", null, [i, el("span", { text, "aria-hidden": aria ? "true" : null })]);
      };
      const kids = [];
      if (rating) {
        const lo = stars || q.min == null ? 1 : q.min;
        const hi = stars || q.max == null ? 5 : q.max;
        for (let n = lo; n <= hi; n++) {
          kids.push(stars ? option(n, "\u2605", n + "/" + hi) : option(n, String(n)));
        }
      } else for (const ch of order(q, c.seed)) kids.push(option(ch.id, ch.text));
      let other = null;
      if (q.other) {
        kids.push(option("other", txt("other", "Other")));
        const ob = inputs[inputs.length - 1];
        other = el("input", {
          class: "o",
          type: "text",
          maxlength: "1000",
          "aria-label": txt("other", "Other"),
          "data-promoter": "other",
          part: "other",
          oninput: () => (ob.checked = ob.checked || !!other.value.trim()),
          onkeydown: enter,
        });
        kids.push(other);
      }
      box = el(
        "div",
        Object.assign(
          {
            class: rating ? (stars ? "g k" : "g n") : "q",
            role: many ? "group" : "radiogroup",
            "aria-labelledby": "pq",
            "aria-required": many ? null : String(req),
          },
          mark,
        ),
        kids,
      );
      first = inputs[0];
      get = () => {
        const on = inputs.filter((x) => x.checked).map((x) => x.value);
        if (rating) return on.length ? [+on[0], { rating: +on[0] }] : null;
        const ids = (q.choices || []).map((x) => x.id).filter((id) => on.indexOf(id) >= 0);
        const more = on.indexOf("other") >= 0 && other.value.trim();
        if (!ids.length && !more) return null;
        const v = more ? { choices: ids, other: more } : { choices: ids };
        return [v, v];
      };
    }
    // The second click of a double click on the last step's button lands on this step's, at
    // the same place: it is no answer, nor a skip (a key press clicks with e.detail 0).
    const stray = (e) => e && e.type === "click" && e.detail > 1;
    const next = (e) => {
      if (stray(e)) return;
      const a = get();
      if (a || !req) return done(a);
      err.textContent = txt("required", "Please answer this question.");
      box.setAttribute("aria-invalid", "true");
      first.focus();
    };
    f.page(q.text, null, [
      box,
      err,
      el("div", { class: "r" }, [
        !req &&
          btn(
            {
              class: "b",
              "data-promoter": "skip",
              part: "skip",
              onclick: (e) => stray(e) || done(null),
            },
            txt("skip", "Skip"),
          ),
        btn(
          { class: "b p", "data-promoter": "next", part: "next", onclick: next },
          txt("submit", "Send"),
        ),
      ]),
    ]);
    if (c.take) c.take(f, first, q.text);
  }

  // Asks the questions of c.qs that hold, one at a time, in order; each answer is sent as it
  // is given (c.send), so a person who leaves half-way keeps what they answered. A closing
  // message that holds replaces the thank-you (c.end).
  function run(c) {
    const answers = {};
    let i = 0;
    const step = () => {
      while (i < c.qs.length) {
        const q = c.qs[i++];
        if (!q || TYPES.indexOf(q.type) < 0 || !shown(q, c, answers)) continue;
        if (q.type === "message") return c.end(q);
        return ask(q, c.f, c, (a) => {
          if (a) {
            answers[q.id] = a[1];
            c.send(q.id, a[0]);
          }
          step();
        });
      }
      c.end(null);
    };
    step();
  }

  // The preview: a card (c.frame()) for each question the score's path can reach, nothing
  // sent; returns the closing message that holds, if any.
  function preview(c) {
    const reached = {};
    for (const q of c.qs) {
      if (!q || TYPES.indexOf(q.type) < 0 || !shown(q, c, reached, true)) continue;
      if (q.type === "message") return q;
      reached[q.id] = {};
      ask(q, c.frame(), c, () => {});
    }
    return null;
  }

  P._Q = { v: 1, run, preview, shown, order };
})(window);
