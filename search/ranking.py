"""Article-level ranking: from ranked chunk lists to ranked articles, fused across retrievers.

Why articles: a question is about a story, and a story matches in several chunks (the lead names
the place, a later paragraph the side that holds it). Ranking chunks and keeping each article's
best one throws that evidence away, and lets an article with one lucky chunk outrank one that
matches throughout. Here each retriever's chunks are first scored per article — the best chunk
plus a damped sum of the next ones — and the fusion then runs over article lists.

Fusion methods (all plain functions, compared in ``bench/eval_ranking.py``):

* ``rrf``: reciprocal rank fusion, ``Σ w / (k + rank)`` (Cormack et al. 2009); ranks only, so
  BM25's unbounded scores need no calibration against cosine similarities;
* ``minmax``: each list's scores scaled to [0, 1] by its own min and max, then a weighted sum
  (what Onyx and Elasticsearch's linear retriever do); keeps *how much* better the top hit is;
* ``zscore``: each list standardised (mean 0, sd 1), then a weighted sum; less sensitive than
  min-max to one outlier at the bottom of a short list.

An article missing from a list contributes nothing from it (rank ∞, normalised score 0, or the
list's lowest z-score). Ties keep the order in which articles were first seen, so results are
deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

FusionMethod = Literal["rrf", "minmax", "zscore"]
FUSION_METHODS: tuple[str, ...] = ("rrf", "minmax", "zscore")


@dataclass
class ArticleScore:
    """One article's score in one ranking, with the chunk ids that earned it (best first)."""

    doc_id: str
    score: float
    chunk_ids: list[str] = field(default_factory=list)


def score_articles(
    chunks: Iterable[tuple[str, str, float]], depth: int = 3, damping: float = 0.5
) -> list[ArticleScore]:
    """Articles ranked from ``(doc_id, chunk_id, score)`` chunk hits of *one* retriever.

    Chunk scores are first scaled to [0, 1] within the list (its weakest hit 0, its best 1):
    raw cosine scores sit around 0.5 for *unrelated* text, so summing them raw would reward an
    article for having many chunks rather than good ones. An article then scores its best chunk
    plus ``damping**i`` times its next ``depth - 1`` chunks: support from several passages counts,
    but an article cannot win on length alone (the sum is below ``1 / (1 - damping)``).
    ``depth=1`` is "best chunk only".
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    chunks = list(chunks)
    if not chunks:
        return []
    lo, hi = min(c[2] for c in chunks), max(c[2] for c in chunks)
    span = hi - lo
    per: dict[str, list[tuple[float, str]]] = {}
    for doc_id, chunk_id, score in chunks:
        scaled = (float(score) - lo) / span if span > 0 else 1.0
        per.setdefault(doc_id, []).append((scaled, chunk_id))
    out = []
    for doc_id, items in per.items():
        items.sort(key=lambda x: -x[0])
        total = sum(s * damping**i for i, (s, _) in enumerate(items[:depth]))
        out.append(ArticleScore(doc_id, total, [c for _, c in items]))
    # sorted() is stable: equal scores keep first-seen order
    return sorted(out, key=lambda a: -a.score)


def fuse(
    rankings: Mapping[str, Sequence[ArticleScore]],
    method: FusionMethod = "rrf",
    weights: Mapping[str, float] | None = None,
    k: int = 60,
) -> list[ArticleScore]:
    """One article ranking from several (e.g. ``{"bm25": [...], "knn": [...]}``).

    ``weights`` default to 1 per list. The fused score is the method's; chunk ids are merged,
    the first list's first.
    """
    if method not in FUSION_METHODS:
        raise ValueError(f"fusion method must be one of {', '.join(FUSION_METHODS)}")
    weights = weights or {}
    chunk_ids: dict[str, list[str]] = {}  # insertion order = first-seen order, for ties
    per_list: list[tuple[float, dict[str, float], float]] = []
    for name, ranking in rankings.items():
        if not ranking:
            continue
        values = _contributions(ranking, method, k)
        by_doc = dict(zip((a.doc_id for a in ranking), values, strict=True))
        missing = min(values) if method == "zscore" else 0.0
        per_list.append((float(weights.get(name, 1.0)), by_doc, missing))
        for art in ranking:
            ids = chunk_ids.setdefault(art.doc_id, [])
            ids.extend(c for c in art.chunk_ids if c not in ids)
    fused = [
        ArticleScore(d, sum(w * by_doc.get(d, missing) for w, by_doc, missing in per_list), ids)
        for d, ids in chunk_ids.items()
    ]
    return sorted(fused, key=lambda a: -a.score)


def _contributions(ranking: Sequence[ArticleScore], method: str, k: int) -> list[float]:
    """Each article's value from one list under ``method`` (ranks for RRF, scaled scores else)."""
    scores = [a.score for a in ranking]
    if method == "rrf":
        return [1.0 / (k + rank) for rank in range(1, len(ranking) + 1)]
    if method == "minmax":
        lo, hi = min(scores), max(scores)
        if hi == lo:
            return [1.0] * len(scores)
        return [(s - lo) / (hi - lo) for s in scores]
    mean = sum(scores) / len(scores)
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    if sd == 0:
        return [0.0] * len(scores)
    return [(s - mean) / sd for s in scores]


def recency_weight(published: str | None, as_of: date, half_life_days: float) -> float:
    """A prior in (0, 1]: 1 for an article of ``as_of``, ½ one half-life before, and so on.

    For present-tense questions ("who holds Qaim?") the newest report is most likely true as of
    the date asked; articles without a date get the weight of one half-life (neither favoured nor
    dropped).
    """
    if not published:
        return 0.5
    try:
        day = datetime.fromisoformat(published[:10]).date()
    except ValueError:
        return 0.5
    age = max(0, (as_of - day).days)
    return 0.5 ** (age / half_life_days) if half_life_days > 0 else 1.0


def recency_rerank(
    ranked: Sequence[ArticleScore], published: Mapping[str, str | None], as_of: date, half_life_days: float
) -> list[ArticleScore]:
    """``ranked`` reordered by relevance x recency prior, relevance taken from the rank.

    Why the rank and not the score: fused and min-max-scaled scores put the last hit at 0, so a
    product with the prior would ignore it however recent; ``(n - i) / n`` keeps every hit in
    play and lets a report a few places down but months newer move up.
    """
    n = len(ranked)
    weighted = [
        (((n - i) / n) * recency_weight(published.get(a.doc_id), as_of, half_life_days), i, a)
        for i, a in enumerate(ranked)
    ]
    weighted.sort(key=lambda x: (-x[0], x[1]))
    return [ArticleScore(a.doc_id, w, a.chunk_ids) for w, _, a in weighted]
