/*! Promoter survey widget, v1. Plain ES2017, no dependencies. Wire contract: docs/ingest-api.md
 *
 * Install:
 *   <script>window.Promoter=window.Promoter||{q:[]};["init","identify","show","reset","track"]
 *   .forEach(function(m){Promoter[m]=Promoter[m]||function(){Promoter.q.push([m,arguments])}})</script>
 *   <script async src="HOST/w/promoter.js"></script>
 *   <script>Promoter.init({key: "pk_...", user: {id: "42", email: "a@b.c"}})</script>
 *
 * Server and user strings are untrusted: the DOM is built with createElement/textContent only.
 */
(function (w, d) {
  "use strict";
  const old = w.Promoter;
  if (old && old.version) return; // loaded twice: the first copy is in charge

  const QKEY = "promoter:queue";
  const AKEY = "promoter:anon";
  const MAXQ = 50; // stored sends kept at most
  const TRIES = 10; // page loads a stored send is retried on before it is dropped
  const W = "#ffffff";
  const K = "#111827";
  const SCRIPT_RE = /\/promoter(\.[\w-]+)?\.js([?#]|$)/;
  // The version of questions.js served with this file: the server writes it in when serving.
  const QV = "@questions-version@";
  const QAPI = 1; // the contract between this file and questions.js (its P._Q.v)

  const warn = (...a) => {
    try {
      console.warn("[promoter]", ...a);
    } catch (e) {}
  };
  // Wraps fn so that no error or rejected promise ever reaches the host page.
  const guard = (fn) =>
    function () {
      try {
        const r = fn.apply(this, arguments);
        if (r && r.catch) r.catch(warn);
      } catch (e) {
        warn(e);
      }
    };
  const on = (t, ev, fn) => t.addEventListener(ev, guard(fn));

  // The default host is the origin this script was loaded from; questions.js lies beside it.
  let origin = location.origin;
  let src = origin + "/w/promoter.js";
  try {
    const s =
      d.currentScript || [...d.scripts].reverse().find((x) => SCRIPT_RE.test(x.src));
    if (s && s.src) ({ origin, href: src } = new URL(s.src, location.href));
  } catch (e) {}

  // localStorage that never throws (private modes, sandboxed frames).
  // ls(k) reads, ls(k, null) deletes, ls(k, v) writes.
  function ls(k, v) {
    try {
      if (v === undefined) return localStorage.getItem(k);
      if (v === null) localStorage.removeItem(k);
      else localStorage.setItem(k, v);
    } catch (e) {}
    return null;
  }

  function uuid() {
    const c = w.crypto;
    if (c.randomUUID) {
      try {
        return c.randomUUID(); // secure contexts only
      } catch (e) {}
    }
    const b = c.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; // version 4
    b[8] = (b[8] & 63) | 128; // RFC 4122 variant
    const h = [...b].map((x) => (x + 256).toString(16).slice(1)).join("");
    return h.replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
  }

  // --- state ---------------------------------------------------------------------------------
  let cfg = null; // {key, host, user, hash, locale, channel}
  let step = "idle"; // idle | waiting | score | followup | questions | thanks | closed
  let gen = 0; // bumped to cancel eligibility checks in flight
  let timer = 0; // the display delay, then the thank-you auto-close
  let cur = null; // the survey on screen: {s, who, id, n, cat} (n: the score chosen)
  let ui = null; // {host, root}
  let anon = null;
  let booted = false;

  function anonId() {
    if (!anon) {
      anon = ls(AKEY);
      if (!/^[\w.:-]{8,64}$/.test(anon || "")) ls(AKEY, (anon = uuid()));
    }
    return anon;
  }

  // The identity fields every call carries.
  function ident() {
    const u = cfg.user || {};
    const b = { key: cfg.key, channel: cfg.channel };
    const user = {};
    for (const k of ["id", "email", "signed_up_at", "properties"]) {
      if (u[k] != null && u[k] !== "") user[k] = k === "id" ? String(u[k]) : u[k];
    }
    if (Object.keys(user).length) b.user = user;
    if (cfg.hash) b.user_hash = cfg.hash;
    if (!user.id && !user.email) b.anonymous_id = anonId();
    return b;
  }

  const here = () => location.href.slice(0, 2000);

  async function req(m, url, body, queued) {
    const data = JSON.stringify(body);
    const ac = w.AbortController ? new AbortController() : null;
    const t = ac && setTimeout(() => ac.abort(), 15000);
    try {
      const r = await fetch(url, {
        method: m,
        body: data,
        // text/plain spares POSTs a CORS pre-flight; the server reads the JSON body anyway.
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        credentials: "omit",
        // keepalive lets a send outlive page unload (small, pre-flight-free POSTs only).
        keepalive: !!queued && m === "POST" && data.length < 60000,
        signal: ac ? ac.signal : undefined,
      });
      let j = null;
      try {
        j = await r.json();
      } catch (e) {}
      return { s: r.status, j };
    } finally {
      clearTimeout(t);
    }
  }

  // --- the send queue ------------------------------------------------------------------------
  // Sends go out one at a time, in order. A send that fails (network, 5xx, 429) is stored with
  // everything behind it and retried on the next page load; while stalled, new sends are stored
  // too, so a PATCH never overtakes its POST. Other 4xx answers are final and dropped.
  let mem = [];
  let stalled = false;
  let pumping = null;

  function stored() {
    try {
      const q = JSON.parse(ls(QKEY));
      return Array.isArray(q) ? q.filter((it) => it && it.m && it.u) : [];
    } catch (e) {
      return [];
    }
  }
  function stash(items) {
    if (items.length) ls(QKEY, JSON.stringify(stored().concat(items).slice(-MAXQ)));
  }

  function send(m, path, body) {
    const it = { m, u: cfg.host + path, b: body };
    if (stalled) stash([it]);
    else {
      mem.push(it);
      pump();
    }
  }

  // Resolves when the queue is empty or stalled.
  function pump() {
    if (!pumping) {
      const done = () => {
        pumping = null;
        if (mem.length && !stalled) pump(); // sent while the loop was finishing
      };
      pumping = drain().then(done, (e) => done(warn(e)));
    }
    return pumping;
  }

  async function drain() {
    while (mem.length) {
      const it = mem[0];
      it.n = (it.n || 0) + 1;
      let r = null;
      try {
        r = await req(it.m, it.u, it.b, true);
      } catch (e) {}
      const retry = !r || r.s === 429 || r.s >= 500;
      if (r && r.s >= 400 && !retry) warn(it.m, it.u, r.s, (r.j && r.j.detail) || "");
      if (retry && it.n < TRIES) {
        stalled = true;
        stash(mem.splice(0));
      } else {
        const i = mem.indexOf(it); // pagehide or reset may have emptied the queue meanwhile
        if (i >= 0) mem.splice(i, 1);
      }
    }
  }

  // Takes back the stored sends (other page loads' and this one's) and sends them.
  function replay() {
    stalled = false;
    mem.push(...stored());
    ls(QKEY, null);
    return pump();
  }

  // --- eligibility ---------------------------------------------------------------------------
  const busy = () => step !== "idle" && step !== "closed";

  // A single-page app changes its path without a page load: when a survey shown on page load
  // names pages (watch_pages), ask again on each new path.
  let path = location.pathname;
  let watching = 0;
  const watch = () => {
    watching = watching || setInterval(guard(() => location.pathname !== path && check({})), 500);
  };

  async function check(extra) {
    if (!cfg) return warn("call Promoter.init({key}) first");
    if (busy()) return; // a survey is on screen, or about to be
    const g = ++gen;
    path = location.pathname;
    await pump(); // stored sends (a decline, say) go before the question is asked again
    const who = ident();
    const body = Object.assign({}, who, { locale: cfg.locale, url: here() }, extra);
    const r = await req("POST", cfg.host + "/i/v1/eligibility", body);
    if (g !== gen || busy()) return;
    const j = r.j || {};
    if (r.s !== 200) return warn("eligibility:", r.s, j.detail || "");
    if (j.watch_pages) watch();
    tab(j.button, who);
    const s = j.survey;
    if (!j.eligible || !s || !s.id) return;
    step = "waiting";
    const delay = extra.force ? 0 : Math.min(Math.max(+s.delay_seconds || 0, 0), 86400);
    timer = setTimeout(guard(() => open(s, who)), delay * 1000);
  }

  // The feedback button (b: the eligibility answer's `button`): an always-visible tab that
  // opens its survey on demand, whatever the eligibility said; its answers carry
  // source "button", and it records no display and no decline.
  let tb = null;
  function tab(b, who) {
    tb = b && b.survey && b.survey.id ? { b, who } : null;
    let h = d.getElementById("promoter-tab");
    if (!tb || h) return tb || (h && h.remove());
    const at = b.placement;
    const side = at === "left" ? "left" : "right";
    h = el("div", { id: "promoter-tab", style: "position:fixed!important" });
    h.attachShadow({ mode: "open" }).append(
      el("style", {
        text: `${vars(b.survey.look || {}, ".t")}:host{all:initial!important;position:fixed!important;z-index:2147482999!important;${
          at === "bottom"
            ? "right:16px!important;bottom:16px!important}.t{border-radius:var(--r)"
            : `${side}:0!important;top:50%!important;transform:translateY(-50%)!important}.t{writing-mode:vertical-rl;border-radius:${side === "left" ? "0 var(--r) var(--r) 0" : "var(--r) 0 0 var(--r)"}`
        }}
.t{padding:12px 10px;border:0;cursor:pointer;background:var(--pc);color:var(--on);font:600 14px/1 var(--ff)}
.t:focus-visible{outline:3px solid var(--ln);outline-offset:2px}`,
      }),
      btn(
        {
          class: "t",
          part: "button",
          "aria-haspopup": "dialog",
          "data-promoter": "tab",
          onclick: () => {
            if (step === "waiting") clearTimeout(timer);
            else if (busy()) return;
            open(tb.b.survey, tb.who, 1);
          },
        },
        String(b.label || "Feedback"),
      ),
    );
    d.body.append(h);
  }

  // --- rendering -----------------------------------------------------------------------------
  // el("button", {class: "x", onclick: fn, text: "..."}, [children]): attributes via setAttribute,
  // text via textContent, never HTML.
  function el(tag, attrs, kids) {
    const e = d.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) on(e, k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of kids || []) if (c) e.append(c);
    return e;
  }
  const btn = (attrs, text) => el("button", Object.assign({ type: "button", text }, attrs));

  function hex(c, dflt) {
    c = String(c || "");
    if (/^#[\da-f]{3}$/i.test(c)) c = c.replace(/[\da-f]/gi, "$&$&");
    return /^#[\da-f]{6}$/i.test(c) ? c : dflt;
  }
  // WCAG 2 contrast ratio of two #rrggbb colours.
  function ratio(a, b) {
    const lum = (h) =>
      [1, 3, 5].reduce((s, i, n) => {
        const c = parseInt(h.slice(i, i + 2), 16) / 255;
        const v = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        return s + v * [0.2126, 0.7152, 0.0722][n];
      }, 0);
    const x = lum(a);
    const y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }

  // The colour variables of one theme (p: "" light, "dark_" dark), readable whatever the
  // look says: text falls back to black on white, lines to the text colour.
  function pal(look, p, f, b, c) {
    let fg = hex(look[p + "text_color"], f);
    let bg = hex(look[p + "background_color"], b);
    if (ratio(fg, bg) < 4.5) [fg, bg] = [f, b];
    const pc = hex(look[p + "primary_color"], c);
    const onp = ratio(W, pc) >= 4.5 || ratio(W, pc) > ratio(K, pc) ? W : K; // text on primary
    const line = ratio(pc, bg) >= 3 ? pc : fg; // borders and focus ring: 3:1 against background
    return `--pc:${pc};--on:${onp};--ln:${line};--fg:${fg};--bg:${bg}`;
  }
  const FONTS = {
    "sans-serif": "Helvetica,Arial,sans-serif",
    serif: "Georgia,Cambria,'Times New Roman',serif",
    rounded: "ui-rounded,'SF Pro Rounded',system-ui,sans-serif",
    monospace: "ui-monospace,Menlo,Consolas,monospace",
  };
  // The look's variables on selector x: both themes' colours, the corner radius and the font.
  function vars(look, x) {
    const light = pal(look, "", K, W, "#4338ca");
    const dark = pal(look, "dark_", "#f3f4f6", "#1f2937", "#a5b4fc");
    const th = look.theme;
    const r = parseInt(look.radius, 10);
    const font =
      (FONTS.hasOwnProperty(look.font) && FONTS[look.font]) ||
      'system-ui,-apple-system,"Segoe UI",Roboto,sans-serif';
    return `${x}{${th === "dark" ? dark : light};--r:${r >= 0 ? Math.min(r, 24) : 12}px;--ff:${font}}${
      th === "auto" ? `@media (prefers-color-scheme:dark){${x}{${dark}}}` : ""
    }`;
  }

  function styles(look, wide, pv) {
    const at = look.position;
    const pos =
      at === "bottom-left"
        ? "left:16px!important;"
        : at === "bottom-center"
          ? "left:50%!important;transform:translateX(-50%)!important;"
          : "right:16px!important;";
    // Page CSS reaches the host element only: !important rules in the shadow root beat it.
    // A preview sits in the page's flow, one card a step, and does not slide in.
    // The colours are variables of the dialog (--pc primary, --on text on it, --ln lines and
    // focus ring, --fg, --bg), which questions.js's rules use too.
    return `:host{all:initial!important;display:block!important;${
      pv
        ? "margin:0 0 16px!important;"
        : `position:fixed!important;z-index:2147483000!important;bottom:16px!important;${pos}`
    }width:360px!important;max-width:calc(100vw - 32px)!important}
*{box-sizing:border-box;margin:0}
${vars(look, ".d")}
.d{position:relative;max-height:calc(100vh - 32px);overflow:auto;padding:20px;border-radius:var(--r);border:1px solid rgba(0,0,0,.1);background:var(--bg);color:var(--fg);font:15px/1.4 var(--ff);box-shadow:0 6px 32px rgba(0,0,0,.25);animation:pi .2s ease-out}
.lg{display:block;max-height:28px;max-width:50%;margin:0 0 12px}
@keyframes pi{from{opacity:0;transform:translateY(12px)}}
@media (prefers-reduced-motion:reduce){.d{animation:none}}${pv ? ".d{animation:none}" : ""}
h2{font-size:16px;font-weight:600;margin:0 0 14px;margin-inline-end:32px;outline:0}
button,a,textarea,input{font:inherit;color:inherit}
button{cursor:pointer;background:none;border:0;padding:0}
:focus-visible{outline:3px solid var(--ln)!important;outline-offset:2px}
.s{display:flex;gap:4px}
.sc{flex:1 1 0;min-width:0;height:40px;border:1px solid var(--ln);border-radius:6px;font-weight:600}
.b{display:inline-block;padding:8px 16px;border:1px solid var(--ln);border-radius:6px;font-weight:600;text-decoration:none}
.sc:hover,.sc[aria-checked=true],.p{background:var(--pc);color:var(--on);border-color:var(--pc)}
.l{display:flex;justify-content:space-between;gap:12px;margin-top:6px;font-size:12px}
textarea{display:block;width:100%;min-height:84px;padding:8px 10px;border:1px solid var(--ln);border-radius:6px;background:var(--bg);resize:vertical}
.r{display:flex;flex-wrap:wrap;gap:8px;justify-content:flex-end;margin-top:12px}
.x{position:absolute;top:8px;inset-inline-end:8px;width:32px;height:32px;border-radius:6px;font-size:22px;line-height:1}
.f{margin-top:12px;font-size:11px;text-align:end}
.v{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:599px){:host{left:0!important;right:0!important;bottom:0!important;width:auto!important;max-width:none!important;transform:none!important}
.d{border-radius:16px 16px 0 0;padding-bottom:max(20px,env(safe-area-inset-bottom))}
${wide ? ".s{flex-wrap:wrap;justify-content:center}.sc{flex:0 0 calc((100% - 20px)/6);height:44px}" : ""}}`;
  }

  // The deepest focused element, through open shadow roots.
  function focused() {
    let a = d.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a;
  }

  // Moves focus to x, a new step's control, unless the person is typing on the page: then the
  // step is only announced (`say`), in the live region of the frame f.
  function take(f, x, say) {
    const a = focused();
    if (a && (a.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName))) {
      setTimeout(() => (f.live.textContent = say), 100);
    } else x.focus({ preventScroll: true });
  }

  // questions.js (P._Q): already on the page (a preview page includes it), else loaded once
  // from beside this script, at the version served with it.
  let qp = null;
  function loadQ() {
    const got = () => {
      const Q = w.Promoter && w.Promoter._Q;
      return Q && Q.v === QAPI ? Q : null;
    };
    if (!qp) {
      qp = new Promise((ok, no) => {
        if (got()) return ok(got());
        const x = d.createElement("script");
        x.onload = () => (got() ? ok(got()) : no(Error("questions.js: wrong version")));
        x.onerror = () => no(Error("questions.js did not load"));
        x.src = new URL("questions." + QV + ".js", src).href;
        d.head.append(x);
      });
      qp.catch(() => (qp = null)); // a later survey tries again
    }
    return qp;
  }

  const KINDS = { nps: [0, 10, 6, 9], csat: [1, 5, 2, 4], ces: [1, 7, 3, 5] };

  function open(s, who, b) {
    if (!d.body) return on(d, "DOMContentLoaded", () => open(s, who, b));
    try {
      render(s, who, null, b);
    } catch (e) {
      warn(e);
      close();
    }
  }

  // Shows survey s to the person `who`. A preview (pv: {score, locale, root}) shows instead,
  // one card a step, the score chosen, the comment and the questions of that score's path,
  // and the closing: it sends, stores and focuses nothing, and leaves the live survey alone.
  function render(s, who, pv, b) {
    const t = s.texts || {};
    const txt = (k, dflt) => (typeof t[k] === "string" && t[k]) || dflt;
    const dflt = KINDS.hasOwnProperty(s.kind) ? KINDS[s.kind] : KINDS.nps;
    const sc = s.scale || {};
    const ok = (n) => Number.isInteger(n) && n >= 0 && n <= 10;
    const [lo, hi] = ok(sc.min) && ok(sc.max) && sc.min < sc.max ? [sc.min, sc.max] : dflt;
    const ct = s.categories || {};
    const dmax = Number.isInteger(ct.detractor_max) ? ct.detractor_max : dflt[2];
    const pmin = Number.isInteger(ct.promoter_min) ? ct.promoter_min : dflt[3];
    const cat = (n) => (n <= dmax ? "detractor" : n >= pmin ? "promoter" : "passive");
    const loc = (pv && pv.locale) || s.locale || (cfg && cfg.locale) || "";
    const rtl = /^(ar|he|fa|ur)\b/i.test(loc);
    const qs = Array.isArray(s.questions) ? s.questions : [];
    const labels = t.score_labels || {};
    const question = txt("question", "");
    const look = s.look || {};

    // A frame: the host element, its shadow root and the dialog, whose content page()
    // replaces at each step (the heading, id "pq", names the dialog at every step).
    function frame() {
      const f = { hover: false };
      const host = el(
        "div",
        pv
          ? { "data-promoter": "preview" }
          : {
              id: "promoter-widget",
              style:
                "position:fixed!important;z-index:2147483000!important;display:block!important",
            },
      );
      const root = host.attachShadow({ mode: "open" });
      const live = el("div", { class: "v", "aria-live": "polite" });
      const body = el("div");
      const dlg = el(
        "div",
        {
          class: "d",
          role: "dialog",
          "aria-modal": "false",
          "aria-labelledby": "pq",
          "data-promoter": "dialog",
          part: "dialog",
          lang: loc || null,
          dir: rtl ? "rtl" : null,
          onkeydown: (e) => {
            if (e.key === "Escape" && !pv) {
              e.stopPropagation();
              dismiss();
            }
          },
          onpointerenter: () => (f.hover = true),
          onpointerleave: () => (f.hover = false),
        },
        [
          btn(
            {
              class: "x",
              "aria-label": txt("dismiss", "Close"),
              "data-promoter": "close",
              part: "close",
              onclick: pv ? null : dismiss,
            },
            "\u00d7",
          ),
          /^https:\/\//.test(look.logo_url) &&
            el("img", { class: "lg", src: look.logo_url, alt: "", part: "logo" }),
          body,
          t.powered_by &&
            look.powered_by !== "off" &&
            el("p", { class: "f", part: "powered-by", text: txt("powered_by") }),
        ],
      );
      root.append(el("style", { text: styles(look, hi - lo > 7, pv) }), dlg, live);
      f.page = (title, extra, kids) => {
        const h = el("h2", Object.assign({ id: "pq", text: title }, extra));
        body.textContent = "";
        body.append(h, ...kids.filter(Boolean)); // a step's optional parts are false when absent
        return h;
      };
      if (pv) pv.hosts.push(host);
      (pv ? pv.root : d.body).append(host);
      return Object.assign(f, { host, root, live });
    }

    // Step 1: the score, a radio group with a roving tabindex (`chosen`: a preview's score).
    function scoring(f, chosen) {
      const scores = [];
      for (let n = lo; n <= hi; n++) {
        const b = btn(
          {
            class: "sc",
            role: "radio",
            "aria-checked": String(n === chosen),
            "aria-label": typeof labels[n] === "string" ? labels[n] : null,
            tabindex: n === (pv ? chosen : lo) ? "0" : "-1",
            "data-promoter": "score",
            "data-score": n,
            part: "score",
            onclick: pv ? null : () => pick(f, n, b),
          },
          String(n),
        );
        scores.push(b);
      }
      const group = el(
        "div",
        {
          class: "s",
          role: "radiogroup",
          "aria-labelledby": "pq",
          onkeydown: (e) => {
            const i = scores.indexOf(e.target);
            let k = e.key;
            if (rtl) k = { ArrowLeft: "ArrowRight", ArrowRight: "ArrowLeft" }[k] || k;
            const last = scores.length - 1;
            const moves = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 };
            let j = k === "Home" ? 0 : k === "End" ? last : moves[k] && i + moves[k];
            if (i < 0 || j === undefined) return; // Enter and Space click the button natively
            e.preventDefault();
            j = j < 0 ? last : j > last ? 0 : j;
            scores[i].tabIndex = -1;
            scores[j].tabIndex = 0;
            scores[j].focus();
          },
        },
        scores,
      );
      f.page(question, null, [
        group,
        (t.low_label || t.high_label) &&
          el("div", { class: "l", "aria-hidden": "true" }, [
            el("span", { text: txt("low_label", "") }),
            el("span", { text: txt("high_label", "") }),
          ]),
      ]);
      return scores;
    }

    // Step 2: the follow-up question for the score's category c, if the survey has one.
    const fu = (c) => {
      const q = (t.followup || {})[c];
      return typeof q === "string" && q;
    };
    function followup(f, q) {
      if (!pv) step = "followup";
      const submit = () => {
        if (step !== "followup") return;
        const comment = ta.value.trim();
        const body = Object.assign({}, who, { comment });
        if (comment) send("PATCH", "/i/v1/responses/" + cur.id, body);
        more(f);
      };
      const ta = el("textarea", {
        maxlength: "5000",
        rows: "3",
        placeholder: txt("comment_placeholder"),
        "aria-labelledby": "pq",
        "data-promoter": "comment",
        part: "comment",
        onkeydown: (e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey) && !pv) submit();
        },
      });
      f.page(q, null, [
        ta,
        el("div", { class: "r" }, [
          btn(
            { class: "b", "data-promoter": "skip", part: "skip", onclick: !pv && (() => more(f)) },
            txt("skip", "Skip"),
          ),
          btn(
            { class: "b p", "data-promoter": "submit", part: "submit", onclick: !pv && submit },
            txt("submit", "Send"),
          ),
        ]),
      ]);
      if (!pv) ta.focus();
    }

    // What questions.js needs to ask the questions after score n in frame f; a preview's
    // context has frame() for a card a question, and nothing to send with.
    const context = (f, n) => ({
      qs,
      n,
      cat: cat(n),
      props: (!pv && cfg.user && cfg.user.properties) || {},
      seed: pv ? "" : s.id + ((who.user && (who.user.id || who.user.email)) || who.anonymous_id),
      el,
      btn,
      txt,
      f,
      frame: pv && frame,
      take: !pv && take,
      send:
        !pv &&
        ((id, v) => {
          const body = { answers: { [id]: v }, version: s.version };
          send("PATCH", "/i/v1/responses/" + cur.id, Object.assign({}, who, body));
        }),
      end: (m) => thanks(f, m, cat(n)),
    });

    // Last step: thank you (or the survey's closing message m, which replaces it), a
    // call-to-action (the message's own, else the survey's to promoters), then close by itself.
    function thanks(f, m, c) {
      if (!pv) {
        if (step === "thanks" || step === "closed") return;
        step = "thanks";
      }
      const [to, label] =
        m ? [m.cta_url, m.cta_text] : c === "promoter" ? [s.cta_url, t.cta_text] : [];
      let href = null;
      try {
        const u = new URL(to, location.href);
        if (to && /^https?:$/.test(u.protocol)) href = u.href;
      } catch (e) {}
      const mark = { tabindex: "-1", "data-promoter": m ? "message" : "thanks", part: "thanks" };
      const h = f.page(m ? m.text : txt("thank_you", "Thank you!"), mark, [
        href &&
          el("a", {
            class: "b p",
            href,
            target: "_blank",
            rel: "noopener",
            "data-promoter": "cta",
            part: "cta",
            text: (typeof label === "string" && label) || href,
            onclick: pv ? null : () => setTimeout(guard(close), 0),
          }),
      ]);
      if (pv) return;
      h.focus({ preventScroll: true });
      const { root } = f;
      const wait = Math.max(6000, 60 * h.textContent.length); // time to read a long message
      const arm = () => {
        timer = setTimeout(
          guard(() => {
            const a = root.activeElement;
            if (f.hover || (a && a !== h)) arm(); // held open while hovered or in use
            else close();
          }),
          wait,
        );
      };
      clearTimeout(timer);
      arm();
    }

    if (pv) {
      const n = pv.score;
      if (!Number.isInteger(n) || n < lo || n > hi) return scoring(frame()); // nothing chosen
      const c = cat(n);
      scoring(frame(), n);
      if (fu(c)) followup(frame(), fu(c));
      const end = (Q) => {
        if (pv.gone) return;
        const m = Q && Q.preview(context(null, n)); // its cards first, then the closing one
        thanks(frame(), m, c);
      };
      return qs.length ? loadQ().then(end, (e) => end(warn(e))) : end();
    }

    const prev = focused();
    const old = d.getElementById("promoter-widget");
    if (old) old.remove();
    const f = frame();
    ui = { host: f.host, root: f.root, prev };
    cur = { s, who, id: null, cat: null, b };
    const scores = scoring(f);
    step = "score";
    take(f, scores[0], question);
    // Displays, declines and responses carry a client id: a replayed send is recorded once.
    if (!b) send("POST", "/i/v1/displays", Object.assign({}, who, { id: uuid(), survey: s.id }));
    if (qs.length) loadQ().catch(warn); // fetched while the person reads, never before

    // A score is sent at once; the comment and the answers follow as PATCHes of the response.
    function pick(f, n, b) {
      if (step !== "score") return;
      b.setAttribute("aria-checked", "true");
      cur.id = uuid();
      cur.n = n;
      cur.cat = cat(n);
      const extra = { id: cur.id, survey: s.id, score: n, locale: cfg.locale, url: here() };
      if (cur.b) extra.source = "button";
      send("POST", "/i/v1/responses", Object.assign({}, who, extra));
      if (fu(cur.cat)) followup(f, fu(cur.cat));
      else more(f);
    }

    // After the comment: the additional questions (questions.js), then the thank-you.
    function more(f) {
      if (step !== "score" && step !== "followup") return;
      if (!qs.length) return thanks(f, null, cur.cat);
      step = "questions";
      const n = cur.n;
      loadQ()
        .then((Q) => step === "questions" && Q.run(context(f, n)))
        .catch((e) => {
          warn(e);
          if (step === "questions") thanks(f, null, cat(n));
        });
    }
  }

  // Closing before a score declines the survey; after it, closing just closes.
  function dismiss() {
    if (step === "score" && cur && !cur.b) {
      send("POST", "/i/v1/declines", Object.assign({}, cur.who, { id: uuid(), survey: cur.s.id }));
    }
    close();
  }

  function close() {
    clearTimeout(timer);
    if (busy()) step = "closed";
    if (!ui) return;
    const { host, prev } = ui;
    const a = d.activeElement;
    const inside = !a || a === host || a === d.body;
    ui = null;
    host.remove();
    if (inside && prev && prev.isConnected && prev.focus) prev.focus({ preventScroll: true });
  }

  // --- public API ----------------------------------------------------------------------------
  const api = {
    version: "1",
    init(o) {
      if (!o || !o.key) return warn("init: key is required");
      cfg = {
        key: String(o.key),
        host: String(o.host || origin).replace(/\/+$/, ""),
        user: o.user || null,
        hash: o.user_hash || null,
        locale: String(o.locale || navigator.language || "").slice(0, 35) || undefined,
        channel: o.channel || "web",
      };
      if (!booted) {
        booted = true;
        replay(); // before the eligibility check, which waits for the queue
        on(w, "online", () => stalled && replay());
        // Leaving the page: keep what is unsent for the next page load.
        on(w, "pagehide", () => {
          stalled = true;
          stash(mem.splice(0));
        });
        on(w, "pageshow", (e) => e.persisted && replay());
      }
      return check({});
    },
    identify(user, hash) {
      if (!cfg) return warn("call Promoter.init({key}) first");
      cfg.user = user || null;
      cfg.hash = hash || null;
      if (step === "waiting") {
        clearTimeout(timer);
        step = "idle";
      }
      return check({});
    },
    show() {
      if (step === "waiting") {
        clearTimeout(timer);
        step = "idle";
      }
      return check({ force: true });
    },
    track(name) {
      return check({ event: String(name) });
    },
    reset() {
      gen++;
      close();
      tab(null); // the next person gets their own
      step = "idle";
      cur = null;
      if (cfg) cfg.user = cfg.hash = null;
      anon = null;
      ls(AKEY, null);
      mem = [];
      stalled = false;
      ls(QKEY, null);
    },
  };
  const METHODS = ["init", "identify", "show", "reset", "track"];
  for (const k of METHODS) api[k] = guard(api[k]);

  // Promoter.preview({survey, score, locale, root}): the survey editor's preview (contract in
  // docs/ingest-api.md, "Rendering questions"). No request, nothing stored, no init needed; a
  // new call replaces the cards of the last. The promise resolves once every card is in place.
  let shown = null;
  api.preview = (o) => {
    o = o || {};
    if (shown) {
      shown.gone = true;
      shown.hosts.forEach((h) => h.remove());
    }
    const root = o.root && o.root.append ? o.root : d.body;
    shown = { score: o.score, locale: o.locale, root, hosts: [] };
    const pv = shown;
    return new Promise((ok) => ok(render(o.survey || {}, null, pv))).then(() => {}, warn);
  };
  api._state = () => ({
    step,
    surveyId: cur ? cur.s.id : null,
    responseId: cur ? cur.id : null,
    queueLength: mem.length + stored().length,
  });

  // Take over the stub and replay the calls made before this script loaded.
  const P = old && typeof old === "object" ? old : {};
  const calls = Array.isArray(P.q) ? P.q : [];
  delete P.q;
  w.Promoter = Object.assign(P, api);
  for (const c of calls) {
    if (c && METHODS.includes(c[0])) api[c[0]](...[].slice.call(c[1] || []));
  }
})(window, document);
