"""The pluggable readers: an OpenAI-compatible endpoint (a local server speaking that API) and
Haystack's extractive reader with a tiny QA model built here from a config (untrained: this proves
the wiring — spans mapped back to cited sentences and offsets — not answer quality)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from haystack import Document

from ingest.chunking import chunk_text
from ingest.cleaning import clean_record
from ingest.models import CleanArticle, RawRecord
from search.readers import NO_ANSWER, SYSTEM_PROMPT, read
from search.settings import SearchSettings
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def seed_article() -> CleanArticle:
    path = SEEDS / "iraq-isis-qaim-2017-11-05.txt"
    return clean_record(RawRecord(origin=str(path), text=path.read_text(), source="ap.org"))


@pytest.fixture(scope="module")
def chunks(seed_article: CleanArticle) -> list[Document]:
    return [
        Document(
            id=c.chunk_id,
            content=c.text,
            meta={
                "doc_id": seed_article.doc_id,
                "start": c.start,
                "end": c.end,
                "title": seed_article.title,
                "published": seed_article.published.isoformat(),
            },
        )
        for c in chunk_text(seed_article.doc_id, seed_article.text)
    ]


class _FakeChatAPI(BaseHTTPRequestHandler):
    """Speaks /v1/chat/completions. Its 'model' answers with the first numbered sentence that
    mentions the question's last word, citing it; mode 'uncited' answers without citations."""

    mode = "cite"
    requests: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"auth": self.headers.get("Authorization"), "body": body})
        user = body["messages"][-1]["content"]
        word = re.findall(r"\w+", user.splitlines()[0])[-1]
        numbered = re.findall(r"^\[(\d+)\] \([^)]*\) (.*)$", user, re.MULTILINE)
        hit = next(((n, s) for n, s in numbered if word in s), None)
        if self.mode == "uncited":
            text = "Iraqi forces hold it."
        elif hit is None:
            text = NO_ANSWER
        elif self.mode == "paraphrase":
            text = f"the town's new rulers [{hit[0]}]"
        else:  # a short phrase copied from the sentence it cites, as the prompt asks
            text = f"{word} [{hit[0]}]"
        reply = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def chat_api() -> Iterator[str]:
    _FakeChatAPI.requests = []
    _FakeChatAPI.mode = "cite"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeChatAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _chat_settings(url: str) -> SearchSettings:
    return SearchSettings(
        reader="openai", openai_base_url=url, openai_model="test-model", openai_api_key="sk-test"
    )


def test_chat_reader_answers_only_from_retrieved_sentences_and_cites_them(chat_api, chunks, seed_article):
    ans = read("who holds Qaim", chunks, _chat_settings(chat_api))
    assert ans.answered and ans.reader == "openai"
    assert ans.as_of == "2017-11-05"
    assert ans.answer == "Qaim" and ans.answer_type is not None  # the phrase, citations stripped
    ev = ans.evidence[0]
    assert "Qaim" in ev.sentence and seed_article.text[ev.start : ev.end] == ev.sentence
    assert seed_article.text[ev.answer_start : ev.answer_end] == "Qaim"
    assert ans.answer_sentence and ev.sentence in ans.answer_sentence
    sent = _FakeChatAPI.requests[0]
    assert sent["auth"] == "Bearer sk-test"
    assert sent["body"]["messages"][0]["content"] == SYSTEM_PROMPT
    numbered = re.findall(r"^\[\d+\] \([^)]*\) (.*)$", sent["body"]["messages"][1]["content"], re.MULTILINE)
    assert numbered and all(s in seed_article.text for s in numbered)


def test_chat_reader_answer_not_found_verbatim_is_kept_but_not_typed_or_marked(chat_api, chunks):
    _FakeChatAPI.mode = "paraphrase"
    ans = read("who holds Qaim", chunks, _chat_settings(chat_api))
    assert ans.answered and ans.answer == "the town's new rulers"
    assert ans.answer_type is None and all(ev.answer_start is None for ev in ans.evidence)


def test_chat_reader_rejects_an_answer_without_citations(chat_api, chunks):
    _FakeChatAPI.mode = "uncited"
    ans = read("who holds Qaim", chunks, _chat_settings(chat_api))
    assert not ans.answered and ans.answer == "" and ans.evidence


def test_chat_reader_passes_on_no_answer(chat_api, chunks):
    ans = read("who rules Atlantis", chunks, _chat_settings(chat_api))
    assert not ans.answered and ans.answer == ""


@pytest.fixture(scope="module")
def tiny_qa_model(tmp_path_factory) -> Path:
    """A 2-layer BERT question-answering model from a config, random weights, real tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    from search.embedding import bundled_model_path

    out = tmp_path_factory.mktemp("tiny-qa")
    tokenizer = AutoTokenizer.from_pretrained(str(bundled_model_path()), local_files_only=True)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    torch.manual_seed(0)  # deterministic random weights: the same spans on every run
    BertForQuestionAnswering(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_extractive_reader_wiring_maps_its_span_to_a_cited_sentence(tiny_qa_model, chunks, seed_article):
    settings = SearchSettings(reader="extractive", reader_model=str(tiny_qa_model))
    ans = read("who holds Qaim?", chunks, settings)
    assert ans.reader == "extractive" and ans.answered
    assert ans.answer and ans.answer in seed_article.text
    # The sentences citing the span come first, in reading order, and together contain it.
    ev = ans.evidence
    k = 1
    while k < len(ev) and ev[k].start > ev[k - 1].start:
        k += 1
    assert any(ans.answer.strip() in seed_article.text[ev[0].start : ev[j].end] for j in range(k))
    assert all(seed_article.text[e.start : e.end] == e.sentence for e in ans.evidence)
    # The span's own offsets, typed, with the sentences it was read from.
    assert seed_article.text[ev[0].answer_start : ev[0].answer_end] == ans.answer
    assert ans.answer_type in ("person", "organization", "group", "place", "date", "number", "other")
    assert ans.answer_sentence


def _chunk(doc_id: str, text: str) -> Document:
    return Document(id=f"{doc_id}#0", content=text, meta={"doc_id": doc_id, "start": 0, "title": doc_id})


def test_sentence_vectors_are_computed_only_for_the_configured_number_of_best_candidates() -> None:
    from search.answers import candidate_sentences, score_candidates
    from search.embedding import get_embedder

    embedder = get_embedder(SearchSettings())
    calls: list[list[str]] = []

    def recording(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return embedder.embed_documents(texts)

    chunks = [
        _chunk("a", "Rebels hold Qaim. The rebels took Qaim in June. Qaim lies on the Euphrates."),
        _chunk("b", "The army says it will retake Qaim. Rain fell in Baghdad. Markets were calm."),
    ]
    question = "who holds Qaim?"
    assert score_candidates(question, candidate_sentences(chunks), recording, 0)
    assert calls == []
    ranked = score_candidates(question, candidate_sentences(chunks), recording, 2)
    assert len(calls) == 1 and calls[0][0] == question and len(calls[0]) == 3
    assert sum(c.semantic > 0 for c in ranked) == 2
