"""Irregular verb forms, as stems: "held" is a form of "hold", which no stemmer can see.

Keyword search's relevance floor asks a chunk to carry enough of the query's words. A reporter
asks "who holds Qaim?" and the story says the militia *held* the town: Snowball stems "holds" to
``hold`` and "held" to ``held``, so the floor turned the article away. The floor now counts a
query word as present when any form of it is (``search.query``).

The table is spaCy's English lemmatizer exceptions for verbs (the model newsdesk already ships),
reduced to the pairs the stemmer does not already join, minus forms that are more often another
word ("ground" is rarely the past of "grind"). It is stored as JSON beside this module, so
keyword search never loads spaCy; ``python -m search.irregular_forms`` writes it again.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).with_name("irregular_stems.json")
# Forms whose everyday sense is another word: they would let "grind" match "ground troops", "feed"
# match "the Fed", "draw" match "Drew".
NOT_A_FORM = frozenset(
    "ground wound rose saw felt bore bound spoke stole tore lay born bit fed dove drew spat lent sat".split()
)


@lru_cache(maxsize=1)
def _groups() -> dict[str, frozenset[str]]:
    """Every stem in the table → all stems of its verb (itself included)."""
    table: dict[str, list[str]] = json.loads(TABLE.read_text(encoding="utf-8"))
    out: dict[str, set[str]] = {}
    for lemma, forms in table.items():
        group = {lemma, *forms}
        for stem in group:
            out.setdefault(stem, set()).update(group)
    return {stem: frozenset(group) for stem, group in out.items()}


def alternatives(stem: str) -> list[str]:
    """``stem`` and the stems of its verb's irregular forms ("hold" → hold, held), sorted."""
    return sorted(_groups().get(stem, (stem,)))


def build_table() -> dict[str, list[str]]:
    """Lemma stem → stems of its irregular forms, from the shipped spaCy model's exception table."""
    import spacy

    from ingest.nlp import MODEL_PACKAGE
    from search.analysis import _stemmer

    stem = _stemmer().stemWord
    exceptions = spacy.load(MODEL_PACKAGE).get_pipe("lemmatizer").lookups.get_table("lemma_exc")["verb"]
    table: dict[str, set[str]] = {}
    for form, lemmas in exceptions.items():
        if not form.isalpha() or form in NOT_A_FORM:
            continue
        for lemma in lemmas:
            if lemma.isalpha() and stem(form) != stem(lemma):
                table.setdefault(stem(lemma), set()).add(stem(form))
    return {lemma: sorted(forms) for lemma, forms in sorted(table.items())}


if __name__ == "__main__":
    TABLE.write_text(json.dumps(build_table(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {TABLE}")
