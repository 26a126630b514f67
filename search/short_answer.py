"""The short answer: the phrase that answers a question, typed and dated, read from evidence sentences.

The sentence reader (``search.answers``) finds the sentences that speak to a question; a person
wants the phrase inside them that answers it ("Iraq", "34", "Madonna"), with the sentences that
say so. This module reads that phrase with spaCy's English pipeline from its PyPI package
(``ingest.nlp``: entities and dependency parse, no network), in four steps:

1. **What kind of answer the question wants** (``expected_type``): the wh-word and the noun it
   asks about ("which *singer*" → person, "which *state*" → place, "how many" → number, "when" →
   date). A "who" question about control ("who holds / controls / runs …") wants a state, force or
   organisation as much as a person.
2. **Candidate spans** in the best sentences: named entities mapped to the answer types, numbers
   and dates, and for "what/which <thing>" questions short noun phrases. A candidate whose words
   all occur in the question only repeats it and is dropped.
3. **Scoring a mention** by how well its type fits, how close it sits in the parse to the words
   the question is about (the dependency path from the candidate to the question's named things),
   whether the question's relation (its verb, or a paraphrase from one family: hold ~ retake ~
   reclaim) is carried near it, and by the sentence's own score. In an actor question the source
   of a movement ("reclaimed *from* the Islamic State") is the previous holder, not the answer.
4. **Aggregating across passages**: mentions of one answer ("Iraq", "Iraqi", "at least 34"/"34")
   are pooled; an answer several sentences or articles support outranks a one-off.
5. **Ranking and the bar**: a logistic regression learned on the dev quiz questions
   (``bench/train_answer_ranker.py``, weights in ``answer_ranker.json``) turns each pooled answer's
   features (``FEATURES``) into the probability that it is right; the best answer is offered when
   that probability reaches the bar chosen with the weights (dev, 5-fold CV: precision ≥ 0.6).

When no candidate is likely enough there is no short answer: a short answer is offered only when
the evidence supports it. Dates in the answer's sentence are resolved against the
article's date (``ingest.relative_dates``) into ``event_date``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from search.analysis import stem_tokens

if TYPE_CHECKING:  # spaCy loads on first use, never for keyword search
    from spacy.tokens import Doc, Span, Token

# The search embedder's encode: texts in, normalised vectors out (``Embedder.embed_documents``).
EmbedFn = Callable[[list[str]], list[list[float]]]

ANSWER_TYPES = ("person", "organization", "group", "place", "date", "number", "other")
LABEL_TYPE = {
    "PERSON": "person",
    "ORG": "organization",
    "NORP": "group",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "DATE": "date",
    "TIME": "date",
    "CARDINAL": "number",
    "MONEY": "number",
    "PERCENT": "number",
    "QUANTITY": "number",
    "EVENT": "other",
    "WORK_OF_ART": "other",
    "PRODUCT": "other",
    "LAW": "other",
    "LANGUAGE": "other",
}

# The noun a "which/what <noun>" question asks about, by answer type (lemmas).
_PERSON_NOUNS = frozenset(
    """person man woman boy girl singer star superstar actor actress player athlete politician
    president leader minister senator governor lawmaker candidate author writer director ceo
    executive founder billionaire king queen prince princess pope rapper musician artist comedian
    host judge official celebrity coach quarterback pitcher driver golfer footballer lawyer scientist
    astronaut chef designer model journalist anchor reporter justice mayor representative
    congressman congresswoman speaker chancellor monarch royal daughter son wife husband mother father
    brother sister figure personality entrepreneur investor influencer youtuber creator producer
    composer poet novelist dancer boxer fighter wrestler rider skier swimmer runner champion winner
    nominee chief spokesperson spokesman spokeswoman secretary member royal heir suspect victim
    doctor physician nurse teacher professor economist activist candidate premier dictator tycoon
    mogul billionaire republican democrat congressperson legislator""".split()
)
_PLACE_NOUNS = frozenset(
    """country nation state city town village region province county island continent capital place
    area location territory border park airport port river lake mountain ocean sea neighborhood
    neighbourhood district site venue stadium street building landmark kingdom republic destination
    municipality suburb coast peninsula desert volcano""".split()
)
_ORG_NOUNS = frozenset(
    """company firm organization organisation agency team club party newspaper network bank brand band
    union league airline automaker carmaker retailer university college school court chain outlet
    publication magazine broadcaster channel studio startup manufacturer maker giant corporation
    business store restaurant platform service institution department ministry government body
    committee council charity foundation exchange station conglomerate label publisher developer
    operator carrier insurer lender regulator watchdog""".split()
)
_GROUP_NOUNS = frozenset("group militia faction nationality tribe religion community force".split())
_DATE_NOUNS = frozenset("year day month date decade century week season weekday".split())
_NUMBER_NOUNS = frozenset("number percentage percent amount age price cost total share rate".split())
_HOW_NUMBER = frozenset("many much old long far big tall large high deep".split())

# Verbs of holding and taking control: a question about one is answered by a sentence with another.
RELATION_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset(
        """hold control occupy rule govern run retake recapture capture seize reclaim liberate take
        conquer annex keep regain recover""".split()
    ),
    frozenset("lead head chair run direct helm command manage".split()),
    frozenset("win beat defeat clinch claim triumph top".split()),
    frozenset("buy acquire purchase take own".split()),
    frozenset("kill die slay murder shoot".split()),
    frozenset("name appoint nominate choose pick select elect tap".split()),
    frozenset("announce unveil reveal launch introduce release".split()),
    frozenset("sue file charge indict accuse".split()),
)
# Heads that turn a nationality into a force or an authority: "Iraqi forces", "Syrian troops".
_GROUP_HEADS = frozenset(
    """forces force troops army military government militia fighters police authorities navy soldiers
    militants rebels insurgents separatists jihadists""".split()
)
# "Who holds / controls / retook …" asks for a state, force or organisation as much as a person.
_ACTOR_VERBS = frozenset(
    """hold control occupy rule govern retake recapture capture seize reclaim liberate conquer annex
    regain""".split()
)
_WH_STEMS = frozenset(
    stem
    for w in "who whom whose what which when where why how is are was were did does do has have had".split()
    for stem in stem_tokens(w)
)
_ARTICLES = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
# "At least 34", "nearly $1 billion": the qualifier hedges the number, it is not another answer
_QUALIFIERS = re.compile(
    r"^(?:at least|at most|more than|less than|fewer than|up to|nearly|almost|about|around|roughly"
    r"|some|over|under|an estimated|estimated|approximately|only|just)\s+(?=[$€£]?\d)",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"\s*[’']s?$")
MIN_SHORT_SCORE = 0.3  # below this the sentence-level answer stands (chosen on the dev split)
MAX_CANDIDATE_TOKENS = 8
READ_SENTENCES = 12  # sentences parsed per question: the parse is what a short answer costs
# Weights of a mention's score (sentence score, parse distance to the named things, relation
# nearby) and of each further sentence that carries the same answer; chosen on the dev split.
W_SENTENCE, W_PROXIMITY, W_RELATION = 0.35, 0.4, 0.25
POOLING = 0.35
UNRELATED = 0.35  # weight of a mention in a sentence that shares only the question's named things
TITLE_RANKS = 10  # retrieved passages whose titles count for an answer's prominence
RELATION_REACH = 3  # edges between the question's relation word and its named thing in a sentence


@dataclass(frozen=True)
class ExpectedType:
    """What kind of phrase answers the question, and the words it turns on."""

    kind: str  # an ANSWER_TYPES entry, "actor" (who + a verb of control), or "none" (yes/no, why)
    weights: dict[str, float]
    focus: str | None = None  # lemma of the noun asked about ("singer")
    relation: str | None = None  # lemma of the verb asked about ("hold")
    focus_phrase: str | None = None  # the words that describe it ("invasive species", "grocery item")
    # "who is the prime minister of Ireland": the answer is named as the role (the focus); "ireland"
    # is what the role is "of" ("" when the question says of nothing)
    role_of: str | None = None


_WEIGHTS: dict[str, dict[str, float]] = {
    "person": {"person": 1.0, "organization": 0.5, "group": 0.35},
    "organization": {"organization": 1.0, "group": 0.6, "person": 0.55, "place": 0.3, "other": 0.3},
    "group": {"group": 1.0, "organization": 0.8, "place": 0.5},
    "place": {"place": 1.0, "group": 0.45, "organization": 0.2},
    "actor": {"group": 1.0, "organization": 1.0, "place": 0.9, "person": 0.6},
    "who": {"person": 1.0, "organization": 0.8, "group": 0.6, "place": 0.5},
    "date": {"date": 1.0},
    "number": {"number": 1.0},
    "other": {"other": 1.0, "organization": 0.7, "person": 0.6, "place": 0.6, "group": 0.6},
    "none": {},
}


def _kind_of_noun(lemma: str) -> str | None:
    for kind, nouns in (
        ("person", _PERSON_NOUNS),
        ("place", _PLACE_NOUNS),
        ("organization", _ORG_NOUNS),
        ("group", _GROUP_NOUNS),
        ("date", _DATE_NOUNS),
        ("number", _NUMBER_NOUNS),
    ):
        if lemma in nouns:
            return kind
    return None


@lru_cache(maxsize=256)
def expected_type(question: str) -> ExpectedType:
    """The answer type a question asks for, read from its wh-word and the noun that word governs.

    The wh-word may stand anywhere ("… co-host Eurovision with which star?"); "which of these
    teams" asks about teams; "what is the name of …" asks for a name of the thing after "of".
    """
    from ingest.nlp import load_nlp

    # curly quotes as straight ones: "which nation‘s prime minister" is a possessive
    doc = load_nlp()(question.strip().translate(_QUOTES))
    tokens = list(doc)
    low = [t.lower_ for t in tokens]
    relation = _relation_lemma(doc)

    def result(kind: str, focus: Token | str | None = None, role: bool = False) -> ExpectedType:
        if focus is None or isinstance(focus, str):
            return ExpectedType(kind, _WEIGHTS[kind], focus, relation)
        # a named role ("prime minister", "capital"), not "what is the goal of …", answered by a clause
        role_of = _of_object(focus) if role and kind in _RETYPED else None
        return ExpectedType(kind, _WEIGHTS[kind], _noun_lemma(focus), relation, _noun_phrase(focus), role_of)

    for i, t in enumerate(tokens):
        if low[i] == "how" and i + 1 < len(tokens) and low[i + 1] in _HOW_NUMBER:
            # "how many criminal charges": the unit counted is the focus
            unit = next((u for u in tokens[i + 2 : i + 6] if u.pos_ == "NOUN"), None)
            return result("number", (unit.lemma_ if unit is not None else tokens[i + 1].lemma_).lower())
        if low[i] == "when":
            return result("date")
        if low[i] == "where":
            return result("place")
        if low[i] in ("which", "what", "whose"):
            noun = _governed_noun(t)
            if noun is not None:
                # "what is the capital of Australia" names a role as much as "who is the …" does
                role = (
                    noun.i > t.i + 1
                    and low[t.i + 1] in _COPULAS
                    and "name" not in low[t.i + 2 : noun.i]  # "the name of the plan" is no role
                )
                return result(_kind_of_noun(_noun_lemma(noun)) or "other", noun, role=role)
            if low[i] == "whose":
                return result("person")
            nxt = low[i + 1] if i + 1 < len(tokens) else ""
            if nxt in _COPULAS:
                return result("other")
        if low[i] in ("who", "whom"):
            who = "actor" if relation in _ACTOR_VERBS else "who"
            noun = _copula_noun(t)  # "who is the prime minister of Ireland" asks for a prime minister
            if noun is not None:
                kind = _kind_of_noun(_noun_lemma(noun))
                kind = kind if kind in ("person", "organization", "group") else who
                return result(kind, noun, role=True)
            return result(who)
    if len(tokens) > 1 and low[0] in ("this", "these"):
        # the quiz form "This Republican is set to …", "These two countries signed …"
        noun = _governed_noun(tokens[0])
        if noun is not None and _noun_lemma(noun) not in _DATE_NOUNS:  # not "This week, …"
            return result(_kind_of_noun(_noun_lemma(noun)) or "other", noun)
    if low and low[0] in ("why", "how"):
        return result("none")
    if re.search(r"\btrue or false\b|^(?:is|are|was|were|did|does|do|has|have|can|will)\b", question, re.I):
        return result("none")
    return result("other")


def _governed_noun(wh: Token) -> Token | None:
    """The noun a which/what word determines: "which superstar singer", "which of these teams".

    Read from the words after the wh-word (the last noun of the adjective/noun run is the head of
    the phrase in English); the parse of a question is the small model's weakest point.
    """
    doc = wh.doc
    k = wh.i + 1
    if k < len(doc) and doc[k].lower_ == "of":  # "which of these teams"
        k += 1
        while k < len(doc) and doc[k].pos_ in ("DET", "PRON") and doc[k].lower_ in ("these", "the", "those"):
            k += 1
    head = None
    while k < len(doc) and (doc[k].pos_ in ("NOUN", "PROPN", "ADJ", "NUM") or _in_hyphenated(doc, k)):
        if doc[k].pos_ in ("NOUN", "PROPN") and not _in_hyphenated(doc, k):
            head = doc[k]
        elif head is not None and doc[k].pos_ == "ADJ":
            break
        k += 1
    if head is not None and k < len(doc) and doc[k].tag_ == "POS":
        return head  # "which broadcaster's journalists" asks for a broadcaster
    if head is not None and head.lower_ in _KIND_WORDS and k + 1 < len(doc) and doc[k].lower_ == "of":
        # "which type of grocery item", "what kind of sightings": the kind is named after "of"
        after = _governed_noun(doc[k])
        return after if after is not None else head
    if head is not None:
        return head
    return _copula_noun(wh)


_COPULAS = frozenset(("is", "was", "are", "were", "'s"))


def _of_object(noun: Token) -> str:
    """What a role noun is "of" in the question ("capital of Australia" → "australia"), or ""."""
    for child in noun.children:
        if child.lower_ == "of":
            obj = next((p for p in child.children if p.dep_ == "pobj"), None)
            if obj is not None:
                return obj.lemma_.lower()
    return ""


def _copula_noun(wh: Token) -> Token | None:
    """The noun after "<wh> is/was the": "what is the capital of Australia", "who is the prime
    minister of Ireland" ask about a capital and a prime minister; a "name of X" asks for a name of
    the thing X."""
    doc = wh.doc
    nxt = doc[wh.i + 1] if wh.i + 1 < len(doc) else None
    if nxt is None or nxt.lower_ not in _COPULAS:
        return None
    for tok in doc[wh.i + 2 :]:
        if tok.pos_ in ("DET", "ADJ", "ADV") or tok.dep_ in ("det", "poss", "case", "amod", "compound"):
            continue
        if tok.pos_ not in ("NOUN", "PROPN"):
            return None
        if tok.lemma_.lower() == "name":
            for child in tok.children:
                if child.lower_ == "of":
                    return next((p for p in child.children if p.pos_ in ("NOUN", "PROPN")), tok)
        after = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        if after is not None and after.pos_ in ("VERB", "AUX"):
            return None  # "what is the administration expected to sell": the noun is the subject
        return tok
    return None


_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_KIND_WORDS = frozenset("type types kind kinds sort sorts form forms variety category genre".split())


def _in_hyphenated(doc: Doc, k: int) -> bool:
    """A token of a hyphenated word ("would-be", "long-time") inside a noun phrase."""
    tok = doc[k]
    if tok.text == "-":
        return 0 < k < len(doc) - 1 and not doc[k - 1].whitespace_ and not tok.whitespace_
    return (k + 1 < len(doc) and doc[k + 1].text == "-" and not tok.whitespace_) or (
        k > 0 and doc[k - 1].text == "-" and not doc[k - 1].whitespace_
    )


def _noun_lemma(noun: Token) -> str:
    """The noun's lemma; "species" is its own singular (the small model says "specie")."""
    return "species" if noun.lower_ == "species" else noun.lemma_.lower()


