"""Random but realistic form sets of every kind with their ground truth (the demo data and OCR test material).

Every generated extraction satisfies the consistency rules that apply to its kind (DESIGN.md), so a
model that reads a demo form perfectly also scores 1.0 on consistency. The ground truth follows the
kind: 5/16 and 5/17 batches carry only province, constituency and ballots received/good/bad/no-vote;
party-list forms key their rows by party-list number with no candidate name. A zero is written ``-``,
so its ``vote_count_text`` is None.
"""

from __future__ import annotations

import random
from pathlib import Path

from dataset_platform.forms.schema import BallotStatistics, FormExtraction, FormInfo, VoteResult, VoterStatistics
from dataset_platform.forms.thai import int_to_thai_words

FORM_TYPE = "ส.ส. 5/18"
FORM_TYPES = ("ส.ส. 5/18", "ส.ส. 5/16", "ส.ส. 5/17", "ส.ส. 5/18 (บช)", "ส.ส. 5/16 (บช)", "ส.ส. 5/17 (บช)")

# province → (id prefix, {district: [sub-districts]}); Bangkok uses เขต/แขวง, the others อำเภอ/ตำบล.
PLACES: dict[str, tuple[str, dict[str, list[str]]]] = {
    "กรุงเทพมหานคร": (
        "bkk",
        {
            "บางรัก": ["สีลม", "สุริยวงศ์", "มหาพฤฒาราม"],
            "ปทุมวัน": ["ลุมพินี", "รองเมือง", "วังใหม่"],
            "จตุจักร": ["ลาดยาว", "จอมพล", "จันทรเกษม"],
        },
    ),
    "เชียงใหม่": (
        "cnx",
        {
            "เมืองเชียงใหม่": ["ศรีภูมิ", "ช้างคลาน", "สุเทพ"],
            "สันทราย": ["สันทรายหลวง", "หนองหาร", "แม่แฝก"],
        },
    ),
    "ขอนแก่น": (
        "kkc",
        {
            "เมืองขอนแก่น": ["ในเมือง", "ศิลา", "บ้านเป็ด"],
            "ชุมแพ": ["ชุมแพ", "นาหนองทุ่ม", "โนนหัน"],
        },
    ),
    "นครราชสีมา": (
        "nma",
        {
            "เมืองนครราชสีมา": ["ในเมือง", "หนองจะบก", "โพธิ์กลาง"],
            "ปากช่อง": ["ปากช่อง", "หนองสาหร่าย", "กลางดง"],
        },
    ),
    "ภูเก็ต": (
        "hkt",
        {
            "เมืองภูเก็ต": ["ตลาดใหญ่", "รัษฎา", "วิชิต"],
            "กะทู้": ["ป่าตอง", "กะทู้", "กมลา"],
        },
    ),
    "สงขลา": (
        "skh",
        {
            "หาดใหญ่": ["หาดใหญ่", "คอหงส์", "คลองแห"],
            "เมืองสงขลา": ["บ่อยาง", "เขารูปช้าง", "พะวง"],
        },
    ),
    "อุบลราชธานี": (
        "ubp",
        {
            "เมืองอุบลราชธานี": ["ในเมือง", "แจระแม", "ขามใหญ่"],
            "วารินชำราบ": ["วารินชำราบ", "ธาตุ", "คำน้ำแซบ"],
        },
    ),
}

