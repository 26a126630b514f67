"""Facet counts over a page of search hits: who and what the results are about, from where, when.

Counted over the hits returned (the articles a user is looking at), not over the whole index: a
facet answers "narrow these results", and clicking one re-runs the search with that filter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from ingest.entities import ENTITY_TYPES

_TYPE_NAME = {"people": "person", "organizations": "organization", "groups": "group", "places": "place"}


def facet_counts(hits: Sequence[Any], top: int = 10) -> dict[str, list[dict[str, Any]]]:
    """``hits`` (``SearchHit``-like: ``entities``, ``source``, ``published``) → top values per facet.

    An entity counts once per article however often it is mentioned; ties keep the order in
    which the ranked hits first name them, so the best hit's entities come first.
    """
    entities: Counter[tuple[str, str]] = Counter()
    sources: Counter[str] = Counter()
    months: Counter[str] = Counter()
    for hit in hits:
        seen = set()
        for kind in ENTITY_TYPES:
            for name in (getattr(hit, "entities", None) or {}).get(kind, []):
                if name not in seen:
                    seen.add(name)
                    entities[(name, _TYPE_NAME[kind])] += 1
        if getattr(hit, "source", None):
            sources[hit.source] += 1
        if getattr(hit, "published", None):
            months[str(hit.published)[:7]] += 1
    return {
        "entities": [{"name": n, "type": t, "count": c} for (n, t), c in entities.most_common(top)],
        "sources": [{"value": v, "count": c} for v, c in sources.most_common(top)],
        "months": [{"value": v, "count": c} for v, c in sorted(months.items(), reverse=True)[:top]],
    }
