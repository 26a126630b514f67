"""The records that flow between ingestion stages.

Plain dataclasses so every stage is a plain function over them, testable without Haystack or
Prefect; ``ingest.components`` wraps them for Haystack pipelines.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit, urlunsplit


class IngestError(ValueError):
    """A document cannot be ingested; ``reason`` says why in words a user can act on."""

    def __init__(self, reason: str, *, origin: str = "", record_no: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.origin = origin
        self.record_no = record_no


@dataclass
class RawRecord:
    """One input document as loaded, before cleaning (contract fields of DESIGN.md §2)."""

    origin: str  # file path or URL it came from
    record_no: int | None = None  # 1-based line/record number inside a multi-record file
    id: str | None = None
    url: str | None = None
    title: str | None = None
    text: str | None = None
    html: str | None = None
    published: str | None = None  # raw value of publish_date / published / date
    updated: str | None = None  # raw value of updated / modified / date_modified
    authors: list[str] = field(default_factory=list)
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Resolved path of a file that holds this one document (not a line of a JSONL dump): the
    # document's identity when it has neither an id nor a URL, so an edited file is an update.
    file_path: str | None = None

    @property
    def where(self) -> str:
        """Human-readable location for errors and the quarantine: ``file.jsonl:17``."""
        return f"{self.origin}:{self.record_no}" if self.record_no is not None else self.origin


@dataclass
class Removal:
    """One piece of text the cleaner took out of the body: the audit trail entry."""

    rule: str  # e.g. "caption", "duplicate_paragraph", "newsletter_prompt", "learned:cnn.com"
    text: str
    start: int  # char offsets in the cleaner's input text (after HTML extraction, if any)
    end: int
    reason: str = ""
    moved_to: str | None = None  # metadata field that kept it (captions, credits, authors), if any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CleanArticle:
    """A cleaned article: the body text that gets chunked and indexed, plus its metadata."""

    doc_id: str
    text: str
    title: str = ""
    url: str | None = None
    source: str | None = None
    published: date | None = None
    updated: date | None = None  # last update the page states (record, page metadata or a timestamp line)
    authors: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)  # titles of embedded video teasers
    dateline: str | None = None
    language: str | None = None
    origin: str = ""
    record_no: int | None = None
    removed: list[Removal] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Hash of what gets indexed: unchanged hash ⇒ nothing to rewrite on re-ingestion.

        Volatile record fields (scrape time, etc.) are deliberately not part of it.
        """
        h = hashlib.sha256()
        for part in (
            self.title,
            self.text,
            self.url or "",
            self.source or "",
            self.published.isoformat() if self.published else "",
            "\x1f".join(self.authors),
            "\x1f".join(self.captions),
        ):
            h.update(part.encode("utf-8"))
            h.update(b"\x1e")
        if self.updated:  # only when known, so articles without one keep the hashes they had
            h.update(b"updated\x1f" + self.updated.isoformat().encode())
        return h.hexdigest()

    def metadata_dict(self) -> dict[str, Any]:
        """Metadata as the contract's ``clean --json`` shows it."""
        meta = {
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "updated": self.updated.isoformat() if self.updated else None,
            "authors": self.authors,
            "credits": self.credits,
            "captions": self.captions,
            "videos": self.videos,
            "dateline": self.dateline,
            "language": self.language,
        }
        meta.update(self.metadata)
        return meta


@dataclass
class Chunk:
    """A sentence-aligned piece of an article; ``start``/``end`` index ``CleanArticle.text``."""

    doc_id: str
    index: int
    text: str
    start: int
    end: int

    @property
    def chunk_id(self) -> str:
        return chunk_id(self.doc_id, self.index)


def chunk_id(doc_id: str, index: int) -> str:
    return f"{doc_id}#{index:04d}"


_WS = re.compile(r"\s+")


def normalise_url(url: str) -> str:
    """Canonical form of a URL for identity: lower-case scheme/host, no fragment, no trailing slash.

    Query strings are kept (some sites put the article id there) but tracking parameters are not.
    """
    parts = urlsplit(url.strip())
    query = "&".join(
        p for p in parts.query.split("&") if p and not p.lower().startswith(("utm_", "fbclid", "gclid"))
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def normalise_text(text: str) -> str:
    """Text reduced for identity: NFKC, case-folded, whitespace collapsed.

    Whole article bodies are normalised several times per article while indexing (exact hash,
    MinHash shingles, duplicate index, ledger record: ~0.5 ms each for 10 kB), so long texts are
    memoised; lines and short strings are not worth a cache slot.
    """
    if len(text) >= _MEMO_MIN_CHARS:
        return _normalise_long(text)
    return _normalise(text)


_MEMO_MIN_CHARS = 1000


def _normalise(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


@functools.lru_cache(maxsize=256)
def _normalise_long(text: str) -> str:
    return _normalise(text)


def derive_doc_id(record_id: str | None, url: str | None, content: str, file_path: str | None = None) -> str:
    """The contract's doc_id: the record's ``id``, else its URL, else its file's path, else its content.

    A file's identity is where it lives: editing ``strike.txt`` and ingesting it again updates the
    article instead of adding a second one. Only records with none of the three (lines of a dump
    without ids or URLs) are identified by their normalised text.
    """
    if record_id is not None and str(record_id).strip():
        return str(record_id).strip()
    if url and url.strip():
        return "u-" + hashlib.sha256(normalise_url(url).encode()).hexdigest()[:20]
    if file_path:
        return "p-" + hashlib.sha256(file_path.encode()).hexdigest()[:20]
    return "c-" + hashlib.sha256(normalise_text(content).encode()).hexdigest()[:20]
