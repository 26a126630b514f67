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


def tag_entities(texts: Sequence[str], batch_size: int = 16) -> list[dict[str, list[str]]]:
    """Entities of each text, in order (a text that fails to tag gets none, never an exception)."""
    from ingest.nlp import NER_ONLY, load_nlp

    if not texts:
        return []
    nlp = load_nlp(NER_ONLY)
    out = []
    for doc in nlp.pipe((t[:MAX_CHARS] for t in texts), batch_size=batch_size):
        out.append(entities_of((e.text, e.label_) for e in doc.ents))
    return out


def all_entities(entities: dict[str, list[str]]) -> list[str]:
    """Every name of every type, for the one ``entities`` field the filter matches on."""
    return list(dict.fromkeys(n for kind in ENTITY_TYPES for n in entities.get(kind, [])))
