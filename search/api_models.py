"""The API's request and response shapes (the contract's JSON), shared by its routers.

Hits and evidence are the domain's own dataclasses (``search.retrieval.SearchHit``,
``search.answers.Evidence``), not copies: a field added there is in the API and its schema.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from search.answers import Evidence
from search.retrieval import MAX_QUERY_CHARS, SearchHit


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class Copy(BaseModel):
    doc_id: str
    source: str | None = None
    url: str | None = None
    published: str | None = None
    title: str | None = None


class FacetEntity(BaseModel):
    name: str
    type: str
    count: int


class FacetValue(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    """Counts over the hits returned: click one to filter (``entity=``, ``source=``, a month)."""

    entities: list[FacetEntity] = []
    sources: list[FacetValue] = []
    months: list[FacetValue] = []


class SearchResponse(BaseModel):
    hits: list[SearchHit]
    facets: Facets = Field(default_factory=Facets)


class AnswerResponse(BaseModel):
    answered: bool
    answer: str = Field(..., description="The phrase that answers; the answer sentence when none qualifies.")
    answer_type: Literal["person", "organization", "group", "place", "date", "number", "other"] | None = None
    answer_sentence: str = Field("", description="The sentence-level answer (verbatim clauses).")
    event_date: str | None = Field(None, description="When the evidence says it happened (ISO).")
    as_of: str | None
    confidence: float
    evidence: list[Evidence]
    earlier: list[Evidence] = []
    reader: str = "sentence"


class AskFilters(BaseModel):
    source: str | None = Field(None, max_length=200)
    since: date | None = None
    until: date | None = None
    doc_ids: list[Annotated[str, Field(max_length=512)]] | None = Field(None, max_length=100)
    entities: list[Annotated[str, Field(max_length=256)]] | None = Field(None, max_length=20)
    author: str | None = Field(None, max_length=200)


class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=MAX_QUERY_CHARS)
    top_k: int = Field(10, ge=1, le=50)
    mode: Literal["keyword", "semantic", "hybrid"] = "hybrid"
    filters: AskFilters | None = None
    as_of: date | None = Field(None, description="Answer from what had been published by this day.")


class DocumentResponse(BaseModel):
    doc_id: str
    title: str | None
    text: str
    url: str | None
    source: str | None
    published: str | None
    metadata: dict[str, Any]
    also_published_by: list[Copy] = []
    canonical_doc_id: str | None = None
    removed: list[dict[str, Any]] | None = None


class IngestRequest(BaseModel):
    paths: list[Annotated[str, Field(min_length=1, max_length=4096)]] = Field(
        ..., min_length=1, max_length=100
    )
    source: str | None = Field(None, max_length=200)
    embed: bool = True


class IngestJob(BaseModel):
    job_id: str = Field(..., description="With the stack up: the Prefect flow-run id.")
    state: Literal["queued", "running", "completed", "failed", "cancelled"]
    report: dict[str, Any] | None = None
    error: str | None = None
    ui_url: str | None = Field(None, description="The run's page in Prefect's UI, when it runs there.")


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded", "down"]
    elasticsearch: dict[str, Any]
    index: dict[str, Any]


# ---------------------------------------------------------------------------------------------
# alerts, takedowns, the archive overview
# ---------------------------------------------------------------------------------------------
class AlertRequest(BaseModel):
    name: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    query: str = Field(..., min_length=1, max_length=2000, description="Words, as for keyword search.")
    source: str | None = Field(
        None, min_length=1, max_length=200, description="Only articles of this source."
    )
    entities: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(
        default_factory=list, max_length=20, description="Only articles tagged with every one of these."
    )
    webhook: str | None = Field(
        None, max_length=2048, description="http(s) URL that receives one POST per run with its matches."
    )
    replace: bool = Field(False, description="Replace an alert of the same name instead of refusing.")


class AlertResponse(BaseModel):
    name: str
    query: str
    source: str | None = None
    entities: list[str] = []
    webhook: str | None = Field(None, description="Scheme and host only: a webhook URL may carry a secret.")
    created_at: str


class AlertList(BaseModel):
    alerts: list[AlertResponse]


class AlertMatch(BaseModel):
    alert: str
    doc_id: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published: str | None = None
    run_id: str = Field(..., description="The ingestion run that matched it (its Prefect flow-run id).")
    matched_at: str


class AlertMatches(BaseModel):
    alert: str
    matches: list[AlertMatch]


class DeleteResponse(BaseModel):
    deleted: list[str]
    copies_deleted: list[str] = Field(
        [], description="Wire copies' records deleted with it (and tombstoned)."
    )
    chunks_deleted: int
    matches_deleted: int
    not_found: list[str] = []


class Tombstone(BaseModel):
    doc_id: str
    url: str | None = None
    content_hash: str | None = None
    text_hash: str | None = None
    reason: str = ""
    deleted_at: str
    copy_of: str | None = None
    source: str | None = None
    title: str | None = None
    origin: str | None = Field(None, description="Where it was ingested from: re-ingest it after an undo.")


class TombstoneList(BaseModel):
    tombstones: list[Tombstone]


class SourceStats(BaseModel):
    source: str
    articles: int = Field(..., description="Articles with their own chunks.")
    duplicates: int = Field(..., description="Wire copies folded into another article.")
    chunks: int
    first_published: str | None
    last_published: str | None


class StatsTotals(BaseModel):
    articles: int
    duplicates: int
    chunks: int
    sources: int
    tombstones: int
    alerts: int
    alert_matches: int
    first_published: str | None
    last_published: str | None


class RecentRun(BaseModel):
    flow_run_id: str
    name: str | None = None
    state: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    counts: dict[str, int] = {}


class RunsOverview(BaseModel):
    server: str | None = Field(None, description="The Prefect API the runs were read from.")
    available: bool
    recent: list[RecentRun] = []


class StatsResponse(BaseModel):
    index: str
    generated_at: str
    totals: StatsTotals
    sources: list[SourceStats]
    other_sources: int = Field(0, description="Sources beyond the listed ones.")
    index_bytes: dict[str, int]
    quarantined: int | None = Field(None, description="Inputs in the quarantine (None: not known here).")
    runs: RunsOverview | None = Field(None, description="Recent ingestion runs (None: not known here).")
