"""`FormExtraction`: the structured content of one ส.ส. 5/18 form set (DESIGN.md).

The same pydantic model is the Gemini ``response_schema``, the review app's validator and the
evaluators' input, so it stays plain (no validators that Gemini's schema translation would drop).
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field


class FormInfo(BaseModel):
    form_type: Optional[str] = Field(default=None, description="Printed form title, e.g. 'ส.ส. 5/18'")
    province: Optional[str] = Field(default=None, description="จังหวัด")
    district: Optional[str] = Field(default=None, description="เขต/อำเภอ")
    sub_district: Optional[str] = Field(default=None, description="แขวง/ตำบล")
    constituency_number: Optional[int] = Field(default=None, description="เขตเลือกตั้งที่")
    polling_station_number: Optional[int] = Field(default=None, description="หน่วยเลือกตั้งที่")
    election_date: Optional[str] = Field(
        default=None, description="วันที่เลือกตั้ง as ISO date YYYY-MM-DD (Gregorian; Buddhist era minus 543)"
    )


class VoterStatistics(BaseModel):
    eligible_voters: Optional[int] = Field(default=None, description="จำนวนผู้มีสิทธิเลือกตั้ง")
    voters_present: Optional[int] = Field(default=None, description="จำนวนผู้มาแสดงตน")


class BallotStatistics(BaseModel):
    ballots_allocated: Optional[int] = Field(default=None, description="จำนวนบัตรเลือกตั้งที่ได้รับจัดสรร")
    ballots_used: Optional[int] = Field(default=None, description="จำนวนบัตรเลือกตั้งที่ใช้")
    good_ballots: Optional[int] = Field(default=None, description="บัตรดี")
    bad_ballots: Optional[int] = Field(default=None, description="บัตรเสีย")
    no_vote_ballots: Optional[int] = Field(default=None, description="บัตรไม่เลือกผู้สมัครผู้ใด")
    ballots_remaining: Optional[int] = Field(default=None, description="จำนวนบัตรเลือกตั้งที่เหลือ")


class VoteResult(BaseModel):
    candidate_number: int = Field(description="หมายเลข")
    candidate_name: Optional[str] = Field(default=None, description="ชื่อตัว - ชื่อสกุล")
    party_name: Optional[str] = Field(default=None, description="สังกัดพรรคการเมือง")
    vote_count: Optional[int] = Field(default=None, description="ได้คะแนน (ตัวเลข)")
    vote_count_text: Optional[str] = Field(default=None, description="ได้คะแนน (ตัวอักษร), Thai number words")


class FormExtraction(BaseModel):
    form_info: FormInfo = Field(default_factory=FormInfo)
    voter_statistics: VoterStatistics = Field(default_factory=VoterStatistics)
    ballot_statistics: BallotStatistics = Field(default_factory=BallotStatistics)
    vote_results: list[VoteResult] = Field(default_factory=list)


FORM_INFO_FIELDS = tuple(FormInfo.model_fields)
VOTER_FIELDS = tuple(VoterStatistics.model_fields)
BALLOT_FIELDS = tuple(BallotStatistics.model_fields)
CANDIDATE_FIELDS = ("candidate_name", "party_name", "vote_count", "vote_count_text")
