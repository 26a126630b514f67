"""newsdesk's one settings object: every ``NEWSDESK_*`` variable, read once per entry point, in sections.

Each section is a pydantic-settings class kept with the layer that uses it, so a lower layer is
handed its section and never imports this module (dependencies point ``flows → search → ingest``):

============  ==========================================  ======================================
section       what it holds                               class
============  ==========================================  ======================================
``search``    Elasticsearch connection, the local dev     ``search.settings.SearchSettings``
              server, embeddings, API, ranking, answers
``ingest``    loading limits, learned boilerplate         ``ingest.settings.IngestSettings``
``fetch``     fetching pages and feeds, the SSRF guard    ``ingest.urls.FetchSettings``
``flow``      the flow's write retries, its Dask cluster  ``FlowSettings`` (here)
``schedule``  the scheduled deployment                    ``ScheduleSettings`` (here)
============  ==========================================  ======================================

The variables keep their flat names (``NEWSDESK_ES_URL``, ``NEWSDESK_MAX_DOCUMENT_BYTES``, …); a
name two sections share (``NEWSDESK_DATA_DIR``) means the same in both. Entry points (the CLI,
``newsdesk serve``, the worker, a flow run) build one ``Settings`` and pass its sections down.

Usage::

    settings = Settings.load({"es_url": "http://es:9200"})   # the environment, plus overrides
    settings.search.es_url, settings.ingest.max_document_bytes, settings.flow.index_retries
    settings.run_overrides()   # what a flow run must be told to use exactly these (no secrets)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ingest.settings import IngestSettings, overrides_of
from ingest.urls import FetchSettings
from search.settings import SearchSettings


class FlowSettings(BaseSettings):
    """The ingestion flow: retries of a batch write (``NEWSDESK_INDEX_RETRIES``/``_RETRY_DELAYS``) and
    where its batches run (``NEWSDESK_DASK_ADDRESS``: a Dask scheduler; unset, in this process)."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", env_file=".env", extra="ignore")

    index_retries: int = Field(4, ge=0, le=20, description="Retries of a batch write when ES is unavailable.")
    index_retry_delays: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [2.0, 5.0, 15.0, 30.0],
        description="Seconds before each retry (comma-separated); the last repeats.",
    )
    dask_address: str | None = Field(
        None,
        description="Dask scheduler (tcp://host:8786) whose workers clean, embed and write the batches; "
        "unset: batches run on two threads of the process that runs the flow.",
    )

    dask_port: int = Field(
        8786, ge=1, le=65535, description="Port of the Dask scheduler `newsdesk up --dask-workers N` starts."
    )

    @field_validator("dask_address", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("index_retry_delays", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [float(v) for v in value.split(",") if v.strip()]
        return value


class ScheduleSettings(BaseSettings):
    """Schedule configuration (``NEWSDESK_SCHEDULE_*``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_SCHEDULE_", env_file=".env", extra="ignore")

    name: str = Field("scheduled", description="Deployment name.")
    cron: str = Field("0 * * * *", description="Cron expression (UTC by default).")
    timezone: str = Field("UTC")
    sources: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated paths, globs, page or feed URLs."
    )
    batch_size: int = 64
    embed: bool = True

    @field_validator("sources", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [s.strip() for s in value.split(",") if s.strip()]
        return value


# The sections a flow run uses: their overrides travel with the run (flat names, as above).
RUN_SECTIONS: dict[str, type[BaseSettings]] = {
    "search": SearchSettings,
    "ingest": IngestSettings,
    "fetch": FetchSettings,
    "flow": FlowSettings,
}


class Settings(BaseModel):
    """All of newsdesk's settings, one section per layer (see the module docstring)."""

    search: SearchSettings = Field(default_factory=SearchSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    flow: FlowSettings = Field(default_factory=FlowSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None) -> Settings:
        """The environment (and ``.env``), with flat overrides put into every section that has them.

        An override no section knows is an error, not ignored: a typo must not silently fall
        back to the environment.
        """
        given = dict(overrides or {})
        known = {name for section in RUN_SECTIONS.values() for name in section.model_fields}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        sections = {
            name: section(**{k: v for k, v in given.items() if k in section.model_fields})
            for name, section in RUN_SECTIONS.items()
        }
        return cls(**sections)

    @classmethod
    def around(cls, search: SearchSettings) -> Settings:
        """The environment's settings with ``search`` in place, and what it overrides that other
        sections share (its data dir) carried into them."""
        return cls.load(search.run_overrides()).model_copy(update={"search": search})

    def run_overrides(self) -> dict[str, Any]:
        """What these settings say that the environment alone would not, across a run's sections."""
        out: dict[str, Any] = {}
        for name in RUN_SECTIONS:
            out.update(overrides_of(getattr(self, name)))
        return out
