"""`dataset-platform convert`: JSONL in, JSONL out, bad rows reported by line number and skipped (the real
console script in a subprocess, and main() in-process)."""

from __future__ import annotations

import json
import subprocess
import sys

from dataset_platform.cli import CHAT_FORMATS, main
from dataset_platform.pipelines.chat import FORMATS


def test_cli_format_choices_match_the_chat_module():
    assert tuple(CHAT_FORMATS) == FORMATS


def test_convert_sharegpt_to_alpaca_reports_bad_lines(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    rows = [
        {"conversations": [{"from": "human", "value": "q1"}, {"from": "gpt", "value": "a1"}], "system": "S", "id": 1},
        "{not json",
        {"conversations": [{"from": "human", "value": "q"}, {"from": "human", "value": "q again"}], "id": 3},
        {"conversations": [{"from": "robot", "value": "x"}], "id": 4},
        {"conversations": [{"from": "human", "value": "q5"}, {"from": "gpt", "value": "a5"}], "id": 5},
    ]
    src.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out.jsonl"
    assert main(["convert", str(src), "--from", "sharegpt", "--to", "alpaca", "--output", str(out)]) == 1
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert written == [
        {"id": 1, "instruction": "q1", "input": "", "output": "a1", "system": "S"},
        {"id": 5, "instruction": "q5", "input": "", "output": "a5"},
    ]
    err = capsys.readouterr().err
    assert f"{src}:2: skipped: not JSON" in err
    assert f"{src}:3: skipped: alpaca" in err  # two user turns cannot be an alpaca pair
    assert f"{src}:4: skipped:" in err and "unknown role 'robot'" in err


def test_console_script_openai_to_chatml(tmp_path):
    src = tmp_path / "in.jsonl"
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    src.write_text(json.dumps({"messages": messages}))
    out = tmp_path / "out.jsonl"
    exe = [sys.executable, "-m", "dataset_platform.cli"]
    done = subprocess.run(
        [*exe, "convert", str(src), "--from", "openai", "--to", "chatml", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    text = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n"
    assert json.loads(out.read_text()) == {"text": text}
    assert "converted 1 rows" in done.stdout
