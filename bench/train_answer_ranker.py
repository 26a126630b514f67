"""Learn the short-answer ranker's weights on the dev questions (issue 13).

For every dev question (odd question number, quiz weeks in ``--from``/``--to``) the sentences are
retrieved and scored as ``ask`` does, the short-answer candidates of the reading pool are grouped
and described by ``search.short_answer.candidate_answers`` (the product's own features), and each
group is labelled by whether it
matches a correct answer (``eval_answers.short_hit``). A logistic regression over those features
ranks the groups; its weights, and the probability bar for ``answered`` chosen on the dev
questions, are written to ``search/answer_ranker.json``, which the product reads. Test questions
(even numbers) are never loaded here.

    .venv/bin/python bench/train_answer_ranker.py --index bench-answers

Prints 5-fold cross-validated numbers on dev (the hand-weighted score vs the learned one).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import QUIZ, require
from eval_answers import load_questions, short_hit

OUT = Path(__file__).resolve().parents[1] / "search" / "answer_ranker.json"


def collect(index: str, start: str, end: str, cache: Path | None) -> list[dict[str, Any]]:
    """Per dev question: the candidate groups' features and labels."""
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    from search.answers import candidate_sentences, key_terms, reading_pool, score_candidates
    from search.retrieval import Searcher, build_filters
    from search.settings import SearchSettings
    from search.short_answer import READ_SENTENCES, candidate_answers

    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")
    settings = SearchSettings(es_url=es_url, index=index)
    searcher = Searcher(settings)
    out = []
    questions = [q for q in load_questions(start, end) if q["split"] == "dev"]
    for i, q in enumerate(questions):
        chunks = searcher.retrieve_chunks(
            q["question"], mode="hybrid", top_k=20, filters=build_filters(as_of=q["as_of"])
        )
        ranked = score_candidates(q["question"], candidate_sentences(chunks))
        row: dict[str, Any] = {"id": q["id"], "groups": []}
        if ranked:
            keys = key_terms(q["question"])
            supporting, _, pool = reading_pool(q["question"], ranked, keys)
            pool = pool[:READ_SENTENCES]
            candidates = candidate_answers(
                q["question"],
                [c.sentence for c in pool],
                [c.score for c in pool],
                set(keys),
                [c.lexical for c in pool],
            )
            for members, features in candidates:
                row["groups"].append(
                    {
                        "text": members[0].text,
                        "features": features,
                        "hit": short_hit(members[0].text, q["answers"]),
                    }
                )
            row["answered_today"] = bool(supporting)
        out.append(row)
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{len(questions)}", flush=True)
    if cache:
        cache.write_bytes(pickle.dumps(out))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default="bench-answers")
    ap.add_argument("--from", dest="start", default="2023/01/01")
    ap.add_argument("--to", dest="end", default="2023/04/30")
    ap.add_argument("--cache", type=Path, default=None, help="pickle of the collected features")
    ap.add_argument("--precision", type=float, default=0.6, help="precision of answered the bar aims at")
    ap.add_argument("--c", type=float, default=3.0, help="inverse regularisation strength")
    ap.add_argument("--write", action="store_true", help=f"write the weights to {OUT}")
    args = ap.parse_args(argv)
    require(QUIZ)
    rows = collect(args.index, args.start, args.end, args.cache)
    print(f"{len(rows)} dev questions, {sum(len(r['groups']) for r in rows)} candidate answers")
    from search.short_answer import FEATURES

    n = len(rows)
    folds = np.random.RandomState(0).permutation(n) % 5
    cv: list[
        tuple[float, bool]
    ] = []  # per question: the top candidate's probability, and whether it is right
    for k in range(5):
        model = fit([r for i, r in enumerate(rows) if folds[i] != k], FEATURES, args.c)
        cv.extend(top(model, r, FEATURES) for i, r in enumerate(rows) if folds[i] == k)
    hand = [
        (g["features"]["pooled"], g["hit"])
        for g in (
            max(r["groups"], key=lambda g: g["features"]["pooled"]) if r["groups"] else None for r in rows
        )
        if g is not None
    ]
    ceiling = sum(any(g["hit"] for g in r["groups"]) for r in rows) / n
    table = [["ranker", "bar", "answered", "short hit", "precision"]]
    grid = [round(0.05 * i, 2) for i in range(1, 20)]
    bar = next((t for t in grid if _precision(cv, t) >= args.precision), grid[-1])
    hand_bar = next((t for t in grid if _precision(hand, t) >= args.precision), grid[-1])
    for name, tops, t in (
        ("learned (5-fold CV)", cv, 0.0),
        ("learned (5-fold CV)", cv, bar),
        ("hand weights", hand, 0.0),
        ("hand weights", hand, hand_bar),
    ):
        table.append([name, f"{t:.2f}", *_row(tops, t, n)])
    for line in table:
        print("  ".join(f"{c:>20}" for c in line))
    print(f"ceiling (a correct candidate among the groups): {ceiling:.3f}")
    if args.write:
        model = fit(rows, FEATURES, args.c)
        OUT.write_text(
            json.dumps(
                {
                    "what": "logistic regression over search.short_answer.FEATURES; a candidate answer's "
                    "probability of being right; answered when the best one reaches 'bar'",
                    "trained": f"bench/train_answer_ranker.py --index {args.index} (dev: odd question "
                    f"numbers, quiz weeks {args.start}-{args.end}, {n} questions), {date.today()}",
                    "C": args.c,
                    "bar": bar,
                    "cv": {
                        "answered": round(_answered(cv, bar) / n, 3),
                        "short_hit": round(_hits(cv, bar) / n, 3),
                        "precision": round(_precision(cv, bar), 3),
                    },
                    "intercept": round(float(model.intercept_[0]), 6),
                    "weights": {f: round(float(w), 6) for f, w in zip(FEATURES, model.coef_[0], strict=True)},
                },
                indent=1,
            )
            + "\n"
        )
        print(f"wrote {OUT}")
    return 0


def fit(rows: list[dict[str, Any]], features: tuple[str, ...], c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    x = np.array([[g["features"][f] for f in features] for r in rows for g in r["groups"]])
    y = np.array([g["hit"] for r in rows for g in r["groups"]])
    return LogisticRegression(C=c, max_iter=5000).fit(x, y)


def top(model: Any, row: dict[str, Any], features: tuple[str, ...]) -> tuple[float, bool]:
    if not row["groups"]:
        return 0.0, False
    p = model.predict_proba(np.array([[g["features"][f] for f in features] for g in row["groups"]]))[:, 1]
    j = int(p.argmax())
    return float(p[j]), bool(row["groups"][j]["hit"])


def _row(tops: list[tuple[float, bool]], bar: float, n: int) -> list[str]:
    return [f"{_answered(tops, bar) / n:.3f}", f"{_hits(tops, bar) / n:.3f}", f"{_precision(tops, bar):.3f}"]


def _answered(tops: list[tuple[float, bool]], bar: float) -> int:
    return sum(p >= bar and p > 0 for p, _ in tops)


def _hits(tops: list[tuple[float, bool]], bar: float) -> int:
    return sum(h for p, h in tops if p >= bar and p > 0)


def _precision(tops: list[tuple[float, bool]], bar: float) -> float:
    a = _answered(tops, bar)
    return _hits(tops, bar) / a if a else 0.0


if __name__ == "__main__":
    raise SystemExit(main())
