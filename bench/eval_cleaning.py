"""Removal precision/recall of line cleaning on the hand-labelled sample, newsdesk vs a baseline.

A labelled line counts as *removed* by newsdesk when one of its ``Removal``s covers it (a document
rejected as "all boilerplate" removes every line). For Haystack's ``DocumentCleaner`` (the
baseline), a line counts as removed when its text no longer occurs in the cleaned output.

Systems, all in one run:
* ``newsdesk (rules)``: the general rules only, what ``newsdesk clean`` does on a single page;
* ``newsdesk (rules+learned)``: plus per-source boilerplate learned from the whole scraped corpus
  (unsupervised, as scheduled ingestion would), when the corpus is available;
* ``haystack DocumentCleaner``: ``remove_repeated_substrings=True`` (+ empty lines, whitespace),
  per document, and per source with the source's labelled documents as form-feed-separated pages
  (so repeated headers/footers across documents are visible to it).

Labelled sets: the old sample (``tests/fixtures/cleaning_labels/``, 44 documents, the rules were
written on it); the issue-15 set (``tests/fixtures/cleaning_labels_v2/``, 128 documents from 14
sources, each with a ``kind``), split into a development half (``new/dev``) and a half sealed for
the first round of rules and scored once at its end (``new/sealed1``: spent, so development data
since); and the second round's sealed set (``tests/fixtures/cleaning_labels_v3/``, 98 documents,
7 from each of the same 14 sources, drawn and labelled before the second round's rules, scored
once at its end: ``v3/spent``, development data since); the third round's sealed set
(``tests/fixtures/cleaning_labels_v4/``, 98 more documents drawn the same way, scored once at the
end of round 3: ``v4/spent``, development data since); the fourth round's sealed set
(``tests/fixtures/cleaning_labels_v5/``, 126 documents, 9 from each source, scored once at the end
of round 4: ``v5/spent``, development data since); the fifth round's sealed set
(``tests/fixtures/cleaning_labels_v6/``, 126 more documents drawn the same way, scored once at the
end of round 5: ``v6/spent``, development data since); the sixth round's (``cleaning_labels_v7/``,
``v7/spent`` since round 6 ended), the seventh's (``cleaning_labels_v8/``) and the eighth's
(``cleaning_labels_v9/``), the ninth's (``cleaning_labels_v10/``) and the tenth's
(``cleaning_labels_v11/``): every one of them scored once at the end of its round and development
data since (``vN/spent``). The next round's sealed set goes in ``cleaning_labels_v12/``
(``bench/sample_for_labels.py``), scored only with ``--sealed``: once, at the end of the round,
and never with ``--show-errors``.

Prints a table per system and set, per source and per kind for the v2/v3 sets, cleaning
throughput (documents/s on one core), and writes ``bench/results/cleaning_eval.json``.

    .venv/bin/python bench/eval_cleaning.py            # v1–v11 (all development data now)
    .venv/bin/python bench/eval_cleaning.py --sealed   # once, at the end of a round: + its sealed set
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.cleaning import clean_record  # noqa: E402
from ingest.learned import SourceProfiles  # noqa: E402
from ingest.models import IngestError, RawRecord, normalise_text  # noqa: E402
from ingest.settings import IngestSettings  # noqa: E402

LABELS = REPO / "tests" / "fixtures" / "cleaning_labels"
LABELS_V2 = REPO / "tests" / "fixtures" / "cleaning_labels_v2"
# each round's sealed set, scored once at the end of its round and development data since
SPENT = {f"v{n}": REPO / "tests" / "fixtures" / f"cleaning_labels_v{n}" for n in range(3, 25)}
# the next round's sealed set, scored only with ``--sealed``: drawn and labelled before its rules
SEALED = ("v25", REPO / "tests" / "fixtures" / "cleaning_labels_v25")
CORPUS = REPO.parent / "shared" / "data" / "scraped_news_2023_2024.jsonl.gz"
RESULTS = REPO / "bench" / "results" / "cleaning_eval.json"


def load_labels(directory: Path = LABELS) -> list[dict]:
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("rt-*.json"))]
    unlabelled = [
        d["id"] for d in docs if any(line["label"] not in ("keep", "remove") for line in d["lines"])
    ]
    if unlabelled:
        sys.exit(f"{directory}: {len(unlabelled)} documents have unlabelled lines, e.g. {unlabelled[:3]}")
    return docs


def record_of(doc: dict) -> tuple[RawRecord, list[tuple[int, int]]]:
    """The record as the corpus has it (lines joined by blank lines) and each line's span."""
    spans, parts, pos = [], [], 0
    for line in doc["lines"]:
        spans.append((pos, pos + len(line["text"])))
        parts.append(line["text"])
        pos += len(line["text"]) + 2
    rec = RawRecord(
        origin=doc["id"],
        id=doc["id"],
        url=doc["url"],
        title=doc["title"],
        text="\n\n".join(parts),
        published=doc.get("publish_date"),
        authors=list(doc.get("authors") or []),
    )
    return rec, spans


