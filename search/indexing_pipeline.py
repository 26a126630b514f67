"""The indexing path as a Haystack pipeline: ``NewsCleaner`` → ``NewsIndexWriter``.

For users who compose Haystack pipelines themselves. The Prefect flow calls the same plain
functions (``ingest.cleaning.clean_record``, ``search.indexing.index_articles``) directly, batch by
batch, so both paths write identical documents under identical ids.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from haystack import Document, Pipeline, component

from ingest.components import NewsCleaner
from ingest.models import CleanArticle, Removal
from search.settings import SearchSettings


def article_from_document(doc: Document) -> CleanArticle:
    """Rebuild the ``CleanArticle`` a ``NewsCleaner`` output Document describes."""
    m = doc.meta
    published = m.get("published")
    return CleanArticle(
        doc_id=m.get("doc_id", doc.id),
        text=doc.content or "",
        title=m.get("title") or "",
        url=m.get("url"),
        source=m.get("source"),
        published=date.fromisoformat(published[:10]) if published else None,
        authors=list(m.get("authors") or []),
        credits=list(m.get("credits") or []),
        captions=list(m.get("captions") or []),
        dateline=m.get("dateline"),
        language=m.get("language"),
        removed=[Removal(**r) for r in m.get("removed") or []],
    )


@component
class NewsIndexWriter:
    """Chunks, embeds and writes clean articles idempotently (see ``search.indexing``).

    Usage example:
    ```python
    writer = NewsIndexWriter(SearchSettings(index="news"))
    writer.run(documents=cleaned_documents)["report"]  # new/updated/unchanged/duplicates/...
    ```
    """

    def __init__(self, settings: SearchSettings, embed: bool = True):
        """
        :param settings: Elasticsearch connection, alias and embedding model.
        :param embed: Compute embeddings for new and changed chunks.
        """
        self.settings = settings
        self.embed = embed

    @component.output_types(report=dict[str, Any])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        from dataclasses import asdict

        from search.embedding import get_embedder, model_dims, resolve_model
        from search.indexing import IndexingOptions, index_articles
        from search.store import ensure_indices, make_client, refresh

        client = make_client(self.settings)
        ensure_indices(client, self.settings.index, embedding_dims=model_dims(self.settings))
        options = IndexingOptions(
            embed=self.embed,
            model_name=resolve_model(self.settings)[1] if self.embed else "",
            entities=self.settings.entities,
        )
        embed_fn = get_embedder(self.settings).embed_documents if self.embed else None
        report = index_articles(
            client, self.settings.index, [article_from_document(d) for d in documents], options, embed_fn
        )
        refresh(client, self.settings.index)
        return {"report": asdict(report)}


def build_indexing_pipeline(settings: SearchSettings, embed: bool = True) -> Pipeline:
    """``NewsCleaner`` → ``NewsIndexWriter``; run with ``{"cleaner": {"documents": [...]}}``."""
    p = Pipeline()
    p.add_component("cleaner", NewsCleaner())
    p.add_component("writer", NewsIndexWriter(settings, embed=embed))
    p.connect("cleaner.documents", "writer.documents")
    return p
