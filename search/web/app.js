// newsdesk web page: plain DOM, no framework. Every piece of document text is inserted with
// textContent; highlights are rebuilt node by node keeping only <mark>, so a script inside an
// article can never run here (and the page's CSP forbids inline scripts anyway).
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

// Highlights arrive HTML-encoded by Elasticsearch with <mark> tags. Parse them inertly and copy
// only text and <mark> elements into the page.
function highlightNode(fragment) {
  const span = el("span");
  const doc = new DOMParser().parseFromString("<body>" + fragment + "</body>", "text/html");
  for (const child of doc.body.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) span.appendChild(document.createTextNode(child.textContent));
    else if (child.nodeName === "MARK") span.appendChild(el("mark", child.textContent));
    else span.appendChild(document.createTextNode(child.textContent || ""));
  }
  return span;
}

function link(url, text) {
  if (url && /^https?:\/\//i.test(url)) {
    const a = el("a", text);
    a.href = url;
    a.rel = "noopener noreferrer nofollow";
    a.target = "_blank";
    return a;
  }
  return el("span", text);
}

async function getJSON(url, options) {
  const resp = await fetch(url, options);
  let body = null;
  try { body = await resp.json(); } catch (e) { body = null; }
  if (!resp.ok) {
    const msg = body && body.error ? body.error.message : "HTTP " + resp.status;
    throw new Error(msg);
  }
  return body;
}

// Entities clicked in the facets narrow the search; each stays until its chip is clicked away.
const activeEntities = [];

function renderFilters() {
  const box = $("active-filters");
  box.replaceChildren();
  for (const name of activeEntities) {
    const chip = el("button", name + " ×", "chip");
    chip.type = "button";
    chip.title = "Remove this filter";
    chip.addEventListener("click", () => {
      activeEntities.splice(activeEntities.indexOf(name), 1);
      runSearch();
    });
    box.appendChild(chip);
  }
}

function renderFacets(facets) {
  const box = $("facets");
  box.replaceChildren();
  if (!facets || !facets.entities || !facets.entities.length) return;
  box.appendChild(el("span", "About: ", "muted"));
  for (const f of facets.entities) {
    if (activeEntities.includes(f.name)) continue;
    const b = el("button", f.name + " (" + f.count + ")", "facet facet-" + f.type);
    b.type = "button";
    b.title = f.type + ": show only articles about " + f.name;
    b.addEventListener("click", () => {
      activeEntities.push(f.name);
      runSearch();
    });
    box.appendChild(b);
  }
  const meta = [];
  for (const s of facets.sources || []) meta.push(s.value + " " + s.count);
  if (meta.length) box.appendChild(el("div", "Sources: " + meta.join(" · "), "muted facet-sources"));
}

async function runSearch(event) {
  if (event) event.preventDefault();
  const params = new URLSearchParams({ q: $("q").value, mode: $("mode").value, top_k: "10" });
  for (const f of ["source", "since", "until", "as_of"]) if ($(f).value) params.set(f, $(f).value);
  for (const name of activeEntities) params.append("entity", name);
  renderFilters();
  const list = $("results");
  list.replaceChildren();
  $("search-status").textContent = "Searching…";
  try {
    const data = await getJSON("/search?" + params.toString());
    renderFacets(data.facets);
    $("search-status").textContent = data.hits.length
      ? data.hits.length + " result(s)" + ($("as_of").value ? " published by " + $("as_of").value : "")
      : "No article matches this query well enough" + ($("as_of").value ? " among those published by " + $("as_of").value : "") + ".";
    for (const h of data.hits) {
      const li = el("li");
      li.className = "hit";
      li.appendChild(link(h.url, h.title || h.doc_id)).className = "hit-title";
      const meta = [h.published ? h.published.slice(0, 10) : "undated", h.source || "unknown source"];
      if (h.also_published_by && h.also_published_by.length) meta.push("also run by " + h.also_published_by.length + " other outlet(s)");
      if (h.chunks_matched > 1) meta.push(h.chunks_matched + " matching passages");
      li.appendChild(el("div", meta.join(" · "), "meta"));
      const snippet = el("p", null, "snippet");
      if (h.highlights && h.highlights.length) {
        h.highlights.forEach((frag, i) => {
          if (i) snippet.appendChild(document.createTextNode(" … "));
          snippet.appendChild(highlightNode(frag));
        });
      } else {
        snippet.textContent = h.text.slice(0, 300);
      }
      li.appendChild(snippet);
      list.appendChild(li);
    }
  } catch (err) {
    $("search-status").replaceChildren(el("span", "Search failed: " + err.message, "error"));
  }
}

// The evidence sentence as text nodes, with the short answer (article offsets) in a <mark>.
function markedSentence(e, cls) {
  const q = el("q", null, cls);
  const a = e.answer_start == null ? -1 : e.answer_start - e.start;
  const b = e.answer_end == null ? -1 : e.answer_end - e.start;
  if (a < 0 || b <= a || b > e.sentence.length) {
    q.textContent = e.sentence;
    return q;
  }
  q.appendChild(document.createTextNode(e.sentence.slice(0, a)));
  q.appendChild(el("mark", e.sentence.slice(a, b), "answer-span"));
  q.appendChild(document.createTextNode(e.sentence.slice(b)));
  return q;
}

