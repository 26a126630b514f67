"""The bookkeeping of one ingestion run, as plain objects the flow feeds (tested without Prefect).

The flow (``flows.ingestion``) only pipelines batches through the indexing pipeline's two
components; what each batch did (cleaned, rejected, written, failed) is recorded here, and at the
end the ledger settles the quarantine (new failures in, inputs that now ingested out) and hands
back the run's one report.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from datasketch import LeanMinHash

from flows.quarantine import Quarantine, QuarantineEntry
from ingest.cleaning import Cleaner
from ingest.dedupe import minhash_signature
from ingest.models import CleanArticle, IngestError, RawRecord
from search.indexing import IndexReport

REPORT_KEYS = (
    "run_id", "seen", "new", "updated", "unchanged", "duplicates", "quarantined", "chunks_written",
    "chunks_deleted", "boilerplate_removed", "seconds", "quarantine", "index",
    "suppressed", "alert_matches", "alert_errors", "webhook_errors",
)  # fmt: skip

Where = tuple[str, int | None]  # (origin, record number): how the quarantine names an input


@dataclass
class RunReport(IndexReport):
    """The contract's ``ingest --json`` object, also published as a Prefect artifact.

    The batches' ``IndexReport`` counts add straight into it (``suppressed``: skipped because a
    takedown names them; ``alert_matches``: new matches per alert); a run adds what only it knows
    (quarantine, boilerplate removed, the run and the index, ``webhook_errors``: alert webhooks
    that failed, each ``{"alert", "webhook" (its host only), "error"}``).
    """

    run_id: str = ""
    quarantined: int = 0
    boilerplate_removed: dict[str, int] = field(default_factory=dict)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    index: str = ""
    webhook_errors: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in REPORT_KEYS}
        d["seconds"] = {k: round(v, 3) for k, v in self.seconds.items()}
        return d


@dataclass
class CleanedBatch:
    """One cleaned batch: its articles, its rejects, the boilerplate removed by rule, each
    article's MinHash (for the driver's cross-batch ordering, ``search.batch_order``; computed
    where the batch was cleaned, so the driver does not hash every article again) and the seconds
    cleaning took."""

    articles: list[CleanArticle]
    rejected: list[QuarantineEntry]
    removed: Counter
    signatures: dict[str, LeanMinHash] = field(default_factory=dict)
    seconds: float = 0.0


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def clean_records(items: list[RawRecord | IngestError], cleaner: Cleaner) -> CleanedBatch:
    """Clean one batch; bad inputs become quarantine entries, never exceptions."""
    started = time.perf_counter()
    batch = CleanedBatch([], [], Counter())
    for item in items:
        if isinstance(item, IngestError):
            batch.rejected.append(QuarantineEntry(item.origin, item.record_no, item.reason, "load"))
            continue
        try:
            article = cleaner.clean(item)
        except IngestError as exc:
            batch.rejected.append(QuarantineEntry(item.origin, item.record_no, exc.reason, "clean"))
            continue
        except Exception as exc:  # a cleaner bug must not sink the run; the input is kept for retry
            reason = f"cleaner error: {type(exc).__name__}: {exc}"
            batch.rejected.append(QuarantineEntry(item.origin, item.record_no, reason, "clean"))
            continue
        batch.removed.update(r.rule for r in article.removed)
        batch.articles.append(article)
        batch.signatures[article.doc_id] = LeanMinHash(minhash_signature(article.text))
    batch.seconds = time.perf_counter() - started
    return batch


def succeeded_inputs(
    cleaned_ok: Iterable[Where], failed: set[Where | None], rejected: Iterable[QuarantineEntry]
) -> list[Where]:
    """The inputs a run ingested, as quarantine keys to clear.

    A file rejected whole (bad JSON, unreadable, too big) is quarantined under ``(file, None)``,
    but once fixed it comes back as records ``(file, 1)``, ``(file, 2)`` …: any record of a file
    that loaded this run clears the file-level entry too, unless the file failed again.
    """
    ok = [o for o in cleaned_ok if o not in failed]
    still_bad = {(e.origin, e.record_no) for e in rejected}
    whole_files = {(origin, None) for origin, _ in ok} - still_bad
    return list(dict.fromkeys([*ok, *sorted(whole_files)]))


class RunLedger:
    """What one run has done so far; ``settle`` closes it into the run's report.

    Usage::

        ledger = RunLedger(RunReport(run_id="r1", index="news"))
        ledger.cleaned(clean_records(items, cleaner))
        ledger.indexed(writer.write(batch.articles))
        report = ledger.settle(Quarantine(data_dir / "quarantine"))
    """

    def __init__(self, report: RunReport):
        self.report = report
        self.done = 0  # inputs fully handled (written, skipped or rejected), for progress
        self._removed: Counter = Counter()
        self._rejected: list[QuarantineEntry] = []
        self._cleaned_ok: list[Where] = []
        self._where_of: dict[str, Where] = {}

    def cleaned(self, batch: CleanedBatch) -> None:
        self._rejected.extend(batch.rejected)
        self._removed.update(batch.removed)
        self.done += len(batch.rejected)
        for art in batch.articles:
            self._cleaned_ok.append((art.origin, art.record_no))
            self._where_of[art.doc_id] = (art.origin, art.record_no)

    def indexed(self, result: IndexReport) -> None:
        self.report.add(result)
        self.done += result.seen

    def settle(self, quarantine: Quarantine) -> RunReport:
        """Quarantine what failed (with its stage), clear what now ingested; fill in the report."""
        report, rejected = self.report, self._rejected
        # In input order, whatever order the batches finished in (on a Dask cluster, any).
        position = {doc_id: i for i, doc_id in enumerate(self._where_of)}
        for doc_id, reason in sorted(report.failed.items(), key=lambda kv: position.get(kv[0], -1)):
            origin, record_no = self._where_of.get(doc_id, (doc_id, None))
            rejected.append(QuarantineEntry(origin, record_no, reason, "index", doc_id=doc_id))
        quarantine.add(rejected, report.run_id)
        failed_where = {self._where_of.get(d) for d in report.failed}
        quarantine.clear(succeeded_inputs(self._cleaned_ok, failed_where, rejected))
        report.seen += len([r for r in rejected if r.stage != "index"])
        report.quarantined = len(rejected)
        report.quarantine = [asdict(r) for r in rejected[:100]]
        report.boilerplate_removed = dict(self._removed.most_common())
        return report


def report_markdown(report: RunReport) -> str:
    """The report for people: the run's Artifacts tab in the Prefect UI."""
    rows = [
        ("seen", report.seen),
        ("new", report.new),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("duplicates", report.duplicates),
        ("quarantined", report.quarantined),
        ("suppressed (taken down)", report.suppressed),
        ("chunks written", report.chunks_written),
        ("chunks deleted", report.chunks_deleted),
    ]
    md = ["## newsdesk ingestion run", "", "| count | value |", "|---|---:|"]
    md += [f"| {k} | {v} |" for k, v in rows]
    md += ["", "| boilerplate rule | removed |", "|---|---:|"]
    md += [f"| {k} | {v} |" for k, v in report.boilerplate_removed.items()] or ["| (none) | 0 |"]
    md += ["", "| stage | seconds |", "|---|---:|"]
    md += [f"| {k} | {v:.2f} |" for k, v in report.seconds.items()]
    if report.alert_matches:
        md += ["", "| alert | new matches |", "|---|---:|"]
        md += [f"| {name} | {n} |" for name, n in sorted(report.alert_matches.items())]
    for error in report.alert_errors:
        md += ["", f"alert matching failed: {error[:300]}"]
    if report.webhook_errors:
        md += ["", "| alert | webhook | failed |", "|---|---|---|"]
        md += [f"| {e['alert']} | {e['webhook']} | {e['error'][:200]} |" for e in report.webhook_errors]
    if report.quarantine:
        md += ["", "| quarantined input | stage | reason |", "|---|---|---|"]
        md += [
            f"| {q['origin']}{':' + str(q['record_no']) if q['record_no'] is not None else ''} "
            f"| {q['stage']} | {q['reason'][:200]} |"
            for q in report.quarantine
        ]
    return "\n".join(md)
