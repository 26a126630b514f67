"""Learn the short-answer ranker's weights on the dev questions (issue 13).

For every dev question (odd question number, quiz weeks in ``--from``/``--to``) the sentences are
retrieved and scored as ``ask`` does, the short-answer candidates of the reading pool are grouped
and described by ``search.short_answer.candidate_answers`` (the product's own features), and each
group is labelled by whether it
matches a correct answer (``eval_answers.short_hit``). A logistic regression over those features
ranks the groups; its weights, and the probability bar for ``answered`` chosen on the dev
questions, are written to ``search/answer_ranker.json``, which the product reads. Test questions
(even numbers) are never loaded here.

    .venv/bin/python bench/train_answer_ranker.py --write

Each window is a bench index built from the scraped corpus's articles of those months
(``eval_answers.py`` reads the same windows); a question is asked as of its quiz date.

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
from eval_answers import answer_in_index, load_questions, short_hit

OUT = Path(__file__).resolve().parents[1] / "search" / "answer_ranker.json"


WINDOWS = (
    "bench-window:2023/01/01:2023/02/28",
    "bench-w23so:2023/09/01:2023/10/31",
    "bench-w23nd:2023/11/01:2023/12/31",
    "bench-w24:2024/03/01:2024/04/30",
)


def collect(windows: list[str], cache: Path | None) -> list[dict[str, Any]]:
    """Per dev question of each ``index:from:to`` window: the candidate groups' features and labels,
    read exactly as ``ask`` reads them (stored entities, the embedder, the passages' titles)."""
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    from elasticsearch import Elasticsearch

    from search.answers import candidate_sentences, key_terms, passage_titles, reading_pool, score_candidates
    from search.embedding import get_embedder
    from search.retrieval import Searcher, build_filters
    from search.settings import SearchSettings
    from search.short_answer import READ_SENTENCES, _display_mention, candidate_answers

    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")
    client = Elasticsearch(es_url, request_timeout=60)
    out = []
    for window in windows:
        index, start, end = window.split(":")
        settings = SearchSettings(es_url=es_url, index=index)
        searcher = Searcher(settings)
        embed_fn = get_embedder(settings).embed_documents
        questions = [q for q in load_questions(start, end) if q["split"] == "dev"]
        for q in questions:
            chunks = searcher.retrieve_chunks(
                q["question"],
                mode="hybrid",
                top_k=20,
                filters=build_filters(as_of=q["as_of"]),
                highlights=False,
            )
            ranked = score_candidates(q["question"], candidate_sentences(chunks))
            row: dict[str, Any] = {
                "id": q["id"],
                "window": window,
                "in_index": answer_in_index(client, index, q["answers"], q["as_of"]),
                "groups": [],
            }
            if ranked:
                keys = key_terms(q["question"])
                _, _, pool = reading_pool(q["question"], ranked, keys)
                pool = pool[:READ_SENTENCES]
                candidates = candidate_answers(
                    q["question"],
                    [c.sentence for c in pool],
                    [c.score for c in pool],
                    set(keys),
                    [c.lexical for c in pool],
                    [c.mentions() for c in pool],
                    embed_fn,
                    passage_titles(ranked),
                )
                for members, features in candidates:
                    text = _display_mention(members).text  # what the answer shows
                    row["groups"].append(
                        {"text": text, "features": features, "hit": short_hit(text, q["answers"])}
                    )
            out.append(row)
        print(f"{window}: {len(questions)} dev questions", flush=True)
    if cache:
        cache.write_bytes(pickle.dumps(out))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--window",
        action="append",
        help=f"INDEX:FROM:TO, repeatable; default: {' '.join(WINDOWS)}",
    )
    ap.add_argument("--cache", type=Path, default=None, help="pickle of the collected features")
    ap.add_argument("--precision", type=float, default=0.6, help="precision of answered the bar aims at")
    ap.add_argument(
        "--calibrate",
        choices=("in-index", "all"),
        default="in-index",
        help="questions the bar is chosen on: those with their answer in the index, or all",
    )
    ap.add_argument("--c", type=float, default=3.0, help="inverse regularisation strength")
    ap.add_argument("--write", action="store_true", help=f"write the weights to {OUT}")
    args = ap.parse_args(argv)
    require(QUIZ)
    windows = args.window or list(WINDOWS)
    rows = collect(windows, args.cache)
    print(f"{len(rows)} dev questions, {sum(len(r['groups']) for r in rows)} candidate answers")
    from search.short_answer import FEATURES

    n = len(rows)
    folds = np.random.RandomState(0).permutation(n) % 5
    # per question, aligned with rows: the top candidate's probability, and whether it is right
    cv: list[tuple[float, bool]] = [(0.0, False)] * n
    for k in range(5):
        model = fit([r for i, r in enumerate(rows) if folds[i] != k], FEATURES, args.c)
        for i, r in enumerate(rows):
            if folds[i] == k:
                cv[i] = top(model, r, FEATURES)
    hand = [
        max(((g["features"]["pooled"], g["hit"]) for g in r["groups"]), default=(0.0, False)) for r in rows
    ]
    # The bar is set on the questions whose answer is in the index: on the full corpus nearly all
    # are (0.88), while a two-month window index lacks the answer to half of them.
    calibrate = [i for i, r in enumerate(rows) if r["in_index"] or args.calibrate == "all"]
    grid = [round(0.05 * i, 2) for i in range(1, 20)]

    def pick(tops: list[tuple[float, bool]]) -> float:
        subset = [tops[i] for i in calibrate]
        return next((t for t in grid if _precision(subset, t) >= args.precision), grid[-1])

    bar, hand_bar = pick(cv), pick(hand)
    table = [["questions", "ranker", "bar", "answered", "short hit", "precision", "ceiling"]]
    for scope, keep in (
        ("all dev", range(n)),
        ("in index", [i for i, r in enumerate(rows) if r["in_index"]]),
    ):
        keep = list(keep)
        ceiling = f"{sum(any(g['hit'] for g in rows[i]['groups']) for i in keep) / max(len(keep), 1):.3f}"
        for name, tops, t in (
            ("learned (5-fold CV)", cv, 0.0),
            ("learned (5-fold CV)", cv, bar),
            ("hand weights", hand, hand_bar),
        ):
            table.append(
                [
                    f"{scope} ({len(keep)})",
                    name,
                    f"{t:.2f}",
                    *_row([tops[i] for i in keep], t, len(keep)),
                    ceiling,
                ]
            )
    for line in table:
        print("  ".join(f"{c:>19}" for c in line))
    calibrated = [cv[i] for i in calibrate]
    if args.write:
        model = fit(rows, FEATURES, args.c)
        OUT.write_text(
            json.dumps(
                {
                    "what": "logistic regression over search.short_answer.FEATURES; a candidate answer's "
                    "probability of being right; answered when the best one reaches 'bar'",
                    "trained": f"bench/train_answer_ranker.py (dev: odd question numbers of the quiz "
                    f"weeks of {', '.join(windows)}; {n} questions), {date.today()}",
                    "C": args.c,
                    "bar": bar,
                    "cv": {
                        "questions": "in index" if args.calibrate == "in-index" else "all dev",
                        "answered": round(_answered(calibrated, bar) / len(calibrated), 3),
                        "short_hit": round(_hits(calibrated, bar) / len(calibrated), 3),
                        "precision": round(_precision(calibrated, bar), 3),
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
