"""Main-text extraction from HTML pages.

Two extractors, measured against each other by ``bench/eval_html_extraction.py``:

* ``trafilatura`` (the best public extractor on the ScrapingHub article benchmark) finds the main
  text; it is the default.
* ``native``: a small BeautifulSoup(lxml) extractor: drop page furniture by tag and by class/id,
  pick the article container, keep block-level text with low link density. It is the fallback when
  trafilatura finds nothing (very short pages) and the comparison point.

Both share the same guards and metadata: ``<figcaption>`` (and ``class="caption"``) texts go to
``captions`` so the cleaner keeps them once as metadata and out of the body; title, date and
authors come from ``<meta>`` tags when present. Pathological input (too deep, too big, unparsable)
raises :class:`IngestError` instead of recursing or hanging.
"""

from __future__ import annotations

import itertools
import re
import warnings
from dataclasses import dataclass, field

import lxml.html
import trafilatura
from bs4 import BeautifulSoup, Tag
from lxml import etree

from ingest.models import IngestError

DEFAULT_MAX_DEPTH = 200
# A news page has a few thousand elements; a million-element page costs minutes and gigabytes in
# BeautifulSoup and trafilatura (measured: 1M elements, 420 s, 4 GB), 100k about 12 s and 450 MB.
DEFAULT_MAX_ELEMENTS = 100_000

_DROP_TAGS = (
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe",
    "svg", "button", "select", "input", "figcaption", "object", "embed", "dialog", "menu",
)  # fmt: skip
_FURNITURE = re.compile(
    r"(^|[\s_-])(share|sharing|social|related|recommend|newsletter|subscribe|signup|promo|advert|"
    r"ad|ads|sponsor|cookie|consent|gdpr|comment|comments|footer|nav|navbar|breadcrumb|sidebar|menu|"
    r"toolbar|popup|modal|banner|outbrain|taboola|caption|byline|tags|pagination)($|[\s_-])",
    re.IGNORECASE,
)
_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "dd", "dt", "td", "th")
_CONTAINERS = ("article", "main", "div", "section", "td", "body")
_WS = re.compile(r"[ \t\r\f\v\u00a0]+")


@dataclass
class HtmlExtract:
    """What an HTML page yields: main text (one block per line) plus page metadata."""

    text: str
    title: str | None = None
    captions: list[str] = field(default_factory=list)
    published: str | None = None
    updated: str | None = None
    authors: list[str] = field(default_factory=list)
    url: str | None = None
    method: str = "trafilatura"


def extract_html(
    html: str,
    *,
    method: str = "trafilatura",
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_elements: int = DEFAULT_MAX_ELEMENTS,
    origin: str = "",
    record_no: int | None = None,
) -> HtmlExtract:
    """Main text and metadata of ``html``; ``method`` is ``"trafilatura"`` or ``"native"``.

    Raises ``IngestError`` for HTML that cannot be parsed, is nested deeper than ``max_depth``, or
    holds no main text.
    """
    tree = parse_html(
        html, max_depth=max_depth, max_elements=max_elements, origin=origin, record_no=record_no
    )
    soup = BeautifulSoup(html, "lxml")
    captions = extract_captions(soup)
    meta = _meta(soup)
    text = ""
    used = method
    if method == "trafilatura":
        text = _trafilatura_text(tree)
        if not text.strip():
            used = "native"
    if used == "native" or method == "native":
        text = native_main_text(soup)
    if not text.strip():
        raise IngestError("no main text found in the HTML page", origin=origin, record_no=record_no)
    return HtmlExtract(text=text, captions=captions, method=used, **meta)


