"""Haystack components around the shared ``Embedder`` of ``search.embedding``.

Kept out of ``search.embedding`` because ``import haystack`` imports torch (``haystack.utils.device``):
code that only needs the model's name or size, or a run with nothing to embed, would pay ~3 s and
~500 MB for it. ``search.embedding`` still exports both classes, importing this module on first use.
"""

from __future__ import annotations

from dataclasses import replace

from haystack import Document, component

from search.embedding import Embedder, _settings_for, get_embedder

__all__ = ["NewsdeskDocumentEmbedder", "NewsdeskTextEmbedder"]


@component
class NewsdeskDocumentEmbedder:
    """Haystack component: embeds ``Document.content`` with the shared, cached ``Embedder``.

    Unlike Haystack's ``SentenceTransformersDocumentEmbedder`` it shares one loaded model with the
    query side and the answer service, and skips texts it has embedded before.

    Usage::

        from haystack import Document, Pipeline
        from search.embedding import NewsdeskDocumentEmbedder

        pipe = Pipeline()
        pipe.add_component("embedder", NewsdeskDocumentEmbedder())
        result = pipe.run({"embedder": {"documents": [Document(content="Iraqi forces clashed ...")]}})
        result["embedder"]["documents"][0].embedding  # 384 floats

    :param model: model path or cached hub id; ``None``: ``NEWSDESK_EMBEDDING_MODEL`` or the bundled one.
    :param batch_size: texts per forward pass; ``None``: ``NEWSDESK_EMBEDDING_BATCH_SIZE``.
    :param device: torch device; ``None``: ``NEWSDESK_EMBEDDING_DEVICE``.
    """

    def __init__(self, model: str | None = None, batch_size: int | None = None, device: str | None = None):
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self._embedder: Embedder | None = None

    def warm_up(self) -> None:
        """Load the model (Haystack calls this before the first run)."""
        if self._embedder is None:
            self._embedder = get_embedder(_settings_for(self.model, self.batch_size, self.device))

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        """Return copies of ``documents`` with ``embedding`` set; documents without content get none."""
        self.warm_up()
        assert self._embedder is not None
        texts = [d.content or "" for d in documents]
        vectors = self._embedder.embed_documents([t for t in texts if t])
        it = iter(vectors)
        return {
            "documents": [
                replace(d, embedding=next(it)) if t else d for d, t in zip(documents, texts, strict=True)
            ]
        }


@component
class NewsdeskTextEmbedder:
    """Haystack component: embeds a query string with the shared ``Embedder``.

    Usage::

        embedder = NewsdeskTextEmbedder()
        embedder.run(text="who leads Iraq's Popular Mobilization Forces?")["embedding"]  # 384 floats

    :param model: model path or cached hub id; ``None``: ``NEWSDESK_EMBEDDING_MODEL`` or the bundled one.
    :param device: torch device; ``None``: ``NEWSDESK_EMBEDDING_DEVICE``.
    """

    def __init__(self, model: str | None = None, device: str | None = None):
        self.model = model
        self.device = device
        self._embedder: Embedder | None = None

    def warm_up(self) -> None:
        """Load the model (Haystack calls this before the first run)."""
        if self._embedder is None:
            self._embedder = get_embedder(_settings_for(self.model, None, self.device))

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, list[float]]:
        """Return the query's normalised embedding."""
        self.warm_up()
        assert self._embedder is not None
        return {"embedding": self._embedder.embed_query(text)}
