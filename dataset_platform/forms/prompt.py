"""The versioned extraction prompt sent to Gemini with every form set.

Bump ``PROMPT_VERSION`` whenever the text changes: it is part of the cache key and of the
``llm_extractions`` code version, so a new prompt re-extracts and an unchanged one costs nothing.
"""

from __future__ import annotations

PROMPT_VERSION = "v3"

# Label names as printed on the ส.ส. 5/18 form (DESIGN.md layout), so the model anchors on text, not position.
_FIELD_LABELS = """\
form_info.form_type            ← the title "แบบ ส.ส. 5/18" (answer "ส.ส. 5/18")
form_info.province             ← จังหวัด
form_info.district             ← เขต/อำเภอ
form_info.sub_district         ← แขวง/ตำบล
form_info.constituency_number  ← เขตเลือกตั้งที่
form_info.polling_station_number ← หน่วยเลือกตั้งที่
form_info.election_date        ← วันที่เลือกตั้ง (Buddhist-era year: subtract 543; "14 พฤษภาคม 2566" → "2023-05-14")
voter_statistics.eligible_voters ← จำนวนผู้มีสิทธิเลือกตั้ง (… คน)
voter_statistics.voters_present  ← จำนวนผู้มาแสดงตน (… คน)
ballot_statistics.ballots_allocated ← จำนวนบัตรเลือกตั้งที่ได้รับจัดสรร (… บัตร)
ballot_statistics.ballots_used      ← จำนวนบัตรเลือกตั้งที่ใช้ (… บัตร)
ballot_statistics.good_ballots      ← บัตรดี (… บัตร)
ballot_statistics.bad_ballots       ← บัตรเสีย (… บัตร)
ballot_statistics.no_vote_ballots   ← บัตรไม่เลือกผู้สมัครผู้ใด (… บัตร)
ballot_statistics.ballots_remaining ← จำนวนบัตรเลือกตั้งที่เหลือ (… บัตร)
vote_results[] ← the candidate table, one object per printed row, columns in order:
    หมายเลข → candidate_number · ชื่อตัว - ชื่อสกุล → candidate_name ·
    สังกัดพรรคการเมือง → party_name · ได้คะแนน (ตัวเลข) → vote_count ·
    ได้คะแนน (ตัวอักษร) → vote_count_text (copy the Thai words exactly as printed)"""

EXTRACTION_PROMPT = f"""\
You are reading one Thai election result form, แบบ ส.ส. 5/18, scanned as {{num_pages}} page image(s) given
in page order. Page 1 holds the header and the voter and ballot statistics, the middle pages hold the
candidate table, the last page holds the committee's signatures. Return ONE JSON object that follows
the response schema, filling each field from the line whose printed label is shown here:

{_FIELD_LABELS}

Numbers:
- Numbers may be printed in Thai digits ๐๑๒๓๔๕๖๗๘๙ (= 0123456789) or Arabic digits, with or without
  thousands separators. Return integers without separators.
- Thai digits are easy to confuse: ๖ (6) vs ๕ (5), ๘ (8) vs ๔ (4), ๐ (0) vs ๒ (2), ๓ (3) vs ๗ (7).
  Look twice at each of them.
- Every candidate row repeats its score in Thai number words (e.g. สองร้อยสิบเอ็ด = 211). The words
  and the digits of a row must be the same number; when the digits look ambiguous, the words decide.
- Cross-check: good + bad + no-vote ballots = ballots used; ballots used + ballots remaining =
  ballots allocated; the sum of all candidates' scores = good ballots. If a check fails, re-read the
  digits involved before answering; never change a number just to make a sum work.

Candidate table:
- One object per printed row, and only printed rows: never invent a candidate, never merge or split
  rows, never repeat a row that continues on the next page.
- candidate_number is the number printed in the หมายเลข column of that same row: do not renumber or
  reorder. Numbers run 1, 2, 3, … without gaps; a gap or a duplicate means a row was misread.
- Keep each score on the row it is printed on (do not swap scores between neighbouring rows).

Text: copy names, parties, province and district names exactly as printed in Thai. A field that is
not on the form or is illegible is null; do not guess.
"""


def render_prompt(num_pages: int) -> str:
    return EXTRACTION_PROMPT.format(num_pages=num_pages)
