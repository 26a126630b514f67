"""Build the embedded query index with vectors computed on a GPU machine, through the normal pipeline.

The query benchmarks need the whole scraped corpus (15,466 articles, ~300k chunks) embedded; on
this project's 2 CPU cores that is about two hours of encoding. When a GPU machine is at hand, the
encoding can happen there and the index is still built by ``newsdesk``'s own ingestion flow:

1. ``newsdesk ingest CORPUS --index bench-scraped --no-embed`` (with a fixed ``NEWSDESK_DATA_DIR``,
   so the learned boilerplate and therefore every chunk text are the same in step 4);
2. ``gpu_vectors.py export``: the exact texts the flow embeds (title + chunk, as
   ``search.indexing`` builds them), deduplicated, in xz parts small enough to travel, and the
   bundled model stored fp16 (``.gpu/``, git-ignored);
3. on the GPU machine, per part: ``python3 bench/gpu_encode.py .gpu/texts-N.jsonl.xz .gpu/model
   $OUT/vectors-N.npz`` (written as ``vectors-N-K.npz`` pieces);
4. ``gpu_vectors.py build --vectors DIR``: checks a sample of the imported vectors against this
   machine's own CPU encoding (cosine reported), primes the process's ``Embedder`` cache with them
   (``Embedder.prime``) and runs the ingestion flow with embeddings in-process. The flow re-processes
   every article (the ledger says "not embedded"), embeds what the cache does not cover on the CPU
   and writes the vectors; the run report says how many texts were served from the primed cache.

Without a GPU, step 1 with embeddings does the same (``bench/README.md``), in hours.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, SCRAPED, machine, prefect_server, versions, write_result

GPU_DIR = REPO / ".gpu"


def embedding_texts(client: Any, index: str) -> list[str]:
    """The distinct texts the indexing flow embeds for the chunks now in ``index``."""
    from elasticsearch import helpers

    from search.indexing import embedding_text

    seen: set[str] = set()
    texts: list[str] = []
    for hit in helpers.scan(client, index=index, _source=["title", "content"], size=2000):
        src = hit["_source"]
        text = embedding_text(src.get("title"), src.get("content") or "")
        if text not in seen:
            seen.add(text)
            texts.append(text)
    return texts


def export(index: str, parts: int, out: Path) -> dict[str, Any]:
    """Write ``texts-N.jsonl.xz`` parts and an fp16 copy of the bundled model under ``out``."""
    from safetensors.torch import load_file, save_file

    from search.embedding import bundled_model_path
    from search.settings import SearchSettings
    from search.store import make_client

    client = make_client(SearchSettings())
    texts = embedding_texts(client, index)
    out.mkdir(parents=True, exist_ok=True)
    size = -(-len(texts) // parts)
    sizes = []
    for n in range(parts):
        path = out / f"texts-{n}.jsonl.xz"
        with lzma.open(path, "wt", encoding="utf-8", preset=9 | lzma.PRESET_EXTREME) as f:
            for text in texts[n * size : (n + 1) * size]:
                f.write(json.dumps(text, ensure_ascii=False) + "\n")
        sizes.append(path.stat().st_size)
    model_src = bundled_model_path()
    model_out = out / "model"
    if model_out.exists():
        shutil.rmtree(model_out)
    shutil.copytree(model_src, model_out, ignore=shutil.ignore_patterns("model.safetensors", "*.md"))
    weights = {k: v.half() for k, v in load_file(str(model_src / "model.safetensors")).items()}
    save_file(weights, str(model_out / "model.safetensors"), metadata={"format": "pt"})
    return {
        "texts": len(texts),
        "parts": parts,
        "part_bytes": sizes,
        "model_bytes": (model_out / "model.safetensors").stat().st_size,
    }


def load_vectors(texts_dir: Path, vectors_dir: Path) -> tuple[list[str], list[list[float]]]:
    """Texts and their dequantised, re-normalised vectors, part by part."""
    import numpy as np

    all_texts: list[str] = []
    all_vectors: list[list[float]] = []
    for part in sorted(texts_dir.glob("texts-*.jsonl.xz")):
        n = part.name.split("-")[1].split(".")[0]
        with lzma.open(part, "rt", encoding="utf-8") as f:
            texts = [json.loads(line) for line in f]
        files = sorted(vectors_dir.glob(f"vectors-{n}-*.npz"), key=lambda p: int(p.stem.split("-")[2]))
        loaded = [np.load(f) for f in files]
        codes = np.concatenate([d["codes"] for d in loaded]) if loaded else np.zeros((0, 1), np.int8)
        scales = np.concatenate([d["scales"] for d in loaded]) if loaded else np.zeros(0, np.float32)
        vectors = codes.astype(np.float32) * scales[:, None]
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        if len(vectors) != len(texts):
            raise SystemExit(f"part {n}: {len(texts)} texts but {len(vectors)} vectors")
        all_texts.extend(texts)
        all_vectors.extend(vectors.tolist())
    return all_texts, all_vectors


def build(index: str, corpus: Path, texts_dir: Path, vectors_dir: Path, sample: int) -> dict[str, Any]:
    """Prime the embedder with the GPU vectors, check a sample on the CPU, run the flow with embeddings."""
    import numpy as np

    from flows.ingestion import run_ingestion
    from search.embedding import get_embedder
    from search.settings import SearchSettings

    t0 = time.perf_counter()
    texts, vectors = load_vectors(texts_dir, vectors_dir)
    load_s = time.perf_counter() - t0
    embedder = get_embedder(SearchSettings())
    if embedder.cache_size < len(texts):
        raise SystemExit(f"set NEWSDESK_EMBEDDING_CACHE_SIZE >= {len(texts)} (now {embedder.cache_size})")
    picks = random.Random(7).sample(range(len(texts)), min(sample, len(texts)))
    cpu = np.asarray(embedder._encode([texts[i] for i in picks]))
    gpu = np.asarray([vectors[i] for i in picks])
    cosines = (cpu * gpu).sum(axis=1)
    embedder.prime(texts, vectors)
    del vectors
    with prefect_server() as prefect_info:
        t1 = time.perf_counter()
        report = run_ingestion([str(corpus)], embed=True, index=index)
        flow_s = time.perf_counter() - t1
    return {
        "index": index,
        "primed_texts": len(texts),
        "load_s": round(load_s, 1),
        "flow_s": round(flow_s, 1),
        "cpu_vs_gpu_cosine": {
            "sample": len(picks),
            "mean": round(float(cosines.mean()), 6),
            "min": round(float(cosines.min()), 6),
        },
        "embedder_cache": embedder.cache_info(),
        "run_report": report,
        "prefect_server": prefect_info,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("export")
    ex.add_argument("--index", default="bench-scraped")
    ex.add_argument("--parts", type=int, default=3)
    ex.add_argument("--out", type=Path, default=GPU_DIR)
    bu = sub.add_parser("build")
    bu.add_argument("--index", default="bench-scraped")
    bu.add_argument("--corpus", type=Path, default=SCRAPED)
    bu.add_argument("--texts", type=Path, default=GPU_DIR)
    bu.add_argument("--vectors", type=Path, required=True)
    bu.add_argument("--sample", type=int, default=256)
    args = ap.parse_args(argv)
    if args.cmd == "export":
        result = export(args.index, args.parts, args.out)
        print(json.dumps(result))
        return 0
    os.environ.setdefault("NEWSDESK_EMBEDDING_CACHE_SIZE", "1000000")
    result = build(args.index, args.corpus, args.texts, args.vectors, args.sample)
    report = {"machine": machine(), "versions": versions(), "corpus": str(args.corpus), **result}
    path = write_result("query_index", report, smoke=False)
    print(json.dumps({k: v for k, v in result.items() if k != "run_report"}, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
