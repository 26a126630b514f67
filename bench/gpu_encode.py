"""Encode exported chunk texts with the bundled model on a GPU machine (needs torch, sentence-transformers).

Embedding 300k chunks on this project's 2 CPU cores takes about two hours (43 texts/s measured);
a GPU does it in about a minute. This script is the GPU half of ``bench/gpu_vectors.py``: it reads
one ``texts-N.jsonl.xz`` part that ``gpu_vectors.py export`` wrote, encodes every text with the
model directory given (the bundled all-MiniLM-L6-v2, stored fp16 to travel, computed in fp32) and
writes int8 vectors with one fp32 scale per vector (a quarter of the fp32 size; cosine to the
unquantised vector > 0.9999, checked again on import), in the order of the texts, as
``vectors-N-K.npz`` pieces of 40,000 rows (files coming back from the GPU machine are capped):

    python3 bench/gpu_encode.py .gpu/texts-0.jsonl.xz .gpu/model $OUT/vectors-0.npz

Nothing in the product depends on it; the same index builds without it, only slower.
"""

from __future__ import annotations

import json
import lzma
import sys
import time
from pathlib import Path

import numpy as np

ROWS_PER_FILE = 40_000


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and per-row scales such that ``codes * scales[:, None] ≈ vectors``."""
    scales = np.abs(vectors).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    codes = np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8)
    return codes, scales.astype(np.float32)


def main(argv: list[str]) -> int:
    texts_path, model_dir, out = Path(argv[0]), Path(argv[1]), Path(argv[2])
    import torch
    from sentence_transformers import SentenceTransformer

    with lzma.open(texts_path, "rt", encoding="utf-8") as f:
        texts = [json.loads(line) for line in f]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    # Weights travel as fp16; compute in fp32 like the CPU reference.
    model = SentenceTransformer(
        str(model_dir), device=device, local_files_only=True, model_kwargs={"dtype": torch.float32}
    )
    t0 = time.perf_counter()
    vectors = model.encode(
        texts, batch_size=512, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    seconds = time.perf_counter() - t0
    codes, scales = quantise(vectors.astype(np.float32))
    # Files that come back from the GPU machine are capped at 16 MiB: 40,000 rows are 15.5 MB.
    stem = out.name.removesuffix(".npz")
    for k, start in enumerate(range(0, len(codes), ROWS_PER_FILE)):
        rows = slice(start, start + ROWS_PER_FILE)
        np.savez(out.with_name(f"{stem}-{k}.npz"), codes=codes[rows], scales=scales[rows])
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    info = {"texts": len(texts), "seconds": round(seconds, 2), "texts_per_s": round(len(texts) / seconds)}
    print(json.dumps({**info, "device": name, "torch": torch.__version__, "out": str(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
