"""Boilerplate learned per source: lines a site repeats across its pages are furniture.

General rules cannot know that every CNN Health page carries "Get CNN Health's weekly newsletter …"
or that every page of The Week ends with its GDPR consent block; counting can. For each source (the
record's ``source``, else the URL's domain) a :class:`SourceProfile` counts, per distinct line, how
many of that source's documents contain it. A line is stripped only when the evidence says it
cannot be content:

* it occurs in at least ``learned_min_docs`` documents **and** in at least
  ``learned_min_fraction`` of the source's documents: a quote repeated in two or three articles
  never reaches either bar;
* long lines (``learned_long_line_words`` words or more) need ``learned_long_min_fraction``: a long
  sentence recurring is rarer furniture and costlier to lose;
* very short lines (``learned_short_line_words`` words or fewer) need ``learned_short_min_fraction``:
  "Illinois", "Jane Doe" or "What next?" recur as headings, list items and names, so only a line on
  a large share of a source's pages ("CNN —") is furniture;
* on a large source a share is a high bar (a promotion that runs for a month is on 1% of a
  site's 12k pages): a line of ``REPEAT_MIN_WORDS`` words or more found word for word in
  ``learned_repeat_docs`` documents is furniture whatever the share. On the development label
  sets this took 7 more furniture lines and no content (a sentence is not repeated verbatim on
  ten pages of one site unless the site put it there);
* the cleaner additionally keeps short recurring lines that head a long paragraph (section headings
  such as "What next?"), see ``ingest.cleaning``.

Profiles persist as one JSON file per source under ``$NEWSDESK_DATA_DIR/boilerplate/`` so scheduled
runs keep learning. Users inspect ``learned`` (what is currently stripped, with counts) and override
with ``allow`` (never strip these lines) and ``deny`` (always strip them); both survive re-learning.
Counting is idempotent per document (a document seen twice counts once), and rarely seen lines are
pruned to bound the file size, which can only under-count (never strips more).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.models import RawRecord, normalise_text
from ingest.settings import IngestSettings

FORMAT_VERSION = 1
# While observing, a profile may hold this many times the lines it keeps on save before it drops
# the lines seen only once (``SourceProfile.drop_singletons``).
_WORKING_LINES_FACTOR = 4
_MAX_LINE_CHARS = 1000
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
REPEAT_MIN_WORDS = 6  # shorter lines ("Jane Doe", "What next?") recur as names and headings
# A line that speaks to the reader or about the page ("Here's what you need to know to Get Up to
# Speed …", "Listen to the podcast here …", "The Associated Press created this story using …") is
# the site's template after fewer repeats; a background sentence a series reuses ("Polaris Dawn
# is the first of three …") speaks of its subject and needs the full ``learned_repeat_docs``.
REPEAT_ADDRESS_DOCS = 6
_ADDRESSES_READER = re.compile(
    r"\b(?:you|your|yours|we|our|us|my|me)\b|\bthis (?:story|article|report|column|newsletter|page)\b|"
    r"\b(?:newsletter|podcast|subscribe|sign up)\b",
    re.IGNORECASE,
)


@dataclass
class SourceProfile:
    """Line statistics of one source, plus the user's allow/deny overrides."""

    source: str
    docs_seen: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # normalised line -> documents containing it
    examples: dict[str, str] = field(default_factory=dict)  # normalised line -> text as first seen
    seen: set[str] = field(default_factory=set)  # fingerprints of documents already counted
    allow: set[str] = field(default_factory=set)  # normalised lines never stripped
    deny: set[str] = field(default_factory=set)  # normalised lines always stripped
    allow_text: list[str] = field(default_factory=list)
    deny_text: list[str] = field(default_factory=list)

    def observe(self, text: str, fingerprint: str) -> bool:
        """Count the distinct lines of one document; ``False`` if it was counted before."""
        if fingerprint in self.seen:
            return False
        self.seen.add(fingerprint)
        self.docs_seen += 1
        distinct: dict[str, str] = {}
        for raw in text.splitlines():
            line = raw.strip()
            if 1 < len(line) <= _MAX_LINE_CHARS:
                distinct.setdefault(normalise_text(line), line)
        for norm, line in distinct.items():
            n = self.counts.get(norm, 0) + 1
            self.counts[norm] = n
            if n == 2:
                self.examples.setdefault(norm, line)
        return True

    def verdict(self, line: str, settings: IngestSettings) -> str | None:
        """Why ``line`` is this source's boilerplate, or ``None`` when it may be content."""
        norm = normalise_text(line)
        if norm in self.allow:
            return None
        if norm in self.deny:
            return f"listed in the deny list of source {self.source!r}"
        docs = self.counts.get(norm, 0)
        if docs < settings.learned_min_docs or self.docs_seen == 0:
            return None
        fraction = docs / self.docs_seen
        words = len(line.split())
        need = settings.learned_min_fraction
        if words >= settings.learned_long_line_words:
            need = max(need, settings.learned_long_min_fraction)
        elif words <= settings.learned_short_line_words:
            need = max(need, settings.learned_short_min_fraction)
        if fraction < need:
            if words >= REPEAT_MIN_WORDS and (
                docs >= settings.learned_repeat_docs
                or (docs >= REPEAT_ADDRESS_DOCS and _ADDRESSES_READER.search(line))
            ):
                return f"repeated word for word in {docs} documents of source {self.source!r}"
            return None
        return f"recurs in {docs} of {self.docs_seen} documents of source {self.source!r} ({fraction:.1%})"

    def learned(self, settings: IngestSettings) -> list[dict[str, Any]]:
        """Lines currently stripped by counting, most frequent first (for inspection)."""
        out = []
        for norm, docs in self.counts.items():
            text = self.examples.get(norm, norm)
            if docs >= settings.learned_min_docs and self.verdict(text, settings) and norm not in self.deny:
                out.append({"text": text, "docs": docs, "fraction": round(docs / self.docs_seen, 4)})
        return sorted(out, key=lambda d: (-d["docs"], d["text"]))

    def drop_singletons(self) -> None:
        """Forget lines seen in one document only, to bound memory while a large corpus streams by.

        Every distinct line of every document is counted, and most occur once (a 15k-article
        first run held ~200 MB of them before ``prune`` on save). Furniture recurs within a few
        dozen pages of its site, long before the next drop, so it keeps counting; a line dropped
        and seen again restarts at one, which can only under-count (never strips more).
        """
        self.counts = {k: v for k, v in self.counts.items() if v > 1}
        self.examples = {k: v for k, v in self.examples.items() if k in self.counts}

    def prune(self, max_lines: int) -> None:
        """Keep the ``max_lines`` most frequent lines (ties: longer-lived first); drops singletons first."""
        if len(self.counts) <= max_lines:
            return
        keep = sorted(self.counts.items(), key=lambda kv: -kv[1])[:max_lines]
        self.counts = dict(keep)
        self.examples = {k: v for k, v in self.examples.items() if k in self.counts}

    def to_json(self, settings: IngestSettings) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "source": self.source,
            "updated": datetime.now(UTC).isoformat(timespec="seconds"),
            "docs_seen": self.docs_seen,
            "_help": (
                "Lines in 'learned' are stripped from this source's documents (except a short line "
                "heading a paragraph). Add a line to 'allow' to keep it anyway, or to 'deny' to always "
                "strip it; 'counts' is the evidence (documents containing each line)."
            ),
            "thresholds": {
                "min_docs": settings.learned_min_docs,
                "min_fraction": settings.learned_min_fraction,
                "long_line_words": settings.learned_long_line_words,
                "long_min_fraction": settings.learned_long_min_fraction,
                "short_line_words": settings.learned_short_line_words,
                "short_min_fraction": settings.learned_short_min_fraction,
            },
            "allow": self.allow_text,
            "deny": self.deny_text,
            "learned": self.learned(settings),
            "counts": {self.examples.get(k, k): v for k, v in self.counts.items() if v >= 2},
            "singletons": [k for k, v in self.counts.items() if v < 2],
            "seen": sorted(self.seen),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceProfile:
        prof = cls(source=str(data["source"]), docs_seen=int(data.get("docs_seen", 0)))
        for text, n in (data.get("counts") or {}).items():
            norm = normalise_text(text)
            prof.counts[norm] = int(n)
            prof.examples[norm] = text
        for norm in data.get("singletons") or []:
            prof.counts.setdefault(norm, 1)
        prof.seen = set(data.get("seen") or [])
        prof.allow_text = [str(x) for x in data.get("allow") or []]
        prof.deny_text = [str(x) for x in data.get("deny") or []]
        prof.allow = {normalise_text(x) for x in prof.allow_text}
        prof.deny = {normalise_text(x) for x in prof.deny_text}
        return prof


