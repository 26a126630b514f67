"""Load scraped inputs into ``RawRecord``s, one bad file or line at a time never stopping a run.

Supported: ``.txt`` (first non-empty line is the title), ``.html``/``.htm``, ``.json`` (one record or
a list of records), ``.jsonl``/``.ndjson`` and their ``.gz`` forms (one record per line), whole
directories (recursively) and glob patterns.

Why the shape: the ingestion flow needs to quarantine bad inputs *with their reason* and carry on,
so :func:`iter_records` yields an :class:`IngestError` in place of each bad document instead of
raising. Multi-record files are streamed line by line: a 50 MB or 15k-line file never sits in memory
beyond one record. Text encodings are detected (UTF-8/BOMs first, else charset-normalizer), never
assumed.
"""

from __future__ import annotations

import errno
import glob
import gzip
import json
import os
import re
import stat
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from charset_normalizer import from_bytes

from ingest.models import IngestError, RawRecord
from ingest.settings import IngestSettings

TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
JSON_SUFFIXES = (".json",)
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSON_SUFFIXES + JSONL_SUFFIXES

_DATE_FIELDS = ("publish_date", "published", "date")
_UPDATED_FIELDS = ("updated", "modified", "date_modified", "dateModified", "last_modified", "updated_at")
_KNOWN_FIELDS = {"id", "url", "title", "text", "html", "authors", "source", *_DATE_FIELDS, *_UPDATED_FIELDS}
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_READ_CHUNK = 1 << 16
# A record id is its doc_id; chunk ids append "#NNNN", and Elasticsearch caps ids at 512 bytes.
MAX_ID_BYTES = 500


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
class AllowedRoots:
    """Directories a caller may read from (the API's ``NEWSDESK_INGEST_ROOTS``).

    A path is inside when its *resolved* form is: symlinks, ``..`` components and symlinked
    directories are followed before the check, so a link inside a root cannot reach a file outside.
    """

    def __init__(self, roots: Iterable[str | Path]):
        self.roots = [Path(r).expanduser().resolve() for r in roots]

    def allows(self, path: str | Path) -> bool:
        try:
            real = Path(path).expanduser().resolve()
        except (OSError, RuntimeError):  # a symlink loop, an unreadable component
            return False
        return any(real.is_relative_to(root) for root in self.roots)

    def refusal(self, origin: str) -> IngestError:
        return IngestError(
            "outside the allowed ingest roots (NEWSDESK_INGEST_ROOTS), after resolving links: not read",
            origin=origin,
        )


def iter_records(
    paths: Iterable[str | Path],
    source: str | None = None,
    *,
    settings: IngestSettings | None = None,
    roots: AllowedRoots | None = None,
) -> Iterator[RawRecord | IngestError]:
    """Yield every record found under ``paths``, or an ``IngestError`` for each one that is bad.

    ``source`` is the default source name for records that carry none (a record's own ``source``
    field wins). Errors carry ``origin`` (the file) and ``record_no`` (1-based line/record number for
    multi-record files) so the quarantine can point at the exact input. With ``roots``, every file
    outside them (after resolving links, and again on the opened file) is refused, not read.
    """
    settings = settings or IngestSettings()
    for item in expand_paths(paths, roots=roots):
        if isinstance(item, IngestError):
            yield item
            continue
        yield from load_file(item, source, settings=settings, roots=roots)


def expand_paths(
    paths: Iterable[str | Path], roots: AllowedRoots | None = None
) -> Iterator[Path | IngestError]:
    """Files named by ``paths``: files as given, directories walked recursively, globs expanded.

    Directory walks pick only supported file types and skip hidden entries; an explicitly named file
    of an unsupported type is reported (the user asked for it, so say why it was not read). With
    ``roots``, each file found is checked after resolving links; those outside are reported.
    """
    for item in _expand(paths):
        if roots is not None and isinstance(item, Path) and not roots.allows(item):
            yield roots.refusal(str(item))
            continue
        yield item


