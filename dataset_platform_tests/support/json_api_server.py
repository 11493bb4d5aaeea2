"""Local HTTP servers for the pipelines' tests: an OpenAI-compatible chat endpoint and a paginated REST JSON API.

Both record what they were sent and serve queued HTTP faults (status codes) first, so retries are observable.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server:
    def __init__(self, handle: Callable[[str, str, dict | None], tuple[int, Any]]):
        self.requests: list[tuple[str, str, Any]] = []
        self.faults: deque[int] = deque()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _serve(self, method: str):
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                with outer._lock:
                    outer.requests.append((method, self.path, body))
                    fault = outer.faults.popleft() if outer.faults else None
                status, payload = (fault, {"error": "injected"}) if fault else handle(method, self.path, body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def openai_server() -> _Server:
    """/v1/chat/completions: classify answers the first allowed label named in the prompt, else the first label;
    other schemas get {"summary": <first 20 chars>} or an object echoing the prompt's length."""

    def handle(method, path, body):
        if method != "POST" or not path.endswith("/chat/completions"):
            return 404, {"error": "not found"}
        user = body["messages"][-1]["content"]
        schema = body["response_format"]["json_schema"]["schema"]
        props = schema.get("properties", {})
        if "label" in props:
            labels = props["label"]["enum"]
            answer = {"label": next((lab for lab in labels if lab.lower() in user.lower()), labels[0])}
        elif "summary" in props:
            answer = {"summary": user[:20]}
        else:
            answer = {"length": len(user)}
        usage = {"prompt_tokens": len(user) // 4 + 10, "completion_tokens": 5}
        return 200, {"choices": [{"message": {"role": "assistant", "content": json.dumps(answer)}}], "usage": usage}

    return _Server(handle)


def paginated_server(records: list[dict], page_size: int) -> _Server:
    """GET /items?page=N → {"data": [...], "next": "/items?page=N+1" | null}."""

    def handle(method, path, body):
        parsed = urllib.parse.urlparse(path)
        if parsed.path != "/items":
            return 404, {"error": "not found"}
        page = int(urllib.parse.parse_qs(parsed.query).get("page", ["1"])[0])
        chunk = records[(page - 1) * page_size : page * page_size]
        more = page * page_size < len(records)
        return 200, {"data": chunk, "next": f"/items?page={page + 1}" if more else None}

    return _Server(handle)