def _noun_phrase(noun: Token) -> str:
    """The noun with the nouns and adjectives right before it: "invasive species", "home goods chain"."""
    start = noun.i
    while (
        start > 0
        and noun.doc[start - 1].pos_ in ("NOUN", "PROPN", "ADJ")
        and noun.doc[start - 1].tag_ != "POS"
    ):
        start -= 1
    return noun.doc[start : noun.i + 1].text


def _relation_lemma(doc: Doc) -> str | None:
    """The verb the question asks about: its root verb, unless that is a light verb ("is")."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    if root.pos_ in ("VERB",) and root.lemma_.lower() not in ("be", "do", "have"):
        return root.lemma_.lower()
    verbs = [t for t in doc if t.pos_ == "VERB" and t.lemma_.lower() not in ("be", "do", "have")]
    return verbs[0].lemma_.lower() if verbs else None


# Past forms the small model's lemmatizer does not always undo ("retook" stays "retook").
_IRREGULAR = {
    "hold": ("held",),
    "take": ("took", "taken"),
    "retake": ("retook", "retaken"),
    "win": ("won",),
    "run": ("ran",),
    "lead": ("led",),
    "buy": ("bought",),
    "beat": ("beaten",),
    "choose": ("chose", "chosen"),
    "keep": ("kept",),
    "shoot": ("shot",),
    "slay": ("slew", "slain"),
}


def relation_family(lemma: str | None) -> frozenset[str]:
    """The verb, the verbs that say the same relation in news text, and their irregular forms."""
    if not lemma:
        return frozenset()
    out = {lemma}
    for family in RELATION_FAMILIES:
        if lemma in family:
            out |= family
    for word in list(out):
        out.update(_IRREGULAR.get(word, ()))
    return frozenset(out)


# ---------------------------------------------------------------------------------------------
# candidates in parsed sentences
# ---------------------------------------------------------------------------------------------
@dataclass
class Mention:
    """One candidate answer span inside one sentence."""

    text: str
    kind: str
    sentence_index: int
    start: int  # character offsets inside the sentence
    end: int
    label: str
    score: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)  # what the ranker reads of the mention


@dataclass
class ShortAnswer:
    text: str
    kind: str
    score: float
    support: int  # distinct sentences that carry it
    mentions: list[Mention] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "type": self.kind, "score": self.score, "support": self.support}


def _content_stems(text: str) -> set[str]:
    return {s for s in stem_tokens(text) if len(s) > 1 or s.isdigit()}


def normalise_answer(text: str) -> str:
    """One key per answer: no article, no possessive, case and spacing folded."""
    text = re.sub(r"\s+", " ", text).strip(' \t.,;:-–—"“”()[]')
    text = _POSSESSIVE.sub("", text)
    return _QUALIFIERS.sub("", _ARTICLES.sub("", text)).casefold()


def _trim(span: Span) -> Span:
    """A span without leading determiners/possessives and trailing punctuation or possessive marks."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (
        doc[start].pos_ in ("DET", "PRON")
        or doc[start].dep_ in ("det", "poss", "case")
        or doc[start].tag_ == "POS"
        or doc[start].is_punct
        or doc[start].pos_ == "SYM"  # "− Harvard" in a list of results
    ):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].pos_ == "SYM" or doc[end - 1].tag_ == "POS"):
        end -= 1
    return doc[start:end]


