"""Text cleaning and label encoding (DESIGN.md): vectorised with Arrow compute (RE2), no per-row Python.

Rules, in order: URLs (``https?://\\S+|www\\.\\S+``) and HTML tags → space, newlines and every other
whitespace run → one space, strip, Unicode NFC. ``clean_text`` is the same rule on one string with
Python's ``re``; tests hold the two to the same output.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dataset_platform.common.labels import LABEL_MAPPINGS

# Python's \s is Unicode-aware but RE2's is ASCII-only, so both engines get the same explicit class.
WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
_WS_CLASS = f"[{WHITESPACE}]"
URL_PATTERN = rf"https?://[^{WHITESPACE}]+|www\.[^{WHITESPACE}]+"
HTML_TAG_PATTERN = r"</?[A-Za-z!][^<>]*>"
WHITESPACE_RUN = f"{_WS_CLASS}+"

_URL_RE = re.compile(URL_PATTERN)
_HTML_RE = re.compile(HTML_TAG_PATTERN)
_WS_RE = re.compile(WHITESPACE_RUN)

SOURCE_RANK = {"misclassified": 0, "correct": 1}


def clean_text(text: str) -> str:
    """Reference implementation for one string."""
    text = _HTML_RE.sub(" ", _URL_RE.sub(" ", text))
    return unicodedata.normalize("NFC", _WS_RE.sub(" ", text).strip(" "))


def clean_texts(texts: pa.Array | pa.ChunkedArray | pd.Series) -> pa.ChunkedArray | pa.Array:
    """``clean_text`` over a whole column in Arrow's C++ kernels."""
    if isinstance(texts, pd.Series):
        texts = pa.array(texts, pa.large_string())
    out = pc.replace_substring_regex(texts, URL_PATTERN, " ")
    out = pc.replace_substring_regex(out, HTML_TAG_PATTERN, " ")
    out = pc.replace_substring_regex(out, WHITESPACE_RUN, " ")
    out = pc.utf8_trim(out, characters=" ")
    return pc.utf8_normalize(out, form="NFC")


@dataclass
class CleanStats:
    rows_in: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: {"label_not_in_mapping": 0, "empty_text": 0})
    duplicates_removed: int = 0
    conflicting_label_duplicates: int = 0
    rows_out: int = 0
    unknown_labels: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def clean_records(records: pa.Table | pd.DataFrame, label: str) -> tuple[pd.DataFrame, CleanStats]:
    """Pull rows (complaint_id, text, label, source[, reviewed_at]) → cleaned, encoded, deduplicated rows.

    Output columns: complaint_id (int64), grievance (str), label (int64), source (str), ordered by
    complaint_id. Of duplicate cleaned texts the misclassified one is kept (it is why we retrain), then
    the latest review, then the lowest complaint id; this order does not depend on insertion order.
    """
    table = records if isinstance(records, pa.Table) else pa.Table.from_pandas(records, preserve_index=False)
    mapping = LABEL_MAPPINGS[label]
    stats = CleanStats(rows_in=table.num_rows)

    grievance = clean_texts(table.column("text"))
    label_ids = pc.index_in(table.column("label"), value_set=pa.array(sorted(mapping, key=mapping.get)))
    df = pd.DataFrame(
        {
            "complaint_id": table.column("complaint_id").to_numpy(),
            "grievance": grievance.to_pandas(types_mapper=pd.ArrowDtype),
            "label": label_ids.to_pandas(types_mapper=pd.ArrowDtype),
            "source": table.column("source").to_pandas(),
            "raw_label": table.column("label").to_pandas(),
            "reviewed_at": (
                table.column("reviewed_at").to_pandas()
                if "reviewed_at" in table.column_names
                else pd.Series(pd.NaT, index=range(table.num_rows))
            ),
        }
    )

    unknown = df["label"].isna()
    stats.unknown_labels = {str(k): int(v) for k, v in df.loc[unknown, "raw_label"].value_counts(dropna=False).items()}
    stats.dropped["label_not_in_mapping"] = int(unknown.sum())
    df = df[~unknown]
    empty = df["grievance"].str.len() == 0
    stats.dropped["empty_text"] = int(empty.sum())
    df = df[~empty]

    df = df.assign(_rank=df["source"].map(SOURCE_RANK), _ts=df["reviewed_at"].fillna(pd.Timestamp.min))
    df = df.sort_values(
        ["_rank", "_ts", "complaint_id", "label"], ascending=[True, False, True, True], kind="mergesort"
    )
    dup = df["grievance"].duplicated(keep="first")
    stats.duplicates_removed = int(dup.sum())
    if stats.duplicates_removed:
        labels_per_text = df.loc[df["grievance"].isin(df.loc[dup, "grievance"]), ["grievance", "label"]]
        stats.conflicting_label_duplicates = int((labels_per_text.groupby("grievance")["label"].nunique() > 1).sum())
    df = df[~dup].sort_values(["complaint_id", "source"], kind="mergesort")

    out = pd.DataFrame(
        {
            "complaint_id": df["complaint_id"].astype("int64").to_numpy(),
            "grievance": df["grievance"].astype(object).to_numpy(),
            "label": df["label"].astype("int64").to_numpy(),
            "source": df["source"].astype(object).to_numpy(),
        }
    )
    stats.rows_out = len(out)
    return out, stats
