"""Who and what an article is about: people, organisations, groups and places, tagged by spaCy.

Stored on the article and each of its chunks as keyword fields, so search can filter by an entity
and count facets over its hits. Only the model's ``tok2vec`` and ``ner`` run (``ingest.nlp``),
batched with ``nlp.pipe``; dates and numbers are left to the answer reader, which needs them in
context, not as facets.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ENTITY_TYPES = ("people", "organizations", "groups", "places")
_LABEL_TO_TYPE = {
    "PERSON": "people",
    "ORG": "organizations",
    "NORP": "groups",
    "GPE": "places",
    "LOC": "places",
    "FAC": "places",
}
MAX_PER_TYPE = 25
MAX_CHARS = 20_000  # the first 20k characters name who a story is about; the tail costs time only
_POSSESSIVE = re.compile(r"[’']s?$")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def normalise_entity(text: str) -> str:
    """One spelling per entity: no possessive, no leading "the", single spaces."""
    text = _SPACE.sub(" ", text).strip(' \t\n.,;:-–—"“”()[]')
    text = _POSSESSIVE.sub("", text).strip()
    return _LEADING_THE.sub("", text)


def _keep(name: str) -> bool:
    return len(name) >= 2 and any(ch.isupper() for ch in name) and not name.isdigit()


def entities_of(ents: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``(text, label)`` pairs → entity names per type, most mentioned first (ties: first seen)."""
    counts: dict[str, Counter[str]] = {t: Counter() for t in ENTITY_TYPES}
    for text, label in ents:
        kind = _LABEL_TO_TYPE.get(label)
        name = normalise_entity(text) if kind else ""
        if kind and _keep(name):
            counts[kind][name] += 1
    return {kind: [n for n, _ in c.most_common(MAX_PER_TYPE)] for kind, c in counts.items()}


@dataclass
class Tagged:
    """One text's entities by type, and every mention the model found (all labels, dates and
    numbers too) as ``(start, end, label)`` character offsets into the text. Only the first
    ``tagged_chars`` characters were read (``MAX_CHARS``)."""

    entities: dict[str, list[str]]
    mentions: list[tuple[int, int, str]] = field(default_factory=list)
    tagged_chars: int = 0


def tag_texts(texts: Sequence[str], batch_size: int = 16) -> list[Tagged]:
    """Entities and mentions of each text, in order (a text that fails to tag gets none, never an
    exception). The mentions are kept so the answer reader need not run the tagger again on the
    sentences it reads (``search.short_answer``): tagging is most of what parsing a sentence costs."""
    from ingest.nlp import NER_ONLY, load_nlp

    if not texts:
        return []
    nlp = load_nlp(NER_ONLY)
    out = []
    for text, doc in zip(texts, nlp.pipe((t[:MAX_CHARS] for t in texts), batch_size=batch_size), strict=True):
        mentions = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        entities = entities_of((e.text, e.label_) for e in doc.ents)
        out.append(Tagged(entities, mentions, min(len(text), MAX_CHARS)))
    return out


def tag_entities(texts: Sequence[str], batch_size: int = 16) -> list[dict[str, list[str]]]:
    """Entities of each text, in order (see ``tag_texts``)."""
    return [t.entities for t in tag_texts(texts, batch_size)]


def mentions_within(tagged: Tagged, start: int, end: int, offset: int = 0) -> list[list[int | str]] | None:
    """The mentions inside ``[start, end)`` of the text, relative to ``start`` (``offset``: where the
    text's coordinates begin inside the tagged string, e.g. after a title line). None when that part
    was not tagged (beyond ``MAX_CHARS``): the reader then tags it itself."""
    if end + offset > tagged.tagged_chars:
        return None
    lo, hi = start + offset, end + offset
    return [[s - lo, e - lo, label] for s, e, label in tagged.mentions if s >= lo and e <= hi]


def all_entities(entities: dict[str, list[str]]) -> list[str]:
    """Every name of every type, for the one ``entities`` field the filter matches on."""
    return list(dict.fromkeys(n for kind in ENTITY_TYPES for n in entities.get(kind, [])))