def newsdesk_predictions(doc: dict, profiles: SourceProfiles | None) -> list[bool]:
    rec, spans = record_of(doc)
    try:
        article = clean_record(rec, profiles)
    except IngestError as exc:
        if "nothing left" in exc.reason:
            return [True] * len(spans)
        raise
    starts = {r.start for r in article.removed}
    return [s in starts for s, _ in spans]


def haystack_predictions(docs: list[dict], per_source: bool) -> dict[str, list[bool]]:
    from haystack import Document
    from haystack.components.preprocessors import DocumentCleaner

    cleaner = DocumentCleaner(
        remove_empty_lines=True, remove_extra_whitespaces=True, remove_repeated_substrings=True
    )
    out: dict[str, list[bool]] = {}
    groups: dict[str, list[dict]] = defaultdict(list)
    for doc in docs:
        groups[doc["source"] if per_source else doc["id"]].append(doc)
    for group in groups.values():
        pages = ["\n\n".join(line["text"] for line in d["lines"]) for d in group]
        cleaned = cleaner.run(documents=[Document(content="\f".join(pages))])["documents"][0].content or ""
        cleaned_pages = cleaned.split("\f") if per_source else [cleaned]
        if len(cleaned_pages) != len(group):  # pages merged: fall back to the whole text for each
            cleaned_pages = [cleaned] * len(group)
        for d, page in zip(group, cleaned_pages, strict=True):
            norm_page = normalise_text(page)
            out[d["id"]] = [normalise_text(line["text"]) not in norm_page for line in d["lines"]]
    return out


