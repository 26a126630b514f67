"""The ingestion flow: the one way data enters the index (CLI, schedule and API all run it).

    load → learn per-source boilerplate → [clean → chunk → embed → write] per batch → refresh → report

Batches are pipelined: while one batch is embedded and written (torch and Elasticsearch release the
GIL), the next is cleaned on the other core. Re-running a flow is always safe: unchanged articles
are skipped by content hash, chunks have stable ids, and the article record is written last, so a
run killed anywhere is finished by the next run with nothing lost or duplicated.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE as NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.quarantine import Quarantine, QuarantineEntry
from flows.settings import FlowSettings
from flows.sources import RunInputs
from ingest.cleaning import clean_record
from ingest.learned import SourceProfiles
from ingest.loaders import AllowedRoots
from ingest.models import CleanArticle, IngestError, RawRecord
from ingest.settings import IngestSettings
from search.indexing import IndexingOptions, IndexReport, index_articles
from search.prefect_runs import REPORT_KEY, RESULT_KEY, report_row
from search.preflight import require_elasticsearch
from search.settings import SearchSettings
from search.store import ensure_indices, is_transient, make_client, refresh

ProgressHook = Callable[[str, int, int | None], None]  # (stage, done, total)
_progress_hook: ProgressHook | None = None


def set_progress_hook(hook: ProgressHook | None) -> None:
    """Let the CLI draw a progress bar; the flow itself stays free of terminal concerns."""
    global _progress_hook
    _progress_hook = hook


def _progress(stage: str, done: int, total: int | None) -> None:
    if _progress_hook is not None:
        _progress_hook(stage, done, total)


REPORT_KEYS = (
    "run_id", "seen", "new", "updated", "unchanged", "duplicates", "quarantined", "chunks_written",
    "chunks_deleted", "boilerplate_removed", "seconds", "quarantine", "index",
)  # fmt: skip


@dataclass
class RunReport(IndexReport):
    """The contract's ``ingest --json`` object, also published as a Prefect artifact.

    The batches' ``IndexReport`` counts add straight into it; a run adds what only it knows
    (quarantine, boilerplate removed, the run and the index).
    """

    run_id: str = ""
    quarantined: int = 0
    boilerplate_removed: dict[str, int] = field(default_factory=dict)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    index: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in REPORT_KEYS}
        d["seconds"] = {k: round(v, 3) for k, v in self.seconds.items()}
        return d


# ---------------------------------------------------------------------------------------------
# plain functions (tested without Prefect)
# ---------------------------------------------------------------------------------------------
def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def clean_records(
    items: list[RawRecord | IngestError], profiles: SourceProfiles | None
) -> tuple[list[CleanArticle], list[QuarantineEntry], Counter]:
    """Clean one batch; bad inputs become quarantine entries, never exceptions."""
    articles: list[CleanArticle] = []
    rejected: list[QuarantineEntry] = []
    removed: Counter = Counter()
    for item in items:
        if isinstance(item, IngestError):
            rejected.append(QuarantineEntry(item.origin, item.record_no, item.reason, "load"))
            continue
        try:
            article = clean_record(item, profiles)
        except IngestError as exc:
            rejected.append(QuarantineEntry(item.origin, item.record_no, exc.reason, "clean"))
            continue
        except Exception as exc:  # a cleaner bug must not sink the run; the input is kept for retry
            rejected.append(
                QuarantineEntry(
                    item.origin, item.record_no, f"cleaner error: {type(exc).__name__}: {exc}", "clean"
                )
            )
            continue
        removed.update(r.rule for r in article.removed)
        articles.append(article)
    return articles, rejected, removed


def succeeded_inputs(
    cleaned_ok: Iterable[tuple[str, int | None]],
    failed: set[tuple[str, int | None] | None],
    rejected: Iterable[QuarantineEntry],
) -> list[tuple[str, int | None]]:
    """The inputs a run ingested, as quarantine keys to clear.

    A file rejected whole (bad JSON, unreadable, too big) is quarantined under ``(file, None)``,
    but once fixed it comes back as records ``(file, 1)``, ``(file, 2)`` …: any record of a file
    that loaded this run clears the file-level entry too, unless the file failed again.
    """
    ok = [o for o in cleaned_ok if o not in failed]
    still_bad = {(e.origin, e.record_no) for e in rejected}
    whole_files = {(origin, None) for origin, _ in ok} - still_bad
    return list(dict.fromkeys([*ok, *sorted(whole_files)]))


# ---------------------------------------------------------------------------------------------
# Prefect tasks: thin wrappers
# ---------------------------------------------------------------------------------------------
@task(name="learn-boilerplate", cache_policy=NO_CACHE)
def learn_boilerplate(inputs: RunInputs, ingest_settings: IngestSettings) -> int:
    """First pass: let each source's profile see its documents, so furniture is known before cleaning."""
    profiles = SourceProfiles.load(ingest_settings.boilerplate_dir, ingest_settings)
    seen = 0
    for item in inputs:
        if isinstance(item, RawRecord):
            profiles.observe(item)
        seen += 1
        if seen % 500 == 0:
            _progress("learn", seen, None)
    profiles.save()
    return seen


