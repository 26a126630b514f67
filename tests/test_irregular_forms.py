"""The irregular verb forms keyword search's relevance floor accepts (``search.irregular_forms``)."""

from __future__ import annotations

import json

from search.analysis import stem_text
from search.irregular_forms import TABLE, alternatives, build_table


def test_a_past_form_and_its_verb_are_alternatives_of_each_other():
    assert alternatives(stem_text("holds")) == ["held", "hold"]
    assert alternatives(stem_text("held")) == ["held", "hold"]
    assert {"won", "win"} <= set(alternatives(stem_text("win")))
    assert {"took", "taken", "take"} <= set(alternatives(stem_text("taking")))


def test_words_without_irregular_forms_and_forms_that_are_mostly_other_words_stand_alone():
    assert alternatives("qaim") == ["qaim"]
    assert alternatives(stem_text("grind")) == [stem_text("grind")]  # "ground" is rarely its past
    assert alternatives(stem_text("ground")) == [stem_text("ground")]


def test_the_shipped_table_is_what_the_shipped_spacy_model_gives():
    assert json.loads(TABLE.read_text(encoding="utf-8")) == build_table()
