"""The indexing path as a Haystack pipeline: ``NewsCleaner`` → ``NewsIndexWriter``.

Both components are thin wrappers around the plain stages the ingestion flow runs batch by batch
(``ingest.cleaning.Cleaner``, ``search.index_writer.IndexWriter``), so the pipeline and the flow
clean and write alike, under identical ids. The flow calls the stages itself, as two Prefect
tasks per batch, for two reasons: cleaning batch n+1 overlaps embedding and writing batch n on
the other core (``Pipeline.run`` per batch would serialise them), and a run with nothing to embed
imports neither Haystack nor torch. The pipeline round-trips through ``Pipeline.dumps()``/``loads()``
(YAML), credentials as references to ``NEWSDESK_ES_API_KEY``/``NEWSDESK_ES_PASSWORD``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from ingest.components import NewsCleaner
from ingest.lazy_torch import haystack_without_torch
from ingest.models import CleanArticle, Removal
from search.embedding_components import NewsdeskDocumentEmbedder, embedder_params
from search.es_connection import ElasticsearchConnection, connection_params
from search.index_writer import IndexWriter
from search.settings import SearchSettings

with haystack_without_torch():
    from haystack import Document, Pipeline, component, default_to_dict
    from haystack.utils import Secret

_EMBEDDER_PARAMS = ("model", "batch_size", "device", "backend")


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def article_from_document(doc: Document) -> CleanArticle:
    """Rebuild the ``CleanArticle`` a ``NewsCleaner`` output Document describes."""
    m = doc.meta
    return CleanArticle(
        doc_id=m.get("doc_id", doc.id),
        text=doc.content or "",
        title=m.get("title") or "",
        url=m.get("url"),
        source=m.get("source"),
        published=_date(m.get("published")),
        updated=_date(m.get("updated")),
        authors=list(m.get("authors") or []),
        credits=list(m.get("credits") or []),
        captions=list(m.get("captions") or []),
        videos=list(m.get("videos") or []),
        dateline=m.get("dateline"),
        language=m.get("language"),
        origin=m.get("origin") or "",
        removed=[Removal(**r) for r in m.get("removed") or []],
    )


@component
class NewsIndexWriter(ElasticsearchConnection):
    """Chunks, embeds and writes clean articles idempotently (see ``search.indexing``).

    Only new and changed chunks are embedded (by content hash), with the shared
    ``NewsdeskDocumentEmbedder`` model; unchanged articles cost one lookup.

    Usage::

        from search.indexing_pipeline import NewsIndexWriter

        writer = NewsIndexWriter(hosts=["http://localhost:9200"], index="news")
        writer.run(documents=cleaned_documents)["report"]  # new/updated/unchanged/duplicates/...

    :param hosts: Elasticsearch node URLs of one cluster.
    :param index: the chunk alias (``NEWSDESK_INDEX``); the article ledger is ``<index>-articles``.
    :param api_key: Elasticsearch API key (default: ``NEWSDESK_ES_API_KEY``, if set).
    :param username: basic-auth user, if the cluster is secured that way.
    :param password: basic-auth password (default: ``NEWSDESK_ES_PASSWORD``, if set).
    :param request_timeout: seconds per request (writes retry timeouts and lost connections).
    :param embed: compute embeddings for new and changed chunks (off: keyword search only).
    :param entities: tag people, organisations, groups and places (spaCy NER, offline).
    :param model: embedding model directory or cached hub id; ``None``: ``NEWSDESK_EMBEDDING_MODEL``
        or the bundled all-MiniLM-L6-v2. ``batch_size``, ``device``, ``backend``: as for
        ``NewsdeskDocumentEmbedder``.
    """

    def __init__(
        self,
        *,
        hosts: list[str] | str = "http://localhost:9200",
        index: str = "news",
        api_key: Secret | None = None,
        username: str | None = None,
        password: Secret | None = None,
        request_timeout: float = 30.0,
        embed: bool = True,
        entities: bool = True,
        model: str | None = None,
        batch_size: int | None = None,
        device: str | None = None,
        backend: str | None = None,
    ):
        self._connect(hosts, index, api_key, username, password, request_timeout, retries=True)
        self.embed = embed
        self.entities = entities
        # Holds the embedder's parameters (validated, serialised with this component); the
        # writer embeds through the same shared model.
        self.embedder = NewsdeskDocumentEmbedder(
            model=model, batch_size=batch_size, device=device, backend=backend
        )
        self._writer: IndexWriter | None = None

    @classmethod
    def from_settings(cls, settings: SearchSettings, embed: bool = True) -> NewsIndexWriter:
        """The writer ``NEWSDESK_*`` settings describe."""
        return cls(
            **connection_params(settings),
            embed=embed,
            entities=settings.entities,
            **{name: value for name, value in embedder_params(settings).items() if name in _EMBEDDER_PARAMS},
        )

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            **self._connection_dict(),
            embed=self.embed,
            entities=self.entities,
            **{name: getattr(self.embedder, name) for name in _EMBEDDER_PARAMS},
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewsIndexWriter:
        return cls._from_dict_with_secrets(data)

    @property
    def writer(self) -> IndexWriter:
        """The plain writer this component runs (built on first use, with this component's client)."""
        if self._writer is None:
            self._writer = IndexWriter(
                self.client,
                self.index,
                embed=self.embed,
                entities=self.entities,
                embedding=self.embedder.resolved_settings(),
            )
        return self._writer

    @component.output_types(report=dict[str, Any])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Write ``documents`` (``NewsCleaner`` output) and make them searchable."""
        self.writer.prepare()
        report = self.writer.write([article_from_document(d) for d in documents])
        self.writer.refresh()
        return {"report": asdict(report)}


def build_indexing_pipeline(
    settings: SearchSettings,
    embed: bool = True,
    profiles_dir: str | None = None,
    use_learned: bool = True,
) -> Pipeline:
    """``NewsCleaner`` → ``NewsIndexWriter``; run with ``{"cleaner": {"documents": [...]}}``.

    :param profiles_dir: learned per-source boilerplate profiles (``None``: ``settings.data_dir``'s).
    """
    profiles_dir = profiles_dir or str(settings.data_dir / "boilerplate")
    p = Pipeline()
    p.add_component("cleaner", NewsCleaner(profiles_dir=profiles_dir, use_learned=use_learned))
    p.add_component("writer", NewsIndexWriter.from_settings(settings, embed=embed))
    p.connect("cleaner.documents", "writer.documents")
    return p
