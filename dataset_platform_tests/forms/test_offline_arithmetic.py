"""The offline reader's arithmetic and assembly rules as pure functions: verify, choose, fill one, never replace."""

from __future__ import annotations

from dataset_platform.forms.offline.arithmetic import Term, check_sum
from dataset_platform.forms.offline.assemble import assemble, detect_kind
from dataset_platform.forms.offline.page import PageReading, RowReading
from dataset_platform.forms.offline.recognise import Reading, leading_number


def sure(path: str, value: int | None, *alternatives: int) -> Term:
    return Term(path, value, confident=value is not None, alternatives=alternatives, score=0.99)


def test_a_rule_that_holds_verifies_every_term():
    out = check_sum([sure("a", 3), sure("b", 4)], sure("t", 7))
    assert out.held is True and all(t.verified for t in out.terms) and out.total.verified


def test_a_broken_rule_never_changes_a_read_value():
    parts = [sure("a", 3), sure("b", 5)]
    out = check_sum(parts, sure("t", 7))
    assert out.held is False
    assert [t.value for t in out.terms] == [3, 5] and out.total.value == 7
    assert all(t.contradicted and not t.verified for t in out.terms + [out.total])


def test_fills_the_one_missing_term_only_when_every_other_term_is_sure():
    out = check_sum([sure("a", 3), sure("b", None)], sure("t", 7))
    assert [t.value for t in out.terms] == [3, 4] and out.terms[1].filled and not out.terms[1].verified
    # the total can be the missing term too
    assert check_sum([sure("a", 3), sure("b", 4)], sure("t", None)).total.value == 7
    # two missing terms: nothing is filled
    two = check_sum([sure("a", None), sure("b", None)], sure("t", 7))
    assert [t.value for t in two.terms] == [None, None] and two.held is None
    # another term only guessed: nothing is filled
    unsure = check_sum([Term("a", 3, confident=False, score=0.7), sure("b", None)], sure("t", 7))
    assert unsure.terms[1].value is None and not unsure.terms[1].filled


def test_an_impossible_reading_is_dropped_and_never_refilled():
    out = check_sum([sure("a", 109), sure("b", 4161), sure("c", 80)], sure("t", 650))
    assert out.terms[1].value is None and out.terms[1].discarded and not out.terms[1].filled
    assert any("more than the total" in n for n in out.notes)


def test_chooses_between_two_readings_of_the_same_ink_only_when_one_combination_fits():
    out = check_sum([sure("a", 1, 5), sure("b", 10)], sure("t", 15))
    assert out.held is True and out.terms[0].value == 5 and out.terms[0].verified
    ambiguous = check_sum([sure("a", 2, 1), sure("b", 10, 9)], sure("t", 11))  # 1+10 and 2+9 both fit
    assert ambiguous.held is False and [t.value for t in ambiguous.terms] == [2, 10]


def test_leading_number_reads_digits_first_and_dash_as_zero():
    assert leading_number("131 (หนึ่งร้อย") == 131
    assert leading_number("..428(") == 428
    assert leading_number("๑๒๓") == 123
    assert leading_number("-") == 0 and leading_number("一") == 0
    assert leading_number("A58(") == 458  # a handwritten 4 read as A, inside a run of digits
    assert leading_number("UnS") is None and leading_number("(6h") is None and leading_number("") is None


def test_detect_kind_from_printed_header():
    assert detect_kind(["รายงานผลการนับคะแนนบัตรเลือกตั้งนอกเขตเลือกตั้งและนอกราชอาณาจักร"]).form_type == "ส.ส. 5/17"
    party = detect_kind(["ส.ส.5/17(บช)รายงานผลการนับคะแนนบัตรเลือกตั้งนอกเขตเลือกตั้งแบบบัญชีรายชื่อ"])
    assert party.form_type == "ส.ส. 5/17 (บช)" and party.batch
    assert detect_kind(["ก่อนวันเลือกตั้ง"]).unit == "5/16"
    assert detect_kind(["หน่วยเลือกตั้งที่1หมู่ที่1"]).form_type == "ส.ส. 5/18"
    assert detect_kind(["ลายมือชื่อ"]).form_type is None


def _read(value, score=0.99, blank=False, alternatives=()):
    return Reading(str(value), value, score, blank, tuple(alternatives))


BATCH_HEADER = "คณะกรรมการนับคะแนนบัตรเลือกตั้งนอกเขตเลือกตั้งชุดที่4"


def _batch_page(stats, votes, total):
    rows = [RowReading(i + 1, None, v if isinstance(v, Reading) else _read(v)) for i, v in enumerate(votes)]
    return PageReading(header_text=BATCH_HEADER, has_table=True, stats=stats, rows=rows, total=total, columns=4)


def test_assemble_batch_form_verified_by_its_own_arithmetic():
    stats = {
        "ballots_received": _read(700),
        "good_ballots": _read(647),
        "bad_ballots": _read(8),
        "no_vote_ballots": _read(45),
    }
    votes = [131, 45, 29, 428, 9, _read(1, 0.8, alternatives=(5,)), Reading("", None, 1.0, blank=True)]
    out = assemble([_batch_page(stats, votes, _read(647)), PageReading(header_text="ลายมือชื่อ")])
    e = out.extraction
    assert e.form_info.form_type == "ส.ส. 5/17"
    assert [r.vote_count for r in e.vote_results] == [131, 45, 29, 428, 9, 5]  # the trailing blank row is no candidate
    assert (e.ballot_statistics.ballots_used, e.ballot_statistics.good_ballots) == (700, 647)
    assert e.ballot_statistics.ballots_allocated is None and e.voter_statistics.eligible_voters is None
    assert out.uncertain == []


