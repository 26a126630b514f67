"""Import Haystack without importing torch until something really needs it.

Why: ``haystack.utils.device`` runs ``import torch`` when Haystack is imported (inside a
``LazyImport``, which defers only a *failed* import). On these 2-core machines that costs about
2.5 s and 300+ MB in every process that touches Haystack, including a keyword search that never
computes an embedding. Here Haystack is imported with torch hidden, and its device module is then
given a stand-in that imports torch on first use, so model components (which need torch anyway)
behave exactly as before while BM25 retrieval never loads it.

Usage::

    from ingest.lazy_torch import haystack_without_torch

    with haystack_without_torch():
        from haystack import Pipeline   # torch is not imported here
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
from collections.abc import Iterator
from typing import Any


class _TorchOnFirstUse(types.ModuleType):
    """Stands in for ``torch`` in ``haystack.utils.device``: the first attribute read imports it."""

    def __init__(self) -> None:
        super().__init__("torch")

    def __getattr__(self, name: str) -> Any:
        import torch

        return getattr(torch, name)


@contextlib.contextmanager
def haystack_without_torch() -> Iterator[None]:
    """Run the imports in the block with ``import torch`` failing, then repair Haystack's device module.

    A no-op when torch is already imported (nothing to save) or Haystack was imported before.
    """
    if "torch" in sys.modules or "haystack" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` raise ImportError
    try:
        yield
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]
        _repair_device_module()


def _repair_device_module() -> None:
    device = sys.modules.get("haystack.utils.device")
    if device is None or "torch" in sys.modules:
        return
    marker = getattr(device, "torch_import", None)
    if importlib.util.find_spec("torch") is None:
        return  # not installed: Haystack's own "torch missing" handling stays as it is
    if marker is not None and getattr(marker, "_deferred", None) is not None:
        marker._deferred = None  # torch is installed: its import was only postponed
        device.torch = _TorchOnFirstUse()


def torch_loaded() -> bool:
    """Has torch really been imported in this process (not just hidden or stood in for)?"""
    return isinstance(sys.modules.get("torch"), types.ModuleType) and "torch._C" in sys.modules
