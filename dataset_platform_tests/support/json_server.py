"""The shared base of the local model-API test servers: a threaded JSON-over-HTTP endpoint, scriptable per test.

A protocol subclass (``gemini_server.py``, ``openai_server.py``) says which POST paths it serves, how a
request is recorded, and how an answer and an error look on its wire. This base records every request,
the peak number in flight, answers after a fixed latency with the extraction a test chose, and serves
queued faults (HTTP errors, invalid JSON, hangs) first, in order. ``GET /_config?latency_s=…`` reads the
counters and changes the latency for out-of-process use (the benchmarks).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class JsonTestServer:
    thread_name = "json-test-server"

    def __init__(self, latency_s: float = 0.0):
        self.latency_s = latency_s
        self.extraction: dict[str, Any] = {}
        self.responder: Callable[[Any], dict[str, Any]] | None = None
        self.requests: list[Any] = []
        self.arrivals: list[float] = []  # time.monotonic() of each recorded request: shows the backoff
        self.peak_in_flight = 0
        self._in_flight = 0
        self._faults: deque[tuple[str, Any]] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=self.thread_name, daemon=True)

    # the protocol: overridden by each server ---------------------------------------------------
    def record_request(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        """The recorded request for a POST to ``path``, or None when the protocol has no such path (404)."""
        raise NotImplementedError

    def answer_payload(self, request: Any, text: str) -> dict[str, Any]:
        raise NotImplementedError

    def error_payload(self, status: int, message: str) -> dict[str, Any]:
        raise NotImplementedError

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

    def start(self) -> Any:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # serving -----------------------------------------------------------------------------------
    def _answer(self, request: Any) -> tuple[int, dict[str, Any]]:
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault and fault[0] == "hang":
            self._stopping.wait(fault[1])
            fault = None
        if fault and fault[0] == "status":
            return fault[1], self.error_payload(fault[1], "scripted failure")
        if fault and fault[0] == "text":
            text = fault[1]
        else:
            extraction = self.responder(request) if self.responder else self.extraction
            text = json.dumps(extraction, ensure_ascii=False)
        return 200, self.answer_payload(request, text)

    def _stats(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": len(self.requests), "peak_in_flight": self.peak_in_flight, "latency_s": self.latency_s}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' httpx clients expect

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
                if self.path.startswith("/_config"):
                    query = parse_qs(urlparse(self.path).query)
                    if "latency_s" in query:
                        server.latency_s = float(query["latency_s"][0])
                        with server._lock:
                            server.peak_in_flight = 0
                self._send(200, server._stats())

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = server.record_request(self.path, body, headers)
                if request is None:
                    self._send(404, server.error_payload(404, f"unknown path {self.path}"))
                    return
                with server._lock:
                    server.requests.append(request)
                    server.arrivals.append(time.monotonic())
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


def serve_until_stdin_closes(server_class: type[JsonTestServer]) -> None:
    """Serve answers of the sample extraction until our stdin closes; print the base URL on stdout first."""
    import argparse
    import sys

    from dataset_platform_tests.forms.helpers import sample_extraction

    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    server = server_class(latency_s=args.latency)
    server.extraction = sample_extraction()
    server.start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()
