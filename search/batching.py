"""Concurrent small encode calls merged into one forward pass (dynamic batching without a timer).

Under load the API embeds many short texts at once: a query per search, a question plus a dozen
candidate sentences per ask. Run side by side, each call's forward pass competes for the same few
cores (torch's intra-op threads times the number of requests), and each pays the per-call overhead
on its own. ``CoalescingBatcher`` lets one call run the model at a time; calls that arrive while it
runs wait, and the next one to go takes all of them in one pass. Nothing waits for a timer: a call
that finds the model idle runs at once, so a lone request pays nothing extra. Measured in
``bench/bench_query.py`` (ask and semantic at concurrency 8).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["CoalescingBatcher"]

Vector = list[float]


@dataclass
class _Call:
    texts: list[str]
    result: list[Vector] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False


class CoalescingBatcher:
    """Serve ``encode(texts)`` calls from many threads with as few model passes as possible.

    :param encode: the model call: texts in, one vector per text out, in order.
    :param max_texts: a pass takes waiting calls until it holds this many texts (a single call
        larger than this runs alone).
    """

    def __init__(self, encode: Callable[[list[str]], list[Vector]], max_texts: int = 256):
        self._encode = encode
        self._max_texts = max_texts
        self._cond = threading.Condition()
        self._waiting: list[_Call] = []
        self._running = False
        self.passes = 0
        self.calls = 0

    def __call__(self, texts: list[str]) -> list[Vector]:
        call = _Call(list(texts))
        with self._cond:
            self.calls += 1
            self._waiting.append(call)
        while True:
            with self._cond:
                while self._running and not call.done:
                    self._cond.wait()
                if call.done:
                    return self._result(call)
                # The model is free and this call is still waiting: run the calls at the head of
                # the line (this one among them unless earlier calls fill the pass).
                batch = self._take()
                self._running = True
                self.passes += 1
            self._run(batch)

    def _run(self, batch: list[_Call]) -> None:
        try:
            vectors = self._encode([t for c in batch for t in c.texts])
            start = 0
            for c in batch:
                c.result = vectors[start : start + len(c.texts)]
                start += len(c.texts)
        except BaseException as exc:  # every caller in the pass gets the model's error
            for c in batch:
                c.error = exc
        finally:
            with self._cond:
                for c in batch:
                    c.done = True
                self._running = False
                self._cond.notify_all()

    def _take(self) -> list[_Call]:
        """Waiting calls in arrival order, up to ``max_texts`` texts (at least one call)."""
        batch = [self._waiting.pop(0)]
        size = len(batch[0].texts)
        while self._waiting and size + len(self._waiting[0].texts) <= self._max_texts:
            nxt = self._waiting.pop(0)
            batch.append(nxt)
            size += len(nxt.texts)
        return batch

    @staticmethod
    def _result(call: _Call) -> list[Vector]:
        if call.error is not None:
            raise call.error
        return call.result
