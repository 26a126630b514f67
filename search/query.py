"""What of a user's query goes to BM25: the words that name things, not the question's grammar.

Lucene's English stop set (``search.analysis``) keeps "who", "which", "he", "does" and "holds"'s
auxiliaries' cousins; in a question they carry no topic, yet BM25 scores them, and on a news
index "which" or "he" match nearly every chunk. Questions lose their wh-words, auxiliaries and
pronouns before stemming; a query that is *only* such words keeps them (someone searching for
"The Who" gets what they typed).
"""

from __future__ import annotations

import re
from typing import Any

from search.analysis import ENGLISH_STOP_WORDS, stem_text
from search.irregular_forms import alternatives

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


_QUOTED = re.compile(r'["“”]([^"“”]{2,200})["“”]')
_NUMBER = re.compile(r"(?<![\w.])\d[\d,.:/]*\d(?![\w])|(?<![\w.])\d(?![\w.,])")
_CAPITALISED = re.compile(r"^(?:[A-Z][\w'’.-]*|[A-Z0-9]{2,})$")


def emphasis(query: str) -> dict[str, list[str]]:
    """What in a query should weigh more than its other words: quoted phrases, names, numbers.

    A reporter who types ``"climate bill" Manchin 2023`` means the phrase as written, the person
    and the year; BM25 treats all six words alike. Names are runs of capitalised words (a
    question's first word only when it is not a question or stop word: "Who holds Qaim?" → Qaim,
    "Qaim border" → Qaim); no model, no download.
    """
    phrases = [p.strip() for p in _QUOTED.findall(query) if p.strip()]
    unquoted = _QUOTED.sub(" ", query)
    names: list[str] = []
    run: list[str] = []
    for i, word in enumerate(_WORD.findall(unquoted)):
        lower = word.lower().strip("'’")
        if (
            _CAPITALISED.match(word)
            and not word.isdigit()
            and lower not in QUESTION_WORDS
            and not (i == 0 and lower in ENGLISH_STOP_WORDS)
        ):
            run.append(word)
            continue
        if run:
            names.append(" ".join(run))
            run = []
    if run:
        names.append(" ".join(run))
    numbers = _NUMBER.findall(unquoted)
    return {"phrases": phrases, "names": list(dict.fromkeys(names)), "numbers": list(dict.fromkeys(numbers))}


def emphasis_clauses(query: str, boost: float) -> list[dict]:
    """``should`` clauses that raise chunks carrying the query's phrases, names and numbers verbatim.

    They only add to the score: the relevance floor still decides what is a hit at all.
    """
    if boost <= 0:
        return []
    parts = emphasis(query)
    clauses: list[dict] = [
        {"match_phrase": {"content": {"query": p, "boost": 2.0 * boost}}} for p in parts["phrases"]
    ]
    clauses += [
        {"match_phrase": {"content": {"query": n, "slop": 1, "boost": boost}}}
        for n in parts["names"]
        if " " in n  # a one-word name is already a BM25 term; a multi-word one gains as a phrase
    ]
    clauses += [{"match_phrase": {"content": {"query": n, "boost": boost}}} for n in parts["numbers"]]
    return clauses


def first_terms(query: str, max_terms: int) -> str:
    """The query cut to its first ``max_terms`` terms (a pasted page is still answered)."""
    terms = query.split()
    return " ".join(terms[:max_terms]) if len(terms) > max_terms else query


def searchable_text(query: str, strip_question_words: bool = True, max_terms: int = 256) -> str:
    """The words of ``query`` that search (and are marked in results): its first ``max_terms``
    terms, without question words when ``strip_question_words``."""
    query = first_terms(query, max_terms)
    return keyword_text(query) if strip_question_words else query


