"""Turn one ``RawRecord`` into a ``CleanArticle``: extraction → rules → learned boilerplate → metadata.

Plain functions: the Prefect flow and the Haystack component both call :func:`clean_record`.
Every line the cleaner drops is recorded as a ``Removal`` (rule, text, offsets in the cleaner's
input text, reason, and the metadata field that kept it, if any): the audit trail a user sees in
``newsdesk clean`` and the ingestion report.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ingest.boilerplate import Line, apply_rules
from ingest.html import extract_html
from ingest.learned import SourceProfiles
from ingest.metadata import (
    clean_author,
    dateline_from,
    detect_language,
    parse_date,
    published_date,
    source_from,
    stamped_dates,
)
from ingest.models import CleanArticle, IngestError, RawRecord, Removal, derive_doc_id, normalise_text
from ingest.settings import IngestSettings

_HEADING_MAX_WORDS = 6


@lru_cache(maxsize=1)
def _default_settings() -> IngestSettings:
    # Reading the environment costs ~3 ms: once per process, not once per document.
    return IngestSettings()


_PARAGRAPH_MIN_WORDS = 8  # a paragraph's first line; scrapes are sometimes hard-wrapped


def clean_record(
    record: RawRecord,
    profiles: SourceProfiles | None = None,
    *,
    settings: IngestSettings | None = None,
    html_method: str = "trafilatura",
) -> CleanArticle:
    """Clean one record; raises ``IngestError`` (with origin and record number) for bad input.

    ``profiles`` adds the source's learned boilerplate (see ``ingest.learned``); without it only the
    general rules apply, which is what ``newsdesk clean`` on a single page does.
    """
    settings = settings or _default_settings()
    where = {"origin": record.origin, "record_no": record.record_no}
    raw_content = record.text if record.text and record.text.strip() else (record.html or "")
    if not raw_content.strip():
        raise IngestError("record has neither text nor html", **where)
    if len(raw_content.encode("utf-8", "surrogatepass")) > settings.max_document_bytes:
        raise IngestError(
            f"document is over the limit of {settings.max_document_bytes:,} bytes "
            "(NEWSDESK_MAX_DOCUMENT_BYTES)",
            **where,
        )

    title = (record.title or "").strip()
    url = record.url
    published_raw = record.published
    updated_raw = record.updated
    authors = list(record.authors)
    captions_html: list[str] = []
    extractor = None
    if record.text and record.text.strip():
        text = record.text
    else:
        page = extract_html(
            record.html or "",
            method=html_method,
            max_depth=settings.max_html_depth,
            max_elements=settings.max_html_elements,
            **where,
        )
        text, extractor, captions_html = page.text, page.method, page.captions
        title = title or (page.title or "")
        url = url or page.url
        published_raw = published_raw or page.published
        updated_raw = updated_raw or page.updated
        authors = authors or page.authors

    source = source_from(record.source, url)
    result = apply_rules(text, title=title, known_captions=captions_html, authors=authors)
    kept, removed = _strip_learned(result.kept, result.removed, source, profiles)
    body = repair_url_escapes("\n\n".join(line.text for line in kept))
    title = repair_url_escapes(title)
    if not body.strip():
        raise IngestError("nothing left after cleaning: the document is all boilerplate", **where)

    published, published_from = published_date(published_raw, result.print_edition, body)
    stamped_pub, stamped_upd = stamped_dates(result.timestamps, published)
    if published is None and stamped_pub is not None:
        published, published_from = stamped_pub, "timestamp"
    updated = parse_date(updated_raw) or stamped_upd
    if updated is not None and published is not None and updated < published:
        updated = None  # an "update" before publication is a misread field
    meta = {"published_from": published_from} if published_from else {}
    if extractor:
        meta["extractor"] = extractor
    meta["removed_chars"] = sum(r.end - r.start for r in removed)
    return CleanArticle(
        doc_id=derive_doc_id(record.id, url, raw_content, record.file_path),
        text=body,
        title=title or _fallback_title(kept),
        url=url,
        source=source,
        published=published,
        updated=updated,
        authors=_dedupe(clean_author(a) for a in [*authors, *result.authors] if clean_author(a)),
        credits=_dedupe(result.credits),
        captions=_dedupe([*captions_html, *result.captions]),
        videos=_dedupe(result.videos),
        dateline=dateline_from([line.text for line in kept], result.datelines),
        language=detect_language(body),
        origin=record.origin,
        record_no=record.record_no,
        removed=sorted(removed, key=lambda r: r.start),
        metadata=meta,
    )


# Punctuation a site escaped for a web address and then printed ("Alzheimer%27s", "Eating well%2C
# exercising …", "%22Hamlet%22"): old summary fields of the scraped corpus carry it. Only these
# escapes, in upper case, and never on a line with a web address, where they belong.
_URL_ESCAPE = re.compile(r"%(?:2[0-9A-F]|3[ABF])")
_WEB_ADDRESS = re.compile(r"https?://|www\.|\.(?:com|org|net|gov|edu)\b|/\w*%", re.IGNORECASE)


def repair_url_escapes(text: str) -> str:
    """Text with URL-escaped punctuation turned back into the characters a reader expects.

    Why: "Diabetes makes Alzheimer%27s more likely" is found by no search for "Alzheimer's" and
    reads as garbage in an answer; the escapes are the scraper's, not the writer's.
    """
    if "%" not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _URL_ESCAPE.search(line) and not _WEB_ADDRESS.search(line):
            lines[i] = _URL_ESCAPE.sub(lambda m: chr(int(m.group()[1:], 16)), line)
    return "\n".join(lines)


def clean_text(
    text: str,
    *,
    title: str | None = None,
    source: str | None = None,
    profiles: SourceProfiles | None = None,
) -> CleanArticle:
    """Clean a bare text (no record around it): convenience for components and notebooks."""
    return clean_record(RawRecord(origin="<text>", title=title, text=text, source=source), profiles)


def _strip_learned(
    kept: list[Line], removed: list[Removal], source: str | None, profiles: SourceProfiles | None
) -> tuple[list[Line], list[Removal]]:
    if profiles is None or not source:
        return kept, removed
    out: list[Line] = []
    removed = list(removed)
    for i, line in enumerate(kept):
        reason = profiles.verdict(source, line.text)
        if reason and not _is_heading(line, kept[i + 1] if i + 1 < len(kept) else None, reason):
            removed.append(Removal(f"learned:{source}", line.text, line.start, line.end, reason, None))
        else:
            out.append(line)
    return out, removed


def _is_heading(line: Line, nxt: Line | None, reason: str) -> bool:
    """A short recurring line that heads a real paragraph is a section heading, not furniture.

    ("What next?", "Alabama" in a 50-states round-up). User deny-lists still win.
    """
    if reason.startswith("listed in the deny list") or nxt is None:
        return False
    if line.words > _HEADING_MAX_WORDS or line.text.endswith("."):
        return False
    return nxt.words >= _PARAGRAPH_MIN_WORDS


def _fallback_title(kept: list[Line]) -> str:
    for line in kept[:3]:
        if line.words <= 20:
            return re.sub(r"\s+", " ", line.text)
    return ""


def _dedupe(items) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = normalise_text(item)
        if key and key not in seen:
            seen.add(key)
            out.append(item.strip())
    return out


HTML_METHODS = ("trafilatura", "native")


class Cleaner:
    """The cleaning stage as an object: learned profiles loaded once, then ``clean_record``.

    The ingestion flow and the ``NewsCleaner`` Haystack component both clean through it (the
    component is a thin wrapper), so both clean alike; it needs no Haystack, which a run with
    nothing to embed never imports.

    Usage::

        cleaner = Cleaner(profiles_dir="/var/lib/newsdesk/boilerplate")
        article = cleaner.clean(RawRecord(origin="page.html", html=html))

    :param profiles_dir: learned per-source boilerplate profiles (``None``: the data dir's).
    :param use_learned: strip lines learned as a source's boilerplate (learning happens in the flow).
    :param html_method: ``"trafilatura"`` (default) or ``"native"`` main-text extraction for HTML.
    :param settings: the loading limits and learned-boilerplate thresholds (``None``: the
        environment's, read once per process). The flow passes its run's, so a cleaner shipped to
        another process cleans by the run's limits, not that process's environment.
    """

    def __init__(
        self,
        profiles_dir: str | None = None,
        use_learned: bool = True,
        html_method: str = "trafilatura",
        settings: IngestSettings | None = None,
    ):
        if html_method not in HTML_METHODS:
            raise ValueError(f"html_method must be one of {', '.join(HTML_METHODS)}")
        self.profiles_dir = profiles_dir
        self.use_learned = use_learned
        self.html_method = html_method
        self.settings = settings
        self._profiles: SourceProfiles | None = None
        self._loaded = False

    def warm_up(self) -> None:
        """Load the learned profiles, once."""
        if not self._loaded:
            self.load_profiles()

    def load_profiles(self, settings: IngestSettings | None = None) -> None:
        """(Re)load the learned profiles: the flow calls this after its learning pass.

        :param settings: the learned-boilerplate thresholds (default: ``NEWSDESK_LEARNED_*``).
        """
        self._loaded = True
        if not self.use_learned:
            return
        directory = Path(self.profiles_dir) if self.profiles_dir else None
        profiles = SourceProfiles.load(directory, settings or self.settings)
        self._profiles = profiles if profiles.profiles else None

    def frozen(self) -> Cleaner:
        """A copy that cleans exactly as this one, with its profiles loaded and reduced to what
        verdicts read (``SourceProfiles.frozen``): small to pickle, and it never reads the disk.

        Why: the ingestion flow ships one to every process that cleans a batch (a Dask worker may
        run on a machine without the driver's ``NEWSDESK_DATA_DIR``).
        """
        self.warm_up()
        copy = Cleaner(self.profiles_dir, self.use_learned, self.html_method, self.settings)
        copy._profiles = self._profiles.frozen() if self._profiles is not None else None
        copy._loaded = True
        return copy

    def clean(self, record: RawRecord) -> CleanArticle:
        """Clean one record (raises ``IngestError`` with the reason it cannot be indexed)."""
        self.warm_up()
        return clean_record(record, self._profiles, settings=self.settings, html_method=self.html_method)
