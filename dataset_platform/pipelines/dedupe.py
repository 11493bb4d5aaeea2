"""Exact and near-duplicate rows: normalised-text equality, then MinHash-LSH over character 5-grams.

A near-duplicate pair is confirmed with the exact Jaccard of the two shingle sets (LSH only proposes
candidates), so the threshold means what it says. The first occurrence is kept.
"""

from __future__ import annotations

import hashlib
import unicodedata

import numpy as np

SHINGLE = 5
PERMUTATIONS = 64
BANDS = 16  # 16 bands × 4 rows: pairs above ~0.6 Jaccard almost always share a band
_PRIME = (1 << 61) - 1


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def shingles(text: str) -> set[int]:
    if len(text) <= SHINGLE:
        return {hash(text)} if text else set()
    return {
        int.from_bytes(hashlib.blake2b(text[i : i + SHINGLE].encode(), digest_size=8).digest(), "little") % _PRIME
        for i in range(len(text) - SHINGLE + 1)
    }


def _signature(hashes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # (a·x + b) mod p per permutation; uint64 wrap-around is fine for hashing purposes
    return ((np.outer(hashes, a) + b) % np.uint64(_PRIME)).min(axis=0)


def duplicate_rows(texts: list[str], *, near: bool = True, threshold: float = 0.85) -> tuple[list[int], list[int]]:
    """(indexes of exact duplicates, indexes of near duplicates) — both exclude the first occurrence."""
    seen: dict[str, int] = {}
    exact, keys = [], []
    for i, t in enumerate(texts):
        key = normalise(t)
        if key in seen:
            exact.append(i)
        else:
            seen[key] = i
        keys.append(key)
    if not near:
        return exact, []
    rng = np.random.default_rng(42)
    a = rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.uint64)
    b = rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.uint64)
    rows = PERMUTATIONS // BANDS
    buckets: dict[tuple, list[int]] = {}
    sets: dict[int, set[int]] = {}
    exact_set = set(exact)
    near_dupes: list[int] = []
    for i, key in enumerate(keys):
        if i in exact_set or not key:
            continue
        sets[i] = shingles(key)
        sig = _signature(np.fromiter(sets[i], dtype=np.uint64), a, b)
        candidates = set()
        for band in range(BANDS):
            bucket = (band, sig[band * rows : (band + 1) * rows].tobytes())
            candidates.update(buckets.setdefault(bucket, []))
        if any(len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= threshold for j in candidates):
            near_dupes.append(i)
            continue  # a duplicate is not itself a reference for later rows
        for band in range(BANDS):
            buckets[(band, sig[band * rows : (band + 1) * rows].tobytes())].append(i)
    return exact, near_dupes
