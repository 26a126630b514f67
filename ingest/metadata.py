"""Article metadata: title, dateline, publication date, authors/credits, source, URL, language.

Every field prefers what the record states explicitly and falls back to what the text shows,
because scraped records are often incomplete: the seed has no date field, but its print-edition line
"A Section on 11/05/2017" dates it. Nothing here downloads anything at run time (py3langid ships its
model inside the wheel).
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime
from urllib.parse import urlsplit

from dateutil import parser as dateparser

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_TEXT_DATE = re.compile(
    rf"\b{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}\b"
    rf"|\b\d{{1,2}}\s+{_MONTHS}\.?,?\s+(?:19|20)\d{{2}}\b"
    r"|\b(?:19|20)\d{2}-\d{2}-\d{2}\b"
)
_SECTION_DATE = re.compile(r"\bSection on (\d{1,2}/\d{1,2}/\d{2,4})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2}/\d{1,2}/(?:\d{4}|\d{2}))\b")
# "BEIRUT -- ...", "SANTOS, Brazil (AP) — ...", "NEW YORK — ...": an upper-case place, optional
# region, optional agency in parentheses, then a dash.
_INLINE_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’ -]{1,40}?(?:,\s*[A-Z][\w.'’ -]{1,30}?)?)\s*"
    r"(?:\((?:AP|Reuters|AFP|CNN|UPI|dpa|Xinhua)\)\s*)?(?:--|—|–|-(?=\s))\s*\S"
)
# CNN puts the dateline on a line of its own: "Washington CNN —", "New York CNN Business —".
_CNN_DATELINE = re.compile(
    r"^(?P<place>.{0,60}?)\s*CNN\s?(?:Business|Sport|Travel|Style|Politics|Health)?\s*[—–-]+\s*$"
)


def source_from(record_source: str | None, url: str | None) -> str | None:
    """The record's ``source``, else the URL's host without ``www.``."""
    if record_source and record_source.strip():
        return record_source.strip()
    if url:
        host = urlsplit(url.strip()).hostname or ""
        host = host.lower().removeprefix("www.")
        return host or None
    return None


def parse_date(value: str | None, *, dayfirst: bool = False) -> date | None:
    """A date from a record field or a text snippet; ``None`` when it is not a plausible date."""
    if not value or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        parsed = dateparser.parse(text, dayfirst=dayfirst, fuzzy=True, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed is None or not (1900 <= parsed.year <= 2100):
        return None
    return parsed.date()


def published_date(
    record_value: str | None, print_edition_lines: list[str], text: str
) -> tuple[date | None, str | None]:
    """Publication date and where it came from: record field, print-edition line, or the text."""
    found = parse_date(record_value)
    if found:
        return found, "record"
    for line in print_edition_lines:
        m = _SECTION_DATE.search(line) or _NUMERIC_DATE.search(line)
        if m:
            found = parse_date(m.group(1))  # US print editions: month/day/year
            if found:
                return found, "print_edition"
    m = _TEXT_DATE.search(text[:3000])
    if m:
        found = parse_date(m.group(0))
        if found:
            return found, "text"
    return None, None


_TS_KEYS = r"last updated|last update|updated|update|first published|originally published|published|posted"
_TS_PART = re.compile(
    rf"\b(?P<key>{_TS_KEYS})\b\s*:?\s*(?:on\s+|at\s+)?(?P<when>.*?)(?=\b(?:{_TS_KEYS})\b|:\s|$)", re.I
)
_HAS_DAY = re.compile(
    rf"\b{_MONTHS}\b|\b\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b|\b(?:19|20)\d{{2}}-\d{{2}}-\d{{2}}\b", re.I
)


def stamped_dates(lines: list[str], published: date | None) -> tuple[date | None, date | None]:
    """``(published, updated)`` that stand-alone timestamp lines state ("Published 10:00 AM EDT,
    Mon June 5, 2023 Updated 3:45 PM EDT, Tue June 6, 2023", "Updated 2:50 p.m. Monday, July 19").

    A stamp without a year takes the publication year (a page says "Updated July 19" of the year it
    ran); a time without a day names no date. An update before publication is a misreading, and
    the latest stamp wins: pages that stamp each update show them all.
    """
    stamped_pub: date | None = None
    updated: date | None = None
    for line in lines:
        for m in _TS_PART.finditer(line):
            when = m.group("when").strip(" ,.|")
            if not _HAS_DAY.search(when):
                continue
            has_year = re.search(r"\b(?:19|20)\d{2}\b", when) is not None
            base = published or stamped_pub
            if not has_year and base is None:
                continue
            year = base.year if (base and not has_year) else 2000
            try:
                with warnings.catch_warnings():  # "EDT": the zone is not needed for the day
                    warnings.simplefilter("ignore")
                    parsed = dateparser.parse(when, fuzzy=True, default=datetime(year, 1, 1)).date()
            except (ValueError, OverflowError, TypeError):
                continue
            if not 1900 <= parsed.year <= 2100:
                continue
            if m.group("key").lower() in ("published", "posted", "first published", "originally published"):
                stamped_pub = stamped_pub or parsed
            elif (published or stamped_pub) is None or parsed >= (published or stamped_pub):
                updated = max(updated, parsed) if updated else parsed
    return stamped_pub, updated


def dateline_from(lines: list[str], dateline_lines: list[str]) -> str | None:
    """The dateline place: from a stand-alone CNN-style dateline line, else the first paragraph."""
    for line in dateline_lines:
        m = _CNN_DATELINE.match(line.strip())
        if m and m.group("place").strip():
            return m.group("place").strip().rstrip(",")
    for line in lines[:3]:
        m = _INLINE_DATELINE.match(line.strip())
        if m:
            place = m.group("place").strip().rstrip(",")
            if len(place) >= 2 and any(ch.isalpha() for ch in place):
                return place
    return None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language (py3langid, bundled model), ``None`` for tiny texts."""
    sample = text[:1500]  # plenty for a confident guess, and langid's cost is linear in it
    if len(sample.strip()) < 20:
        return None
    import py3langid

    lang, _score = py3langid.classify(sample)
    return lang


def clean_author(name: str) -> str:
    """An author name without "By " and trailing affiliation: "By Jane Doe, AP" → "Jane Doe"."""
    name = re.sub(r"^(?:by\s+|[–—−-]{1,2}\s*)", "", name.strip(), flags=re.IGNORECASE)
    return name.split(",")[0].strip()
