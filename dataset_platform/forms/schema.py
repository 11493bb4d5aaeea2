"""`FormExtraction`: the structured content of one election form set of any kind (DESIGN.md "Form kinds").

The same pydantic model is the Gemini ``response_schema``, the review app's validator and the
evaluators' input, so it stays plain (no validators that Gemini's schema translation would drop).
The form kind lives in ``form_info.form_type``; the helpers below say what each kind carries.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

# Every form kind (``form_type`` value). 5/18: one polling station on election day; 5/16: advance votes
# inside the district, one batch; 5/17: advance votes outside the district and abroad, one batch;
# ``(บช)``: the party-list ballot of the same unit (rows keyed by party-list number, no candidate name).
CONSTITUENCY_KINDS = ("ส.ส. 5/18", "ส.ส. 5/16", "ส.ส. 5/17")
PARTY_LIST_KINDS = tuple(f"{kind} (บช)" for kind in CONSTITUENCY_KINDS)
FORM_KINDS = CONSTITUENCY_KINDS + PARTY_LIST_KINDS
_KIND_NUMBER = re.compile(r"5\s*/\s*(1[678])")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


class FormInfo(BaseModel):
    form_type: str | None = Field(
        default=None,
        description="The printed form title as one of: " + ", ".join(repr(k) for k in FORM_KINDS),
    )
    province: str | None = Field(default=None, description="จังหวัด")
    district: str | None = Field(default=None, description="เขต/อำเภอ")
    sub_district: str | None = Field(default=None, description="แขวง/ตำบล")
    constituency_number: int | None = Field(default=None, description="เขตเลือกตั้งที่")
    polling_station_number: int | None = Field(default=None, description="หน่วยเลือกตั้งที่")
    election_date: str | None = Field(
        default=None, description="วันที่เลือกตั้ง as ISO date YYYY-MM-DD (Gregorian; Buddhist era minus 543)"
    )


class VoterStatistics(BaseModel):
    eligible_voters: int | None = Field(default=None, description="จำนวนผู้มีสิทธิเลือกตั้ง")
    voters_present: int | None = Field(default=None, description="จำนวนผู้มาแสดงตน")


class BallotStatistics(BaseModel):
    ballots_allocated: int | None = Field(default=None, description="จำนวนบัตรเลือกตั้งที่ได้รับจัดสรร")
    ballots_used: int | None = Field(default=None, description="จำนวนบัตรเลือกตั้งที่ใช้")
    good_ballots: int | None = Field(default=None, description="บัตรดี")
    bad_ballots: int | None = Field(default=None, description="บัตรเสีย")
    no_vote_ballots: int | None = Field(default=None, description="บัตรไม่เลือกผู้สมัครผู้ใด")
    ballots_remaining: int | None = Field(default=None, description="จำนวนบัตรเลือกตั้งที่เหลือ")


class VoteResult(BaseModel):
    candidate_number: int = Field(description="หมายเลข; on a party-list (บช) form the party's printed list number")
    candidate_name: str | None = Field(default=None, description="ชื่อตัว - ชื่อสกุล; null on party-list (บช) forms")
    party_name: str | None = Field(default=None, description="สังกัดพรรคการเมือง")
    vote_count: int | None = Field(default=None, description="ได้คะแนน (ตัวเลข)")
    vote_count_text: str | None = Field(default=None, description="ได้คะแนน (ตัวอักษร), Thai number words")


class FormExtraction(BaseModel):
    form_info: FormInfo = Field(default_factory=FormInfo)
    voter_statistics: VoterStatistics = Field(default_factory=VoterStatistics)
    ballot_statistics: BallotStatistics = Field(default_factory=BallotStatistics)
    vote_results: list[VoteResult] = Field(default_factory=list)


FORM_INFO_FIELDS = tuple(FormInfo.model_fields)
VOTER_FIELDS = tuple(VoterStatistics.model_fields)
BALLOT_FIELDS = tuple(BallotStatistics.model_fields)
CANDIDATE_FIELDS = ("candidate_name", "party_name", "vote_count", "vote_count_text")
# The header's sections in form order: section name → its fields.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "form_info": FORM_INFO_FIELDS,
    "voter_statistics": VOTER_FIELDS,
    "ballot_statistics": BALLOT_FIELDS,
}


def _int_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name, f in model.model_fields.items() if f.annotation in (int, int | None))


# Whole-number fields, read from the models above (a new count field is an integer everywhere at once).
SECTION_INT_FIELDS: dict[str, tuple[str, ...]] = {
    "form_info": _int_fields(FormInfo),
    "voter_statistics": _int_fields(VoterStatistics),
    "ballot_statistics": _int_fields(BallotStatistics),
}
HEADER_INT_FIELDS = frozenset(f for fields in SECTION_INT_FIELDS.values() for f in fields)
CANDIDATE_INT_FIELDS = frozenset(_int_fields(VoteResult))  # candidate_number, vote_count
INT_FIELDS = HEADER_INT_FIELDS | CANDIDATE_INT_FIELDS

# The fields an advance-vote batch (5/16, 5/17 and their (บช) forms) carries; every other header field is None.
# Its ``ballots_used`` is the ballots received (ได้รับบัตรเลือกตั้งทั้งหมด).
ADVANCE_VOTE_FIELDS = {
    "form_info": ("form_type", "province", "constituency_number"),
    "voter_statistics": (),
    "ballot_statistics": ("ballots_used", "good_ballots", "bad_ballots", "no_vote_ballots"),
}


def kind_number(form_type: str | None) -> str | None:
    """``"5/18"``, ``"5/16"`` or ``"5/17"`` from a form_type in Thai or Arabic digits; None if it names none."""
    if not form_type:
        return None
    match = _KIND_NUMBER.search(form_type.translate(_THAI_DIGITS))
    return f"5/{match.group(1)}" if match else None


def is_advance_vote_batch(form_type: str | None) -> bool:
    """5/16 and 5/17 (and their party-list forms): a batch of advance votes, no allocated/remaining ballots."""
    return kind_number(form_type) in ("5/16", "5/17")


def is_party_list(form_type: str | None) -> bool:
    return bool(form_type) and "บช" in str(form_type)


def canonical_form_type(form_type: str | None) -> str | None:
    """The ``FORM_KINDS`` value a form_type names (``ส.ส. ๕/๑๖ (บช)`` → ``ส.ส. 5/16 (บช)``); None if none."""
    number = kind_number(form_type)
    if number is None:
        return None
    return f"ส.ส. {number}" + (" (บช)" if is_party_list(form_type) else "")


def present_fields(form_type: str | None) -> dict[str, tuple[str, ...]]:
    """Section → the header fields the form's kind carries (all of them for 5/18 and unknown kinds)."""
    if is_advance_vote_batch(form_type):
        return dict(ADVANCE_VOTE_FIELDS)
    return {"form_info": FORM_INFO_FIELDS, "voter_statistics": VOTER_FIELDS, "ballot_statistics": BALLOT_FIELDS}