def candidates_in(
    doc: Doc, sentence_index: int, want: ExpectedType, question_stems: set[str]
) -> list[Mention]:
    """Typed candidate spans of one parsed sentence (not ones that only repeat the question)."""
    out: list[Mention] = []
    taken: set[int] = set()

    def add(span: Span, kind: str, label: str) -> None:
        span = _trim(span)
        if not len(span) or len(span) > MAX_CANDIDATE_TOKENS:
            return
        if any(t.i in taken for t in span):
            return
        stems = _content_stems(span.text)
        if not stems or stems <= question_stems:
            return
        if kind not in want.weights:
            return
        taken.update(t.i for t in span)
        out.append(Mention(span.text, kind, sentence_index, span.start_char, span.end_char, label))

    for ent in doc.ents:
        kind = LABEL_TYPE.get(ent.label_)
        if kind is None:
            continue
        if kind != want.kind and want.kind in _RETYPED and _appositive_to(ent, want.focus):
            kind = want.kind  # "Darwin, the capital of …": a place, whatever the tagger thought
        if kind == "group":
            expanded = _force_phrase(ent)
            if expanded is not None:
                add(expanded, "group", "NORP+")
                continue
            if want.kind == "other":
                # "Asian hornets", "Chinese balloon": a thing asked about, not a nationality
                thing = _modified_noun(ent)
                if thing is not None:
                    add(thing, "other", "NP")
                    continue
        add(ent, kind, ent.label_)
        taken.update(t.i for t in ent)  # a date or number is never re-read as a noun phrase
    if want.kind == "other" or (want.kind in ("organization", "person") and want.focus):
        for chunk in doc.noun_chunks:
            if chunk.root.pos_ == "PRON":
                continue
            if want.focus and chunk.root.lemma_.lower() == want.focus:
                continue  # "the new plan" names the kind asked about, not the answer
            if chunk.root.pos_ == "PROPN" or want.kind == "other":
                add(chunk, "other" if want.kind == "other" else want.kind, "NP")
    return out


