"""A local HTTP server speaking the OpenAI chat-completions protocol (as vLLM, SGLang, Ollama serve it).

The real ``openai`` client talks to it through ``OPENAI_BASE_URL`` = ``<server.url>/v1``. Like vLLM it
rejects a request whose ``response_format`` is not a JSON schema object and answers with the extraction
a test chose as the message content. Recording, latency, fault scripting and the benchmark endpoint come
from ``json_server.JsonTestServer``.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

from dataset_platform_tests.support.json_server import JsonTestServer, serve_until_stdin_closes

_ERROR_TYPES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    404: "NotFoundError",
    429: "RateLimitError",
    500: "InternalServerError",
    503: "ServiceUnavailableError",
}


@dataclass
class RecordedRequest:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def model(self) -> str:
        return self.body.get("model", "")

    @property
    def parts(self) -> list[dict[str, Any]]:
        return [
            part
            for message in self.body.get("messages", [])
            for part in (message["content"] if isinstance(message.get("content"), list) else [])
        ]

    @property
    def image_urls(self) -> list[str]:
        return [p["image_url"]["url"] for p in self.parts if p.get("type") == "image_url"]

    def images(self) -> list[tuple[str, bytes]]:
        """(mime type, bytes) of every data-URL image part, in order."""
        out = []
        for url in self.image_urls:
            header, data = url.split(",", 1)
            out.append((header.removeprefix("data:").removesuffix(";base64"), base64.b64decode(data)))
        return out

    @property
    def json_schema(self) -> dict[str, Any]:
        return self.body.get("response_format", {}).get("json_schema", {})


class OpenAITestServer(JsonTestServer):
    thread_name = "openai-test-server"

    def __init__(self, latency_s: float = 0.0, usage: tuple[int, int] = (1500, 350)):
        super().__init__(latency_s)
        self.usage = usage  # prompt, completion tokens per answer

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def record_request(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> RecordedRequest | None:
        if path.split("?")[0] != "/v1/chat/completions":
            return None
        return RecordedRequest(path, body, headers)

    def _answer(self, request: RecordedRequest) -> tuple[int, dict[str, Any]]:
        response_format = request.body.get("response_format") or {}
        schema = (response_format.get("json_schema") or {}).get("schema")
        if response_format and (response_format.get("type") != "json_schema" or not isinstance(schema, dict)):
            return 400, self.error_payload(400, "response_format must be a json_schema with a schema object")
        return super()._answer(request)

    def error_payload(self, status: int, message: str) -> dict[str, Any]:
        kind = _ERROR_TYPES.get(status, "APIError")
        return {"error": {"message": message, "type": kind, "param": None, "code": status}}

    def answer_payload(self, request: RecordedRequest, text: str) -> dict[str, Any]:
        prompt, completion = self.usage
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }


if __name__ == "__main__":
    serve_until_stdin_closes(OpenAITestServer)