def kind_problems(extraction: FormExtraction) -> dict[str, str]:
    """Field path → why this is not a complete extraction of its form kind; empty when complete.

    What makes a review count as ground truth (the review app refuses to save, and the ground truth
    skips, anything else): a known form kind; every field that kind carries filled and none it lacks;
    at least one row, each with its votes and party (and, on constituency forms, the candidate's name)."""
    problems: dict[str, str] = {}
    form_type = extraction.form_info.form_type
    kind = canonical_form_type(form_type)
    if kind is None:
        problems["form_info.form_type"] = (
            "required: one of " + ", ".join(FORM_KINDS)
            if not form_type
            else ("not a known form kind: one of " + ", ".join(FORM_KINDS))
        )
        return problems
    present = present_fields(form_type)
    for section, fields in (
        ("form_info", FORM_INFO_FIELDS),
        ("voter_statistics", VOTER_FIELDS),
        ("ballot_statistics", BALLOT_FIELDS),
    ):
        values = getattr(extraction, section)
        for name in fields:
            value = getattr(values, name)
            if name in present[section] and value in (None, ""):
                problems[f"{section}.{name}"] = f"required on a {kind} form"
            elif name not in present[section] and value not in (None, ""):
                problems[f"{section}.{name}"] = f"not on a {kind} form: leave it empty"
    if not extraction.vote_results:
        problems["vote_results"] = "at least one " + ("party" if is_party_list(form_type) else "candidate") + " row"
    for i, row in enumerate(extraction.vote_results):
        if row.vote_count is None:
            problems[f"vote_results[{i}].vote_count"] = "required (write 0 for '-')"
        if not row.party_name:
            problems[f"vote_results[{i}].party_name"] = "required"
        if is_party_list(form_type) and row.candidate_name:
            problems[f"vote_results[{i}].candidate_name"] = "party-list rows have no candidate name"
        elif not is_party_list(form_type) and not row.candidate_name:
            problems[f"vote_results[{i}].candidate_name"] = "required"
    return problems