def parse_html(
    html: str,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_elements: int = DEFAULT_MAX_ELEMENTS,
    origin: str = "",
    record_no: int | None = None,
) -> lxml.html.HtmlElement:
    """lxml tree of ``html`` after the depth and size guards (computed iteratively: no recursion)."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(f"unparsable HTML: {exc}", origin=origin, record_no=record_no) from exc
    depth = _max_depth(tree, stop_at=max_depth + 1)
    if depth > max_depth:
        raise IngestError(
            f"HTML nested more than {max_depth} levels deep (NEWSDESK_MAX_HTML_DEPTH); refusing to extract",
            origin=origin,
            record_no=record_no,
        )
    elements = sum(1 for _ in itertools.islice(tree.iter(), max_elements + 1))
    if elements > max_elements:
        raise IngestError(
            f"HTML has more than {max_elements:,} elements (NEWSDESK_MAX_HTML_ELEMENTS); refusing to extract",
            origin=origin,
            record_no=record_no,
        )
    return tree


def extract_captions(soup: BeautifulSoup) -> list[str]:
    """Texts of ``<figcaption>`` and caption-classed elements, in order, each once."""
    seen: dict[str, None] = {}
    for node in soup.find_all(["figcaption"]) + soup.find_all(class_=re.compile(r"caption", re.I)):
        text = _squash(node.get_text(" "))
        if text and len(text) < 2000:
            seen.setdefault(text, None)
    return list(seen)


def native_main_text(soup: BeautifulSoup) -> str:
    """Our own main-text extractor: see the module docstring for the heuristics."""
    body = soup.body or soup
    for tag in body.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in list(body.find_all(True)):
        if tag.decomposed or tag.attrs is None:
            continue
        marker = " ".join([*tag.get("class", []), tag.get("id", "") or "", tag.get("role", "") or ""])
        if marker.strip() and _FURNITURE.search(marker) and tag.name not in ("body", "html", "main"):
            tag.decompose()
    root = _main_container(body)
    lines: list[str] = []
    for block in root.find_all(_BLOCKS):
        if block.find(_BLOCKS):  # only innermost blocks, so nothing is emitted twice
            continue
        text = _squash(block.get_text(" "))
        if not text:
            continue
        link_chars = sum(len(_squash(a.get_text(" "))) for a in block.find_all("a"))
        if link_chars > 0.5 * len(text) and len(text) < 200:
            continue
        lines.append(text)
    if not lines:
        lines = [t for t in (_squash(s) for s in root.get_text("\n").split("\n")) if t]
    return "\n\n".join(lines)


# --------------------------------------------------------------------------------------------
# internals
# --------------------------------------------------------------------------------------------
def _trafilatura_text(tree: lxml.html.HtmlElement) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            text = trafilatura.extract(
                tree,
                output_format="txt",
                include_comments=False,
                include_tables=True,
                include_images=False,
                deduplicate=False,
            )
        except (RecursionError, ValueError, TypeError):
            return ""
    if not text:
        return ""
    # trafilatura emits one block per line; the cleaner works on paragraphs separated by blank lines.
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def _main_container(body: Tag) -> Tag:
    for selector in ("article", "main", '[itemprop="articleBody"]', '[role="main"]'):
        found = body.select(selector)
        if found:
            return max(found, key=lambda t: len(t.get_text()))
    best, best_score = body, 0
    for cand in body.find_all(_CONTAINERS):
        score = sum(len(p.get_text()) for p in cand.find_all("p", recursive=False))
        if score > best_score:
            best, best_score = cand, score
    return best


def _meta(soup: BeautifulSoup) -> dict:
    def content(*keys: str) -> str | None:
        for key in keys:
            tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
            if tag and tag.get("content", "").strip():
                return tag["content"].strip()
        return None

    title = content("og:title", "twitter:title")
    if not title:
        h1 = soup.find("h1")
        title = _squash(h1.get_text(" ")) if h1 else None
    if not title and soup.title:
        title = _squash(soup.title.get_text(" "))
    author = content("author", "article:author", "byl", "parsely-author")
    authors = (
        [a.strip() for a in re.split(r",| and ", author.removeprefix("By ")) if a.strip()] if author else []
    )
    canonical = soup.find("link", rel="canonical")
    url = canonical.get("href") if canonical and canonical.get("href") else content("og:url")
    return {
        "title": title or None,
        "published": content("article:published_time", "datePublished", "pubdate", "date", "dc.date"),
        "updated": content("article:modified_time", "og:updated_time", "dateModified", "last-modified"),
        "authors": authors,
        "url": url,
    }


def _max_depth(root: etree._Element, stop_at: int) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest >= stop_at:
                return deepest
        stack.extend((child, depth + 1) for child in node)
    return deepest


def _squash(text: str) -> str:
    return _WS.sub(" ", text).strip()
