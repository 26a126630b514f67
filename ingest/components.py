"""Haystack components over the plain ingestion functions (the functions stay the source of truth)."""

from __future__ import annotations

from typing import Any

from ingest.cleaning import Cleaner
from ingest.lazy_torch import haystack_without_torch
from ingest.models import IngestError, RawRecord

with haystack_without_torch():  # cleaning never needs torch (see ingest/lazy_torch.py)
    from haystack import Document, component, default_from_dict, default_to_dict


@component
class NewsCleaner:
    """
    Cleans scraped news Documents: drops page furniture, keeps captions/credits/bylines as metadata.

    Each input Document's ``content`` is the scraped text (or put raw HTML in ``meta["html"]``);
    contract fields (``id``, ``url``, ``title``, ``publish_date``/``published``/``date``,
    ``authors``, ``source``) are read from ``meta``. Output Documents carry the cleaned text, the
    article's ``doc_id`` as their id, its metadata, and the audit trail in ``meta["removed"]``.
    Documents that cannot be cleaned are not raised on: they come out in ``quarantined`` with
    their reason, so a pipeline run goes on.

    Usage example:
    ```python
    from haystack import Document
    from ingest.components import NewsCleaner

    cleaner = NewsCleaner()
    result = cleaner.run(documents=[Document(content="BEIRUT -- Clashes broke out.\\n\\nUpcoming Events")])
    assert result["documents"][0].content == "BEIRUT -- Clashes broke out."
    assert result["documents"][0].meta["dateline"] == "BEIRUT"
    ```
    """

    def __init__(
        self, profiles_dir: str | None = None, use_learned: bool = True, html_method: str = "trafilatura"
    ):
        """
        Create a NewsCleaner.

        :param profiles_dir: Directory of learned per-source boilerplate profiles; ``None`` uses
            ``$NEWSDESK_DATA_DIR/boilerplate``.
        :param use_learned: Strip lines learned as a source's boilerplate (read-only here; learning
            happens in the ingestion flow).
        :param html_method: ``"trafilatura"`` (default) or ``"native"`` main-text extraction for HTML.
        """
        self.cleaner = Cleaner(profiles_dir, use_learned, html_method)

    def to_dict(self) -> dict[str, Any]:
        c = self.cleaner
        return default_to_dict(
            self, profiles_dir=c.profiles_dir, use_learned=c.use_learned, html_method=c.html_method
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewsCleaner:
        return default_from_dict(cls, data)

    def warm_up(self) -> None:
        """Load the learned profiles once."""
        self.cleaner.warm_up()

    @component.output_types(documents=list[Document], quarantined=list[dict[str, Any]])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """
        Clean each Document.

        :param documents: Scraped Documents (text in ``content`` or HTML in ``meta["html"]``).
        :returns: A dictionary with:
            - ``documents``: cleaned Documents (id = the article's doc_id).
            - ``quarantined``: ``{"id", "origin", "reason"}`` for each Document that could not be cleaned.
        """
        self.warm_up()
        cleaned: list[Document] = []
        quarantined: list[dict[str, Any]] = []
        for doc in documents:
            meta = doc.meta or {}
            record = RawRecord(
                origin=str(meta.get("origin") or meta.get("file_path") or doc.id),
                id=_str_or_none(meta.get("id")),
                url=_str_or_none(meta.get("url")),
                title=_str_or_none(meta.get("title")),
                text=doc.content,
                html=_str_or_none(meta.get("html")),
                published=_str_or_none(meta.get("publish_date") or meta.get("published") or meta.get("date")),
                authors=list(meta.get("authors") or []),
                source=_str_or_none(meta.get("source")),
            )
            try:
                article = self.cleaner.clean(record)
            except IngestError as exc:
                quarantined.append({"id": doc.id, "origin": record.origin, "reason": exc.reason})
                continue
            out_meta = article.metadata_dict()
            out_meta["doc_id"] = article.doc_id
            out_meta["content_hash"] = article.content_hash
            out_meta["origin"] = article.origin
            out_meta["removed"] = [r.to_dict() for r in article.removed]
            cleaned.append(Document(id=article.doc_id, content=article.text, meta=out_meta))
        return {"documents": cleaned, "quarantined": quarantined}


def _str_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
