"""Shared plumbing for the issue-7 benchmarks: machine facts, versions, corpus samples, one Prefect
server per bench process, a plain-text table printer and the JSON result writer.

Not a benchmark itself; every ``bench/bench_*.py`` imports it.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
import os
import platform
import resource
import shlex
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

# Every bench script imports this module before Prefect, Haystack or torch: quiet defaults, and
# the product's own offline, telemetry-free environment (``ingest/__init__``), so a Prefect server
# started here sends no analytics either.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import ingest  # noqa: E402, F401  (pins HF offline, Prefect/Haystack telemetry off)

SHARED_DATA = REPO.parent / "shared" / "data"
SCRAPED = SHARED_DATA / "scraped_news_2023_2024.jsonl.gz"
REUTERS = SHARED_DATA / "reuters21578.jsonl.gz"
QUIZ = SHARED_DATA / "news_quiz_questions_2023_2024.jsonl"
RESULTS = REPO / "bench" / "results"

VERSION_PACKAGES = (
    "elasticsearch",
    "elasticsearch-haystack",
    "haystack-ai",
    "prefect",
    "sentence-transformers",
    "sentence-transformers-haystack",
    "torch",
    "transformers",
    "fastapi",
    "uvicorn",
)


def machine() -> dict[str, Any]:
    """Cores, CPU model and load average now (the machine is shared: context for wall times)."""
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    mem_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_gb = round(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024, 1)
    return {
        "cpu_model": cpu_model or platform.processor(),
        "cpus_usable": usable,
        "cpus_host": os.cpu_count(),
        "mem_gb": mem_gb,
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def versions(extra: Iterable[str] = ()) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in (*VERSION_PACKAGES, *extra):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def es_version(client: Any) -> str | None:
    # GET / answers 405 on the Maven integ-test build (no rest-root module): ask the node instead
    try:
        nodes = client.nodes.info(node_id="_local", metric="_none")["nodes"]
        return next(iter(nodes.values()))["version"]
    except Exception:
        return None


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv])


# ---------------------------------------------------------------------------------------------
# corpora
# ---------------------------------------------------------------------------------------------
def open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open_text(path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def write_sample(paths: list[Path], n: int | None, out: Path) -> int:
    """The first ``n`` records (all when None) of the corpora, in order, as one JSONL file."""
    written = 0
    with out.open("w", encoding="utf-8") as f:
        records = itertools.chain.from_iterable(iter_jsonl(p) for p in paths)
        for rec in itertools.islice(records, n):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            written += 1
    return written


FIXTURE_ARTICLES = REPO / "tests" / "fixtures" / "cleaning_labels"


def smoke_sample(n: int, out: Path) -> int:
    """``n`` scraped articles for smoke runs: from the shared corpus when present, else rebuilt from the
    hand-labelled scraped articles committed under tests/fixtures (so CI runs without ../shared)."""
    if SCRAPED.exists():
        return write_sample([SCRAPED], n, out)
    written = 0
    with out.open("w", encoding="utf-8") as f:
        for path in sorted(FIXTURE_ARTICLES.glob("rt-*.json"))[:n]:
            d = json.loads(path.read_text(encoding="utf-8"))
            lines = d.get("lines") or []
            if isinstance(lines, str):
                import ast

                lines = ast.literal_eval(lines)
            text = "\n".join(x["text"] if isinstance(x, dict) else str(x) for x in lines)
            rec = {k: d.get(k) for k in ("id", "url", "title", "publish_date")}
            f.write(json.dumps({**rec, "text": text}, ensure_ascii=False) + "\n")
            written += 1
    return written


def smoke_questions(sample: Path, n: int) -> list[dict[str, Any]]:
    """Quiz questions when the quiz file is present, else each sample article's title as the
    question and its answer (smoke runs check the script, not the numbers)."""
    out = []
    if QUIZ.exists():
        for rec in iter_jsonl(QUIZ):
            answers = rec.get("answer_text") or []
            out.append({"id": rec.get("question_id"), "question": rec["question"], "answer_text": answers})
            if len(out) >= n:
                return out
    for rec in iter_jsonl(sample):
        if rec.get("title"):
            out.append({"id": rec.get("id"), "question": rec["title"], "answer_text": [rec["title"]]})
    return out[:n]


def require(path: Path) -> None:
    if not path.exists():
        sys.exit(f"corpus not found: {path} (see ../shared/data/README.md)")


# ---------------------------------------------------------------------------------------------
# Prefect: one API server for the whole bench
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def prefect_server() -> Iterator[dict[str, Any]]:
    """Use ``PREFECT_API_URL`` when set; else start one temporary server (SQLite) for this process.

    Yields ``{"api_url", "startup_s"}``. Without it every flow run would start its own temporary
    server (10-20 s here), which is not what a deployment pays per run.
    """
    if os.environ.get("PREFECT_API_URL"):
        yield {"api_url": os.environ["PREFECT_API_URL"], "startup_s": 0.0, "external": True}
        return
    import prefect.settings
    from prefect.testing.utilities import prefect_test_harness

    t0 = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=180):
        info = {
            "api_url": prefect.settings.PREFECT_API_URL.value(),
            "startup_s": round(time.perf_counter() - t0, 2),
            "external": False,
        }
        yield info


def cpu_seconds_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------------------------
def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """Plain-text table (the smoke test looks for the title line)."""

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
        return "" if v is None else str(v)

    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print(f"\n== {title} ==")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print(
            "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True)))
        )
    sys.stdout.flush()


def write_result(name: str, report: dict[str, Any], smoke: bool, out: Path | None = None) -> Path:
    path = out or RESULTS / (f"{name}.smoke.json" if smoke else f"{name}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "smoke": smoke,
        "command": command_line(),
        **report,
    }
    report.setdefault("machine", machine())
    report["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {path}")
    return path


def ratio(a: float | None, b: float | None) -> float | None:
    if not a or not b:
        return None
    return round(a / b, 3)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]