_RETYPED = frozenset(("person", "place", "organization", "group"))


def _appositive_to(span: Span, focus: str | None) -> bool:
    """The span stands in apposition with the noun asked about ("Darwin, the capital of …",
    "the capital, Darwin"), which says what kind of thing it is better than the small tagger."""
    if not focus:
        return False
    root = span.root
    if root.dep_ == "appos" and root.head.lemma_.lower() == focus:
        return True
    return any(c.dep_ == "appos" and c.lemma_.lower() == focus for c in root.children)


def _force_phrase(ent: Span) -> Span | None:
    """'Iraqi' in 'Iraqi (security) forces', 'Islamic' in 'Islamic State militants' → the whole
    phrase, which names an actor."""
    tok = ent.root
    for _ in range(3):
        if tok.dep_ not in ("amod", "compound") or tok.head.i <= tok.i:
            return None
        tok = tok.head
        if tok.lower_ in _GROUP_HEADS:
            return ent.doc[ent.start : tok.i + 1]
    return None


def _modified_noun(ent: Span) -> Span | None:
    """'Asian' in 'Asian hornets' → the whole phrase, when the entity only qualifies a common noun."""
    tok = ent.root
    head = tok.head
    if tok.dep_ in ("amod", "compound") and head.pos_ == "NOUN" and 0 < head.i - ent.end + 1 <= 2:
        return ent.doc[ent.start : head.i + 1]
    return None


