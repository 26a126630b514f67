"""The writing stage as an object: chunk, embed what is new or changed, write idempotently.

The ingestion flow writes every batch through it, and the ``NewsIndexWriter`` Haystack component
(``search.indexing_pipeline``) is a thin wrapper around it, so both write identical documents
under identical ids. It needs no Haystack: a run with nothing to embed never imports it (nor torch).

Usage::

    writer = IndexWriter.from_settings(SearchSettings(index="news"))
    writer.prepare()
    report = writer.write(articles)   # IndexReport: new / updated / unchanged / duplicates / ...
    writer.refresh()
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from dataclasses import dataclass

from elasticsearch import Elasticsearch

from ingest.models import CleanArticle
from search.alerts import AlertRun
from search.embedding import get_embedder, model_dims, resolve_model
from search.indexing import IndexingOptions, IndexReport, backfill_article_search_fields, index_articles
from search.settings import SearchSettings, get_settings
from search.store import alert_matches_index, ensure_indices, make_client, refresh, refresh_indices

# SearchSettings fields a receiving process takes from its own environment when a writer is sent
# to it (a Dask worker): they describe that machine (its GPU, its cores, its cache directory).
# Secrets never travel either; everything else does, so every worker writes what the driver would.
MACHINE_FIELDS = frozenset({"embedding_device", "embedding_threads", "embedding_batch_size", "cache_dir"})


@dataclass(frozen=True)
class WriterSpec:
    """What another process needs to build the same writer: picklable, without secrets.

    :param settings: JSON of the ``SearchSettings`` fields that travel (not secrets, not
        ``MACHINE_FIELDS``); the receiving process fills those from its own environment.
    :param embed: compute embeddings.
    :param run_id: the run every worker's alert matches are recorded under.
    """

    settings: str
    embed: bool
    run_id: str | None = None

    @classmethod
    def of(cls, settings: SearchSettings, embed: bool, run_id: str | None = None) -> WriterSpec:
        secret = {n for n, f in SearchSettings.model_fields.items() if "SecretStr" in str(f.annotation)}
        fields = settings.model_dump(mode="json", exclude=secret | MACHINE_FIELDS)
        return cls(json.dumps(fields, sort_keys=True), embed, run_id)

    def writer(self) -> IndexWriter:
        """This process's writer for the spec (one per spec and process: one client, one model)."""
        return _writer_for(self)


@functools.lru_cache(maxsize=8)
def _writer_for(spec: WriterSpec) -> IndexWriter:
    settings = SearchSettings(**json.loads(spec.settings))
    return IndexWriter.from_settings(settings, embed=spec.embed, run_id=spec.run_id)


class IndexWriter:
    """Writes clean articles to one alias: ``prepare`` once, ``write`` per batch, ``refresh`` at the end.

    A writer made by ``from_settings`` can be sent to another process (pickled, as a Dask worker
    receives it): it travels as its ``WriterSpec``, and the receiving process builds an equal writer
    once and reuses it for every batch, so each worker opens one client and loads the model once.

    :param client: the Elasticsearch client (writes retry on lost connections and timeouts).
    :param index: the chunk alias; the article ledger is ``<index>-articles``.
    :param embed: compute embeddings for new and changed chunks (off: keyword search only).
    :param entities: tag people, organisations, groups and places (spaCy NER, offline).
    :param embedding: settings whose ``embedding_*`` fields choose the model (default: the process's).
        Also the settings saved searches are matched with (their keyword settings).
    :param alerts: match new and changed articles against the saved searches (``search.alerts``).
    :param run_id: recorded with every alert match (default: one id per writer).
    """

    #: Seconds a loaded set of alerts is used before it is read again (a long-lived writer, such
    #: as the Haystack component's, sees alerts added after it was built).
    ALERTS_TTL_S = 60.0

    def __init__(
        self,
        client: Elasticsearch,
        index: str,
        *,
        embed: bool = True,
        entities: bool = True,
        embedding: SearchSettings | None = None,
        alerts: bool = True,
        run_id: str | None = None,
    ):
        self.client = client
        self.index = index
        self.embed = embed
        self.entities = entities
        self.embedding = embedding or get_settings()
        self.alerts = alerts
        self.run_id = run_id or uuid.uuid4().hex
        self._alert_run: tuple[float, AlertRun | None] | None = None
        self.spec: WriterSpec | None = None

    @classmethod
    def from_settings(
        cls, settings: SearchSettings, embed: bool = True, run_id: str | None = None
    ) -> IndexWriter:
        writer = cls(
            make_client(settings),
            settings.index,
            embed=embed,
            entities=settings.entities,
            embedding=settings,
            run_id=run_id,
        )
        writer.spec = WriterSpec.of(settings, embed, writer.run_id)
        return writer

    def __reduce__(self) -> tuple:
        if self.spec is None:
            raise TypeError(
                "an IndexWriter built around a client cannot be sent to another process; "
                "build it with IndexWriter.from_settings"
            )
        return (_writer_for, (self.spec,))

    def options(self) -> IndexingOptions:
        """What decides the pipeline version stored with each article (a change rewrites it)."""
        # The model's name, not its path: the bundled model's path differs between machines.
        name = resolve_model(self.embedding)[1] if self.embed else ""
        return IndexingOptions(embed=self.embed, model_name=name, entities=self.entities)

    def prepare(self) -> None:
        """Create the versioned indices and aliases if missing (the model's size is read only then)."""
        ensure_indices(self.client, self.index, embedding_dims=lambda: model_dims(self.embedding))
        backfill_article_search_fields(self.client, self.index)

    def write(self, articles: list[CleanArticle]) -> IndexReport:
        """Index one batch (no refresh). The model loads on the first text there is to embed."""

        def embed_fn(texts: list[str]) -> list[list[float]]:
            return get_embedder(self.embedding).embed_documents(texts)

        return index_articles(
            self.client,
            self.index,
            articles,
            self.options(),
            embed_fn if self.embed else None,
            alerts=self.alert_run(),
        )

    def alert_run(self) -> AlertRun | None:
        """The saved searches this writer matches (None: none saved, or alerts off)."""
        if not self.alerts:
            return None
        now = time.monotonic()
        if self._alert_run is None or now - self._alert_run[0] > self.ALERTS_TTL_S:
            settings = self.embedding.model_copy(update={"index": self.index})
            self._alert_run = (now, AlertRun.load(self.client, settings, self.run_id))
        return self._alert_run[1]

    def refresh(self) -> None:
        refresh(self.client, self.index)
        if self._alert_run is not None and self._alert_run[1] is not None:
            refresh_indices(self.client, alert_matches_index(self.index))
