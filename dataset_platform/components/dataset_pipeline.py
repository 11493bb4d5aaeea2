"""``DatasetPipeline``: one ``defs.yaml`` → a chain of assets ``<name>/<step id>`` in group ``<name>``.

The YAML is validated by ``dataset_platform.pipelines.spec`` (errors name the file, the step and the field).
Each asset reads its upstream step's Parquet file and writes its own under
``$DATASET_PLATFORM_HOME/pipelines/<name>/``; the work is in ``dataset_platform.pipelines`` (imported inside
the asset bodies, so loading the code location stays cheap). ``code_version`` is a hash of the step's YAML, so
the UI marks exactly the steps whose declaration changed as stale.
"""

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import dagster as dg

from dataset_platform.pipelines.spec import PipelineSpec, parse_pipeline

PIPELINE_TAG = "dataset_platform/pipeline"
RESOURCES = {"review_db", "hub", "models", "datadog"}
_KINDS = {"filter": "duckdb", "select": "duckdb", "join": "duckdb", "sql": "duckdb", "llm": "llm", "chat": "chat"}


class DatasetPipeline(dg.Component, dg.Model, dg.Resolvable):
    """A declared dataset pipeline: a source, steps and outputs (see docs/pipelines.md)."""

    description: str | None = None
    deps: list[str] = []
    source: dict[str, Any]
    steps: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []

    @classmethod
    def load(cls, attributes: Any, context: dg.ComponentLoadContext) -> "DatasetPipeline":
        # The attributes are plain data that parse_pipeline validates; Dagster's default load renders every string
        # through Jinja, which made loading the three shipped pipelines cost ~15% of `import dagster`. Prompt
        # templates use {column} placeholders, and secrets come from the environment (url_env, ${VAR} headers).
        return cls(**(attributes.model_dump(exclude_unset=True) if attributes is not None else {}))

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        folder = Path(context.path)
        attributes = self.model_dump(exclude_none=True)
        spec = parse_pipeline(folder.name, folder, attributes, folder / "defs.yaml")
        return build_pipeline_defs(spec)


def pipeline_dir(name: str) -> Path:
    from dataset_platform.common import settings

    return settings.platform_home() / "pipelines" / name


def _version(obj: Any) -> str:
    blob = json.dumps(obj.model_dump(mode="json", by_alias=True), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _metadata(path: Path, rows: int, seconds: float, extra: dict[str, Any]) -> dict[str, Any]:
    from dataset_platform.pipelines.tables import infer_schema, preview_markdown

    columns = infer_schema(path)
    llm = extra.pop("llm", None)
    meta: dict[str, Any] = {
        "dagster/row_count": rows,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(c.name, c.type, description=c.description or None) for c in columns]
        ),
        "preview": dg.MetadataValue.md(preview_markdown(path)),
        "path": dg.MetadataValue.path(str(path)),
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds, 1) if seconds > 0 else None,
        "likely_pii_columns": [c.name for c in columns if c.pii],
        "model_calls": llm["model_calls"] if llm else 0,
        "cost_usd": llm["cost_usd"] if llm else 0.0,
    }
    if llm:
        meta.update({f"llm/{k}": v for k, v in llm.items() if k not in ("model_calls", "cost_usd")})
    for key, value in extra.items():
        if key.endswith("_md"):
            meta[key[:-3]] = dg.MetadataValue.md(value)
        else:
            plain = isinstance(value, (int, float, str, bool)) or value is None
            meta[key] = value if plain else dg.MetadataValue.json(value)
    return {k: v for k, v in meta.items() if v is not None}


