"""Chat formats: DESIGN's `convert` mapping rules, round trips through every format, LLaMA-Factory mappings,
validation and bad rows (pure functions, no Dagster)."""

from __future__ import annotations

import pytest

from dataset_platform.pipelines import chat

CONVO = {
    "id": 7,
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "สวัสดี\nline two"},
        {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
    ],
}


def test_sharegpt_top_level_system_becomes_first_system_message_and_other_fields_kept():
    row = {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}], "system": "S", "x": 1}
    assert chat.to_canonical(row, "sharegpt") == {
        "x": 1,
        "messages": [
            {"role": "system", "content": "S"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a"},
        ],
    }


def test_alpaca_user_turn_is_instruction_newline_input_and_history_comes_first():
    row = {"instruction": "Translate", "input": "แมว", "output": "cat", "system": "S", "history": [["h1", "a1"]]}
    assert chat.to_canonical(row, "alpaca")["messages"] == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "h1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "Translate\nแมว"},
        {"role": "assistant", "content": "cat"},
    ]
    assert chat.to_canonical({"instruction": "Hi", "input": "", "output": "o"}, "alpaca")["messages"][0] == {
        "role": "user",
        "content": "Hi",
    }


def test_chatml_rendering_is_exact():
    row = {"messages": CONVO["messages"][1:3]}
    assert chat.from_canonical(row, "chatml") == {
        "text": "<|im_start|>user\nสวัสดี\nline two<|im_end|>\n<|im_start|>assistant\nHi.<|im_end|>\n"
    }


def test_vicuna_rendering_is_fastchat_v11_with_default_system_when_none_given():
    row = {
        "messages": [
            {"role": "user", "content": "u1"},
            {"role": "assistant", "content": "a1"},
            {"role": "user", "content": "u2"},
            {"role": "assistant", "content": "a2"},
        ]
    }
    text = chat.from_canonical(row, "vicuna")["text"]
    assert text == chat.VICUNA_SYSTEM + " USER: u1 ASSISTANT: a1</s>USER: u2 ASSISTANT: a2</s>"
    assert chat.VICUNA_SYSTEM.startswith("A chat between a curious user and an artificial intelligence assistant.")


@pytest.mark.parametrize("fmt", chat.FORMATS)
def test_round_trip_through_every_format(fmt):
    assert chat.to_canonical(chat.from_canonical(CONVO, fmt), fmt) == CONVO


def test_sharegpt_export_shape_and_openai_identity():
    out = chat.from_canonical(CONVO, "sharegpt")
    assert out["conversations"][:2] == [
        {"from": "system", "value": "You are terse."},
        {"from": "human", "value": "สวัสดี\nline two"},
    ]
    assert chat.convert_row(CONVO, "openai", "openai") == CONVO


def test_alpaca_export_keeps_history_pairs_and_system():
    out = chat.from_canonical(CONVO, "alpaca")
    assert out == {
        "id": 7,
        "instruction": "2+2?",
        "input": "",
        "output": "4",
        "system": "You are terse.",
        "history": [["สวัสดี\nline two", "Hi."]],
    }


def test_llamafactory_columns_and_tags_mapping():
    row = {"dialog": [{"speaker": "me", "text": "q"}, {"speaker": "bot", "text": "a"}], "sys": "S", "pics": ["p.png"]}
    out = chat.to_canonical(
        row,
        "sharegpt",
        columns={"messages": "dialog", "system": "sys", "images": "pics"},
        tags={"role_tag": "speaker", "content_tag": "text", "user_tag": "me", "assistant_tag": "bot"},
    )
    assert out == {
        "images": ["p.png"],
        "messages": [
            {"role": "system", "content": "S"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a"},
        ],
    }


@pytest.mark.parametrize(
    "row, fmt, reason",
    [
        ({"conversations": [{"from": "alien", "value": "x"}]}, "sharegpt", "unknown role"),
        ({"messages": "not a list"}, "openai", "missing list field"),
        ({"instruction": "x"}, "alpaca", "output"),
        ({"text": "no markers"}, "chatml", "not ChatML"),
        ({"text": "USER: x"}, "vicuna", "prefix"),
    ],
)
def test_bad_rows_raise_with_the_reason(row, fmt, reason):
    with pytest.raises(chat.ChatFormatError, match=reason):
        chat.to_canonical(row, fmt)


def test_alpaca_and_vicuna_refuse_conversations_they_cannot_represent():
    odd = {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
    for fmt in ("alpaca", "vicuna"):
        with pytest.raises(chat.ChatFormatError, match="user/assistant"):
            chat.from_canonical(odd, fmt)


def test_validation_flags_alternation_empty_turns_ending_and_length():
    good = chat.validate_messages(CONVO["messages"])
    assert good.ok and good.turns == 5 and good.tokens > 0
    bad = chat.validate_messages(
        [{"role": "user", "content": "a"}, {"role": "user", "content": " "}, {"role": "system", "content": "late"}],
        max_tokens=1,
    )
    assert any("empty turn at messages[1]" in p for p in bad.problems)
    assert any("roles do not alternate at messages[1]" in p for p in bad.problems)
    assert any("system message at messages[2]" in p for p in bad.problems)
    assert any("does not end with an assistant" in p for p in bad.problems)
    assert any("max_tokens 1" in p for p in bad.problems)


def test_token_estimate_counts_thai_characters_individually():
    assert chat.estimate_tokens("abcdefgh") == 2
    assert chat.estimate_tokens("สวัสดี") == 6
