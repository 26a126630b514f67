"""Settings for the ingestion stages (loading limits, learned boilerplate).

Same surface as ``search.settings``: environment variables with the ``NEWSDESK_`` prefix or a
``.env`` file. ``ingest`` must not import ``search`` (dependencies point one way), so the data-dir
default is computed here with the same logic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    # Mirrors search.settings._default_data_dir: one data dir for the whole application.
    if os.geteuid() == 0:
        return Path("/var/lib/newsdesk")
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "newsdesk"


class IngestSettings(BaseSettings):
    """Limits that keep one bad input from hurting a run, and the learned-boilerplate thresholds."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Application state.")
    max_document_bytes: int = Field(
        20 * 1024 * 1024, ge=1, description="Largest single document (file, JSON record or line)."
    )
    max_decompressed_bytes: int = Field(
        4 * 1024 * 1024 * 1024,
        ge=1,
        description="Cap on bytes read out of one .gz file: a gzip bomb stops here with an error.",
    )
    max_html_depth: int = Field(
        200,
        ge=10,
        le=250,
        description="HTML nested deeper than this is rejected (lxml itself stops at 256 levels).",
    )

    max_html_elements: int = Field(
        100_000,
        ge=1000,
        description="HTML pages with more elements are rejected (parsing cost grows faster than linearly).",
    )

    # Learned per-source boilerplate (ingest.learned).
    learned_min_docs: int = Field(
        5, ge=2, description="A line must occur in at least this many documents of a source."
    )
    learned_min_fraction: float = Field(
        0.02, gt=0, le=1, description="... and in at least this fraction of the source's documents."
    )
    learned_long_line_words: int = Field(
        20, ge=1, description="Lines with this many words or more need the stronger evidence below."
    )
    learned_long_min_fraction: float = Field(
        0.04, gt=0, le=1, description="Fraction of a source's documents a long line must occur in."
    )
    learned_short_line_words: int = Field(
        3, ge=0, description="Lines with at most this many words (names, places, headings) need ..."
    )
    learned_short_min_fraction: float = Field(
        0.10, gt=0, le=1, description="... this fraction of the source's documents to count as boilerplate."
    )
    learned_repeat_docs: int = Field(
        10,
        ge=2,
        description="A line of six words or more in this many documents of a source is boilerplate "
        "whatever share of the source that is (a large site's promotion runs on 1% of its pages).",
    )
    learned_max_lines_per_source: int = Field(
        20000, ge=100, description="Candidate lines kept per source profile (least frequent dropped)."
    )

    @property
    def boilerplate_dir(self) -> Path:
        return self.data_dir / "boilerplate"


def overrides_of(settings: BaseSettings) -> dict[str, Any]:
    """What ``settings`` says that the environment alone would not, as JSON-ready values.

    Why: an ingestion run builds its settings in its own process (the API's job queue, the
    stack's worker); handed these as a flow parameter, it uses exactly what its caller was given.
    Secrets are never included (flow parameters are stored by Prefect and shown in its UI): the
    process that runs the flow takes them from its own environment.
    """
    secret = {n for n, f in type(settings).model_fields.items() if "SecretStr" in str(f.annotation)}
    mine = settings.model_dump(mode="json", exclude=secret)
    env = type(settings)().model_dump(mode="json", exclude=secret)
    return {k: v for k, v in mine.items() if v != env.get(k)}


def get_ingest_settings() -> IngestSettings:
    """Fresh settings (cheap); tests construct ``IngestSettings`` directly instead of patching."""
    return IngestSettings()
