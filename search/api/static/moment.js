// One passage opened by its moment link (/?passage=ID): the quote, who said it, where and when, its neighbouring
// passages and its deep link, from GET /passages/{id}?context=N.

import { errorDetail, getJson, hasTime, timecode, who } from "./dom.js";
import { episodeTitle, renderMoment } from "./render.js";

export const MAX_CONTEXT = 10; // podquote.query.MAX_CONTEXT: the API refuses more

function described(passage) {
  const title = episodeTitle(passage);
  const where = [title && `“${title}”`, passage.show].filter(Boolean).join(", ");
  const when = hasTime(passage) ? ` at ${timecode(passage.start)}` : "";
  return `${who(passage)}${where ? ` in ${where}` : ""}${when}.`;
}

function failure(id, response, body) {
  if (response.status === 404) {
    return `This moment is not in the index: ${errorDetail(body, response)}. The link may come from another ` +
      "index, or from before this one was rebuilt; search for the quote instead.";
  }
  return `Could not open the moment ${id}: ${errorDetail(body, response)} (HTTP ${response.status}).`;
}

// Shows passage `id` with `depth` neighbours per side in `results`; reports through `setStatus(kind, text)`.
// Returns the passage, or null when it could not be shown (or `signal` aborted the request).
export async function showMoment(id, depth, { results, setStatus, signal }) {
  setStatus("loading", "Opening the moment…");
  const context = Math.min(Math.max(depth, 0), MAX_CONTEXT);
  let answer;
  try {
    answer = await getJson(`/passages/${encodeURIComponent(id)}?context=${context}`, signal);
  } catch (error) {
    if (error.name === "AbortError") return null;
    results.replaceChildren();
    setStatus("error", `Could not reach the search service (${error.message}). Is podquote serve still running?`);
    return null;
  }
  if (signal && signal.aborted) return null; // another request took over the page
  const { response, body } = answer;
  if (!response.ok || !body) {
    results.replaceChildren();
    setStatus("error", failure(id, response, body));
    document.title = "Moment not found · podquote";
    return null;
  }
  results.replaceChildren(renderMoment(body));
  setStatus("done", `A moment: ${described(body)}`);
  document.title = `${who(body)}: ${Array.from(body.text || "").slice(0, 60).join("")} · podquote`;
  return body;
}
