"""A local HTTP server speaking Gemini's REST ``generateContent`` protocol, scriptable per test.

The real google-genai client talks to it through ``GEMINI_BASE_URL`` / ``HttpOptions(base_url=...)``.
Recording, latency, fault scripting and the benchmark endpoint come from ``json_server.JsonTestServer``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dataset_platform_tests.support.json_server import JsonTestServer, serve_until_stdin_closes

_PATH = re.compile(r"^/(?P<version>[^/]+)/models/(?P<model>[^/:]+):generateContent$")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


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


class GeminiTestServer(JsonTestServer):
    thread_name = "gemini-test-server"

    def __init__(self, latency_s: float = 0.0, usage: tuple[int, int, int] = (1200, 300, 0)):
        super().__init__(latency_s)
        self.usage = usage  # prompt, candidates, thoughts tokens per answer

    def record_request(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> RecordedRequest | None:
        match = _PATH.match(path.split("?")[0])
        if not match:
            return None
        return RecordedRequest(path, match["version"], match["model"], body, headers)

    def error_payload(self, status: int, message: str) -> dict[str, Any]:
        return {"error": {"code": status, "message": message, "status": _STATUS_NAMES.get(status, "UNKNOWN")}}

    def answer_payload(self, request: RecordedRequest, text: str) -> dict[str, Any]:
        prompt, candidates, thoughts = self.usage
        return {
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


if __name__ == "__main__":
    serve_until_stdin_closes(GeminiTestServer)
