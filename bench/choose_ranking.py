"""Ranking settings chosen on questions pooled from several windows, tested once on another (issue 14).

``eval_ranking.py`` chooses the keyword floor, article scoring, fusion and the semantic floors on the
dev half of *one* two-month window (90 questions). On a second window those choices did not hold
(README, "On a fresh window ..."). This script runs the same choice procedure
(``eval_ranking.choose``) on every answerable question of the windows given as ``--dev`` (their
test halves were already scored, so here they are development data), then scores the chosen
settings, the shipped defaults, the modes before article ranking and a stock BM25 over raw text
once on a window given as ``--test`` that was never used for any choice.

Each window's candidate lists come from ``eval_ranking.py --dump FILE`` (fetched once from its
index; every ranking is then computed in Python from the same candidates).

    .venv/bin/python bench/eval_ranking.py --index bench-window --corpus JANFEB.jsonl --dump janfeb.pkl
    .venv/bin/python bench/eval_ranking.py --index bench-w24 --corpus MARAPR24.jsonl \\
        --from 2024/03/01 --to 2024/04/30 --dump marapr24.pkl
    .venv/bin/python bench/eval_ranking.py --index bench-w23so --corpus SEPOCT23.jsonl \\
        --from 2023/09/01 --to 2023/10/31 --dump sepoct23.pkl
    .venv/bin/python bench/choose_ranking.py --dev janfeb.pkl marapr24.pkl --test sepoct23.pkl

Writes ``bench/results/ranking_pooled.json``.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import machine, print_table, versions, write_result
from eval_ranking import (
    TODAY_CHUNKS,
    Cand,
    _lists,
    article_ranking,
    choose,
    first_hit,
    group_best_chunk,
    metrics,
    raw_firsts,
    rrf_chunks_today,
    with_recency,
)


def shipped_config() -> dict[str, Any]:
    """The shipped defaults (``SearchSettings``) in the grid's terms."""
    from eval_ranking import KEYWORD_FLOORS

    from search.settings import SearchSettings

    s = SearchSettings()
    floor = next(n for n, msm in KEYWORD_FLOORS.items() if msm == s.keyword_min_match)
    kw = f"{floor}+emph{s.keyword_emphasis_boost}" if s.keyword_emphasis_boost else floor
    return {
        "kw": kw,
        "depth": s.article_chunk_depth,
        "damping": s.article_chunk_damping,
        "method": s.fusion,
        "w": s.fusion_semantic_weight,
        "wa": s.article_bm25_weight,
        "floor": s.semantic_floor,
        "alone": s.semantic_floor_alone,
    }


def systems(cfg_label: str, cfg: dict[str, Any]) -> dict[str, Any]:
    def keyword(r):
        lists = {"bm25": r["lists"][cfg["kw"]]}
        if cfg.get("wa"):
            lists["article"] = r["lists"]["article"]
        return article_ranking(lists, cfg)

    return {
        f"keyword ({cfg_label})": keyword,
        f"semantic ({cfg_label})": lambda r: article_ranking({"knn": r["lists"]["knn"]}, cfg),
        f"hybrid ({cfg_label})": lambda r: article_ranking(_lists(r["lists"], cfg), cfg),
    }


