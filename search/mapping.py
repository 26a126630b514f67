"""The Elasticsearch indices newsdesk owns: their settings, analysis and mappings.

Two indices, each versioned behind an alias so a re-index can build ``*-v2`` and swap the alias
atomically (``newsdesk reindex``):

* ``{alias}`` → ``{alias}-v{N}``: one Elasticsearch document per *chunk*, what search and answers
  query. Field names follow Haystack's ``ElasticsearchDocumentStore`` (``content``, ``embedding``,
  flattened ``meta``) so its retrievers work on our index unchanged.
* ``{alias}-articles`` → ``{alias}-articles-v{N}``: one document per *article*: the clean text,
  metadata, removal audit trail, content hash and every place it was published. Incremental
  ingestion reads hashes from here; ``GET /documents/{doc_id}`` serves from here.

English analysis: see ``search.analysis`` (client-side stemming into ``content_stem``).
"""

from __future__ import annotations

MAPPING_VERSION = 1

# Content stemmed in Python (search.analysis.stem_text) uses the built-in ``whitespace`` analyzer:
# this build has no ``whitespace`` *tokenizer* for custom analyzers, but the analyzer is core.
ANALYSIS = {
    "analyzer": {
        # Unstemmed words, English stop words dropped: exact-word matching and highlighting.
        "news_text": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "stop"]},
    }
}

_SOURCE_COPY = {
    "type": "object",
    "properties": {
        "doc_id": {"type": "keyword"},
        "source": {"type": "keyword"},
        "url": {"type": "keyword", "ignore_above": 2048},
        "published": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
        "title": {"type": "text", "analyzer": "news_text"},
    },
}


# People, organisations, groups, places (ingest.entities), and all of them in ``entities`` for the
# filter; keyword fields, so facets are terms aggregations and filters exact.
ENTITY_FIELDS = {
    name: {"type": "keyword", "ignore_above": 256}
    for name in ("entities", "people", "organizations", "groups", "places")
}


# The last update a page states (ingest: record field, page metadata or a timestamp line).
UPDATED_FIELD = {"updated": {"type": "date", "format": "strict_date_optional_time||epoch_millis"}}

# The whole article for BM25 at article level (search.retrieval: a story matches as a whole, not
# only in one chunk), stemmed in Python like ``content_stem``; and its byline for the author filter.
ARTICLE_SEARCH_FIELDS = {
    "body_stem": {"type": "text", "analyzer": "whitespace"},
    "authors": {"type": "keyword"},
}

# Fields added since version 1 of the mappings: put on existing indices at start (no reindex).
ADDED_FIELDS = {**ENTITY_FIELDS, **UPDATED_FIELD}
ADDED_ARTICLE_FIELDS = {**ADDED_FIELDS, **ARTICLE_SEARCH_FIELDS}


def chunk_mapping(embedding_dims: int) -> dict:
    """Mapping of the chunk index; ``embedding_dims`` comes from the configured model."""
    return {
        "dynamic": "false",
        "properties": {
            "id": {"type": "keyword"},
            "doc_id": {"type": "keyword"},
            # the tagger's mentions in the chunk ([start, end, label], chunk offsets): kept in
            # _source for the answer reader, never searched (older indices keep it unmapped)
            "ner": {"type": "object", "enabled": False},
            "chunk_index": {"type": "integer"},
            "chunk_count": {"type": "integer"},
            "content": {
                "type": "text",
                "analyzer": "news_text",
                "term_vector": "with_positions_offsets",
            },
            "content_stem": {"type": "text", "analyzer": "whitespace"},
            "title": {
                "type": "text",
                "analyzer": "news_text",
                "fields": {"raw": {"type": "keyword", "ignore_above": 1024}},
            },
            "title_stem": {"type": "text", "analyzer": "whitespace"},
            "captions": {"type": "text", "analyzer": "news_text"},
            "start": {"type": "integer"},
            "end": {"type": "integer"},
            "url": {"type": "keyword", "ignore_above": 2048},
            "source": {"type": "keyword"},
            "published": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
            **UPDATED_FIELD,
            "language": {"type": "keyword"},
            "dateline": {"type": "keyword"},
            "authors": {"type": "keyword"},
            "content_hash": {"type": "keyword"},
            **ENTITY_FIELDS,
            "embedding": {
                "type": "dense_vector",
                "dims": embedding_dims,
                "index": True,
                "similarity": "cosine",
            },
        },
    }


