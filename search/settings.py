"""Settings for everything that talks to Elasticsearch or serves queries.

One configuration surface: environment variables with the ``NEWSDESK_`` prefix, optionally from a
``.env`` file in the working directory. Every field here is listed in the README with its default.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ingest.settings import overrides_of


def _default_cache_dir() -> Path:
    # Root's home is usually mode 700, which the unprivileged Elasticsearch user cannot traverse,
    # so a root install keeps shared state in the FHS locations instead of under ~.
    if os.geteuid() == 0:
        return Path("/var/cache/newsdesk")
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsdesk"


def _default_data_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/lib/newsdesk")
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "newsdesk"


class SearchSettings(BaseSettings):
    """Elasticsearch connection, the local development server, and query serving."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", env_file=".env", extra="ignore")

    es_url: str = Field(
        "http://localhost:9200",
        description="Elasticsearch base URL; several nodes of one cluster: comma-separated URLs.",
    )
    es_username: str | None = Field(None, description="Basic-auth user for Elasticsearch, if secured.")
    # Secrets: SecretStr keeps them out of repr(), str() and logs of the settings object.
    es_password: SecretStr | None = Field(None, description="Basic-auth password for Elasticsearch.")
    es_api_key: SecretStr | None = Field(None, description="Elasticsearch API key (not user/password).")
    es_timeout_s: float = Field(30.0, description="Per-request timeout to Elasticsearch.")
    index: str = Field("news", description="Alias that queries and writes go through.")

    # Local development server (``newsdesk es ...``), fetched from Maven Central.
    es_version: str = Field("8.19.21", description="Elasticsearch version to download and run.")
    es_port: int = Field(9200, description="HTTP port of the local Elasticsearch.")
    es_heap: str = Field("512m", description="JVM heap of the local Elasticsearch (-Xms/-Xmx).")
    es_user: str = Field("newsdesk-es", description="Unprivileged user that runs Elasticsearch as root.")
    es_java_home: Path | None = Field(None, description="JDK for Elasticsearch; found on PATH if unset.")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Downloads (ES builds).")
    data_dir: Path = Field(default_factory=_default_data_dir, description="ES data/logs, app state.")

    # Embeddings.
    embedding_model: str | None = Field(
        None, description="Sentence-transformers model path or name; default: bundled all-MiniLM-L6-v2."
    )
    embedding_batch_size: int = Field(64, ge=1, le=4096)
    embedding_device: str = Field("cpu", description="torch device for the embedder.")
    embedding_cache_size: int = Field(
        20_000, ge=0, description="Vectors the embedder keeps in memory by text hash (0: no cache)."
    )
    embedding_threads: int | None = Field(
        None, ge=1, description="torch CPU threads for the embedder; default: the CPUs usable here."
    )
    embedding_backend: Literal["torch", "onnx-int8"] = Field(
        "torch",
        description="torch: fp32 reference. onnx-int8: ONNX Runtime, int8 weights, ~1.5x faster on CPU,"
        " cosine 0.99 to fp32; needs the onnxruntime and onnx packages.",
    )

    # HTTP API.
    api_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where the CLI looks for a running newsdesk API (search and ask go there when it "
        "answers; empty: always in-process). `newsdesk up` serves the API at this host and port.",
    )
    api_timeout_s: float = Field(60.0, gt=0, description="Per-request timeout of the CLI's API client.")
    prefect_port: int = Field(
        4200,
        ge=1,
        le=65535,
        description="Port of the Prefect server (API and UI) that `newsdesk up` starts on 127.0.0.1, "
        "unless PREFECT_API_URL names one to use instead.",
    )
    api_key: SecretStr | None = Field(
        None, description="Key for write/admin endpoints (X-API-Key header); unset disables them."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS (none by default)."
    )
    ingest_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Server directories POST /ingest may read (comma-separated); URLs are always allowed.",
    )
    warm_up: bool = Field(True, description="Load the embedding model when the API starts.")
    api_max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body the API reads; larger ones get 413."
    )

    entities: bool = Field(
        True, description="Tag people, organisations, groups and places at ingestion (spaCy NER, offline)."
    )

    # Alerts: webhooks (search/webhooks.py).
    webhook_timeout_s: float = Field(10.0, gt=0, le=120, description="Per-attempt timeout of a webhook POST.")
    webhook_attempts: int = Field(
        3, ge=1, le=10, description="Tries per webhook POST (connection errors, timeouts, 429 and 5xx retry)."
    )
    webhook_retry_delay_s: float = Field(
        1.0, ge=0, le=60, description="Wait before the first retry of a webhook POST; doubles per retry."
    )
    webhook_max_matches: int = Field(
        500, ge=1, le=10_000, description="Matches one webhook POST carries; the rest follow next run."
    )
    webhook_secret: SecretStr | None = Field(
        None, description="Signs webhook bodies: X-Newsdesk-Signature: sha256=<HMAC of the body>."
    )

    # MCP (search/mcp_server.py).
    mcp_http: bool = Field(True, description="Serve MCP over streamable HTTP at /mcp beside the API.")
    mcp_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host headers /mcp accepts besides 127.0.0.1, localhost and [::1] (comma-separated, "
        "host:port or host:*): its guard against DNS rebinding.",
    )

    # Ranking (search): see search/ranking.py and bench/eval_ranking.py for how these were chosen.
    fusion: Literal["rrf", "minmax", "zscore"] = Field(
        "zscore", description="How hybrid fuses the keyword and semantic article rankings."
    )
    fusion_semantic_weight: float = Field(
        0.5, ge=0, description="Weight of the semantic ranking in hybrid fusion (keyword's is 1)."
    )
    article_bm25_weight: float = Field(
        1.0,
        ge=0,
        description="Weight of BM25 over whole articles (title + text) in keyword and hybrid fusion; 0: off.",
    )
    article_chunk_depth: int = Field(
        2, ge=1, le=20, description="Chunks of an article that add to its score (best + damped next)."
    )
    article_chunk_damping: float = Field(
        0.25, ge=0, le=1, description="Weight factor of each further chunk in an article's score."
    )
    candidate_chunks: int = Field(
        100, ge=10, le=1000, description="Chunks each retriever fetches before articles are ranked."
    )
    semantic_floor: float = Field(
        0.64,
        ge=0,
        le=1,
        description="Least Elasticsearch cosine score ((1+cos)/2) of a semantic hit; below it is noise.",
    )
    semantic_floor_alone: float = Field(
        0.8,
        ge=0,
        le=1,
        description="In hybrid, least semantic score of an article that keyword search did not find.",
    )
    keyword_min_match: str | None = Field(
        "3<-34% 6<25%",
        description="minimum_should_match a keyword hit needs on its text or title (e.g. '2<-25% 6<40%');"
        " empty: off.",
    )
    keyword_strip_question_words: bool = Field(
        True, description="Drop wh-words, auxiliaries and pronouns from keyword queries."
    )
    keyword_emphasis_boost: float = Field(
        1.0,
        ge=0,
        description="Extra weight of quoted phrases, multi-word names and numbers matched verbatim; 0: off.",
    )
    recency_half_life_days: float = Field(
        30.0, gt=0, description="With as_of, present-tense queries weigh an article ½ per this many days."
    )

    # Answers.
    reader: str = Field("sentence", description="sentence (offline), extractive (QA model) or openai.")
    answer_sentence_vectors: int = Field(
        0,
        ge=0,
        le=100,
        description="Best candidate sentences that ask also scores by embedding similarity to the question "
        "(each one encoded per question: the main CPU cost of ask); 0: lexical score and chunk rank only.",
    )
    answer_min_probability: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Probability a short answer needs before ask offers it (answered: true); unset: the"
        " learned ranker's bar. Higher answers fewer questions, more of them right.",
    )
    reader_model: str | None = Field(None, description="Extractive QA model path/name (reader=extractive).")
    openai_base_url: str | None = Field(None, description="OpenAI-compatible endpoint (reader=openai).")
    openai_model: str | None = Field(None, description="Chat model name (reader=openai).")
    openai_api_key: SecretStr | None = Field(None, description="Key for the OpenAI-compatible endpoint.")

    @field_validator("cors_origins", "ingest_roots", "mcp_allowed_hosts", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    def es_client_kwargs(self) -> dict:
        """Keyword arguments for ``elasticsearch.Elasticsearch`` built from these settings."""
        kwargs: dict = {"hosts": self.es_hosts, "request_timeout": self.es_timeout_s}
        if self.es_api_key:
            kwargs["api_key"] = self.es_api_key.get_secret_value()
        elif self.es_username:
            kwargs["basic_auth"] = (self.es_username, _secret(self.es_password))
        return kwargs

    @property
    def es_hosts(self) -> list[str]:
        """``es_url`` split on commas: the client spreads requests over the nodes and skips dead ones."""
        return [h.strip() for h in self.es_url.split(",") if h.strip()] or ["http://localhost:9200"]

    @property
    def es_url_redacted(self) -> str:
        """``es_url`` safe to print: credentials in a URL (``http://user:pw@host``) become ``***``."""
        return ",".join(re.sub(r"//[^/@]*@", "//***@", h) for h in self.es_hosts)

    def run_overrides(self) -> dict[str, Any]:
        """What this object says that the environment alone would not (``ingest.settings.overrides_of``).

        ``create_app(SearchSettings(es_url=X))`` ingests into X, whatever ``NEWSDESK_ES_URL`` says.
        """
        return overrides_of(self)


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value else ""


@lru_cache(maxsize=1)
def get_settings() -> SearchSettings:
    """Process-wide settings; tests build their own ``SearchSettings`` instead of patching this."""
    return SearchSettings()
