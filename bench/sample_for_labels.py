"""Draw the documents for the hand-labelled cleaning sample (reproducible: fixed seed).

Picks documents per source from the scraped corpus, 5–30 non-empty lines each (so every line can be
read and labelled by a person), and prints them with line numbers for labelling. Labels are written
by hand into ``tests/fixtures/cleaning_labels/<id>.json``; this script never labels anything.

    .venv/bin/python bench/sample_for_labels.py > /tmp/to_label.txt
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path
from urllib.parse import urlsplit

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "scraped_news_2023_2024.jsonl.gz"
PER_SOURCE = {
    "cnn.com": 13,
    "usatoday.com": 15,
    "theweek.co.uk": 10,
    "college.usatoday.com": 4,
    "usatodaysportsplus.com": 2,
}
SEED = 20261124


def main() -> None:
    by_source: dict[str, list[dict]] = {}
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            host = (urlsplit(row["url"]).hostname or "").removeprefix("www.")
            n = sum(1 for x in row["text"].splitlines() if x.strip())
            if host in PER_SOURCE and 5 <= n <= 30:
                by_source.setdefault(host, []).append(row)
    rng = random.Random(SEED)
    for host, k in PER_SOURCE.items():
        rows = sorted(by_source.get(host, []), key=lambda r: r["id"])
        for row in rng.sample(rows, min(k, len(rows))):
            lines = [x.strip() for x in row["text"].splitlines() if x.strip()]
            print(f"=== {row['id']} {host} {row['url']}\nTITLE: {row['title']}\nAUTHORS: {row['authors']}")
            for i, text in enumerate(lines):
                shown = text if len(text) <= 240 else text[:150] + " [...] " + text[-80:]
                print(f"{i:3d} {shown}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
