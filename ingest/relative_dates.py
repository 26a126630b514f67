"""Resolve the date expressions of news sentences against the article's publication date.

Why: news dates facts relative to when the story ran. "Qaim, reclaimed from the Islamic State on
Friday" in an article dated Sunday 2017-11-05 means 2017-11-03, and an answer that says "Friday" to a
reader a year later says nothing. The answer reader uses these resolutions as a fact's ``event_date``.

Why rules and not ``dateutil.parser``: the parser fills a missing year or day from a default date, so
"Friday" or "Dec. 30" would come back as a date in the future of the article, and it reads "2,500" or
"96 percent" as dates. News conventions decide the hard cases instead:

* a weekday alone is the most recent such day on or before the article date — copy is written after
  the fact ("said Saturday"), and the article's own weekday is the article's day; "last Friday" skips
  back a week only when the article itself ran on a Friday; "next", "this coming" and "this" point
  forward;
* a day or month without a year is the latest one not more than about two months after the article
  (``LOOKAHEAD_DAYS``, ``LOOKAHEAD_MONTHS``): "Dec. 30" in a story of 2018-01-02 is 2017-12-30, while
  "Jan. 5" in a story of 2017-12-20 is the coming 2018-01-05 and "in December" in a November story is
  that December;
* "last week", "two weeks ago" and the like name a period, not a day, and say so by their granularity
  (a week is given by its Monday, a month or a year by its first day), so no reader mistakes a month
  for its first day;
* words that are also ordinary words only count with the context that makes them dates: a month name
  alone needs a preposition ("in May" — not "May I"), a bare year needs "in", "since", "of", "by" and
  the like, weekday abbreviations need their capital and dot ("Sat." — not "sat"), and "every Friday",
  "the last month" (a stretch of time, not a date) or "three years" (no "ago") resolve to nothing.

The tense of the sentence is not read: "will vote on Friday" resolves to the Friday before the article.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = ["ResolvedDate", "find_dates", "resolve_date"]

Granularity = Literal["day", "week", "month", "year"]

# How far after the article an expression without a year may point: scheduled events ("the Dec. 30
# deadline") are announced ahead, but rarely by more than a couple of months.
LOOKAHEAD_DAYS = 61
LOOKAHEAD_MONTHS = 2


@dataclass(frozen=True)
class ResolvedDate:
    """One date expression and the calendar period it names.

    ``start``/``end`` are kept so that a citation can point at the very words the date came from.
    """

    value: date
    granularity: Granularity
    text: str
    start: int
    end: int

    def iso(self) -> str:
        """ISO text no finer than the expression: "last month" must not read as the 1st of the month."""
        if self.granularity == "year":
            return f"{self.value.year:04d}"
        if self.granularity == "month":
            return f"{self.value.year:04d}-{self.value.month:02d}"
        return self.value.isoformat()


# --- vocabulary --------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
_FULL_MONTHS = {
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
}
_WEEKDAYS = {name: number for number, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}

# Full names before their abbreviations, "sept" before "sep": alternation takes the first that fits.
# Only an abbreviation takes the dot, so "last March." leaves the full stop to the sentence.
_MONTH = (
    r"(?P<month>(?i:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|(?:jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?))(?![A-Za-z])"
)
_WEEKDAY_NAMES = r"(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?![A-Za-z])"
_WEEKDAY_ABBREVIATIONS = r"(?i:mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\."
_WEEKDAY = rf"(?P<weekday>{_WEEKDAY_NAMES}|{_WEEKDAY_ABBREVIATIONS})"
# A weekday in front of a full date ("Friday, Nov. 3") only repeats it; the date decides.
_WEEKDAY_PREFIX = rf"(?:(?P<prefix>{_WEEKDAY_NAMES}|{_WEEKDAY_ABBREVIATIONS}),?\s+)?"
# Not part of a larger number: "Nov. 3,500" or "3.5" are no days.
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?![A-Za-z\d%])(?![.,]\d)"
_YEAR = r"(?P<year>\d{4})(?!\d)(?![.,]\d)(?!%)(?!\s*(?i:percent|per\s+cent)\b)"
_PART_OF_DAY = r"(?:\s+(?i:morning|afternoon|evening|night)(?![A-Za-z]))?"

# What must stand before a month name or a year that has no day or modifier to mark it as a date.
_PERIOD_CUE = re.compile(
    r"(?i:\b(?:in|since|of|by|until|till|through|from|during|early|late|mid)\s+|\bmid-)$"
)
_MAY_CUE = re.compile(r"(?i:\b(?:in|since|of|until|till|through|from|during|early|late|mid)\s+|\bmid-)$")
_EVERY = re.compile(r"(?i:\b(?:every|each)\s+)$")
_THE = re.compile(r"(?i:\bthe\s+)$")
_CONTEXT = 40

_Resolution = tuple[date, Granularity]
_Handler = Callable[[re.Match[str], str, date, bool], _Resolution | None]


# --- calendar arithmetic -----------------------------------------------------------------------------


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _shift_month(year: int, month: int, months: int) -> date:
    index = year * 12 + (month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _day_without_year(month: int, day: int, reference: date) -> date | None:
    """The latest such day not too far after the article; February 29 falls back to a leap year."""
    latest = reference + timedelta(days=LOOKAHEAD_DAYS)
    for year in range(reference.year + 1, reference.year - 8, -1):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate <= latest:
            return candidate
    return None


def _month_without_year(month: int, reference: date) -> date:
    year = reference.year + 1
    while (year - reference.year) * 12 + (month - reference.month) > LOOKAHEAD_MONTHS:
        year -= 1
    return date(year, month, 1)


def _preceded_by(pattern: re.Pattern[str], text: str, start: int) -> bool:
    return pattern.search(text[max(0, start - _CONTEXT) : start]) is not None


def _capitalised(word: str) -> bool:
    """Month names and weekday abbreviations are capitalised in news copy; "march" and "sat" are verbs."""
    return word[:1].isupper()


def _month_number(word: str) -> int:
    return _MONTHS[word.lower().rstrip(".")[:3]]


def _normalised(words: str) -> str:
    return " ".join(words.lower().split())


# --- handlers: one per expression shape; None rejects the match ---------------------------------------


def _explicit_day(match: re.Match[str], text: str, reference: date, whole: bool) -> _Resolution | None:
    prefix = match.group("prefix")
    if not _capitalised(match.group("month")) or (
        prefix is not None and prefix.endswith(".") and not _capitalised(prefix)
    ):
        return None
    month, day = _month_number(match.group("month")), int(match.group("day"))
    year = match.group("year")
    value = _safe_date(int(year), month, day) if year else _day_without_year(month, day, reference)
    return (value, "day") if value is not None else None


def _iso_day(match: re.Match[str], text: str, reference: date, whole: bool) -> _Resolution | None:
    value = _safe_date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
    return (value, "day") if value is not None else None


def _month_and_year(match: re.Match[str], text: str, reference: date, whole: bool) -> _Resolution | None:
    if not _capitalised(match.group("month")):
        return None
    return date(int(match.group("year")), _month_number(match.group("month")), 1), "month"


def _month_alone(match: re.Match[str], text: str, reference: date, whole: bool) -> _Resolution | None:
    word = match.group("month")
    if not _capitalised(word):
        return None
    # "Jan" or "Dec" without a dot is as likely a name; with a day or a year it is handled elsewhere.
    if not word.endswith(".") and word.lower() not in _FULL_MONTHS:
        return None
    if text[match.end() : match.end() + 2] == "'s":  # "May's government"
        return None
    month = _month_number(word)
    modifier = _normalised(match.group("modifier") or "")
    if modifier in ("last", "this past"):
        year = reference.year if month < reference.month else reference.year - 1
    elif modifier in ("next", "this coming"):
        year = reference.year if month > reference.month else reference.year + 1
    elif modifier == "this":
        year = reference.year
    else:
        cue = _MAY_CUE if month == 5 else _PERIOD_CUE  # "criticised by May"
        if not whole and not _preceded_by(cue, text, match.start()):
            return None
        return _month_without_year(month, reference), "month"
    return date(year, month, 1), "month"


def _year_alone(match: re.Match[str], text: str, reference: date, whole: bool) -> _Resolution | None:
    year = int(match.group("year"))
    if not 1900 <= year <= 2099:
        return None
    if not whole and not _preceded_by(_PERIOD_CUE, text, match.start()):
        return None
    return date(year, 1, 1), "year"


def _weekday(match: re.Match[str], text: str, reference: date, whole: bool) -> _Resolution | None:
    word = match.group("weekday")
    if word.endswith(".") and not _capitalised(word):
        return None
    if _preceded_by(_EVERY, text, match.start()):
        return None
    target = _WEEKDAYS[word.lower()[:3]]
    back = (reference.weekday() - target) % 7  # days back to the most recent one, 0 on the day itself
    modifier = _normalised(match.group("modifier") or "")
    if modifier in ("next", "this coming", "coming"):
        return reference + timedelta(days=(target - reference.weekday()) % 7 or 7), "day"
    if modifier == "this":
        return reference + timedelta(days=(target - reference.weekday()) % 7), "day"
    if modifier in ("last", "this past"):
        return reference - timedelta(days=back or 7), "day"
    return reference - timedelta(days=back), "day"


def _relative_day(match: re.Match[str], text: str, reference: date, whole: bool) -> _Resolution | None:
    words = _normalised(match.group(0))
    if words.startswith("the day before"):
        offset = -2
    elif words.startswith("the day after"):
        offset = 2
    elif words.startswith(("yesterday", "last night")):
        offset = -1
    elif words.startswith("tomorrow"):
        offset = 1
    else:
        offset = 0
    return reference + timedelta(days=offset), "day"


def _ago(match: re.Match[str], text: str, reference: date, whole: bool) -> _Resolution | None:
    number = match.group("number").lower()
    count = int(number) if number.isdigit() else _NUMBER_WORDS[number]
    unit = match.group("unit").lower().rstrip("s")
    if unit == "day":
        return reference - timedelta(days=count), "day"
    if unit == "week":
        return _monday(reference - timedelta(weeks=count)), "week"
    if unit == "month":
        return _shift_month(reference.year, reference.month, -count), "month"
    return date(reference.year - count, 1, 1), "year"


def _relative_period(match: re.Match[str], text: str, reference: date, whole: bool) -> _Resolution | None:
    # "over the last month" is the stretch of time up to the article, not the previous calendar month.
    if _preceded_by(_THE, text, match.start()):
        return None
    step = {"last": -1, "this": 0, "next": 1}[match.group("modifier").lower()]
    unit = match.group("unit").lower()
    if unit == "week":
        return _monday(reference) + timedelta(weeks=step), "week"
    if unit == "month":
        return _shift_month(reference.year, reference.month, step), "month"
    return date(reference.year + step, 1, 1), "year"


_START = r"(?<![\w$.,/-])"
# A lone month or year may follow "mid-", never a number and a dash ("2016-2017" is a range).
_PERIOD_START = r"(?<![\w$.,/])(?<!\d-)"
_NUMBER = r"(?P<number>\d{1,3}|(?i:" + "|".join(_NUMBER_WORDS) + "))"

_RULES: tuple[tuple[re.Pattern[str], _Handler], ...] = (
    (
        re.compile(rf"{_START}{_WEEKDAY_PREFIX}{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?"),
        _explicit_day,
    ),
    (
        re.compile(rf"{_START}{_WEEKDAY_PREFIX}{_DAY}(?:\s+(?i:of))?\s+{_MONTH}(?:,?\s+{_YEAR})?"),
        _explicit_day,
    ),
    (re.compile(r"(?<![\w-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\w-])"), _iso_day),
    (re.compile(rf"{_START}{_MONTH},?\s+{_YEAR}"), _month_and_year),
    (
        re.compile(
            rf"{_PERIOD_START}(?:(?P<modifier>(?i:last|next|this\s+past|this\s+coming|this))\s+)?"
            rf"{_MONTH}(?!\s+\d)"
        ),
        _month_alone,
    ),
    (re.compile(rf"{_PERIOD_START}{_YEAR}"), _year_alone),
    (
        re.compile(
            rf"{_START}(?:(?P<modifier>(?i:last|next|this\s+past|this\s+coming|coming|this))\s+)?"
            rf"{_WEEKDAY}{_PART_OF_DAY}"
        ),
        _weekday,
    ),
    (
        re.compile(
            r"(?<![\w-])(?i:(?:the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow|yesterday|tomorrow)"
            r"(?:\s+(?:morning|afternoon|evening|night))?|today|tonight|last\s+night"
            r"|this\s+(?:morning|afternoon|evening))(?![\w-])"
        ),
        _relative_day,
    ),
    (
        re.compile(rf"{_START}{_NUMBER}\s+(?P<unit>(?i:days?|weeks?|months?|years?))\s+(?i:ago)(?![\w-])"),
        _ago,
    ),
    (
        re.compile(r"(?<![\w-])(?P<modifier>(?i:last|this|next))\s+(?P<unit>(?i:week|month|year))(?![\w-])"),
        _relative_period,
    ),
)

# Words around a date that do not change which date it is; anything else makes the expression more
# than a date ("every Friday", "the 2017 election") and resolve_date declines it.
_FILLERS = frozenset(
    "on in at by since from until till through during the of early earlier late later mid end "
    "beginning start middle as".split()
)


def _scan(text: str, reference: date, whole: bool) -> list[ResolvedDate]:
    candidates: list[ResolvedDate] = []
    for pattern, handler in _RULES:
        for match in pattern.finditer(text):
            resolution = handler(match, text, reference, whole)
            if resolution is not None:
                value, granularity = resolution
                start, end = match.span()
                candidates.append(ResolvedDate(value, granularity, text[start:end], start, end))
    # Leftmost first and, at one place, the longest: "Friday, Nov. 3" wins over "Friday".
    candidates.sort(key=lambda found: (found.start, found.start - found.end))
    chosen: list[ResolvedDate] = []
    for found in candidates:
        if not chosen or found.start >= chosen[-1].end:
            chosen.append(found)
    return chosen


def resolve_date(expression: str, reference: date) -> ResolvedDate | None:
    """Resolve one date expression (e.g. the text of a spaCy DATE entity such as "Friday", "last month",
    "Nov. 3", "Dec. 30, 2016", "two days ago", "this week") against the article date. start=0,end=len.

    An entity's text may carry words around the date ("on Friday", "earlier this month", "late
    Friday"); those are allowed, but an expression with two dates or with words that change its
    meaning ("every Friday", "three years") gives None rather than a guess. A bare month or year needs
    no preposition here, since the entity recogniser has already said it is a date.
    """
    found = _scan(expression, reference, whole=True)
    if len(found) != 1:
        return None
    (only,) = found
    rest = expression[: only.start] + " " + expression[only.end :]
    words = re.sub(r"[,.;:()'\"\-–—]", " ", rest).lower().split()
    if any(word not in _FILLERS for word in words):
        return None
    return ResolvedDate(only.value, only.granularity, expression, 0, len(expression))


def find_dates(text: str, reference: date) -> list[ResolvedDate]:
    """Every resolvable date expression in a sentence, left to right, non-overlapping, with offsets.

    For text no entity recogniser has looked at, so bare month names and years count only after a
    preposition that makes them dates, and prepositions stay outside the spans: ``text`` is the date
    itself ("Friday", "last month", "Nov. 2, 2017") and ``text[start:end] == found.text``.
    """
    return _scan(text, reference, whole=False)
