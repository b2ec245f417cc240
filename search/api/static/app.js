// The podquote search page: reads the query and filters from the URL, calls GET /search, renders the hits; a URL
// naming a passage (/?passage=ID) opens that moment instead (moment.js). A module: strict, and run once the page
// is parsed. Every piece of data from the API is put into the page as text, never as HTML (dom.js).

import { $, LANGUAGES, el, errorDetail, getJson } from "./dom.js";
import { MAX_CONTEXT, showMoment } from "./moment.js";
import { renderHit } from "./render.js";

const FILTERS = ["show", "speaker", "lang", "episode"];
const FILTER_NAMES = { show: "show", speaker: "speaker", lang: "language", episode: "episode" };
const CONTEXT = 2; // neighbouring turns per side when the context toggle is on, unless the URL asks otherwise
const form = $("search");
const input = $("q");
const status = $("status");
const results = $("results");
const intro = $("intro");
const contextButton = $("context");
let running = null; // the AbortController of the search (or the moment being opened) in flight
let contextDepth = CONTEXT;
let moment = null; // the id of the passage shown, when the page shows one moment rather than a search

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

// ---- rendering -------------------------------------------------------------------------------------------

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

// A new request replaces the one in flight: its answer, when it comes, is dropped.
function begin() {
  if (running) running.abort();
  const controller = new AbortController();
  running = controller;
  intro.hidden = true;
  results.setAttribute("aria-busy", "true");
  results.classList.add("loading");
  return controller;
}

function finish(controller) {
  if (controller !== running) return;
  results.removeAttribute("aria-busy");
  results.classList.remove("loading");
  running = null;
}

async function run(params) {
  const q = params.get("q");
  moment = null;
  if (!q) {
    if (running) running.abort();
    running = null;
    results.replaceChildren();
    results.removeAttribute("aria-busy");
    intro.hidden = false;
    setStatus("idle");
    document.title = "podquote";
    return;
  }
  document.title = `${q} · podquote`;
  const controller = begin();
  setStatus("loading", `Searching for “${q}”…`);
  const api = new URLSearchParams(params);
  try {
    const { response, body } = await getJson(`/search?${api}`, controller.signal);
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
    finish(controller);
  }
}

// ---- one moment: /?passage=ID[&context=N] -----------------------------------------------------------------

// The neighbours a moment opens with: the URL's `context` (0 hides them), else CONTEXT per side.
function momentDepth(params) {
  if (!params.has("context")) return CONTEXT;
  const depth = Math.trunc(Number(params.get("context"))) || 0;
  return Math.min(Math.max(depth, 0), MAX_CONTEXT);
}

async function openMoment(id, depth) {
  moment = id;
  if (depth > 0) contextDepth = depth;
  contextButton.setAttribute("aria-pressed", String(depth > 0));
  const controller = begin();
  const report = (kind, ...text) => controller === running && setStatus(kind, ...text);
  try {
    await showMoment(id, depth, { results, setStatus: report, signal: controller.signal });
  } finally {
    finish(controller);
  }
}

function momentParams(id, depth) {
  const params = new URLSearchParams({ passage: id });
  if (depth !== CONTEXT) params.set("context", String(depth));
  return params;
}

// The page's URL is the state: a moment if it names a passage, else a search (or the start page).
function route(params) {
  formFromParams(params);
  const id = params.get("passage");
  return id ? openMoment(id, momentDepth(params)) : run(paramsFromForm());
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
  else if (moment) {
    const params = momentParams(moment, on ? contextDepth : 0);
    window.history.pushState(null, "", `/?${params}`);
    route(params);
  }
});
document.addEventListener("keydown", (event) => {
  const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement;
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    input.focus();
    input.select();
  }
});
window.addEventListener("popstate", () => route(new URLSearchParams(window.location.search)));

// A shared link runs its search, or opens its moment, on load; empty parameters (?speaker=) are dropped first.
const shared = new URLSearchParams(window.location.search);
loadFacets();
if (shared.get("passage")) {
  route(shared);
} else {
  formFromParams(shared);
  const initial = paramsFromForm();
  go(initial, false);
  if (!initial.get("q")) input.focus();
}
