"""The declared pipeline (one ``defs.yaml``) as pydantic models: sources, steps, outputs.

Validation errors name the file, the step and the field (``PipelineSpecError``); a step whose ``kind`` is
unknown lists the known kinds. Paths may start with ``{home}`` (DATASET_PLATFORM_HOME); other relative paths
are relative to the pipeline's folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

ID_RE = r"^[a-z][a-z0-9_]*$"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- sources ---------------------------------------------------------------------------------------


class FilesSource(_Spec):
    type: Literal["files"]
    path: str = Field(description="file path or glob; '{home}/...' or relative to the pipeline folder")
    format: Literal["csv", "json", "jsonl", "parquet", "excel"] | None = None
    pick: Literal["all", "latest"] = Field("all", description="'latest': only the last match in sorted order")
    sheet: str | None = None


class SqlSource(_Spec):
    type: Literal["sql"]
    query: str
    url: str | None = Field(None, description="SQLAlchemy URL; unset = the review database resource")


class HubSource(_Spec):
    type: Literal["hub"]
    repo: str | None = Field(None, description="a dataset repo published by the platform's hub resource")
    version: str | None = Field(None, description="version tag; unset = latest")
    path: str | None = Field(None, description="anything datasets.load_dataset takes (instead of repo)")
    name: str | None = None
    split: str | None = None
    class_label_names: list[str] = Field(default_factory=list, description="int label columns to add <col>_name for")

    @model_validator(mode="after")
    def _one_of(self):
        if bool(self.repo) == bool(self.path):
            raise ValueError("give exactly one of 'repo' (platform hub) or 'path' (datasets.load_dataset)")
        return self


class RestSource(_Spec):
    type: Literal["rest"]
    url: str = Field(description="http(s) endpoint, or a file:// URL / path of a JSON page of the same shape")
    url_env: str | None = Field(None, description="environment variable that, when set, replaces 'url'")
    items: str = Field("data", description="dotted path of the record list in each page")
    next: str | None = Field("next", description="dotted path of the next page URL (null/absent = last page)")
    page_param: str | None = Field(None, description="instead of next: a page-number query parameter")
    max_pages: int = Field(1000, ge=1)
    timeout_s: float = Field(30.0, gt=0)
    retries: int = Field(4, ge=0)
    backoff_s: float = Field(0.5, ge=0)
    headers: dict[str, str] = Field(default_factory=dict, description="values '${VAR}' are read from the environment")


Source = Annotated[FilesSource | SqlSource | HubSource | RestSource, Field(discriminator="type")]


# --- steps -----------------------------------------------------------------------------------------


class _Step(_Spec):
    id: str = Field(pattern=ID_RE)
    description: str | None = None


class FilterStep(_Step):
    kind: Literal["filter"]
    where: str = Field(description="SQL boolean expression over the columns")


class SelectStep(_Step):
    kind: Literal["select"]
    columns: list[str] = Field(min_length=1)
    rename: dict[str, str] = Field(default_factory=dict)


class JoinStep(_Step):
    kind: Literal["join"]
    with_: Source = Field(alias="with")
    keys: list[str] = Field(min_length=1, description="join columns (USING); not 'on', which YAML reads as true")
    how: Literal["inner", "left", "right", "full"] = "inner"


class SqlStep(_Step):
    kind: Literal["sql"]
    query: str = Field(description="DuckDB SQL; the previous step's rows are the table 'input'")


class CleanStep(_Step):
    kind: Literal["clean"]
    columns: list[str] = Field(min_length=1)
    drop_empty: bool = True


class DedupeStep(_Step):
    kind: Literal["dedupe"]
    columns: list[str] = Field(min_length=1)
    near: bool = True
    threshold: float = Field(0.85, gt=0, le=1, description="MinHash Jaccard above which two rows are near-duplicates")


class PiiStep(_Step):
    kind: Literal["pii"]
    columns: list[str] | None = Field(None, description="unset = every text column")
    action: Literal["mask", "remove", "flag"] = "mask"
    kinds: list[str] | None = None


class LlmStep(_Step):
    kind: Literal["llm"]
    task: Literal["classify", "extract", "enrich", "summarise"]
    model: str = Field(description="openai/<name> (OPENAI_BASE_URL) or local/minilm (embedding similarity)")
    prompt: str = Field(description="template; {column} is replaced by the row's value")
    output: str = Field(pattern=ID_RE, description="column that receives the answer")
    labels: list[str] = Field(default_factory=list, description="classify: the allowed labels")
    json_schema: dict[str, Any] | None = Field(None, alias="schema")
    batch_size: int = Field(16, ge=1)
    max_concurrency: int = Field(4, ge=1)
    retries: int = Field(3, ge=0)
    price_per_1m_input: float = Field(0.0, ge=0)
    price_per_1m_output: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _labels(self):
        if self.task == "classify" and not self.labels:
            raise ValueError("task 'classify' needs 'labels'")
        return self


class ChatInput(_Spec):
    """How one source's rows become canonical conversations."""

    source: Source | None = Field(None, description="merge input; unset on the step itself = previous step")
    from_: Literal["openai", "sharegpt", "alpaca", "chatml", "vicuna", "template"] = Field("template", alias="from")
    columns: dict[str, str] = Field(default_factory=dict, description="LLaMA-Factory 'columns' mapping")
    tags: dict[str, str] = Field(default_factory=dict, description="LLaMA-Factory 'tags' mapping")
    system: str | None = None
    prompt: str | None = Field(None, description="template: the user turn, {column} placeholders")
    response: str | None = Field(None, description="template: the assistant turn")
    images: str | None = Field(None, description="template: column holding the list of image paths")
    keep: list[str] = Field(default_factory=list, description="template: columns kept beside messages")

    @model_validator(mode="after")
    def _template(self):
        if self.from_ == "template" and not (self.prompt and self.response):
            raise ValueError("from: template needs 'prompt' and 'response'")
        return self


