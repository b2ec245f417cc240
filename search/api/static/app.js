// The podquote search page: reads the query and filters from the URL, calls GET /search, renders the hits.
// Every piece of data from the API is put into the page as text (textContent / text nodes), never as HTML.
"use strict";

(() => {
  const FILTERS = ["show", "speaker", "lang", "episode"];
  const FILTER_NAMES = { show: "show", speaker: "speaker", lang: "language", episode: "episode" };
  const LANGUAGES = { en: "English", zh: "Chinese", other: "Other" };
  const HTML_LANG = { en: "en", zh: "zh-Hans" };
  const KINDS = { chapter: "Chapter", narration: "Narration", quote: "Unnamed speaker", turn: "Unnamed speaker" };
  const CONTEXT = 2; // neighbouring turns per side when the context toggle is on, unless the URL asks otherwise

  const $ = (id) => document.getElementById(id);
  const form = $("search");
  const input = $("q");
  const status = $("status");
  const results = $("results");
  const intro = $("intro");
  const contextButton = $("context");
  let running = null; // the AbortController of the search in flight
  let contextDepth = CONTEXT;

  // ---- DOM helpers: text only -------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Only http(s) links: a source could carry a javascript: or data: URL.
  function safeUrl(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  function timecode(seconds) {
    const total = Math.max(0, Math.floor(Number(seconds)));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
  }

  // `highlight` counts characters (code points, as Python does); Array.from splits the same way.
  function highlighted(text, highlight) {
    const chars = Array.from(text || "");
    let [start, end] = Array.isArray(highlight) ? highlight.map(Number) : [0, 0];
    start = Math.min(Math.max(start || 0, 0), chars.length);
    end = Math.min(Math.max(end || 0, start), chars.length);
    const parts = [];
    if (start > 0) parts.push(chars.slice(0, start).join(""));
    if (end > start) parts.push(el("mark", {}, chars.slice(start, end).join("")));
    if (end < chars.length) parts.push(chars.slice(end).join(""));
    return parts;
  }

  function who(passage) {
    return passage.speaker || KINDS[passage.kind] || "Unknown speaker";
  }

  // ---- URL <-> form -----------------------------------------------------------------------------------------

  function ensureOption(select, value) {
    if (!value || Array.from(select.options).some((o) => o.value === value)) return;
    const option = el("option", { value }, value);
    option.dataset.label = value;
    select.append(option);
  }

  function formFromParams(params) {
    input.value = params.get("q") || "";
    for (const name of FILTERS) {
      const select = $(name);
      const value = params.get(name) || "";
      ensureOption(select, value);
      select.value = value;
    }
    const depth = Math.trunc(Number(params.get("context") || 0)) || 0;
    if (depth > 0) contextDepth = depth;
    contextButton.setAttribute("aria-pressed", String(depth > 0));
  }

  function paramsFromForm() {
    const params = new URLSearchParams();
    const q = input.value.trim();
    if (q) params.set("q", q);
    for (const name of FILTERS) {
      const value = $(name).value;
      if (value) params.set(name, value);
    }
    if (contextButton.getAttribute("aria-pressed") === "true") params.set("context", String(contextDepth));
    const k = new URLSearchParams(window.location.search).get("k");
    if (k) params.set("k", k);
    return params;
  }

  function filterSummary(params) {
    const parts = [];
    for (const name of FILTERS) {
      const value = params.get(name);
      if (!value) continue;
      const option = Array.from($(name).options).find((o) => o.value === value);
      const label = (option && option.dataset.label) || LANGUAGES[value] || value;
      parts.push(`${FILTER_NAMES[name]} ${label}`);
    }
    return parts.join(", ");
  }

  // ---- states -----------------------------------------------------------------------------------------------

  function setStatus(kind, ...text) {
    status.className = `status status-${kind}`;
    status.replaceChildren(...text);
  }

  function errorDetail(body, response) {
    const detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      // FastAPI's validation errors: [{loc: ["query", "q"], msg: "..."}]
      return detail.map((d) => {
        const field = Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : "";
        const name = field === "q" ? "query" : field;
        return name ? `${name}: ${d.msg}` : String(d.msg);
      }).join("; ");
    }
    return `${response.status} ${response.statusText}`.trim();
  }

  // ---- rendering --------------------------------------------------------------------------------------------

  function hasTime(passage) {
    return passage.start !== null && passage.start !== undefined;
  }

  function momentLink(passage, label) {
    const href = safeUrl(passage.url);
    const timed = hasTime(passage);
    const text = timed ? timecode(passage.start) : "source";
    if (!href) return timed ? el("span", { class: "time" }, text) : null;
    const aria = timed ? `Listen at ${text}${label ? ` in ${label}` : ""}` : `Open the source${label ? ` of ${label}` : ""}`;
    return el("a", { class: timed ? "time" : "time source", href, target: "_blank", rel: "noopener noreferrer",
                     "aria-label": aria }, timed ? `▶ ${text}` : "source ↗");
  }

  function renderContext(passages, where) {
    if (!passages || !passages.length) return null;
    return el("ol", { class: `context context-${where}`, "aria-label": where === "before" ? "Before" : "After" },
      passages.map((p) => el("li", { class: "turn", lang: HTML_LANG[p.lang] || null },
        el("span", { class: "turn-meta" },
          el("span", { class: p.speaker ? "turn-speaker" : "turn-speaker kind" }, who(p)),
          hasTime(p) ? momentLink(p, null) : null),
        el("span", { class: "turn-text" }, p.text || ""))));
  }

  function renderHit(hit, rank) {
    const title = hit.title || hit.episode || hit.source || "";
    const language = LANGUAGES[hit.lang] || hit.lang || "";
    const meta = el("p", { class: "meta" },
      el("span", { class: hit.speaker ? "speaker" : "speaker kind" }, who(hit)),
      title ? el("span", { class: "episode", lang: /[\u3400-\u9fff]/.test(title) ? "zh-Hans" : null }, title) : null,
      hit.show ? el("span", { class: "show" }, hit.show) : null,
      momentLink(hit, title),
      language ? el("span", { class: "lang", title: "Language of the quote" }, language) : null);
    const context = hit.context || null;
    return el("li", { class: "hit", "data-id": hit.id, "aria-label": `Result ${rank}: ${who(hit)}` },
      meta,
      context ? renderContext(context.before, "before") : null,
      el("blockquote", { class: "quote", lang: HTML_LANG[hit.lang] || null }, highlighted(hit.text, hit.highlight)),
      context ? renderContext(context.after, "after") : null);
  }

  function renderEmpty(params) {
    const filters = filterSummary(params);
    const q = params.get("q");
    if (filters) {
      setStatus("empty", `No results for “${q}” with ${filters}.`);
      const clear = el("button", { type: "button", class: "clear" }, "Search without filters");
      clear.addEventListener("click", () => {
        for (const name of FILTERS) $(name).value = "";
        submit();
      });
      results.replaceChildren(el("li", { class: "empty" }, el("p", {}, "Nothing matched with these filters."), clear));
    } else {
      setStatus("empty", `No results for “${q}”. The index may be empty; try another question.`);
      results.replaceChildren();
    }
  }

  // ---- searching --------------------------------------------------------------------------------------------

  async function run(params) {
    const q = params.get("q");
    if (running) running.abort();
    if (!q) {
      running = null;
      results.replaceChildren();
      results.removeAttribute("aria-busy");
      intro.hidden = false;
      setStatus("idle");
      document.title = "podquote";
      return;
    }
    intro.hidden = true;
    document.title = `${q} · podquote`;
    const controller = new AbortController();
    running = controller;
    results.setAttribute("aria-busy", "true");
    results.classList.add("loading");
    setStatus("loading", `Searching for “${q}”…`);
    const api = new URLSearchParams(params);
    try {
      const response = await fetch(`/search?${api}`, { signal: controller.signal, headers: { Accept: "application/json" } });
      let body = null;
      try {
        body = await response.json();
      } catch (_) {
        body = null;
      }
      if (controller !== running) return;
      if (!response.ok) {
        results.replaceChildren();
        setStatus("error", `The search failed: ${errorDetail(body, response)} (HTTP ${response.status}).`);
        return;
      }
      const hits = (body && body.hits) || [];
      if (!hits.length) {
        renderEmpty(params);
        return;
      }
      results.replaceChildren(...hits.map((hit, i) => renderHit(hit, i + 1)));
      const filters = filterSummary(params);
      setStatus("done", `${hits.length} result${hits.length === 1 ? "" : "s"} for “${q}”${filters ? ` with ${filters}` : ""}.`);
    } catch (error) {
      if (error.name === "AbortError") return;
      results.replaceChildren();
      setStatus("error", `Could not reach the search service (${error.message}). Is podquote serve still running?`);
    } finally {
      if (controller === running) {
        results.removeAttribute("aria-busy");
        results.classList.remove("loading");
        running = null;
      }
    }
  }

  function go(params, push) {
    const url = params.toString() ? `/?${params}` : "/";
    if (url !== window.location.pathname + window.location.search) {
      if (push) window.history.pushState(null, "", url);
      else window.history.replaceState(null, "", url);
    }
    return run(params);
  }

  function submit() {
    const params = paramsFromForm();
    if (!params.get("q")) {
      setStatus("error", "Type a question first, e.g. “why Rook on bare metal”.");
      input.focus();
      return;
    }
    go(params, true);
  }

  // ---- facets: the filter choices ---------------------------------------------------------------------------

  function fillSelect(select, values, labelOf) {
    const current = select.value;
    const first = select.options[0];
    const options = values.map((v) => {
      const label = labelOf(v);
      const option = el("option", { value: v.value }, `${label} (${v.count})`);
      option.dataset.label = label;
      return option;
    });
    select.replaceChildren(first, ...options);
    ensureOption(select, current);
    select.value = current;
  }

  async function loadFacets() {
    let facets;
    try {
      const response = await fetch("/facets", { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      facets = await response.json();
    } catch (_) {
      return; // the filters still work from the URL; the search itself reports a dead server
    }
    fillSelect($("show"), facets.shows || [], (v) => v.value);
    fillSelect($("speaker"), facets.speakers || [], (v) => v.value);
    fillSelect($("episode"), facets.episodes || [], (v) => v.title || v.value);
    const counts = Object.fromEntries((facets.languages || []).map((v) => [v.value, v.count]));
    for (const option of $("lang").options) {
      if (!LANGUAGES[option.value]) continue; // "Any", or a value from the URL the API will refuse
      option.dataset.label = LANGUAGES[option.value] || option.value;
      option.textContent = `${option.dataset.label} (${counts[option.value] || 0})`;
    }
    // A filter with nothing to choose from is noise; keep it when the URL sets it.
    for (const name of ["show", "episode"]) {
      $(name).closest(".filter").hidden = $(name).options.length <= 1;
    }
  }

  // ---- wiring -----------------------------------------------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  for (const name of FILTERS) {
    $(name).addEventListener("change", () => {
      if (input.value.trim()) submit();
    });
  }
  contextButton.addEventListener("click", () => {
    const on = contextButton.getAttribute("aria-pressed") !== "true";
    contextButton.setAttribute("aria-pressed", String(on));
    if (input.value.trim()) submit();
  });
  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement;
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
  window.addEventListener("popstate", () => {
    formFromParams(new URLSearchParams(window.location.search));
    run(paramsFromForm());
  });

  // A shared link runs its search on load; empty parameters (?speaker=) are dropped from it first.
  formFromParams(new URLSearchParams(window.location.search));
  loadFacets();
  const initial = paramsFromForm();
  go(initial, false);
  if (!initial.get("q")) input.focus();
})();