def _depth_chain(tok: Token) -> list[Token]:
    return [tok, *tok.ancestors]


def tree_distance(a: Token, b: Token) -> int:
    """Edges on the dependency path between two tokens of one sentence."""
    if a.i == b.i:
        return 0
    chain_a = _depth_chain(a)
    pos_a = {t.i: n for n, t in enumerate(chain_a)}
    for n, t in enumerate(_depth_chain(b)):
        if t.i in pos_a:
            return pos_a[t.i] + n
    return len(chain_a) + len(list(b.ancestors)) + 1  # different sentences of one parse


def _closeness(d: int | None) -> float:
    if d is None:
        return 0.0
    return 1.0 / (1.0 + 0.5 * max(0, d - 1))


def _span_tokens(doc: Doc, m: Mention) -> Span | None:
    return doc.char_span(m.start, m.end, alignment_mode="expand")


def _is_source(span: Span) -> bool:
    """'... reclaimed from the Islamic State': the span's noun phrase is what something moved away from."""
    tok = span.root
    while tok.dep_ in ("compound", "amod", "det", "poss", "nmod", "conj") and tok.head.i != tok.i:
        tok = tok.head  # up to the head of the noun phrase (or the first conjunct)
    head = tok.head
    return tok.dep_ == "pobj" and head.dep_ == "prep" and head.lower_ in ("from", "against")


def score_mentions(
    docs: Sequence[Doc],
    sentence_scores: Sequence[float],
    mentions: list[Mention],
    want: ExpectedType,
    key_stems: set[str],
    question_stems: set[str],
    question_has_from: bool,
) -> None:
    """Score each mention in place (see the module docstring, step 3)."""
    family = relation_family(want.relation)
    family_stems = {s for w in family for s in stem_tokens(w)}
    best_sentence = max(sentence_scores, default=0.0) or 1.0
    # what the question says about its named things: its relation and the other content words
    relation_stems = (question_stems - key_stems - _WH_STEMS) | family_stems
    token_stems: dict[int, list[tuple[Token, set[str]]]] = {}  # per sentence, stemmed once
    for m in mentions:
        doc = docs[m.sentence_index]
        span = _span_tokens(doc, m)
        if span is None or not len(span):
            continue
        root = span.root
        inside = {t.i for t in span}
        if m.sentence_index not in token_stems:
            token_stems[m.sentence_index] = [(t, set(stem_tokens(t.text))) for t in doc if not t.is_punct]
        stems = [(t, s) for t, s in token_stems[m.sentence_index] if t.i not in inside]
        keys = [t for t, s in stems if s & key_stems]
        anchors = keys or [t for t, s in stems if s & question_stems]
        prox = _closeness(min((tree_distance(root, t) for t in anchors), default=None)) if anchors else 0.1
        # the relation counts only where it is said of the thing asked about (near a named anchor)
        relation_tokens = [
            t
            for t, s in stems
            if (t.lemma_.lower() in family or (s & family_stems and t.pos_ in ("VERB", "NOUN")))
            and (not keys or min(tree_distance(t, k) for k in keys) <= RELATION_REACH)
        ]
        rel = _closeness(min((tree_distance(root, t) for t in relation_tokens), default=None))
        penalty = 0.4 if want.kind in ("actor", "who") and not question_has_from and _is_source(span) else 1.0
        if relation_stems and not relation_tokens and not any(s & relation_stems for _, s in stems):
            penalty *= UNRELATED  # only the named thing is shared: a list of countries is no capital
        penalty *= _fit(span, m, want)
        if want.role_of is not None and not _named_as_role(span, want):
            penalty = 0.0  # "who is the prime minister": a name the sentence does not call one
        sentence = sentence_scores[m.sentence_index] / best_sentence
        fit = W_SENTENCE * sentence + W_PROXIMITY * prox + W_RELATION * rel
        m.score = want.weights.get(m.kind, 0.0) * fit * penalty
        m.parts = {
            "type": want.weights.get(m.kind, 0.0),
            "focus_near": float(_focus_near(span, want.focus)),
        }


def _focus_near(span: Span, focus: str | None) -> bool:
    """ "singer Taylor Swift", "the chain AMC", "Microsoft, the tech company": the noun asked about
    stands right beside the candidate or governs it."""
    if not focus:
        return False
    doc = span.doc
    near = [*doc[max(0, span.start - 3) : span.start], *doc[span.end : span.end + 4], span.root.head]
    near += [c for t in span for c in t.children if c.i not in range(span.start, span.end)]
    return any(t.lemma_.lower() == focus for t in near)


def _named_as_role(span: Span, want: ExpectedType) -> bool:
    """The sentence gives the candidate the role asked about, by its grammar ("Irish Prime Minister
    Leo Varadkar", "Darwin, the capital of …", "X is the most popular breed"), and not the role of
    something else than the question names ("the capital of Australia's Northern Territory" is no
    capital of Australia). Standing near the word is not enough: in "Biden met Prime Minister Leo
    Varadkar" only Varadkar is one."""
    root = span.root
    inside = range(span.start, span.end)
    if any(t.lemma_.lower() == want.focus and t.i < root.i for t in span):
        return True  # a title before the name: "Storm Ciarán", "Prime Minister Leo Varadkar" as one span
    # (the name's own last word is no title: "Burger King" is not a king)
    said = [
        c for t in span for c in t.children if c.i not in inside and c.dep_ in ("compound", "appos", "nmod")
    ]
    said += [t.head for t in span if t.dep_ == "compound" and t.head.i not in inside]  # "the Ciarán storm"
    if root.dep_ == "appos":
        said.append(root.head)
    if root.head.lemma_ == "be" and root.dep_ in ("nsubj", "attr"):
        said += [c for c in root.head.children if c.dep_ in ("nsubj", "attr") and c.i not in inside]
    for tok in said:
        if tok.lemma_.lower() != want.focus:
            continue
        said_of = _of_object(tok)
        if not want.role_of or not said_of or _same_answer(said_of, want.role_of):
            return True
    return False


