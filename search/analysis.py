"""English analysis done in Python, so every Elasticsearch build indexes text the same way.

The Maven ``integ-test-zip`` build that development and CI run lacks the ``analysis-common``
module, so it has no ``english`` analyzer and no stemmer token filters. Rather than have tests
exercise a different analysis path than production, newsdesk stems on the client: each chunk carries
``content_stem`` (lower-cased, English stop words dropped, Snowball-stemmed tokens joined by spaces),
indexed with a whitespace analyzer, and queries are stemmed by the same function. The unstemmed text
stays in ``content`` (standard analyzer) for exact-word matches and highlighting.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

# Lucene's English stop set (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET), so scores behave as users of
# the stock ``english`` analyzer expect.
ENGLISH_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)

_TOKEN = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer("english")
    stemmer.maxCacheSize = 100_000
    return stemmer


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens with possessive ``'s`` removed (like Lucene's possessive filter)."""
    out = []
    for match in _TOKEN.finditer(text.lower()):
        tok = match.group(0).replace("’", "'")
        if tok.endswith("'s"):
            tok = tok[:-2]
        out.append(tok)
    return out


def stem_tokens(text: str) -> list[str]:
    """Stemmed, stop-word-free tokens of ``text``."""
    toks = [t for t in tokens(text) if t not in ENGLISH_STOP_WORDS]
    return _stemmer().stemWords(toks)


def stem_text(text: str) -> str:
    """The ``content_stem`` value for a text, and the query string for that field."""
    return " ".join(stem_tokens(text))
