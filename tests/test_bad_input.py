"""Bad input: each bad document gets a clear error with its location, and the batch goes on."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ingest.cleaning import clean_record
from ingest.loaders import iter_records
from ingest.models import IngestError, RawRecord
from ingest.settings import IngestSettings


def _only_error(items) -> IngestError:
    (item,) = list(items)
    assert isinstance(item, IngestError), item
    return item


def test_empty_file_is_an_error(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\n\t\n")
    for name in ("empty.txt", "blank.txt"):
        err = _only_error(iter_records([tmp_path / name]))
        assert err.reason == "empty document" and err.origin.endswith(name)


def test_binary_file_is_an_error_not_garbage_text(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20)
    assert "binary" in _only_error(iter_records([path])).reason


def test_invalid_utf8_is_decoded_by_detection_or_rejected_clearly(tmp_path):
    ok = tmp_path / "cp1252.txt"
    ok.write_bytes("Headline\nThe caf\xe9 re-opened on Tuesday, the owner said.\n".encode("latin-1"))
    (rec,) = list(iter_records([ok]))
    assert "café" in rec.text
    garbage = tmp_path / "garbage.txt"
    garbage.write_bytes(bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x01, 0x02, 0x03, 0x04]) * 500)
    err = _only_error(iter_records([garbage]))
    assert "binary" in err.reason or "encoding" in err.reason


def test_file_of_50_megabytes_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.html"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: costs no disk and no time
    err = _only_error(iter_records([path]))
    assert "over the limit" in err.reason and "NEWSDESK_MAX_DOCUMENT_BYTES" in err.reason


def test_oversized_jsonl_line_is_skipped_and_the_next_line_still_loads(tmp_path):
    path = tmp_path / "a.jsonl"
    big = json.dumps({"id": "big", "text": "x" * 5000})
    path.write_text(big + "\n" + json.dumps({"id": "small", "text": "fine"}) + "\n")
    items = list(iter_records([path], settings=IngestSettings(max_document_bytes=1000)))
    assert isinstance(items[0], IngestError) and items[0].record_no == 1
    assert isinstance(items[1], RawRecord) and items[1].id == "small" and items[1].record_no == 2


def test_broken_json_lines_and_records_without_text_or_html_are_errors_with_line_numbers(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"id": "1", "text": "good one"}),
                '{"id": "2", "text": "unterminated',
                json.dumps({"id": "3", "title": "no body"}),
                json.dumps(["not", "an", "object"]),
                json.dumps({"id": "5", "text": {"nested": True}}),
                json.dumps({"id": "6", "html": "<p>good two</p>"}),
            ]
        )
    )
    items = list(iter_records([path]))
    kinds = [(type(i).__name__, i.record_no) for i in items]
    assert kinds == [
        ("RawRecord", 1),
        ("IngestError", 2),
        ("IngestError", 3),
        ("IngestError", 4),
        ("IngestError", 5),
        ("RawRecord", 6),
    ]
    reasons = [i.reason for i in items if isinstance(i, IngestError)]
    assert reasons[0].startswith("broken JSON line")
    assert reasons[1] == "record has neither text nor html"
    assert "not an object" in reasons[2]
    assert "expected a string" in reasons[3]


def test_gzip_bomb_stops_at_the_decompression_cap(tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(json.dumps({"id": "1", "text": "first"}).encode() + b"\n")
        chunk = b" " * (1 << 20)
        for _ in range(64):  # 64 MiB of spaces compress to ~64 KiB
            fh.write(chunk)
    assert path.stat().st_size < 1 << 20
    items = list(iter_records([path], settings=IngestSettings(max_decompressed_bytes=4 << 20)))
    assert isinstance(items[0], RawRecord)
    assert isinstance(items[-1], IngestError) and "decompressed data exceeds" in items[-1].reason


def test_corrupt_gzip_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "bad.jsonl.gz"
    good = gzip.compress(b'{"id": "1", "text": "first"}\n' * 100)
    path.write_bytes(good[: len(good) // 2])
    items = list(iter_records([path]))
    assert isinstance(items[-1], IngestError) and "corrupt" in items[-1].reason


def test_deeply_nested_html_is_quarantined_with_a_reason():
    html = "<html><body>" + "<div>" * 100_000 + "<p>deep</p>" + "</div>" * 100_000 + "</body></html>"
    with pytest.raises(IngestError, match="nested more than"):
        clean_record(RawRecord(origin="deep.html", html=html))


def test_malformed_html_still_yields_its_text():
    html = (
        "<html><body><p>First paragraph of a page with <b>unclosed <i>tags and a broken <table><tr><td>cell"
    )
    html += "<p>Second paragraph of the page, which the parser must recover from the mess above."
    article = clean_record(RawRecord(origin="bad.html", html=html))
    assert "Second paragraph of the page" in article.text


def test_html_without_any_text_is_an_error():
    with pytest.raises(IngestError, match="no main text"):
        clean_record(RawRecord(origin="x.html", html="<html><body><script>var a=1;</script></body></html>"))


def test_document_that_is_all_boilerplate_is_an_error():
    with pytest.raises(IngestError, match="nothing left after cleaning"):
        clean_record(RawRecord(origin="x", text="Share this article\n\nADVERTISEMENT\n\nUpcoming Events"))


def test_a_batch_goes_on_past_bad_documents(tmp_path):
    (tmp_path / "good.txt").write_text("Title\nA perfectly good article body about the council meeting.")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bin.html").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "list.json").write_text(json.dumps([{"text": "fine record"}, {"title": "nothing"}]))
    results = []
    for item in iter_records([tmp_path]):
        try:
            if isinstance(item, IngestError):
                raise item
            results.append(("ok", clean_record(item).doc_id))
        except IngestError as exc:
            results.append(("error", Path(exc.origin).name, exc.record_no, exc.reason))
    assert [r[0] for r in results].count("ok") == 2
    errors = {r[1:3]: r[3] for r in results if r[0] == "error"}
    assert set(errors) == {("bin.html", None), ("empty.txt", None), ("list.json", 2)}
