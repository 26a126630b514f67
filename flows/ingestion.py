"""The ingestion flow: the one way data enters the index (CLI, schedule and API all run it).

    load → learn per-source boilerplate → [clean → chunk → embed → write → match alerts] per batch
         → refresh → post alert webhooks → report

Cleaning and writing are the plain stages that the Haystack indexing pipeline's two components
wrap (``ingest.cleaning.Cleaner``, ``search.index_writer.IndexWriter``; see
``search.indexing_pipeline``); what each batch did is kept by ``flows.run_ledger``.
Batches are pipelined: while one batch is embedded and written (torch and Elasticsearch release the
GIL), the next is cleaned on the other core. Re-running a flow is always safe: unchanged articles
are skipped by content hash, chunks have stable ids, and the article record is written last, so a
run killed anywhere is finished by the next run with nothing lost or duplicated.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE as NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.quarantine import Quarantine
from flows.run_ledger import CleanedBatch, RunLedger, RunReport, batched, clean_records, report_markdown
from flows.settings import FlowSettings, Settings
from flows.sources import RunInputs
from ingest.cleaning import Cleaner
from ingest.learned import SourceProfiles
from ingest.loaders import AllowedRoots
from ingest.models import CleanArticle, IngestError, RawRecord
from ingest.settings import IngestSettings
from search.index_writer import IndexWriter
from search.indexing import IndexReport
from search.prefect_runs import REPORT_KEY, RESULT_KEY, report_row
from search.preflight import require_elasticsearch
from search.store import is_transient
from search.webhooks import WebhookResult, deliver_webhooks

ProgressHook = Callable[[str, int, int | None], None]  # (stage, done, total)
_progress_hook: ProgressHook | None = None


def set_progress_hook(hook: ProgressHook | None) -> None:
    """Let the CLI draw a progress bar; the flow itself stays free of terminal concerns."""
    global _progress_hook
    _progress_hook = hook


def _progress(stage: str, done: int, total: int | None) -> None:
    if _progress_hook is not None:
        _progress_hook(stage, done, total)


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
def clean_batch(items: list[RawRecord | IngestError], cleaner: Cleaner) -> CleanedBatch:
    return clean_records(items, cleaner)


@task(
    name="index-batch",
    cache_policy=NO_CACHE,
    retries=4,
    retry_delay_seconds=[2, 5, 15, 30],
    retry_condition_fn=lambda task, task_run, state: _transient_state(state),
)
def index_batch(articles: list[CleanArticle], writer: IndexWriter) -> IndexReport:
    return writer.write(articles)


@task(name="deliver-webhooks", cache_policy=NO_CACHE)
def deliver_alert_webhooks(writer: IndexWriter, run_id: str, allow_private_urls: bool) -> WebhookResult:
    """Each alert's new matches to its webhook: retried inside (tenacity), never failing the run."""
    settings = writer.embedding.model_copy(update={"index": writer.index})
    try:
        return deliver_webhooks(writer.client, settings, run_id=run_id, allow_private_urls=allow_private_urls)
    except Exception as exc:  # e.g. Elasticsearch gone after the last batch: report, do not fail
        return WebhookResult(errors=[{"alert": "*", "webhook": "", "error": f"{type(exc).__name__}: {exc}"}])


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
        settings: Settings that override this process's environment, by their flat names
            (``Settings.run_overrides()`` of the caller: e.g. the API's Elasticsearch URL and data
            dir); secrets come from the environment of the process that runs the flow.
    """
    logger = get_run_logger()
    started = time.perf_counter()
    given = {**(settings or {}), **({"index": index} if index else {})}
    run_settings = Settings.load(given)  # this run's one settings object, passed down by section
    settings, ingest_settings = run_settings.search, run_settings.ingest
    ledger = RunLedger(RunReport(run_id=_run_id(), index=settings.index))
    report = ledger.report

    # The two stages the indexing pipeline's components wrap (search.indexing_pipeline), run as two
    # tasks per batch so that cleaning batch n+1 overlaps embedding and writing batch n. The model
    # loads lazily, in the first batch with something to embed: a run over unchanged articles, or
    # with embed=False, never pays for it (nor imports torch or Haystack); its size is asked only
    # if the chunk index must be created.
    cleaner = Cleaner(profiles_dir=str(ingest_settings.boilerplate_dir))
    writer = IndexWriter.from_settings(settings, embed=embed, run_id=report.run_id)
    require_elasticsearch(settings)  # a stopped cluster fails the run at once, with the fix
    writer.prepare()

    t = time.perf_counter()
    roots = AllowedRoots(allowed_roots) if allowed_roots else None
    inputs = RunInputs(paths, source, ingest_settings, fetch_settings=run_settings.fetch, roots=roots)
    total = learn_boilerplate(inputs, ingest_settings)
    report.seconds["learn"] = time.perf_counter() - t
    cleaner.load_profiles(ingest_settings)
    _progress("ingest", 0, total)

    index_task = _with_retries(index_batch, run_settings.flow)
    pending_index = None
    clean_seconds = 0.0

    def finish(future: Any) -> None:
        ledger.indexed(future.result())
        _progress("ingest", ledger.done, total)

    for items in batched(inputs, batch_size):
        t = time.perf_counter()
        batch = clean_batch.submit(items, cleaner).result()
        clean_seconds += time.perf_counter() - t
        ledger.cleaned(batch)
        if pending_index is not None:
            finish(pending_index)
        pending_index = index_task.submit(batch.articles, writer)
    if pending_index is not None:
        finish(pending_index)

    ledger.settle(Quarantine(ingest_settings.data_dir / "quarantine"))
    t = time.perf_counter()
    writer.refresh()
    report.seconds["refresh"] = time.perf_counter() - t
    alerts = writer.alert_run()
    if alerts is not None and alerts.webhooks:  # post what alerts matched (this run, or undelivered before)
        t = time.perf_counter()
        sent = deliver_alert_webhooks(writer, report.run_id, run_settings.fetch.allow_private_urls)
        report.webhook_errors = sent.errors
        report.seconds["webhooks"] = time.perf_counter() - t
    report.seconds["clean"] = clean_seconds
    report.seconds["total"] = time.perf_counter() - started
    _publish_artifact(report)
    logger.info(
        "ingested %d: %d new, %d updated, %d unchanged, %d duplicates, %d quarantined, %d suppressed, "
        "%d chunks written",
        report.seen,
        report.new,
        report.updated,
        report.unchanged,
        report.duplicates,
        report.quarantined,
        report.suppressed,
        report.chunks_written,
    )
    for error in report.webhook_errors:
        logger.warning(
            "webhook of alert %s (%s) failed: %s", error["alert"], error["webhook"], error["error"]
        )
    return report.to_dict()


def _with_retries(index_task: Any, flow_settings: FlowSettings) -> Any:
    """The index task with the configured retries (``NEWSDESK_INDEX_RETRIES``/``_RETRY_DELAYS``)."""
    delays = flow_settings.index_retry_delays or [0.0]
    return index_task.with_options(
        retries=flow_settings.index_retries,
        retry_delay_seconds=[
            delays[min(i, len(delays) - 1)] for i in range(max(1, flow_settings.index_retries))
        ],
    )


def _run_id() -> str:
    try:
        from prefect.runtime import flow_run

        if flow_run.id:
            return str(flow_run.id)
    except Exception:
        pass
    return uuid.uuid4().hex


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
