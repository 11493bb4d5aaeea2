"""Random but realistic ส.ส. 5/18 form sets with their ground truth (the demo data and OCR test material).

Every generated extraction satisfies the four consistency rules, so a model that reads a demo form
perfectly also scores 1.0 on consistency.
"""

from __future__ import annotations

import random
from pathlib import Path

from dataset_platform.forms.schema import BallotStatistics, FormExtraction, FormInfo, VoteResult, VoterStatistics
from dataset_platform.forms.thai import int_to_thai_words

FORM_TYPE = "ส.ส. 5/18"

# province → (id prefix, {district: [sub-districts]}); Bangkok uses เขต/แขวง, the others อำเภอ/ตำบล.
PLACES: dict[str, tuple[str, dict[str, list[str]]]] = {
    "กรุงเทพมหานคร": ("bkk", {
        "บางรัก": ["สีลม", "สุริยวงศ์", "มหาพฤฒาราม"],
        "ปทุมวัน": ["ลุมพินี", "รองเมือง", "วังใหม่"],
        "จตุจักร": ["ลาดยาว", "จอมพล", "จันทรเกษม"],
    }),
    "เชียงใหม่": ("cnx", {
        "เมืองเชียงใหม่": ["ศรีภูมิ", "ช้างคลาน", "สุเทพ"],
        "สันทราย": ["สันทรายหลวง", "หนองหาร", "แม่แฝก"],
    }),
    "ขอนแก่น": ("kkc", {
        "เมืองขอนแก่น": ["ในเมือง", "ศิลา", "บ้านเป็ด"],
        "ชุมแพ": ["ชุมแพ", "นาหนองทุ่ม", "โนนหัน"],
    }),
    "นครราชสีมา": ("nma", {
        "เมืองนครราชสีมา": ["ในเมือง", "หนองจะบก", "โพธิ์กลาง"],
        "ปากช่อง": ["ปากช่อง", "หนองสาหร่าย", "กลางดง"],
    }),
    "ภูเก็ต": ("hkt", {
        "เมืองภูเก็ต": ["ตลาดใหญ่", "รัษฎา", "วิชิต"],
        "กะทู้": ["ป่าตอง", "กะทู้", "กมลา"],
    }),
    "สงขลา": ("skh", {
        "หาดใหญ่": ["หาดใหญ่", "คอหงส์", "คลองแห"],
        "เมืองสงขลา": ["บ่อยาง", "เขารูปช้าง", "พะวง"],
    }),
    "อุบลราชธานี": ("ubp", {
        "เมืองอุบลราชธานี": ["ในเมือง", "แจระแม", "ขามใหญ่"],
        "วารินชำราบ": ["วารินชำราบ", "ธาตุ", "คำน้ำแซบ"],
    }),
}  # fmt: skip

TITLES = ("นาย", "นาง", "นางสาว")
FIRST_NAMES = (
    "สมชาย", "สมศักดิ์", "ประเสริฐ", "วิชัย", "สุชาติ", "ธนพล", "กิตติ", "อนุชา", "ชัยวัฒน์", "ณัฐพล",
    "สมหญิง", "มาลี", "วันเพ็ญ", "สุภาพร", "กัญญา", "พรทิพย์", "อรุณี", "ศิริพร", "จันทร์เพ็ญ", "ปิยะนุช",
)  # fmt: skip
LAST_NAMES = (
    "ใจดี", "รักไทย", "ศรีสุข", "บุญมา", "แก้วมณี", "ทองดี", "วงศ์ใหญ่", "สุขประเสริฐ", "พึ่งบุญ", "มั่นคง",
    "เจริญผล", "ชัยมงคล", "ศักดิ์สิทธิ์", "นาคสวัสดิ์", "อินทร์แก้ว", "พรหมมา", "สายทอง", "คำแสน",
)  # fmt: skip
PARTIES = (
    "ก้าวไกล", "เพื่อไทย", "ภูมิใจไทย", "พลังประชารัฐ", "รวมไทยสร้างชาติ", "ประชาธิปัตย์", "ชาติไทยพัฒนา",
    "ประชาชาติ", "ไทยสร้างไทย", "เสรีรวมไทย", "ชาติพัฒนากล้า", "เพื่อไทรวมพลัง", "ไทยภักดี", "พลังสังคมใหม่",
    "ครูไทยเพื่อประชาชน", "เป็นธรรม", "ประชาธิปไตยใหม่", "รวมแผ่นดิน", "ไทยศรีวิไลย์", "กรีน",
)  # fmt: skip
ELECTION_DATES = ("2023-05-14", "2019-03-24", "2011-07-03")


