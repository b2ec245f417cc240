// "Copy citation" and "Copy link to this moment" under each passage, and the notice saying what was copied.
//
// The clipboard is written with navigator.clipboard where the browser offers it (a secure context: https, or
// http on localhost/127.0.0.1) and allows it. Whatever happens, the copied text is also shown in the notice, so
// it can be selected and copied by hand where the clipboard is missing or permission is denied.

import { $, el, errorDetail } from "./dom.js";

// The page's URL naming one passage: what a moment link is, absolute so it can be pasted anywhere.
export function momentUrl(id) {
  const url = new URL("/", window.location.href);
  url.search = new URLSearchParams({ passage: id }).toString();
  return url.href;
}

// Why the text could not be put on the clipboard, or null when it was.
async function writeClipboard(text) {
  if (!navigator.clipboard || !window.isSecureContext) {
    return "The browser offers this page no clipboard (it is not served over https)";
  }
  try {
    await navigator.clipboard.writeText(text);
    return null;
  } catch (_) {
    return "The browser did not let the page copy"; // permission denied, or the page lost focus
  }
}

function notify(kind, message, text) {
  const notice = $("copied");
  const close = el("button", { type: "button", class: "copied-close", "aria-label": "Dismiss" }, "×");
  close.addEventListener("click", () => notice.replaceChildren());
  const shown = text ? el("p", { class: "copied-text", tabindex: "0" }, text) : null;
  notice.className = `copied copied-${kind}`;
  notice.replaceChildren(el("p", { class: "copied-message" }, message), shown, close);
  if (shown && kind === "manual") window.getSelection().selectAllChildren(shown); // ready for Ctrl+C / ⌘C
}

async function copy(text, what) {
  const refused = await writeClipboard(text);
  if (!refused) notify("done", `Copied the ${what}:`, text);
  else notify("manual", `${refused}; the ${what} is selected below: copy it with Ctrl+C or ⌘C.`, text);
}

async function citation(id) {
  const response = await fetch(`/passages/${encodeURIComponent(id)}/cite?format=text`,
                               { headers: { Accept: "text/plain, application/json" } });
  if (response.ok) return response.text();
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  throw new Error(`${errorDetail(body, response)} (HTTP ${response.status})`);
}

async function copyCitation(id, button) {
  button.setAttribute("aria-busy", "true");
  try {
    await copy(await citation(id), "citation");
  } catch (error) {
    notify("error", `Could not get the citation: ${error.message}.`, null);
  } finally {
    button.removeAttribute("aria-busy");
  }
}

export function shareButtons(passage) {
  const cite = el("button", { type: "button", class: "copy-citation" }, "Copy citation");
  cite.addEventListener("click", () => copyCitation(passage.id, cite));
  const link = el("button", { type: "button", class: "copy-link" }, "Copy link to this moment");
  link.addEventListener("click", () => copy(momentUrl(passage.id), "link to this moment"));
  return el("div", { class: "share" }, cite, link);
}
