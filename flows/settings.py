"""Settings of the ingestion flow itself (``NEWSDESK_`` prefix, like every setting)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class FlowSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", env_file=".env", extra="ignore")

    index_retries: int = Field(4, ge=0, le=20, description="Retries of a batch write when ES is unavailable.")
    index_retry_delays: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [2.0, 5.0, 15.0, 30.0],
        description="Seconds before each retry (comma-separated); the last repeats.",
    )

    @field_validator("index_retry_delays", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [float(v) for v in value.split(",") if v.strip()]
        return value
