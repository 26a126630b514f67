"""Rejected inputs, kept with their reason where a user can list and retry them.

One JSON Lines file per run under ``$NEWSDESK_DATA_DIR/quarantine/``; an entry is identified by
``(origin, record_no)`` so re-running the same bad input does not pile up copies, and a later
successful ingestion of that input clears it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class QuarantineEntry:
    origin: str
    record_no: int | None
    reason: str
    stage: str  # load | clean | index
    run_id: str = ""
    doc_id: str | None = None
    at: str = ""

    @property
    def key(self) -> str:
        return hashlib.sha1(f"{self.origin}\x1f{self.record_no}".encode()).hexdigest()[:16]

    @property
    def where(self) -> str:
        return f"{self.origin}:{self.record_no}" if self.record_no is not None else self.origin


def _absolute(origin: str) -> str:
    """Local paths as absolute paths, so ``inbox/a.txt`` and ``/srv/inbox/a.txt`` are one input.

    Why: an input quarantined when given as a relative path never left the list when it later
    ingested under its absolute path (or from another directory), and ``retry`` from another
    directory could not find it. URLs and pseudo-origins (``<text>``) stay as they are.
    """
    if "://" in origin or origin.startswith("<"):
        return origin
    return os.path.abspath(origin)


class Quarantine:
    """The store of rejected inputs: a directory of append-only JSON Lines files plus a tombstone file."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)

    def add(self, entries: Iterable[QuarantineEntry], run_id: str) -> int:
        entries = list(entries)
        if not entries:
            return 0
        self.dir.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with open(self.dir / f"run-{run_id}.jsonl", "a", encoding="utf-8") as fh:
            for e in entries:
                e.origin = _absolute(e.origin)
                e.run_id = e.run_id or run_id
                e.at = e.at or now
                fh.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return len(entries)

    def entries(self) -> list[QuarantineEntry]:
        """Current entries: the newest per input, minus inputs since ingested successfully."""
        latest: dict[str, QuarantineEntry] = {}
        for entry in self._read_all():
            latest[entry.key] = entry
        cleared = self._cleared()
        return [e for k, e in latest.items() if cleared.get(k, "") < e.at]

    def clear(self, origins_and_records: Iterable[tuple[str, int | None]]) -> None:
        """Mark inputs as ingested successfully (they leave the list)."""
        keys = [QuarantineEntry(_absolute(o), r, "", "").key for o, r in origins_and_records]
        if not keys:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with open(self.dir / "cleared.jsonl", "a", encoding="utf-8") as fh:
            for k in keys:
                fh.write(json.dumps({"key": k, "at": now}) + "\n")

    def clear_all(self, origins: Iterable[str] = ()) -> int:
        """Drop current entries (all, or those of these files/URLs) from the list; returns how many.

        For inputs a user has given up on or fixed by hand; the runs' files stay (the history).
        """
        wanted = {_absolute(o) for o in origins}
        gone = [e for e in self.entries() if not wanted or e.origin in wanted]
        self.clear((e.origin, e.record_no) for e in gone)
        return len(gone)

    def _read_all(self) -> Iterator[QuarantineEntry]:
        if not self.dir.is_dir():
            return
        for path in sorted(self.dir.glob("run-*.jsonl"), key=lambda p: p.stat().st_mtime):
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        yield QuarantineEntry(**json.loads(line))
                    except (ValueError, TypeError):
                        continue  # a torn last line from a killed run

    def _cleared(self) -> dict[str, str]:
        path = self.dir / "cleared.jsonl"
        out: dict[str, str] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                out[rec["key"]] = max(out.get(rec["key"], ""), rec["at"])
        return out
