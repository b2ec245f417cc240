// Small DOM and formatting helpers the page's modules share. Every piece of data from the API is put into the page
// as text (textContent / text nodes), never as HTML.

export const LANGUAGES = { en: "English", zh: "Chinese", other: "Other" };
export const HTML_LANG = { en: "en", zh: "zh-Hans" };
const KINDS = { chapter: "Chapter", narration: "Narration", quote: "Unnamed speaker", turn: "Unnamed speaker" };

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs, ...children) {
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
export function safeUrl(url) {
  if (typeof url !== "string" || !url) return null;
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch (_) {
    return null;
  }
}

export function timecode(seconds) {
  const total = Math.max(0, Math.floor(Number(seconds)));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

export function who(passage) {
  return passage.speaker || KINDS[passage.kind] || "Unknown speaker";
}

export function hasTime(passage) {
  return passage.start !== null && passage.start !== undefined;
}

// The API's error body as one sentence: `detail` is a sentence; FastAPI's own shape is a list of {loc, msg}.
export function errorDetail(body, response) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      const field = Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : "";
      const name = field === "q" ? "query" : field;
      return name ? `${name}: ${d.msg}` : String(d.msg);
    }).join("; ");
  }
  return `${response.status} ${response.statusText}`.trim();
}

// GET a JSON answer: {ok, status, body}, with body null when the answer is not JSON.
export async function getJson(url, signal) {
  const response = await fetch(url, { signal, headers: { Accept: "application/json" } });
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  return { response, body };
}
