"""The ingestion flow: the one way data enters the index (CLI, schedule and API all run it).

    load → learn per-source boilerplate → [clean → chunk → embed → write → match alerts] per batch
         → refresh → post alert webhooks → report

Cleaning and writing are the plain stages that the Haystack indexing pipeline's two components
wrap (``ingest.cleaning.Cleaner``, ``search.index_writer.IndexWriter``; see
``search.indexing_pipeline``); what each batch did is kept by ``flows.run_ledger``.

Where batches run is the task runner's business (``flows.dask_runner``): in one process they are
pipelined (while one batch is embedded and written, torch and Elasticsearch releasing the GIL, the
next is cleaned on the other core); on a Dask cluster (``NEWSDESK_DASK_ADDRESS``) many are cleaned,
embedded and written at once on the workers. The flow itself is the same in both: it learns the
boilerplate here, ships the frozen profiles with each clean task, and lets ``search.batch_order``
hold back the few articles whose result would depend on the order batches commit (copies of, and
ids repeated from, earlier batches), so both give the same index and the same report.

Re-running a flow is always safe: unchanged articles are skipped by content hash, chunks have
stable ids, and the article record is written last, so a run killed anywhere (or a worker lost
mid-batch, which Dask retries on another worker) is finished with nothing lost or duplicated.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE as NO_CACHE
from prefect.context import FlowRunContext

from flows.dask_runner import batches_in_flight, task_runner
from flows.quarantine import Quarantine
from flows.run_ledger import CleanedBatch, RunLedger, RunReport, batched, clean_records, report_markdown
from flows.settings import FlowSettings, Settings
from flows.sources import RunInputs
from ingest.cleaning import Cleaner
from ingest.learned import SourceProfiles
from ingest.loaders import AllowedRoots
from ingest.models import CleanArticle, IngestError, RawRecord
from ingest.settings import IngestSettings
from search.batch_order import BatchOrder
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
def index_batch(
    articles: list[CleanArticle], writer: IndexWriter, refresh_first: bool = False
) -> IndexReport:
    """Chunk, embed and write one batch. ``refresh_first``: for articles held back until earlier
    batches committed (``search.batch_order``), whose duplicate and stale-chunk lookups must see them."""
    if refresh_first:
        writer.refresh()
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
    task_runner=task_runner(None),
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

    # The two stages the indexing pipeline's components wrap (search.indexing_pipeline), as two
    # tasks per batch. The model loads lazily, in the first batch with something to embed: a run
    # over unchanged articles, or with embed=False, never pays for it (nor imports torch or
    # Haystack); its size is asked only if the chunk index must be created.
    cleaner = Cleaner(profiles_dir=str(ingest_settings.boilerplate_dir), settings=ingest_settings)
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

    batches = _Batches(
        ledger,
        cleaner.frozen(),  # the learned profiles, reduced to what cleaning reads: shipped per task
        writer,
        _with_retries(index_batch, run_settings.flow),
        BatchOrder(writer.options().near_duplicate_threshold),
        batch_size,
        batches_in_flight(FlowRunContext.get().task_runner),
        total,
    )
    for items in batched(inputs, batch_size):
        batches.add(items)
    batches.finish()
    report.seconds["clean"] = batches.clean_seconds

    ledger.settle(Quarantine(ingest_settings.data_dir / "quarantine"))
    # loaded here too when the batches ran on Dask workers, so refresh() also makes their matches visible
    alerts = writer.alert_run()
    t = time.perf_counter()
    writer.refresh()
    report.seconds["refresh"] = time.perf_counter() - t
    if alerts is not None and alerts.webhooks:  # post what alerts matched (this run, or undelivered before)
        t = time.perf_counter()
        sent = deliver_alert_webhooks(writer, report.run_id, run_settings.fetch.allow_private_urls)
        report.webhook_errors = sent.errors
        report.seconds["webhooks"] = time.perf_counter() - t
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


class _Batches:
    """Keeps a run's batches moving through the two tasks, in input order, on any task runner.

    Clean tasks are submitted ``in_flight`` batches ahead (zero ahead on threads, where cleaning
    the next batch already overlaps writing this one); each cleaned batch is recorded, split by
    ``BatchOrder`` and its articles submitted to the index task, with at most ``in_flight`` index
    tasks outstanding. Held articles are written in batches of their own once every batch before
    them has committed (Prefect's ``wait_for``), one held batch after the other. Index tasks are
    collected in order; after each the index is refreshed (a cheap call on the driver) and
    ``BatchOrder`` forgets its articles, so later batches find them by their own lookups.
    """

    def __init__(
        self,
        ledger: RunLedger,
        cleaner: Cleaner,
        writer: IndexWriter,
        index_task: Any,
        order: BatchOrder,
        batch_size: int,
        in_flight: int,
        total: int | None,
    ):
        self.ledger, self.cleaner, self.writer, self.index_task = ledger, cleaner, writer, index_task
        self.order, self.batch_size, self.in_flight, self.total = order, batch_size, in_flight, total
        self.ahead = 0 if in_flight <= 1 else in_flight
        self.cleaning: deque[Any] = deque()
        self.indexing: deque[tuple[Any, list[CleanArticle]]] = deque()
        self.held: list[CleanArticle] = []
        self.clean_seconds = 0.0

    def add(self, items: list[RawRecord | IngestError]) -> None:
        self.cleaning.append(clean_batch.submit(items, self.cleaner))
        while len(self.cleaning) > self.ahead:
            self._cleaned(self.cleaning.popleft())

    def finish(self) -> None:
        while self.cleaning:
            self._cleaned(self.cleaning.popleft())
        self._flush_held()
        while self.indexing:
            self._indexed(*self.indexing.popleft())

    def _cleaned(self, future: Any) -> None:
        batch: CleanedBatch = future.result()
        self.clean_seconds += batch.seconds
        self.ledger.cleaned(batch)
        now, held = self.order.split(batch.articles, batch.signatures)
        if now:
            self._submit(now)
        self.held.extend(held)
        if len(self.held) >= self.batch_size:
            self._flush_held()

    def _flush_held(self) -> None:
        if not self.held:
            return
        articles, self.held = self.held, []
        # After every index task submitted so far (earlier batches, earlier held batches).
        self._submit(articles, after=[future for future, _ in self.indexing])

    def _submit(self, articles: list[CleanArticle], after: list[Any] | None = None) -> None:
        while len(self.indexing) >= self.in_flight:
            self._indexed(*self.indexing.popleft())
        if after is None:
            future = self.index_task.submit(articles, self.writer)
        else:
            future = self.index_task.submit(articles, self.writer, refresh_first=True, wait_for=after)
        self.indexing.append((future, articles))

    def _indexed(self, future: Any, articles: list[CleanArticle]) -> None:
        self.ledger.indexed(future.result())
        self.writer.refresh()  # what it wrote is visible to every lookup from here on
        self.order.committed(articles)
        _progress("ingest", self.ledger.done, self.total)


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


def flow_for(settings: Settings) -> Any:
    """``ingest_flow`` with the task runner these settings ask for (``NEWSDESK_DASK_ADDRESS``).

    Why a copy and not a parameter: a Prefect flow's task runner is fixed before its body runs, so
    the process that starts the run (the CLI, the API's job queue, the stack's worker) chooses it.
    """
    address = settings.flow.dask_address
    return ingest_flow.with_options(task_runner=task_runner(address)) if address else ingest_flow


def run_ingestion(
    paths: list[str],
    source: str | None = None,
    batch_size: int = 64,
    embed: bool = True,
    index: str | None = None,
    allowed_roots: list[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the flow in this process, its batches where the settings say (``flow_for``).

    Prefect starts a temporary API server when ``PREFECT_API_URL`` is unset. ``settings`` are flat
    overrides as for ``ingest_flow`` (e.g. ``{"dask_address": "tcp://scheduler:8786"}``).
    """
    flow_ = flow_for(Settings.load(settings))
    return flow_(
        paths,
        source=source,
        batch_size=batch_size,
        embed=embed,
        index=index,
        allowed_roots=allowed_roots,
        settings=settings,
    )
