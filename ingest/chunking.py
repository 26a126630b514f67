"""Sentence-aligned chunks with exact character offsets.

A chunk is a run of whole sentences from one paragraph or several, so an answer can cite the exact
sentence and ``text[chunk.start:chunk.end] == chunk.text`` always holds. The only time a sentence is
cut is when it alone is longer than ``max_chars`` (tables, lists and scraped link farms with no
punctuation); it is then cut at whitespace, or mid-word if it has none.

Defaults, for all-MiniLM-L6-v2 (the bundled embedder): the model truncates at 256 word pieces and was
fine-tuned on inputs of up to 128, where its embeddings are best. English news averages about 4.5
characters per word piece (measured on the BBC corpus: ``bench/bench_embed.py`` prints it), so

* ``target_chars=500`` ≈ 110 word pieces — the ~110-token chunk the model is at home with and a
  paragraph or two of news, small enough that one chunk is about one point an answer can cite;
* ``max_chars=900`` ≈ 200 word pieces — headroom for a long sentence, still under the 256 truncation
  even for number- and name-heavy text (≈3.6 chars per piece). On the 2,225 BBC articles these
  defaults give 5.5 chunks per article, 101 word pieces on average, 164 at most, none truncated, and
  the overlap costs 13% more text to embed;
* ``overlap_sentences=1`` — the last sentence of a chunk opens the next one when the cut falls inside
  a paragraph, so a fact split across the cut is still whole in one chunk. No overlap is added at a
  paragraph cut: a paragraph break is already a topic boundary, and every overlapped sentence is
  embedded twice, the dominant cost of ingestion.

Deterministic: the same text gives the same chunks and so the same ``chunk_id``\\ s.
"""

from __future__ import annotations

import re

from ingest.models import Chunk
from ingest.sentences import paragraph_spans, sentences_in

__all__ = ["DEFAULT_MAX_CHARS", "DEFAULT_OVERLAP_SENTENCES", "DEFAULT_TARGET_CHARS", "chunk_text"]

DEFAULT_TARGET_CHARS = 500
DEFAULT_MAX_CHARS = 900
DEFAULT_OVERLAP_SENTENCES = 1

_SPACE_RUN = re.compile(r"\s+")
# How far past the target a chunk may run to end with its paragraph, in percent of the target.
_REACH_PERCENT = 30


def chunk_text(
    doc_id: str,
    text: str,
    target_chars: int = DEFAULT_TARGET_CHARS,
    max_chars: int = DEFAULT_MAX_CHARS,
    overlap_sentences: int = DEFAULT_OVERLAP_SENTENCES,
) -> list[Chunk]:
    """Split ``text`` into sentence-aligned chunks of about ``target_chars``, never over ``max_chars``.

    :param doc_id: the article's id; chunk ids are ``chunk_id(doc_id, index)``.
    :param text: the cleaned article text; offsets index into it.
    :param target_chars: a chunk closes before the sentence that would take it past this length.
    :param max_chars: hard limit. A chunk runs past ``target_chars`` only by a first sentence longer
        than the target, or by up to 30% to end with its paragraph; a single sentence longer than
        ``max_chars`` is cut at whitespace.
    :param overlap_sentences: sentences repeated at the start of the next chunk when the cut is
        inside a paragraph (0 for none).
    :returns: chunks in text order, ``index`` from 0; ``[]`` for blank text.
    """
    if target_chars < 1 or max_chars < target_chars:
        raise ValueError(f"need 1 <= target_chars <= max_chars, got {target_chars}, {max_chars}")
    if overlap_sentences < 0:
        raise ValueError(f"overlap_sentences must be >= 0, got {overlap_sentences}")

    units, para_start = _units(text, max_chars)
    chunks: list[Chunk] = []
    n = len(units)
    a = 0
    while a < n:
        b = _chunk_end(units, para_start, a, target_chars, max_chars)
        start, end = units[a][0], units[b - 1][1]
        chunks.append(Chunk(doc_id=doc_id, index=len(chunks), text=text[start:end], start=start, end=end))
        if b >= n:
            break
        a = b if para_start[b] else max(b - overlap_sentences, a + 1)
    return chunks


def _units(text: str, max_chars: int) -> tuple[list[tuple[int, int]], list[bool]]:
    """Sentence spans (long ones cut to ``max_chars``) and whether each opens a paragraph."""
    units: list[tuple[int, int]] = []
    para_start: list[bool] = []
    sentences: list[tuple[int, int]] = []
    for p_start, p_end in paragraph_spans(text):
        sentences.clear()
        sentences_in(text, p_start, p_end, sentences)
        first = True
        for s, e in sentences:
            for piece in _cut_long(text, s, e, max_chars):
                units.append(piece)
                para_start.append(first)
                first = False
    return units, para_start


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` into pieces of at most ``max_chars``, at the last whitespace that fits."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        limit = start + max_chars
        cut = None
        for m in _SPACE_RUN.finditer(text, start + 1, limit + 1):
            cut = m  # last whitespace run that starts within the limit
        if cut is None:
            pieces.append((start, limit))  # no whitespace: cut mid-word
            start = limit
        else:
            pieces.append((start, cut.start()))
            start = cut.end()
    pieces.append((start, end))
    return pieces


def _chunk_end(
    units: list[tuple[int, int]], para_start: list[bool], a: int, target: int, max_chars: int
) -> int:
    """Exclusive end index of the chunk starting at unit ``a``: fill to target, prefer paragraph ends."""
    n = len(units)
    start = units[a][0]
    b = a + 1
    while b < n and units[b][1] - start <= target:
        b += 1
    if b >= n or para_start[b]:
        return b
    # Cut falls inside a paragraph. Prefer the paragraph's end if it is within a little more than
    # the target (never past max_chars)...
    reach = min(max_chars, target + target * _REACH_PERCENT // 100)
    k = b
    while k < n and not para_start[k] and units[k][1] - start <= reach:
        k += 1
    if k >= n or para_start[k]:
        return k
    # ...else an earlier paragraph boundary that leaves the chunk at least half the target.
    for k in range(b - 1, a, -1):
        if para_start[k] and units[k - 1][1] - start >= target // 2:
            return k
    return b
