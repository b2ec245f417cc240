// A passage as the page shows it: a search hit in the results, or one opened moment (/?passage=ID).

import { HTML_LANG, LANGUAGES, el, hasTime, safeUrl, timecode, who } from "./dom.js";
import { shareButtons } from "./share.js";

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

// A hit carries the moment its best sentence is said (moment, moment_url); a context passage only its start.
function momentLink(passage, label) {
  const atMoment = passage.moment !== null && passage.moment !== undefined;
  const href = safeUrl(atMoment ? passage.moment_url : passage.url);
  const timed = hasTime(passage);
  const text = timed ? timecode(atMoment ? passage.moment : passage.start) : "source";
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

export function episodeTitle(passage) {
  return passage.title || passage.episode || passage.source || "";
}

// Who, which episode of which show, the moment's link, the language (and the date, in a moment's view).
function meta(passage, withDate) {
  const title = episodeTitle(passage);
  const language = LANGUAGES[passage.lang] || passage.lang || "";
  return el("p", { class: "meta" },
    el("span", { class: passage.speaker ? "speaker" : "speaker kind" }, who(passage)),
    title ? el("span", { class: "episode", lang: /[\u3400-\u9fff]/.test(title) ? "zh-Hans" : null }, title) : null,
    passage.show ? el("span", { class: "show" }, passage.show) : null,
    withDate && passage.date ? el("time", { class: "date", datetime: passage.date }, passage.date) : null,
    momentLink(passage, title),
    language ? el("span", { class: "lang", title: "Language of the quote" }, language) : null);
}

function card(passage, attrs, highlight, withDate) {
  const context = passage.context || null;
  return el("li", { "data-id": passage.id, ...attrs },
    meta(passage, withDate),
    context ? renderContext(context.before, "before") : null,
    el("blockquote", { class: "quote", lang: HTML_LANG[passage.lang] || null }, highlighted(passage.text, highlight)),
    context ? renderContext(context.after, "after") : null,
    shareButtons(passage));
}

export function renderHit(hit, rank) {
  return card(hit, { class: "hit", "aria-label": `Result ${rank}: ${who(hit)}` }, hit.highlight, false);
}

// A passage from GET /passages/{id}?context=N: the quote whole (no highlight), with its neighbours.
export function renderMoment(passage) {
  return card(passage, { class: "hit moment", "aria-label": `The moment: ${who(passage)}` }, null, true);
}