class ChatStep(ChatInput, _Step):
    kind: Literal["chat"]
    merge: list[ChatInput] = Field(default_factory=list)
    max_tokens: int | None = Field(None, ge=1)
    on_invalid: Literal["drop", "keep"] = "drop"


class Rule(_Spec):
    name: str
    column: str | None = None
    range: tuple[float | None, float | None] | None = None
    regex: str | None = None
    enum: list[Any] | None = None
    expr: str | None = Field(None, description="cross-field rule: SQL boolean expression that must hold")
    severity: Literal["critical", "high", "medium", "low"] = "medium"

    @model_validator(mode="after")
    def _one(self):
        given = [k for k in ("range", "regex", "enum", "expr") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a rule has exactly one of range, regex, enum, expr")
        if given[0] != "expr" and not self.column:
            raise ValueError(f"a {given[0]} rule needs 'column'")
        if self.regex is not None:
            re.compile(self.regex)
        return self


class QualityStep(_Step):
    kind: Literal["quality"]
    required: list[str] = Field(default_factory=list)
    types: dict[str, Literal["string", "integer", "number", "boolean", "list", "struct"]] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    min_quality_score: float = Field(90.0, ge=0, le=100, description="blocking asset check (score 0-100)")


Step = Annotated[
    FilterStep | SelectStep | JoinStep | SqlStep | CleanStep | DedupeStep | PiiStep | LlmStep | ChatStep | QualityStep,
    Field(discriminator="kind"),
]
STEP_KINDS = ("filter", "select", "join", "sql", "clean", "dedupe", "pii", "llm", "chat", "quality")


# --- outputs ---------------------------------------------------------------------------------------


class ExportOutput(_Spec):
    type: Literal["export"]
    id: str | None = Field(None, pattern=ID_RE)
    format: Literal["json", "jsonl", "csv", "parquet"]
    chat_format: Literal["openai", "sharegpt", "alpaca", "chatml", "vicuna"] | None = None
    path: str | None = Field(None, description="default {home}/exports/pipelines/<name>/<id>.<format>")


class HubOutput(_Spec):
    type: Literal["hub"]
    id: str | None = Field(None, pattern=ID_RE)
    repo: str


class DatadogOutput(_Spec):
    type: Literal["datadog"]
    id: str | None = Field(None, pattern=ID_RE)
    dataset: str
    input_columns: list[str] = Field(min_length=1)
    expected_output: str | None = None
    key: str


Output = Annotated[ExportOutput | HubOutput | DatadogOutput, Field(discriminator="type")]


class PipelineSpec(_Spec):
    name: str = Field(pattern=ID_RE)
    folder: Path
    description: str | None = None
    deps: list[str] = Field(default_factory=list, description="upstream asset keys (lineage and run order)")
    source: Source
    steps: list[Step] = Field(default_factory=list)
    outputs: list[Output] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids(self):
        ids = ["source", *(s.id for s in self.steps), *self.output_ids()]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"step/output ids must be unique: {', '.join(dupes)}")
        return self

    def output_ids(self) -> list[str]:
        return [
            o.id
            or (f"export_{o.format}" + (f"_{o.chat_format}" if o.chat_format else "") if o.type == "export" else o.type)
            for o in self.outputs
        ]

    def resolve_path(self, path: str) -> Path:
        from dataset_platform.common import settings

        if path.startswith("{home}"):
            return settings.platform_home() / path[len("{home}") :].lstrip("/")
        p = Path(path)
        return p if p.is_absolute() else self.folder / p


