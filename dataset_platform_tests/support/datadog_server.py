"""A local HTTP endpoint speaking the parts of Datadog's LLM Observability API that ddtrace uses.

Point ddtrace at it with ``DD_LLMOBS_OVERRIDE_ORIGIN=<server.url>``. It keeps projects, datasets
(with versions and records) and experiments in memory, answers as the real API does (JSON:API
bodies), accepts span and evaluation intake, and records every request for assertions.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class _Dataset:
    id: str
    project_id: str
    name: str
    description: str
    version: int = 0
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # record id → attributes


class DatadogState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.projects: dict[str, str] = {}  # name → id
        self.datasets: dict[str, _Dataset] = {}
        self.experiments: dict[str, dict[str, Any]] = {}
        self.experiment_events: dict[str, list[dict[str, Any]]] = {}
        self.intake: list[RecordedRequest] = []

    def find(self, method: str, pattern: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]


def _json_body(raw: bytes, headers: dict[str, str]) -> Any:
    if headers.get("content-encoding", "").lower() == "gzip":
        raw = gzip.decompress(raw)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: DatadogState

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _reply(self, status: int, body: Any = None) -> None:
        data = json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        headers = {k.lower(): v for k, v in self.headers.items()}
        raw = self.rfile.read(length) if length else b""
        parsed = urlparse(self.path)
        request = RecordedRequest(method, parsed.path, parse_qs(parsed.query), headers, _json_body(raw, headers))
        with self.state.lock:
            self.state.requests.append(request)
        if not headers.get("dd-api-key"):
            self._reply(403, {"errors": ["Forbidden"]})
            return
        status, body = self._route(request)
        self._reply(status, body)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    # --- routes ----------------------------------------------------------------------------------

    def _route(self, r: RecordedRequest) -> tuple[int, Any]:
        s = self.state
        p = r.path
        with s.lock:
            if r.method == "POST" and p == "/api/unstable/llm-obs/v1/projects":
                name = r.body["data"]["attributes"]["name"]
                pid = s.projects.setdefault(name, f"proj-{len(s.projects) + 1}")
                return 200, {"data": {"id": pid, "type": "projects", "attributes": {"name": name}}}

            m = re.fullmatch(r"/api/unstable/llm-obs/v1/([^/]+)/datasets", p)
            if r.method == "POST" and m:
                attrs = r.body["data"]["attributes"]
                ds = _Dataset(str(uuid.uuid4()), m.group(1), attrs["name"], attrs.get("description", ""))
                s.datasets[ds.id] = ds
                return 200, {"data": {"id": ds.id, "type": "datasets", "attributes": self._ds_attrs(ds)}}

            m = re.fullmatch(r"/api/v2/llm-obs/v1/([^/]+)/datasets", p)
            if r.method == "GET" and m:
                name = unquote(r.query.get("filter[name]", [""])[0])
                found = [d for d in s.datasets.values() if d.project_id == m.group(1) and d.name == name]
                return 200, {"data": [{"id": d.id, "type": "datasets", "attributes": self._ds_attrs(d)} for d in found]}

            m = re.fullmatch(r"/api/v2/llm-obs/v1/([^/]+)/datasets/([^/]+)/records", p)
            if r.method == "GET" and m:
                ds = s.datasets.get(m.group(2))
                if ds is None:
                    return 404, {"errors": ["dataset not found"]}
                data = [{"id": rid, "type": "records", "attributes": attrs} for rid, attrs in ds.records.items()]
                return 200, {"data": data, "meta": {}}

            m = re.fullmatch(r"/api/v2/llm-obs/v1/([^/]+)/datasets/([^/]+)/batch_update", p)
            if r.method == "POST" and m:
                return self._batch_update(s.datasets.get(m.group(2)), r.body["data"]["attributes"])

            if r.method == "POST" and p == "/api/unstable/llm-obs/v1/experiments":
                attrs = r.body["data"]["attributes"]
                eid = str(uuid.uuid4())
                run_name = f"{attrs['name']}-{len(s.experiments) + 1}"
                s.experiments[eid] = {**attrs, "run_name": run_name, "status": "created"}
                return 200, {"data": {"id": eid, "type": "experiments", "attributes": {"name": run_name}}}

            m = re.fullmatch(r"/api/unstable/llm-obs/v1/experiments/([^/]+)", p)
            if r.method == "PATCH" and m:
                if m.group(1) not in s.experiments:
                    return 404, {"errors": ["experiment not found"]}
                s.experiments[m.group(1)].update(r.body["data"]["attributes"])
                return 200, {"data": {"id": m.group(1), "type": "experiments"}}

            m = re.fullmatch(r"/api/unstable/llm-obs/v1/experiments/([^/]+)/events", p)
            if r.method == "POST" and m:
                s.experiment_events.setdefault(m.group(1), []).append(r.body["data"]["attributes"])
                return 200, {}

            if r.method == "POST" and (p.startswith("/api/v2/llmobs") or p.startswith("/api/intake/")):
                s.intake.append(r)
                return 202, {}
        return 404, {"errors": [f"no route for {r.method} {p}"]}

    @staticmethod
    def _ds_attrs(ds: _Dataset) -> dict[str, Any]:
        return {"name": ds.name, "description": ds.description, "current_version": ds.version}

    @staticmethod
    def _batch_update(ds: _Dataset | None, attrs: dict[str, Any]) -> tuple[int, Any]:
        if ds is None:
            return 404, {"errors": ["dataset not found"]}
        touched: list[str] = []
        for rec in attrs.get("insert_records") or []:
            rid = rec.get("id") or uuid.uuid4().hex
            ds.records[rid] = {
                "input": rec.get("input"),
                "expected_output": rec.get("expected_output"),
                "metadata": rec.get("metadata") or {},
                "tags": rec.get("tags") or [],
                "canonical_id": rid,
            }
            touched.append(rid)
        for rec in attrs.get("update_records") or []:
            current = ds.records.get(rec["id"])
            if current is None:
                return 400, {"errors": [f"unknown record {rec['id']}"]}
            for wire, stored in (("input", "input"), ("expected_output", "expected_output"), ("metadata", "metadata")):
                if rec.get(wire) is not None:
                    current[stored] = rec[wire]
            touched.append(rec["id"])
        deleted = [rid for rid in attrs.get("delete_records") or [] if ds.records.pop(rid, None) is not None]
        if (touched or deleted) and attrs.get("create_new_version", True):
            ds.version += 1
        return 200, {
            "data": [
                {"id": rid, "type": "records", "attributes": {"version": ds.version, "canonical_id": rid}}
                for rid in touched
            ]
        }


class DatadogTestServer:
    """``with DatadogTestServer() as dd: ...``; ``dd.url`` for DD_LLMOBS_OVERRIDE_ORIGIN, ``dd.state`` to assert."""

    def __init__(self) -> None:
        self.state = DatadogState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DatadogTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DatadogTestServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
