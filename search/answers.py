"""Answers read from retrieved sentences, offline: no model download, no LLM, no invented text.

The default reader works on sentences, because a sentence is the unit a reader can check:

1. retrieve chunks (hybrid by default) and split them into sentences with exact article offsets
   (``ingest.sentences``), de-duplicating the overlap between neighbouring chunks;
2. score every sentence by how much of the question's *informative* vocabulary it contains
   (stemmed terms weighted by their rarity among the candidates, so the entity asked about outweighs
   common words) and by the rank of the chunk it came from (hybrid retrieval already ranks chunks
   by meaning); optionally (``NEWSDESK_ANSWER_SENTENCE_VECTORS``) the best few also by embedding
   similarity to the question. Off by default: on 200 quiz questions over the 15k-article index
   it moved answer accuracy by no more than one question (0.245 with 12 sentences, 0.250 with
   none) while encoding the sentences tripled the time of an answer (``bench/eval_retrieval.py``);
3. questions about the present ("who holds …", "who controls …", "… currently …") prefer the most
   recent articles; older articles that also match are returned as ``earlier`` so a reader sees
   that the situation changed;
4. the answer is the best supporting sentences, verbatim, with the article date as ``as_of``; when
   the best sentence covers too little of the question, ``answered`` is false and the closest
   passages still come back as evidence.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from ingest.lazy_torch import haystack_without_torch

with haystack_without_torch():  # see ingest/lazy_torch.py: torch loads only when a model runs
    from haystack import Document

from ingest.sentences import split_sentences
from search.analysis import stem_tokens

if TYPE_CHECKING:
    from search.short_answer import EmbedFn

WH_WORDS = frozenset(
    [
        "who",
        "whom",
        "whose",
        "what",
        "which",
        "when",
        "where",
        "why",
        "how",
        "whats",
        "who's",
        "what's",
        "does",
        "do",
        "did",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "can",
        "could",
        "will",
        "would",
        "should",
        "shall",
        "may",
        "might",
    ]
)
# A present-state question: a wh-word followed by a present-tense verb, or an explicit "now" cue.
_PRESENT = re.compile(
    r"\b(?:who|what|which)\s+(?:\w+\s+)?(?:is|are|\w+s)\b|\b(?:currently|now|still|today|at present)\b",
    re.IGNORECASE,
)
MIN_COVERAGE = 0.45  # share of the question's term weight a sentence must contain (no named things)
MIN_KEYED_COVERAGE = 0.3  # ... when it mentions every named thing the question asks about
# Expected answer kinds a sentence answers when no short phrase qualifies (search.short_answer):
# "none" is why / how / yes-no. Not "other" ("what …" without a typed noun): on the dev quiz
# questions such sentence answers held the answer for 4 of 25.
SENTENCE_KINDS = frozenset({"none"})
# Reuse the entities ingestion tagged (chunk field ``ner``) instead of tagging sentences again;
# bench/eval_answers.py --tag-again turns it off to compare the two.
READ_STORED_MENTIONS = True


@dataclass
class Evidence:
    doc_id: str
    title: str
    url: str | None
    published: str | None
    sentence: str
    start: int
    end: int
    score: float
    answer_start: Annotated[int | None, Field(description="The short answer's offsets in the article.")] = (
        None
    )
    answer_end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """The contract's ``ask --json`` object (plus ``earlier`` and ``reader``)."""

    answered: bool
    answer: str
    as_of: str | None
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    earlier: list[Evidence] = field(default_factory=list)
    reader: str = "sentence"
    answer_type: str | None = None  # person | organization | group | place | date | number | other
    answer_sentence: str = ""  # the sentence-level answer; ``answer`` when no short answer qualifies
    event_date: str | None = None  # the day (or month, year) the evidence dates the fact to

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return d


@dataclass
class _Candidate:
    doc: Document
    rank: int
    sentence: str
    start: int  # offsets in the article's clean text
    end: int
    stems: set[str]
    lexical: float = 0.0
    semantic: float = 0.0
    score: float = 0.0

    @property
    def published(self) -> str | None:
        return self.doc.meta.get("published")

    def mentions(self) -> list[list[Any]] | None:
        """The entities ingestion tagged in this sentence (``[start, end, label]``, sentence
        offsets), or None when its chunk carries none (indexed before they were kept, or beyond
        what was tagged): the reader then tags the sentence itself."""
        stored = self.doc.meta.get("ner")
        if stored is None or not READ_STORED_MENTIONS:
            return None
        base = int(self.doc.meta.get("start") or 0)
        lo, hi = self.start - base, self.end - base
        return [[s - lo, e - lo, label] for s, e, label in stored if s >= lo and e <= hi]

    def evidence(self) -> Evidence:
        m = self.doc.meta
        return Evidence(
            doc_id=m.get("doc_id", self.doc.id.split("#")[0]),
            title=m.get("title") or "",
            url=m.get("url"),
            published=self.published,
            sentence=self.sentence,
            start=self.start,
            end=self.end,
            score=round(self.score, 4),
        )