def random_extraction(rng: random.Random, n_candidates: int | None = None) -> tuple[str, FormExtraction]:
    """One realistic, internally consistent form set and its id prefix (``bkk-d01-s003``)."""
    province = rng.choice(sorted(PLACES))
    code, districts = PLACES[province]
    district = rng.choice(sorted(districts))
    sub_district = rng.choice(districts[district])
    constituency = rng.randint(1, 12)
    station = rng.randint(1, 60)

    eligible = rng.randint(450, 2600)
    present = round(eligible * rng.uniform(0.55, 0.85))
    allocated = eligible + rng.choice((0, 0, 5, 10, 20))
    used = present
    bad = round(used * rng.uniform(0.005, 0.03))
    no_vote = round(used * rng.uniform(0.005, 0.04))
    good = used - bad - no_vote

    n = n_candidates or rng.randint(5, 20)
    weights = sorted((rng.paretovariate(1.2) for _ in range(n)), reverse=True)
    rng.shuffle(weights)
    shares = [w / sum(weights) for w in weights]
    votes = [int(good * s) for s in shares]
    votes[max(range(n), key=lambda i: shares[i])] += good - sum(votes)
    parties = rng.sample(PARTIES, n)
    results = []
    for i in range(n):
        name = f"{rng.choice(TITLES)}{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        results.append(
            VoteResult(
                candidate_number=i + 1,
                candidate_name=name,
                party_name=parties[i],
                vote_count=votes[i],
                vote_count_text=int_to_thai_words(votes[i]),
            )
        )
    extraction = FormExtraction(
        form_info=FormInfo(
            form_type=FORM_TYPE,
            province=province,
            district=district,
            sub_district=sub_district,
            constituency_number=constituency,
            polling_station_number=station,
            election_date=rng.choice(ELECTION_DATES),
        ),
        voter_statistics=VoterStatistics(eligible_voters=eligible, voters_present=present),
        ballot_statistics=BallotStatistics(
            ballots_allocated=allocated,
            ballots_used=used,
            good_ballots=good,
            bad_ballots=bad,
            no_vote_ballots=no_vote,
            ballots_remaining=allocated - used,
        ),
        vote_results=results,
    )
    return f"{code}-d{constituency:02d}-s{station:03d}", extraction


def render_demo_form_sets(out_dir: Path, n: int, seed: int) -> list[tuple[str, FormExtraction]]:
    """Write ``n`` form sets as ``out_dir/<form_set_id>/page_NN.(png|jpg)`` + ``ground_truth.json``.

    Deterministic for a seed. About a third print Thai digits, some mix digit styles, and about a
    third are noisy scans (slight rotation, blur, speckle, JPEG). Existing folders are replaced.
    """
    import shutil

    from dataset_platform.common.atomic import staged_directory, write_json
    from dataset_platform.forms.render import DEFAULT_FONTS, NoiseOptions, RenderOptions, render_form_set

    rng = random.Random(seed)
    out_dir = Path(out_dir)
    made: list[tuple[str, FormExtraction]] = []
    seen: set[str] = set()
    for i in range(n):
        form_set_id, extraction = random_extraction(rng)
        while form_set_id in seen:
            form_set_id, extraction = random_extraction(rng)
        seen.add(form_set_id)
        options = RenderOptions(
            font=DEFAULT_FONTS[i % len(DEFAULT_FONTS)],
            digits=rng.choice(("arabic", "arabic", "thai", "mixed")),
            thousands_separator=rng.choice((True, True, False)),
            font_size=rng.choice((28, 30, 32)),
            line_spacing=rng.choice((1.6, 1.8, 2.0)),
            noise=NoiseOptions.random(rng) if i % 3 == 2 else None,
            seed=rng.randrange(2**31),
        )
        target = out_dir / form_set_id
        if target.exists():
            shutil.rmtree(target)
        with staged_directory(target) as staging:
            render_form_set(extraction, staging, options)
            write_json(staging / "ground_truth.json", extraction.model_dump(mode="json"))
        made.append((form_set_id, extraction))
    return made
