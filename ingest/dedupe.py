"""Exact and near-duplicate detection for wire copies.

News agencies' stories are reprinted by many outlets with small edits: a different dateline or lede,
an outlet's name, a trimmed last paragraph. We index such a story once and keep every copy's
source on it, so we need to recognise copies:

* **exact** copies by a hash of ``normalise_text`` (case, Unicode form and whitespace do not matter);
* **near** copies by MinHash over word shingles with locality-sensitive hashing (LSH) in bands.

Defaults and why:

* ``shingle_words=5``: 5-word shingles of the normalised words (punctuation dropped). Two different
  articles on the same event share names and phrases but almost never five words in a row, so their
  Jaccard similarity stays near 0.05, while one edited word costs a copy only five shingles.
* ``threshold=0.7`` (Jaccard): a copy of a 650-word story with a new dateline, two words changed,
  the last paragraph dropped and a copyright line added scores 0.84. On the BBC corpus (2,225
  articles) every pair at 0.74 or more has the same headline (22 near copies, beside 137 exact ones),
  and the best pair with different headlines scores 0.697 (an updated version of a story); ``0.8``
  would miss same-headline copies at 0.74-0.8. Different articles on one topic score under 0.1.
* ``num_perm=128`` hashes in ``bands=32`` bands of 4 rows: the probability that a pair becomes a
  candidate is ``1 - (1 - J**4)**32``: 0.9998 at J=0.7, 0.87 at J=0.5, 0.05 at J=0.2. Candidates are
  then checked against the threshold on the MinHash estimate (std. error about 0.04), so bands only
  decide what gets compared, not what counts as a duplicate.

Deterministic across processes: datasketch derives its permutations from a fixed ``seed`` and hashes
shingles with SHA-1, and band keys are BLAKE2 digests of the band's hash values, so the same text
gives the same ``minhash_bands`` on any machine. The keys carry the parameters, so keys made with
other settings never match. They are plain strings for an Elasticsearch ``keyword`` field: a
``terms`` query on them finds near-duplicate candidates across runs.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np
from datasketch import MinHash

from ingest.models import normalise_text

__all__ = [
    "DuplicateIndex",
    "MinHasher",
    "exact_key",
    "minhash_bands",
    "minhash_signature",
    "shingles",
    "similarity",
]

DEFAULT_THRESHOLD = 0.7
DEFAULT_SHINGLE_WORDS = 5
DEFAULT_NUM_PERM = 128
DEFAULT_BANDS = 32
DEFAULT_SEED = 1
# Pinned, not left to datasketch's default: a new default would silently change every band key.
_SCHEME = "affine32"

_WORDS = re.compile(r"\w+")


def exact_key(text: str) -> str:
    """SHA-256 of the normalised text: equal for copies that differ only in case or whitespace."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def shingles(text: str, words: int = DEFAULT_SHINGLE_WORDS) -> set[str]:
    """Word ``words``-grams of the normalised text, punctuation dropped; short texts give one shingle."""
    tokens = _WORDS.findall(normalise_text(text))
    if len(tokens) <= words:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + words]) for i in range(len(tokens) - words + 1)}


def similarity(a: str, b: str, words: int = DEFAULT_SHINGLE_WORDS) -> float:
    """Exact Jaccard similarity of the two texts' shingle sets (1.0 for two empty texts).

    Use it to confirm a candidate found through ``minhash_bands`` (e.g. from Elasticsearch).
    """
    sa, sb = shingles(a, words), shingles(b, words)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


class MinHasher:
    """MinHash signatures and LSH band keys with fixed parameters.

    :param num_perm: number of hash permutations (signature length).
    :param bands: LSH bands; ``num_perm`` must be a multiple of it.
    :param shingle_words: words per shingle.
    :param seed: permutation seed; keep it fixed, or stored band keys stop matching.
    """

    def __init__(
        self,
        num_perm: int = DEFAULT_NUM_PERM,
        bands: int = DEFAULT_BANDS,
        shingle_words: int = DEFAULT_SHINGLE_WORDS,
        seed: int = DEFAULT_SEED,
    ):
        if num_perm % bands:
            raise ValueError(f"num_perm ({num_perm}) must be a multiple of bands ({bands})")
        self.num_perm = num_perm
        self.bands = bands
        self.rows = num_perm // bands
        self.shingle_words = shingle_words
        self.seed = seed
        # Permutations are generated once; copies share them (MinHash(permutations=...)).
        self._template = MinHash(num_perm=num_perm, seed=seed, scheme=_SCHEME)
        self._prefix = f"mh{num_perm}s{seed}w{shingle_words}r{self.rows}"

    def signature(self, text: str) -> MinHash:
        """The MinHash of ``text``'s shingles."""
        m = MinHash(
            num_perm=self.num_perm,
            seed=self.seed,
            permutations=self._template.permutations,
            scheme=_SCHEME,
        )
        m.update_batch([s.encode("utf-8") for s in shingles(text, self.shingle_words)])
        return m

    def band_keys(self, signature: MinHash) -> list[str]:
        """One string per band: ``<params>-<band>-<digest>``; equal key ⇒ identical band."""
        values = np.asarray(signature.hashvalues, dtype="<u8")
        keys = []
        for band in range(self.bands):
            chunk = values[band * self.rows : (band + 1) * self.rows].tobytes()
            digest = hashlib.blake2b(chunk, digest_size=8).hexdigest()
            keys.append(f"{self._prefix}-{band}-{digest}")
        return keys