def question_terms(question: str) -> list[str]:
    """The question's content stems (wh-words and auxiliaries removed)."""
    words = [w for w in re.findall(r"\w+(?:'\w+)?", question.lower()) if w not in WH_WORDS]
    return stem_tokens(" ".join(words))


def key_terms(question: str) -> list[str]:
    """Stems of the question's named things: capitalised words (not the opening word), numbers,
    quoted phrases. An answer must mention all of them; relation words ("holds", "leads") may be
    paraphrased in the source ("retaking", "reclaimed"), so they only add to the score."""
    words = re.findall(r"\w+(?:['’]\w+)?", question)
    keys: list[str] = []
    for i, w in enumerate(words):
        if w.lower() in WH_WORDS:
            continue
        if (w[:1].isupper() and i > 0) or any(ch.isdigit() for ch in w):
            keys.extend(stem_tokens(w))
    for quoted in re.findall(r'"([^"]+)"', question):
        keys.extend(stem_tokens(quoted))
    return list(dict.fromkeys(keys))


def is_present_question(question: str) -> bool:
    return bool(_PRESENT.search(question))


def candidate_sentences(chunks: list[Document]) -> list[_Candidate]:
    """Sentences of the retrieved chunks, with article offsets, each once (chunks overlap)."""
    seen: set[tuple[str, int]] = set()
    out: list[_Candidate] = []
    for rank, doc in enumerate(chunks):
        text = doc.content or ""
        base = int(doc.meta.get("start") or 0)
        doc_id = doc.meta.get("doc_id", doc.id.split("#")[0])
        for s, e in split_sentences(text):
            key = (doc_id, base + s)
            if key in seen:
                continue
            seen.add(key)
            sentence = text[s:e]
            out.append(_Candidate(doc, rank, sentence, base + s, base + e, set(stem_tokens(sentence))))
    return out


def score_candidates(
    question: str,
    candidates: list[_Candidate],
    embed_fn=None,
    semantic_candidates: int = 0,
) -> list[_Candidate]:
    """Score in place and return candidates best first (see the module docstring).

    Only the ``semantic_candidates`` best by lexical score are embedded (none by default, like
    ``NEWSDESK_ANSWER_SENTENCE_VECTORS``): encoding sentences is what an answer costs on a CPU.
    """
    terms = list(dict.fromkeys(question_terms(question)))
    if not terms or not candidates:
        return []
    n = len(candidates)
    # Rarity among the candidates: the entity asked about is rare, "said" is everywhere.
    weights = {t: math.log(1 + n / (1 + sum(t in c.stems for c in candidates))) + 0.1 for t in terms}
    total = sum(weights.values())
    for c in candidates:
        c.lexical = sum(w for t, w in weights.items() if t in c.stems) / total
    ranked = sorted(candidates, key=lambda c: (-c.lexical, c.rank))
    if embed_fn is not None and semantic_candidates > 0:
        top = [c for c in ranked[:semantic_candidates] if c.lexical > 0]
        if top:
            vectors = embed_fn([question, *[c.sentence for c in top]])
            q = vectors[0]
            for c, v in zip(top, vectors[1:], strict=True):
                c.semantic = max(0.0, sum(a * b for a, b in zip(q, v, strict=True)))
    for c in candidates:
        rank_prior = 1.0 / (1.0 + c.rank / 3.0)
        c.score = 0.6 * c.lexical + 0.25 * c.semantic + 0.15 * rank_prior
    return sorted(candidates, key=lambda c: (-c.score, c.rank, c.start))


def _supports(c: _Candidate, keys: list[str]) -> bool:
    if keys:
        return all(k in c.stems for k in keys) and c.lexical >= MIN_KEYED_COVERAGE
    return c.lexical >= MIN_COVERAGE


def has_word_content(question: str) -> bool:
    """A question with no word of three letters or more ("what is 2+2?") names nothing to look up."""
    return any(len(t) >= 3 and t.isalpha() for t in question_terms(question))


