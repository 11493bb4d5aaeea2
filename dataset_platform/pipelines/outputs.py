"""Outputs of a declared pipeline: files (JSON/JSONL/CSV/Parquet, chat formats with LLaMA-Factory and axolotl
entries), an immutable hub version (the retraining publishers), a Datadog dataset (the datadog resource).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from dataset_platform.common import atomic
from dataset_platform.pipelines import chat as chatfmt
from dataset_platform.pipelines.spec import DatadogOutput, ExportOutput, HubOutput, PipelineSpec
from dataset_platform.pipelines.tables import read_table, write_table

if TYPE_CHECKING:
    from dataset_platform.resources.datadog import LLMObsResource

# Columns the chat step adds for the quality report; not part of a training file.
CHAT_REPORT_COLUMNS = ("num_turns", "tokens_estimate", "chat_valid", "chat_problems", "origin")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _chat_rows(rows: list[dict], fmt: str) -> list[dict]:
    out = []
    for row in rows:
        row = {k: v for k, v in row.items() if k not in CHAT_REPORT_COLUMNS and not (k == "images" and v is None)}
        out.append(chatfmt.from_canonical(row, fmt))
    return out


def dataset_info_entry(file_name: str, fmt: str, has_images: bool) -> dict[str, Any]:
    """The LLaMA-Factory ``dataset_info.json`` entry for a file in ``fmt``."""
    if fmt == "alpaca":
        cols = {
            "prompt": "instruction",
            "query": "input",
            "response": "output",
            "system": "system",
            "history": "history",
        }
        entry: dict[str, Any] = {"file_name": file_name, "columns": cols}
    elif fmt in ("sharegpt", "openai"):
        cols = dict(chatfmt.SHAREGPT_COLUMNS if fmt == "sharegpt" else chatfmt.OPENAI_COLUMNS)
        cols.pop("tools")
        entry = {"file_name": file_name, "formatting": "sharegpt", "columns": cols}
        tags = dict(chatfmt.SHAREGPT_TAGS if fmt == "sharegpt" else chatfmt.OPENAI_TAGS)
        entry["tags"] = {k: tags[k] for k in ("role_tag", "content_tag", "user_tag", "assistant_tag", "system_tag")}
    else:
        return {}  # rendered text (ChatML, Vicuna) is pre-training style text: no conversation mapping
    if not has_images:
        entry["columns"].pop("images", None)
    return entry


def axolotl_snippet(path: Path, fmt: str) -> str:
    """The ``datasets:`` block of an axolotl config for the file."""
    lines = ["datasets:", f"  - path: {path}", "    ds_type: json"]
    if fmt == "alpaca":
        lines.append("    type: alpaca")
    elif fmt in ("sharegpt", "openai"):
        role, content = ("from", "value") if fmt == "sharegpt" else ("role", "content")
        field_messages = "conversations" if fmt == "sharegpt" else "messages"
        lines += [
            "    type: chat_template",
            f"    field_messages: {field_messages}",
            "    message_property_mappings:",
            f"      role: {role}",
            f"      content: {content}",
        ]
        if fmt == "sharegpt":
            lines += ["    roles:", "      user: [human]", "      assistant: [gpt]", "      system: [system]"]
    else:
        lines += ["    type: completion", "    field: text"]
    return "\n".join(lines) + "\n"


def export(spec: PipelineSpec, out: ExportOutput, out_id: str, upstream: Path) -> dict[str, Any]:
    from dataset_platform.common import settings

    target = (
        spec.resolve_path(out.path)
        if out.path
        else (settings.exports_dir() / "pipelines" / spec.name / f"{spec.name}_{out_id}.{out.format}")
    )
    table = read_table(upstream)
    meta: dict[str, Any] = {"path": str(target), "format": out.format}
    if out.chat_format:
        rows = _chat_rows(table.to_pylist(), out.chat_format)
        table = pa.Table.from_pylist(rows)
        meta["chat_format"] = out.chat_format
    if out.format == "parquet":
        write_table(table, target)
    elif out.format == "csv":
        import pyarrow.csv as pcsv

        flat = pa.table(
            {
                n: (
                    c
                    if not pa.types.is_nested(c.type)
                    else pa.array([json.dumps(_jsonable(v), ensure_ascii=False) for v in c.to_pylist()])
                )
                for n, c in zip(table.column_names, table.columns)
            }
        )
        tmp = target.with_name(f".{target.name}.tmp")
        target.parent.mkdir(parents=True, exist_ok=True)
        pcsv.write_csv(flat, tmp)
        tmp.replace(target)
    else:
        rows = [_jsonable(r) for r in table.to_pylist()]
        text = (
            json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
            if out.format == "json"
            else "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        )
        atomic.write_text(target, text)
    meta["rows"] = table.num_rows
    if out.chat_format:
        entry = dataset_info_entry(target.name, out.chat_format, "images" in table.column_names)
        if entry:
            info_path = target.parent / "dataset_info.json"
            info = json.loads(info_path.read_text("utf-8")) if info_path.exists() else {}
            info[f"{spec.name}_{out.chat_format}"] = entry
            atomic.write_json(info_path, info)
            meta["dataset_info"] = str(info_path)
            meta["dataset_info_entry"] = entry
        snippet = axolotl_snippet(target, out.chat_format)
        atomic.write_text(target.with_suffix(".axolotl.yaml"), snippet)
        meta["axolotl"] = snippet
    return meta


def content_hash(path: Path) -> str:
    """Hash of the rows (not of the file bytes, which depend on the writer's version)."""
    table = read_table(path)
    digest = hashlib.sha256()
    for batch in table.to_batches(max_chunksize=10_000):
        for row in batch.to_pylist():
            digest.update(json.dumps(_jsonable(row), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def publish_hub(
    spec: PipelineSpec,
    out: HubOutput,
    upstream: Path,
    hub: Any,
    run_id: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """A new immutable version ``v{YYYYMMDD}_{HHMMSS}`` unless the rows equal the latest version's."""
    from contextlib import nullcontext

    from dataset_platform.retraining.publishing import (
        CARD_FILE,
        METADATA_FILE,
        PUBLISHED,
        UNCHANGED,
        LocalHub,
        next_version_tag,
    )

    publisher = hub.publisher("", out.repo)
    digest = content_hash(upstream)
    rows = read_table(upstream).num_rows
    guard = publisher.lock() if isinstance(publisher, LocalHub) else nullcontext()
    with guard:
        latest = publisher.latest_metadata()
        if latest and latest.get("content_hash") == digest:
            tag = latest["version_tag"]
            return {
                "status": UNCHANGED,
                "repo": out.repo,
                "version": tag,
                "uri": publisher.version_uri(tag),
                "content_hash": digest,
                "rows": rows,
            }
        created = now or dt.datetime.now(dt.UTC)
        tag = next_version_tag(created, latest["version_tag"] if latest else None)
        metadata = {
            "dataset_name": out.repo,
            "version_tag": tag,
            "pipeline": spec.name,
            "num_samples": rows,
            "splits": {"train": rows},
            "content_hash": digest,
            "dagster_run_id": run_id,
            "created_at": created.astimezone(dt.UTC).isoformat(timespec="seconds"),
        }
        card = (
            "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n"
            "    path: data/train-*.parquet\n"
            f"---\n# {out.repo}\n\nVersion {tag} of the `{spec.name}` declared pipeline: {rows} rows, "
            f"content hash `{digest[:12]}`.\n"
        )
        files = {
            "data/train-00000-of-00001.parquet": Path(upstream).read_bytes(),
            METADATA_FILE: (json.dumps(metadata, indent=2, sort_keys=True) + "\n").encode(),
            CARD_FILE: card.encode(),
        }
        uri = publisher.write_version(tag, files, f"Publish {spec.name} {tag} ({rows} rows, content {digest[:12]})")
    return {"status": PUBLISHED, "repo": out.repo, "version": tag, "uri": uri, "content_hash": digest, "rows": rows}


def push_datadog(out: DatadogOutput, upstream: Path, datadog: LLMObsResource) -> dict[str, Any]:
    rows = [_jsonable(r) for r in read_table(upstream).to_pylist()]
    records = [
        {
            "input_data": {c: r.get(c) for c in out.input_columns},
            "expected_output": r.get(out.expected_output) if out.expected_output else None,
            "metadata": {"key": str(r.get(out.key))},
        }
        for r in rows
    ]
    result = datadog.push_dataset(
        out.dataset,
        f"declared pipeline dataset {out.dataset}",
        records,
        key=lambda rec: str((rec.get("metadata") or {}).get("key")),
    )
    return {k: v for k, v in result.to_dict().items() if k != "dataset_id"}


def run_output(
    spec: PipelineSpec, out: Any, out_id: str, upstream: Path, resources: Mapping[str, Any], run_id: str | None = None
) -> dict[str, Any]:
    if out.type == "export":
        return export(spec, out, out_id, upstream)
    if out.type == "hub":
        return publish_hub(spec, out, upstream, resources["hub"], run_id)
    return push_datadog(out, upstream, resources["datadog"])
