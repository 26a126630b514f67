"""newsdesk pipelines to and from YAML: which modules Haystack must trust to load them.

Haystack refuses to deserialise classes from modules outside its allowlist (a YAML file names the
classes it builds). ``load_pipeline`` trusts exactly newsdesk's component modules for one call; a
Hayhooks server or any other process loading the YAML itself sets
``HAYSTACK_DESERIALIZATION_ALLOWLIST=ingest.components,search.*`` instead.

Usage::

    yaml = build_query_pipeline("hybrid", SearchSettings()).dumps()
    pipe = load_pipeline(yaml)
"""

from __future__ import annotations

from ingest.lazy_torch import haystack_without_torch

with haystack_without_torch():
    from haystack import Pipeline

COMPONENT_MODULES = [
    "ingest.components",
    "search.embedding_components",
    "search.indexing_pipeline",
    "search.retrievers",
]


def load_pipeline(yaml: str) -> Pipeline:
    """The pipeline a newsdesk YAML file describes (only newsdesk's and Haystack's classes)."""
    return Pipeline.loads(yaml, allowed_modules=COMPONENT_MODULES)
