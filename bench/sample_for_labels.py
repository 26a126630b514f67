"""Draw the documents for the hand-labelled cleaning samples (reproducible: fixed seeds).

``v1`` (``tests/fixtures/cleaning_labels/``): documents per host, 5–30 non-empty lines each.
``v2`` (``tests/fixtures/cleaning_labels_v2/``, issue 15): 128 documents from 14 sources (host and
site section, e.g. ``usatoday.com/opinion``), 5–40 non-empty lines, none of them in v1, split
dev/sealed alternately within each source *before* any rule is written.
``v3`` (``tests/fixtures/cleaning_labels_v3/``, issue 15, second round): 7 documents from each of the
same 14 sources, none of them in v1 or v2, all sealed: drawn and labelled before the second round
of rules, scored once at its end (v2's sealed half was spent by the first round).
``v4`` (``tests/fixtures/cleaning_labels_v4/``, round 3): the same draw with another seed, none of
them in v1–v3, all sealed (v3 was spent at the end of round 2).
``v5`` (``tests/fixtures/cleaning_labels_v5/``, round 4): 9 documents from each of the 14 sources
(126), none of them in v1–v4, all sealed.
``v6`` (``tests/fixtures/cleaning_labels_v6/``, round 5): the same draw with another seed, none of
them in v1–v5, all sealed (v5 was scored once at the end of round 4).
``v7`` (``tests/fixtures/cleaning_labels_v7/``, round 6): the same draw with another seed, none of
them in v1–v6, all sealed.
``v8`` (``tests/fixtures/cleaning_labels_v8/``, round 7): another seed, none of them in v1–v7, all sealed.
``v9`` (``tests/fixtures/cleaning_labels_v9/``, round 8): another seed, none of them in v1–v8, all sealed.
``v10`` (``tests/fixtures/cleaning_labels_v10/``, round 9): another seed, none of them in v1–v9, all sealed.
``v11`` (``tests/fixtures/cleaning_labels_v11/``, round 10): another seed, none of them in v1–v10, all sealed.
``--skeleton DIR`` writes one ``<id>.json`` per drawn document with every line unlabelled (``"?"``),
for the labeller to fill in by reading. Every line can be read
and labelled by a person; labels are written by hand into ``<dir>/<id>.json``; this script never
labels anything.

    .venv/bin/python bench/sample_for_labels.py > /tmp/to_label.txt
    .venv/bin/python bench/sample_for_labels.py --set v2 --manifest /tmp/v2.json > /tmp/to_label_v2.txt
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "scraped_news_2023_2024.jsonl.gz"
PER_SOURCE = {
    "cnn.com": 13,
    "usatoday.com": 15,
    "theweek.co.uk": 10,
    "college.usatoday.com": 4,
    "usatodaysportsplus.com": 2,
}
SEED = 20261124
# v2: sources are host + section, so opinion, sports, money, travel pages are each a stratum
PER_SECTION_V2 = {
    "usatoday.com/news": 14,
    "usatoday.com/sports": 12,
    "usatoday.com/entertainment": 10,
    "usatoday.com/money": 10,
    "usatoday.com/life": 8,
    "usatoday.com/opinion": 10,
    "usatoday.com/travel": 6,
    "usatoday.com/tech": 6,
    "cnn.com/politics": 10,
    "cnn.com/us": 8,
    "cnn.com/health": 6,
    "cnn.com/business": 8,
    "cnn.com/world": 8,  # world, europe, asia, middleeast, ...
    "theweek.co.uk/news": 12,
}
CNN_WORLD = {
    "world",
    "europe",
    "asia",
    "middleeast",
    "americas",
    "africa",
    "china",
    "uk",
    "india",
    "australia",
}
SEED_V2 = 20261203
SEED_V3 = 20261207
PER_SECTION_V3 = dict.fromkeys(PER_SECTION_V2, 7)
SEED_V4 = 20261208  # round 3: v3 was scored once at the end of round 2 and is development data since
SEED_V5 = 20261209  # round 4: v4 was scored once at the end of round 3 and is development data since
PER_SECTION_V5 = dict.fromkeys(PER_SECTION_V2, 9)  # 126 documents: the issue asks for >= 120
SEED_V24 = 20261228  # round 22: v23 was scored once at the end of round 20, development data since
SEED_V23 = 20261227  # round 21: v22 was scored once at the end of round 20, development data since
SEED_V22 = 20261226  # round 20: v21 was scored once at the end of round 19, development data since
SEED_V21 = 20261225  # round 19: v20 was scored once at the end of round 18, development data since
SEED_V20 = 20261224  # round 18: v19 was scored once at the end of round 17, development data since
SEED_V19 = 20261223  # round 17: v18 was scored once at the end of round 16, development data since
SEED_V18 = 20261222  # round 16: v17 was scored once at the end of round 15, development data since
SEED_V17 = 20261221  # round 15: v16 was scored once at the end of round 14, development data since
SEED_V16 = 20261220  # round 14: v15 was scored once at the end of round 13, development data since
SEED_V15 = 20261219  # round 13, part 2: v14 was scored once after round 12, development data since
SEED_V14 = 20261218  # round 13: v13 was scored once at the end of round 12 and is development data since
SEED_V13 = 20261217  # round 12: v12 was scored once at the end of round 11 and is development data since
SEED_V12 = 20261216  # round 11: v11 was scored once at the end of round 10 and is development data since
SEED_V11 = 20261215  # round 10: v10 was scored once at the end of round 9 and is development data since
SEED_V10 = 20261214  # round 9: v9 was scored once at the end of round 8 and is development data since
SEED_V9 = 20261213  # round 8: v8 was scored once at the end of round 7 and is development data since
SEED_V8 = 20261212  # round 7: v7 was scored once at the end of round 6 and is development data since
SEED_V7 = 20261211  # round 6: v6 was scored once at the end of round 5 and is development data since
SEED_V6 = 20261210  # round 5: v5 was scored once at the end of round 4 and is development data since

SEEDS = {
    "v3": SEED_V3,
    "v4": SEED_V4,
    "v5": SEED_V5,
    "v6": SEED_V6,
    "v7": SEED_V7,
    "v8": SEED_V8,
    "v9": SEED_V9,
    "v10": SEED_V10,
    "v11": SEED_V11,
    "v12": SEED_V12,
    "v13": SEED_V13,
    "v14": SEED_V14,
    "v15": SEED_V15,
    "v16": SEED_V16,
    "v17": SEED_V17,
    "v18": SEED_V18,
    "v19": SEED_V19,
    "v20": SEED_V20,
    "v21": SEED_V21,
    "v22": SEED_V22,
    "v23": SEED_V23,
    "v24": SEED_V24,
}


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def section_of(url: str) -> str:
    """``host/section`` from the URL: usatoday's /story/<section>/, cnn's /<yyyy>/<mm>/<dd>/<section>/."""
    parts = urlsplit(url)
    host = host_of(url)
    words = [p for p in parts.path.split("/") if p and not p.isdigit()]
    if host == "usatoday.com" and len(words) > 1 and words[0] == "story":
        section = words[1]
    else:
        section = words[0] if words else ""
    if host == "cnn.com" and section in CNN_WORLD:
        section = "world"
    return f"{host}/{section}"


def _lines(row: dict) -> list[str]:
    return [x.strip() for x in row["text"].splitlines() if x.strip()]


def _print(row: dict, source: str, split: str | None = None) -> None:
    tag = f" {split}" if split else ""
    print(f"=== {row['id']} {source}{tag} {row['url']}\nTITLE: {row['title']}\nAUTHORS: {row['authors']}")
    for i, text in enumerate(_lines(row)):
        shown = text if len(text) <= 240 else text[:150] + " [...] " + text[-80:]
        print(f"{i:3d} {shown}")
    sys.stdout.flush()


def draw_v1() -> None:
    by_source: dict[str, list[dict]] = {}
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            host = host_of(row["url"])
            if host in PER_SOURCE and 5 <= len(_lines(row)) <= 30:
                by_source.setdefault(host, []).append(row)
    rng = random.Random(SEED)
    for host, k in PER_SOURCE.items():
        rows = sorted(by_source.get(host, []), key=lambda r: r["id"])
        for row in rng.sample(rows, min(k, len(rows))):
            _print(row, host)


def draw_sectioned(
    per_section: dict[str, int],
    seed: int,
    exclude_dirs: list[Path],
    split_of,
    manifest: Path | None,
    skeleton: Path | None,
) -> None:
    """Draw ``per_section[source]`` documents of each source, none labelled before, with a split each."""
    seen = {p.stem for d in exclude_dirs for p in d.glob("rt-*.json")}
    by_source: dict[str, list[dict]] = {}
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            source = section_of(row["url"])
            if source in per_section and row["id"] not in seen and 5 <= len(_lines(row)) <= 40:
                by_source.setdefault(source, []).append(row)
    rng = random.Random(seed)
    chosen = []
    for source, k in per_section.items():
        rows = sorted(by_source.get(source, []), key=lambda r: r["id"])
        for n, row in enumerate(rng.sample(rows, min(k, len(rows)))):
            split = split_of(n)
            chosen.append({"id": row["id"], "source": source, "split": split})
            _print(row, source, split)
            if skeleton:
                _write_skeleton(skeleton, row, source, split)
    if manifest:
        manifest.write_text(json.dumps(chosen, indent=1) + "\n")


def _write_skeleton(directory: Path, row: dict, source: str, split: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    doc = {
        "id": row["id"],
        "url": row["url"],
        "source": source,
        "title": row["title"],
        "authors": row.get("authors") or [],
        "publish_date": row.get("publish_date"),
        "split": split,
        "kind": "?",
        "lines": [{"text": text, "label": "?"} for text in _lines(row)],
    }
    (directory / f"{row['id']}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--set",
        choices=tuple(f"v{n}" for n in range(1, 25)),
        default="v1",
    )
    ap.add_argument("--manifest", type=Path, default=None, help="v2/v3: write ids, sources and splits here")
    ap.add_argument("--skeleton", type=Path, default=None, help="v2/v3: unlabelled <id>.json files here")
    args = ap.parse_args()
    fixtures = ROOT / "tests" / "fixtures"
    if args.set == "v1":
        draw_v1()
    elif args.set == "v2":
        draw_sectioned(
            PER_SECTION_V2,
            SEED_V2,
            [fixtures / "cleaning_labels"],
            lambda n: "dev" if n % 2 == 0 else "sealed",
            args.manifest,
            args.skeleton,
        )
    else:
        earlier = ["cleaning_labels", "cleaning_labels_v2"]
        earlier += [f"cleaning_labels_v{n}" for n in range(3, int(args.set[1:]))]  # every set before
        draw_sectioned(
            PER_SECTION_V3 if args.set in ("v3", "v4") else PER_SECTION_V5,
            SEEDS[args.set],
            [fixtures / name for name in earlier],
            lambda n: "sealed",
            args.manifest,
            args.skeleton,
        )


if __name__ == "__main__":
    main()
