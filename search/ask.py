"""``ask``: retrieve the chunks for a question, read them with the configured reader, answer.

Why a module of its own: the readers build on the evidence scoring in ``search.answers``, and
asking needs both; with ``answer_question`` in ``search.answers`` the two modules imported each
other. Now ``ask → readers → answers``, one way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from search.answers import Answer
from search.readers import read
from search.retrieval import Searcher, validate_query

__all__ = ["answer_question"]


def answer_question(
    question: str,
    searcher: Searcher,
    top_k: int = 10,
    filters: dict[str, Any] | None = None,
    mode: str = "hybrid",
) -> Answer:
    """Retrieve, read with the configured reader (``NEWSDESK_READER``), and answer with evidence."""
    question = validate_query(question)
    n = max(top_k, 1) * 2
    chunks = searcher.retrieve_chunks(question, mode=mode, top_k=n, filters=filters, highlights=False)
    answer = read(question, chunks, searcher.settings, _embed_fn(searcher))
    answer.evidence = answer.evidence[:top_k]
    return answer


def _embed_fn(searcher: Searcher) -> Callable[[list[str]], list[list[float]]]:
    """The search embedder, loaded on first use: a keyword-mode answer needs it only when the short
    answer weighs how candidates fit the noun the question asks about."""

    def embed(texts: list[str]) -> list[list[float]]:
        from search.embedding import get_embedder

        return get_embedder(searcher.settings).embed_documents(texts)

    return embed