def _expand(paths: Iterable[str | Path]) -> Iterator[Path | IngestError]:
    for raw in paths:
        text = str(raw)
        if text.startswith(("http://", "https://")):
            yield IngestError("URLs are fetched by the ingestion flow, not by the file loader", origin=text)
            continue
        path = Path(text).expanduser()
        if path.is_dir():
            found = False
            for file in _walk(path):
                found = True
                yield file
            if not found:
                yield IngestError("directory holds no supported files", origin=text)
        elif path.is_file():
            yield path
        elif is_glob(text):
            matches = sorted(glob.glob(os.path.expanduser(text), recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file() and _supported(Path(m))]
            if not files:
                yield IngestError("no supported files match this pattern", origin=text)
            yield from files
        else:
            yield IngestError("no such file or directory", origin=text)


def is_glob(text: str) -> bool:
    """A path pattern the loader expands ("data/*.jsonl"), not a file name."""
    return any(ch in text for ch in "*?[")


def open_input(path: Path, roots: AllowedRoots | None = None) -> IO[bytes]:
    """Open ``path`` for reading as a regular file, re-checking ``roots`` on what was opened.

    Why not ``open(path)``: a FIFO or device would block or never end (a hang), and a file checked
    against the roots can be swapped for a symlink before it is opened. Here the final component
    is opened without following links, without blocking, and the opened descriptor's real path
    (``/proc/self/fd``) must still be inside the roots. Raises ``IngestError`` with the reason.
    """
    origin = str(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    target = path
    if roots is not None:
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise IngestError(
                f"cannot read file: {getattr(exc, 'strerror', None) or exc}", origin=origin
            ) from exc
        if not roots.allows(target):
            raise roots.refusal(origin)
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        if roots is not None and exc.errno == errno.ELOOP:
            raise IngestError(
                "the file was replaced by a link while being read: not read", origin=origin
            ) from exc
        raise IngestError(f"cannot read file: {exc.strerror or exc}", origin=origin) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IngestError("not a regular file (a pipe, device or socket): not read", origin=origin)
        if roots is not None:
            real = _opened_path(fd)
            if real is not None and not roots.allows(real):
                raise roots.refusal(origin)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _opened_path(fd: int) -> str | None:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # no /proc (not Linux): the O_NOFOLLOW open of the resolved path stands
        return None


def load_file(
    path: Path,
    source: str | None = None,
    *,
    settings: IngestSettings | None = None,
    roots: AllowedRoots | None = None,
) -> Iterator[RawRecord | IngestError]:
    """Records of one file (see module docstring for the formats)."""
    settings = settings or IngestSettings()
    origin = str(path)
    name = path.name.lower()
    try:
        if name.endswith(JSONL_SUFFIXES):
            yield from _load_jsonl(path, source, settings, roots)
            return
        if not name.endswith(TEXT_SUFFIXES + HTML_SUFFIXES + JSON_SUFFIXES):
            yield IngestError(
                f"unsupported file type {path.suffix or '(none)'}; expected one of "
                + ", ".join(SUPPORTED_SUFFIXES),
                origin=origin,
            )
            return
        with open_input(path, roots) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > settings.max_document_bytes:
                yield IngestError(
                    f"document is {size:,} bytes, over the limit of {settings.max_document_bytes:,} "
                    "(NEWSDESK_MAX_DOCUMENT_BYTES)",
                    origin=origin,
                )
                return
            data = fh.read(settings.max_document_bytes + 1)
    except IngestError as exc:
        yield exc
        return
    except OSError as exc:
        yield IngestError(f"cannot read file: {exc.strerror or exc}", origin=origin)
        return
    try:
        for record in records_from_bytes(data, origin, name, source):
            if isinstance(record, RawRecord) and record.record_no is None:
                record.file_path = str(path.resolve())
            yield record
    except IngestError as exc:
        yield exc


def records_from_bytes(
    data: bytes, origin: str, filename: str, source: str | None = None
) -> Iterator[RawRecord | IngestError]:
    """Records from one in-memory document (a file's bytes, or a page fetched from a URL).

    ``filename`` only picks the format by its suffix (``page.html``, ``a.json``, ``a.txt``).
    Raises ``IngestError`` when the whole document is unusable.
    """
    name = filename.lower()
    text = decode_bytes(data, origin)
    if name.endswith(HTML_SUFFIXES):
        yield RawRecord(origin=origin, html=text, source=source)
    elif name.endswith(JSON_SUFFIXES):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IngestError(f"broken JSON: {exc.msg} at line {exc.lineno}", origin=origin) from exc
        except RecursionError as exc:
            raise IngestError("JSON nested too deeply to be an article", origin=origin) from exc
        if isinstance(obj, list):
            for i, item in enumerate(obj, start=1):
                try:
                    yield record_from_mapping(item, origin, i, source)
                except IngestError as err:
                    yield err
        else:
            yield record_from_mapping(obj, origin, None, source)
    else:
        yield _record_from_text(text, origin, source)


def decode_bytes(data: bytes, origin: str = "", record_no: int | None = None) -> str:
    """Text of ``data`` in its detected encoding; ``IngestError`` for empty or binary content.

    UTF-8 (and BOM-marked UTF-16/32) is tried first because it is unambiguous when it decodes;
    anything else goes to charset-normalizer. NUL bytes without a BOM, or a decode that is mostly
    control characters, mean the file is binary, which is reported rather than indexed as garbage.
    """
    if not data.strip():
        raise IngestError("empty document", origin=origin, record_no=record_no)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(data.decode(encoding), origin, record_no)
            except UnicodeDecodeError as exc:
                raise IngestError(
                    f"invalid {encoding} despite its byte-order mark", origin=origin, record_no=record_no
                ) from exc
    if b"\x00" in data[:8192]:
        raise IngestError("binary content (NUL bytes), not text", origin=origin, record_no=record_no)
    try:
        return _check_text(data.decode("utf-8"), origin, record_no)
    except UnicodeDecodeError:
        pass
    best = _best_guess(data)
    if best is None or best.encoding is None:
        raise IngestError(
            "not valid UTF-8 and no text encoding could be detected (binary?)",
            origin=origin,
            record_no=record_no,
        )
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise IngestError(
            f"not valid UTF-8 and not valid {best.encoding} either", origin=origin, record_no=record_no
        ) from exc
    return _check_text(text, origin, record_no)


def record_from_mapping(obj: Any, origin: str, record_no: int | None, source: str | None = None) -> RawRecord:
    """A ``RawRecord`` from one JSON object in the contract's shape (DESIGN.md §2)."""
    if not isinstance(obj, dict):
        raise IngestError(
            f"record is a JSON {type(obj).__name__}, not an object", origin=origin, record_no=record_no
        )
    try:
        obj = _scrub_surrogates(obj)
    except RecursionError as exc:
        raise IngestError(
            "JSON nested too deeply to be an article", origin=origin, record_no=record_no
        ) from exc
    text = _optional_str(obj, "text", origin, record_no)
    html = _optional_str(obj, "html", origin, record_no)
    if not (text and text.strip()) and not (html and html.strip()):
        raise IngestError("record has neither text nor html", origin=origin, record_no=record_no)
    published = None
    for key in _DATE_FIELDS:
        if obj.get(key) not in (None, ""):
            published = str(obj[key])
            break
    updated = next((str(obj[k]) for k in _UPDATED_FIELDS if obj.get(k) not in (None, "")), None)
    authors = obj.get("authors") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.replace(" and ", ",").split(",") if a.strip()]
    elif isinstance(authors, list):
        authors = [str(a).strip() for a in authors if str(a).strip()]
    else:
        authors = []
    rid = obj.get("id")
    if rid is not None and not isinstance(rid, str | int):
        raise IngestError(
            f"field 'id' is a JSON {type(rid).__name__}, expected a string or number",
            origin=origin,
            record_no=record_no,
        )
    if rid is not None and len(str(rid).encode()) > MAX_ID_BYTES:
        raise IngestError(
            f"record id is over {MAX_ID_BYTES} bytes (Elasticsearch ids are at most 512)",
            origin=origin,
            record_no=record_no,
        )
    return RawRecord(
        origin=origin,
        record_no=record_no,
        id=str(rid) if rid not in (None, "") else None,
        url=_optional_str(obj, "url", origin, record_no) or None,
        title=(_optional_str(obj, "title", origin, record_no) or "").strip() or None,
        text=text,
        html=html,
        published=published,
        updated=updated,
        authors=authors,
        source=(_optional_str(obj, "source", origin, record_no) or "").strip() or source,
        extra={k: v for k, v in obj.items() if k not in _KNOWN_FIELDS},
    )


# --------------------------------------------------------------------------------------------
# internals
# --------------------------------------------------------------------------------------------
def _supported(path: Path) -> bool:
    return path.name.lower().endswith(SUPPORTED_SUFFIXES)


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if _supported(path):
                yield path


_WESTERN = ("cp1252", "iso8859_15", "latin_1")


def _best_guess(data: bytes):
    """charset-normalizer's guess, preferring Windows-1252 among equally plausible single-byte codecs.

    Short Western-European texts decode cleanly as cp1250, cp1252, cp1257…; charset-normalizer then
    ties and may pick a Central-European one, turning "naïve" into "naďve". cp1252 is by far the most
    common legacy encoding of scraped news, so it wins ties (within a small chaos margin).
    """
    results = from_bytes(data[: 1 << 20])
    best = results.best()
    if best is None:
        return None
    for candidate in results:
        if candidate.encoding in _WESTERN and candidate.chaos <= best.chaos + 0.01:
            return candidate
    return best


# C0 controls other than the whitespace ones (\t \n \v \f \r are \x09-\x0d).
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f]")