_YEAR = re.compile(r"\b(?:1[5-9]|20)\d{2}\b")


def _fit(span: Span, m: Mention, want: ExpectedType) -> float:
    """How well a candidate fits the noun the question asks about, beyond its type."""
    if m.label == "NP" and span.root.pos_ != "PROPN":
        return 0.5  # a common noun phrase answers less often than a name
    if want.kind == "number" and want.focus and want.focus not in _HOW_NUMBER:
        doc = span.doc
        near = [*span, *doc[span.end : span.end + 3], span.root.head]
        return 1.0 if any(t.lemma_.lower() == want.focus for t in near) else 0.6
    if want.kind == "date" and want.focus == "year":
        return 1.0 if _YEAR.search(m.text) else 0.5
    return 1.0


def _same_answer(a: str, b: str) -> bool:
    """'Iraq'/'Iraqi', 'Abadi'/'Haider al-Abadi': one names the other."""
    if a == b:
        return True
    ta, tb = a.split(), b.split()
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(short) < len(long_) and all(w in long_ for w in short) and len(" ".join(short)) >= 3:
        return True
    if len(ta) == 1 and len(tb) == 1:
        # a derived form is longer and keeps the name, or drops only its last vowel ("Iraq"/"Iraqi",
        # "Ukraine"/"Ukrainian", "China"/"Chinese"); "Iran"/"Iraq" and "Iran"/"Iraqi" are two places
        x, y = sorted((a, b), key=len)
        common = len(next((p for p in (x[:n] for n in range(len(x), 0, -1)) if y.startswith(p)), ""))
        kept = common == len(x) or (common == len(x) - 1 and x[-1] in "aeoy")
        return len(x) >= 4 and kept and 0 < len(y) - len(x) <= 3
    return False


def answer_groups(mentions: list[Mention]) -> list[list[Mention]]:
    """Mentions of one answer together ("Iraq", "Iraqi"), each group best mention first."""
    scored = sorted((m for m in mentions if m.score > 0), key=lambda m: -m.score)
    groups: list[tuple[str, list[Mention]]] = []
    for m in scored:
        key = normalise_answer(m.text)
        for gkey, members in groups:
            if _same_answer(key, gkey):
                members.append(m)
                break
        else:
            groups.append((key, [m]))
    return [members for _, members in groups]


# What the learned ranker weighs. Dev, 5-fold CV: this set ranked as well as a wider one (support
# and article counts, frequency in the retrieved text, entity labels, the parse score's parts) and
# leaves out counts that grow with the size of the corpus, which would make a one-article answer
# improbable.
FEATURES = (
    "best",
    "pooled",
    "exact_type",
    "coverage",
    "rank",
    "focus_near",
    "in_question",
    "focus_sim",
    "title",
)


def _pooled(members: list[Mention]) -> tuple[float, int]:
    """An answer's pooled score (its best sentence plus a share of the next four) and the number
    of sentences that carry it."""
    per_sentence: dict[int, float] = {}
    for m in members:
        per_sentence[m.sentence_index] = max(per_sentence.get(m.sentence_index, 0.0), m.score)
    ordered = sorted(per_sentence.values(), reverse=True)
    return min(1.0, ordered[0] + POOLING * sum(ordered[1:5])), len(per_sentence)


def group_features(
    members: list[Mention],
    question_stems: set[str] | None = None,
    coverage: Sequence[float] | None = None,
) -> dict[str, float]:
    """What the answer ranker sees of one candidate answer (``FEATURES``): its best mention's
    score and type fit, the pooled score, where it stands, the noun asked about beside it, its
    sentence's share of the question and its own overlap with the question."""
    top = members[0]
    stems = _content_stems(top.text)
    in_question = len(stems & question_stems) / len(stems) if question_stems and stems else 0.0
    if question_stems and _initials(top.text) in question_stems:
        in_question = 1.0  # "Major League Baseball" for "which MLB team": the question's own words
    return {
        "best": top.score,
        "pooled": _pooled(members)[0],
        "exact_type": float(top.parts.get("type", 0.0) >= 1.0),
        "coverage": coverage[top.sentence_index] if coverage and top.sentence_index < len(coverage) else 0.0,
        "rank": 1.0 / (1.0 + min(m.sentence_index for m in members)),
        "focus_near": max(m.parts.get("focus_near", 0.0) for m in members),
        "in_question": in_question,
        "focus_sim": 0.0,
        "title": 0.0,
    }


def _initials(text: str) -> str:
    """The acronym a multi-word name would have ("Major League Baseball" → "mlb"), or ""."""
    words = [w for w in re.split(r"[\s-]+", text) if w[:1].isupper()]
    return "".join(w[0] for w in words).lower() if len(words) >= 2 else ""


