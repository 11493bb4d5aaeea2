"""Demo grievances for the review database: Thai, Nepali (romanised and Devanagari) and English, with noise.

Seeds the production model's predictions, human reviews and a gold set so that both labels pass the gate
(default n=6000) and every branch of the retraining semantics occurs: NULL complaint_id reviews, labels
outside the mapping, unreviewed rows, prediction == correction rows (confirmations), NULL predictions,
duplicate texts across the pools, texts that clean to nothing, repeated reviews of one complaint, phone
numbers (Thai, Nepali, in Devanagari digits) and e-mails that the default PII policy masks, IMEIs that
are not cards, Devanagari words with ZWJ/ZWNJ. The gold set is a random sample of complaints labelled
with their true labels (the simulation's truth), i.e. blind to the production prediction.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.common.labels import label_names

DEPARTMENTS = label_names("department")
URGENCIES = label_names("urgency")

ISSUES: dict[int, dict[str, list[str]]] = {
    0: {
        "th": [
            "ขยะไม่มีคนมาเก็บ",
            "ร้านค้าแผงลอยตั้งขวางทางเท้า",
            "สุนัขจรจัดไล่กัดเด็ก",
            "เสียงดังจากร้านคาราโอเกะ",
            "ขอใบอนุญาตก่อสร้างล่าช้า",
            "ตลาดนัดส่งกลิ่นเหม็น",
            "ไม่มีคนกวาดถนนในชุมชน",
        ],
        "ne": [
            "phohor uthaune gadi aayena",
            "footpath ma pasal le bato chhekyo",
            "sadak ko kukur le baccha lai tokyo",
            "ratiko karaoke ko aawaj dherai chha",
            "ghar banaune anumati dherai dhilo bhayo",
            "bazar ma durgandha aayo",
        ],
        "en": [
            "garbage has not been collected",
            "street vendors are blocking the footpath",
            "stray dogs chase children",
            "loud karaoke music every night",
            "building permit is delayed",
            "the market smells terrible",
            "nobody sweeps the community street",
        ],
    },
    1: {
        "th": [
            "โรงเรียนไม่มีครูสอนคณิตศาสตร์",
            "โรงพยาบาลให้รอคิวนานมาก",
            "เบี้ยผู้สูงอายุยังไม่ได้รับ",
            "ยาที่คลินิกหมด",
            "อาหารกลางวันนักเรียนไม่สะอาด",
            "ไม่มีรถพยาบาลมารับผู้ป่วย",
            "ศูนย์เด็กเล็กปิดโดยไม่แจ้ง",
        ],
        "ne": [
            "school ma ganit padhaune sir chhaina",
            "aspatal ma line dherai lamo chha",
            "briddha bhatta aayeko chhaina",
            "clinic ma aausadhi sakiyo",
            "bidyarthi ko khaja safa chhaina",
            "ambulance aayena birami lai",
        ],
        "en": [
            "the school has no maths teacher",
            "the hospital queue takes all day",
            "the elderly allowance was not paid",
            "the clinic ran out of medicine",
            "school lunch is not hygienic",
            "no ambulance came for the patient",
            "the day care centre closed without notice",
        ],
    },
    2: {
        "th": [
            "ถนนเป็นหลุมเป็นบ่อ",
            "น้ำประปาไม่ไหล",
            "ไฟฟ้าดับทั้งซอย",
            "ไฟถนนเสีย",
            "น้ำท่วมขังหน้าบ้าน",
            "ท่อระบายน้ำอุดตัน",
            "ตัดไม้ในป่าชุมชน",
        ],
        "ne": [
            "sadak ma thulo khaldo chha",
            "dhara ma pani aaudaina",
            "tole bhari bijuli gayo",
            "sadak batti bigriyo",
            "ghar agadi pani jamyo",
            "nali bandha bhayo",
            "samudayik ban ma rukh katiyo",
        ],
        "en": [
            "the road is full of potholes",
            "there is no tap water",
            "the power is out in the whole lane",
            "the street light is broken",
            "flood water is standing in front of houses",
            "the drain is blocked",
            "trees are being cut in the community forest",
        ],
    },
    3: {
        "th": [
            "มีการขโมยรถจักรยานยนต์",
            "มีการขายยาเสพติดในซอย",
            "มีบ่อนการพนัน",
            "วัยรุ่นทะเลาะวิวาท",
            "แก๊งซิ่งรถเสียงดัง",
            "มีคนแปลกหน้าด้อมๆมองๆ",
            "ถูกโกงเงินออนไลน์",
        ],
        "ne": [
            "motorcycle chori bhayo",
            "galli ma lagu aushadh bechdai chhan",
            "juwa khelne adda chha",
            "ketaharu jhagada gardai chhan",
            "bike racing le hallakhalla bhayo",
            "anjan manche ghumdai chha",
        ],
        "en": [
            "a motorcycle was stolen",
            "drugs are being sold in the alley",
            "there is an illegal gambling den",
            "teenagers are fighting",
            "street racers are speeding at night",
            "a stranger keeps watching houses",
            "I was scammed online",
        ],
    },
}

PLACES = {
    "th": [
        "ที่ซอยวัดใหม่",
        "ที่หมู่บ้านสุขใจ",
        "หน้าตลาดสด",
        "ที่ชุมชนริมคลอง",
        "ใกล้โรงเรียนวัดดอน",
        "ที่ตำบลบางพลี",
        "ที่ถนนเจริญกรุง",
        "หลังสถานีรถไฟ",
        "ที่หมู่ 4",
        "ในเขตบางนา",
        "แถวเชียงใหม่",
        "ที่อำเภอเมืองขอนแก่น",
    ],
    "ne": [
        "Kalanki ma",
        "Baneshwor chowk ma",
        "ward 5 ma",
        "Pokhara lakeside ma",
        "Bhaktapur durbar agadi",
        "Lalitpur ko tole ma",
        "Biratnagar bazar ma",
        "Chitwan ko gaun ma",
        "Butwal ma",
        "Dharan ma",
    ],
    "en": [
        "on Sukhumvit soi 22",
        "near the central market",
        "in village 4",
        "behind the railway station",
        "next to the temple school",
        "in the riverside community",
        "on the main road",
        "near the bus terminal",
        "in our housing estate",
        "by the district office",
    ],
}
DURATIONS = {
    "th": ["มา 3 วันแล้ว", "ตั้งแต่เมื่อวาน", "มาเป็นเดือนแล้ว", "ทุกคืน", "สองสัปดาห์แล้ว", "ตั้งแต่เช้านี้", "", ""],
    "ne": ["3 din dekhi", "hijo dekhi", "ek mahina bhayo", "har raati", "dui hapta bhayo", "aaja bihana dekhi", "", ""],
    "en": [
        "for 3 days",
        "since yesterday",
        "for a month now",
        "every night",
        "for two weeks",
        "since this morning",
        "",
        "",
    ],
}
CUES = {
    0: {
        "th": ["รบกวนช่วยดูให้ด้วย", "ขอให้แก้ไขเมื่อสะดวก", "แจ้งเพื่อทราบ"],
        "ne": ["kripaya herdinu hola", "samay milda milaunu hola", "jankari ko lagi"],
        "en": ["please look into it", "please fix it when possible", "just letting you know"],
    },
    1: {
        "th": ["ช่วยด่วนด้วยครับ", "ขอให้รีบแก้ไข", "เดือดร้อนมาก"],
        "ne": ["chhito garidinu hola", "turunta herdinu", "dherai dukkha bhayo"],
        "en": ["please act quickly", "this needs urgent attention", "we are really suffering"],
    },
    2: {
        "th": ["ด่วนที่สุด อันตรายถึงชีวิต", "ฉุกเฉิน มีคนบาดเจ็บ", "ช่วยด้วยตอนนี้เลย"],
        "ne": ["ekdam emergency chha jyan khatra", "aakasmik, manche ghaite bhaye", "ahile nai bachau"],
        "en": ["EMERGENCY, lives are at risk", "someone is injured, come now", "help immediately please"],
    },
}
OPENINGS = {
    "th": ["เรียนเจ้าหน้าที่", "แจ้งปัญหา", "สวัสดีค่ะ", "ขอร้องเรียน", ""],
    "ne": ["Namaste sir,", "Gunaso:", "Hajur,", "Ujuri:", ""],
    "en": ["Dear officer,", "Complaint:", "Hello,", "Reporting an issue:", ""],
}
LANGUAGE_WEIGHTS = {"th": 0.5, "ne": 0.25, "en": 0.25}
URLS = [
    "https://www.facebook.com/groups/community/posts/{n}",
    "http://bit.ly/{n}x",
    "www.traffy.in.th/report/{n}",
    "https://photos.app.goo.gl/{n}abc",
]
# Contact details people write into complaints; the default PII policy masks them ([PHONE], [EMAIL], ...).
CONTACTS = [
    "โทร 081-234-5678",
    "call me on 9841234567",
    "मेरो नम्बर ९८४१२३४५६७",
    "phone 01-4412345",
    "email ram.sharma@example.com",
    "ติดต่อ somchai.k@example.co.th",
    "+977 9801234567",
]
# Texts that look like PII to a naive detector and are not: an IMEI is not a card; joiners are Nepali spelling.
LOOKALIKES = ["stolen phone IMEI 356938035643809", "प्रशासन‍को कार्यालय", "क्‍षेत्र नं. ५ मा समस्या", "ward 5 ko ‌ghar"]
DEMO_GOLD_LABELLER = "demo-gold-labeller"
OUTSIDE_MAPPING = {"department": ["Transportation & Traffic", "Tourism"], "urgency": ["LOW", "urgent"]}


def _message(rng: random.Random, dept: int, urg: int) -> str:
    lang = rng.choices(list(LANGUAGE_WEIGHTS), weights=list(LANGUAGE_WEIGHTS.values()))[0]
    parts = [
        rng.choice(OPENINGS[lang]),
        rng.choice(ISSUES[dept][lang]),
        rng.choice(PLACES[lang]),
        rng.choice(DURATIONS[lang]),
        rng.choice(CUES[urg][lang]),
    ]
    text = " ".join(p for p in parts if p)
    return _noisy(rng, text)


def _noisy(rng: random.Random, text: str) -> str:
    if rng.random() < 0.03:
        text += " " + rng.choice(CONTACTS)
    elif rng.random() < 0.02:
        text += " " + rng.choice(LOOKALIKES)
    if rng.random() < 0.25:
        text += " " + rng.choice(URLS).format(n=rng.randint(10, 999))
    if rng.random() < 0.15:
        text = rng.choice(["<p>{}</p>", "<b>{}</b><br/>", "{}<br>", '<div class="msg">{}</div>']).format(text)
    if rng.random() < 0.2:
        text = text.replace(" ", rng.choice(["\n", "  ", " \t", "\r\n"]), 1)
    if rng.random() < 0.05:
        text = "  " + text + "\n"
    if rng.random() < 0.02:
        text += " caf\u0065\u0301"  # decomposed é: NFC composes it
    return text


def _other(rng: random.Random, k: int, n: int) -> int:
    return rng.choice([i for i in range(n) if i != k])


def seed_complaints(
    engine: sa.Engine, n: int = 6000, seed: int = 7, *, replace: bool = True, n_gold: int | None = None
) -> dict:
    """Insert ``n`` complaints, their reviews and a gold set; returns counts of each seeded case.

    ``n_gold``: complaints drawn at random for blind gold labels (default 5% of ``n``, at most 300).
    With ``replace`` the demo tables are emptied first (complaints, misclassified_complaints, gold_labels);
    without it an already-seeded database is left as it is.
    """
    db.ensure_schema(engine)
    rng = random.Random(seed)
    with engine.begin() as conn:
        existing = conn.execute(sa.select(sa.func.count()).select_from(db.complaints)).scalar_one()
        if existing and not replace:
            return {"skipped": f"review database already has {existing} complaints"}
        conn.execute(sa.delete(db.misclassified_complaints))
        conn.execute(sa.delete(db.gold_labels))
        conn.execute(sa.delete(db.complaints))

    base = dt.datetime(2026, 1, 5, 8, 0)
    complaints: list[dict] = []
    reviews: list[dict[str, Any]] = []
    counts = {
        "complaints": n,
        "reviews": 0,
        "unreviewed": 0,
        "null_complaint_id": 0,
        "outside_mapping": 0,
        "prediction_equals_correction": 0,
        "null_prediction": 0,
        "duplicate_texts": 0,
        "empty_after_cleaning": 0,
        "repeated_reviews": 0,
    }
    truth: list[tuple[int, int]] = []
    for cid in range(1, n + 1):
        dept = rng.choices(range(4), weights=[0.3, 0.25, 0.3, 0.15])[0]
        urg = rng.choices(range(3), weights=[0.55, 0.3, 0.15])[0]
        truth.append((dept, urg))
        dept_wrong, urg_wrong = rng.random() < 0.32, rng.random() < 0.32
        pred_dept = _other(rng, dept, 4) if dept_wrong else dept
        pred_urg = _other(rng, urg, 3) if urg_wrong else urg
        row = {
            "id": cid,
            "message": _message(rng, dept, urg),
            "department": DEPARTMENTS[pred_dept],
            "urgency": URGENCIES[pred_urg],
            "created_at": base + dt.timedelta(minutes=7 * cid),
        }
        roll = rng.random()
        if roll < 0.03:
            row["department"] = None
            counts["null_prediction"] += 1
        elif roll < 0.06:
            row["urgency"] = None
            counts["null_prediction"] += 1
        elif roll < 0.07:
            which = rng.choice(["department", "urgency"])
            row[which] = rng.choice(OUTSIDE_MAPPING[which])
            counts["outside_mapping"] += 1
        complaints.append(row)

        wrong = dept_wrong or urg_wrong
        if (wrong and rng.random() < 0.9) or (not wrong and rng.random() < 0.08):
            reviewed = rng.random() < 0.9
            review: dict[str, Any] = {
                "complaint_id": cid,
                "model_predicted_department": row["department"],
                "model_predicted_urgency": row["urgency"],
                "correct_department": DEPARTMENTS[dept] if (dept_wrong or rng.random() < 0.5) else None,
                "correct_urgency": URGENCIES[urg] if (urg_wrong or rng.random() < 0.5) else None,
                "reviewed": reviewed,
                "reviewed_at": base + dt.timedelta(days=30, minutes=3 * cid) if reviewed else None,
            }
            if not reviewed:
                counts["unreviewed"] += 1
            if not wrong:
                counts["prediction_equals_correction"] += 1
            if reviewed and rng.random() < 0.015:
                which = rng.choice(["department", "urgency"])
                review[f"correct_{which}"] = rng.choice(OUTSIDE_MAPPING[which])
                counts["outside_mapping"] += 1
            reviews.append(review)

    # Texts that clean to nothing, and pool complaints repeating a misclassified complaint's text.
    for row in rng.sample(complaints, 12):
        row["message"] = rng.choice(["<br/>", "https://bit.ly/x1", "<p> </p>\n www.example.org/a "])
        counts["empty_after_cleaning"] += 1
    reviewed_ids = {r["complaint_id"] for r in reviews}
    pool_rows = [c for c in complaints if c["id"] not in reviewed_ids]
    mis_rows = [c for c in complaints if c["id"] in reviewed_ids]
    for target, source in zip(rng.sample(pool_rows, 40), rng.sample(mis_rows, 40)):
        target["message"] = _noisy(rng, source["message"])
        counts["duplicate_texts"] += 1
    # Reviews that name no complaint (NULL complaint_id) and complaints reviewed twice.
    for i in range(25):
        dept, urg = rng.randrange(4), rng.randrange(3)
        reviews.append(
            {
                "complaint_id": None,
                "model_predicted_department": DEPARTMENTS[_other(rng, dept, 4)],
                "model_predicted_urgency": URGENCIES[_other(rng, urg, 3)],
                "correct_department": DEPARTMENTS[dept],
                "correct_urgency": URGENCIES[urg],
                "reviewed": True,
                "reviewed_at": base + dt.timedelta(days=40, minutes=i),
            }
        )
        counts["null_complaint_id"] += 1
    for review in rng.sample([r for r in reviews if r["reviewed"] and r["complaint_id"]], 8):
        reviews.append({**review, "reviewed_at": review["reviewed_at"] + dt.timedelta(days=2)})
        counts["repeated_reviews"] += 1

    rng.shuffle(reviews)
    for i, review in enumerate(reviews, start=1):
        review["id"] = i
    counts["reviews"] = len(reviews)
    gold = _gold_rows(random.Random(seed + 1), truth, min(300, n // 20) if n_gold is None else n_gold, base)
    counts["gold"] = len(gold)
    with engine.begin() as conn:
        conn.execute(sa.insert(db.complaints), complaints)
        conn.execute(sa.insert(db.misclassified_complaints), reviews)
        if gold:
            conn.execute(sa.insert(db.gold_labels), gold)
    return counts


def _gold_rows(rng: random.Random, truth: list[tuple[int, int]], n: int, base: dt.datetime) -> list[dict]:
    """A uniform random sample of complaints with their true labels (what a blind labeller would give)."""
    chosen = sorted(rng.sample(range(1, len(truth) + 1), min(n, len(truth))))
    return [
        {
            "complaint_id": cid,
            "department": DEPARTMENTS[truth[cid - 1][0]],
            "urgency": URGENCIES[truth[cid - 1][1]],
            "reviewer": DEMO_GOLD_LABELLER,
            "labelled_at": base + dt.timedelta(days=35, minutes=i),
        }
        for i, cid in enumerate(chosen)
    ]
