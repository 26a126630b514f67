"""The ``newsdesk`` command line: the composition root users touch.

Commands stay thin: they parse options, call plain functions in ``ingest``/``search``/``flows``
and render the result as a rich table or, with ``--json``, as the contract's JSON.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from typer.core import TyperOption

from flows.settings import Settings
from ingest.environment import CLI as CLI_ENVIRONMENT
from ingest.environment import apply_defaults

# Quiet libraries before they are imported: the CLI prints its own progress and reports.
apply_defaults(CLI_ENVIRONMENT)

# No pretty tracebacks: rendering an exception's frames with their locals (typer's default) walked
# the Elasticsearch client and ran for minutes. ``main`` turns any exception into one line.
_TYPER_OPTS: dict = {"pretty_exceptions_enable": False, "pretty_exceptions_show_locals": False}


def _flag_shows_no_type(self: TyperOption, ctx) -> str | None:
    """``--json`` is a switch: typer 0.29 labels every option with its type, flags as ``<bool>``,
    which reads as if the flag took a value (``--no-embed <bool>``)."""
    return None if self.is_flag else _option_display_type(self, ctx)


_option_display_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_shows_no_type  # type: ignore[method-assign]

Mode = Literal["keyword", "semantic", "hybrid"]

app = typer.Typer(
    name="newsdesk",
    help="Ingest scraped news into Elasticsearch and search it: keyword, semantic, hybrid, and answers.",
    no_args_is_help=True,
    add_completion=False,
    **_TYPER_OPTS,
)
es_app = typer.Typer(
    help="Run a local Elasticsearch for development (no Docker needed).", no_args_is_help=True, **_TYPER_OPTS
)
app.add_typer(es_app, name="es")
schedule_app = typer.Typer(
    help="Scheduled ingestion (a Prefect deployment with a cron schedule).",
    no_args_is_help=True,
    **_TYPER_OPTS,
)
app.add_typer(schedule_app, name="schedule")
quarantine_app = typer.Typer(
    help="Inputs rejected by ingestion, with their reasons.", no_args_is_help=True, **_TYPER_OPTS
)
app.add_typer(quarantine_app, name="quarantine")
alert_app = typer.Typer(
    help="Saved searches that watch ingestion: every run matches its new and changed articles.",
    no_args_is_help=True,
    **_TYPER_OPTS,
)
app.add_typer(alert_app, name="alert")

console = Console(stderr=True)


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    """This command's one settings object: the environment and ``.env``, read once, passed down."""
    return Settings.load()


out = Console()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"newsdesk {version('newsdesk')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Ingest scraped news into Elasticsearch and search it: keyword, semantic, hybrid, and answers."""
    settings.cache_clear()  # each command reads the environment once (a test may run several in-process)


def _not_yet(command: str, issue: int) -> None:
    console.print(f"[yellow]`newsdesk {command}` is not implemented yet (tracked in issue {issue}).[/]")
    raise typer.Exit(3)


# --------------------------------------------------------------------------------------------
# es
# --------------------------------------------------------------------------------------------
@es_app.command("install")
def es_install() -> None:
    """Download (once, cached) the Elasticsearch build from Maven Central."""
    from flows.local_stack.elasticsearch import LocalESError, ensure_distribution

    s = settings().search
    try:
        home = ensure_distribution(s.es_version, s.cache_dir)
    except LocalESError as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    out.print(f"Elasticsearch {s.es_version} ready in {home}")


@es_app.command("start")
def es_start(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a healthy node.")] = 180.0,
) -> None:
    """Start the local Elasticsearch (downloading it first if needed) and wait until healthy."""
    from flows.local_stack.elasticsearch import LocalESError, dev_instance

    s = settings().search
    try:
        node = dev_instance(s)
        already = node.pid() is not None
        with console.status(f"Starting Elasticsearch {s.es_version} on 127.0.0.1:{s.es_port} ..."):
            node.start(timeout_s=timeout)
    except LocalESError as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    health = node.health() or {}
    verb = "already running" if already else "started"
    out.print(
        f"Elasticsearch {verb}: {node.url} (pid {node.pid()}, status {health.get('status', '?')}, "
        f"data in {node.instance_dir})"
    )


@es_app.command("stop")
def es_stop() -> None:
    """Stop the local Elasticsearch started by `newsdesk es start`."""
    from flows.local_stack.elasticsearch import dev_instance

    node = dev_instance(settings().search, download=False)
    if node.stop():
        out.print("Elasticsearch stopped.")
    else:
        out.print("Elasticsearch was not running.")


