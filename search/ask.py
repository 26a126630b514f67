"""``ask``: retrieve the chunks for a question, read them with the configured reader, answer.

Why a module of its own: the readers build on the evidence scoring in ``search.answers``, and
asking needs both; with ``answer_question`` in ``search.answers`` the two modules imported each
other. Now ``ask → readers → answers``, one way.
"""

from __future__ import annotations

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
    embed_fn = None
    if mode != "keyword":
        from search.embedding import get_embedder

        embed_fn = get_embedder(searcher.settings).embed_documents
    answer = read(question, chunks, searcher.settings, embed_fn)
    answer.evidence = answer.evidence[:top_k]
    return answer