def keyword_query(
    query: str,
    *,
    min_should_match: str | None,
    strip_question_words: bool = True,
    emphasis_boost: float = 1.0,
    max_terms: int = 256,
    only_what_decides: bool = False,
) -> dict[str, Any] | None:
    """The ``bool`` query keyword search runs for ``query``; ``None`` when no searchable term is left.

    One builder for every place a user's words become a keyword query: the BM25 retriever
    (``search.retrievers``) and saved searches (``search.alerts``), so an alert fires on exactly
    the chunks keyword search would find. The relevance floor (``relevance_floor``): a chunk must
    carry enough of the query's words (``min_should_match``), each in its stemmed text or its
    article's stemmed title, in any of its forms. Scoring is as before the floor was a filter:
    stemmed text and title each score only when they alone would pass it; the unstemmed text,
    captions and emphasised phrases only add to the score.

    ``only_what_decides``: leave out the clauses that only add to the score (with a floor, they
    never decide whether a chunk is a hit): the same hits, for matching without ranking, at about
    half the cost (``search.alerts``).
    """
    query = first_terms(query, max_terms)
    emphasised = emphasis_clauses(query, emphasis_boost)
    if strip_question_words:
        query = keyword_text(query)
    stemmed = stem_text(query)
    if not stemmed.strip():
        return None
    msm = {"minimum_should_match": min_should_match} if min_should_match else {}
    topical: list[dict[str, Any]] = [
        {"match": {"content_stem": {"query": stemmed, **msm}}},
        {"match": {"title_stem": {"query": stemmed, "boost": 0.8, **msm}}},
    ]
    extra: list[dict[str, Any]] = [
        {"match": {"content": {"query": query, "boost": 0.5}}},
        {"match": {"captions": {"query": query, "boost": 0.3}}},
        *emphasised,
    ]
    if min_should_match:
        # A query that matches nothing this well gets no hits (not a page of stop-word matches).
        floor = relevance_floor(stemmed, ("content_stem", "title_stem"), min_should_match)
        if only_what_decides:
            return floor
        return {"bool": {"filter": [floor], "should": topical + extra}}
    return {"bool": {"should": topical + extra, "minimum_should_match": 1}}


def relevance_floor(stemmed: str, fields: tuple[str, ...], min_should_match: str) -> dict[str, Any]:
    """The filter a hit must pass: enough of the query's words, each found in any of ``fields``
    in any of its forms.

    A word counts once, wherever it is: the place named in the article's title and the verb in
    the chunk's sentence together make the chunk a match, and "held" answers "holds"
    (``search.irregular_forms``). ``min_should_match`` counts distinct words, as Elasticsearch's
    ``minimum_should_match`` does.
    """
    words = list(dict.fromkeys(stemmed.split()))
    per_word = [
        {"bool": {"should": [{"terms": {f: alternatives(w)}} for f in fields], "minimum_should_match": 1}}
        for w in words
    ]
    return {"bool": {"should": per_word, "minimum_should_match": min_should_match}}


def article_keyword_query(
    query: str,
    *,
    min_should_match: str | None,
    strip_question_words: bool = True,
    max_terms: int = 256,
) -> dict[str, Any] | None:
    """The query over whole articles (``body_stem``: title and text), for article-level BM25.

    A story that answers a question often spreads the question's words over several paragraphs
    (the place in the lead, the side that holds it further down): no single chunk matches them
    all, the article does. Copies folded into another article are left out (their text is the
    original's). ``None`` when no searchable term is left.
    """
    stemmed = stem_text(searchable_text(query, strip_question_words, max_terms))
    if not stemmed.strip():
        return None
    scored = [{"match": {"body_stem": {"query": stemmed}}}]
    words = stemmed.split()
    other_forms = " ".join(dict.fromkeys(f for w in words for f in alternatives(w) if f not in words))
    if other_forms:  # an article that says "held" scores for "holds", a little
        scored.append({"match": {"body_stem": {"query": other_forms, "boost": 0.5}}})
    not_copies = [{"exists": {"field": "canonical_doc_id"}}]
    if not min_should_match:
        return {"bool": {"should": scored, "minimum_should_match": 1, "must_not": not_copies}}
    floor = relevance_floor(stemmed, ("body_stem",), min_should_match)
    return {"bool": {"filter": [floor], "should": scored, "must_not": not_copies}}
