"""Which articles of a batch may be written while other batches are, and which must wait.

The ingestion flow writes its batches concurrently: one at a time beside the cleaning of the next on
one machine, many at once on a Dask cluster. Two things would make the index depend on the order
in which batches happen to commit:

* a **copy** (exact or near duplicate, ``search.indexing``) of an article in an *earlier* batch is
  indexed as a copy only if that article is committed, and visible to search, when the copy's batch
  looks it up; otherwise both become canonical articles with chunks of their own;
* the **same doc_id again** in a later batch (a file given twice, a dump that repeats an id) must
  win over the earlier version, and the earlier version's surplus chunks must be visible to be
  deleted.

``BatchOrder`` sees every cleaned batch on the driver, in input order, and splits it: articles that
copy or repeat nothing from an earlier batch still *in flight* are written with their batch at
once; the others are *held* and written after every batch before them has committed, in input
order, after a refresh. Once a batch has committed and the driver has refreshed the index,
``committed`` forgets its articles: a later copy or repeat of them is found in the index by its own
batch's lookup, exactly as one batch after another would find it. So originals never meet each
other across batches in flight, their writes commute, and the index is the same whatever order
batches finish in, on one process or many. Copies within one batch stay in it: ``index_articles``
folds them itself, in order.

The split costs an LSH insert per article with the MinHash the cleaning task computed
(``CleanedBatch.signatures``); only articles of batches in flight (and held ones) are kept, about
12 KB each, so the driver's memory does not grow with the size of the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from datasketch import LeanMinHash, MinHash

from ingest.dedupe import DuplicateIndex, minhash_signature
from ingest.models import CleanArticle
from search.indexing import IndexingOptions


class BatchOrder:
    """Split each batch of a run into the articles to write now and those to hold back.

    Usage::

        order = BatchOrder()
        now, held = order.split(batch.articles, batch.signatures)   # batches in input order
        ...write ``now`` with its batch; write ``held`` after all earlier batches committed...
        order.committed(now)   # written and the index refreshed: later batches find them there

    :param threshold: Jaccard similarity at which two articles are copies; must be the writer's
        (``IndexingOptions.near_duplicate_threshold``), so both decide alike.
    """

    def __init__(self, threshold: float | None = None):
        self.threshold = threshold if threshold is not None else IndexingOptions().near_duplicate_threshold
        self._copies = DuplicateIndex(threshold=self.threshold)
        # The articles not yet known to be committed, by key (their doc_id, or doc_id + batch for a
        # later version of one): doc_id, batch, text, signature, held.
        self._live: dict[str, tuple[str, int, str, MinHash, bool]] = {}
        self._key_of: dict[int, str] = {}  # id() of an article ``split`` returned -> its key
        self._dead = 0  # keys in ``_copies`` forgotten since the last rebuild
        self._batch_of: dict[str, int] = {}  # doc_id -> batch of its first live occurrence
        self._versions: dict[str, int] = {}  # doc_id -> live keys of it
        self._held: dict[str, int] = {}  # doc_id -> held keys of it not yet committed
        self._batches = 0
        self.held_total = 0

    def split(
        self, articles: list[CleanArticle], signatures: Mapping[str, MinHash] | None = None
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
            signature = signatures.get(doc_id) or LeanMinHash(minhash_signature(article.text))
            canonical = self._copies.add(key, article.text, signature)
            owner = self._live.get(canonical) if canonical is not None else None
            copies_earlier = owner is not None and owner[0] != doc_id and (owner[1] < batch or owner[4])
            hold = repeated or copies_earlier or self._held.get(doc_id, 0) > 0
            if key not in self._live:
                self._live[key] = (doc_id, batch, article.text, signature, hold)
                self._versions[doc_id] = self._versions.get(doc_id, 0) + 1
                if hold:
                    self._held[doc_id] = self._held.get(doc_id, 0) + 1
            self._key_of[id(article)] = key
            (held if hold else now).append(article)
        self.held_total += len(held)
        return now, held

    def committed(self, articles: Iterable[CleanArticle]) -> None:
        """These articles (as ``split`` returned them) are written and the index refreshed: later
        batches find them there, so they are forgotten.

        That keeps the driver's memory to the batches in flight; the LSH index of live articles is
        rebuilt once as many are forgotten as remain (amortised constant per article).
        """
        for article in articles:
            key = self._key_of.pop(id(article), None)
            entry = self._live.pop(key, None) if key is not None else None
            if entry is None:
                continue
            doc_id, _batch, _text, _signature, was_held = entry
            self._dead += 1
            if was_held:
                self._held[doc_id] -= 1
                if not self._held[doc_id]:
                    del self._held[doc_id]
            self._versions[doc_id] -= 1
            if not self._versions[doc_id]:
                del self._versions[doc_id]
                self._batch_of.pop(doc_id, None)
        if self._dead > len(self._live):
            self._copies = DuplicateIndex(threshold=self.threshold)
            for key, (_doc_id, _batch, text, signature, _held) in self._live.items():
                self._copies.add(key, text, signature)
            self._dead = 0

    def __len__(self) -> int:
        """Articles remembered (those of batches not yet committed, and held ones)."""
        return len(self._live)