def compose_answer(
    question: str,
    ranked: list[_Candidate],
    top_k: int = 10,
    short: bool = True,
    embed_fn: EmbedFn | None = None,
    bar: float | None = None,
) -> Answer:
    """Turn scored sentences into the answer object; pure, so it is tested on its own.

    With ``short`` the phrase that answers is read from the supporting sentences
    (``search.short_answer``); the sentence-level answer stays as ``answer_sentence`` and is the
    answer when no typed candidate is good enough. ``embed_fn`` (the search embedder) lets the
    short-answer ranker weigh how well a candidate fits the noun the question asks about. ``bar``:
    the probability a short answer needs (default: the learned ranker's, ``answer_bar``).
    """
    if not ranked:
        return Answer(False, "", None, 0.0, [])
    best = ranked[0]
    keys = key_terms(question)
    supporting, earlier, pool = reading_pool(question, ranked, keys)
    # the reader's best candidate, sure enough or not: below the bar it is no answer, but its
    # sentence is the closest evidence there is
    guess = (
        _short_answer(question, pool, keys, embed_fn, passage_titles(ranked))
        if short and has_word_content(question)
        else None
    )
    found = guess if guess is not None and guess[2] >= (answer_bar() if bar is None else bar) else None
    if short and found is None and supporting and not wants_sentence(question):
        # a question that asks for a name, place, date or number is answered by one: sentences
        # that only share its words are evidence, not an answer
        supporting, earlier = [], []
    answered = found is not None or bool(supporting)
    evidence_c = (supporting or ranked)[:top_k]
    if not answered and guess is not None:
        closest = guess[3][0][0]
        evidence_c = [closest, *(c for c in evidence_c if c is not closest)]
    marks: dict[int, tuple[int, int]] = {}  # id(candidate) -> answer offsets in its sentence
    answer_type = event = None
    sentence_answer = ""
    answer, as_of, confidence = "", None, round(best.score, 4)
    if answered:
        carried = [c for c, _ in found[3]] if found is not None else []
        chosen = _answer_sentences(supporting or carried)
        focus = keys or [
            max(question_terms(question), key=lambda t: sum(t in c.stems for c in chosen), default="")
        ]
        sentence_answer = " … ".join(dict.fromkeys(focus_clause(c.sentence, focus) for c in chosen))
        answer = sentence_answer
        as_of = chosen[0].published
        confidence = min(1.0, chosen[0].score)
        # Evidence: the sentences the answer is made of first, then the rest.
        evidence_c = chosen + [c for c in supporting if c not in chosen]
        if found is not None:
            phrase, answer_type, score, carriers = found
            answer, confidence = phrase, score
            evidence_c = carried + [c for c in evidence_c if all(c is not x for x in carried)]
            marks = {id(c): span for c, span in carriers}
            as_of = carriers[0][0].published
            # the first sentence carrying the answer that dates it (not every report repeats "on Friday")
            event = next(filter(None, (_event_date(c, span, answer_type) for c, span in carriers[:5])), None)
        if short and earlier:
            marks.update(_earlier_marks(question, earlier[:5], keys))
    return Answer(
        answered=answered,
        answer=answer,
        as_of=_date_only(as_of),
        confidence=round(confidence, 4),
        evidence=[_marked(c, marks) for c in evidence_c[:top_k]],
        earlier=[_marked(c, marks) for c in earlier[:5]],
        answer_type=answer_type,
        answer_sentence=sentence_answer,
        event_date=event,
    )


def reading_pool(
    question: str, ranked: list[_Candidate], keys: list[str]
) -> tuple[list[_Candidate], list[_Candidate], list[_Candidate]]:
    """The sentences that support an answer, the older ones of a present-tense question, and the
    sentences a short answer is read from: the support first, then the next retrieved ones (the
    phrase may stand in a sentence just under the support bar; dev split: short-answer hits
    0.059 -> 0.098 of questions), older reports kept apart."""
    best = ranked[0]
    supporting = [c for c in ranked if _supports(c, keys) and c.score >= 0.6 * best.score]
    if not has_word_content(question):
        supporting = []
    earlier: list[_Candidate] = []
    if is_present_question(question) and supporting:
        newest = max((c.published or "") for c in supporting)
        current = [c for c in supporting if (c.published or "") == newest]
        earlier = [c for c in supporting if (c.published or "") != newest]
        supporting = current
    skip = {id(c) for c in earlier} | {id(c) for c in supporting}
    pool = supporting + [c for c in ranked if id(c) not in skip]
    return supporting, earlier, pool


def answer_bar() -> float:
    """The probability a short answer needs before it is offered (``search.short_answer``)."""
    from search.short_answer import answer_bar as bar

    return bar()


def wants_sentence(question: str) -> bool:
    """Why/how/yes-no questions are answered by a sentence, not a phrase (``SENTENCE_KINDS``)."""
    from search.short_answer import expected_type

    return expected_type(question).kind in SENTENCE_KINDS


def passage_titles(ranked: list[_Candidate]) -> list[str]:
    """The retrieved passages' titles in retrieval order (one per passage)."""
    by_rank = {c.rank: c.doc.meta.get("title") or "" for c in ranked}
    return [by_rank[r] for r in sorted(by_rank)]