def score(pairs: list[tuple[bool, bool]]) -> dict:
    tp = sum(1 for pred, gold in pairs if pred and gold)
    fp = sum(1 for pred, gold in pairs if pred and not gold)
    fn = sum(1 for pred, gold in pairs if not pred and gold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "lines": len(pairs),
        "gold_remove": tp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def learn_profiles(corpus: Path, directory: Path) -> tuple[SourceProfiles, float, int]:
    from ingest.loaders import iter_records

    t0 = time.perf_counter()
    profiles = SourceProfiles(directory, IngestSettings())
    n = 0
    for rec in iter_records([corpus]):
        if isinstance(rec, RawRecord):
            n += profiles.observe(rec)
    return profiles, time.perf_counter() - t0, n


def measure_throughput(corpus: Path, profiles: SourceProfiles | None, limit: int) -> dict:
    """Documents per second through ``clean_record`` on one core (this process), corpus order."""
    from ingest.loaders import iter_records

    records = []
    for rec in iter_records([corpus]):
        if isinstance(rec, RawRecord):
            records.append(rec)
            if len(records) >= limit:
                break
    t0, c0 = time.perf_counter(), time.process_time()
    for rec in records:
        with contextlib.suppress(IngestError):  # an all-boilerplate page is a result, not a failure
            clean_record(rec, profiles)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    # CPU seconds as well as wall seconds: on a shared machine the wall clock measures the neighbours
    return {
        "documents": len(records),
        "seconds": round(secs, 2),
        "cpu_seconds": round(cpu, 2),
        "docs_per_s": round(len(records) / secs, 1),
        "docs_per_cpu_s": round(len(records) / cpu, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=CORPUS, help="corpus to learn per-source boilerplate from"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--show-errors", action="store_true", help="print each wrong line (never the sealed half)"
    )
    parser.add_argument(
        "--sealed", action="store_true", help=f"also score {SEALED[0]} (sealed: once, at the end)"
    )
    parser.add_argument("--throughput-docs", type=int, default=2000, help="corpus documents timed")
    args = parser.parse_args()
    if args.sealed and args.show_errors:
        parser.error("--show-errors never runs with --sealed: the sealed set's lines are not to be read")

    old = load_labels()
    new = load_labels(LABELS_V2) if any(LABELS_V2.glob("rt-*.json")) else []
    spent: dict[str, list[dict]] = {}
    for name, directory in SPENT.items():
        spent[name] = load_labels(directory) if any(directory.glob("rt-*.json")) else []
        for d in spent[name]:
            d["split"] = "spent"
    if args.sealed and not any(SEALED[1].glob("rt-*.json")):
        sys.exit(f"no sealed set in {SEALED[1]}: draw one (bench/sample_for_labels.py) and label it first")
    sealed = load_labels(SEALED[1]) if args.sealed else []
    for d in sealed:
        d["split"] = "sealed"
    for d in new:  # v2's sealed half was scored once, at the end of round 1: development data now
        d["split"] = {"sealed": "sealed1"}.get(d["split"], d["split"])
    sets: dict[str, list[dict]] = {
        "old/dev": [d for d in old if d["split"] == "dev"],
        "old/holdout": [d for d in old if d["split"] == "holdout"],
        "old/all": old,
        "new/dev": [d for d in new if d["split"] == "dev"],
        "new/sealed1": [d for d in new if d["split"] == "sealed1"],
        "new/all": new,
    }
    for name, ds in spent.items():
        if ds:
            sets[f"{name}/spent"] = ds
    if args.sealed:
        sets[f"{SEALED[0]}/sealed"] = sealed
    every_spent = [d for ds in spent.values() for d in ds]
    docs = old + new + every_spent + sealed
    systems: dict[str, dict[str, list[bool]]] = {}
    systems["newsdesk (rules)"] = {d["id"]: newsdesk_predictions(d, None) for d in docs}
    learned_info = None
    if args.corpus.exists():
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            profiles, secs, n = learn_profiles(args.corpus, Path(tmp))
            learned_info = {"corpus": args.corpus.name, "documents": n, "seconds": round(secs, 1)}
            systems["newsdesk (rules+learned)"] = {d["id"]: newsdesk_predictions(d, profiles) for d in docs}
            throughput = measure_throughput(args.corpus, profiles, args.throughput_docs)
    else:
        print(f"corpus {args.corpus} not found: skipping learned boilerplate", file=sys.stderr)
        throughput = None
    # Haystack sees each set's documents by themselves (per source: that set's pages of a source)
    systems["haystack DocumentCleaner (per doc)"] = haystack_predictions(docs, per_source=False)
    systems["haystack DocumentCleaner (per source, pages)"] = {
        **haystack_predictions(old, per_source=True),
        **haystack_predictions(new, per_source=True),
        **{k: v for ds in spent.values() if ds for k, v in haystack_predictions(ds, per_source=True).items()},
        **(haystack_predictions(sealed, per_source=True) if sealed else {}),
    }

    results: dict = {}
    cols = f"{'lines':>5} {'gold':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'rec':>6}"
    header = f"{'system':46} {'set':11} {cols}"
    print(header)
    print("-" * len(header))

    def pairs_of(name: str, subset: list[dict]) -> list[tuple[bool, bool]]:
        return [
            (p, line["label"] == "remove")
            for d in subset
            for p, line in zip(systems[name][d["id"]], d["lines"], strict=True)
        ]

    for name in systems:
        results[name] = {}
        for set_name, subset in sets.items():
            s = score(pairs_of(name, subset))
            results[name][set_name] = s
            print(
                f"{name:46} {set_name:11} {s['lines']:5d} {s['gold_remove']:5d} {s['tp']:4d} {s['fp']:4d} "
                f"{s['fn']:4d} {s['precision']:6.3f} {s['recall']:6.3f}"
            )
        for set_name in [k for k in sets if k.startswith(("new/", "v"))]:
            for field in ("source", "kind"):
                groups: dict[str, list[dict]] = defaultdict(list)
                for d in sets[set_name]:
                    groups[d.get(field) or "?"].append(d)
                results[name][f"{set_name}/by_{field}"] = {
                    g: score(pairs_of(name, ds)) for g, ds in sorted(groups.items())
                }
        results[name]["old/by_source"] = {
            src: score(pairs_of(name, [d for d in old if d["source"] == src]))
            for src in sorted({d["source"] for d in old})
        }
    best = "newsdesk (rules+learned)" if "newsdesk (rules+learned)" in systems else "newsdesk (rules)"
    for set_name in [k for k in sets if k == "new/all" or k.endswith(("/spent", "/sealed"))]:
        for field in ("source", "kind"):
            print(f"\n{best}, {set_name}, by {field}")
            for g, sc in results[best][f"{set_name}/by_{field}"].items():
                print(
                    f"  {g:30} lines {sc['lines']:4d} gold {sc['gold_remove']:4d} "
                    f"prec {sc['precision']:6.3f} rec {sc['recall']:6.3f}"
                )
    if throughput:
        print(
            f"\nthroughput (one core, rules+learned): {throughput['docs_per_s']:.0f} documents/s wall, "
            f"{throughput['docs_per_cpu_s']:.0f} per CPU-second, over {throughput['documents']} corpus "
            f"documents (load average {throughput['load_avg_1m']})"
        )
    if args.show_errors:
        for name in [n for n in systems if n.startswith("newsdesk")]:
            print(f"\n== errors of {name}")
            for d in docs:
                if d["split"] == "sealed":
                    continue
                for p, line in zip(systems[name][d["id"]], d["lines"], strict=True):
                    gold = line["label"] == "remove"
                    if p != gold:
                        kind = "FP" if p else "FN"
                        print(f"  {kind} {d['split']:7} {d['id']} {line['text'][:110]!r}")

    import haystack

    payload = {
        "labelled_documents": {k: len(v) for k, v in sets.items()},
        "labelled_lines": {k: sum(len(d["lines"]) for d in v) for k, v in sets.items()},
        "sources": sorted({d["source"] for d in docs}),
        "sealed_scored": args.sealed,
        "throughput": throughput,
        "learned_from": learned_info,
        "python": platform.python_version(),
        "haystack": haystack.__version__,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")


if __name__ == "__main__":
    main()