@es_app.command("status")
def es_status(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Say whether Elasticsearch answers (the local one, or NEWSDESK_ES_URL), and its health.

    Exit 1 only when nothing answers: a node started from another NEWSDESK_DATA_DIR, or one run
    by someone else at the configured URL, is up even though this instance directory has no pid.
    """
    from flows.local_stack.elasticsearch import dev_instance

    s = settings().search
    node = dev_instance(s, download=False)
    pid = node.pid()
    url = node.url if pid else s.es_url.rstrip("/")
    health = node.health() if pid else _probe_health(s)
    info = {
        "running": health is not None or pid is not None,
        "managed": pid is not None,  # started from this instance directory by `newsdesk es start`
        "pid": pid,
        "url": url,
        "version": s.es_version,
        "status": (health or {}).get("status"),
        "instance_dir": str(node.instance_dir),
    }
    if json_out:
        out.print_json(json.dumps(info))
    elif pid:
        out.print(f"Elasticsearch running: {node.url} pid {pid}, cluster status {info['status']}")
    elif health is not None:
        out.print(
            f"Elasticsearch answers at {url} (cluster status {info['status']}), but not from this "
            f"instance ({node.instance_dir}): it was started with another NEWSDESK_DATA_DIR or by "
            "something else, so `newsdesk es stop` here will not stop it.",
            highlight=False,
        )
    else:
        out.print(f"Elasticsearch is not running: nothing answers at {url} (instance {node.instance_dir}).")
    if not info["running"]:
        raise typer.Exit(1)


def _probe_health(es_settings) -> dict | None:
    """Cluster health from the configured URL (with its credentials), or None if it does not answer."""
    try:
        from search.store import make_client

        return dict(make_client(es_settings).options(request_timeout=5, max_retries=0).cluster.health())
    except Exception:
        return None


# --------------------------------------------------------------------------------------------
# commands owned by later issues
# --------------------------------------------------------------------------------------------
@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, directories, globs or http(s) URLs.")],
    source: Annotated[str | None, typer.Option(help="Source name for these inputs.")] = None,
    no_embed: Annotated[bool, typer.Option("--no-embed", help="Skip embeddings.")] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=5000, help="Articles per batch.")
    ] = 64,
    index: Annotated[str | None, typer.Option(help="Alias to write to (default NEWSDESK_INDEX).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
    in_process: Annotated[
        bool, typer.Option("--in-process", help="Run the flow here even when the stack's worker is up.")
    ] = False,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            help="Clean, embed and write the batches on this Dask scheduler's workers "
            "(tcp://host:8786; default NEWSDESK_DASK_ADDRESS).",
        ),
    ] = None,
) -> None:
    """Run the ingestion flow: load, clean, chunk, embed, write to Elasticsearch.

    With the stack up (`newsdesk up`) the run goes to its worker, which keeps the model loaded, and
    shows in Prefect's UI. Safe to re-run: unchanged articles are skipped, nothing duplicated.
    """
    try:
        _require_some_input(paths)
    except NothingToIngest as exc:
        _fail(exc)
    s = settings().search
    overrides = {"dask_address": dask} if dask else None
    # One probe: the stack's server (exported for an in-process run too) and whether a worker serves it.
    prefect_url = _stack_prefect()
    if prefect_url is not None and not in_process and _worker_serves(prefect_url):
        report = _ingest_on_worker(
            prefect_url, paths, source, batch_size, not no_embed, index or s.index, json_out, overrides
        )
    else:
        report = _ingest_here(paths, source, batch_size, not no_embed, index, json_out, overrides)
    if json_out:
        out.print_json(json.dumps(report))
    else:
        _print_ingest_report(report)
    if report["seen"] and report["quarantined"] == report["seen"]:
        raise typer.Exit(2)


class NothingToIngest(Exception):
    """Every path given is a local path that does not exist."""


def _require_some_input(paths: list[str]) -> None:
    """Fail in a second, before Prefect or torch start, when every path is a local path that does
    not exist (a typo such as ``seedz/``), naming the closest name that does. A run with at least
    one real input goes on and quarantines the missing paths with their reason, as before."""
    import difflib
    from pathlib import Path

    from ingest.loaders import is_glob
    from ingest.urls import is_url

    hints = []
    for raw in paths:
        if is_url(raw) or is_glob(raw):
            return  # a URL or a glob: the loaders tell what they find
        path = Path(raw).expanduser()
        if path.exists():
            return
        parent = path.parent
        try:
            names = sorted(child.name for child in parent.iterdir())
        except OSError:
            names = []
        close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.75)
        hints.append(f"{raw} (did you mean {parent / close[0]}?)" if close else raw)
    raise NothingToIngest(f"no such file or directory: {', '.join(hints)}; nothing was ingested")


def _ingest_here(
    paths: list[str],
    source: str | None,
    batch_size: int,
    embed: bool,
    index: str | None,
    json_out: bool,
    overrides: dict[str, Any] | None = None,
) -> dict:
    """Run the flow in this process (against the stack's Prefect server when one answers); its
    batches on the Dask cluster the settings or ``overrides`` name, else on threads here."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from search.preflight import require_elasticsearch

    # Before Prefect starts a server or torch loads: a stopped cluster is one line, not a minute of
    # retries (the flow's retries are for a cluster that goes away *during* a run).
    try:
        require_elasticsearch(settings().search)
        dask_address = (overrides or {}).get("dask_address") or settings().flow.dask_address
        if dask_address:
            from flows.dask_runner import require_dask

            require_dask(dask_address)
    except Exception as exc:
        _fail(exc)
    from flows import ingestion

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=json_out,
    ) as progress:
        bar = progress.add_task("starting", total=None)

        def hook(stage: str, done: int, total: int | None) -> None:
            progress.update(bar, description=stage, completed=done, total=total)

        ingestion.set_progress_hook(hook)
        try:
            return ingestion.run_ingestion(
                paths, source=source, batch_size=batch_size, embed=embed, index=index, settings=overrides
            )
        except Exception as exc:
            console.print(f"ingestion failed: {type(exc).__name__}: {exc}", style="red", markup=False)
            console.print(
                "Nothing is lost: re-run the same command once the cause is fixed; it resumes.",
                markup=False,
            )
            raise typer.Exit(1) from exc
        finally:
            ingestion.set_progress_hook(None)


def _stack_prefect() -> str | None:
    """The running stack's Prefect API, exported as ``PREFECT_API_URL`` for this process (so a
    flow run here reports there, with no temporary server); None when no server answers, or when
    ``PREFECT_API_URL`` is unset and no stack was started with this ``NEWSDESK_DATA_DIR``."""
    from search.prefect_runs import PrefectRuns, configured_prefect_url

    url, named = configured_prefect_url(settings().search.prefect_port)
    if not named and not (settings().ingest.data_dir / "run" / "prefect.pid").exists():
        # No stack of this data dir is up: a server on the default port belongs to another
        # installation (its worker would write with its own settings, not this command's).
        return None
    with PrefectRuns(url, timeout_s=2.0) as runs:
        if not runs.healthy(timeout_s=1.0):
            return None
    if not named:
        os.environ["PREFECT_API_URL"] = url
    return url


def _worker_serves(prefect_url: str) -> bool:
    """Whether the ingestion deployment is registered (a worker serves it), so a submitted run
    is sure to be picked up."""
    from search.prefect_runs import PrefectRuns, PrefectUnavailable

    with PrefectRuns(prefect_url, timeout_s=2.0) as runs:
        try:
            return runs.deployment_id() is not None
        except PrefectUnavailable:
            return False


def _absolute_inputs(paths: list[str]) -> list[str]:
    """Local paths as absolute ones: the worker runs in its own directory."""
    from ingest.urls import is_url

    return [p if is_url(p) else os.path.abspath(os.path.expanduser(p)) for p in paths]


def _ingest_on_worker(
    prefect_url: str,
    paths: list[str],
    source: str | None,
    batch_size: int,
    embed: bool,
    index: str,
    json_out: bool,
    overrides: dict[str, Any] | None = None,
    pickup_timeout_s: float = 30.0,
) -> dict:
    """Submit a run of the ``newsdesk-ingest`` deployment and follow it to its end (``overrides``:
    settings for that run, e.g. the Dask scheduler its batches go to)."""
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from search.prefect_runs import TERMINAL_STATES, PrefectRuns

    params = {
        "paths": _absolute_inputs(paths), "source": source, "batch_size": batch_size, "embed": embed,
        "index": index, **({"settings": overrides} if overrides else {}),
    }  # fmt: skip
    with PrefectRuns(prefect_url) as runs:
        run = runs.submit(params)
        console.print(f"[dim]flow run {run['name']} on the worker: {run['ui_url']}[/]", highlight=False)
        waiting_since, last_state = time.monotonic(), None
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=json_out,
        ) as progress:
            bar = progress.add_task("queued", total=100)
            while True:
                run = runs.read(run["flow_run_id"])
                progress.update(
                    bar, description=(run["state_name"] or "").lower(), completed=run["progress"] or 0
                )
                if run["state"] in TERMINAL_STATES:
                    break
                if run["state"] != last_state:  # e.g. a worker restart put it back to SCHEDULED
                    waiting_since, last_state = time.monotonic(), run["state"]
                if run["state"] == "SCHEDULED" and time.monotonic() - waiting_since > pickup_timeout_s:
                    console.print(
                        f"No worker picked up run {run['flow_run_id']} within {pickup_timeout_s:.0f} s; it "
                        "stays queued and runs when a worker starts. See `newsdesk status`.",
                        style="yellow",
                        markup=False,
                    )
                    raise typer.Exit(1)
                time.sleep(0.25)
    if run["state"] != "COMPLETED" or run["report"] is None:
        console.print(
            f"ingestion failed: run {run['flow_run_id']} ended {run['state_name']}: {run['message'] or ''}",
            style="red",
            markup=False,
        )
        console.print(
            f"Its logs: {run['ui_url']}. Nothing is lost: re-run the same command once the cause is "
            "fixed; it resumes.",
            markup=False,
        )
        raise typer.Exit(1)
    return run["report"]