def _short_answer(
    question: str,
    pool: list[_Candidate],
    keys: list[str],
    embed_fn: EmbedFn | None = None,
    titles: list[str] | None = None,
) -> tuple[str, str, float, list[tuple[_Candidate, tuple[int, int]]]] | None:
    """The short answer, its type and probability, and the sentences carrying it (best first) with
    its offsets in each."""
    from search.short_answer import READ_SENTENCES, read_short_answer

    pool = pool[:READ_SENTENCES]
    best = read_short_answer(
        question,
        [c.sentence for c in pool],
        [c.score for c in pool],
        set(keys),
        [c.lexical for c in pool],
        bar=0.0,
        known_mentions=[c.mentions() for c in pool],
        embed_fn=embed_fn,
        titles=titles,
    )
    if best is None:
        return None
    carriers: list[tuple[_Candidate, tuple[int, int]]] = []
    seen: set[int] = set()
    display = next(m for m in best.mentions if m.text == best.text)
    for m in [display, *sorted(best.mentions, key=lambda m: -m.score)]:
        if m.sentence_index in seen:
            continue
        seen.add(m.sentence_index)
        carriers.append((pool[m.sentence_index], (m.start, m.end)))
    return best.text, best.kind, best.score, carriers


def _earlier_marks(question: str, earlier: list[_Candidate], keys: list[str]) -> dict[int, tuple[int, int]]:
    from search.short_answer import best_per_sentence, scored_mentions

    sentences, scores = [c.sentence for c in earlier], [c.score for c in earlier]
    mentions = scored_mentions(question, sentences, scores, set(keys), [c.mentions() for c in earlier])
    return {id(earlier[i]): (m.start, m.end) for i, m in best_per_sentence(mentions).items()}


def _event_date(c: _Candidate, span: tuple[int, int], answer_type: str | None) -> str | None:
    from search.short_answer import event_date

    if answer_type == "date":
        return event_date(c.sentence[span[0] : span[1]], c.published) or event_date(
            c.sentence, c.published, near=span
        )
    return event_date(c.sentence, c.published, near=span)


def _marked(c: _Candidate, marks: dict[int, tuple[int, int]]) -> Evidence:
    ev = c.evidence()
    span = marks.get(id(c))
    if span is not None:
        ev.answer_start, ev.answer_end = c.start + span[0], c.start + span[1]
    return ev


def _answer_sentences(supporting: list[_Candidate], limit: int = 2) -> list[_Candidate]:
    """The best sentence, plus the next one if it adds question terms the first lacks, or
    corroborates it from the same article; kept in reading order within an article."""
    chosen = [supporting[0]]
    for c in supporting[1:]:
        if len(chosen) >= limit:
            break
        if c.doc.meta.get("doc_id") == chosen[0].doc.meta.get("doc_id") or c.stems - chosen[0].stems:
            chosen.append(c)
    same_doc = all(c.doc.meta.get("doc_id") == chosen[0].doc.meta.get("doc_id") for c in chosen)
    return sorted(chosen, key=lambda c: c.start) if same_doc else chosen


_CLAUSE_BREAK = re.compile(r"(?:,|;|:|\s--\s|\s—\s)\s*(?:(?:while|whereas|but|and|as)\s+)?")
_APPOSITIVE = re.compile(r"^(?:the|a|an)\s", re.IGNORECASE)


def focus_clause(sentence: str, focus: list[str]) -> str:
    """The part of a sentence that speaks about the focus terms, verbatim.

    The sentence is cut at clause boundaries (commas, semicolons, dashes, "while", "but"); the
    clause mentioning the focus is kept, and when the focus ends its clause and an appositive
    follows ("Qaim, the Iraqi border town …"), the description is kept with it. Falls back to the
    whole sentence when no clause qualifies.
    """
    focus = [f for f in focus if f]
    if not focus:
        return sentence.strip()
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _CLAUSE_BREAK.finditer(sentence):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(sentence)))
    for i, (a, b) in enumerate(spans):
        clause = sentence[a:b]
        stems = stem_tokens(clause)
        if not all(f in stems for f in focus):
            continue
        if stems and stems[-1] in focus and i + 1 < len(spans):
            na, nb = spans[i + 1]
            if _APPOSITIVE.match(sentence[na:nb]):
                # "... from Qaim, the Iraqi border town reclaimed ...": start at the entity itself.
                start = a + _last_word_start(clause)
                return sentence[start:nb].strip().rstrip(".")
        if len(stem_tokens(clause)) >= 4:
            return clause.strip().rstrip(".")
    return sentence.strip()


def _last_word_start(clause: str) -> int:
    m = re.search(r"(?:[A-Z][\w'’-]*\s+)*\w[\w'’-]*\W*$", clause)
    return m.start() if m else 0


def _date_only(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None
