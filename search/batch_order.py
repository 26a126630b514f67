"""Which articles of a batch may be written while other batches are, and which must wait.

The ingestion flow writes its batches concurrently: one at a time beside the cleaning of the next on
one machine, many at once on a Dask cluster. Two things would make the index depend on the order
in which batches happen to commit:

* a **copy** (exact or near duplicate, ``search.indexing``) of an article in an *earlier* batch is
  indexed as a copy only if that article is committed, and visible to search, when the copy's batch
  looks it up; otherwise both become canonical articles with chunks of their own;
* the **same doc_id again** in a later batch (a file given twice, a dump that repeats an id) must
  win over the earlier version, and the earlier version's surplus chunks must be found to be
  deleted.

``BatchOrder`` sees every cleaned batch on the driver, in input order, and splits it: articles that
copy or repeat nothing from an earlier batch are written with their batch at once; the others are
*held* and written after every batch before them has committed, in input order, after a refresh.
Originals then never match each other across batches (a later match would have been held), so their
writes commute: the index is the same whatever order batches finish in, on one process or many, and
the same as writing the batches one after another with a refresh between them. Copies within one
batch stay in it: ``index_articles`` folds them itself, in order.

The split costs an LSH insert per article with the MinHash the cleaning task already computed
(``CleanedBatch.signatures``); the driver keeps every signature of the run (about 3 KB per article),
so runs of millions of articles are best split by input (a month, a file) into several runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from datasketch import LeanMinHash

from ingest.dedupe import DuplicateIndex
from ingest.models import CleanArticle
from search.indexing import IndexingOptions


class BatchOrder:
    """Split each batch of a run into the articles to write now and those to hold back.

    Usage::

        order = BatchOrder()
        now, held = order.split(batch.articles, batch.signatures)   # batches in input order
        ...write ``now`` with its batch; write ``held`` after all earlier batches committed...

    :param threshold: Jaccard similarity at which two articles are copies; must be the writer's
        (``IndexingOptions.near_duplicate_threshold``), so both decide alike.
    """

    def __init__(self, threshold: float | None = None):
        self._copies = DuplicateIndex(
            threshold=threshold if threshold is not None else IndexingOptions().near_duplicate_threshold
        )
        self._batch_of: dict[str, int] = {}  # doc_id -> batch it first appeared in
        self._held: set[str] = set()
        self._versions: dict[str, str] = {}  # key of a later version of a doc_id -> the doc_id
        self._batches = 0
        self.held_total = 0

    def split(
        self, articles: list[CleanArticle], signatures: Mapping[str, LeanMinHash] | None = None
    ) -> tuple[list[CleanArticle], list[CleanArticle]]:
        """``(now, held)`` for the next batch of the run; call once per batch, in input order.

        :param signatures: each article's MinHash (``ingest.dedupe.minhash_signature``) by doc_id;
            a missing one is computed here (~3 ms for an 8 kB article).
        """
        batch = self._batches
        self._batches += 1
        now: list[CleanArticle] = []
        held: list[CleanArticle] = []
        signatures = signatures or {}
        for article in articles:
            doc_id = article.doc_id
            repeated = self._batch_of.get(doc_id, batch) < batch
            self._batch_of.setdefault(doc_id, batch)
            # A later version's text is registered too (under its own key), so what copies it is
            # held behind it; the key resolves back to the doc_id.
            key = f"{doc_id}\x1f{batch}" if repeated else doc_id
            if repeated:
                self._versions[key] = doc_id
            canonical = self._copies.add(key, article.text, signatures.get(doc_id))
            canonical = self._versions.get(canonical, canonical) if canonical is not None else None
            if canonical == doc_id:
                canonical = None  # the same article again: held as a repeat, not as a copy
            copies_earlier = canonical is not None and (
                self._batch_of[canonical] < batch or canonical in self._held
            )
            if repeated or copies_earlier or doc_id in self._held:
                self._held.add(doc_id)
                held.append(article)
            else:
                now.append(article)
        self.held_total += len(held)
        return now, held
