"""Sources of a declared pipeline, each written to one Parquet file: files, SQL, hub datasets, paginated REST.

File sources are scanned by DuckDB (globs, CSV/JSON sniffing); the other sources arrive as rows in Python.
Heavy libraries (duckdb, datasets) are imported inside the functions.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

from dataset_platform.pipelines.spec import FilesSource, HubSource, PipelineSpec, RestSource, SqlSource
from dataset_platform.pipelines.tables import duck, duck_copy, write_table

_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".xlsx": "excel",
    ".xls": "excel",
}


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def resolve_files(spec: PipelineSpec, source: FilesSource) -> list[Path]:
    pattern = spec.resolve_path(source.path)
    if any(ch in str(pattern) for ch in "*?["):
        matches = sorted(Path(pattern.anchor).glob(str(pattern.relative_to(pattern.anchor))))
    else:
        matches = [pattern] if pattern.exists() else []
    if not matches:
        raise FileNotFoundError(f"no file matches {pattern}")
    return matches[-1:] if source.pick == "latest" else matches


def files_query(spec: PipelineSpec, source: FilesSource) -> tuple[str, list[Path]]:
    """A DuckDB scan of the files (pushdown happens when a later query filters/projects over it)."""
    files = resolve_files(spec, source)
    fmt = source.format or _FORMATS.get(files[0].suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot tell the format of {files[0].name}: set 'format'")
    listed = "[" + ", ".join(_sql_str(str(f)) for f in files) + "]"
    if fmt == "csv":
        return f"SELECT * FROM read_csv({listed}, header=true, union_by_name=true)", files
    if fmt == "parquet":
        return f"SELECT * FROM read_parquet({listed}, union_by_name=true)", files
    raise ValueError(f"{fmt} is read in Python, not scanned")


def _json_records(files: list[Path], fmt: str) -> list[dict]:
    """JSON values exactly as written: DuckDB's reader would turn date-like strings into DATE values."""
    records: list[dict] = []
    for f in files:
        with open(f, encoding="utf-8") as handle:
            if fmt == "jsonl":
                records += [json.loads(line) for line in handle if line.strip()]
            else:
                data = json.load(handle)
                records += data if isinstance(data, list) else [data]
    return records


def read_files(spec: PipelineSpec, source: FilesSource, out: Path) -> int:
    files = resolve_files(spec, source)
    fmt = source.format or _FORMATS.get(files[0].suffix.lower())
    if fmt == "excel":
        import pandas as pd

        frames = [pd.read_excel(f, sheet_name=source.sheet or 0) for f in files]
        return write_table(pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False), out)
    if fmt in ("json", "jsonl"):
        records = _json_records(files, fmt)
        return write_table(pa.Table.from_pylist(records) if records else pa.table({}), out)
    query, _ = files_query(spec, source)
    with duck() as con:
        return duck_copy(con, query, out)


def read_sql(source: SqlSource, out: Path, engine: Any) -> int:
    """Rows of ``query`` on ``source.url`` (or ``engine``, the review database), streamed in chunks."""
    import pandas as pd
    import sqlalchemy as sa

    from dataset_platform.common import db

    engine = db.make_engine(source.url) if source.url else engine
    with engine.connect() as conn:
        df = pd.read_sql_query(sa.text(source.query), conn)
    return write_table(pa.Table.from_pandas(df, preserve_index=False), out)


def read_hub(source: HubSource, out: Path, hub: Any) -> tuple[int, dict[str, Any]]:
    """A version the platform's hub published (local folder or the HF Hub), or anything load_dataset takes."""
    import datasets

    info: dict[str, Any] = {}
    if source.repo:
        publisher = hub.publisher("", source.repo)
        latest = publisher.latest_metadata()
        if latest is None:
            raise FileNotFoundError(f"nothing published yet in {source.repo}")
        tag = source.version or latest["version_tag"]
        info = {"repo": source.repo, "version": tag}
        if hub.is_remote:
            loaded = datasets.load_dataset(source.repo, revision=tag, token=hub.hf_token)
        else:
            loaded = datasets.load_dataset(str(publisher.version_dir(tag)))
    else:
        loaded = datasets.load_dataset(source.path, source.name)
        info = {"path": source.path, "name": source.name}
    splits = {source.split: loaded[source.split]} if source.split else dict(loaded)
    tables = []
    for split, ds in splits.items():
        table = ds.data.table if hasattr(ds.data, "table") else ds.to_arrow()
        for col in source.class_label_names:
            feature = ds.features[col]
            if not isinstance(feature, datasets.ClassLabel):
                raise ValueError(f"column {col!r} is not a ClassLabel")
            names = [feature.int2str(int(v)) if v is not None else None for v in table.column(col).to_pylist()]
            table = table.append_column(f"{col}_name", pa.array(names, pa.string()))
        tables.append(table.append_column("split", pa.array([split] * len(table), pa.string())))
    return write_table(pa.concat_tables(tables, promote_options="default"), out), info