_DEFAULT_HASHER: MinHasher | None = None


def default_hasher() -> MinHasher:
    """The shared ``MinHasher`` with the default parameters (permutations are built once)."""
    global _DEFAULT_HASHER
    if _DEFAULT_HASHER is None:
        _DEFAULT_HASHER = MinHasher()
    return _DEFAULT_HASHER


def minhash_bands(text: str) -> list[str]:
    """LSH band keys of ``text`` with the default parameters, for a ``keyword`` field.

    Two texts sharing any key are near-duplicate candidates; confirm with ``similarity``.
    """
    return list(_fingerprint(text)[1])


def minhash_signature(text: str) -> MinHash:
    """The MinHash of ``text`` with the default parameters: the one ``minhash_bands`` comes from.

    Pass it to ``DuplicateIndex.add`` so the index does not hash the text again. Memoised with the
    bands; each call returns a copy (~10 µs), so the caller may ``update`` it.
    """
    return _fingerprint(text)[0].copy()


@lru_cache(maxsize=256)
def _fingerprint(text: str) -> tuple[MinHash, tuple[str, ...]]:
    # Memoised: indexing asks for an article's signature and bands several times (duplicate lookup,
    # the in-memory index, then the stored record), and MinHash is ~2.7 ms per 8 kB article. The
    # bands are a tuple and the signature is handed out as copies, so no caller can alter the cache.
    hasher = default_hasher()
    signature = hasher.signature(text)
    return signature, tuple(hasher.band_keys(signature))


class DuplicateIndex:
    """In-memory index of one run's articles that answers "is this a copy of one seen before?".

    Usage::

        index = DuplicateIndex()
        index.add("a", "Police said on Friday that ...")           # None: first of its kind
        index.add("b", "POLICE said on Friday that ...")           # "a": exact copy
        index.add("c", "(AP) Police said on Friday that ... more") # "a": near copy

    A duplicate is registered too, pointing at its canonical article, so a third copy closer to the
    second than to the first still resolves to the first.

    :param threshold: Jaccard similarity (MinHash estimate) at or above which two texts are copies.
    :param hasher: the MinHash parameters; the default matches ``minhash_bands``.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, hasher: MinHasher | None = None):
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.hasher = hasher or MinHasher()
        self._exact: dict[str, str] = {}
        self._canonical: dict[str, str] = {}
        self._signatures: dict[str, MinHash] = {}
        self._bands: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self._canonical)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._canonical

    def canonical_of(self, doc_id: str) -> str:
        """The canonical doc_id of an added article (itself when it is not a copy)."""
        return self._canonical[doc_id]

    def find(self, text: str, signature: MinHash | None = None) -> tuple[str | None, float]:
        """The canonical doc_id ``text`` duplicates and the similarity, or ``(None, best)``; adds nothing.

        :param signature: ``text``'s MinHash if the caller already has it (see ``add``).
        """
        canonical = self._exact.get(exact_key(text))
        if canonical is not None:
            return canonical, 1.0
        signature = self._signature_of(text, signature)
        return self._find_near(signature, self.hasher.band_keys(signature))[:2]

    def add(self, doc_id: str, text: str, signature: MinHash | None = None) -> str | None:
        """Register ``doc_id``; return the canonical doc_id it duplicates, or None if it is new.

        Adding the same doc_id again returns what it returned the first time.

        :param signature: ``text``'s MinHash made with this index's parameters, e.g.
            ``minhash_signature(text)`` for the default ones, when the caller computed it already
            (for ``minhash_bands``): hashing an 8 kB article costs ~2.5 ms. It is kept, not copied.
        """
        if doc_id in self._canonical:
            canonical = self._canonical[doc_id]
            return None if canonical == doc_id else canonical
        key = exact_key(text)
        canonical = self._exact.get(key)
        signature = self._signature_of(text, signature)
        bands = self.hasher.band_keys(signature)
        if canonical is None:
            canonical, _, _ = self._find_near(signature, bands)
        self._exact.setdefault(key, canonical or doc_id)
        self._canonical[doc_id] = canonical or doc_id
        self._signatures[doc_id] = signature
        for band in bands:
            self._bands.setdefault(band, []).append(doc_id)
        return canonical

    def _signature_of(self, text: str, signature: MinHash | None) -> MinHash:
        """``signature`` if it fits this index's parameters, else ``text`` hashed now.

        A signature of another length or seed would compare as garbage, not fail, so refuse it.
        (The shingle size cannot be checked from a signature: that one is the caller's promise.)
        """
        if signature is None:
            return self.hasher.signature(text)
        if len(signature.hashvalues) != self.hasher.num_perm or signature.seed != self.hasher.seed:
            raise ValueError(
                f"signature has num_perm={len(signature.hashvalues)}, seed={signature.seed}; "
                f"this index uses num_perm={self.hasher.num_perm}, seed={self.hasher.seed}"
            )
        return signature

    def _find_near(self, signature: MinHash, bands: list[str]) -> tuple[str | None, float, str | None]:
        best_id, best = None, 0.0
        seen: set[str] = set()
        for band in bands:
            for other in self._bands.get(band, ()):
                if other in seen:
                    continue
                seen.add(other)
                score = signature.jaccard(self._signatures[other])
                if score > best:  # strict: ties keep the first candidate found (deterministic order)
                    best_id, best = other, score
        if best_id is not None and best >= self.threshold:
            return self._canonical[best_id], best, best_id
        return None, best, None
