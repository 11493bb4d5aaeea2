"""OCR text → FormExtraction parsing on text fixtures (typical Tesseract damage); no images, no Tesseract."""

from __future__ import annotations

import pytest

from dataset_platform.forms.consistency import check_rules
from dataset_platform.forms.ocr_parse import (
    match_label,
    parse_candidate_row,
    parse_form_text,
    read_thai_number_words,
)

PAGE_1 = """แบบ ส.ส. 5/18
รายงานผลการนับคะแนนสมาชิกสภาผู้แทนราษฎรแบบแบ่งเขตเลือกตั้ง

จังหวัด                          ขอนแก่น
เขต/อําเภอ                      เมือง ขอนแก่น
แขวง/ตําบล                     ในเมือง
เขตเลือกตั้งที่                    ๑๒
หน่วยเลือกตั้งที่                  22
วันที่เลือกตั้ง                      14 พฤษภาคม 2566
๑. การใช้สิทธิเลือกตั้ง

1.๑ จํานวนผู้มีสิทธิเลือกตั้ง                 ๒, ๕๐๑    คน
1.๒ จํานวนผู้มาแสดงตน                    2,078     คน
๒. การใช้บัตรเลือกตั้ง
2.๑ จํานวนบัตรเลือกตั้งที่ได้รับจัดสรร        2,511     tins
๒.2 จํานวนบัตรเลือกตั้งที่ใช้                 2,078     บัตร
2 3 บุตรดิ                                    1,964      tins
2.4 บัตรเสีย                                  37         บัตร
๒.5 บัตรไม่เลือกผู้สมัครผู้ใด                   aed        tins
2.6 จํานวนบัตรเลือกตั้งที่เหลือ               433      บัตร

หน้า ๑/4
"""

PAGE_2 = """ผลการนับคะแนนเลือกตั้งของผู้สมัครแต่ละราย
หมายเละ ส์อตัว - ชื่อสกุล     สังกัดพรรคการเมือง  ได้คะแนน       ได้คะแนน
(ตัวเลข)        (ตัวอักษร)
๑ นางสาวธนพล ทองดี เพื่อไทรวมพลัง       867 แปดร้อยหกสิบเจ็ด
2 นางสาวอนุชา ใจดี เป็นธรรม          153 หนึ่งร้อยห้าสิบสาม    |
๓ แนายศิริพร คําแสน   ก้าวไกล          eds สองร้อยเจ็ดสิบหก
> นายวันเพ็ญ สายทอง ไทยศรีวิไลย์         75 เจ็ดสิบห้า
หน้า ๒/๕
"""

PAGE_3 = """๕ นางจันทร์เพ็ญ ชัยมงคล เพื่อไทย          ๕๕๑ สีร้อยสีสิบเอ็ด
6 นางชัยวัฒน์ คําแสน รวมไทยสร้างชาติ     ๑๕๒ หนึ่งร้อยห้าสิบสอง -
หน้า ๓/๕
"""

PAGE_4 = """คณะกรรมการประจําหน่วยเลือกตั้ง
ลงชื่อ ....................................... ประธานกรรมการประจําหน่วยเลือกตั้ง
( นางสาวสมชาย คําแสน )
ประกาศ ณ 14 พฤษภาคม 2566
"""


@pytest.mark.parametrize(
    "text, value, words",
    [
        ("สองร้อยสิบเอ็ด", 211, "สองร้อยสิบเอ็ด"),
        ("สีร้อยสีสิบเอ็ด", 441, "สี่ร้อยสี่สิบเอ็ด"),  # lost tone marks
        ("หนึ่งพัน สองร้อย สามสิบสี่", 1234, "หนึ่งพันสองร้อยสามสิบสี่"),  # OCR spaces
        ("ยีลิบแปด", 28, "ยี่สิบแปด"),  # one misread letter
        ("หนึ่งร้อยสีสิบหํา", 145, "หนึ่งร้อยสี่สิบห้า"),  # ้ read as ํ
        ("ศูนย์", 0, "ศูนย์"),
        ("สสบเอด", 41, "สี่สิบเอ็ด"),  # upper vowels split off onto a line of their own
        ("หนึ่งร้อยสิบทก", 116, "หนึ่งร้อยสิบหก"),  # last word misread
        ("ทํ้าร้อยเก๋าสิบสี", 594, "ห้าร้อยเก้าสิบสี่"),
        ("คําแสน", None, None),  # a family name, not a number
        ("ใจดี", None, None),
        ("พลังประชารัฐ", None, None),
        ("", None, None),
    ],
)
def test_read_thai_number_words(text, value, words):
    assert read_thai_number_words(text) == (value, words)


@pytest.mark.parametrize(
    "line, field, value",
    [
        ("จังหวัด     กรุงเทพมหานคร", "province", "กรุงเทพมหานคร"),
        ("เขต/อําเภอ  ปทุมวัน", "district", "ปทุมวัน"),
        ("2.1 จํานวนบัตรเลือกตั้งที่ได้รับจัดสรร 2,511 บัตร", "ballots_allocated", "2,511 บัตร"),
        ("๒.2 จํานวนบัตรเลือกตั้งที่ใช้ 2,078 บัตร", "ballots_used", "2,078 บัตร"),
        ("2.6 จํานวนบัตร เลือกตั้งที่เหลือ 433 บัตร", "ballots_remaining", "433 บัตร"),
        ("2 3 บุตรดิ 1,964 บัตร", "good_ballots", "1,964 บัตร"),
        ("หน่วยเลือกตังที 51", "polling_station_number", "51"),
    ],
)
def test_match_label_reads_the_printed_labels(line, field, value):
    matched = match_label(line)
    assert matched is not None and matched[:2] == (field, value)