def article_mapping() -> dict:
    """Mapping of the article index (stored for retrieval and bookkeeping, lightly searchable)."""
    return {
        "dynamic": "false",
        "properties": {
            "doc_id": {"type": "keyword"},
            "title": {"type": "text", "analyzer": "news_text"},
            "text": {"type": "text", "analyzer": "news_text", "index": False},
            "url": {"type": "keyword", "ignore_above": 2048},
            "source": {"type": "keyword"},
            "published": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
            **UPDATED_FIELD,
            "content_hash": {"type": "keyword"},
            "text_hash": {"type": "keyword"},
            "minhash_bands": {"type": "keyword"},
            "chunk_count": {"type": "integer"},
            "canonical_doc_id": {"type": "keyword"},
            "also_published_by": _SOURCE_COPY,
            "copies": {"type": "integer"},
            "embedded": {"type": "boolean"},
            "origin": {"type": "keyword", "ignore_above": 4096},
            "metadata": {"type": "object", "enabled": False},
            "removed": {"type": "object", "enabled": False},
            "ingested_at": {"type": "date"},
            "pipeline_version": {"type": "keyword"},
            **ENTITY_FIELDS,
            **ARTICLE_SEARCH_FIELDS,
        },
    }


def index_settings(shards: int = 1, replicas: int = 0) -> dict:
    return {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "analysis": ANALYSIS,
        # Bulk ingestion refreshes explicitly at the end of a batch; 1s keeps queries fresh otherwise.
        "refresh_interval": "1s",
    }


# ---------------------------------------------------------------------------------------------
# Indices beside the two above (plain indices named after the alias, not versioned behind one:
# they hold few, small documents that ``newsdesk reindex`` leaves alone).
# ---------------------------------------------------------------------------------------------
def alert_mapping() -> dict:
    """Saved searches (``search.alerts``): their words and filters, as the user gave them.

    The query itself is rebuilt from ``query`` with the search settings of the run that matches
    it, so an alert always means what keyword search means now.
    """
    return {
        "dynamic": "false",
        "properties": {
            "name": {"type": "keyword"},
            "query": {"type": "text", "index": False},
            "source": {"type": "keyword"},
            "entities": {"type": "keyword"},
            "webhook": {"type": "keyword", "index": False},
            "created_at": {"type": "date"},
        },
    }


def alert_match_mapping() -> dict:
    """One document per (alert, article, content version) that matched: what ``GET /alerts/{name}
    /matches`` lists and what a webhook delivers."""
    return {
        "dynamic": "false",
        "properties": {
            "alert": {"type": "keyword"},
            "doc_id": {"type": "keyword"},
            "content_hash": {"type": "keyword"},
            "run_id": {"type": "keyword"},
            "matched_at": {"type": "date"},
            "title": {"type": "text", "analyzer": "news_text"},
            "url": {"type": "keyword", "ignore_above": 2048},
            "source": {"type": "keyword"},
            "published": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
            "delivered": {"type": "boolean"},
        },
    }


def tombstone_mapping() -> dict:
    """What a takedown leaves (``search.takedowns``): enough to recognise the article again (its id,
    normalised URL and text hash), never its text."""
    return {
        "dynamic": "false",
        "properties": {
            "doc_id": {"type": "keyword"},
            "url": {"type": "keyword", "ignore_above": 2048},
            "url_key": {"type": "keyword", "ignore_above": 2048},
            "content_hash": {"type": "keyword"},
            "text_hash": {"type": "keyword"},
            "reason": {"type": "text", "index": False},
            "deleted_at": {"type": "date"},
            "copy_of": {"type": "keyword"},
            "source": {"type": "keyword"},
            "title": {"type": "text", "index": False},
            "origin": {"type": "keyword", "index": False},
        },
    }
