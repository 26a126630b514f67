"""Loading: every supported format, directories, globs and detected encodings."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from ingest.loaders import iter_records
from ingest.models import IngestError, RawRecord

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _records(items):
    return [i for i in items if isinstance(i, RawRecord)]


def test_txt_first_non_empty_line_is_the_title(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("\n\n  My Title  \n\nBody line one.\nBody line two.\n", encoding="utf-8")
    (rec,) = list(iter_records([path]))
    assert rec.title == "My Title"
    assert rec.text.strip() == "Body line one.\nBody line two."
    assert rec.origin == str(path) and rec.record_no is None


def test_json_file_holds_one_record_or_a_list(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"id": 7, "text": "Hello there.", "published": "2024-01-02"}))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"id": "a", "text": "x"}, {"id": "b", "html": "<p>y</p>"}]))
    (a,) = list(iter_records([one]))
    assert a.id == "7" and a.published == "2024-01-02"
    recs = list(iter_records([many]))
    assert [r.id for r in recs] == ["a", "b"] and [r.record_no for r in recs] == [1, 2]


def test_jsonl_and_jsonl_gz_give_one_record_per_line_with_all_contract_fields(tmp_path):
    rows = [
        {"id": "r1", "url": "https://www.cnn.com/a", "title": "T1", "text": "Text one.", "authors": ["A B"],
         "publish_date": "2023/01/05", "source": "cnn", "extra_field": 1},
        {"id": "r2", "html": "<p>Two</p>", "date": "2023-02-01", "authors": "C D and E F"},
    ]  # fmt: skip
    plain = tmp_path / "a.jsonl"
    plain.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    gz = tmp_path / "a.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(json.dumps(r) for r in rows))
    for path in (plain, gz):
        r1, r2 = list(iter_records([path], source="default-src"))
        assert (r1.id, r1.url, r1.title, r1.published, r1.authors, r1.source) == (
            "r1", "https://www.cnn.com/a", "T1", "2023/01/05", ["A B"], "cnn",
        )  # fmt: skip
        assert r1.extra == {"extra_field": 1} and r1.record_no == 1
        assert (r2.html, r2.published, r2.authors, r2.source, r2.record_no) == (
            "<p>Two</p>", "2023-02-01", ["C D", "E F"], "default-src", 2,
        )  # fmt: skip


def test_directories_are_walked_recursively_and_globs_expanded(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "a.txt").write_text("T\nbody a")
    (tmp_path / "sub" / "b.html").write_text("<html><body><p>body b</p></body></html>")
    (tmp_path / "sub" / "deeper" / "c.jsonl").write_text('{"text": "body c"}\n')
    (tmp_path / "sub" / "notes.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / ".hidden.txt").write_text("T\nhidden")
    recs = _records(iter_records([tmp_path]))
    assert sorted(Path(r.origin).name for r in recs) == ["a.txt", "b.html", "c.jsonl"]
    globbed = _records(iter_records([str(tmp_path / "**" / "*.html")]))
    assert [Path(r.origin).name for r in globbed] == ["b.html"]


def test_encodings_are_detected_not_assumed(tmp_path):
    text = "Café owners in Zürich said the naïve plan would fail, according to Señor Müller.\n" * 3
    latin = tmp_path / "latin.txt"
    latin.write_bytes(("Título\n" + text).encode("cp1252"))
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(("Título\n" + text).encode("utf-16"))
    for path in (latin, utf16):
        (rec,) = list(iter_records([path]))
        assert isinstance(rec, RawRecord), rec
        assert rec.title == "Título" and "Zürich" in rec.text and "Señor" in rec.text


def test_missing_paths_and_empty_globs_are_reported_not_raised(tmp_path):
    items = list(iter_records([tmp_path / "nope.txt", str(tmp_path / "*.jsonl"), "https://example.com/x"]))
    assert all(isinstance(i, IngestError) for i in items)
    assert [i.reason for i in items][:2] == [
        "no such file or directory",
        "no supported files match this pattern",
    ]


def test_jsonl_is_streamed_record_by_record(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("w") as fh:
        for i in range(2000):
            fh.write(json.dumps({"id": str(i), "text": "x" * 200}) + "\n")
    it = iter_records([path])
    first = next(it)
    assert first.id == "0"
    # The generator has not materialised the file: it still yields the rest lazily.
    assert sum(1 for _ in it) == 1999


def test_a_file_is_identified_by_its_path_and_dump_lines_by_their_text(tmp_path):
    from ingest.models import derive_doc_id

    one = tmp_path / "one.txt"
    one.write_text("Title\n\nBody text of the story.\n")
    dump = tmp_path / "dump.jsonl"
    dump.write_text('{"text": "First story."}\n{"text": "Second story.", "url": "https://x.example/a"}\n')
    (single,) = list(iter_records([str(one)]))
    assert single.file_path == str(one.resolve())
    lines = list(iter_records([str(dump)]))
    assert [r.file_path for r in lines] == [None, None]
    assert derive_doc_id(None, None, "text", single.file_path).startswith("p-")
    assert derive_doc_id(None, "https://x.example/a", "text", single.file_path).startswith("u-")
    assert derive_doc_id("id-1", None, "text", single.file_path) == "id-1"
    assert derive_doc_id(None, None, "text").startswith("c-")


def test_ingest_roots_cannot_be_escaped_through_links_dotdot_or_a_swap(tmp_path):
    from ingest.loaders import AllowedRoots, load_file

    root, outside = tmp_path / "roots", tmp_path / "outside"
    (root / "drop").mkdir(parents=True)
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("Secret\n\nCONFIDENTIAL-XYZ payroll numbers.\n")
    (outside / "inner.txt").write_text("Inner\n\nCONFIDENTIAL-XYZ inner file.\n")
    good = root / "drop" / "ok.txt"
    good.write_text("Harbour\n\nThe harbour reopened on Monday.\n")
    (root / "drop" / "memo.txt").symlink_to(secret)
    (root / "drop" / "linked").symlink_to(outside, target_is_directory=True)
    roots = AllowedRoots([root])

    items = list(
        iter_records(
            [str(root / "drop"), str(root / "drop" / "*.txt"), str(root / ".." / "outside" / "secret.txt")],
            roots=roots,
        )
    )
    texts = " ".join(i.text for i in items if isinstance(i, RawRecord))
    assert "CONFIDENTIAL" not in texts and "harbour reopened" in texts
    refusals = [
        i for i in items if isinstance(i, IngestError) and "outside the allowed ingest roots" in i.reason
    ]
    assert len(refusals) == 3  # the walked link, the glob's link, the .. path

    # Checked, then swapped for a link before it is opened: the opened file is re-checked.
    good.unlink()
    good.symlink_to(secret)
    (item,) = list(load_file(good, roots=roots))
    assert isinstance(item, IngestError) and "CONFIDENTIAL" not in item.reason
