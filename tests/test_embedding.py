"""The embedder: the real bundled MiniLM model, offline, on tiny inputs."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from haystack import Document, Pipeline

from search.embedding import (
    BUNDLED_MODEL_NAME,
    Embedder,
    bundled_model_path,
    get_embedder,
    model_dims,
)
from search.embedding_components import (
    NewsdeskDocumentEmbedder,
    NewsdeskTextEmbedder,
    haystack_document_embedder,
)
from search.settings import SearchSettings

REPO = Path(__file__).resolve().parent.parent


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def settings() -> SearchSettings:
    return SearchSettings(embedding_batch_size=8)


@pytest.fixture(scope="module")
def embedder(settings: SearchSettings) -> Embedder:
    return get_embedder(settings)


def test_bundled_model_has_384_dimensions_read_without_loading(settings: SearchSettings) -> None:
    assert model_dims(settings) == 384


def test_model_name_and_size_are_read_without_importing_torch_or_haystack() -> None:
    # All that `newsdesk ingest --no-embed` or a re-run over unchanged articles needs; importing
    # haystack imports torch (~3 s, ~500 MB), so neither may come with search.embedding.
    code = (
        "import sys; from search.embedding import model_dims, resolve_model; "
        "from search.settings import SearchSettings; s = SearchSettings(); "
        "print(model_dims(s), resolve_model(s)[1]); "
        "print([m for m in ('torch', 'haystack', 'sentence_transformers') if m in sys.modules])"
    )
    env = {k: v for k, v in os.environ.items() if k != "NEWSDESK_EMBEDDING_MODEL"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:2] == [f"384 {BUNDLED_MODEL_NAME}", "[]"]


def test_the_haystack_embedders_live_in_one_module_and_search_embedding_stays_plain() -> None:
    # The lazy re-export through search.embedding made an import cycle (issue 17): the two
    # components are imported from search.embedding_components only.
    from search import embedding

    with pytest.raises(AttributeError):
        _ = embedding.NewsdeskDocumentEmbedder
    assert "haystack" not in Path(embedding.__file__).read_text()


def test_vectors_are_384_dimensional_and_normalised(embedder: Embedder) -> None:
    assert embedder.dims == 384
    assert embedder.model_name == BUNDLED_MODEL_NAME
    vectors = embedder.embed_documents(["Iraqi forces clashed with militants.", "Shares fell in Tokyo."])
    assert len(vectors) == 2
    for v in vectors:
        assert len(v) == 384
        assert math.isclose(math.sqrt(_dot(v, v)), 1.0, rel_tol=1e-4)


def test_related_sentences_are_closer_than_unrelated_ones(embedder: Embedder) -> None:
    clash, border, phone = embedder.embed_documents(
        [
            "Iraqi paramilitary fighters clashed with Islamic State militants near the Syrian border.",
            "Fighting broke out between Iraqi forces and ISIS on the Iraq-Syria frontier.",
            "Apple unveiled a new iPhone with a faster chip and a better camera.",
        ]
    )
    assert _dot(clash, border) > _dot(clash, phone) + 0.3


def test_query_lands_near_the_passage_that_answers_it(embedder: Embedder) -> None:
    passages = embedder.embed_documents(
        [
            "Dillon said there are between 2,500 and 3,500 remaining Islamic State fighters.",
            "TimeWarner said fourth quarter sales rose 2% to $11.1bn from $10.9bn.",
        ]
    )
    query = embedder.embed_query("How many Islamic State fighters remain?")
    assert _dot(query, passages[0]) > _dot(query, passages[1])


def test_same_text_is_never_encoded_twice(settings: SearchSettings) -> None:
    embedder = get_embedder(settings)
    text = "A sentence embedded by test_same_text_is_never_encoded_twice."
    before = embedder.cache_info()
    first = embedder.embed_documents([text, text, text])
    after_first = embedder.cache_info()
    assert after_first["misses"] - before["misses"] == 1
    assert after_first["hits"] - before["hits"] == 2
    again = embedder.embed_query(text)
    assert embedder.cache_info()["misses"] == after_first["misses"]
    assert first[0] == first[1] == first[2] == again


def test_cached_vectors_equal_fresh_ones(embedder: Embedder) -> None:
    text = "The Syrian army announced it liberated Deir el-Zour."
    cached = embedder.embed_documents([text])[0]
    fresh = embedder._encode([text])[0]
    assert math.isclose(_dot(cached, fresh), 1.0, rel_tol=1e-5)


def test_primed_vectors_are_served_without_encoding(embedder: Embedder) -> None:
    text = "A chunk whose vector was computed on another machine, test_primed_vectors."
    vector = embedder._encode([text])[0]
    assert embedder.prime([text], [vector]) == 1
    before = embedder.cache_info()
    assert embedder.embed_documents([text])[0] == vector
    after = embedder.cache_info()
    assert (after["hits"] - before["hits"], after["misses"] - before["misses"]) == (1, 0)


def test_priming_with_vectors_of_another_size_is_refused(embedder: Embedder) -> None:
    with pytest.raises(ValueError, match="dims"):
        embedder.prime(["a text"], [[0.1] * (embedder.dims + 1)])


def test_one_model_per_configuration(settings: SearchSettings) -> None:
    assert get_embedder(settings) is get_embedder(settings.model_copy())


def test_empty_input_gives_empty_output(embedder: Embedder) -> None:
    assert embedder.embed_documents([]) == []


def test_haystack_components_embed_documents_and_queries(
    settings: SearchSettings, embedder: Embedder
) -> None:
    pipe = Pipeline()
    pipe.add_component("embedder", NewsdeskDocumentEmbedder(batch_size=settings.embedding_batch_size))
    docs = [Document(content="Iraqi forces retook Qaim."), Document(content="")]
    out = pipe.run({"embedder": {"documents": docs}})["embedder"]["documents"]
    assert len(out[0].embedding) == 384
    assert out[1].embedding is None
    assert docs[0].embedding is None  # inputs are not mutated
    query = NewsdeskTextEmbedder().run(text="Iraqi forces retook Qaim.")["embedding"]
    assert math.isclose(_dot(query, out[0].embedding), 1.0, rel_tol=1e-4)


def test_stock_haystack_embedder_loads_the_bundled_model_and_agrees(
    settings: SearchSettings, embedder: Embedder
) -> None:
    stock = haystack_document_embedder(settings)
    stock.warm_up()
    text = "The Observatory said Islamic State militants repelled an attack."
    theirs = stock.run(documents=[Document(content=text)])["documents"][0].embedding
    assert math.isclose(_dot(theirs, embedder.embed_documents([text])[0]), 1.0, rel_tol=1e-4)


@pytest.mark.slow
def test_model_loads_with_the_network_forbidden() -> None:
    # A fresh process with offline flags and no proxy to reach anything: loading must still work.
    code = (
        "from search.embedding import Embedder, bundled_model_path; "
        "e = Embedder(str(bundled_model_path()), cache_size=0); "
        "print(len(e.embed_query('hello')))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update({"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""})
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "384"
    assert bundled_model_path().is_dir()


def test_onnx_int8_backend_agrees_with_the_fp32_model(tmp_path: Path, embedder: Embedder) -> None:
    pytest.importorskip("onnxruntime", reason="the onnx-int8 backend needs onnxruntime")
    pytest.importorskip("onnx", reason="exporting the model to ONNX needs onnx")
    fast = Embedder(str(bundled_model_path()), backend="onnx-int8", onnx_dir=tmp_path, cache_size=0)
    texts = [
        "Iraqi paramilitary fighters clashed with Islamic State militants near the Syrian border.",
        "Apple unveiled a new iPhone with a faster chip and a better camera.",
        "Short.",
    ]
    for a, b in zip(fast.embed_documents(texts), embedder.embed_documents(texts), strict=True):
        assert len(a) == 384
        assert _dot(a, b) > 0.97
    assert list(tmp_path.rglob("model-int8.onnx"))


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend"):
        Embedder(str(bundled_model_path()), backend="tensorrt")