@pytest.mark.parametrize("line", ["รายงานผลการนับคะแนนสมาชิกสภาผู้แทนราษฎร", "ลงชื่อ ........ กรรมการ", "หน้า 2/3"])
def test_match_label_ignores_other_lines(line):
    assert match_label(line) is None


def test_candidate_row_with_unreadable_digits_uses_the_words():
    row = parse_candidate_row("๓ แนายศิริพร คําแสน   ก้าวไกล          eds สองร้อยเจ็ดสิบหก")
    assert row is not None
    assert (row.number, row.name, row.party, row.words_value) == (3, "นายศิริพร คำแสน", "ก้าวไกล", 276)


def test_candidate_row_words_do_not_swallow_the_digits():
    row = parse_candidate_row("2 นาย สมชาย ใจดี  เพื่อ ไทย 1,234 หนึ่งพันสองร้อย สามสิบสี่")
    assert row is not None
    assert (row.name, row.party, row.digits, row.words_value) == ("นายสมชาย ใจดี", "เพื่อไทย", 1234, 1234)


@pytest.mark.parametrize(
    "line",
    [
        "๑  ew  P      we          ส4  va ๕ซ๕",  # upper marks of a row, split off by the OCR
        "a a  a          aa  or             & เ  a",
        "1. การใช้สิทธิเลือกตั้ง",
        "ผลการนับคะแนนเลือกตั้งของผู้สมัครแต่ละราย",
    ],
)
def test_junk_lines_are_no_candidate_rows(line):
    assert parse_candidate_row(line) is None


def test_row_with_unreadable_words_keeps_its_clean_digits():
    row = parse_candidate_row("15 นางสาวณัฐพล ศรีสข    ประชาชาติ             14 aua")
    assert row is not None
    assert (row.number, row.party, row.digits, row.words_value, row.words_text) == (15, "ประชาชาติ", 14, None, None)


def test_parse_form_set_text():
    e = parse_form_text([PAGE_1, PAGE_2, PAGE_3, PAGE_4])
    fi, vs, bs = e.form_info, e.voter_statistics, e.ballot_statistics
    assert (fi.form_type, fi.province, fi.district, fi.sub_district) == ("ส.ส. 5/18", "ขอนแก่น", "เมืองขอนแก่น", "ในเมือง")
    assert (fi.constituency_number, fi.polling_station_number, fi.election_date) == (12, 22, "2023-05-14")
    assert (vs.eligible_voters, vs.voters_present) == (2501, 2078)
    # `aed` (unreadable ๗๗) is recovered from good + bad + no_vote = used
    assert bs.model_dump() == {
        "ballots_allocated": 2511,
        "ballots_used": 2078,
        "good_ballots": 1964,
        "bad_ballots": 37,
        "no_vote_ballots": 77,
        "ballots_remaining": 433,
    }
    votes = {c.candidate_number: (c.vote_count, c.vote_count_text) for c in e.vote_results}
    assert votes == {
        1: (867, "แปดร้อยหกสิบเจ็ด"),
        2: (153, "หนึ่งร้อยห้าสิบสาม"),
        3: (276, "สองร้อยเจ็ดสิบหก"),  # digits unreadable
        4: (75, "เจ็ดสิบห้า"),  # number cell unreadable: numbered by position
        5: (441, "สี่ร้อยสี่สิบเอ็ด"),  # ๔๔๑ misread as ๕๕๑: the words win
        6: (152, "หนึ่งร้อยห้าสิบสอง"),
    }
    assert all(check_rules(e).values())


def test_disagreeing_digits_and_words_resolved_by_the_vote_sum():
    page_1 = "บัตรดี 300 บัตร\n"
    # Arabic digits say 120 (trusted first), words say 150: only 150 + 150 = 300 good ballots
    table = "1 นายสมชาย ใจดี ก้าวไกล 120 หนึ่งร้อยห้าสิบ\n2 นางมาลี ทองดี เพื่อไทย 150 หนึ่งร้อยห้าสิบ\n"
    e = parse_form_text([page_1, table])
    assert [c.vote_count for c in e.vote_results] == [150, 150]


def test_empty_text_gives_an_empty_extraction():
    e = parse_form_text(["", "   \n"])
    assert e.vote_results == [] and e.form_info.province is None and e.ballot_statistics.good_ballots is None


def test_province_snaps_to_the_official_name_and_the_date_prefers_arabic_digits():
    page_1 = "จังหวัด ฏเก็ต\nวันที่เลือกตั้ง ๒๕ มีนาคม ๒๕๐๒\n"
    signatures = "ลงชื่อ .......... กรรมการ\nประกาศ ณ 24 มีนาคม 2562\n"
    e = parse_form_text([page_1, signatures])
    assert (e.form_info.province, e.form_info.election_date) == ("ภูเก็ต", "2019-03-24")
