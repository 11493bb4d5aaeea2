"""The versioned extraction prompt sent to Gemini with every form set.

Bump ``PROMPT_VERSION`` whenever the text changes: it is part of the cache key and of the
``llm_extractions`` code version, so a new prompt re-extracts and an unchanged one costs nothing.
"""

from __future__ import annotations

PROMPT_VERSION = "v4"

# The form kinds (DESIGN.md "Form kinds"): which one is in hand decides which fields exist.
_FORM_KINDS = """\
- "ส.ส. 5/18": one polling station on election day. Page 1: header, voter and ballot statistics and the
  candidate table with its total row (รวมคะแนนทั้งสิ้น); page 2: signatures. Every field exists.
- "ส.ส. 5/16" (advance votes inside the district) and "ส.ส. 5/17" (advance votes outside the district and
  abroad): one batch (ชุดที่). Same layout, but only province, constituency_number, and the ballots received
  (ได้รับบัตรเลือกตั้ง ... ทั้งหมด → ballots_used), good, bad and no-vote ballots exist. district,
  sub_district, polling_station_number, election_date, eligible_voters, voters_present, ballots_allocated
  and ballots_remaining are null on these forms.
- "ส.ส. 5/18 (บช)", "ส.ส. 5/16 (บช)", "ส.ส. 5/17 (บช)": the party-list ballot of the same unit. Pages 1–3:
  the statistics and a table of every party (printed list number, party name, handwritten votes); page 4:
  signatures. Fields as the constituency form of the same unit; vote_results has one object per party row,
  candidate_number = the party's printed list number, party_name = the printed party name,
  candidate_name = null.
form_info.form_type is the printed title exactly as one of these six values (without the word แบบ)."""

# Label names as printed on the forms (DESIGN.md layout), so the model anchors on text, not position.
_FIELD_LABELS = """\
form_info.form_type            ← the title "แบบ ส.ส. 5/18" (answer "ส.ส. 5/18"), see the kinds above
form_info.province             ← จังหวัด
form_info.district             ← อำเภอ/เขต
form_info.sub_district         ← ตำบล/แขวง/เทศบาล
form_info.constituency_number  ← เขตเลือกตั้งที่
form_info.polling_station_number ← หน่วยเลือกตั้งที่
form_info.election_date        ← ได้กำหนดให้วันที่ … (Buddhist-era year: subtract 543; "8 กุมภาพันธ์ 2569" → "2026-02-08")
voter_statistics.eligible_voters ← จำนวนผู้มีสิทธิเลือกตั้งตามบัญชีรายชื่อผู้มีสิทธิเลือกตั้ง (… คน)
voter_statistics.voters_present  ← จำนวนผู้มีสิทธิเลือกตั้งที่มาแสดงตน (… คน)
ballot_statistics.ballots_allocated ← จำนวนบัตรเลือกตั้งที่ได้รับจัดสรร (… บัตร)
ballot_statistics.ballots_used      ← จำนวนบัตรเลือกตั้งที่ใช้ (… บัตร); on 5/16 and 5/17: ได้รับบัตรเลือกตั้ง … ทั้งหมด
ballot_statistics.good_ballots      ← บัตรดี (… บัตร)
ballot_statistics.bad_ballots       ← บัตรเสีย (… บัตร)
ballot_statistics.no_vote_ballots   ← บัตรที่ไม่เลือกผู้สมัครผู้ใด (… บัตร)
ballot_statistics.ballots_remaining ← จำนวนบัตรเลือกตั้งที่เหลือ (… บัตร)
vote_results[] ← the candidate (or party) table, one object per printed row, columns in order:
    หมายเลขประจำตัวผู้สมัคร (or the party-list number) → candidate_number ·
    ชื่อตัว - ชื่อสกุล → candidate_name (null on (บช) forms) · สังกัดพรรคการเมือง → party_name ·
    ได้คะแนน, the number → vote_count · the same number in Thai words, in brackets → vote_count_text
    (copy the words exactly as written). The total row รวมคะแนนทั้งสิ้น is not a candidate."""

EXTRACTION_PROMPT = f"""\
You are reading one Thai Election Commission form set (แบบ ส.ส. 5/18, 5/16, 5/17 or a party-list (บช)
variant), scanned as {{num_pages}} page(s) given in page order. Printed row and clause numbers use Thai
digits; every filled-in value is handwritten: the number in digits (usually Arabic, sometimes Thai),
then the same number in Thai words in brackets. Scanner shadows, stamps, skew and colour casts are normal.
Return ONE JSON object that follows the response schema.

Form kinds:
{_FORM_KINDS}

Fill each field from the line whose printed label is shown here:

{_FIELD_LABELS}

Numbers:
- Numbers may be written in Thai digits ๐๑๒๓๔๕๖๗๘๙ (= 0123456789) or Arabic digits, with or without
  thousands separators. Return integers without separators.
- A dash "-" written for a number means zero: return 0, and null for its words.
- Thai digits are easy to confuse: ๖ (6) vs ๕ (5), ๘ (8) vs ๔ (4), ๐ (0) vs ๒ (2), ๓ (3) vs ๗ (7).
  Look twice at each of them.
- Every row repeats its score in Thai number words (e.g. สองร้อยสิบเอ็ด = 211). The words and the digits
  of a row must be the same number; when the digits look ambiguous, the words decide.
- Cross-check: good + bad + no-vote ballots = ballots used; the sum of all rows' scores = good ballots;
  on 5/18 forms also ballots used + ballots remaining = ballots allocated. If a check fails, re-read the
  digits involved before answering; never change a number just to make a sum work.

Candidate or party table:
- One object per printed row, and only printed rows: never invent a row, never merge or split rows,
  never repeat a row that continues on the next page.
- candidate_number is the number printed in that same row: do not renumber or reorder. Keep each score on
  the row it is printed on (do not swap scores between neighbouring rows).

Text: copy names, parties, province and district names exactly as written in Thai. A field that is not
on this kind of form, or is illegible, is null; do not guess.
"""


def render_prompt(num_pages: int) -> str:
    return EXTRACTION_PROMPT.format(num_pages=num_pages)
