"""Text cleaning and label encoding (DESIGN.md): vectorised with Arrow compute (RE2), no per-row Python.

Rules, in order: URLs (``https?://\\S+|www\\.\\S+``) and HTML tags → space, newlines and every other
whitespace run → one space, strip, Unicode NFC. ``clean_text`` is the same rule on one string with
Python's ``re``; tests hold the two to the same output.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dataset_platform.common import pii
from dataset_platform.common.labels import LABEL_MAPPINGS

# Python's \s is Unicode-aware but RE2's is ASCII-only, so both engines get the same explicit class.
WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
_WS_CLASS = f"[{WHITESPACE}]"
URL_PATTERN = rf"https?://[^{WHITESPACE}]+|www\.[^{WHITESPACE}]+"
HTML_TAG_PATTERN = r"</?[A-Za-z!][^<>]*>"
WHITESPACE_RUN = f"{_WS_CLASS}+"

_OTHER_WHITESPACE = "[" + WHITESPACE.replace(" ", "") + "]"
_URL_BETWEEN_SPACES = r"https?://[^ ]+|www\.[^ ]+"
_MAY_HAVE_URL = r"https?://|www\."
SLICE_ROWS = 65_536
CLEAN_THREADS = min(4, os.cpu_count() or 1)
_MAY_HAVE_TAG = r"</?[A-Za-z!]"

_URL_RE = re.compile(URL_PATTERN)
_HTML_RE = re.compile(HTML_TAG_PATTERN)
_WS_RE = re.compile(WHITESPACE_RUN)


def clean_text(text: str) -> str:
    """Reference implementation for one string."""
    text = _HTML_RE.sub(" ", _URL_RE.sub(" ", text))
    return unicodedata.normalize("NFC", _WS_RE.sub(" ", text).strip(" "))


def clean_texts(texts: pa.Array | pa.ChunkedArray | pd.Series) -> pa.Array:  # -> pa.string()
    """``clean_text`` over a whole column in Arrow's C++ kernels (RE2), with the same output.

    Every whitespace character is first turned into a plain space: URLs and tags end at the same
    places, and the URL pattern then needs no large Unicode class (much faster in RE2). Each pass runs
    only on the rows a cheap match says it can change, and NFC only on non-ASCII rows.
    """
    if isinstance(texts, pd.Series):
        texts = pa.array(texts, pa.large_string())
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    # Slices keep each pass's temporaries small: peak memory ≈ input + output, not several column copies.
    slices = [chunk.slice(start, SLICE_ROWS) for chunk in chunks for start in range(0, len(chunk), SLICE_ROWS)]
    if len(slices) > 1 and CLEAN_THREADS > 1:  # Arrow's kernels release the GIL: slices clean in parallel
        with ThreadPoolExecutor(max_workers=CLEAN_THREADS) as pool:
            cleaned = list(pool.map(_clean_slice, slices))
    else:
        cleaned = [_clean_slice(part) for part in slices]
    return pa.concat_arrays(cleaned) if cleaned else pa.array([], pa.string())


def _clean_slice(out: pa.Array) -> pa.Array:
    out = _replace_where(out, _OTHER_WHITESPACE, _OTHER_WHITESPACE, " ")
    out = _replace_where(out, _MAY_HAVE_URL, _URL_BETWEEN_SPACES, " ")
    out = _replace_where(out, _MAY_HAVE_TAG, HTML_TAG_PATTERN, " ")
    out = _replace_where(out, "  ", " {2,}", " ")
    out = pc.utf8_trim(out, characters=" ")
    non_ascii = pc.invert(pc.string_is_ascii(out))
    if pc.any(non_ascii).as_py():
        suspect = pc.match_substring_regex(out, _nfc_suspect_pattern())
        out = _replace_nfc(out, pc.and_(non_ascii, suspect))
    return out.cast(pa.string())


def _replace_nfc(values: pa.Array, mask: pa.Array) -> pa.Array:
    if not pc.any(mask).as_py():
        return values
    return pc.replace_with_mask(values, mask, pc.utf8_normalize(pc.filter(values, mask), form="NFC"))


@functools.cache
def _nfc_suspect_pattern() -> str:
    """RE2 pattern matching every string that NFC could change (UAX #15 quick check, conservatively).

    A string is already NFC when it has no character whose NFC_Quick_Check is No or Maybe and no
    adjacent pair of combining marks in decreasing canonical class. Thai text (tone marks over vowels)
    almost never needs NFC, so only the few matching rows pay for normalisation.
    """
    maybe: set[int] = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V/T jamo (algorithmic)
    by_class: dict[int, list[int]] = {}
    for cp in range(0x30000):  # nothing above plane 2 decomposes or combines
        ch = chr(cp)
        decomposition = unicodedata.decomposition(ch)
        if decomposition and not decomposition.startswith("<"):
            if unicodedata.normalize("NFC", ch) != ch:
                maybe.add(cp)  # NFC_Quick_Check=No
            maybe.update(int(part, 16) for part in decomposition.split()[1:])  # QC=Maybe: can compose backwards
        if combining := unicodedata.combining(ch):
            by_class.setdefault(combining, []).append(cp)
    branches = [_char_class(maybe)]
    classes = sorted(by_class)
    for i, combining in enumerate(classes[1:], start=1):
        branches.append(_char_class(by_class[combining]) + _char_class([cp for c in classes[:i] for cp in by_class[c]]))
    return "|".join(branches)


def _char_class(codepoints) -> str:
    ranges, cps = [], sorted(codepoints)
    start = prev = cps[0]
    for cp in [*cps[1:], None]:
        if cp is not None and cp == prev + 1:
            prev = cp
            continue
        ranges.append(f"\\x{{{start:x}}}" if start == prev else f"\\x{{{start:x}}}-\\x{{{prev:x}}}")
        if cp is not None:
            start = prev = cp
    return "[" + "".join(ranges) + "]"


def _replace_where(values: pa.Array, prefilter: str, pattern: str, replacement: str) -> pa.Array:
    mask = pc.fill_null(pc.match_substring_regex(values, prefilter), False)
    if not pc.any(mask).as_py():
        return values
    replaced = pc.replace_substring_regex(pc.filter(values, mask), pattern, replacement)
    return pc.replace_with_mask(values, mask, replaced)


@dataclass
class CleanStats:
    rows_in: int = 0
    dropped: dict[str, int] = field(
        default_factory=lambda: {"label_not_in_mapping": 0, "empty_text": 0, "pii": 0, "gold_copy": 0}
    )
    duplicates_removed: int = 0
    conflicting_label_duplicates: int = 0
    rows_out: int = 0
    unknown_labels: dict[str, int] = field(default_factory=dict)
    pii_policy: str = "mask"
    pii_records: int = 0  # records in which PII was found (then masked, dropped or left for the block)
    pii_kinds: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


# Of duplicate cleaned texts the first source in this order is kept: a correction is why we retrain, a
# confirmation is a verified label, a pool record is the model's unverified label, base data is oldest.
SOURCE_PRIORITY = ("misclassified", "confirmed", "correct", "base")


def apply_pii_policy(texts: pa.Array, policy: str) -> tuple[pa.Array, np.ndarray, pii.ColumnScan]:
    """(texts after the policy, rows holding PII, the scan). ``mask`` replaces each match by its placeholder;
    ``drop`` and ``block`` leave texts as they are (the caller drops the rows, the gate blocks the version)."""
    scan = pii.scan_column(texts)
    rows = np.zeros(len(texts), dtype=bool)
    if not scan.rows:
        return texts, rows, scan
    positions = np.array(sorted(scan.rows), dtype=np.int64)
    rows[positions] = True
    if policy == "mask":
        values = pc.take(texts, pa.array(positions)).to_pylist()
        masked = [pii.mask_pii(v, scan.rows[int(p)]) for p, v in zip(positions, values)]
        texts = pc.replace_with_mask(texts, pa.array(rows), pa.array(masked, texts.type))
    return texts, rows, scan


def clean_records(
    records: pa.Table | pd.DataFrame, label: str, *, pii_policy: str = "mask", gold_texts: pd.Series | None = None
) -> tuple[pd.DataFrame, CleanStats]:
    """Pull rows (complaint_id, text, label, source[, reviewed_at]) → cleaned, encoded, deduplicated rows.

    Output columns: complaint_id (int64), grievance (str), label (int64), source (str), ordered by
    complaint_id. Of duplicate cleaned texts the one of the first source in ``SOURCE_PRIORITY`` is kept,
    then the latest review, then the lowest complaint id; this order does not depend on insertion order.
    Texts equal to or near copies of a ``gold_texts`` text are dropped (the gold set must stay unseen).
    """
    table = records if isinstance(records, pa.Table) else pa.Table.from_pandas(records, preserve_index=False)
    mapping = LABEL_MAPPINGS[label]
    stats = CleanStats(rows_in=table.num_rows, pii_policy=pii_policy)

    grievance, has_pii, scan = apply_pii_policy(clean_texts(table.column("text")), pii_policy)
    stats.pii_records, stats.pii_kinds = int(has_pii.sum()), scan.kinds
    raw_labels = table.column("label").combine_chunks()
    names = pa.array(sorted(mapping, key=mapping.__getitem__), raw_labels.type)
    label_ids = pc.fill_null(pc.index_in(raw_labels, value_set=names), -1).to_numpy().astype(np.int64)
    unknown = label_ids < 0
    if unknown.any():
        counts = pc.value_counts(pc.filter(raw_labels, pa.array(unknown))).to_pylist()
        stats.unknown_labels = {str(c["values"]): int(c["counts"]) for c in counts}
    stats.dropped["label_not_in_mapping"] = int(unknown.sum())
    empty = (pc.binary_length(grievance).to_numpy(zero_copy_only=False) == 0) & ~unknown
    stats.dropped["empty_text"] = int(empty.sum())
    dropped_pii = has_pii & ~unknown & ~empty if pii_policy == "drop" else np.zeros(len(has_pii), dtype=bool)
    stats.dropped["pii"] = int(dropped_pii.sum())
    (valid,) = np.nonzero(~unknown & ~empty & ~dropped_pii)

    complaint_id = table.column("complaint_id").to_numpy(zero_copy_only=False).astype(np.int64)
    sources = pa.array(SOURCE_PRIORITY, pa.string())
    priority = pc.index_in(table.column("source").cast(pa.string()), value_set=sources)
    priority = pc.fill_null(priority, len(SOURCE_PRIORITY)).to_numpy(zero_copy_only=False).astype(np.int8)
    if "reviewed_at" in table.column_names:
        reviewed = table.column("reviewed_at").cast(pa.int64())
        reviewed_at = pc.fill_null(reviewed, np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)
    else:
        reviewed_at = np.zeros(table.num_rows, dtype=np.int64)
    codes = pc.dictionary_encode(grievance).indices.to_numpy(zero_copy_only=False).astype(np.int64)

    # Priority order (source, latest review, lowest id, lowest label); first of each text wins.
    order = valid[np.lexsort((label_ids[valid], complaint_id[valid], -reviewed_at[valid], priority[valid]))]
    _, first = np.unique(codes[order], return_index=True)
    keep = order[first]
    stats.duplicates_removed = int(len(order) - len(keep))
    if stats.duplicates_removed:
        pairs = np.unique(codes[valid] * len(mapping) + label_ids[valid])
        stats.conflicting_label_duplicates = int((np.bincount(pairs // len(mapping)) > 1).sum())
    if gold_texts is not None and len(gold_texts) and len(keep):
        copies = _gold_copies(pc.take(grievance, pa.array(keep)), gold_texts)
        stats.dropped["gold_copy"] = int(copies.sum())
        keep = keep[~copies]
    keep = keep[np.lexsort((priority[keep] != 0, complaint_id[keep]))]

    # Texts stay in Arrow memory (no Python str per row) until they are written.
    texts = pc.take(grievance, pa.array(keep))
    del grievance, codes
    out = pd.DataFrame(
        {
            "complaint_id": complaint_id[keep],
            "grievance": pd.Series(pd.arrays.ArrowExtensionArray(texts)),
            "label": label_ids[keep],
            "source": np.array([*SOURCE_PRIORITY, "unknown"], dtype=object)[priority[keep]],
        }
    )
    stats.rows_out = len(out)
    return out, stats


def _gold_copies(texts: pa.Array, gold_texts: pd.Series) -> np.ndarray:
    from dataset_platform.retraining import near_copies

    gold = pa.array(gold_texts.astype(str).tolist(), pa.large_string())
    exact = pc.is_in(texts.cast(pa.large_string()), value_set=gold).to_numpy(zero_copy_only=False)
    near = near_copies.near_matches(near_copies.signatures(texts), near_copies.signatures(gold)).found
    return exact | near


def clean_gold(gold: pa.Table, label: str) -> pd.DataFrame:
    """Gold rows (complaint_id, text, label name) → complaint_id, grievance, label id; cleaned like the splits
    and always PII-masked (gold is evaluation data: dropping rows would change what every model is scored on)."""
    mapping = LABEL_MAPPINGS[label]
    texts, _, _ = apply_pii_policy(clean_texts(gold.column("text")), "mask")
    names = pa.array(sorted(mapping, key=mapping.__getitem__), pa.large_string())
    ids = pc.fill_null(pc.index_in(gold.column("label").cast(pa.large_string()), value_set=names), -1).to_numpy()
    ok = (ids >= 0) & (pc.binary_length(texts).to_numpy(zero_copy_only=False) > 0)
    return pd.DataFrame(
        {
            "complaint_id": gold.column("complaint_id").to_numpy(zero_copy_only=False)[ok].astype(np.int64),
            "grievance": pc.filter(texts, pa.array(ok)).to_pylist(),
            "label": ids[ok].astype(np.int64),
        }
    )