def _source_asset(spec: PipelineSpec) -> dg.AssetsDefinition:
    key = dg.AssetKey([spec.name, "source"])

    @dg.asset(
        key=key,
        group_name=spec.name,
        deps=[dg.AssetKey.from_user_string(d) for d in spec.deps],
        code_version=_version(spec.source),
        kinds={spec.source.type},
        tags={PIPELINE_TAG: spec.name},
        description=f"{spec.description or spec.name}: {spec.source.type} source",
        required_resource_keys=RESOURCES,
    )
    def _source(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        from dataset_platform.pipelines.steps import read_source_to

        out = pipeline_dir(spec.name) / "source.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        outcome = read_source_to(spec, spec.source, out, _resources(context))
        seconds = time.perf_counter() - started
        return dg.MaterializeResult(metadata=_metadata(out, outcome.rows, seconds, outcome.metadata))

    return _source


def _resources(context: dg.AssetExecutionContext) -> dict[str, Any]:
    return {name: getattr(context.resources, name) for name in RESOURCES}


def run_step(spec: PipelineSpec, step: Any, upstream: Path, out: Path, resources: dict[str, Any], run_id=None):
    """One step's Parquet in → Parquet out (also used by the benchmark without Dagster)."""
    from dataset_platform.common import settings
    from dataset_platform.pipelines import steps as st

    if step.kind in ("filter", "select", "sql"):
        return st.run_relational(step, upstream, out)
    if step.kind == "join":
        other = out.with_name(f"{step.id}.with.parquet")
        st.read_source_to(spec, step.with_, other, resources)
        return st.run_relational(step, upstream, out, other)
    if step.kind == "clean":
        return st.run_clean(step, upstream, out)
    if step.kind == "pii":
        return st.run_pii(step, upstream, out)
    if step.kind == "dedupe":
        return st.run_dedupe(step, upstream, out)
    if step.kind == "chat":

        def read_merge(source, i):
            path = out.with_name(f"{step.id}.merge_{i + 1}.parquet")
            st.read_source_to(spec, source, path, resources)
            return path

        return st.run_chat(step, upstream, out, read_merge)
    if step.kind == "quality":
        return st.run_quality(step, upstream, out, out.with_name(f"{step.id}.quality.json"))
    if step.kind == "llm":
        from dataset_platform.pipelines.llm import backend_for, run_llm

        backend = backend_for(step.model, resources.get("models"))
        return run_llm(step, upstream, out, backend, settings.cache_dir() / "llm")
    raise TypeError(step.kind)


def _step_asset(spec: PipelineSpec, step: Any, upstream: dg.AssetKey) -> dg.AssetsDefinition:
    key = dg.AssetKey([spec.name, step.id])

    @dg.asset(
        key=key,
        group_name=spec.name,
        deps=[upstream],
        code_version=_version(step),
        kinds={_KINDS.get(step.kind, "python")},
        tags={PIPELINE_TAG: spec.name, "dataset_platform/step": step.kind},
        description=step.description or f"{step.kind} step of {spec.name}",
        required_resource_keys=RESOURCES,
        pool="llm" if step.kind == "llm" else None,
        retry_policy=dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
        if step.kind in ("llm", "join")
        else None,
    )
    def _step(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        directory = pipeline_dir(spec.name)
        up = directory / f"{upstream.path[-1]}.parquet"
        if not up.exists():
            raise FileNotFoundError(f"{up} missing: materialise {upstream.to_user_string()} first")
        out = directory / f"{step.id}.parquet"
        started = time.perf_counter()
        outcome = run_step(spec, step, up, out, _resources(context), context.run.run_id)
        seconds = time.perf_counter() - started
        return dg.MaterializeResult(metadata=_metadata(out, outcome.rows, seconds, outcome.metadata))

    return _step


def _quality_check(spec: PipelineSpec, step: Any) -> dg.AssetChecksDefinition:
    key = dg.AssetKey([spec.name, step.id])

    @dg.asset_check(
        asset=key,
        name="min_quality_score",
        blocking=True,
        description=f"quality score ≥ {step.min_quality_score}; blocks the outputs when it fails",
    )
    def _check() -> dg.AssetCheckResult:
        report = json.loads((pipeline_dir(spec.name) / f"{step.id}.quality.json").read_text("utf-8"))
        failed = [f["check"] for f in report["findings"] if not f["passed"]]
        return dg.AssetCheckResult(
            passed=report["score"] >= step.min_quality_score,
            metadata={"score": report["score"], "min_quality_score": step.min_quality_score, "failed_checks": failed},
        )

    return _check


def _output_asset(spec: PipelineSpec, out: Any, out_id: str, upstream: dg.AssetKey) -> dg.AssetsDefinition:
    key = dg.AssetKey([spec.name, out_id])

    @dg.asset(
        key=key,
        group_name=spec.name,
        deps=[upstream],
        code_version=_version(out),
        kinds={out.type},
        tags={PIPELINE_TAG: spec.name},
        description=f"{out.type} output of {spec.name}",
        required_resource_keys=RESOURCES,
    )
    def _output(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        from dataset_platform.pipelines.outputs import run_output

        up = pipeline_dir(spec.name) / f"{upstream.path[-1]}.parquet"
        result = run_output(spec, out, out_id, up, _resources(context), context.run.run_id)
        meta: dict[str, Any] = {"dagster/row_count": result.get("rows", result.get("num_records", 0))}
        if result.get("uri") or result.get("url"):
            meta["dagster/uri"] = result.get("uri") or result.get("url")
        if result.get("path"):
            meta["path"] = dg.MetadataValue.path(result["path"])
        if result.get("axolotl"):
            meta["axolotl"] = dg.MetadataValue.md(f"```yaml\n{result['axolotl']}```")
        for k, v in result.items():
            if k not in ("uri", "url", "path", "axolotl"):
                meta[k] = v if isinstance(v, (int, float, str, bool)) else dg.MetadataValue.json(v)
        return dg.MaterializeResult(metadata={k: v for k, v in meta.items() if v is not None})

    return _output


def build_pipeline_defs(spec: PipelineSpec) -> dg.Definitions:
    assets = [_source_asset(spec)]
    checks = []
    upstream = assets[0].key
    for step in spec.steps:
        assets.append(_step_asset(spec, step, upstream))
        upstream = assets[-1].key
        if step.kind == "quality":
            checks.append(_quality_check(spec, step))
    for out, out_id in zip(spec.outputs, spec.output_ids()):
        assets.append(_output_asset(spec, out, out_id, upstream))
    return dg.Definitions(assets=assets, asset_checks=checks)
