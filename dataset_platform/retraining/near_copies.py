"""Near-copy detection between two sets of texts: MinHash over Unicode character shingles, in numpy.

Texts are compared after a normalisation that keeps what distinguishes words in every script: NFC,
lower case, letters **with their combining marks** (Devanagari vowel signs and viramas, Thai vowels and
tone marks are ``\\p{M}``), digits; format characters (ZWJ/ZWNJ) are removed and every other run of
characters becomes one space. Dropping marks, as a ``[^\\pL\\pN]`` filter does, turns different Nepali
words into one (कम and काम, "little" and "work").

Two texts are near copies when the Jaccard similarity of their 5-character shingle sets is at least
``NEAR_THRESHOLD``, estimated from 64 MinHash values; candidates are found with LSH (16 bands of 4)
and confirmed on the full signature. A query text's nearest match is returned, not every pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SHINGLE = 5
N_HASHES = 64
BANDS = 16
NEAR_THRESHOLD = 0.8
MAX_CANDIDATES = 64  # index texts tried per query text and band (templates make huge buckets)
DOC_CHUNK = 20_000
QUERY_BLOCK = 2_000  # bounds the pairs compared at once (memory)

_rng = np.random.RandomState(20260301)
# 32-bit multiply-add-xorshift hashes: half the memory traffic of 64-bit ones, plenty for MinHash.
_A = _rng.randint(1, 2**31, size=N_HASHES, dtype=np.int64).astype(np.uint32) * np.uint32(2) + np.uint32(1)
_B = _rng.randint(0, 2**31, size=N_HASHES, dtype=np.int64).astype(np.uint32)
_NO_SHINGLE = np.iinfo(np.uint32).max


def normalize(texts) -> pa.Array:
    """The comparison form of each text (see module docstring); nulls become ''."""
    arr = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(list(texts), pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.fill_null(arr.cast(pa.large_string()), "")
    arr = pc.utf8_lower(pc.utf8_normalize(arr, form="NFC"))
    arr = pc.replace_substring_regex(arr, r"\p{Cf}+", "")
    arr = pc.replace_substring_regex(arr, r"[^\pL\pM\pN]+", " ")
    return pc.utf8_trim(arr, characters=" ")


def signatures(texts) -> np.ndarray:
    """(n, N_HASHES) uint32 MinHash signatures; a text with no character gets the all-max signature."""
    norm = normalize(texts)
    out = np.full((len(norm), N_HASHES), _NO_SHINGLE, dtype=np.uint32)
    for start in range(0, len(norm), DOC_CHUNK):
        part = norm.slice(start, DOC_CHUNK)
        out[start : start + len(part)] = _chunk_signatures(part.to_pylist())
    return out


def _chunk_signatures(docs: list[str]) -> np.ndarray:
    pad = "\x00" * (SHINGLE - 1)  # no shingle crosses into the next text; short texts still get one
    codepoints = np.frombuffer("".join(d + pad for d in docs).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.array([len(d) for d in docs], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths + SHINGLE - 1)[:-1]]) if len(docs) else np.zeros(0, np.int64)
    total = len(codepoints) - SHINGLE + 1
    rolling = np.zeros(max(total, 0), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(SHINGLE):
            rolling = rolling * np.uint64(1_000_003) + codepoints[j : j + total]
        first_shingle = np.cumsum(lengths) - lengths  # each text's first shingle among all shingles
        positions = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - first_shingle, lengths)
        wide = rolling[positions]
        shingles = (wide ^ (wide >> np.uint64(32))).astype(np.uint32)
        result = np.full((len(docs), N_HASHES), _NO_SHINGLE, dtype=np.uint32)
        has = lengths > 0
        if not has.any():
            return result
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])[has]
        for k in range(N_HASHES):
            mixed = shingles * _A[k] + _B[k]
            mixed ^= mixed >> np.uint32(15)
            result[has, k] = np.minimum.reduceat(mixed, offsets)
    return result


@dataclass(frozen=True)
class NearMatches:
    """For each query text: the index of its most similar index text (-1: none near) and the similarity."""

    index: np.ndarray
    similarity: np.ndarray

    @property
    def found(self) -> np.ndarray:
        return self.index >= 0


def _band_keys(sigs: np.ndarray, band: int) -> np.ndarray:
    rows = N_HASHES // BANDS
    block = sigs[:, band * rows : (band + 1) * rows]
    with np.errstate(over="ignore"):
        key = np.zeros(len(sigs), dtype=np.uint64)
        for col in range(rows):
            key = key * np.uint64(0x9E3779B97F4A7C15) + block[:, col].astype(np.uint64)
    return key


def near_matches(query: np.ndarray, index: np.ndarray, threshold: float = NEAR_THRESHOLD) -> NearMatches:
    """Nearest index signature of each query signature with estimated Jaccard ≥ threshold."""
    best = np.full(len(query), -1, dtype=np.int64)
    best_sim = np.zeros(len(query), dtype=np.float64)
    if not len(query) or not len(index):
        return NearMatches(best, best_sim)
    usable_q = query[:, 0] != _NO_SHINGLE
    usable_i = np.nonzero(index[:, 0] != _NO_SHINGLE)[0]
    for band in range(BANDS):
        todo = np.nonzero(usable_q & (best_sim < 1.0))[0]
        if not len(todo) or not len(usable_i):
            break
        index_keys = _band_keys(index[usable_i], band)
        order = np.argsort(index_keys, kind="stable")
        sorted_keys = index_keys[order]
        for block in range(0, len(todo), QUERY_BLOCK):
            _band_block(query, index, usable_i, order, sorted_keys, todo[block : block + QUERY_BLOCK], band, best, best_sim)
    near = best_sim >= threshold
    return NearMatches(np.where(near, best, -1), np.where(near, best_sim, 0.0))


def _band_block(query, index, usable_i, order, sorted_keys, todo, band, best, best_sim) -> None:
    """Compare one block of query texts with the index texts sharing their band key; update the best match."""
    query_keys = _band_keys(query[todo], band)
    lo = np.searchsorted(sorted_keys, query_keys, "left")
    hi = np.minimum(np.searchsorted(sorted_keys, query_keys, "right"), lo + MAX_CANDIDATES)
    counts = hi - lo
    if not counts.sum():
        return
    q_pos = np.repeat(todo, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    i_pos = usable_i[order[np.repeat(lo, counts) + within]]
    sims = (query[q_pos] == index[i_pos]).mean(axis=1)
    # Per query, the best candidate (ties: the lowest index position), kept if better than before.
    rank = np.lexsort((i_pos, -sims, q_pos))
    queries, first = np.unique(q_pos[rank], return_index=True)
    chosen = rank[first]
    better = sims[chosen] > best_sim[queries]
    best_sim[queries[better]] = sims[chosen][better]
    best[queries[better]] = i_pos[chosen][better]