def as_of_systems(configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Hybrid with ``as_of`` = the question's date: only what was published by then, and for a
    present-tense question the recency prior ``Searcher.search`` applies (``with_recency``)."""
    from search.retrieval import is_present_query
    from search.settings import SearchSettings

    half_life = SearchSettings().recency_half_life_days

    def ranked(r: dict[str, Any], cfg: dict[str, Any]) -> list[str]:
        lists = r["lists_asof"]
        present = is_present_query(r["q"]["question"])
        order = article_ranking(_lists(lists, cfg), cfg)
        return with_recency(order, lists, r["q"]["as_of"], half_life, present)

    return {f"hybrid ({label}) + as_of": lambda r, c=cfg: ranked(r, c) for label, cfg in configs.items()}


def noise_table(dump: dict[str, Any], fns: dict[str, Any]) -> dict[str, Any]:
    """How many of the nonsense and out-of-corpus queries get no hit, per system (the dump's
    ``noise`` lists, fetched by ``eval_ranking.py`` with the same retrievers)."""
    from eval_ranking import nonsense_queries

    if not dump.get("noise"):
        return {}
    queries = nonsense_queries()
    out = {}
    for name, fn in fns.items():
        counts = [len(fn({"lists": lists})[:10]) for lists in dump["noise"]]
        out[name] = {
            "queries": len(counts),
            "share_with_no_hit": round(sum(1 for c in counts if c == 0) / len(counts), 3),
            "mean_hits": round(sum(counts) / len(counts), 2),
            "with_hits": [q for (_, q), c in zip(queries, counts, strict=True) if c][:20],
        }
    print_table(
        f"Noise: {len(queries)} nonsense / out-of-corpus queries (bench/nonsense_queries.txt)",
        ["system", "queries", "share with 0 hits", "mean hits (of 10)"],
        [[k, v["queries"], v["share_with_no_hit"], v["mean_hits"]] for k, v in out.items()],
    )
    return out


def _about(dump: dict[str, Any]) -> dict[str, Any]:
    return {"window": dump["window"], "index": dump["index"], "questions": len(dump["rows"])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, nargs="+", required=True, help="dumps whose questions choose")
    ap.add_argument("--test", type=Path, default=None, help="the dump of a window never used to choose")
    ap.add_argument(
        "--by-parity",
        action="store_true",
        help="no --test: choose on the --dev dumps' odd-numbered questions, test on their even ones "
        "(the whole-corpus index, whose questions are in one dump or its shards)",
    )
    ap.add_argument(
        "--criterion",
        choices=("mrr", "dominate"),
        default="mrr",
        help="step 2's choice: best dev MRR@10, or best among the fusions that beat both retrievers on dev",
    )
    ap.add_argument(
        "--shipped-floors",
        action="store_true",
        help="keep the shipped keyword and semantic floors (the nonsense-query guard); choose fusion only",
    )
    ap.add_argument(
        "--no-choice",
        action="store_true",
        help="skip the grid (20+ minutes on the whole corpus): score today's modes and the shipped settings",
    )
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    class _Unpickler(pickle.Unpickler):
        # eval_ranking.py writes its dump as __main__: its Cand is this module's eval_ranking.Cand
        def find_class(self, module: str, name: str) -> Any:
            if name == "Cand" and module in ("__main__", "eval_ranking"):
                return Cand
            return super().find_class(module, name)

    def load(path: Path) -> dict[str, Any]:
        with path.open("rb") as f:
            return _Unpickler(f).load()

    if args.by_parity != (args.test is None):
        ap.error("give --test, or --by-parity (and no --test)")
    devs = [load(p) for p in args.dev]
    test = load(args.test) if args.test else devs[0]
    texts: dict[str, str] = {}
    for d in [*devs, test]:
        texts.update(d["texts"])
    dev_rows = [r for d in devs for r in d["rows"]]
    test_rows = dev_rows if args.by_parity else test["rows"]  # --by-parity: the dumps are shards of one index
    if args.by_parity:
        dev_rows = [r for r in dev_rows if r["q"]["split"] == "dev"]
        test_rows = [r for r in test_rows if r["q"]["split"] == "test"]
    stores = set.intersection(*(set(d["stores"]) for d in [*devs, test]))
    shipped = shipped_config()
    floors = {k: shipped[k] for k in ("kw", "floor", "alone")} if args.shipped_floors else None
    if args.no_choice:
        best, choices = shipped, {"skipped": "--no-choice"}
    else:
        best, choices = choose(dev_rows, texts, stores, args.criterion, floors)

    def firsts(rows, fn):
        return [first_hit(fn(r), r["q"]["answers"], texts) for r in rows]

    candidates = {
        "keyword (before article ranking)": lambda r: group_best_chunk(r["lists"]["plain"][:TODAY_CHUNKS]),
        "semantic (before)": lambda r: group_best_chunk(r["lists"]["knn"][:TODAY_CHUNKS]),
        "hybrid (before: RRF over chunks)": lambda r: rrf_chunks_today(
            r["lists"]["plain"][:TODAY_CHUNKS], r["lists"]["knn"][:TODAY_CHUNKS]
        ),
        **systems("shipped", shipped),
        **({} if args.no_choice else systems("pooled choice", best)),
    }
    configs = {"shipped": shipped} if args.no_choice else {"shipped": shipped, "pooled choice": best}
    candidates.update(as_of_systems(configs))
    results: dict[str, Any] = {}
    table = []
    scopes = ("dev (odd)", "test (even)") if args.by_parity else ("pooled dev", "test window")
    for scope, rows in zip(scopes, (dev_rows, test_rows), strict=True):
        res = {name: metrics(firsts(rows, fn)) for name, fn in candidates.items()}
        res["raw BM25 (no cleaning, no chunks)"] = metrics(raw_firsts(rows, "raw"))
        res["raw BM25 + as_of"] = metrics(raw_firsts(rows, "raw_asof")) if "raw_asof" in rows[0] else None
        results[scope] = {k: v for k, v in res.items() if v is not None}
        for name, m in results[scope].items():
            table.append([scope, name, len(rows), m["top1"], m["top5"], m["top10"], m["mrr10"]])
    where = (
        f"{test['index']}, questions split by parity (odd choose, even test, used once)"
        if args.by_parity
        else "pooled dev windows "
        + ", ".join(d["window"][0] + "–" + d["window"][1] for d in devs)
        + f"; test window {test['window'][0]}–{test['window'][1]} (used once)"
    )
    print_table(
        f"Ranking chosen on {where}",
        ["scope", "system", "n", "top1", "top5", "top10", "MRR@10"],
        table,
    )
    print("pooled choice:", best)
    print("shipped:", shipped)
    shown = {k: v for label, cfg in configs.items() for k, v in systems(label, cfg).items()}
    noise = noise_table(test, shown)
    write_result(
        "ranking_pooled",
        {
            "machine": machine(),
            "versions": versions(),
            "dev_windows": [_about(d) for d in devs],
            "test_window": _about(test),
            "pooled_choice": best,
            "shipped": shipped,
            "choices": choices,
            "results": results,
            "noise": noise,
        },
        False,
        args.out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