def _check_text(text: str, origin: str, record_no: int | None) -> str:
    sample = text[:65536]
    if sample:
        control = len(_CONTROL_CHARS.findall(sample))  # a per-character loop cost ~1.4 ms a record
        if control / len(sample) > 0.05:
            raise IngestError(
                "binary content (control characters), not text", origin=origin, record_no=record_no
            )
    if not text.strip():
        raise IngestError("empty document", origin=origin, record_no=record_no)
    return text


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub_surrogates(value: Any) -> Any:
    """Replace lone surrogates (JSON's ``"\\ud800"`` escapes) with U+FFFD: they cannot be encoded as
    UTF-8, so one of them would otherwise fail hashing or the bulk write of a whole batch."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub_surrogates(k): _scrub_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_surrogates(v) for v in value]
    return value


def _optional_str(obj: dict, key: str, origin: str, record_no: int | None) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise IngestError(
        f"field {key!r} is a JSON {type(value).__name__}, expected a string",
        origin=origin,
        record_no=record_no,
    )


def _record_from_text(text: str, origin: str, source: str | None) -> RawRecord:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip():
            body = "".join(lines[i + 1 :])
            if not body.strip():
                raise IngestError("text file has a title line but no body", origin=origin)
            return RawRecord(origin=origin, title=line.strip(), text=body, source=source)
    raise IngestError("empty document", origin=origin)


class _CappedReader:
    """File-like wrapper that stops a decompression after ``limit`` bytes (gzip-bomb guard)."""

    def __init__(self, raw: IO[bytes], limit: int):
        self.raw = raw
        self.limit = limit
        self.total = 0

    def readline(self, size: int) -> bytes:
        line = self.raw.readline(size)
        self.total += len(line)
        if self.total > self.limit:
            raise _BombError
        return line


class _BombError(Exception):
    pass


def _load_jsonl(
    path: Path, source: str | None, settings: IngestSettings, roots: AllowedRoots | None = None
) -> Iterator[RawRecord | IngestError]:
    origin = str(path)
    limit = settings.max_document_bytes
    try:
        raw = open_input(path, roots)
    except IngestError as exc:
        yield exc
        return
    fh: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if path.name.lower().endswith(".gz") else raw
    reader = _CappedReader(fh, settings.max_decompressed_bytes)
    record_no = 0
    seen_any = failed = False
    try:
        while True:
            line = reader.readline(limit + 1)
            if not line:
                break
            record_no += 1
            if len(line) > limit and not line.endswith(b"\n"):
                # Over-long line: report it and skip to its end without holding it in memory.
                while line and not line.endswith(b"\n"):
                    line = reader.readline(_READ_CHUNK)
                seen_any = True
                yield IngestError(
                    f"record is over the limit of {limit:,} bytes (NEWSDESK_MAX_DOCUMENT_BYTES)",
                    origin=origin,
                    record_no=record_no,
                )
                continue
            if not line.strip():
                continue
            seen_any = True
            try:
                yield _record_from_json_line(line, origin, record_no, source)
            except IngestError as err:
                yield err
    except _BombError:
        failed = True
        yield IngestError(
            f"decompressed data exceeds {settings.max_decompressed_bytes:,} bytes "
            "(NEWSDESK_MAX_DECOMPRESSED_BYTES); rest of file skipped",
            origin=origin,
            record_no=record_no + 1,
        )
    except (OSError, EOFError, zlib.error) as exc:
        failed = True
        yield IngestError(
            f"corrupt compressed file after record {record_no}: {exc}", origin=origin, record_no=record_no + 1
        )
    finally:
        fh.close()
        raw.close()
    if not seen_any and not failed:  # no lines, or only blank ones
        yield IngestError("empty document", origin=origin)


def _record_from_json_line(line: bytes, origin: str, record_no: int, source: str | None) -> RawRecord:
    text = decode_bytes(line, origin, record_no)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"broken JSON line: {exc.msg} (column {exc.colno})", origin=origin, record_no=record_no
        ) from exc
    except RecursionError as exc:
        raise IngestError(
            "JSON nested too deeply to be an article", origin=origin, record_no=record_no
        ) from exc
    return record_from_mapping(obj, origin, record_no, source)