def _print_ingest_report(report: dict) -> None:
    from rich.table import Table

    table = Table(title=f"Ingestion into {report['index']}", show_header=True)
    table.add_column("documents")
    table.add_column("count", justify="right")
    from flows.overview import RUN_COUNTS

    for key in RUN_COUNTS:
        if key in report:  # a report from a worker older than this CLI lacks the newer keys
            table.add_row(key.replace("_", " "), str(report[key]))
    out.print(table)
    for name, n in sorted((report.get("alert_matches") or {}).items()):
        out.print(f"alert [bold]{_esc(name)}[/]: {n} new match(es) (`newsdesk alert matches {_esc(name)}`)")
    for error in report.get("alert_errors") or []:
        out.print(f"[yellow]alert matching failed[/]: {_esc(error)}", highlight=False)
    for error in report.get("webhook_errors") or []:
        out.print(
            f"[yellow]webhook of alert {_esc(error['alert'])} ({_esc(error['webhook'])}) failed[/]: "
            f"{_esc(error['error'])}; its matches are posted again with the next run",
            highlight=False,
        )
    if report["boilerplate_removed"]:
        rules = Table(title="Boilerplate removed", show_header=True)
        rules.add_column("rule")
        rules.add_column("removed", justify="right")
        for rule, n in report["boilerplate_removed"].items():
            rules.add_row(rule, str(n))
        out.print(rules)
    secs = ", ".join(f"{k} {v:.1f}s" for k, v in report["seconds"].items())
    out.print(f"Seconds per stage: {secs}")
    for q in report["quarantine"][:20]:
        where = q["origin"] + (f":{q['record_no']}" if q["record_no"] is not None else "")
        out.print(f"[yellow]quarantined[/] {where} ({q['stage']}): {q['reason']}", highlight=False)
    if report["quarantined"]:
        out.print("List them with `newsdesk quarantine list`; retry with `newsdesk quarantine retry`.")


def _parse_date(value: str | None, name: str):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        console.print(f"--{name} must be a date like 2024-01-31, not {value!r}", style="red", markup=False)
        raise typer.Exit(2) from exc


def _searcher():
    from search.retrieval import Searcher

    return Searcher(settings().search)


def describe_error(exc: BaseException) -> tuple[int, str]:
    """Exit code and one line for any exception a command can end on.

    Known failures (bad request, Elasticsearch down, missing index, a rejected query) get a line
    that says what to do; anything else gets its type and a bounded message, never a rendering of
    the frames (``NEWSDESK_DEBUG=1`` prints the plain traceback too).
    """
    from flows.dask_runner import DaskUnavailable
    from search.preflight import ElasticsearchUnavailable, IndexMissing

    if isinstance(exc, ElasticsearchUnavailable | IndexMissing | DaskUnavailable):
        return 1, str(exc)
    if isinstance(exc, NothingToIngest):
        return 2, str(exc)
    if "search.retrieval" in sys.modules:
        from search.retrieval import QueryError

        if isinstance(exc, QueryError):
            return 2, f"invalid request: {exc}"
    if "elasticsearch" in sys.modules:
        from elastic_transport import ConnectionError as ESConnectionError
        from elastic_transport import ConnectionTimeout
        from elasticsearch import ApiError

        s = settings().search
        if isinstance(exc, ESConnectionError | ConnectionTimeout):
            return 1, (
                f"Elasticsearch is not reachable at {s.es_url_redacted}: start it with `newsdesk es start`, "
                "or set NEWSDESK_ES_URL to a running cluster."
            )
        if isinstance(exc, ApiError):
            if exc.meta.status == 404 and "index_not_found" in str(exc.message):
                return 1, str(IndexMissing(s.index, s.es_url_redacted))
            return 1, f"Elasticsearch rejected the request (HTTP {exc.meta.status}): {_bounded(exc.message)}"
    return 1, f"error: {type(exc).__name__}: {_bounded(str(exc))} (NEWSDESK_DEBUG=1 shows the traceback)"