TITLES = ("นาย", "นาง", "นางสาว")
FIRST_NAMES = (
    "สมชาย",
    "สมศักดิ์",
    "ประเสริฐ",
    "วิชัย",
    "สุชาติ",
    "ธนพล",
    "กิตติ",
    "อนุชา",
    "ชัยวัฒน์",
    "ณัฐพล",
    "สมหญิง",
    "มาลี",
    "วันเพ็ญ",
    "สุภาพร",
    "กัญญา",
    "พรทิพย์",
    "อรุณี",
    "ศิริพร",
    "จันทร์เพ็ญ",
    "ปิยะนุช",
)
LAST_NAMES = (
    "ใจดี",
    "รักไทย",
    "ศรีสุข",
    "บุญมา",
    "แก้วมณี",
    "ทองดี",
    "วงศ์ใหญ่",
    "สุขประเสริฐ",
    "พึ่งบุญ",
    "มั่นคง",
    "เจริญผล",
    "ชัยมงคล",
    "ศักดิ์สิทธิ์",
    "นาคสวัสดิ์",
    "อินทร์แก้ว",
    "พรหมมา",
    "สายทอง",
    "คำแสน",
)
PARTIES = (
    "ก้าวไกล",
    "เพื่อไทย",
    "ภูมิใจไทย",
    "พลังประชารัฐ",
    "รวมไทยสร้างชาติ",
    "ประชาธิปัตย์",
    "ชาติไทยพัฒนา",
    "ประชาชาติ",
    "ไทยสร้างไทย",
    "เสรีรวมไทย",
    "ชาติพัฒนากล้า",
    "เพื่อไทรวมพลัง",
    "ไทยภักดี",
    "พลังสังคมใหม่",
    "ครูไทยเพื่อประชาชน",
    "เป็นธรรม",
    "ประชาธิปไตยใหม่",
    "รวมแผ่นดิน",
    "ไทยศรีวิไลย์",
    "กรีน",
)
ELECTION_DATES = ("2023-05-14", "2019-03-24", "2011-07-03")
RECENT_ELECTION_DATES = ("2026-02-08", "2023-05-14")  # the handwritten demo: the forms of the real scans
# The party-list ballot of 8 Feb 2026 in list-number order (as printed on the ส.ส. 5/1x (บช) forms).
PARTY_LIST = (
    "ไทยทรัพย์ทวี",
    "เพื่อชาติไทย",
    "ใหม่",
    "มิติใหม่",
    "รวมใจไทย",
    "รวมไทยสร้างชาติ",
    "พลวัต",
    "ประชาธิปไตยใหม่",
    "เพื่อไทย",
    "ทางเลือกใหม่",
    "เศรษฐกิจ",
    "เสรีรวมไทย",
    "รวมพลังประชาชน",
    "ท้องที่ไทย",
    "อนาคตไทย",
    "พลังเพื่อไทย",
    "ไทยชนะ",
    "พลังสังคมใหม่",
    "สังคมประชาธิปไตยไทย",
    "ฟิวชัน",
    "ไทรวมพลัง",
    "ก้าวอิสระ",
    "ปวงชนไทย",
    "วิชชั่นใหม่",
    "เพื่อชีวิตใหม่",
    "คลองไทย",
    "ประชาธิปัตย์",
    "ไทยก้าวหน้า",
    "ไทยภักดี",
    "แรงงานสร้างชาติ",
    "ประชากรไทย",
    "ครูไทยเพื่อประชาชน",
    "ประชาชาติ",
    "สร้างอนาคตไทย",
    "รักชาติ",
    "ไทยพร้อม",
    "ภูมิใจไทย",
    "พลังธรรมใหม่",
    "กรีน",
    "ไทยธรรม",
    "แผ่นดินธรรม",
    "กล้าธรรม",
    "พลังประชารัฐ",
    "โอกาสใหม่",
    "เป็นธรรม",
    "ประชาชน",
    "ประชาไทย",
    "ไทยสร้างไทย",
    "ไทยก้าวใหม่",
    "ประชาอาสาชาติ",
    "พร้อม",
    "เครือข่ายชาวนาแห่งประเทศไทย",
    "ไทยพิทักษ์ธรรม",
    "ความหวังใหม่",
    "ไทยรวมไทย",
    "เพื่อบ้านเมือง",
    "พลังไทยรักชาติ",
)


def _words(votes: int) -> str | None:
    return int_to_thai_words(votes) if votes else None  # a zero is written "-", with no words


def _split_votes(rng: random.Random, good: int, n: int, sparse: bool = False) -> list[int]:
    """``good`` votes over ``n`` rows, a few rows taking most (party-list rows are mostly zero)."""
    weights = sorted((rng.paretovariate(1.2) for _ in range(n)), reverse=True)
    if sparse:
        weights = [w if rng.random() < 0.3 or i < 4 else 0.0 for i, w in enumerate(weights)]
    rng.shuffle(weights)
    shares = [w / sum(weights) for w in weights]
    votes = [int(good * sh) for sh in shares]
    votes[max(range(n), key=lambda i: shares[i])] += good - sum(votes)
    return votes


def random_extraction(
    rng: random.Random,
    n_candidates: int | None = None,
    form_type: str = FORM_TYPE,
    election_dates: tuple[str, ...] = ELECTION_DATES,
) -> tuple[str, FormExtraction]:
    """One realistic, internally consistent form set of ``form_type`` and its id prefix (``bkk-d01-s003``)."""
    from dataset_platform.forms.layout import form_kind

    kind, party_list = form_kind(form_type)
    province = rng.choice(sorted(PLACES))
    code, districts = PLACES[province]
    district = rng.choice(sorted(districts))
    sub_district = rng.choice(districts[district])
    constituency = rng.randint(1, 12)
    station = rng.randint(1, 60)
    batch = kind in ("5/16", "5/17")

    if batch:  # an advance-vote batch: ballots received, then good / bad / no-vote
        eligible = present = allocated = None
        used = rng.randint(20, 900)
    else:
        eligible = rng.randint(450, 2600)
        present = round(eligible * rng.uniform(0.55, 0.85))
        allocated = eligible + rng.choice((0, 0, 5, 10, 20))
        used = present
    bad = round(used * rng.uniform(0.005, 0.03))
    no_vote = round(used * rng.uniform(0.005, 0.04))
    good = used - bad - no_vote

    results = []
    if party_list:
        n = n_candidates or rng.randint(50, len(PARTY_LIST))
        for i, votes in enumerate(_split_votes(rng, good, n, sparse=True)):
            results.append(
                VoteResult(
                    candidate_number=i + 1,
                    candidate_name=None,
                    party_name=PARTY_LIST[i],
                    vote_count=votes,
                    vote_count_text=_words(votes),
                )
            )
    else:
        n = n_candidates or (rng.randint(4, 10) if batch else rng.randint(5, 20))
        vote_counts = _split_votes(rng, good, n)
        parties = rng.sample(PARTIES, n)
        for i in range(n):
            name = f"{rng.choice(TITLES)}{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            results.append(
                VoteResult(
                    candidate_number=i + 1,
                    candidate_name=name,
                    party_name=parties[i],
                    vote_count=vote_counts[i],
                    vote_count_text=_words(vote_counts[i]),
                )
            )
    extraction = FormExtraction(
        form_info=FormInfo(
            form_type=form_type,
            province=province,
            district=None if batch else district,
            sub_district=None if batch else sub_district,
            constituency_number=constituency,
            polling_station_number=None if batch else station,
            election_date=None if batch else rng.choice(election_dates),
        ),
        voter_statistics=VoterStatistics(eligible_voters=eligible, voters_present=present),
        ballot_statistics=BallotStatistics(
            ballots_allocated=allocated,
            ballots_used=used,
            good_ballots=good,
            bad_ballots=bad,
            no_vote_ballots=no_vote,
            ballots_remaining=None if allocated is None else allocated - used,  # None exactly for batches
        ),
        vote_results=results,
    )
    unit = f"s{station:03d}" if not batch else f"a{kind[-2:]}-{rng.randint(1, 999):03d}"
    return f"{code}-d{constituency:02d}-{unit}{'-pl' if party_list else ''}", extraction