class SourceProfiles:
    """All sources' profiles, loaded from and saved to one directory.

    Usage in a run::

        profiles = SourceProfiles.load()            # $NEWSDESK_DATA_DIR/boilerplate
        for record in batch:
            profiles.observe(record)                # learning pass over the batch
        profiles.save()
        articles = [clean_record(r, profiles) for r in batch]
    """

    def __init__(self, directory: Path | None = None, settings: IngestSettings | None = None):
        self.settings = settings or IngestSettings()
        self.directory = Path(directory) if directory is not None else self.settings.boilerplate_dir
        self.profiles: dict[str, SourceProfile] = {}

    @classmethod
    def load(
        cls, directory: Path | str | None = None, settings: IngestSettings | None = None
    ) -> SourceProfiles:
        """Profiles saved in ``directory`` (default ``$NEWSDESK_DATA_DIR/boilerplate``); empty if none.

        An unreadable profile file is skipped, not fatal: learning restarts for that source.
        """
        self = cls(Path(directory) if directory is not None else None, settings)
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("*.json")):
                try:
                    prof = SourceProfile.from_json(json.loads(path.read_text(encoding="utf-8")))
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                self.profiles[prof.source] = prof
        return self

    def profile(self, source: str) -> SourceProfile:
        if source not in self.profiles:
            self.profiles[source] = SourceProfile(source=source)
        return self.profiles[source]

    def observe(self, record_or_text: RawRecord | str, source: str | None = None) -> bool:
        """Count one document's lines for its source; ``False`` if skipped (no source, seen before).

        A ``RawRecord`` brings its own source (``source`` field, else URL domain) and identity (id,
        URL, else content); HTML records are extracted first. Plain text needs ``source``.
        """
        from ingest.metadata import source_from

        if isinstance(record_or_text, RawRecord):
            rec = record_or_text
            source = source or source_from(rec.source, rec.url)
            text = rec.text if rec.text and rec.text.strip() else _html_text(rec)
            key = rec.id or rec.url or text
        else:
            text = record_or_text
            key = text
        if not source or not text:
            return False
        fingerprint = hashlib.blake2b(str(key).encode("utf-8"), digest_size=8).hexdigest()
        prof = self.profile(source)
        counted = prof.observe(text, fingerprint)
        if len(prof.counts) > _WORKING_LINES_FACTOR * self.settings.learned_max_lines_per_source:
            prof.drop_singletons()
        return counted

    def observe_many(self, items: Iterable[RawRecord | str], source: str | None = None) -> int:
        """``observe`` each item; returns how many documents were newly counted."""
        return sum(1 for item in items if self.observe(item, source))

    def verdict(self, source: str | None, line: str) -> str | None:
        """Reason ``line`` is ``source``'s boilerplate, else ``None``."""
        if not source or source not in self.profiles:
            return None
        return self.profiles[source].verdict(line, self.settings)

    def learned(self, source: str) -> list[dict[str, Any]]:
        prof = self.profiles.get(source)
        return prof.learned(self.settings) if prof else []

    def frozen(self) -> SourceProfiles:
        """A copy that gives the same ``verdict`` for every line, holding only what verdicts read.

        Why: the ingestion flow learns on one process (the driver) and cleans on many (Dask
        workers, possibly on other machines without the driver's data dir). A verdict reads a
        line's document count only once it reaches ``learned_min_docs``, the source's
        ``docs_seen`` and the allow/deny lists; the rest of a profile (lines seen in fewer
        documents, their first spellings, the fingerprints of documents already counted) is what
        *learning* needs and is most of its size: a profile of 15k articles is megabytes, its frozen
        copy kilobytes. The copy cannot learn or be saved meaningfully; it only cleans.
        """
        out = SourceProfiles(self.directory, self.settings)
        floor = self.settings.learned_min_docs
        for source, prof in self.profiles.items():
            out.profiles[source] = SourceProfile(
                source=source,
                docs_seen=prof.docs_seen,
                counts={k: v for k, v in prof.counts.items() if v >= floor},
                allow=set(prof.allow),
                deny=set(prof.deny),
                allow_text=list(prof.allow_text),
                deny_text=list(prof.deny_text),
            )
        return out

    def path_for(self, source: str) -> Path:
        safe = _UNSAFE.sub("_", source.lower()).strip("._") or "source"
        digest = hashlib.blake2b(source.encode(), digest_size=3).hexdigest()
        return (
            self.directory / f"{safe}.json"
            if safe == source.lower()
            else self.directory / f"{safe}-{digest}.json"
        )

    def save(self) -> list[Path]:
        """Write every profile (atomically: temp file + rename) and return the paths written.

        Allow/deny lists edited by a user since ``load`` are re-read and kept, so a running
        schedule never overwrites a user's override.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        written = []
        for source, prof in sorted(self.profiles.items()):
            path = self.path_for(source)
            _merge_user_lists(prof, path)
            prof.prune(self.settings.learned_max_lines_per_source)
            payload = json.dumps(prof.to_json(self.settings), ensure_ascii=False, indent=1)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.directory)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
            os.replace(tmp, path)
            written.append(path)
        return written


def _merge_user_lists(prof: SourceProfile, path: Path) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for key, texts, norms in (("allow", prof.allow_text, prof.allow), ("deny", prof.deny_text, prof.deny)):
        for text in data.get(key) or []:
            norm = normalise_text(str(text))
            if norm not in norms:
                norms.add(norm)
                texts.append(str(text))


def _html_text(record: RawRecord) -> str:
    if not record.html:
        return ""
    from ingest.html import extract_html
    from ingest.models import IngestError

    try:
        return extract_html(record.html, origin=record.origin).text
    except IngestError:
        return ""
