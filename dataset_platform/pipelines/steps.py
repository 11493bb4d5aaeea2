"""Running one step: Parquet in → Parquet out, plus what the step reports (counts, findings, model usage).

Relational steps (filter, select, join, sql) are DuckDB queries over the upstream Parquet file, so DuckDB's
optimiser pushes the filter and the projection into the scan; nothing is loaded into pandas. The text steps
reuse the platform's owners: cleaning rules from ``retraining/cleaning.py``, PII from ``common/pii.py``,
the weighted quality score from ``retraining/report.py``.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from dataset_platform.pipelines import chat as chatfmt
from dataset_platform.pipelines.spec import (
    ChatInput,
    ChatStep,
    CleanStep,
    DedupeStep,
    FilterStep,
    JoinStep,
    PiiStep,
    PipelineSpec,
    QualityStep,
    SelectStep,
    SqlStep,
)
from dataset_platform.pipelines.tables import duck, duck_copy, read_table, scan, write_table


@dataclass
class StepOutcome:
    rows: int
    metadata: dict[str, Any] = field(default_factory=dict)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- relational (DuckDB) -------------------------------------------------------------------------------


def relational_query(step, upstream: Path, other: Path | None = None) -> str:
    src = scan(upstream)
    if isinstance(step, FilterStep):
        return f"SELECT * FROM {src} WHERE {step.where}"
    if isinstance(step, SelectStep):
        cols = ", ".join(
            _ident(c) + (f" AS {_ident(step.rename[c])}" if c in step.rename else "") for c in step.columns
        )
        return f"SELECT {cols} FROM {src}"
    if isinstance(step, JoinStep):
        assert other is not None  # a join step reads its right-hand input
        using = ", ".join(_ident(c) for c in step.keys)
        return f"SELECT * FROM {src} AS l {step.how.upper()} JOIN {scan(other)} AS r USING ({using})"
    raise TypeError(type(step).__name__)


def run_relational(step, upstream: Path, out: Path, other: Path | None = None) -> StepOutcome:
    with duck() as con:
        if isinstance(step, SqlStep):
            con.execute(f"CREATE VIEW input AS SELECT * FROM {scan(upstream)}")
            rows = duck_copy(con, step.query, out)
        else:
            rows = duck_copy(con, relational_query(step, upstream, other), out)
    return StepOutcome(rows)


# --- clean, pii, dedupe -------------------------------------------------------------------------------


def _check_columns(table: pa.Table, columns: list[str], step_id: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise KeyError(f"step {step_id!r}: no column {', '.join(missing)} (have {', '.join(table.column_names)})")


def run_clean(step: CleanStep, upstream: Path, out: Path) -> StepOutcome:
    import pyarrow.compute as pc

    from dataset_platform.retraining.cleaning import clean_texts

    table = read_table(upstream)
    _check_columns(table, step.columns, step.id)
    changed: dict[str, int] = {}
    keep = None
    for col in step.columns:
        raw = table.column(col).cast(pa.large_string())
        cleaned = clean_texts(raw.fill_null(""))
        cleaned = pc.if_else(pc.is_null(raw), pa.scalar(None, cleaned.type), cleaned)  # null stays null
        changed[col] = int(pc.sum(pc.fill_null(pc.not_equal(raw.combine_chunks(), cleaned), False)).as_py() or 0)
        table = table.set_column(table.schema.get_field_index(col), col, cleaned.cast(pa.string()))
        if step.drop_empty:
            nonempty = pc.fill_null(pc.greater(pc.utf8_length(cleaned), 0), False)
            keep = nonempty if keep is None else pc.and_(keep, nonempty)
    dropped = 0
    if keep is not None:
        before = table.num_rows
        table = table.filter(keep)
        dropped = before - table.num_rows
    return StepOutcome(write_table(table, out), {"changed_values": changed, "dropped_empty": dropped})


def _text_columns(table: pa.Table) -> list[str]:
    return [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]


def run_pii(step: PiiStep, upstream: Path, out: Path) -> StepOutcome:
    from dataset_platform.common.pii import find_pii, mask_pii

    table = read_table(upstream)
    columns = step.columns or _text_columns(table)
    _check_columns(table, columns, step.id)
    kinds = tuple(step.kinds) if step.kinds else None
    counts: dict[str, int] = {}
    row_kinds: list[set[str]] = [set() for _ in range(table.num_rows)]
    for col in columns:
        values = table.column(col).to_pylist()
        masked = []
        for i, v in enumerate(values):
            found = [m for m in find_pii(v) if kinds is None or m.kind in kinds] if isinstance(v, str) else []
            for m in found:
                counts[m.kind] = counts.get(m.kind, 0) + 1
                row_kinds[i].add(m.kind)
            masked.append(mask_pii(v, found) if found and step.action == "mask" else v)
        if step.action == "mask":
            column = pa.array(masked, table.schema.field(col).type)
            table = table.set_column(table.schema.get_field_index(col), col, column)
    removed = 0
    if step.action == "remove":
        keep = pa.array([not k for k in row_kinds])
        removed = table.num_rows - sum(keep.to_pylist())
        table = table.filter(keep)
    elif step.action == "flag":
        table = table.append_column("pii_kinds", pa.array([sorted(k) for k in row_kinds], pa.list_(pa.string())))
    meta = {
        "pii_found": counts,
        "rows_with_pii": sum(bool(k) for k in row_kinds),
        "action": step.action,
        "rows_removed": removed,
        "columns_scanned": columns,
    }
    return StepOutcome(write_table(table, out), meta)


def run_dedupe(step: DedupeStep, upstream: Path, out: Path) -> StepOutcome:
    from dataset_platform.pipelines.dedupe import duplicate_rows

    table = read_table(upstream)
    _check_columns(table, step.columns, step.id)
    texts = [
        " ".join("" if v is None else str(v) for v in row)
        for row in zip(*(table.column(c).to_pylist() for c in step.columns))
    ]
    exact, near = duplicate_rows(texts, near=step.near, threshold=step.threshold)
    drop = set(exact) | set(near)
    keep = pa.array([i not in drop for i in range(table.num_rows)])
    meta = {
        "exact_duplicates": len(exact),
        "near_duplicates": len(near),
        "examples": [texts[i][:80] for i in sorted(drop)[:5]],
    }
    return StepOutcome(write_table(table.filter(keep), out), meta)


# --- chat -------------------------------------------------------------------------------------------


def _prompt_library() -> dict[str, Callable[[Mapping[str, Any]], str]]:
    """Prompts owned by other domains, used as ``{@name}`` in templates (never copied into YAML)."""
    from dataset_platform.forms.prompt import render_prompt

    return {"vote_extraction": lambda row: render_prompt(int(_lookup(row, "num_pages")))}


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(@?[A-Za-z_][\w.]*)\}")


def _lookup(row: Mapping[str, Any], dotted: str) -> Any:
    value: Any = row
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise chatfmt.ChatFormatError(f"template: no field {dotted!r}")
        value = value[part]
    return value


def render_template(template: str, row: Mapping[str, Any], library: Mapping[str, Callable] | None = None) -> str:
    def sub(m: re.Match) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        name = m.group(1)
        if name.startswith("@"):
            if not library or name[1:] not in library:
                raise chatfmt.ChatFormatError(f"template: unknown prompt {name}")
            return library[name[1:]](row)
        value = _lookup(row, name)
        if value is None:
            raise chatfmt.ChatFormatError(f"template: field {name!r} is null")
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=False)

    return _PLACEHOLDER.sub(sub, template)


def _to_python(value: Any) -> Any:
    """Arrow struct → dict (map → dict), so templates and formats see JSON-like rows."""
    if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return {k: _to_python(v) for k, v in value}
    if isinstance(value, dict):
        return {k: _to_python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_python(v) for v in value]
    return value


def canonical_rows(spec: ChatInput, rows: list[dict[str, Any]], origin: str) -> tuple[list[dict], list[dict]]:
    """(canonical rows, bad rows with their index and reason) for one input."""
    good, bad = [], []
    library = _prompt_library() if spec.from_ == "template" else None
    for i, row in enumerate(rows):
        row = _to_python(row)
        try:
            if spec.from_ == "template":
                messages = [{"role": "system", "content": spec.system}] if spec.system else []
                messages += [
                    {"role": "user", "content": render_template(spec.prompt or "", row, library)},
                    {"role": "assistant", "content": render_template(spec.response or "", row, library)},
                ]
                out: dict[str, Any] = {k: row.get(k) for k in spec.keep}
                out["messages"] = messages
                if spec.images:
                    images = _lookup(row, spec.images)
                    if not isinstance(images, list) or not images:
                        raise chatfmt.ChatFormatError(f"template: {spec.images!r} is not a non-empty list")
                    out["images"] = [str(p) for p in images]
                    # TRL/LLaMA-Factory: one <image> token per image in the user turn
                    messages[-2]["content"] = "<image>" * len(images) + messages[-2]["content"]
            else:
                out = chatfmt.to_canonical(row, spec.from_, spec.columns or None, spec.tags or None)
                if spec.system and not any(m["role"] == "system" for m in out["messages"]):
                    out["messages"].insert(0, {"role": "system", "content": spec.system})
        except chatfmt.ChatFormatError as exc:
            bad.append({"origin": origin, "row": i, "reason": str(exc)})
            continue
        out["origin"] = origin
        good.append(out)
    return good, bad


def run_chat(step: ChatStep, upstream: Path, out: Path, read_merge: Callable[[Any, int], Path]) -> StepOutcome:
    rows, bad = canonical_rows(step, read_table(upstream).to_pylist(), origin="input")
    for i, extra in enumerate(step.merge):
        more, more_bad = canonical_rows(extra, read_table(read_merge(extra.source, i)).to_pylist(), f"merge_{i + 1}")
        rows += more
        bad += more_bad
    kept, invalid, tokens = [], 0, []
    problems: dict[str, int] = {}
    for row in rows:
        report = chatfmt.validate_messages(row["messages"], max_tokens=step.max_tokens)
        row.update(
            num_turns=report.turns, tokens_estimate=report.tokens, chat_valid=report.ok, chat_problems=report.problems
        )
        for p in report.problems:
            key = re.sub(r"\[\d+\]", "[i]", re.sub(r"~\d+", "~n", p))
            problems[key] = problems.get(key, 0) + 1
        if not report.ok:
            invalid += 1
            if step.on_invalid == "drop":
                continue
        tokens.append(report.tokens)
        kept.append(row)
    if not kept:
        raise ValueError(f"step {step.id!r}: no valid conversation ({len(bad)} unreadable, {invalid} invalid)")
    table = pa.Table.from_pylist(kept)
    meta = {
        "conversations": len(kept),
        "unreadable_rows": len(bad),
        "invalid_conversations": invalid,
        "problems": problems,
        "bad_row_examples": bad[:5],
        "tokens_estimate_total": sum(tokens),
        "tokens_estimate_max": max(tokens),
        "by_origin": _counts(r["origin"] for r in kept),
    }
    return StepOutcome(write_table(table, out), meta)


def _counts(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


# --- quality ------------------------------------------------------------------------------------------


def run_quality(step: QualityStep, upstream: Path, out: Path, report_path: Path) -> StepOutcome:
    from dataset_platform.common import atomic
    from dataset_platform.pipelines.quality import evaluate

    report = evaluate(step, upstream)
    atomic.write_json(report_path, {**report.to_dict(), "min_quality_score": step.min_quality_score})
    shutil.copyfile(upstream, out.with_suffix(".tmp"))
    out.with_suffix(".tmp").replace(out)  # rows pass through unchanged: the check gates what comes after
    meta = {
        "quality_score": report.score,
        "min_quality_score": step.min_quality_score,
        "findings_md": report.findings_markdown(),
        "report_path": str(report_path),
    }
    return StepOutcome(report.rows, meta)


def read_source_to(spec: PipelineSpec, source: Any, out: Path, resources: Mapping[str, Any]) -> StepOutcome:
    from dataset_platform.pipelines import sources as src

    if source.type == "files":
        files = [str(p) for p in src.resolve_files(spec, source)]
        return StepOutcome(src.read_files(spec, source, out), {"files": files})
    if source.type == "sql":
        engine = resources["review_db"].get_engine() if not source.url else None
        where = resources["review_db"].describe() if not source.url else "configured url"
        return StepOutcome(src.read_sql(source, out, engine), {"database": where})
    if source.type == "hub":
        rows, info = src.read_hub(source, out, resources["hub"])
        return StepOutcome(rows, info)
    if source.type == "rest":
        rows, info = src.read_rest(spec, source, out)
        return StepOutcome(rows, info)
    raise TypeError(source.type)
