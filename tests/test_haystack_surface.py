"""newsdesk's Haystack components: primitives in, validated, and serialisable (to_dict/from_dict, YAML).

Pipelines built from them are run against the real cluster in test_search_and_answers.py and
test_indexing.py (identical results after a YAML round trip); here, what needs no server.
"""

from __future__ import annotations

from datetime import date

import pytest
from haystack import Pipeline
from haystack.utils import Secret

from ingest.components import NewsCleaner
from search.embedding_components import NewsdeskDocumentEmbedder, NewsdeskTextEmbedder
from search.es_filters import FilterError, to_es_filter
from search.indexing_pipeline import NewsIndexWriter, build_indexing_pipeline
from search.pipeline_yaml import load_pipeline
from search.query_pipeline import build_query_pipeline
from search.retrieval import build_filters
from search.retrievers import NewsBM25Retriever, NewsEmbeddingRetriever
from search.settings import SearchSettings

COMPONENTS = [
    NewsBM25Retriever(hosts=["http://es1:9200", "http://es2:9200"], index="wire", min_should_match="2<-25%"),
    NewsEmbeddingRetriever(hosts="http://es1:9200", index="wire", top_k=7, num_candidates=300),
    NewsdeskDocumentEmbedder(model="/models/minilm", batch_size=16, device="cpu", backend="torch"),
    NewsdeskTextEmbedder(cache_size=0, threads=1),
    NewsCleaner(profiles_dir="/data/boilerplate", use_learned=False, html_method="native"),
    NewsIndexWriter(hosts=["http://es1:9200"], index="wire", embed=False, entities=False, batch_size=8),
]


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: type(c).__name__)
def test_each_component_round_trips_through_to_dict_and_from_dict(component):
    data = component.to_dict()
    assert data["type"] == f"{type(component).__module__}.{type(component).__name__}"
    again = type(component).from_dict(data)
    assert type(again) is type(component)
    assert again.to_dict() == data


def test_credentials_are_written_as_references_to_environment_variables_never_as_values():
    data = NewsBM25Retriever(index="wire").to_dict()["init_parameters"]
    assert data["api_key"] == {"type": "env_var", "env_vars": ["NEWSDESK_ES_API_KEY"], "strict": False}
    assert data["password"]["env_vars"] == ["NEWSDESK_ES_PASSWORD"]
    with pytest.raises(ValueError, match=r"[Cc]annot serialize token"):
        NewsBM25Retriever(index="wire", api_key=Secret.from_token("s3cret")).to_dict()


def test_a_settings_key_from_the_environment_stays_a_reference(monkeypatch):
    monkeypatch.setenv("NEWSDESK_ES_API_KEY", "from-env")
    retriever = NewsBM25Retriever.from_settings(SearchSettings(es_url="http://es1:9200"))
    assert retriever.api_key.resolve_value() == "from-env"
    assert "from-env" not in str(retriever.to_dict())


@pytest.mark.parametrize(
    "make",
    [
        lambda: NewsBM25Retriever(hosts=["es1:9200"]),
        lambda: NewsBM25Retriever(index=""),
        lambda: NewsBM25Retriever(top_k=0),
        lambda: NewsEmbeddingRetriever(request_timeout=0),
        lambda: NewsEmbeddingRetriever(num_candidates=0),
        lambda: NewsdeskDocumentEmbedder(batch_size=0),
        lambda: NewsdeskTextEmbedder(backend="tensorflow"),
        lambda: NewsCleaner(html_method="regex"),
    ],
)
def test_bad_parameters_are_refused_when_the_component_is_built(make):
    with pytest.raises(ValueError):
        make()


def test_components_take_what_settings_say():
    settings = SearchSettings(
        es_url="http://a:9200,http://b:9200",
        index="wire",
        keyword_min_match="",
        embedding_batch_size=8,
        entities=False,
    )
    bm25 = NewsBM25Retriever.from_settings(settings)
    assert (bm25.hosts, bm25.index, bm25.min_should_match) == (
        ["http://a:9200", "http://b:9200"],
        "wire",
        None,
    )
    writer = NewsIndexWriter.from_settings(settings, embed=False)
    assert (writer.embed, writer.entities, writer.embedder.batch_size) == (False, False, 8)


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_query_pipelines_round_trip_through_yaml(mode):
    pipe = build_query_pipeline(mode, SearchSettings(es_url="http://es1:9200", index="wire"))
    yaml = pipe.dumps()
    assert "search.retrievers.NewsBM25Retriever" in yaml or mode == "semantic"
    assert _shape(load_pipeline(yaml)) == _shape(pipe)


def _shape(pipe: Pipeline) -> tuple:
    """Components with their parameters, and connections (whose order YAML does not keep)."""
    data = pipe.to_dict()
    return data["components"], sorted((c["sender"], c["receiver"]) for c in data["connections"])


def test_the_indexing_pipeline_round_trips_through_yaml(tmp_path):
    pipe = build_indexing_pipeline(SearchSettings(es_url="http://es1:9200", index="wire", data_dir=tmp_path))
    yaml = pipe.dumps()
    assert str(tmp_path / "boilerplate") in yaml
    assert _shape(load_pipeline(yaml)) == _shape(pipe)


def test_yaml_naming_a_module_outside_newsdesk_is_refused():
    yaml = build_query_pipeline("keyword", SearchSettings()).dumps()
    with pytest.raises(Exception, match="allowlist"):
        load_pipeline(yaml.replace("search.retrievers.NewsBM25Retriever", "os.system"))


def test_newsdesk_filters_become_elasticsearch_clauses():
    filters = build_filters(source="ap.org", since=date(2017, 11, 1), doc_ids=["a", "b"], entities=["Qaim"])
    assert to_es_filter(filters) == {
        "bool": {
            "must": [
                {"term": {"source": "ap.org"}},
                {"range": {"published": {"gte": "2017-11-01"}}},
                {"terms": {"doc_id": ["a", "b"]}},
                {"term": {"entities": "Qaim"}},
            ]
        }
    }
    nested = {
        "operator": "OR",
        "conditions": [
            {"field": "meta.source", "operator": "!=", "value": "ap.org"},
            {"operator": "NOT", "conditions": [{"field": "updated", "operator": "==", "value": None}]},
        ],
    }
    assert to_es_filter(nested) == {
        "bool": {
            "should": [
                {"bool": {"must_not": [{"term": {"source": "ap.org"}}]}},
                {
                    "bool": {
                        "must_not": [
                            {"bool": {"must": [{"bool": {"must_not": [{"exists": {"field": "updated"}}]}}]}}
                        ]
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"field": "source", "operator": "~", "value": "x"},
        {"field": "source", "operator": "in", "value": "ap.org"},
        {"field": "published", "operator": ">", "value": ["2017"]},
        {"field": "source", "operator": "==", "value": ["a", "b"]},
        {"field": "source", "operator": "=="},
        {"operator": "XOR", "conditions": []},
        "source == ap.org",
    ],
)
def test_filters_newsdesk_cannot_express_are_refused_with_a_reason(bad):
    with pytest.raises(FilterError):
        to_es_filter(bad)