# --- REST --------------------------------------------------------------------------------------------


def _dig(obj: Any, path: str | None) -> Any:
    for part in (path or "").split("."):
        if part:
            obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _headers(headers: dict[str, str]) -> dict[str, str]:
    # Secrets stay in the environment: the YAML names a variable, its value is read here and never logged.
    return {k: re.sub(r"\$\{(\w+)\}", lambda m: os.environ.get(m.group(1), ""), v) for k, v in headers.items()}


def get_json(client: Any, url: str, source: RestSource, sleep: Callable[[float], None] = time.sleep) -> Any:
    """GET with retries on transport errors, 429 and 5xx, exponential backoff (honours Retry-After)."""
    import httpx

    for attempt in range(source.retries + 1):
        try:
            response = client.get(url)
            if response.status_code != 429 and response.status_code < 500:
                response.raise_for_status()
                return response.json()
            delay = float(response.headers.get("retry-after") or source.backoff_s * 2**attempt)
            error: Exception = httpx.HTTPStatusError(
                f"HTTP {response.status_code}", request=response.request, response=response
            )
        except httpx.TransportError as exc:
            error, delay = exc, source.backoff_s * 2**attempt
        if attempt == source.retries:
            raise RuntimeError(f"GET {url} failed after {attempt + 1} attempts: {error}") from error
        sleep(min(delay, 30.0))
    raise AssertionError("unreachable")


def _file_pages(source: RestSource) -> list[Any]:
    """file:// fallback: the same page shape from local JSON files; 'next' is a path relative to the page."""
    pages: list[Any] = []
    url: str | None = source.url
    while url and len(pages) < source.max_pages:
        path = Path(urllib.parse.unquote(urllib.parse.urlparse(url).path))
        page = json.loads(path.read_text("utf-8"))
        pages.append(page)
        nxt = _dig(page, source.next) if source.next else None
        url = (path.parent / nxt).as_uri() if nxt else None
    return pages


def fetch_rest(source: RestSource, sleep: Callable[[float], None] = time.sleep) -> tuple[list[dict], int]:
    """All records of a paginated endpoint (by next link or page number) and the number of pages read."""
    if source.url.startswith("file://"):
        pages = _file_pages(source)
    else:
        import httpx

        pages = []
        with httpx.Client(timeout=source.timeout_s, headers=_headers(source.headers), follow_redirects=True) as client:
            url: str | None = source.url
            page_no = 1
            while url and len(pages) < source.max_pages:
                page = get_json(client, url, source, sleep)
                pages.append(page)
                if source.page_param:
                    if not _dig(page, source.items):
                        break
                    page_no += 1
                    sep = "&" if "?" in source.url else "?"
                    url = f"{source.url}{sep}{source.page_param}={page_no}"
                else:
                    nxt = _dig(page, source.next) if source.next else None
                    url = urllib.parse.urljoin(url, nxt) if nxt else None
    records = []
    for i, page in enumerate(pages):
        items = _dig(page, source.items) if source.items else page
        if not isinstance(items, list):
            raise ValueError(f"page {i + 1}: {source.items!r} is not a list")
        records += items
    return records, len(pages)


def rest_url(spec: PipelineSpec, source: RestSource) -> str:
    url = (os.environ.get(source.url_env) if source.url_env else None) or source.url
    return url if re.match(r"^[a-z][a-z0-9+.-]*://", url) else spec.resolve_path(url).resolve().as_uri()


def read_rest(spec: PipelineSpec, source: RestSource, out: Path) -> tuple[int, dict[str, Any]]:
    source = source.model_copy(update={"url": rest_url(spec, source)})
    records, pages = fetch_rest(source)
    table = pa.Table.from_pylist(records) if records else pa.table({})
    return write_table(table, out), {"pages": pages, "url": source.url.split("?")[0]}