async function runAsk(event) {
  event.preventDefault();
  const box = $("answer");
  box.replaceChildren(el("p", "Thinking…", "muted"));
  try {
    const data = await getJSON("/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify($("ask_as_of").value
        ? { question: $("question").value, as_of: $("ask_as_of").value }
        : { question: $("question").value }),
    });
    const card = el("div", null, "answer-box");
    if (data.answered) {
      const head = el("p", null, "answer-head");
      head.appendChild(el("strong", "Answer" + (data.as_of ? " (as of " + data.as_of + ")" : "") + ": "));
      head.appendChild(el("strong", data.answer, "answer-text"));
      if (data.answer_type) head.appendChild(el("span", data.answer_type, "answer-type"));
      if (data.event_date) head.appendChild(el("span", data.event_date, "answer-date"));
      card.appendChild(head);
      if (data.answer_type && data.answer_sentence) card.appendChild(el("p", data.answer_sentence, "answer-sentence muted"));
      card.appendChild(el("p", "confidence " + data.confidence.toFixed(2), "muted"));
    } else {
      card.appendChild(el("p", "No answer found in the indexed articles. Closest passages:", "answer-none"));
    }
    const ev = el("ol", null, "evidence");
    for (const e of data.evidence.slice(0, 5)) {
      const li = el("li");
      li.appendChild(markedSentence(e, "evidence-sentence"));
      const src = el("div", null, "meta");
      src.appendChild(document.createTextNode("— "));
      src.appendChild(link(e.url, e.title || e.doc_id));
      src.appendChild(document.createTextNode(" (" + (e.published ? e.published.slice(0, 10) : "undated") + ")"));
      li.appendChild(src);
      ev.appendChild(li);
    }
    card.appendChild(ev);
    if (data.earlier && data.earlier.length) {
      card.appendChild(el("p", "Earlier reports said:", "muted"));
      const older = el("ul", null, "earlier");
      for (const e of data.earlier) {
        const li = el("li");
        li.appendChild(el("span", (e.published || "undated").slice(0, 10) + " ", "answer-date"));
        li.appendChild(markedSentence(e, "earlier-sentence"));
        older.appendChild(li);
      }
      card.appendChild(older);
    }
    box.replaceChildren(card);
  } catch (err) {
    box.replaceChildren(el("p", "Ask failed: " + err.message, "error"));
  }
}

async function showHealth() {
  try {
    const resp = await fetch("/health");
    const h = await resp.json();
    const n = h.index && h.index.articles !== undefined ? h.index.articles + " articles indexed" : "index not created yet";
    $("health").textContent = h.status === "ok" ? n : "search " + h.status;
  } catch (e) {
    $("health").textContent = "search unavailable";
  }
}

// The archive overview (GET /stats): one summary line and the biggest sources.
const OVERVIEW_SOURCES = 8;

function plural(n, one, many) {
  return n + " " + (n === 1 ? one : many);
}

async function showOverview() {
  const summary = $("overview-summary");
  try {
    const s = await getJSON("/stats");
    const t = s.totals;
    const parts = [
      plural(t.articles, "article", "articles") + " from " + plural(t.sources, "source", "sources"),
      plural(t.duplicates, "wire copy", "wire copies") + " folded in",
      plural(t.chunks, "chunk", "chunks"),
    ];
    if (t.first_published) parts.push("published " + t.first_published + " to " + t.last_published);
    parts.push(plural(t.tombstones, "takedown", "takedowns"), plural(t.alerts, "alert", "alerts"));
    if (s.quarantined !== null && s.quarantined !== undefined) parts.push(s.quarantined + " quarantined");
    parts.push((s.index_bytes.total / 1e6).toFixed(1) + " MB");
    const last = s.runs && s.runs.available && s.runs.recent.length ? s.runs.recent[0] : null;
    if (last) parts.push("last run " + (last.state || "?") + " " + (last.start_time || "").slice(0, 16).replace("T", " "));
    summary.textContent = parts.join(" · ");
    const body = $("overview-sources").querySelector("tbody");
    body.replaceChildren();
    for (const r of s.sources.slice(0, OVERVIEW_SOURCES)) {
      const tr = el("tr");
      tr.appendChild(el("td", r.source, "source"));
      for (const v of [r.articles, r.duplicates, r.chunks]) tr.appendChild(el("td", v, "num"));
      tr.appendChild(el("td", r.first_published || "—"));
      tr.appendChild(el("td", r.last_published || "—"));
      body.appendChild(tr);
    }
    $("overview-sources").hidden = !s.sources.length;
  } catch (err) {
    summary.replaceChildren(el("span", "Overview unavailable: " + err.message, "error"));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("search-form").addEventListener("submit", (e) => { activeEntities.length = 0; runSearch(e); });
  $("ask-form").addEventListener("submit", runAsk);
  showHealth();
  showOverview();
});