def demo_plan(n: int) -> list[tuple[str, str]]:
    """(form type, file format) of each of ``n`` demo sets: mostly 5/18, every fourth an advance-vote
    batch, one party-list form (4 pages) once there are six or more, and some sets as PDF files."""
    plan = []
    for i in range(n):
        form_type = FORM_TYPE
        if i % 4 == 3:
            form_type = "ส.ส. 5/16" if i % 8 == 7 else "ส.ส. 5/17"
        if i == 5:
            form_type = "ส.ส. 5/17 (บช)" if n % 2 else "ส.ส. 5/18 (บช)"
        plan.append((form_type, "pdf" if i >= 4 and i % 3 != 0 else "auto"))
    return plan


def render_demo_form_sets(out_dir: Path, n: int, seed: int, printed: bool = False) -> list[tuple[str, FormExtraction]]:
    """Write ``n`` form sets as ``out_dir/<form_set_id>/`` page images or PDFs + ``ground_truth.json``.

    Deterministic for a seed. By default the sets follow `demo_plan` (kinds, PDFs) and every value is
    handwritten; every third set and every PDF is a phone-scanner photo (shadow, colour cast, stamp,
    skew, JPEG). ``printed=True`` gives the older typed 5/18 look the Tesseract baseline reads: about a
    third in Thai digits, some mixing digit styles, a third noisy. Existing folders are replaced.
    """
    import shutil

    from dataset_platform.common.atomic import staged_directory, write_json
    from dataset_platform.forms.render import DEFAULT_FONTS, FORM_FONTS, NoiseOptions, RenderOptions, render_form_set

    rng = random.Random(seed)
    out_dir = Path(out_dir)
    made: list[tuple[str, FormExtraction]] = []
    seen: set[str] = set()
    plan = [(FORM_TYPE, "auto")] * n if printed else demo_plan(n)
    dates = ELECTION_DATES if printed else RECENT_ELECTION_DATES
    for i, (form_type, file_format) in enumerate(plan):
        form_set_id, extraction = random_extraction(rng, form_type=form_type, election_dates=dates)
        while form_set_id in seen:
            form_set_id, extraction = random_extraction(rng, form_type=form_type, election_dates=dates)
        seen.add(form_set_id)
        if printed:
            options = RenderOptions(
                style="printed",
                font=DEFAULT_FONTS[i % len(DEFAULT_FONTS)],
                digits=rng.choice(("arabic", "arabic", "thai", "mixed")),
                thousands_separator=rng.choice((True, True, False)),
                font_size=rng.choice((28, 30, 32)),
                line_spacing=rng.choice((1.6, 1.8, 2.0)),
                noise=NoiseOptions.random(rng) if i % 3 == 2 else None,
                seed=rng.randrange(2**31),
            )
        else:
            noisy = i % 3 == 2 or file_format == "pdf"
            options = RenderOptions(
                font=rng.choice(FORM_FONTS[:2]) if rng.random() < 0.3 else FORM_FONTS[0],
                font_size=rng.choice((28, 30, 32)),
                noise=NoiseOptions.phone(rng) if noisy else None,
                seed=rng.randrange(2**31),
                file_format=file_format,  # type: ignore[arg-type]
            )
        target = out_dir / form_set_id
        if target.exists():
            shutil.rmtree(target)
        with staged_directory(target) as staging:
            render_form_set(extraction, staging, options)
            write_json(staging / "ground_truth.json", extraction.model_dump(mode="json"))
        made.append((form_set_id, extraction))
    return made
