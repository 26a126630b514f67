"""Wire-copy detection: exact copies, lightly edited copies, and what must not count as a copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingest.dedupe import (
    DuplicateIndex,
    MinHasher,
    exact_key,
    minhash_bands,
    minhash_signature,
    similarity,
)

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "iraq-isis-qaim-2017-11-05.txt"

OTHER_ARTICLE_SAME_TOPIC = """Iraqi troops retake Qaim as Islamic State loses ground

BAGHDAD -- Iraqi government forces and allied Shiite militias drove Islamic State fighters out of the
western town of Qaim on Friday, Prime Minister Haider al-Abadi said, calling it a major step toward
ending the militants' hold on Iraq.

Residents who fled the fighting described weeks of shortages in the town near the Syrian border. Aid
groups said thousands of families were sheltering in camps in Anbar province and needed food and
medicine before winter.

Military officials said the next target would be the small towns along the Euphrates River valley,
where several hundred militants are believed to remain. The U.S.-led coalition said it supported the
offensive with air strikes and advisers.

In Syria, government troops backed by Russia were pushing toward Boukamal, the last significant town
held by the group on the other side of the border. Commanders said the battle could take weeks.
"""


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def _wire_copy(text: str) -> str:
    """What an outlet does to an agency story: own dateline/credit, a few words, last lines cut."""
    paragraphs = text.split("\n\n")
    body = "\n\n".join(paragraphs[:-2])  # drop the trailing section/event lines
    body = body.replace("BEIRUT --", "BEIRUT (AP) --").replace("said Saturday", "said on Saturday")
    return body + "\n\nCopyright 2017 The Associated Press. All rights reserved."


def test_exact_copy_with_different_case_and_spacing_is_a_duplicate(seed_text: str) -> None:
    index = DuplicateIndex()
    assert index.add("original", seed_text) is None
    reformatted = "  " + seed_text.upper().replace("\n\n", "\n \n") + "\n"
    assert exact_key(reformatted) == exact_key(seed_text)
    assert index.add("copy", reformatted) == "original"


def test_lightly_edited_wire_copy_is_a_near_duplicate(seed_text: str) -> None:
    copy = _wire_copy(seed_text)
    assert exact_key(copy) != exact_key(seed_text)
    assert similarity(seed_text, copy) >= 0.8
    index = DuplicateIndex()
    index.add("ap", seed_text)
    assert index.add("outlet", copy) == "ap"
    assert index.canonical_of("outlet") == "ap"


def test_different_article_on_the_same_topic_is_not_a_duplicate(seed_text: str) -> None:
    assert similarity(seed_text, OTHER_ARTICLE_SAME_TOPIC) < 0.1
    index = DuplicateIndex()
    index.add("ap", seed_text)
    assert index.add("other", OTHER_ARTICLE_SAME_TOPIC) is None
    assert index.canonical_of("other") == "other"


def test_copy_of_a_copy_resolves_to_the_first_article(seed_text: str) -> None:
    index = DuplicateIndex()
    index.add("ap", seed_text)
    first = _wire_copy(seed_text)
    index.add("outlet-1", first)
    second = first.replace("Copyright 2017 The Associated Press. All rights reserved.", "Reprinted.")
    assert index.add("outlet-2", second) == "ap"


def test_adding_the_same_id_again_returns_the_same_answer(seed_text: str) -> None:
    index = DuplicateIndex()
    assert index.add("ap", seed_text) is None
    assert index.add("ap", seed_text) is None
    assert index.add("copy", seed_text) == "ap"
    assert index.add("copy", seed_text) == "ap"
    assert len(index) == 2


def test_find_does_not_register(seed_text: str) -> None:
    index = DuplicateIndex()
    index.add("ap", seed_text)
    assert index.find(_wire_copy(seed_text))[0] == "ap"
    assert index.find(OTHER_ARTICLE_SAME_TOPIC)[0] is None
    assert len(index) == 1


def test_near_copies_share_band_keys_and_other_articles_do_not(seed_text: str) -> None:
    bands = minhash_bands(seed_text)
    assert len(bands) == MinHasher().bands
    assert all(isinstance(b, str) and " " not in b for b in bands)
    assert set(bands) & set(minhash_bands(_wire_copy(seed_text)))
    assert not set(bands) & set(minhash_bands(OTHER_ARTICLE_SAME_TOPIC))


def test_band_keys_are_the_same_in_another_process(seed_text: str) -> None:
    code = (
        "import sys; from ingest.dedupe import minhash_bands; "
        "print(','.join(minhash_bands(sys.stdin.read())))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=seed_text,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert out.stdout.strip().split(",") == minhash_bands(seed_text)


def test_band_keys_depend_on_the_parameters(seed_text: str) -> None:
    default = set(minhash_bands(seed_text))
    other = MinHasher(num_perm=64, bands=16)
    assert not default & set(other.band_keys(other.signature(seed_text)))


def test_threshold_is_configurable(seed_text: str) -> None:
    copy = _wire_copy(seed_text)
    strict = DuplicateIndex(threshold=0.99)
    strict.add("ap", seed_text)
    assert strict.add("outlet", copy) is None
    with pytest.raises(ValueError):
        DuplicateIndex(threshold=0)


def test_a_passed_signature_is_used_instead_of_hashing_again(
    seed_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _wire_copy(seed_text)
    signatures = {"ap": minhash_signature(seed_text), "outlet": minhash_signature(copy)}
    index = DuplicateIndex()

    def no_hashing(text: str):
        raise AssertionError("DuplicateIndex hashed a text whose signature it was given")

    monkeypatch.setattr(index.hasher, "signature", no_hashing)
    assert index.add("ap", seed_text, signatures["ap"]) is None
    assert index.add("outlet", copy, signatures["outlet"]) == "ap"
    assert index.add("other", OTHER_ARTICLE_SAME_TOPIC, minhash_signature(OTHER_ARTICLE_SAME_TOPIC)) is None
    assert index.find(copy, signatures["outlet"])[0] == "ap"


def test_passing_the_signature_gives_the_same_answers_as_not(seed_text: str) -> None:
    texts = {
        "ap": seed_text,
        "outlet-1": _wire_copy(seed_text),
        "other": OTHER_ARTICLE_SAME_TOPIC,
        "exact": seed_text.upper(),
    }
    hashing, given = DuplicateIndex(), DuplicateIndex()
    for doc_id, text in texts.items():
        assert given.add(doc_id, text, minhash_signature(text)) == hashing.add(doc_id, text)


def test_the_memoised_signature_matches_the_bands_and_cannot_be_altered(seed_text: str) -> None:
    hasher = MinHasher()
    signature = minhash_signature(seed_text)
    assert hasher.band_keys(signature) == minhash_bands(seed_text)
    assert signature.jaccard(hasher.signature(seed_text)) == 1.0
    signature.update_batch([f"shingle {i}".encode() for i in range(5000)])
    assert hasher.band_keys(signature) != minhash_bands(seed_text)
    assert hasher.band_keys(minhash_signature(seed_text)) == hasher.band_keys(hasher.signature(seed_text))


def test_a_signature_made_with_other_parameters_is_refused(seed_text: str) -> None:
    other = MinHasher(num_perm=64, bands=16)
    index = DuplicateIndex()
    with pytest.raises(ValueError, match="num_perm"):
        index.add("ap", seed_text, other.signature(seed_text))
    with pytest.raises(ValueError, match="seed"):
        index.add("ap", seed_text, MinHasher(seed=2).signature(seed_text))
    assert "ap" not in index


def test_short_texts_compare_as_a_whole() -> None:
    assert similarity("Breaking news", "breaking   NEWS") == 1.0
    assert similarity("Breaking news", "Other news") == 0.0
