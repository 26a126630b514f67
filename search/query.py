"""What of a user's query goes to BM25: the words that name things, not the question's grammar.

Lucene's English stop set (``search.analysis``) keeps "who", "which", "he", "does" and "holds"'s
auxiliaries' cousins; in a question they carry no topic, yet BM25 scores them, and on a news
index "which" or "he" match nearly every chunk. Questions lose their wh-words, auxiliaries and
pronouns before stemming; a query that is *only* such words keeps them (someone searching for
"The Who" gets what they typed).
"""

from __future__ import annotations

import re

from search.analysis import ENGLISH_STOP_WORDS

QUESTION_WORDS = frozenset(
    """
    who whom whose what which when where why how
    is are was were am be been being do does did done has have had having
    can could will would shall should may might must
    he she it they them him her his hers its their theirs we us our you your i me my
    this these those that there here
    """.split()
)
_WORD = re.compile(r"[\w'’-]+")


def keyword_text(query: str) -> str:
    """``query`` without question words (as typed otherwise); unchanged if nothing would be left."""
    kept = [w for w in _WORD.findall(query) if w.lower().strip("'’") not in QUESTION_WORDS]
    if not any(w.lower() not in ENGLISH_STOP_WORDS for w in kept):
        return query  # nothing topical would be left ("The Who"): search what was typed
    return " ".join(kept)
