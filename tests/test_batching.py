"""Concurrent small encode calls share model passes, each caller gets its own vectors back."""

from __future__ import annotations

import threading
import time

import pytest

from search.batching import CoalescingBatcher


class GatedEncoder:
    """An encode function whose first pass blocks until released, so calls pile up behind it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.passes: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.passes.append(list(texts))
        if len(self.passes) == 1:
            assert self.release.wait(10)
        if any(t == "boom" for t in texts):
            raise RuntimeError("model failed")
        return [[float(len(t)), float(i)] for i, t in enumerate(texts)]


def _run_in_threads(
    batcher: CoalescingBatcher, calls: list[list[str]]
) -> tuple[list, list[threading.Thread]]:
    results: list = [None] * len(calls)

    def one(i: int) -> None:
        try:
            results[i] = batcher(calls[i])
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    return results, threads


def _wait_for_waiting(batcher: CoalescingBatcher, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(batcher._waiting) < n:
        assert time.monotonic() < deadline, "calls never queued"
        time.sleep(0.005)


def test_calls_arriving_while_the_model_runs_share_the_next_pass() -> None:
    enc = GatedEncoder()
    batcher = CoalescingBatcher(enc, max_texts=64)
    results, threads = _run_in_threads(batcher, [["first"], ["a", "bb"], ["ccc"], ["dddd", "e"]])
    threads[0].start()
    _wait_for_waiting(batcher, 0)
    while not enc.passes:
        time.sleep(0.005)
    for t in threads[1:]:
        t.start()
    _wait_for_waiting(batcher, 3)
    enc.release.set()
    for t in threads:
        t.join(10)
    assert len(enc.passes) == 2 and batcher.passes == 2 and batcher.calls == 4
    assert sorted(enc.passes[1]) == ["a", "bb", "ccc", "dddd", "e"]
    # Each caller gets the vectors of its own texts, in its own order.
    assert [[v[0] for v in r] for r in results] == [[5.0], [1.0, 2.0], [3.0], [4.0, 1.0]]


def test_a_model_error_reaches_every_caller_of_that_pass_and_the_next_pass_still_runs() -> None:
    enc = GatedEncoder()
    batcher = CoalescingBatcher(enc, max_texts=64)
    results, threads = _run_in_threads(batcher, [["first"], ["boom"], ["fine"]])
    threads[0].start()
    while not enc.passes:
        time.sleep(0.005)
    threads[1].start()
    threads[2].start()
    _wait_for_waiting(batcher, 2)
    enc.release.set()
    for t in threads:
        t.join(10)
    assert results[0] == [[5.0, 0.0]]
    assert isinstance(results[1], RuntimeError) and isinstance(results[2], RuntimeError)
    assert batcher(["again"]) == [[5.0, 0.0]]


def test_a_pass_never_grows_past_max_texts() -> None:
    enc = GatedEncoder()
    batcher = CoalescingBatcher(enc, max_texts=3)
    results, threads = _run_in_threads(batcher, [["first"], ["a", "b"], ["c", "d"], ["e"]])
    threads[0].start()
    while not enc.passes:
        time.sleep(0.005)
    for t in threads[1:]:
        t.start()
        _wait_for_waiting(batcher, threads.index(t))
    enc.release.set()
    for t in threads:
        t.join(10)
    assert [len(p) for p in enc.passes] == [1, 2, 3]
    assert all(not isinstance(r, Exception) for r in results)


def test_a_lone_call_runs_at_once() -> None:
    batcher = CoalescingBatcher(lambda texts: [[1.0] for _ in texts])
    t = time.perf_counter()
    assert batcher(["x", "y"]) == [[1.0], [1.0]]
    assert time.perf_counter() - t < 1.0 and batcher.passes == 1


def test_concurrent_real_embeddings_equal_sequential_ones() -> None:
    from search.embedding import get_embedder
    from search.settings import SearchSettings

    embedder = get_embedder(SearchSettings())
    texts = [
        [f"Question {i} about the siege of Qaim", f"Sentence {i} on the Euphrates valley."] for i in range(8)
    ]
    expected = [embedder._encode(t) for t in texts]
    embedder.clear_cache()
    results, threads = _run_in_threads(embedder._small_calls, texts)
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for got, want in zip(results, expected, strict=True):
        for g, w in zip(got, want, strict=True):
            assert sum(a * b for a, b in zip(g, w, strict=True)) == pytest.approx(1.0, abs=1e-4)