def candidate_answers(
    question: str,
    sentences: Sequence[str],
    sentence_scores: Sequence[float],
    key_stems: set[str] | None = None,
    coverage: Sequence[float] | None = None,
    known_mentions: Sequence[Sequence[Sequence[Any]] | None] | None = None,
    embed_fn: EmbedFn | None = None,
    titles: Sequence[str] | None = None,
    ranker: dict[str, Any] | None = None,
) -> list[tuple[list[Mention], dict[str, float]]]:
    """Each candidate answer (its mentions, best first) with the features the ranker weighs;
    what ``read_short_answer`` ranks and ``bench/train_answer_ranker.py`` learns from.

    ``embed_fn`` (the search embedder) measures how well each answer fits the noun the question
    asks about ("which invasive species" → "Asian hornets", not "leading scientists"); ``titles``
    are the retrieved passages' titles, best first. Without them both features are 0. With
    ``ranker`` the fit is measured only for the answers it could still make the best (``contenders``):
    the same best answer and probability, for a fraction of the encoding."""
    mentions = scored_mentions(question, sentences, sentence_scores, key_stems, known_mentions)
    qstems = _content_stems(question)
    found = [(members, group_features(members, qstems, coverage)) for members in answer_groups(mentions)]
    shown = [_display_mention(members).text for members, _ in found]  # the text each answer would show
    for (_, features), text in zip(found, shown, strict=True):
        features["title"] = title_prominence(text, titles or ())
    phrase = expected_type(question).focus_phrase
    if embed_fn is not None and phrase and found:
        todo = contenders([f for _, f in found], ranker) if ranker is not None else list(range(len(found)))
        vectors = embed_fn([phrase, *(shown[i] for i in todo)])
        for i, v in zip(todo, vectors[1:], strict=True):
            found[i][1]["focus_sim"] = max(0.0, sum(a * b for a, b in zip(vectors[0], v, strict=True)))
    return found


def contenders(features: Sequence[dict[str, float]], ranker: dict[str, Any]) -> list[int]:
    """The candidates that could still rank first once their fit to the noun asked about is known.

    The fit (``focus_sim``) lies in [0, 1] and the ranker is linear, so it can add at most its
    weight to a candidate's score: one that trails the leader by more than that cannot overtake it,
    and encoding it would change no answer. Most candidates of a question trail that far."""
    weight = max(0.0, float(ranker["weights"].get("focus_sim", 0.0)))
    scores = [ranker_logit({**f, "focus_sim": 0.0}, ranker) for f in features]
    lead = max(scores, default=0.0)
    return [i for i, z in enumerate(scores) if z + weight >= lead]


def title_prominence(answer: str, titles: Sequence[str]) -> float:
    """How high the answer stands in the headlines of the retrieved passages (best first): a story
    about the answer names it in its title ("Bed Bath & Beyond warns it may not survive"). 1.0 in
    the first title, falling with rank; 0 when no title names it."""
    key = normalise_answer(answer)
    if not key:
        return 0.0
    pattern = re.compile(r"(?<!\w)" + re.escape(key) + r"(?!\w)", re.IGNORECASE)
    for rank, title in enumerate(titles[:TITLE_RANKS]):
        if title and pattern.search(title):
            return 1.0 / (1.0 + rank / 3.0)
    return 0.0


RANKER_FILE = Path(__file__).with_name("answer_ranker.json")


@lru_cache(maxsize=1)
def load_ranker() -> dict[str, Any] | None:
    """The learned weights (``bench/train_answer_ranker.py``), or None where the file is absent."""
    if not RANKER_FILE.exists():
        return None
    ranker = json.loads(RANKER_FILE.read_text())
    missing = set(FEATURES) - set(ranker["weights"])
    if missing:
        raise ValueError(f"{RANKER_FILE} lacks weights for {sorted(missing)}: retrain it")
    return ranker


def answer_bar() -> float:
    """The score a short answer needs: the learned ranker's bar, or the hand-weighted minimum."""
    ranker = load_ranker()
    return float(ranker["bar"]) if ranker is not None else MIN_SHORT_SCORE


def ranker_logit(features: dict[str, float], ranker: dict[str, Any]) -> float:
    """The ranker's linear score of a candidate answer (the log-odds that it is right)."""
    return ranker["intercept"] + sum(w * features.get(f, 0.0) for f, w in ranker["weights"].items())


def ranker_probability(features: dict[str, float], ranker: dict[str, Any]) -> float:
    """The chance that a candidate answer is right (a logistic regression over its features)."""
    z = ranker_logit(features, ranker)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def rank_answers(
    candidates: list[tuple[list[Mention], dict[str, float]]], bar: float | None = None
) -> ShortAnswer | None:
    """The best candidate answer by the learned ranker, if it reaches ``bar`` (default: the bar
    chosen with the weights); the hand-weighted pooling (``aggregate``) where no ranker is
    installed."""
    bar = answer_bar() if bar is None else bar
    ranker = load_ranker()
    if ranker is None:
        return aggregate([m for members, _ in candidates for m in members], bar)
    best: ShortAnswer | None = None
    for members, features in candidates:
        p = ranker_probability(features, ranker)
        if best is None or p > best.score:
            display = _display_mention(members)
            support = len({m.sentence_index for m in members})
            best = ShortAnswer(display.text, display.kind, round(p, 4), support, members)
    if best is None or best.score < bar:
        return None
    return best


def aggregate(mentions: list[Mention], minimum: float = MIN_SHORT_SCORE) -> ShortAnswer | None:
    """Pool the mentions of one answer across sentences; the best pooled answer, if good enough."""
    best: ShortAnswer | None = None
    for members in answer_groups(mentions):
        pooled, support = _pooled(members)
        display = _display_mention(members)
        candidate = ShortAnswer(display.text, display.kind, round(pooled, 4), support, members)
        if best is None or candidate.score > best.score:
            best = candidate
    if best is None or best.score < minimum:
        return None
    return best


def _display_mention(members: list[Mention]) -> Mention:
    """The best-scored mention, but a name over a nationality adjective ("Iraq" over "Iraqi")."""
    top = members[0]
    if top.label == "NORP":
        nouns = [
            m for m in members if m.label in ("GPE", "ORG", "LOC", "NORP+") and m.score >= 0.5 * top.score
        ]
        if nouns:
            return nouns[0]
    return top


