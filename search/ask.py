"""``ask``: retrieve the chunks for a question, read them with the configured reader, answer.

Why a module of its own: the readers build on the evidence scoring in ``search.answers``, and
asking needs both; with ``answer_question`` in ``search.answers`` the two modules imported each
other. Now ``ask → readers → answers``, one way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from search.answers import Answer
from search.readers import read
from search.retrieval import Searcher, validate_query

if TYPE_CHECKING:
    from search.short_answer import EmbedFn

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
    answer = read(question, chunks, searcher.settings, _embed_fn(searcher, load=mode != "keyword"))
    answer.evidence = answer.evidence[:top_k]
    return answer


def _embed_fn(searcher: Searcher, load: bool) -> EmbedFn | None:
    """The search embedder for the short answer's fit of candidates to the noun asked about, loaded
    on first use; a keyword-mode answer uses it only where it is loaded already (a served API),
    since loading the model costs a cold command-line ``ask`` seconds."""
    from search.embedding import get_embedder, loaded_embedder

    if load:
        return lambda texts: get_embedder(searcher.settings).embed_documents(texts)
    embedder = loaded_embedder(searcher.settings)
    return embedder.embed_documents if embedder is not None else None