def _bounded(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fail(exc: BaseException) -> None:
    """Print ``describe_error``'s line on stderr and exit with its code."""
    code, message = describe_error(exc)
    console.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
    if os.environ.get("NEWSDESK_DEBUG", "") not in ("", "0", "false"):
        import traceback

        traceback.print_exception(exc)
    raise typer.Exit(code) from None


def _require_index() -> None:
    """Fail in a second or two, before torch or Haystack load, when ES or the index is missing."""
    from search.preflight import require_index

    try:
        require_index(settings().search)
    except Exception as exc:
        _fail(exc)


def _running_api() -> tuple[str | None, str]:
    """``(base URL, "")`` of a newsdesk API serving this index, else ``(None, why not)``.

    Why: through the API a query costs an HTTP round trip instead of importing Haystack, torch
    and the model in a fresh process.
    """
    from search.client import find_api
    from search.settings import SearchSettings

    s = settings()
    default = SearchSettings.model_fields["api_url"].default
    named = "NEWSDESK_API_URL" in os.environ or s.search.api_url != default
    if not named and not (s.ingest.data_dir / "run" / "api.pid").exists():
        # An API on the default port belongs to another installation: it would search with its
        # own Elasticsearch, not the one this command is configured for.
        return None, f"no stack was started with NEWSDESK_DATA_DIR={s.ingest.data_dir}"
    return find_api(s.search)


def _said_in_process(why_not: str) -> None:
    """Say once, on stderr (``--json`` stdout stays clean), that the work ran here and why.

    Printed after the work succeeded: a failure stays the one line that says what to fix.
    """
    if why_not:
        console.print(
            f"[dim]Ran in this process: no newsdesk API to ask ({_esc(why_not)}). "
            "`newsdesk up` (or `newsdesk serve`) answers in about a second.[/]",
            highlight=False,
        )


def _api_failed(exc: BaseException) -> None:
    """An error the API answered with, as the in-process path would report it (line and exit code)."""
    from search.client import ApiRequestError

    if isinstance(exc, ApiRequestError):
        code = 2 if exc.status in (400, 404, 422) else 1
        message = f"invalid request: {exc.message}" if code == 2 else exc.message
        console.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code) from None
    _fail(exc)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    mode: Annotated[Mode, typer.Option(help="How to match the query.")] = "hybrid",
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=100, help="Number of hits.")] = 10,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (YYYY-MM-DD).")] = None,
    chunks: Annotated[bool, typer.Option("--chunks", help="One hit per chunk, not per article.")] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The news as of this day (YYYY-MM-DD): nothing later.")
    ] = None,
    entity: Annotated[
        list[str] | None,
        typer.Option("--entity", help="Only articles tagged with this person, organisation, group or place."),
    ] = None,
    author: Annotated[str | None, typer.Option("--author", help="Only articles with this author.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search the index: one hit per article, ranked from all its matching chunks.

    Goes to the running newsdesk API (NEWSDESK_API_URL) when there is one, else runs here.
    """
    since_d, until_d = _parse_date(since, "since"), _parse_date(until, "until")
    as_of_d = _parse_date(as_of, "as-of")
    body: dict[str, Any] | None = None
    base, why_not = _running_api()
    if base is not None:
        from search.client import ApiUnreachable, search_via_api

        params = {
            "q": query, "mode": mode, "top_k": top_k, "source": source, "since": since, "until": until,
            "group": "false" if chunks else None, "as_of": as_of, "entity": entity or None, "author": author,
        }  # fmt: skip
        try:
            body = search_via_api(base, params, settings().search.api_timeout_s)
        except ApiUnreachable as exc:
            why_not = str(exc)
        except Exception as exc:
            _api_failed(exc)
    if body is None:
        body = _search_here(query, mode, top_k, source, since_d, until_d, chunks, as_of_d, entity, author)
        _said_in_process(why_not)
    if json_out:
        out.print_json(json.dumps(body, default=str))
        return
    _print_hits(body, query, mode)


def _search_here(
    query: str,
    mode: str,
    top_k: int,
    source: str | None,
    since: Any,
    until: Any,
    chunks: bool,
    as_of: Any,
    entity: list[str] | None,
    author: str | None,
) -> dict[str, Any]:
    """The search in this process: the same JSON object as ``GET /search`` returns."""
    _require_index()
    from search.facets import facet_counts
    from search.retrieval import build_filters

    filters = build_filters(source, since, until, entities=entity, author=author)
    try:
        hits = _searcher().search(
            query, mode=mode, top_k=top_k, filters=filters, group=not chunks, as_of=as_of
        )
    except Exception as exc:
        _fail(exc)
    return {"hits": [h.to_dict() for h in hits], "facets": facet_counts(hits)}


def _print_hits(body: dict[str, Any], query: str, mode: str) -> None:
    from rich.table import Table

    hits, facets = body["hits"], body.get("facets") or {}
    if not hits:
        # an empty table says less than a sentence: the relevance floor kept weak matches out
        out.print(
            f"No article matches {_esc(repr(query))} well enough ({mode}). "
            "[dim]Try other words, --mode keyword for exact terms, or a wider --since/--until.[/]"
        )
        return
    table = Table(title=f"{len(hits)} result(s) for {query!r} ({mode})", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("published")
    table.add_column("source")
    table.add_column("title / snippet")
    for i, h in enumerate(hits, 1):
        highlights = h.get("highlights") or []
        snippet = (
            " … ".join(map(highlight_markup, highlights)) if highlights else _esc((h["text"] or "")[:240])
        )
        copies = h.get("also_published_by") or []
        extra = f" (+{len(copies)} outlets)" if copies else ""
        table.add_row(
            str(i),
            _score(h["score"]),
            (h.get("published") or "")[:10],
            (h.get("source") or "") + extra,
            f"[bold]{_esc(h.get('title'))}[/]\n{snippet}",
        )
    out.print(table)
    if facets.get("entities"):
        named = ", ".join(f"{_esc(e['name'])} ({e['count']})" for e in facets["entities"])
        out.print(f"[dim]About:[/] {named}  [dim](narrow with --entity NAME)[/]")


def _score(score: float) -> str:
    """Three significant digits: fused hybrid scores are small (0.0164), and "0.000" says nothing."""
    return f"{score:.3g}" if 0 < abs(score) < 0.01 else f"{score:.3f}"


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text or "")


def highlight_markup(fragment: str) -> str:
    """An Elasticsearch highlight (HTML-encoded text, ``<mark>`` around matches) as rich markup.

    The highlighter encodes the text for a web page (``militants&#x27;``); a terminal wants the
    characters back, with the matches in bold and any ``[`` in the text kept literal.
    """
    import html
    import re

    parts = re.split(r"(</?mark>)", fragment)
    marked, pieces = False, []
    for part in parts:
        if part in ("<mark>", "</mark>"):
            marked = part == "<mark>"
            continue
        text = _esc(html.unescape(part))
        pieces.append(f"[bold yellow]{text}[/]" if marked and text else text)
    return "".join(pieces)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the news.")],
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50, help="Passages to read.")] = 10,
    mode: Annotated[Mode, typer.Option(help="How passages are retrieved.")] = "hybrid",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Answer as of this day (YYYY-MM-DD): nothing later.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Answer a question from the indexed articles, citing the sentences it answers from.

    Goes to the running newsdesk API (NEWSDESK_API_URL) when there is one, else runs here.
    """
    as_of_d = _parse_date(as_of, "as-of")
    result: dict[str, Any] | None = None
    base, why_not = _running_api()
    if base is not None:
        from search.client import ApiUnreachable, ask_via_api

        body = {"question": question, "top_k": top_k, "mode": mode, "as_of": as_of}
        try:
            result = ask_via_api(base, body, settings().search.api_timeout_s)
        except ApiUnreachable as exc:
            why_not = str(exc)
        except Exception as exc:
            _api_failed(exc)
    if result is None:
        result = _ask_here(question, top_k, mode, as_of_d)
        _said_in_process(why_not)
    if json_out:
        out.print_json(json.dumps(result, default=str))
        return
    _print_answer(result)


def _ask_here(question: str, top_k: int, mode: str, as_of: Any) -> dict[str, Any]:
    """The answer computed in this process: the same JSON object as ``POST /ask`` returns."""
    _require_index()
    from search.ask import answer_question
    from search.retrieval import build_filters

    try:
        result = answer_question(
            question, _searcher(), top_k=top_k, mode=mode, filters=build_filters(as_of=as_of)
        )
    except Exception as exc:
        _fail(exc)
    return json.loads(json.dumps(result.to_dict(), default=str))


def _print_answer(result: dict[str, Any]) -> None:
    if result["answered"]:
        when = f" (as of {result['as_of']})" if result.get("as_of") else ""
        kind = f" [dim]{result['answer_type']}[/]" if result.get("answer_type") else ""
        dated = f", {result['event_date']}" if result.get("event_date") else ""
        out.print(f"[bold]Answer{when}:[/] [bold cyan]{_esc(result['answer'])}[/]{kind}{dated}")
        if result.get("answer_type") and result.get("answer_sentence"):
            out.print(f"  [dim]{_esc(result['answer_sentence'])}[/]", highlight=False)
        out.print(f"confidence {result['confidence']:.2f}")
    else:
        out.print("[bold]No answer found[/] in the indexed articles; the closest passages:")
    for i, ev in enumerate(result["evidence"][:5], 1):
        out.print(
            f"  [{i}] {_marked_sentence(ev)}\n      — {_esc(ev['title'])} "
            f"({(ev.get('published') or '')[:10]}) {ev.get('url') or ev['doc_id']} "
            f"chars {ev['start']}-{ev['end']}",
            highlight=False,
        )
    if result.get("earlier"):
        out.print("[bold]Earlier reports said:[/]")
        for ev in result["earlier"]:
            out.print(f"  - ({(ev.get('published') or '')[:10]}) {_marked_sentence(ev)}", highlight=False)


def _marked_sentence(ev: dict[str, Any]) -> str:
    """The evidence sentence with the short answer in bold (escaped for rich markup)."""
    start, end = ev.get("answer_start"), ev.get("answer_end")
    if start is None or end is None:
        return _esc(ev["sentence"])
    a, b = start - ev["start"], end - ev["start"]
    s = ev["sentence"]
    if not (0 <= a < b <= len(s)):
        return _esc(s)
    return f"{_esc(s[:a])}[bold yellow]{_esc(s[a:b])}[/]{_esc(s[b:])}"


@app.command()
def clean(
    paths: Annotated[list[str], typer.Argument(help="Files or directories to clean.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON (JSON Lines for several).")] = False,
) -> None:
    """Clean inputs without indexing: show the text, metadata and what was removed.

    Bad inputs are reported on stderr with their reason and skipped; the exit code is 1 only when
    no input could be cleaned at all (so one broken file in a directory does not fail a script).
    Boilerplate learned by earlier ingestion runs ($NEWSDESK_DATA_DIR/boilerplate) is applied too,
    read-only, so this shows what ingestion would index.
    """
    from rich.markup import escape

    from ingest.cleaning import clean_record
    from ingest.learned import SourceProfiles
    from ingest.loaders import iter_records
    from ingest.models import IngestError

    profiles = SourceProfiles.load()
    cleaned = failed = 0
    for item in iter_records(paths):
        try:
            if isinstance(item, IngestError):
                raise item
            article = clean_record(item, profiles if profiles.profiles else None)
        except IngestError as exc:
            failed += 1
            where = f"{exc.origin}:{exc.record_no}" if exc.record_no is not None else exc.origin
            typer.echo(f"error: {where}: {exc.reason}", err=True)
            continue
        cleaned += 1
        removed = [{"rule": r.rule, "text": r.text, "start": r.start, "end": r.end} for r in article.removed]
        if json_out:
            doc = {
                "doc_id": article.doc_id,
                "path": item.where,
                "title": article.title,
                "text": article.text,
                "metadata": article.metadata_dict(),
                "removed": removed,
            }
            typer.echo(json.dumps(doc, ensure_ascii=False))
            continue
        meta = {k: v for k, v in article.metadata_dict().items() if v not in (None, [], "")}
        out.rule(escape(f"{article.title or article.doc_id}  [{item.where}]"), style="bold")
        out.print(
            json.dumps({"doc_id": article.doc_id, **meta}, ensure_ascii=False, indent=2),
            markup=False,
            soft_wrap=True,
        )
        out.print()
        out.print(article.text, markup=False, highlight=False, soft_wrap=True)
        out.print()
        out.print(f"Removed ({len(removed)}):", style="bold")
        for r in article.removed:
            moved = f" -> {r.moved_to}" if r.moved_to else ""
            snippet = r.text if len(r.text) <= 100 else r.text[:97] + "..."
            out.print(
                f"  [{r.start}:{r.end}] {r.rule}{moved}: {snippet}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    if not json_out or failed:
        # After everything on stdout, on a line of its own (the two streams often share a terminal).
        sys.stdout.flush()
        typer.echo(("" if json_out else "\n") + f"cleaned {cleaned}, failed {failed}", err=True)
    if cleaned == 0:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) and the web page at /."""
    import uvicorn

    from search.api import server_options

    out.print(f"newsdesk API on http://{host}:{port} (docs at /docs); index {settings().search.index!r}")
    uvicorn.run(
        "flows.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        **server_options(),
    )


# --------------------------------------------------------------------------------------------
# the running stack: up / down / status / worker / runs
# --------------------------------------------------------------------------------------------
def _stack(dask_workers: int | None = None):
    from flows.local_stack.stack import Stack

    return Stack(
        settings().search,
        say=lambda line: console.print(f"[dim]{_esc(line)}[/]", highlight=False),
        flow=settings().flow,
        dask_workers=dask_workers,
    )


def _print_status(services: list, json_out: bool) -> None:
    from rich.table import Table

    if json_out:
        ok = all(s.state in ("running", "external") for s in services)
        out.print_json(json.dumps({"ok": ok, "services": [s.to_dict() for s in services]}))
        return
    table = Table(title="newsdesk stack", show_header=True)
    table.add_column("service", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("url", no_wrap=True)
    table.add_column("pid", no_wrap=True)
    table.add_column("detail", overflow="fold")
    colour = {"running": "green", "external": "cyan", "starting": "yellow"}
    for s in services:
        state = f"[{colour.get(s.state, 'red')}]{s.state}[/]"
        table.add_row(s.name, state, s.url or "", str(s.pid or ""), _esc(s.detail))
    out.print(table)
    stack = _stack()
    for s in services:
        if s.state in ("down", "stopped") and s.managed:
            out.print(f"[red]{s.name} is {s.state}[/]; its log ({_esc(s.log or '')}) ends:", highlight=False)
            out.print(stack.log_tail(s.name, 8), markup=False, highlight=False)
            out.print("Start it with `newsdesk up` (it starts only what is not running).")


@app.command()
def up(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every service to answer.")] = 240.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    dask_workers: Annotated[
        int | None,
        typer.Option(
            "--dask-workers",
            min=0,
            max=256,
            help="Also run a Dask scheduler and this many Dask workers, and ingest on them "
            "(0: stop them; default: as the last `up`).",
        ),
    ] = None,
) -> None:
    """Start the local stack: Elasticsearch, Prefect server and UI, the API, the ingestion worker.

    Idempotent: what runs already is left alone. Logs go to NEWSDESK_DATA_DIR/logs.
    """
    from flows.local_stack.stack import StackError

    stack = _stack(dask_workers)
    try:
        services = stack.up(timeout_s=timeout)
    except StackError as exc:
        console.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        console.print("`newsdesk status` shows what runs; `newsdesk down` stops it.", markup=False)
        raise typer.Exit(1) from None
    _print_status(services, json_out)
    if not json_out:
        out.print(
            f"Prefect UI: {stack.prefect_url.removesuffix('/api')}   API and page: {stack.api_url}   "
            "Stop with `newsdesk down`.",
            highlight=False,
        )


@app.command()
def down(
    keep_es: Annotated[bool, typer.Option("--keep-es", help="Leave Elasticsearch running.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Stop the local stack newsdesk started (worker first; a run in progress resumes on `up`)."""
    services = _stack().down(keep_es=keep_es)
    if json_out:
        _print_status(services, json_out)
    else:
        out.print(
            "Stack stopped." if not any(s.managed and s.pid for s in services) else "Some pieces still run:"
        )


@app.command()
def status(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Each piece of the stack: state, URL, PID, health; for a piece that is down, its log tail."""
    services = _stack().status()
    _print_status(services, json_out)
    if not all(s.state in ("running", "external") for s in services):
        raise typer.Exit(1)


@app.command()
def worker(
    heartbeat_file: Annotated[
        str | None, typer.Option("--heartbeat-file", help="File touched on every poll (for `status`).")
    ] = None,
    poll: Annotated[float, typer.Option(help="Seconds between polls when idle.")] = 1.0,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            help="Run each flow's batches on this Dask scheduler's workers (default NEWSDESK_DASK_ADDRESS).",
        ),
    ] = None,
) -> None:
    """Serve the newsdesk-ingest deployment (and its schedules) from this process, model kept warm.

    Needs a Prefect server (PREFECT_API_URL, or the one `newsdesk up` starts).
    """
    from pathlib import Path

    from flows.worker import main as worker_main

    if _stack_prefect() is None:
        console.print(
            "No Prefect server answers: start the stack with `newsdesk up`, or set PREFECT_API_URL.",
            style="red",
            markup=False,
        )
        raise typer.Exit(1)
    worker_main(
        Path(heartbeat_file) if heartbeat_file else None,
        poll_s=poll,
        dask_address=dask or settings().flow.dask_address,
    )


@app.command()
def runs(
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many recent runs.")] = 20,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recent ingestion runs on the stack's Prefect server, newest first, with their counts."""
    from rich.table import Table

    from search.prefect_runs import PrefectRuns

    url = _stack_prefect()
    if url is None:
        console.print(
            "No Prefect server answers, so there is no run history: `newsdesk up` keeps one.",
            style="red",
            markup=False,
        )
        raise typer.Exit(1)
    with PrefectRuns(url) as client:
        recent = client.recent(limit)
    if json_out:
        out.print_json(json.dumps({"runs": recent}))
        return
    table = Table(title=f"Ingestion runs on {url.removesuffix('/api')}", show_header=True)
    for col in ("run", "state", "started (UTC)"):
        table.add_column(col, no_wrap=True)
    for col in ("seen", "new", "updated", "unchanged", "quarantined", "chunks"):
        table.add_column(col, justify="right")
    for r in recent:
        rep = r.get("report") or {}
        table.add_row(
            r["name"] or r["flow_run_id"][:8],
            r["state_name"] or "",
            (r["start_time"] or r["expected_start_time"] or "")[5:19].replace("T", " "),
            *(
                str(rep.get(k, ""))
                for k in ("seen", "new", "updated", "unchanged", "quarantined", "chunks_written")
            ),
        )
    out.print(table)


@app.command()
def reindex(
    index: Annotated[str | None, typer.Option(help="Alias to rebuild (default NEWSDESK_INDEX).")] = None,
    replicas: Annotated[int, typer.Option(min=0, help="Replicas of the new indices.")] = 0,
    shards: Annotated[int, typer.Option(min=1, help="Primary shards of the new indices.")] = 1,
) -> None:
    """Rebuild the indices with the current mapping behind their aliases, without downtime."""
    from search.embedding import model_dims
    from search.preflight import require_index
    from search.store import make_client
    from search.store import reindex as do_reindex

    s = Settings.load({"index": index}).search if index else settings().search
    try:
        require_index(s)
        with console.status(f"Re-indexing {s.index} ..."):
            report = do_reindex(make_client(s), s.index, model_dims(s), shards=shards, replicas=replicas)
    except Exception as exc:
        _fail(exc)
    for name, r in report.items():
        out.print(f"{name}: {r['from']} → {r['to']} ({r['documents']} documents), alias swapped")


# --------------------------------------------------------------------------------------------
# schedule
# --------------------------------------------------------------------------------------------
def _schedule_settings(sources: list[str] | None, cron: str | None, name: str | None, no_embed: bool):
    overrides: dict = {}
    if sources:
        overrides["sources"] = sources
    if cron:
        overrides["cron"] = cron
    if name:
        overrides["name"] = name
    if no_embed:
        overrides["embed"] = False
    from flows.settings import ScheduleSettings

    return ScheduleSettings.model_validate({**settings().schedule.model_dump(), **overrides})


SourcesArg = Annotated[
    list[str] | None, typer.Argument(help="Sources (default NEWSDESK_SCHEDULE_SOURCES, comma-separated).")
]
CronOpt = Annotated[str | None, typer.Option(help="Cron expression (default NEWSDESK_SCHEDULE_CRON).")]
NameOpt = Annotated[str | None, typer.Option(help="Deployment name (default NEWSDESK_SCHEDULE_NAME).")]
NoEmbedOpt = Annotated[bool, typer.Option("--no-embed", help="Scheduled runs skip embeddings.")]


@schedule_app.command("create")
def schedule_create(
    sources: SourcesArg = None, cron: CronOpt = None, name: NameOpt = None, no_embed: NoEmbedOpt = False
) -> None:
    """Register the scheduled ingestion deployment on the Prefect server (PREFECT_API_URL)."""
    _stack_prefect()  # the running stack's server, when PREFECT_API_URL is unset
    from flows.deployments import create_deployment

    s = _schedule_settings(sources, cron, name, no_embed)
    try:
        dep_id = create_deployment(s)
    except ValueError as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from exc
    out.print(
        f"Deployment newsdesk-ingest/{s.name} ({dep_id}): cron {s.cron!r} {s.timezone}, sources {s.sources}"
    )
    out.print("Runs execute while a worker runs: the stack's (`newsdesk up`), or `newsdesk schedule serve`.")


@schedule_app.command("serve")
def schedule_serve(
    sources: SourcesArg = None, cron: CronOpt = None, name: NameOpt = None, no_embed: NoEmbedOpt = False
) -> None:
    """Create the deployment and execute its scheduled runs until stopped (the worker process)."""
    from flows.deployments import serve_deployment

    s = _schedule_settings(sources, cron, name, no_embed)
    try:
        serve_deployment(s)
    except ValueError as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from exc


@schedule_app.command("list")
def schedule_list(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List ingestion deployments and their schedules."""
    _stack_prefect()  # the running stack's server, when PREFECT_API_URL is unset
    from flows.deployments import list_deployments

    try:
        deps = list_deployments()
    except ValueError as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from exc
    if json_out:
        out.print_json(json.dumps(deps))
        return
    if not deps:
        out.print("No scheduled ingestion yet: `newsdesk schedule create SOURCES --cron '0 * * * *'`.")
    for d in deps:
        crons = ", ".join(f"{x['cron']} ({x['timezone']})" for x in d["schedules"]) or "no schedule"
        out.print(
            f"newsdesk-ingest/{d['name']}: {crons}; paths {d['parameters'].get('paths')}", highlight=False
        )


@schedule_app.command("run")
def schedule_run(
    name: NameOpt = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the run to finish (0: don't).")] = 0,
) -> None:
    """Trigger one run of the scheduled deployment now."""
    _stack_prefect()  # the running stack's server, when PREFECT_API_URL is unset
    from flows.deployments import run_now

    try:
        res = run_now(name or settings().schedule.name, timeout_s=wait or 0)
    except ValueError as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from exc
    out.print(f"flow run {res['flow_run_id']}: {res['state']}")


# --------------------------------------------------------------------------------------------
# quarantine
# --------------------------------------------------------------------------------------------
def _quarantine():
    from flows.quarantine import Quarantine

    return Quarantine(settings().ingest.data_dir / "quarantine")


@quarantine_app.command("list")
def quarantine_list(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Rejected inputs (newest per input), with stage and reason."""
    from dataclasses import asdict

    entries = _quarantine().entries()
    if json_out:
        out.print_json(json.dumps([asdict(e) for e in entries]))
        return
    if not entries:
        out.print("Quarantine is empty.")
        return
    from rich.table import Table

    table = Table(title=f"{len(entries)} quarantined input(s)")
    for col in ("input", "stage", "reason", "when"):
        table.add_column(col)
    for e in entries:
        table.add_row(_esc(e.where), e.stage, _esc(e.reason), e.at)
    out.print(table)


@quarantine_app.command("clear")
def quarantine_clear(
    origins: Annotated[
        list[str] | None, typer.Argument(help="Only these files or URLs (default: every entry).")
    ] = None,
) -> None:
    """Remove entries from the list without re-ingesting (inputs given up on or fixed by hand)."""
    n = _quarantine().clear_all(origins or ())
    out.print(f"Cleared {n} quarantined input(s).")


@quarantine_app.command("retry")
def quarantine_retry(
    no_embed: Annotated[bool, typer.Option("--no-embed", help="Skip embeddings.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
) -> None:
    """Re-ingest the files and URLs that hold quarantined inputs (idempotent: good ones are unchanged)."""
    origins = sorted({e.origin for e in _quarantine().entries()})
    if not origins:
        out.print("Quarantine is empty: nothing to retry.")
        return
    ingest(origins, source=None, no_embed=no_embed, batch_size=64, index=None, json_out=json_out)


# --------------------------------------------------------------------------------------------
# alerts, takedowns, the archive overview, MCP
# --------------------------------------------------------------------------------------------
def _es_client():
    """The Elasticsearch client of this command's settings, after a quick check that it answers."""
    from search.preflight import require_elasticsearch
    from search.store import make_client

    s = settings().search
    try:
        require_elasticsearch(s)
    except Exception as exc:
        _fail(exc)
    return make_client(s)


def _alerts():
    from search.alerts import Alerts

    return Alerts(_es_client(), settings().search)


@alert_app.command("add")
def alert_add(
    name: Annotated[str, typer.Argument(help="A name: letters, digits, '.', '_' or '-'.")],
    query: Annotated[str, typer.Argument(help="Words, as for `newsdesk search --mode keyword`.")],
    source: Annotated[str | None, typer.Option(help="Only articles of this source.")] = None,
    entity: Annotated[
        list[str] | None, typer.Option("--entity", help="Only articles tagged with this entity (repeatable).")
    ] = None,
    webhook: Annotated[
        str | None, typer.Option(help="http(s) URL that gets one POST per run with the run's matches.")
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace an alert of the same name.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Save a search: every later ingestion run matches its new and changed articles against it."""
    from search.alerts import Alert, AlertError

    alert = Alert(name, query, source=source, entities=list(entity or []), webhook=webhook)
    try:
        saved = _alerts().add(alert, allow_private_urls=settings().fetch.allow_private_urls, replace=replace)
    except AlertError as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if json_out:
        out.print_json(json.dumps(saved.to_dict()))
        return
    out.print(f"Alert {saved.name!r} saved: it watches every ingestion run from now on.", highlight=False)


@alert_app.command("list")
def alert_list(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Saved alerts (webhooks shown by host only: their URLs often carry a token)."""
    alerts = _alerts().list()
    if json_out:
        out.print_json(json.dumps({"alerts": [a.to_dict() for a in alerts]}))
        return
    if not alerts:
        out.print('No alerts yet: `newsdesk alert add NAME "QUERY"`.')
        return
    from rich.table import Table

    table = Table(title=f"{len(alerts)} alert(s)")
    for col in ("name", "query", "source", "entities", "webhook", "created"):
        table.add_column(col)
    for a in alerts:
        d = a.to_dict()
        table.add_row(
            _esc(a.name), _esc(a.query), _esc(a.source or ""), _esc(", ".join(a.entities)),
            _esc(d["webhook"] or ""), a.created_at,
        )  # fmt: skip
    out.print(table)


@alert_app.command("remove")
def alert_remove(name: Annotated[str, typer.Argument(help="The alert's name.")]) -> None:
    """Delete an alert and its recorded matches."""
    if not _alerts().remove(name):
        console.print(f"No alert named {name!r}.", style="red", markup=False)
        raise typer.Exit(1)
    out.print(f"Alert {name!r} removed.", highlight=False)


@alert_app.command("matches")
def alert_matches(
    name: Annotated[str, typer.Argument(help="The alert's name.")],
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
    run: Annotated[str | None, typer.Option("--run", help="Only this ingestion run's matches.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Articles the alert matched, newest first, with the run that matched each."""
    alerts = _alerts()
    if alerts.get(name) is None:
        console.print(f"No alert named {name!r}.", style="red", markup=False)
        raise typer.Exit(1)
    matches = alerts.matches(name, limit=limit, run_id=run)
    if json_out:
        out.print_json(json.dumps({"alert": name, "matches": matches}))
        return
    if not matches:
        out.print(f"Alert {name!r} has matched nothing yet.", highlight=False)
        return
    from rich.table import Table

    table = Table(title=f"{len(matches)} match(es) of {name!r}")
    for col in ("matched (UTC)", "published", "source", "title", "doc_id"):
        table.add_column(col)
    for m in matches:
        when = (m["matched_at"] or "")[:19].replace("T", " ")
        table.add_row(
            when,
            (m["published"] or "")[:10],
            _esc(m["source"] or ""),
            _esc(m["title"] or ""),
            _esc(m["doc_id"]),
        )
    out.print(table)


@app.command()
def delete(
    doc_ids: Annotated[list[str] | None, typer.Argument(help="Articles to take down, by doc_id.")] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the tombstone).")] = "",
    undo: Annotated[
        bool, typer.Option("--undo", help="Lift the takedowns of these doc_ids (and of their copies).")
    ] = False,
    source: Annotated[str | None, typer.Option(help="Retention: every article of this source.")] = None,
    before: Annotated[
        str | None, typer.Option(help="Retention: articles published before this day (YYYY-MM-DD).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Delete by --source/--before without asking.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Take articles down: record, chunks, copies and alert matches go; a tombstone keeps them out.

    A later ingestion of the same doc_id, URL or text is skipped and counted as `suppressed`.
    `--undo` lifts it (re-ingest the source to bring the article back). `--source`/`--before`
    select by source and publication date for retention policies: `--dry-run` counts them; the
    deletion itself needs `--yes` (or a confirmation at a terminal); without either it only counts
    and exits 1, so a script that forgot `--yes` notices.
    """
    ids = list(doc_ids or [])
    selecting = source is not None or before is not None
    if (not ids and not selecting) or (ids and selecting):
        console.print(
            "Give doc_ids, or --source/--before for a retention deletion (not both).",
            style="red",
            markup=False,
        )
        raise typer.Exit(2)
    if undo and (selecting or dry_run):
        console.print("--undo takes doc_ids only.", style="red", markup=False)
        raise typer.Exit(2)
    before_d = _parse_date(before, "before")
    client = _es_client()
    index = settings().search.index
    if undo:
        _undo(client, index, ids, json_out)
    elif selecting:
        _delete_retention(client, index, source, before_d, reason, dry_run, yes, json_out)
    else:
        _delete_ids(client, index, ids, reason, dry_run, json_out)


def _delete_ids(client: Any, index: str, ids: list[str], reason: str, dry_run: bool, json_out: bool) -> None:
    from search.store import articles_alias
    from search.takedowns import delete_documents

    if dry_run:
        docs = client.mget(index=articles_alias(index), ids=ids, source=False)["docs"]
        found = [d["_id"] for d in docs if d.get("found")]
        body = {"dry_run": True, "would_delete": found, "not_found": [d for d in ids if d not in found]}
        if json_out:
            out.print_json(json.dumps(body))
        else:
            out.print(f"Would take down {found or 'nothing'}; not found: {body['not_found'] or 'none'}.")
        return
    report = delete_documents(client, index, ids, reason)
    if json_out:
        out.print_json(json.dumps(report.to_dict()))
    else:
        out.print(
            f"Took down {len(report.deleted)} article(s) and {len(report.copies_deleted)} copy record(s): "
            f"{report.chunks_deleted} chunks, {report.matches_deleted} alert matches deleted; tombstoned, so "
            "re-ingesting them is skipped (`newsdesk delete --undo DOC_ID` lifts that).",
            highlight=False,
        )
    for doc_id in report.not_found:
        console.print(f"No article {doc_id!r} in {index!r}: nothing done for it.", style="red", markup=False)
    if report.not_found:
        raise typer.Exit(1)


def _delete_retention(
    client: Any,
    index: str,
    source: str | None,
    before: Any,
    reason: str,
    dry_run: bool,
    yes: bool,
    json_out: bool,
) -> None:
    from search.takedowns import delete_retention, retention_count

    counted = retention_count(client, index, source, before)
    parts = [f"source {source!r}" if source else "", f"published before {before}" if before else ""]
    what = " and ".join(p for p in parts if p)
    summary = f"{counted['articles']} article record(s) ({counted['chunks']} chunks) of {what}"
    if dry_run or not counted["articles"]:
        if json_out:
            out.print_json(json.dumps({"dry_run": True, **counted}))
        else:
            out.print(f"Would delete {summary}.", highlight=False)
        return
    if not yes:
        if not sys.stdin.isatty():
            console.print(f"Would delete {summary}; nothing deleted: pass --yes to delete.", markup=False)
            raise typer.Exit(1)
        if not typer.confirm(f"Delete {summary}?", default=False):
            raise typer.Exit(1)
    report = delete_retention(client, index, source, before, reason)
    if json_out:
        out.print_json(json.dumps(report.to_dict()))
        return
    out.print(
        f"Deleted {len(report.deleted)} article(s) and {len(report.copies_deleted)} copy record(s) "
        f"({report.chunks_deleted} chunks), each tombstoned.",
        highlight=False,
    )


def _undo(client: Any, index: str, ids: list[str], json_out: bool) -> None:
    from search.takedowns import lift

    lifted = lift(client, index, ids)
    missing = [d for d in ids if d not in {s["doc_id"] for s in lifted}]
    if json_out:
        out.print_json(json.dumps({"lifted": lifted, "not_found": missing}))
    else:
        for stone in lifted:
            origin = f"; re-ingest {stone['origin']} to bring it back" if stone.get("origin") else ""
            out.print(f"Lifted the takedown of {stone['doc_id']}{origin}.", highlight=False)
    for doc_id in missing:
        console.print(f"No takedown of {doc_id!r}.", style="red", markup=False)
    if missing:
        raise typer.Exit(1)


@app.command()
def stats(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """What the archive holds: articles and chunks per source, dates, copies, takedowns, sizes, runs."""
    from flows.overview import overview_extras
    from search.stats import archive_stats

    client = _es_client()
    s = settings()
    body = archive_stats(client, s.search.index, extras=lambda: overview_extras(s))
    if json_out:
        out.print_json(json.dumps(body))
        return
    _print_stats(body)


def _print_stats(body: dict[str, Any]) -> None:
    from rich.table import Table

    t = body["totals"]
    out.print(
        f"[bold]{body['index']}[/]: {t['articles']} articles ({t['duplicates']} wire copies folded in), "
        f"{t['chunks']} chunks from {t['sources']} source(s), published {t['first_published'] or '?'} to "
        f"{t['last_published'] or '?'}; {t['tombstones']} takedown(s), {t['alerts']} alert(s) with "
        f"{t['alert_matches']} match(es); {body['index_bytes']['total'] / 1e6:.1f} MB on disk; "
        f"{body['quarantined']} quarantined input(s).",
        highlight=False,
    )
    table = Table(title="Sources")
    for col in ("source", "articles", "copies", "chunks", "first", "last"):
        table.add_column(col, justify="right" if col in ("articles", "copies", "chunks") else "left")
    for r in body["sources"][:30]:
        table.add_row(
            _esc(r["source"]), str(r["articles"]), str(r["duplicates"]), str(r["chunks"]),
            r["first_published"] or "", r["last_published"] or "",
        )  # fmt: skip
    if len(body["sources"]) > 30 or body["other_sources"]:
        out.print(
            f"(first 30 of {len(body['sources']) + body['other_sources']} sources; --json has them all)"
        )
    out.print(table)
    runs = body.get("runs") or {}
    if runs.get("available"):
        for r in runs["recent"]:
            counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items())
            out.print(f"run {r['name'] or r['flow_run_id']}: {r['state']} {r['start_time'] or ''} {counts}")
    else:
        out.print("[dim]No Prefect server answers: no run history (`newsdesk up` keeps one).[/]")


@app.command()
def mcp() -> None:
    """Serve newsdesk's search, ask and get_document to an MCP client over stdio.

    Point an assistant's MCP configuration at this command (with NEWSDESK_ES_URL and
    NEWSDESK_INDEX in its environment); `newsdesk serve` offers the same tools over streamable
    HTTP at /mcp.
    """
    from search.mcp_server import build_mcp_server

    searcher: list[Any] = []

    def get_searcher() -> Any:
        if not searcher:  # at the first tool call: the client's handshake does not wait for Haystack
            from search.retrieval import Searcher

            searcher.append(Searcher(settings().search))
        return searcher[0]

    build_mcp_server(get_searcher).run("stdio")


def main(argv: list[str] | None = None) -> None:
    """The console script: runs the typer app and turns any escaped exception into one line."""
    try:
        app(sys.argv[1:] if argv is None else argv, prog_name="newsdesk")
    except SystemExit:
        raise
    except Exception as exc:
        try:
            _fail(exc)
        except typer.Exit as done:
            sys.exit(done.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
