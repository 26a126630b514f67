"""newsdesk over MCP (issue 19), driven by the ``mcp`` SDK's own client: over stdio against a spawned
``newsdesk mcp``, and over streamable HTTP against the live API's ``/mcp``; real Elasticsearch."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from elasticsearch import Elasticsearch

from ingest.cleaning import clean_record
from ingest.models import CleanArticle, RawRecord
from search.indexing import IndexingOptions, index_articles
from search.settings import SearchSettings
from search.store import ensure_indices, refresh
from tests.conftest import REPO, SEEDS
from tests.live_server import live_api

pytestmark = pytest.mark.elasticsearch

TOOLS = {"search", "ask", "get_document"}


@pytest.fixture(scope="module")
def corpus(es_url: str, es_client: Elasticsearch) -> Iterator[tuple[SearchSettings, str]]:
    """The seed article and one other, keyword-only (no model is loaded by these tests)."""
    alias = f"t-{uuid.uuid4().hex[:12]}"
    settings = SearchSettings(es_url=es_url, index=alias, warm_up=False)
    ensure_indices(es_client, alias, embedding_dims=384)
    path = SEEDS / "iraq-isis-qaim-2017-11-05.txt"
    seed = clean_record(RawRecord(origin=str(path), text=path.read_text(encoding="utf-8"), source="ap.org"))
    other = CleanArticle(
        doc_id="harbour-1",
        title="Harbour reopens",
        text="The harbour reopened on Monday after storm repairs. Fishing boats returned at dawn.",
        source="local.example",
    )
    index_articles(es_client, alias, [seed, other], IndexingOptions(embed=False))
    refresh(es_client, alias)
    yield settings, seed.doc_id
    es_client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)


def _newsdesk_mcp(settings: SearchSettings, data_dir: Path):
    """``newsdesk mcp`` as an MCP client configuration names it: the console script, an environment."""
    from mcp import StdioServerParameters

    script = Path(sys.executable).with_name("newsdesk")
    command, args = (
        (str(script), ["mcp"]) if script.exists() else (sys.executable, ["-m", "flows.cli", "mcp"])
    )
    env = {
        "NEWSDESK_ES_URL": settings.es_url,
        "NEWSDESK_INDEX": settings.index,
        "NEWSDESK_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    return StdioServerParameters(command=command, args=args, env=env, cwd=str(REPO))


def _call(server: Any, steps) -> Any:
    """Run ``steps(client)`` with the SDK's ``Client`` connected to ``server``."""
    from mcp import Client

    async def main() -> Any:
        async with Client(server, read_timeout_seconds=120) as client:
            return await steps(client)

    return anyio.run(main)


def test_the_sdk_client_lists_the_tools_of_newsdesk_mcp_over_stdio_and_gets_cited_answers(
    corpus: tuple[SearchSettings, str], tmp_path: Path
):
    settings, seed_id = corpus

    async def steps(client) -> dict[str, Any]:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        search = await client.call_tool("search", {"query": "Qaim border", "mode": "keyword", "top_k": 5})
        ask = await client.call_tool("ask", {"question": "who reclaimed Qaim?"})
        quoted = ask.structured_content["citations"][0]["doc_id"] if ask.structured_content else None
        document = await client.call_tool("get_document", {"doc_id": quoted or seed_id})
        too_many = await client.call_tool("search", {"query": "Qaim", "top_k": 500})
        semantic = await client.call_tool("search", {"query": "Qaim", "mode": "semantic"})
        return {
            "tools": tools, "search": search, "ask": ask, "document": document, "too_many": too_many,
            "semantic": semantic,
        }  # fmt: skip

    got = _call(_newsdesk_mcp(settings, tmp_path), steps)
    assert set(got["tools"]) == TOOLS
    schema = got["tools"]["search"].input_schema
    assert schema["required"] == ["query"] and schema["properties"]["top_k"]["maximum"] == 50
    assert got["tools"]["ask"].annotations.read_only_hint is True

    hits = got["search"].structured_content
    assert not got["search"].is_error and hits["hits"][0]["doc_id"] == seed_id
    cite = hits["citations"][0]
    assert (cite["ref"], cite["doc_id"], cite["source"]) == (1, seed_id, "ap.org") and cite["title"]

    answer = got["ask"].structured_content
    assert answer["answered"], answer
    assert answer["answer_with_citations"].endswith("]") and "[1]" in answer["answer_with_citations"]
    text = got["document"].structured_content["text"]
    for c in answer["citations"]:
        if c["doc_id"] == seed_id:
            assert text[c["start"] : c["end"]] == c["quote"], "every quote is verbatim, at its offsets"
    assert got["too_many"].is_error, "typed inputs are validated"
    # An error a client can act on is the tool's result text (stdout carries only the protocol).
    assert got["semantic"].is_error and "no vectors" in got["semantic"].content[0].text


def test_the_same_tools_answer_over_streamable_http_beside_the_api(corpus: tuple[SearchSettings, str]):
    settings, seed_id = corpus

    async def steps(client) -> dict[str, Any]:
        return {
            "tools": {t.name for t in (await client.list_tools()).tools},
            "search": await client.call_tool("search", {"query": "harbour boats", "mode": "keyword"}),
            "before": await client.call_tool(
                "search", {"query": "Qaim border", "mode": "keyword", "as_of": "2017-11-01"}
            ),
            "document": await client.call_tool("get_document", {"doc_id": seed_id}),
            "missing": await client.call_tool("get_document", {"doc_id": "no-such-doc"}),
        }

    named = settings.model_copy(update={"mcp_allowed_hosts": ["newsdesk.internal:*"]})
    with live_api(named) as base:
        got = _call(base + "/mcp", steps)
        # The transport's guard against DNS rebinding: a page on another origin cannot drive it;
        # a name the API is served under is allowed by NEWSDESK_MCP_ALLOWED_HOSTS.
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        accept = "application/json, text/event-stream"
        foreign = httpx.post(base + "/mcp", json=listing, headers={"Host": "evil.example", "Accept": accept})
        allowed = httpx.post(
            base + "/mcp", json=listing, headers={"Host": "newsdesk.internal:8000", "Accept": accept}
        )
    assert got["tools"] == TOOLS
    assert got["search"].structured_content["hits"][0]["doc_id"] == "harbour-1"
    assert got["before"].structured_content["hits"] == [], "as_of: nothing published later"
    doc = got["document"].structured_content
    assert doc["doc_id"] == seed_id and "Qaim" in doc["text"] and doc["citation"]["url"] is None
    assert got["missing"].is_error and "No document 'no-such-doc'" in got["missing"].content[0].text
    assert foreign.status_code == 421
    assert allowed.status_code != 421