@task(name="clean-batch", cache_policy=NO_CACHE)
def clean_batch(
    items: list[RawRecord | IngestError], profiles: SourceProfiles | None
) -> tuple[list[CleanArticle], list[QuarantineEntry], Counter]:
    return clean_records(items, profiles)


@task(
    name="index-batch",
    cache_policy=NO_CACHE,
    retries=4,
    retry_delay_seconds=[2, 5, 15, 30],
    retry_condition_fn=lambda task, task_run, state: _transient_state(state),
)
def index_batch(
    articles: list[CleanArticle], settings: SearchSettings, options: IndexingOptions
) -> IndexReport:
    client = make_client(settings)
    embed_fn = None
    if options.embed:
        from search.embedding import get_embedder

        def embed_fn(texts: list[str]) -> list[list[float]]:
            return get_embedder(settings).embed_documents(texts)

    return index_articles(client, settings.index, articles, options, embed_fn)


def _transient_state(state: Any) -> bool:
    try:
        state.result(raise_on_failure=True)
    except Exception as exc:
        return is_transient(exc)
    return False


# ---------------------------------------------------------------------------------------------
# the flow
# ---------------------------------------------------------------------------------------------
@flow(
    name="newsdesk-ingest",
    description="Load, clean, chunk, embed and index news articles into Elasticsearch, idempotently.",
    task_runner=ThreadPoolTaskRunner(max_workers=2),
    log_prints=False,
)
def ingest_flow(
    paths: list[str],
    source: str | None = None,
    batch_size: int = 64,
    embed: bool = True,
    index: str | None = None,
    allowed_roots: list[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Ingest files, directories, globs, page URLs and feeds.

    Args:
        paths: Files, directories, globs, http(s) page URLs or RSS/Atom feed URLs.
        source: Source name for all inputs (default: the record's ``source``, else the URL's domain).
        batch_size: Articles cleaned, embedded and written together.
        embed: Compute embeddings (off: keyword search only, much faster).
        index: Alias to write to (default: NEWSDESK_INDEX).
        allowed_roots: Directories local paths must resolve into (the API's NEWSDESK_INGEST_ROOTS);
            files outside them, through links or ``..``, are quarantined unread. None: no limit.
        settings: Settings that override this process's environment (``SearchSettings.run_overrides``
            of the caller: e.g. the API's Elasticsearch URL and data dir); secrets come from the
            environment of the process that runs the flow.
    """
    logger = get_run_logger()
    started = time.perf_counter()
    given = {**(settings or {}), **({"index": index} if index else {})}
    settings = SearchSettings(**given)
    ingest_settings = IngestSettings(**{k: v for k, v in given.items() if k in IngestSettings.model_fields})
    run_id = _run_id()
    report = RunReport(run_id=run_id, index=settings.index)
    quarantine = Quarantine(ingest_settings.data_dir / "quarantine")

    # The model loads lazily, in the first batch that has something to embed: a run over an
    # unchanged corpus, or with embed=False, never pays for it (nor imports torch). Its size is
    # asked only if the chunk index must be created: for a hub id, that loads the model.
    from search.embedding import model_dims, resolve_model

    options = IndexingOptions(
        embed=embed, model_name=resolve_model(settings)[1] if embed else "", entities=settings.entities
    )
    client = require_elasticsearch(settings)  # a stopped cluster fails the run at once, with the fix
    ensure_indices(client, settings.index, embedding_dims=lambda: model_dims(settings))

    t = time.perf_counter()
    roots = AllowedRoots(allowed_roots) if allowed_roots else None
    inputs = RunInputs(paths, source, ingest_settings, roots=roots)
    total = learn_boilerplate(inputs, ingest_settings)
    report.seconds["learn"] = time.perf_counter() - t
    profiles = SourceProfiles.load(ingest_settings.boilerplate_dir, ingest_settings)
    _progress("ingest", 0, total)

    flow_settings = FlowSettings()
    delays = flow_settings.index_retry_delays or [0.0]
    index_task = index_batch.with_options(
        retries=flow_settings.index_retries,
        retry_delay_seconds=[
            delays[min(i, len(delays) - 1)] for i in range(max(1, flow_settings.index_retries))
        ],
    )
    removed: Counter = Counter()
    rejected: list[QuarantineEntry] = []
    cleaned_ok: list[tuple[str, int | None]] = []
    where_of: dict[str, tuple[str, int | None]] = {}
    pending_index = None
    clean_seconds = 0.0
    done = 0

    def finish(future: Any) -> None:
        nonlocal done
        result: IndexReport = future.result()
        report.add(result)
        done += result.seen
        _progress("ingest", done, total)

    batches = batched(inputs, batch_size)
    for items in batches:
        t = time.perf_counter()
        articles, bad, batch_removed = clean_batch.submit(items, profiles).result()
        clean_seconds += time.perf_counter() - t
        rejected.extend(bad)
        removed.update(batch_removed)
        done += len(bad)
        if pending_index is not None:
            finish(pending_index)
        for art in articles:
            cleaned_ok.append((art.origin, art.record_no))
            where_of[art.doc_id] = (art.origin, art.record_no)
        pending_index = index_task.submit(articles, settings, options)
    if pending_index is not None:
        finish(pending_index)

    for doc_id, reason in report.failed.items():
        origin, record_no = where_of.get(doc_id, (doc_id, None))
        rejected.append(QuarantineEntry(origin, record_no, reason, "index", doc_id=doc_id))
    quarantine.add(rejected, run_id)
    failed_where = {where_of.get(d) for d in report.failed}
    quarantine.clear(succeeded_inputs(cleaned_ok, failed_where, rejected))

    t = time.perf_counter()
    refresh(client, settings.index)
    report.seconds["refresh"] = time.perf_counter() - t

    report.seen += len([r for r in rejected if r.stage != "index"])
    report.quarantined = len(rejected)
    report.quarantine = [asdict(r) for r in rejected[:100]]
    report.boilerplate_removed = dict(removed.most_common())
    report.seconds["clean"] = clean_seconds
    report.seconds["total"] = time.perf_counter() - started
    _publish_artifact(report)
    logger.info(
        "ingested %d: %d new, %d updated, %d unchanged, %d duplicates, %d quarantined, %d chunks written",
        report.seen,
        report.new,
        report.updated,
        report.unchanged,
        report.duplicates,
        report.quarantined,
        report.chunks_written,
    )
    return report.to_dict()


def _run_id() -> str:
    try:
        from prefect.runtime import flow_run

        if flow_run.id:
            return str(flow_run.id)
    except Exception:
        pass
    return uuid.uuid4().hex


def report_markdown(report: RunReport) -> str:
    rows = [
        ("seen", report.seen),
        ("new", report.new),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("duplicates", report.duplicates),
        ("quarantined", report.quarantined),
        ("chunks written", report.chunks_written),
        ("chunks deleted", report.chunks_deleted),
    ]
    md = ["## newsdesk ingestion run", "", "| count | value |", "|---|---:|"]
    md += [f"| {k} | {v} |" for k, v in rows]
    md += ["", "| boilerplate rule | removed |", "|---|---:|"]
    md += [f"| {k} | {v} |" for k, v in report.boilerplate_removed.items()] or ["| (none) | 0 |"]
    md += ["", "| stage | seconds |", "|---|---:|"]
    md += [f"| {k} | {v:.2f} |" for k, v in report.seconds.items()]
    if report.quarantine:
        md += ["", "| quarantined input | stage | reason |", "|---|---|---|"]
        md += [
            f"| {q['origin']}{':' + str(q['record_no']) if q['record_no'] is not None else ''} "
            f"| {q['stage']} | {q['reason'][:200]} |"
            for q in report.quarantine
        ]
    return "\n".join(md)


def _publish_artifact(report: RunReport) -> None:
    """The report for people (markdown, in the run's Artifacts tab) and for programs (a one-row
    table that ``GET /ingest/{id}`` and ``newsdesk runs`` read back over Prefect's REST API)."""
    create_markdown_artifact(
        key=REPORT_KEY,
        markdown=report_markdown(report),
        description=f"newsdesk ingestion into {report.index}",
    )
    create_table_artifact(
        key=RESULT_KEY,
        table=[report_row(report.to_dict())],
        description="The run report as data (read by the newsdesk API and CLI).",
    )


# Run the flow in this process (Prefect starts a temporary API server when PREFECT_API_URL is unset).
run_ingestion = ingest_flow