def test_assemble_lists_a_fill_and_an_unread_value_as_uncertain():
    stats = {
        "ballots_received": _read(700),
        "good_ballots": _read(647),
        "bad_ballots": _read(8),
        "no_vote_ballots": Reading("??", None, 0.0),
    }
    votes = [131, 45, 29, 428, Reading("??", None, 0.0), _read(5)]
    out = assemble([_batch_page(stats, votes, _read(647))])
    b = out.extraction.ballot_statistics
    assert b.no_vote_ballots == 45 and "ballot_statistics.no_vote_ballots" in out.uncertain  # filled, so listed
    assert out.extraction.vote_results[4].vote_count == 9 and "vote_results[4].vote_count" in out.uncertain


def test_assemble_does_not_return_a_contradicted_unsure_reading():
    stats = {
        "ballots_received": _read(1, 0.7),
        "good_ballots": _read(628),
        "bad_ballots": _read(5),
        "no_vote_ballots": _read(24),
    }
    out = assemble([_batch_page(stats, [600, 28], _read(628))])
    b = out.extraction.ballot_statistics
    assert b.ballots_used is None and "ballot_statistics.ballots_used" in out.uncertain
    assert b.good_ballots == 628  # verified by the votes and the total row


def test_party_list_blank_rows_are_zero_votes_numbered_across_pages():
    header = "ส.ส.5/17(บช)นอกเขตเลือกตั้งแบบบัญชีรายชื่อ"
    stats = {
        "ballots_received": _read(20),
        "good_ballots": _read(17),
        "bad_ballots": _read(2),
        "no_vote_ballots": _read(1),
    }
    blank = Reading("", None, 1.0, blank=True)
    page1 = PageReading(header, True, stats, [RowReading(1, None, _read(10)), RowReading(2, None, blank)], None, 3)
    page2 = PageReading("", True, {}, [RowReading(1, None, blank), RowReading(2, None, _read(7))], _read(17), 3)
    out = assemble([page1, page2])
    assert [(r.candidate_number, r.vote_count, r.candidate_name) for r in out.extraction.vote_results] == [
        (1, 10, None),
        (2, 0, None),
        (3, 0, None),
        (4, 7, None),
    ]
    assert out.extraction.form_info.form_type == "ส.ส. 5/17 (บช)" and out.uncertain == []


def test_an_unchecked_unsure_reading_is_not_returned():
    # 5/18 voter counts have no rule to verify them: only a sure reading comes back, an unsure one is None
    stats = {"eligible_voters": _read(92, 0.85, alternatives=(925,)), "voters_present": _read(721)}
    page = PageReading(header_text="หน่วยเลือกตั้งที่1", stats=stats)
    out = assemble([page])
    v = out.extraction.voter_statistics
    assert (v.eligible_voters, v.voters_present) == (None, 721)
    assert "voter_statistics.eligible_voters" in out.uncertain
    assert "voter_statistics.voters_present" not in out.uncertain


PARTY_HEADER = "ส.ส.5/17(บช)นอกเขตเลือกตั้งแบบบัญชีรายชื่อ"
PARTY_STATS = {
    "ballots_received": _read(20),
    "good_ballots": _read(17),
    "bad_ballots": _read(2),
    "no_vote_ballots": _read(1),
}


def test_party_rows_are_not_returned_when_the_statistics_page_lost_its_table():
    # the table starts under the statistics: without it, page 2's first row would be numbered 1, not 11
    blank = Reading("", None, 1.0, blank=True)
    page1 = PageReading(PARTY_HEADER, False, PARTY_STATS)
    page2 = PageReading("", True, {}, [RowReading(1, None, _read(10)), RowReading(2, None, blank)], _read(17), 3)
    out = assemble([page1, page2])
    assert [r.vote_count for r in out.extraction.vote_results] == [None, None]
    assert {"vote_results[0].vote_count", "vote_results[1].vote_count"} <= set(out.uncertain)
    assert any("statistics page" in w for w in out.warnings)


def test_rows_of_a_page_whose_table_lost_a_column_rule_are_not_returned():
    blank = Reading("", None, 1.0, blank=True)
    rows = [RowReading(1, None, _read(10)), RowReading(2, None, blank)]
    page1 = PageReading(PARTY_HEADER, True, PARTY_STATS, rows, None, 3)
    page2 = PageReading("", True, {}, list(rows), None, 3)
    # the name and vote columns ran together: the "vote" cell holds the printed party name
    page3 = PageReading("", True, {}, [RowReading(1, None, _read(1)), RowReading(2, None, _read(1))], _read(17), 2)
    out = assemble([page1, page2, page3])
    assert [r.vote_count for r in out.extraction.vote_results] == [10, 0, 10, 0, None, None]
    assert "vote_results[4].vote_count" in out.uncertain and "vote_results[5].vote_count" in out.uncertain


def test_statistics_repeated_after_the_party_table_do_not_make_its_rows_doubtful():
    rows = [RowReading(1, None, _read(10)), RowReading(2, None, _read(7))]
    table = PageReading(PARTY_HEADER, True, {}, rows, _read(17), 3)
    out = assemble([table, PageReading("", False, PARTY_STATS)])
    assert [r.vote_count for r in out.extraction.vote_results] == [10, 7]
