"""A local HTTP server speaking Gemini's REST ``generateContent`` protocol, scriptable per test.

The real google-genai client talks to it through ``GEMINI_BASE_URL`` / ``HttpOptions(base_url=...)``.
It records every request (path, model, parsed body), the peak number of requests in flight, and
answers after a fixed latency with the extraction a test chose; queued faults (HTTP errors, invalid
JSON, hangs) are served first, in order.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional

_PATH = re.compile(r"^/(?P<version>[^/]+)/models/(?P<model>[^/:]+):generateContent$")
_STATUS_NAMES = {400: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


@dataclass
class RecordedRequest:
    path: str
    api_version: str
    model: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def parts(self) -> list[dict[str, Any]]:
        return [p for c in self.body.get("contents", []) for p in c.get("parts", [])]

    @property
    def images(self) -> list[dict[str, Any]]:
        return [p["inlineData"] for p in self.parts if "inlineData" in p]

    @property
    def generation_config(self) -> dict[str, Any]:
        return self.body.get("generationConfig", {})


class GeminiTestServer:
    def __init__(self, latency_s: float = 0.0, usage: tuple[int, int, int] = (1200, 300, 0)):
        self.latency_s = latency_s
        self.usage = usage  # prompt, candidates, thoughts tokens per answer
        self.extraction: dict[str, Any] = {}
        self.responder: Optional[Callable[[RecordedRequest], dict[str, Any]]] = None
        self.requests: list[RecordedRequest] = []
        self.peak_in_flight = 0
        self._in_flight = 0
        self._faults: deque[tuple[str, Any]] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="gemini-test-server", daemon=True)

    # scripting ---------------------------------------------------------------------------------
    def fail_next(self, times: int, status: int = 429) -> None:
        self._faults.extend([("status", status)] * times)

    def invalid_json_next(self, times: int, text: str = '{"form_info": {"province": "กรุงเทพ') -> None:
        self._faults.extend([("text", text)] * times)

    def answer_next(self, extraction: dict[str, Any], times: int = 1) -> None:
        self._faults.extend([("text", json.dumps(extraction, ensure_ascii=False))] * times)

    def hang_next(self, times: int, seconds: float = 5.0) -> None:
        self._faults.extend([("hang", seconds)] * times)

    # lifecycle ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "GeminiTestServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "GeminiTestServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # serving -----------------------------------------------------------------------------------
    def _answer(self, request: RecordedRequest) -> tuple[int, dict[str, Any]]:
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault and fault[0] == "hang":
            self._stopping.wait(fault[1])
            fault = None
        if fault and fault[0] == "status":
            code = fault[1]
            return code, {
                "error": {"code": code, "message": "scripted failure", "status": _STATUS_NAMES.get(code, "UNKNOWN")}
            }
        if fault and fault[0] == "text":
            text = fault[1]
        else:
            extraction = self.responder(request) if self.responder else self.extraction
            text = json.dumps(extraction, ensure_ascii=False)
        prompt, candidates, thoughts = self.usage
        return 200, {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": prompt,
                "candidatesTokenCount": candidates,
                "thoughtsTokenCount": thoughts,
                "totalTokenCount": prompt + candidates + thoughts,
            },
            "modelVersion": request.model,
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's httpx client expects

            def setup(self) -> None:
                super().setup()
                # Headers and body are separate writes: without this, Nagle + delayed ACK add ~40 ms per answer.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def do_GET(self) -> None:
                # Out-of-process use (the benchmark): counters, and /_config?latency_s=… to change the latency.
                if self.path.startswith("/_config"):
                    from urllib.parse import parse_qs, urlparse

                    query = parse_qs(urlparse(self.path).query)
                    if "latency_s" in query:
                        server.latency_s = float(query["latency_s"][0])
                        with server._lock:
                            server.peak_in_flight = 0
                with server._lock:
                    stats = {"requests": len(server.requests), "peak_in_flight": server.peak_in_flight,
                             "latency_s": server.latency_s}  # fmt: skip
                self._send(200, stats)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                match = _PATH.match(self.path.split("?")[0])
                if not match:
                    self._send(
                        404, {"error": {"code": 404, "message": f"unknown path {self.path}", "status": "NOT_FOUND"}}
                    )
                    return
                request = RecordedRequest(
                    path=self.path,
                    api_version=match["version"],
                    model=match["model"],
                    body=body,
                    headers={k.lower(): v for k, v in self.headers.items()},
                )
                with server._lock:
                    server.requests.append(request)
                    server._in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server._in_flight)
                try:
                    if server.latency_s:
                        time.sleep(server.latency_s)
                    status, payload = server._answer(request)
                finally:
                    with server._lock:
                        server._in_flight -= 1
                self._send(status, payload)

        return Handler


def main() -> None:
    """Serve answers of the sample extraction until killed; print the base URL on stdout first."""
    import argparse
    import sys

    from dataset_platform_tests.forms.helpers import sample_extraction

    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    server = GeminiTestServer(latency_s=args.latency)
    server.extraction = sample_extraction()
    server.start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin
    finally:
        server.stop()


if __name__ == "__main__":
    main()
