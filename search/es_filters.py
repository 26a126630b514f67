"""Haystack filter dicts as Elasticsearch filter clauses (newsdesk's own, not the integration's).

Why our own: the only converter shipped with ``elasticsearch-haystack`` is a private function
(``_normalize_filters``) that can change in any release. newsdesk's filters (``build_filters`` in
``search.retrieval``) use a handful of operators over keyword and date fields, so the conversion
is short and ours to test.

Usage::

    to_es_filter({"operator": "AND", "conditions": [
        {"field": "meta.source", "operator": "==", "value": "ap.org"},
        {"field": "meta.published", "operator": ">=", "value": "2017-11-01"},
    ]})
    # {"bool": {"must": [{"term": {"source": "ap.org"}}, {"range": {"published": {"gte": "2017-11-01"}}}]}}
"""

from __future__ import annotations

from typing import Any

_RANGE = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


class FilterError(ValueError):
    """A filter newsdesk cannot express (a 400, with this message)."""


def to_es_filter(filters: dict[str, Any]) -> dict[str, Any]:
    """One Elasticsearch ``bool`` clause for a Haystack filter (comparison or logical)."""
    if not isinstance(filters, dict):
        raise FilterError("filters must be a dictionary")
    if "field" in filters:
        return {"bool": {"must": [_comparison(filters)]}}
    return _logical(filters)


def _logical(condition: dict[str, Any]) -> dict[str, Any]:
    operator = condition.get("operator")
    conditions = condition.get("conditions")
    if not isinstance(conditions, list):
        raise FilterError(f"'conditions' must be a list in {condition}")
    clauses = [_comparison(c) if "field" in c else _logical(c) for c in conditions]
    if operator == "AND":
        return {"bool": {"must": clauses}}
    if operator == "OR":
        return {"bool": {"should": clauses, "minimum_should_match": 1}}
    if operator == "NOT":
        return {"bool": {"must_not": [{"bool": {"must": clauses}}]}}
    raise FilterError(f"unknown logical operator {operator!r}")


def _comparison(condition: dict[str, Any]) -> dict[str, Any]:
    field = str(condition["field"]).removeprefix("meta.")  # the chunk index stores meta flat
    operator = condition.get("operator")
    if "value" not in condition:
        raise FilterError(f"'value' missing in {condition}")
    value = condition["value"]
    if operator == "==":
        return _missing(field) if value is None else _terms(field, value)
    if operator == "!=":
        if value is None:
            return {"exists": {"field": field}}
        return {"bool": {"must_not": [_terms(field, value)]}}
    if operator in ("in", "not in"):
        if not isinstance(value, list):
            raise FilterError(f"{field}: 'in' and 'not in' need a list")
        clause = {"terms": {field: value}}
        return clause if operator == "in" else {"bool": {"must_not": [clause]}}
    if operator in _RANGE:
        if value is None or isinstance(value, list | dict):
            raise FilterError(f"{field}: {operator!r} needs a number or an ISO date")
        return {"range": {field: {_RANGE[operator]: value}}}
    raise FilterError(f"unknown comparison operator {operator!r}")


def _terms(field: str, value: Any) -> dict[str, Any]:
    if isinstance(value, list | dict):
        raise FilterError(f"{field}: '==' and '!=' compare one value ('in' takes a list)")
    return {"term": {field: value}}


def _missing(field: str) -> dict[str, Any]:
    return {"bool": {"must_not": [{"exists": {"field": field}}]}}
