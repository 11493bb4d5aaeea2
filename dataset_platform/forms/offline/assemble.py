"""Page readings of one form set → `FormExtraction` + the paths a person must check.

Pure functions (no images, no models): the form kind from the printed header, rows numbered
across pages, and the arithmetic of `arithmetic` deciding which readings are confident.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from dataset_platform.forms.offline.arithmetic import Term, check_sum
from dataset_platform.forms.offline.page import PageReading
from dataset_platform.forms.offline.recognise import Reading
from dataset_platform.forms.schema import BallotStatistics, FormExtraction, FormInfo, VoteResult, VoterStatistics

# a reading this sure is trusted alone; below it a value is returned only when a rule verifies it
CONFIDENT_SCORE = 0.9
KEEP_SCORE = 0.6
# rows are numbered from the printed numbers when this many rows agree on the offset
MIN_NUMBER_VOTES = 3

BALLOTS = "ballot_statistics"
VOTERS = "voter_statistics"
INFO = "form_info"


@dataclass(frozen=True)
class FormKind:
    unit: str | None  # "5/16", "5/17", "5/18", or None when the header was not readable
    party_list: bool

    @property
    def form_type(self) -> str | None:
        if self.unit is None:
            return None
        return f"ส.ส. {self.unit}" + (" (บช)" if self.party_list else "")

    @property
    def batch(self) -> bool:
        """5/16 and 5/17 count advance votes per batch: no voters, station, allocation or remainder."""
        return self.unit in ("5/16", "5/17")


def detect_kind(header_texts: Sequence[str]) -> FormKind:
    """The form kind from the printed header of the first page(s) (compact Thai, Arabic digits)."""
    text = "".join(header_texts)
    party_list = any(k in text for k in ("(บช)", "บช)", "(บช", "แบบบัญชีรายชื่อ", "บัญชีรายชื่อของพรรค"))
    unit = None
    # the title's words survive Tesseract better than the small boxed code (๑๗ is often read ๑๓)
    if "นอกเขตเลือกตั้ง" in text or "นอกราชอาณาจักร" in text:
        unit = "5/17"
    elif "ก่อนวันเลือกตั้ง" in text or "ในเขตเลือกตั้งได้" in text:
        unit = "5/16"
    elif "หน่วยเลือกตั้งที่" in text or "มาแสดงตน" in text:
        unit = "5/18"
    else:
        code = re.search(r"5/1([678])", text)
        if code:
            unit = f"5/1{code.group(1)}"
    return FormKind(unit, party_list)


@dataclass
class Assembled:
    extraction: FormExtraction
    uncertain: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _term(path: str, reading: Reading | None) -> Term:
    if reading is None or reading.value is None or reading.score < KEEP_SCORE / 2:
        return Term(path, None)
    return Term(path, reading.value, reading.score >= CONFIDENT_SCORE, reading.alternatives, score=reading.score)


def _doubtful_tables(
    pages: Sequence[PageReading], tables: Sequence[PageReading], party_list: bool
) -> tuple[set[int], list[str]]:
    """Indexes into ``tables`` (the pages with a table) whose rows may be misaligned with the printed rows:
    their values are not returned. A party-list table starts under the statistics, so when a statistics page
    comes before the first table found, that page's table was missed and every row's number is unknown; a page
    whose table has another column count than the set's others has lost (or gained) a rule, so its vote column
    may be the wrong one."""
    first_table = next((i for i, p in enumerate(pages) if p.has_table), None)
    # (a set's last page may repeat the statistics after the table: only a statistics page before it counts)
    opening = next((i for i, p in enumerate(pages) if p.stats), None)
    if party_list and first_table is not None and opening is not None and opening < first_table:
        return set(range(len(tables))), ["party rows not numbered: the statistics page's table was not found"]
    counts = [p.columns for p in tables]
    if len(set(counts)) <= 1:
        return set(), []
    ranked = sorted(set(counts), key=counts.count, reverse=True)
    if counts.count(ranked[0]) == counts.count(ranked[1]):  # no majority: none of the pages can be trusted
        return set(range(len(tables))), [f"table pages disagree on their column count {counts}"]
    doubtful = {i for i, c in enumerate(counts) if c != ranked[0]}
    return doubtful, [f"table page {i + 1} has {counts[i]} columns, the others {ranked[0]}" for i in sorted(doubtful)]


def _row_terms(
    pages: Sequence[PageReading], party_list: bool, doubtful: Collection[int] = ()
) -> tuple[list[tuple[int, Term, bool]], list[str]]:
    """(number, term, blank) for every table row over the pages, numbered by printed numbers or in order;
    rows of a `doubtful` page are unread (not even a blank cell is a sure 0)."""
    rows: list[tuple[int, Term, bool]] = []
    warnings: list[str] = []
    next_number = 1
    for page_index, page in enumerate(pages):
        if not page.rows:
            continue
        offsets = [r.printed_number - r.index for r in page.rows if r.printed_number is not None]
        best = max(set(offsets), key=offsets.count) if offsets else None
        offset = next_number - 1
        if party_list and best is not None and offsets.count(best) >= MIN_NUMBER_VOTES and best >= 0:
            if best != offset:
                warnings.append(f"party rows numbered from the printed numbers (offset {best}, expected {offset})")
            offset = best
        for r in page.rows:
            number = r.index + offset
            path = f"vote_results[{len(rows)}].vote_count"  # index into vote_results
            blank = r.reading.blank
            if page_index in doubtful:
                term = Term(path, None)
            else:
                term = Term(path, 0, True, score=1.0) if blank else _term(path, r.reading)
            rows.append((number, term, blank))
        next_number = page.rows[-1].index + offset + 1
    if not party_list:
        # a constituency table has blank rows after its last candidate; they are not candidates
        while rows and rows[-1][2]:
            rows.pop()
    return rows, warnings


def assemble(pages: Sequence[PageReading]) -> Assembled:
    """Combine the readings of a form set's pages into one extraction (see the module docstring)."""
    tables = [p for p in pages if p.has_table]
    kind = detect_kind([p.header_text for p in pages[:2]])
    first = next((p for p in pages if p.stats), PageReading())
    stats = first.stats
    warnings: list[str] = []
    if kind.unit is None:
        warnings.append("form kind not recognised from the printed header")

    def stat(name: str, section: str = BALLOTS) -> Term:
        return _term(f"{section}.{name}", stats.get(name))

    used = _term(f"{BALLOTS}.ballots_used", stats.get("ballots_received" if kind.batch else "ballots_used"))
    if used.value is None and not kind.batch and kind.unit is None:
        used = _term(f"{BALLOTS}.ballots_used", stats.get("ballots_received"))
    good, bad, no_vote = stat("good_ballots"), stat("bad_ballots"), stat("no_vote_ballots")
    doubtful, doubt_warnings = _doubtful_tables(pages, tables, kind.party_list)
    rows, row_warnings = _row_terms(tables, kind.party_list, doubtful)
    warnings += doubt_warnings + row_warnings
    total_reading = next((p.total for p in reversed(tables) if p.total is not None), None)
    total = _term("vote_results.total", total_reading)

    # Σ votes = total row = good ballots: the total row and บัตรดี are two readings of one number
    vote_terms = [t for _, t, _ in rows]
    if good.value is not None and total.value is not None and good.value != total.value:
        warnings.append(f"good ballots {good.value} and the table total {total.value} differ")
    reference = good
    if good.value is None or (total.value is not None and total.confident and not good.confident):
        if total.value is not None:
            reference = Term(good.path, total.value, total.confident, total.alternatives)
    outcome = check_sum(vote_terms, reference) if vote_terms else None
    if outcome is not None:
        vote_terms = outcome.terms
        if outcome.held is False and total.value is not None and reference is good:
            retry = check_sum(vote_terms, Term(good.path, total.value, total.confident, total.alternatives))
            if retry.held:
                outcome = retry
                vote_terms = retry.terms
        reference = outcome.total
        warnings += outcome.notes
        if outcome.held is False:
            warnings.append("the votes do not add up to the good ballots")
    good_term = reference if reference.value is not None else good

    ballots = check_sum([good_term, bad, no_vote], used)
    good_term, bad, no_vote = ballots.terms
    used = ballots.total
    if ballots.held is False:
        warnings.append("good + bad + no-vote ballots do not add up to the ballots used")
    terms: dict[str, Term] = {t.path: t for t in (good_term, bad, no_vote, used)}

    if not kind.batch:
        allocated, remaining = stat("ballots_allocated"), stat("ballots_remaining")
        alloc = check_sum([used, remaining], allocated) if used.value is not None or used.filled else None
        if alloc is not None:
            used_after, remaining = alloc.terms
            allocated = alloc.total
            if not used.verified:
                terms[used.path] = used_after
            if alloc.held is False:
                warnings.append("ballots used + remaining do not add up to the ballots allocated")
        terms[allocated.path] = allocated
        terms[remaining.path] = remaining
        for name in ("eligible_voters", "voters_present"):
            terms[f"{VOTERS}.{name}"] = stat(name, VOTERS)

    uncertain: list[str] = []

    def final(term: Term) -> int | None:
        """The value returned for a term; every term not verified or read surely is listed uncertain.

        A wrong number is worse than none: a reading no rule verifies is returned only when the recogniser
        was sure of it (a contradicted one stays listed uncertain); an unsure one is None."""
        if term.verified and not term.filled:
            return term.value
        uncertain.append(term.path)
        if term.value is None or term.filled:
            return term.value
        if not term.confident:
            return None
        if not term.contradicted:
            uncertain.pop()  # sure, and no rule to check it against
        return term.value

    b = {n: final(terms[f"{BALLOTS}.{n}"]) for n in BallotStatistics.model_fields if f"{BALLOTS}.{n}" in terms}
    v = {name: final(terms[f"{VOTERS}.{name}"]) for name in VoterStatistics.model_fields if f"{VOTERS}.{name}" in terms}
    results = []
    for (number, _, _), term in zip(rows, vote_terms):
        results.append(VoteResult(candidate_number=number, vote_count=final(term)))
    info = FormInfo(form_type=kind.form_type)
    if kind.form_type is None:
        uncertain.append(f"{INFO}.form_type")
    return Assembled(
        FormExtraction(
            form_info=info,
            voter_statistics=VoterStatistics(**v),
            ballot_statistics=BallotStatistics(**b),
            vote_results=results,
        ),
        uncertain=uncertain,
        warnings=warnings,
    )