def parse_sentences(
    sentences: Sequence[str],
    known_mentions: Sequence[Sequence[Sequence[Any]] | None] = (),
    wanted: Sequence[bool] | None = None,
) -> list[Doc]:
    """Each sentence parsed; its entities are the ``known_mentions`` ingestion tagged in the whole
    article (``[start, end, label]`` in the sentence) where given, else the tagger runs here.

    Why: the tagger is about half of what parsing a sentence costs, and it already ran on every
    article at ingestion, with the whole story as context. Tagger, parser and lemmatizer do not
    read the entities, so the parse is the same either way. A sentence not ``wanted`` is only
    tokenized (it holds no candidate: nothing is read from it).
    """
    from spacy.util import filter_spans

    from ingest.nlp import ALL_COMPONENTS, load_nlp

    known = list(known_mentions) + [None] * (len(sentences) - len(known_mentions))
    docs: list[Doc | None] = [None] * len(sentences)
    for i, want in enumerate(wanted or ()):
        if not want:
            docs[i] = load_nlp().make_doc(sentences[i])
    with_known = [i for i, k in enumerate(known) if k is not None and docs[i] is None]
    if with_known:
        parse = load_nlp(tuple(c for c in ALL_COMPONENTS if c != "ner"))
        parsed = parse.pipe([sentences[i] for i in with_known], batch_size=16)
        for i, doc in zip(with_known, parsed, strict=True):
            spans = [
                doc.char_span(int(m[0]), int(m[1]), label=str(m[2]), alignment_mode="contract")
                for m in known[i] or []
            ]
            doc.set_ents(filter_spans([sp for sp in spans if sp is not None and len(sp)]), default="outside")
            docs[i] = doc
    rest = [i for i, k in enumerate(known) if k is None and docs[i] is None]
    for i, doc in zip(rest, load_nlp().pipe([sentences[i] for i in rest], batch_size=16), strict=True):
        docs[i] = doc
    return [d for d in docs if d is not None]


def _may_hold_candidates(known: Sequence[Sequence[Any]] | None, want: ExpectedType) -> bool:
    """Can this sentence give a candidate? Not when ingestion tagged it and found no entity of a
    kind the question takes, unless noun phrases are candidates too (``candidates_in``)."""
    if known is None or want.kind == "other" or (want.kind in ("organization", "person") and want.focus):
        return True
    return any(LABEL_TYPE.get(str(m[2])) in want.weights for m in known)


def scored_mentions(
    question: str,
    sentences: Sequence[str],
    sentence_scores: Sequence[float],
    key_stems: set[str] | None = None,
    known_mentions: Sequence[Sequence[Sequence[Any]] | None] | None = None,
) -> list[Mention]:
    """Every typed candidate of the best sentences, scored (``sentence_index`` into ``sentences``).
    ``known_mentions``: each sentence's entities as ingestion tagged them, or None (``parse_sentences``)."""
    want = expected_type(question)
    if want.kind == "none" or not sentences:
        return []
    sentences = list(sentences)[:READ_SENTENCES]
    scores = list(sentence_scores)[: len(sentences)]
    question_stems = _content_stems(question)
    known = list(known_mentions or [])[: len(sentences)]
    docs = parse_sentences(sentences, known, [_may_hold_candidates(k, want) for k in known])
    mentions: list[Mention] = []
    for i, doc in enumerate(docs):
        mentions.extend(candidates_in(doc, i, want, question_stems))
    score_mentions(
        docs,
        scores,
        mentions,
        want,
        key_stems if key_stems is not None else set(),
        question_stems,
        question_has_from=bool(re.search(r"\bfrom\b", question, re.I)),
    )
    return mentions


def read_short_answer(
    question: str,
    sentences: Sequence[str],
    sentence_scores: Sequence[float],
    key_stems: set[str] | None = None,
    coverage: Sequence[float] | None = None,
    bar: float | None = None,
    known_mentions: Sequence[Sequence[Sequence[Any]] | None] | None = None,
    embed_fn: EmbedFn | None = None,
    titles: Sequence[str] | None = None,
) -> ShortAnswer | None:
    """The short answer to ``question`` from scored sentences (best first), or None.

    ``coverage`` (each sentence's share of the question's terms) is what the learned ranker
    weighs besides the parse; ``score`` is its probability that the answer is right.

    Usage::

        best = read_short_answer("who holds Qaim?", [c.sentence for c in ranked], [c.score for c in ranked])
        best.text, best.kind, [(m.sentence_index, m.start, m.end) for m in best.mentions]
    """
    found = candidate_answers(
        question,
        sentences,
        sentence_scores,
        key_stems,
        coverage,
        known_mentions,
        embed_fn,
        titles,
        load_ranker(),
    )
    return rank_answers(found, bar)


def best_per_sentence(mentions: list[Mention]) -> dict[int, Mention]:
    """Each sentence's best-scored mention (for answers marked in ``earlier`` evidence)."""
    out: dict[int, Mention] = {}
    for m in mentions:
        if m.score > 0 and (m.sentence_index not in out or m.score > out[m.sentence_index].score):
            out[m.sentence_index] = m
    return out


def event_date(sentence: str, published: str | None, near: tuple[int, int] | None = None) -> str | None:
    """The date a sentence gives its fact, resolved against the article date (ISO, or None).

    With several dates the one nearest the answer span (``near``, sentence offsets) wins.
    """
    if not published:
        return None
    try:
        reference = date.fromisoformat(published[:10])
    except ValueError:
        return None
    from ingest.relative_dates import find_dates

    found = find_dates(sentence, reference)
    if not found:
        return None
    if near is not None:
        a, b = near
        found.sort(key=lambda r: min(abs(r.start - b), abs(a - r.end)))
    return found[0].iso()
