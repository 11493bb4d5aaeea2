"""PII detection and masking (common/pii.py): digits of any script, Nepali and Thai phones, cards vs IMEIs, joiners."""

from __future__ import annotations

import pytest

from dataset_platform.common.pii import PLACEHOLDERS, find_pii, luhn_valid, mask_pii, scan_column


@pytest.mark.parametrize(
    "text, kind, found",
    [
        ("मेरो नम्बर ९८४१२३४५६७ मा फोन गर्नुहोस्", "phone", "९८४१२३४५६७"),  # Devanagari digits, Nepali mobile
        ("फोन ०१-४४१२३४५ मा", "phone", "०१-४४१२३४५"),  # Devanagari Kathmandu landline
        ("mobile 9812345678 ma", "phone", "9812345678"),
        ("call +977 9801234567", "phone", "+977 9801234567"),
        ("office +977-1-4412345", "phone", "+977-1-4412345"),
        ("Kathmandu 01-4412345", "phone", "01-4412345"),
        ("Pokhara 061-521234", "phone", "061-521234"),
        ("โทร 081-234-5678 ด่วน", "phone", "081-234-5678"),
        ("โทร ๐๘๑๒๓๔๕๖๗๘", "phone", "๐๘๑๒๓๔๕๖๗๘"),  # Thai digits
        ("call +66 2 123 4567", "phone", "+66 2 123 4567"),
        ("card 4111 1111 1111 1111 stolen", "credit_card", "4111 1111 1111 1111"),
        ("amex 378282246310005", "credit_card", "378282246310005"),
        ("stolen phone IMEI 356938035643809", "imei", "356938035643809"),
        ("my number 356938035643809", "imei", "356938035643809"),  # 15 Luhn digits, no Amex prefix
        ("บัตรประชาชน 1-1017-00230-70-8", "thai_national_id", "1-1017-00230-70-8"),
        ("mail ram.sharma@example.com", "email", "ram.sharma@example.com"),
        ("router 192.168.10.254 down", "ip_address", "192.168.10.254"),
    ],
)
def test_detected_with_its_kind_and_span(text, kind, found):
    [match] = find_pii(text)
    assert (match.kind, match.text, text[match.start : match.end]) == (kind, found, found)


@pytest.mark.parametrize(
    "text",
    [
        "क्‍षेत्र नं. ५ मा समस्या",  # ZWJ in a conjunct, one Devanagari digit
        "प्रशासन‍को कार्यालय र्‍य",  # ZWJ after Devanagari letters
        "ward 5 ko ‌ghar",
        "98\u200d41234567",  # a joiner never glues a number together
        "IMEI 356938035643808",  # fails Luhn: neither an IMEI nor a card
        "serial 4111111111111111",  # device context: a Luhn-valid serial is not a card
        "ref 4000000000000000001 9",  # 19 digits, Luhn-invalid
        "ปี 2566 ซอย 12 บ้านเลขที่ 45/3",
        "version 1.2.300.4 and 999.1.1.1",
        "२०८१ साल",
    ],
)
def test_no_false_positives(text):
    assert find_pii(text) == []


def test_luhn_valid_imei_is_still_not_a_card():
    assert luhn_valid("356938035643809")
    assert [m.kind for m in find_pii("IMEI: 35-693803-564380-9")] == ["imei"]
    assert [m.kind for m in find_pii("credit card 356938035643809")] == []  # card word, but no issuer fits 15 digits


def test_mask_replaces_each_match_by_its_typed_placeholder():
    text = "call ९८४१२३४५६७ or a@b.co, card 4111-1111-1111-1111, id 1101700230708"
    assert mask_pii(text) == "call [PHONE] or [EMAIL], card [CARD], id [TH_ID]"
    assert mask_pii("nothing here") == "nothing here"
    assert set(PLACEHOLDERS.values()) >= {"[PHONE]", "[EMAIL]", "[TH_ID]", "[CARD]", "[IMEI]", "[IP]"}


def test_scan_column_prefilters_and_keeps_row_positions():
    scan = scan_column(["no digits", None, "फोन ९८४१२३४५६७", "ref 123456", "a@b.co and 081-234-5678"])
    assert sorted(scan.rows) == [2, 4]
    assert scan.kinds == {"phone": 2, "email": 1}
    assert all("९८४१२३" not in e for e in scan.examples())
