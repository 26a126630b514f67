"""Main-text extraction from HTML: trafilatura vs newsdesk's native extractor, with and without cleaning.

Pages: ``tests/fixtures/html_extraction/*.html`` with hand-written gold main text (``*.gold.txt``,
first line the title, which is metadata and not scored). Scoring is bag-of-words token precision,
recall and F1, as in the ScrapingHub article-extraction benchmark. Five small pages written for this
comparison are not that benchmark: they show behaviour on page shapes (semantic article, div soup,
blog with comments, table with link lists, short brief), not a general ranking.

    .venv/bin/python bench/eval_html_extraction.py
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from ingest.cleaning import clean_record  # noqa: E402
from ingest.html import native_main_text  # noqa: E402
from ingest.models import RawRecord, normalise_text  # noqa: E402

PAGES = REPO / "tests" / "fixtures" / "html_extraction"
RESULTS = REPO / "bench" / "results" / "html_extraction_eval.json"
_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> Counter:
    return Counter(_TOKEN.findall(text.lower()))


def prf(pred: str, gold: str) -> tuple[float, float, float]:
    p, g = tokens(pred), tokens(gold)
    overlap = sum((p & g).values())
    precision = overlap / max(1, sum(p.values()))
    recall = overlap / max(1, sum(g.values()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def without_title(text: str, title: str) -> str:
    key = normalise_text(title)
    return "\n".join(line for line in text.splitlines() if normalise_text(line) != key)


def systems(html: str) -> dict[str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {
            "trafilatura (default)": trafilatura.extract(html, include_comments=False) or "",
            "trafilatura (favor_precision)": trafilatura.extract(
                html, include_comments=False, favor_precision=True
            )
            or "",
            "native (bs4+lxml)": native_main_text(BeautifulSoup(html, "lxml")),
        }
        for method in ("trafilatura", "native"):
            try:
                out[f"newsdesk pipeline ({method} + rules)"] = clean_record(
                    RawRecord(origin="page.html", html=html), html_method=method
                ).text
            except Exception as exc:  # a page the pipeline rejects scores zero
                out[f"newsdesk pipeline ({method} + rules)"] = f"<error {exc}>"
    return out


def main() -> None:
    per_page: dict[str, dict] = {}
    totals: dict[str, list[tuple[float, float, float]]] = {}
    for page in sorted(PAGES.glob("*.html")):
        gold_lines = page.with_suffix(".gold.txt").read_text(encoding="utf-8").splitlines()
        title, gold = gold_lines[0], "\n".join(gold_lines[1:])
        per_page[page.stem] = {}
        for name, text in systems(page.read_text(encoding="utf-8")).items():
            score = prf(without_title(text, title), gold)
            per_page[page.stem][name] = [round(x, 3) for x in score]
            totals.setdefault(name, []).append(score)
    print(f"{'system':44} {'P':>6} {'R':>6} {'F1':>6}   per-page F1")
    summary = {}
    for name, scores in totals.items():
        mean = [sum(s[i] for s in scores) / len(scores) for i in range(3)]
        summary[name] = {"precision": round(mean[0], 3), "recall": round(mean[1], 3), "f1": round(mean[2], 3)}
        pages = " ".join(f"{s[2]:.2f}" for s in scores)
        print(f"{name:44} {mean[0]:6.3f} {mean[1]:6.3f} {mean[2]:6.3f}   {pages}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"pages": sorted(per_page), "summary": summary, "per_page": per_page}, indent=2) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
