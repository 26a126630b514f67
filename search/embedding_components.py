"""newsdesk's two Haystack embedders: one for documents, one for query text.

Both share the process-wide ``Embedder`` of ``search.embedding`` (one loaded model per
configuration, its content-hash cache, coalesced query batches), take primitives only, and
serialise with ``to_dict``/``from_dict``, so pipelines made of them round-trip through YAML.

Kept out of ``search.embedding`` because ``import haystack`` imports torch (``haystack.utils.device``):
code that only needs the model's name or size, or a run with nothing to embed, would pay ~3 s and
~500 MB for it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ingest.lazy_torch import haystack_without_torch
from search.embedding import BACKENDS, Embedder, embedding_settings, get_embedder, resolve_model
from search.settings import SearchSettings, get_settings

with haystack_without_torch():
    from haystack import Document, component, default_from_dict, default_to_dict

__all__ = [
    "NewsdeskDocumentEmbedder",
    "NewsdeskTextEmbedder",
    "embedder_params",
    "haystack_document_embedder",
]

_PARAMS = ("model", "batch_size", "device", "backend", "cache_size", "threads")


def embedder_params(settings: SearchSettings) -> dict[str, Any]:
    """The embedder parameters ``settings`` describe (for ``NewsdeskDocumentEmbedder(**…)``)."""
    return {
        "model": settings.embedding_model,
        "batch_size": settings.embedding_batch_size,
        "device": settings.embedding_device,
        "backend": settings.embedding_backend,
        "cache_size": settings.embedding_cache_size,
        "threads": settings.embedding_threads,
    }


class _SharedEmbedder:
    """The parameters both components take, validated, and the shared model they resolve to."""

    def __init__(
        self,
        model: str | None = None,
        batch_size: int | None = None,
        device: str | None = None,
        backend: str | None = None,
        cache_size: int | None = None,
        threads: int | None = None,
    ):
        if batch_size is not None and batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if backend is not None and backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}")
        if cache_size is not None and cache_size < 0:
            raise ValueError("cache_size must not be negative")
        if threads is not None and threads < 1:
            raise ValueError("threads must be at least 1")
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self.backend = backend
        self.cache_size = cache_size
        self.threads = threads
        self._embedder: Embedder | None = None

    def resolved_settings(self) -> SearchSettings:
        """The settings these parameters resolve to (``None``: as ``NEWSDESK_EMBEDDING_*`` says)."""
        return embedding_settings({name: getattr(self, name) for name in _PARAMS})

    def warm_up(self) -> None:
        """Load the model (Haystack calls this before the first run)."""
        if self._embedder is None:
            self._embedder = get_embedder(self.resolved_settings())

    def _loaded(self) -> Embedder:
        self.warm_up()
        assert self._embedder is not None
        return self._embedder

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, **{name: getattr(self, name) for name in _PARAMS})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        return default_from_dict(cls, data)


@component
class NewsdeskDocumentEmbedder(_SharedEmbedder):
    """Embeds ``Document.content`` with the shared, cached ``Embedder``.

    Unlike Haystack's ``SentenceTransformersDocumentEmbedder`` it shares one loaded model with the
    query side and the answer service, and skips texts it has embedded before.

    Usage::

        from haystack import Document, Pipeline
        from search.embedding_components import NewsdeskDocumentEmbedder

        pipe = Pipeline()
        pipe.add_component("embedder", NewsdeskDocumentEmbedder())
        result = pipe.run({"embedder": {"documents": [Document(content="Iraqi forces clashed ...")]}})
        result["embedder"]["documents"][0].embedding  # 384 floats

    :param model: model directory or cached hub id; ``None``: ``NEWSDESK_EMBEDDING_MODEL`` or the
        bundled all-MiniLM-L6-v2.
    :param batch_size: texts per forward pass; ``None``: ``NEWSDESK_EMBEDDING_BATCH_SIZE``.
    :param device: torch device; ``None``: ``NEWSDESK_EMBEDDING_DEVICE``.
    :param backend: ``"torch"`` or ``"onnx-int8"``; ``None``: ``NEWSDESK_EMBEDDING_BACKEND``.
    :param cache_size: vectors kept by text hash; ``None``: ``NEWSDESK_EMBEDDING_CACHE_SIZE``.
    :param threads: torch CPU threads; ``None``: ``NEWSDESK_EMBEDDING_THREADS`` or the usable CPUs.
    """

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        """Return copies of ``documents`` with ``embedding`` set; documents without content get none."""
        texts = [d.content or "" for d in documents]
        vectors = self._loaded().embed_documents([t for t in texts if t])
        it = iter(vectors)
        return {
            "documents": [
                replace(d, embedding=next(it)) if t else d for d, t in zip(documents, texts, strict=True)
            ]
        }

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        """Vectors for plain texts (what the index writer hands it: chunk texts, not Documents)."""
        return self._loaded().embed_documents(texts)


@component
class NewsdeskTextEmbedder(_SharedEmbedder):
    """Embeds a query string with the shared ``Embedder`` (the model the chunks were embedded with).

    Usage::

        from search.embedding_components import NewsdeskTextEmbedder

        embedder = NewsdeskTextEmbedder()
        embedder.run(text="who leads Iraq's Popular Mobilization Forces?")["embedding"]  # 384 floats

    Parameters as for ``NewsdeskDocumentEmbedder``.
    """

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, list[float]]:
        """Return the query's normalised embedding."""
        return {"embedding": self._loaded().embed_query(text)}


def haystack_document_embedder(settings: SearchSettings | None = None, **kwargs: Any) -> Any:
    """Haystack's stock ``SentenceTransformersDocumentEmbedder`` configured for the local model.

    Not part of newsdesk's pipelines: the baseline that the benchmark and a test compare
    ``NewsdeskDocumentEmbedder`` against. Loaded by path,
    ``local_files_only``, normalised like ``Embedder``. Extra ``kwargs`` go to the component.
    """
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )

    settings = settings or get_settings()
    path, _ = resolve_model(settings)
    options: dict[str, Any] = {
        "model": path,
        "batch_size": settings.embedding_batch_size,
        "normalize_embeddings": True,
        "progress_bar": False,
        "local_files_only": Path(path).is_dir(),
    }
    options.update(kwargs)
    return SentenceTransformersDocumentEmbedder(**options)
