"""Conversation datasets: one canonical row shape and the import/export formats (DESIGN "Command line" `convert`).

Canonical row: ``{"messages": [{"role", "content"}...], "images"?: [...], <other fields>}`` — the OpenAI/TRL
``messages`` schema; images sit beside the messages as in TRL and LLaMA-Factory. Every reader and writer keeps
the row's other fields. A row that does not fit a format raises ``ChatFormatError``; callers record it and go
on, nothing is repaired. Column and role names follow LLaMA-Factory's ``columns``/``tags`` vocabulary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("openai", "sharegpt", "alpaca", "chatml", "vicuna")
ROLES = ("system", "user", "assistant", "tool")
# FastChat's vicuna_v1.1 template: system + " ", then "USER: u ASSISTANT: a</s>" per turn.
VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)
VICUNA_ROLES = {"user": "USER", "assistant": "ASSISTANT"}

# LLaMA-Factory dataset_info defaults (data/README.md).
SHAREGPT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "observation_tag": "observation",
    "function_tag": "function_call",
    "system_tag": "system",
}
OPENAI_TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
    "observation_tag": "tool",
    "function_tag": "function_call",
    "system_tag": "system",
}
SHAREGPT_COLUMNS = {"messages": "conversations", "system": "system", "tools": "tools", "images": "images"}
OPENAI_COLUMNS = {"messages": "messages", "system": "system", "tools": "tools", "images": "images"}
ALPACA_COLUMNS = {
    "prompt": "instruction",
    "query": "input",
    "response": "output",
    "system": "system",
    "history": "history",
    "images": "images",
}


class ChatFormatError(ValueError):
    """A row that cannot be read or written in the requested format."""


def _columns(fmt: str, columns: Mapping[str, str] | None) -> dict[str, str]:
    base = ALPACA_COLUMNS if fmt == "alpaca" else SHAREGPT_COLUMNS if fmt == "sharegpt" else OPENAI_COLUMNS
    return {**base, **(columns or {})}


def _tags(fmt: str, tags: Mapping[str, str] | None) -> dict[str, str]:
    return {**(SHAREGPT_TAGS if fmt == "sharegpt" else OPENAI_TAGS), **(tags or {})}


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ChatFormatError(f"{where}: expected a string, got {type(value).__name__}")
    return value


def _rest(row: Mapping[str, Any], used: Iterable[str]) -> dict[str, Any]:
    used = set(used)
    return {k: v for k, v in row.items() if k not in used}


# --- readers: format row → canonical row ------------------------------------------------------------


def _read_turns(row, fmt, columns, tags) -> dict[str, Any]:
    cols, tg = _columns(fmt, columns), _tags(fmt, tags)
    turns = row.get(cols["messages"])
    if not isinstance(turns, list):
        raise ChatFormatError(f"missing list field {cols['messages']!r}")
    role_of = {
        tg["user_tag"]: "user",
        tg["assistant_tag"]: "assistant",
        tg["system_tag"]: "system",
        tg["observation_tag"]: "tool",
        tg["function_tag"]: "assistant",
    }
    messages = []
    system = row.get(cols["system"])
    if system not in (None, ""):
        messages.append({"role": "system", "content": _text(system, cols["system"])})
    for i, turn in enumerate(turns):
        if not isinstance(turn, Mapping):
            raise ChatFormatError(f"{cols['messages']}[{i}] is not an object")
        tag = turn.get(tg["role_tag"])
        if tag not in role_of:
            raise ChatFormatError(f"{cols['messages']}[{i}].{tg['role_tag']}: unknown role {tag!r}")
        content = _text(turn.get(tg["content_tag"]), f"{cols['messages']}[{i}].{tg['content_tag']}")
        messages.append({"role": role_of[tag], "content": content})
    out = _rest(row, (cols["messages"], cols["system"]))
    out["messages"] = messages
    if cols["images"] != "images" and cols["images"] in out:
        out["images"] = out.pop(cols["images"])
    return out


def read_alpaca(row, columns=None) -> dict[str, Any]:
    cols = _columns("alpaca", columns)
    instruction = _text(row.get(cols["prompt"]), cols["prompt"])
    query = row.get(cols["query"]) or ""
    response = _text(row.get(cols["response"]), cols["response"])
    messages = []
    if row.get(cols["system"]) not in (None, ""):
        messages.append({"role": "system", "content": _text(row[cols["system"]], cols["system"])})
    for i, pair in enumerate(row.get(cols["history"]) or []):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            raise ChatFormatError(f"{cols['history']}[{i}] is not a [question, answer] pair")
        messages.append({"role": "user", "content": _text(pair[0], f"{cols['history']}[{i}][0]")})
        messages.append({"role": "assistant", "content": _text(pair[1], f"{cols['history']}[{i}][1]")})
    user = instruction + "\n" + _text(query, cols["query"]) if query else instruction
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": response}]
    out = _rest(row, [cols[k] for k in ("prompt", "query", "response", "system", "history")])
    out["messages"] = messages
    if cols["images"] != "images" and cols["images"] in out:
        out["images"] = out.pop(cols["images"])
    return out


_CHATML_TURN = re.compile(r"<\|im_start\|>([a-z]+)\n(.*?)<\|im_end\|>\n?", re.DOTALL)


def read_chatml(row, columns=None) -> dict[str, Any]:
    text = _text(row.get("text"), "text")
    messages, pos = [], 0
    for m in _CHATML_TURN.finditer(text):
        if m.start() != pos:
            raise ChatFormatError(f"text: unexpected characters at offset {pos}")
        messages.append({"role": m.group(1), "content": m.group(2)})
        pos = m.end()
    if pos != len(text) or not messages:
        raise ChatFormatError(f"text: not ChatML after offset {pos}")
    out = _rest(row, ["text"])
    out["messages"] = messages
    return out


_VICUNA_TURN = re.compile(r"USER: (.*?) ASSISTANT: (.*?)</s>", re.DOTALL)


def read_vicuna(row, columns=None) -> dict[str, Any]:
    text = _text(row.get("text"), "text")
    start = text.find("USER: ")
    if start < 1 or text[start - 1] != " ":
        raise ChatFormatError("text: no '{system} USER: ' prefix")
    messages = [{"role": "system", "content": text[: start - 1]}]
    pos = start
    for m in _VICUNA_TURN.finditer(text, start):
        if m.start() != pos:
            raise ChatFormatError(f"text: unexpected characters at offset {pos}")
        messages += [{"role": "user", "content": m.group(1)}, {"role": "assistant", "content": m.group(2)}]
        pos = m.end()
    if pos != len(text) or len(messages) == 1:
        raise ChatFormatError(f"text: not vicuna_v1.1 after offset {pos}")
    out = _rest(row, ["text"])
    out["messages"] = messages
    return out


def read_openai(row, columns=None, tags=None) -> dict[str, Any]:
    return _read_turns(row, "openai", columns, tags)


def read_sharegpt(row, columns=None, tags=None) -> dict[str, Any]:
    return _read_turns(row, "sharegpt", columns, tags)


# --- writers: canonical row → format row -----------------------------------------------------------


def _messages(row: Mapping[str, Any]) -> list[dict[str, str]]:
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ChatFormatError("missing non-empty list field 'messages'")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping) or m.get("role") not in ROLES:
            raise ChatFormatError(f"messages[{i}]: role must be one of {', '.join(ROLES)}")
        out.append({"role": m["role"], "content": _text(m.get("content"), f"messages[{i}].content")})
    return out


def write_openai(row, columns=None, tags=None) -> dict[str, Any]:
    cols, tg = _columns("openai", columns), _tags("openai", tags)
    tag_of = {
        "user": tg["user_tag"],
        "assistant": tg["assistant_tag"],
        "system": tg["system_tag"],
        "tool": tg["observation_tag"],
    }
    messages = [{tg["role_tag"]: tag_of[m["role"]], tg["content_tag"]: m["content"]} for m in _messages(row)]
    return {**_rest(row, ["messages"]), cols["messages"]: messages}


def write_sharegpt(row, columns=None, tags=None) -> dict[str, Any]:
    cols, tg = _columns("sharegpt", columns), _tags("sharegpt", tags)
    tag_of = {
        "user": tg["user_tag"],
        "assistant": tg["assistant_tag"],
        "system": tg["system_tag"],
        "tool": tg["observation_tag"],
    }
    turns = [{tg["role_tag"]: tag_of[m["role"]], tg["content_tag"]: m["content"]} for m in _messages(row)]
    return {**_rest(row, ["messages"]), cols["messages"]: turns}


def _pairs(messages: list[dict[str, str]], fmt: str) -> tuple[str | None, list[tuple[str, str]]]:
    system = None
    if messages and messages[0]["role"] == "system":
        system, messages = messages[0]["content"], messages[1:]
    if len(messages) % 2 or not messages:
        raise ChatFormatError(f"{fmt} needs user/assistant pairs after an optional system message")
    pairs = []
    for i in range(0, len(messages), 2):
        user, assistant = messages[i], messages[i + 1]
        if user["role"] != "user" or assistant["role"] != "assistant":
            roles = f"{user['role']}/{assistant['role']}"
            raise ChatFormatError(f"{fmt}: messages[{i}:{i + 2}] are {roles}, not user/assistant")
        pairs.append((user["content"], assistant["content"]))
    return system, pairs


def write_alpaca(row, columns=None, tags=None) -> dict[str, Any]:
    cols = _columns("alpaca", columns)
    system, pairs = _pairs(_messages(row), "alpaca")
    *history, (instruction, output) = pairs
    out = {**_rest(row, ["messages"]), cols["prompt"]: instruction, cols["query"]: "", cols["response"]: output}
    if system is not None:
        out[cols["system"]] = system
    if history:
        out[cols["history"]] = [list(p) for p in history]
    return out


def write_chatml(row, columns=None, tags=None) -> dict[str, Any]:
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in _messages(row))
    return {**_rest(row, ["messages"]), "text": text}


def write_vicuna(row, columns=None, tags=None) -> dict[str, Any]:
    system, pairs = _pairs(_messages(row), "vicuna")
    text = (VICUNA_SYSTEM if system is None else system) + " "
    text += "".join(f"USER: {u} ASSISTANT: {a}</s>" for u, a in pairs)
    return {**_rest(row, ["messages"]), "text": text}


READERS: dict[str, Callable[..., dict[str, Any]]] = {
    "openai": read_openai,
    "sharegpt": read_sharegpt,
    "alpaca": read_alpaca,
    "chatml": read_chatml,
    "vicuna": read_vicuna,
}
WRITERS: dict[str, Callable[..., dict[str, Any]]] = {
    "openai": write_openai,
    "sharegpt": write_sharegpt,
    "alpaca": write_alpaca,
    "chatml": write_chatml,
    "vicuna": write_vicuna,
}


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown chat format {fmt!r}; known: {', '.join(FORMATS)}")


def to_canonical(row: Mapping[str, Any], fmt: str, columns=None, tags=None) -> dict[str, Any]:
    _check_format(fmt)
    if not isinstance(row, Mapping):
        raise ChatFormatError("row is not a JSON object")
    reader = READERS[fmt]
    canonical = reader(row, columns, tags) if fmt in ("openai", "sharegpt") else reader(row, columns)
    _messages(canonical)  # every reader's output obeys the canonical schema
    return canonical


def from_canonical(row: Mapping[str, Any], fmt: str, columns=None, tags=None) -> dict[str, Any]:
    _check_format(fmt)
    return WRITERS[fmt](row, columns, tags)


def convert_row(row: Mapping[str, Any], src: str, dst: str) -> dict[str, Any]:
    return from_canonical(to_canonical(row, src), dst)


# --- validation ------------------------------------------------------------------------------------


def estimate_tokens(text: str) -> int:
    """Rough BPE estimate without a tokenizer: ~4 ASCII characters per token, ~1 token per other character."""
    ascii_chars = sum(ch.isascii() for ch in text)
    return -(-ascii_chars // 4) + (len(text) - ascii_chars)


@dataclass
class ChatValidation:
    problems: list[str] = field(default_factory=list)
    turns: int = 0
    chars: int = 0
    tokens: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_messages(messages: list[Mapping[str, Any]], *, max_tokens: int | None = None) -> ChatValidation:
    """Optional system first, then user/assistant alternating from user and ending on assistant; no empty turn."""
    report = ChatValidation(turns=len(messages))
    expected = "user"
    for i, m in enumerate(messages):
        role, content = m.get("role"), m.get("content")
        if not isinstance(content, str) or not content.strip():
            report.problems.append(f"empty turn at messages[{i}]")
            content = content if isinstance(content, str) else ""
        report.chars += len(content)
        report.tokens += estimate_tokens(content)
        if role == "system":
            if i != 0:
                report.problems.append(f"system message at messages[{i}], not first")
            continue
        if role == "tool":
            expected = "assistant"  # a tool result is answered by the assistant
            continue
        if role != expected:
            report.problems.append(f"roles do not alternate at messages[{i}]: {role} where {expected} expected")
        expected = "assistant" if role == "user" else "user"
    if not messages or messages[-1].get("role") != "assistant":
        report.problems.append("conversation does not end with an assistant turn")
    if max_tokens is not None and report.tokens > max_tokens:
        report.problems.append(f"~{report.tokens} tokens > max_tokens {max_tokens}")
    return report


# --- JSONL conversion (the `convert` command) -------------------------------------------------------


@dataclass
class ConvertResult:
    written: int = 0
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (1-based line number, reason)


def convert_lines(lines: Iterable[str], src: str, dst: str) -> tuple[list[dict[str, Any]], ConvertResult]:
    _check_format(src)
    _check_format(dst)
    result, rows = ConvertResult(), []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(convert_row(json.loads(line), src, dst))
        except json.JSONDecodeError as exc:
            result.bad_rows.append((number, f"not JSON: {exc.msg}"))
        except ChatFormatError as exc:
            result.bad_rows.append((number, str(exc)))
    result.written = len(rows)
    return rows, result