class PipelineSpecError(ValueError):
    pass


_STEP = TypeAdapter(Step)
_SOURCE = TypeAdapter(Source)
_OUTPUT = TypeAdapter(Output)


def _describe(exc: ValidationError, where: str, skip: int = 0) -> list[str]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"][skip:]]
        msg = err["msg"]
        if err["type"] == "union_tag_invalid":
            ctx = err.get("ctx", {})
            disc = str(ctx.get("discriminator", "kind")).strip("'")
            loc.append(disc)
            msg = f"unknown {disc} {ctx.get('tag')!r}; known: {ctx.get('expected_tags')}"
        field = ".".join(loc) if loc else "(step)"
        out.append(f"{where}: field '{field}': {msg}")
    return out


def parse_pipeline(name: str, folder: Path, attributes: dict[str, Any], file: Path | str) -> PipelineSpec:
    """Validate one pipeline's attributes; every problem of every step in one error that names file/step/field."""
    if not isinstance(attributes, dict):
        raise PipelineSpecError(f"{file}: attributes must be a mapping")
    problems: list[str] = []
    steps = attributes.get("steps") or []
    if not isinstance(steps, list):
        problems.append(f"{file}: field 'steps': must be a list")
        steps = []
    for i, raw in enumerate(steps):
        label = f"step #{i + 1}" + (f" '{raw.get('id')}'" if isinstance(raw, dict) and raw.get("id") else "")
        if isinstance(raw, dict) and raw.get("kind") not in STEP_KINDS:
            problems.append(
                f"{file}: {label}: field 'kind': unknown step kind {raw.get('kind')!r}; known: {', '.join(STEP_KINDS)}"
            )
            continue
        try:
            _STEP.validate_python(raw)
        except ValidationError as exc:
            problems += [f"{file}: " + p for p in _describe(exc, label, skip=1)]
    for key, adapter in (("source", _SOURCE),):
        try:
            adapter.validate_python(attributes.get(key))
        except ValidationError as exc:
            problems += [f"{file}: " + p for p in _describe(exc, key, skip=1)]
    for i, raw in enumerate(attributes.get("outputs") or []):
        try:
            _OUTPUT.validate_python(raw)
        except ValidationError as exc:
            problems += [f"{file}: " + p for p in _describe(exc, f"output #{i + 1}", skip=1)]
    if not problems:
        try:
            return PipelineSpec.model_validate({"name": name, "folder": folder, **attributes})
        except ValidationError as exc:
            problems += [f"{file}: " + p for p in _describe(exc, "pipeline")]
    raise PipelineSpecError(f"invalid pipeline {name!r}:\n  " + "\n  ".join(problems))
