"""A realistic grievance world for measuring retraining: Nepali (Devanagari and romanised) and English complaints,
an imperfect production classifier, human reviews and a blind gold sample. Used by bench/ and the tests.

What makes it realistic (and not a toy the reference model trivially solves):
- templates per sub-topic, written three ways, with openings, places, durations, urgency cues, typos,
  code-mixing, URLs and HTML; urgency cues are absent from a quarter of the texts (then only the sub-topic
  hints at urgency);
- the production classifier errs 30–50% of the time, mostly systematically on confusable sub-topics (a
  street light routed to municipal services, domestic violence to social welfare, no cue → NORMAL), more on
  Devanagari text, plus a little random noise;
- every production error is reviewed, about 10% of correct predictions are confirmed, reviewers and gold
  labellers make ~2% mistakes; the gold sample is random (not error-driven) and labelled blind.
No PII is generated (the PII policy is tested elsewhere).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.common.labels import label_names

DEPARTMENTS = label_names("department")
URGENCIES = label_names("urgency")
LANGS = ("ne", "rom", "en")
LANG_WEIGHTS = (0.4, 0.3, 0.3)

# (ne, romanised, en, production's confusion target or None, P(urgency = NORMAL, URGENT, HIGHLY URGENT))
SUBTOPICS: dict[int, list[tuple[str, str, str, int | None, tuple[float, float, float]]]] = {
    0: [
        ("फोहोर उठाउने गाडी आएन", "phohor uthaune gadi aayena", "the garbage truck did not come", None, (0.6, 0.3, 0.1)),
        ("सडकमा छाडा कुकुरले टोक्यो", "sadak ma chhada kukur le tokyo", "stray dogs bit a child", 3, (0.3, 0.4, 0.3)),
        (
            "घरको नक्सा पास गर्न धेरै ढिलो भयो",
            "ghar ko naksa pass garna dherai dhilo bhayo",
            "the building permit is delayed for months",
            None,
            (0.8, 0.2, 0.0),
        ),
        (
            "राति ठूलो आवाजमा गीत बजाउँछन्",
            "rati thulo aawaj ma geet bajauchhan",
            "loud music every night",
            3,
            (0.7, 0.3, 0.0),
        ),
        (
            "वडा कार्यालयले सिफारिस दिएन",
            "wada karyalaya le sifaris diyena",
            "the ward office refused a recommendation letter",
            None,
            (0.8, 0.2, 0.0),
        ),
        (
            "बजारको नालीबाट दुर्गन्ध आयो",
            "bazar ko nali bata durgandha aayo",
            "the market drain smells terrible",
            2,
            (0.6, 0.35, 0.05),
        ),
    ],
    1: [
        (
            "विद्यालयमा गणित शिक्षक छैनन्",
            "school ma ganit sikshak chhainan",
            "the school has no maths teacher",
            None,
            (0.7, 0.3, 0.0),
        ),
        (
            "अस्पतालमा लाइन धेरै लामो छ",
            "aspatal ma line dherai lamo chha",
            "the hospital queue takes all day",
            None,
            (0.5, 0.4, 0.1),
        ),
        ("वृद्ध भत्ता आएको छैन", "briddha bhatta aayeko chhaina", "the elderly allowance was not paid", 0, (0.5, 0.4, 0.1)),
        (
            "स्वास्थ्य चौकीमा औषधि सकियो",
            "swasthya chauki ma aausadhi sakiyo",
            "the health post ran out of medicine",
            None,
            (0.3, 0.5, 0.2),
        ),
        (
            "बिरामीलाई लिन एम्बुलेन्स आएन",
            "birami lai lina ambulance aayena",
            "no ambulance came for the patient",
            3,
            (0.1, 0.3, 0.6),
        ),
        (
            "विद्यालयको भवन चर्किएको छ",
            "school ko bhawan charkiyeko chha",
            "the school building has big cracks",
            2,
            (0.3, 0.4, 0.3),
        ),
    ],
    2: [
        ("सडकमा ठूला खाल्डा छन्", "sadak ma thula khalda chhan", "the road is full of potholes", None, (0.6, 0.3, 0.1)),
        ("धारामा पानी आउँदैन", "dhara ma pani audaina", "there is no tap water", None, (0.4, 0.4, 0.2)),
        ("टोलभरि बिजुली गयो", "tole bhari bijuli gayo", "the power is out in the whole area", None, (0.4, 0.4, 0.2)),
        ("सडक बत्ती बिग्रियो", "sadak batti bigriyo", "the street light is broken", 0, (0.7, 0.3, 0.0)),
        ("ढल थुनिएको छ", "dhal thuniyeko chha", "the sewer drain is blocked", 0, (0.5, 0.4, 0.1)),
        (
            "सामुदायिक वनमा रुख काटियो",
            "samudayik ban ma rukh katiyo",
            "trees are being cut illegally in the community forest",
            3,
            (0.5, 0.4, 0.1),
        ),
    ],
    3: [
        ("मोटरसाइकल चोरी भयो", "motorcycle chori bhayo", "a motorcycle was stolen", None, (0.4, 0.5, 0.1)),
        (
            "गल्लीमा लागूऔषध बेच्दैछन्",
            "galli ma lagu aushadh bechdai chhan",
            "drugs are being sold in the alley",
            None,
            (0.3, 0.5, 0.2),
        ),
        (
            "केटाहरू सडकमा झगडा गर्दैछन्",
            "keta haru sadak ma jhagada gardai chhan",
            "young men are fighting in the street",
            None,
            (0.2, 0.4, 0.4),
        ),
        ("जुवा खेल्ने अड्डा छ", "juwa khelne adda chha", "there is an illegal gambling den", 0, (0.6, 0.4, 0.0)),
        (
            "घरेलु हिंसा भइरहेको छ",
            "gharelu hinsa bhairaheko chha",
            "a woman is beaten by her husband every night",
            1,
            (0.1, 0.4, 0.5),
        ),
        (
            "विद्यालय नजिक तीव्र गतिमा गाडी चलाउँछन्",
            "school najik tibra gati ma gadi chalauchhan",
            "drivers speed recklessly near the school",
            2,
            (0.4, 0.4, 0.2),
        ),
    ],
}
CUES = {
    0: {
        "ne": ["कृपया हेरिदिनुहोला", "समय मिलेमा मिलाइदिनुहोला", "जानकारीका लागि"],
        "rom": ["kripaya herdinu hola", "samay milda milaunu hola", "jankari ko lagi"],
        "en": ["please look into it", "please fix it when possible", "just letting you know"],
    },
    1: {
        "ne": ["छिटो गरिदिनुहोस्", "तुरुन्त हेरिदिनुहोस्", "धेरै दुःख भयो"],
        "rom": ["chhito garidinu hola", "turunta herdinu", "dherai dukkha bhayo"],
        "en": ["please act quickly", "this needs urgent attention", "we are really suffering"],
    },
    2: {
        "ne": ["ज्यान जोखिममा छ", "मान्छे घाइते भए, अहिले नै आउनुहोस्", "आपतकालीन अवस्था"],
        "rom": ["jyan jokhim ma chha", "manche ghaite bhaye, ahile nai aaunus", "aapatkalin awastha"],
        "en": ["EMERGENCY, lives are at risk", "someone is injured, come now", "help immediately please"],
    },
}
PLACES = {
    "ne": [
        "काठमाडौं वडा ५ मा",
        "पोखरा लेकसाइडमा",
        "भक्तपुर दरबार अगाडि",
        "ललितपुरको टोलमा",
        "विराटनगर बजारमा",
        "चितवनको गाउँमा",
        "बुटवलमा",
        "धरानमा",
        "जनकपुरमा",
        "हेटौंडामा",
    ],
    "rom": [
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
        "in ward 5",
        "near the central market",
        "in our village",
        "behind the bus park",
        "next to the school",
        "in the riverside settlement",
        "on the main road",
        "near the district office",
        "in Lalitpur",
        "in Pokhara",
    ],
}
DURATIONS = {
    "ne": ["३ दिनदेखि", "हिजोदेखि", "एक महिना भयो", "हरेक रात", "दुई हप्ता भयो", "", ""],
    "rom": ["3 din dekhi", "hijo dekhi", "ek mahina bhayo", "har raati", "dui hapta bhayo", "", ""],
    "en": ["for 3 days", "since yesterday", "for a month now", "every night", "for two weeks", "", ""],
}
OPENINGS = {
    "ne": ["नमस्ते,", "गुनासो:", "हजुर,", "उजुरी:", ""],
    "rom": ["Namaste sir,", "Gunaso:", "Hajur,", "Ujuri:", ""],
    "en": ["Dear officer,", "Complaint:", "Hello,", "Reporting an issue:", ""],
}
MIXED_IN = ["please", "sir", "problem", "urgent", "help", "office", "ok"]
URLS = ["https://www.facebook.com/groups/ward5/posts/{n}", "http://bit.ly/{n}x", "www.hellosarkar.gov.np/{n}"]
T0 = dt.datetime(2026, 1, 5, 8, 0)
SECOND_ISSUE = 0.2
# Who handles a confusable sub-topic varies by municipality (not visible in the text): the true department is
# the production model's confusion target this often, which caps what any text classifier can reach.
AMBIGUOUS_TRUTH = 0.25


def _typo(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.choice([1, 1, 2])):
        i = rng.randrange(len(chars))
        op = rng.random()
        if op < 0.4:
            del chars[i]
        elif op < 0.7:
            chars.insert(i, chars[i])
        elif i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def _issue(dept: int, topic: int, lang: str) -> str:
    ne, rom, en = SUBTOPICS[dept][topic][:3]
    return {"ne": ne, "rom": rom, "en": en}[lang]


def message(rng: random.Random, dept: int, topic: int, urgency: int, lang: str, cue: bool) -> str:
    parts = [rng.choice(OPENINGS[lang]), _issue(dept, topic, lang), rng.choice(PLACES[lang])]
    parts.append(rng.choice(DURATIONS[lang]))
    if rng.random() < SECOND_ISSUE:  # citizens often add a second, minor problem from another department
        other = rng.choice([d for d in range(4) if d != dept])
        parts.insert(2, _issue(other, rng.randrange(len(SUBTOPICS[other])), lang))
    if cue:
        parts.append(rng.choice(CUES[urgency][lang]))
    if lang != "en" and rng.random() < 0.2:
        parts.insert(rng.randrange(1, len(parts) + 1), rng.choice(MIXED_IN))  # code-mixing
    text = " ".join(p for p in parts if p)
    if rng.random() < 0.3:
        text = _typo(rng, text)
    if rng.random() < 0.15:
        text += " " + rng.choice(URLS).format(n=rng.randint(10, 99999))
    if rng.random() < 0.1:
        text = rng.choice(["<p>{}</p>", "{}<br>", "<b>{}</b>"]).format(text)
    if rng.random() < 0.15:
        text = text.replace(" ", rng.choice(["\n", "  ", "\r\n"]), 1)
    return text


def _production(rng: random.Random, dept: int, topic: int, urgency: int, lang: str, cue: bool) -> tuple[int, int]:
    """The production model: systematic confusions on confusable sub-topics, weaker on Devanagari, some noise."""
    target = SUBTOPICS[dept][topic][3]
    weak = 0.12 if lang == "ne" else 0.0
    pred_dept = dept
    if target is not None and rng.random() < 0.45 + weak:
        pred_dept = target
    elif rng.random() < 0.06 + weak:
        pred_dept = rng.choice([d for d in range(4) if d != dept])
    if not cue:
        pred_urg = 0 if rng.random() < 0.85 else 1  # no cue → it guesses NORMAL
    elif urgency == 2:
        pred_urg = 1 if rng.random() < 0.35 + weak else 2
    elif urgency == 1:
        pred_urg = 0 if rng.random() < 0.3 + weak else 1
    else:
        pred_urg = 1 if rng.random() < 0.1 else 0
    return pred_dept, pred_urg


def _noisy_label(rng: random.Random, value: int, n: int, rate: float = 0.02) -> int:
    return rng.choice([v for v in range(n) if v != value]) if rng.random() < rate else value


@dataclass
class World:
    """complaints: id, message, true/pred department and urgency ids, lang, week, created_at.
    reviews: complaint_id, predicted and corrected ids per label, reviewed_at (every error of a reviewed week,
    ~10% of correct predictions). gold: complaint_id, department, urgency (blind labels). base: labelled
    records of the production model's original training set (ids ≥ 10_000_000)."""

    complaints: pd.DataFrame
    reviews: pd.DataFrame
    gold: pd.DataFrame
    base: pd.DataFrame

    def error_rate(self, label: str) -> float:
        c = self.complaints
        return float((c[f"true_{label}"] != c[f"pred_{label}"]).mean())


def _draw(rng: random.Random, n: int, first_id: int, weeks: int) -> list[dict]:
    rows = []
    for i in range(n):
        dept = rng.choices(range(4), weights=[0.3, 0.25, 0.3, 0.15])[0]
        topic = rng.randrange(len(SUBTOPICS[dept]))
        urgency = rng.choices(range(3), weights=SUBTOPICS[dept][topic][4])[0]
        target = SUBTOPICS[dept][topic][3]
        written_as = dept
        if target is not None and rng.random() < AMBIGUOUS_TRUTH:
            dept = target
        lang = rng.choices(LANGS, weights=LANG_WEIGHTS)[0]
        cue = rng.random() < 0.7
        pred_dept, pred_urg = _production(rng, written_as, topic, urgency, lang, cue)
        week = 1 + i * weeks // max(n, 1)
        rows.append(
            {
                "id": first_id + i,
                "message": message(rng, written_as, topic, urgency, lang, cue),
                "true_department": dept,
                "true_urgency": urgency,
                "pred_department": pred_dept,
                "pred_urgency": pred_urg,
                "lang": lang,
                "week": week,
                "created_at": T0 + dt.timedelta(days=7 * (week - 1), minutes=i % 10_000),
            }
        )
    return rows


def simulate(
    n: int = 6000,
    seed: int = 11,
    weeks: int = 4,
    reviewed_weeks: int | None = None,
    gold_n: int = 500,
    confirm_rate: float = 0.10,
    base_n: int = 1500,
) -> World:
    """Complaints over ``weeks`` weeks; the complaints of the first ``reviewed_weeks`` (default: all) are reviewed.

    Gold is a random sample of all complaints, labelled blind; gold complaints get no review row.
    """
    rng = random.Random(seed)
    reviewed_weeks = weeks if reviewed_weeks is None else reviewed_weeks
    complaints = pd.DataFrame(_draw(rng, n, 1, weeks))
    gold_ids = set(rng.sample(list(complaints["id"]), min(gold_n, n)))
    gold = pd.DataFrame(
        [
            {
                "complaint_id": int(r.id),
                "department": _noisy_label(rng, r.true_department, 4),
                "urgency": _noisy_label(rng, r.true_urgency, 3),
            }
            for r in complaints.itertuples()
            if r.id in gold_ids
        ],
        columns=["complaint_id", "department", "urgency"],
    )
    reviews = []
    for r in complaints.itertuples():
        if r.week > reviewed_weeks or r.id in gold_ids:
            continue
        wrong = r.pred_department != r.true_department or r.pred_urgency != r.true_urgency
        if wrong or rng.random() < confirm_rate:
            reviews.append(
                {
                    "complaint_id": int(r.id),
                    "predicted_department": r.pred_department,
                    "predicted_urgency": r.pred_urgency,
                    "correct_department": _noisy_label(rng, r.true_department, 4),
                    "correct_urgency": _noisy_label(rng, r.true_urgency, 3),
                    "reviewed_at": r.created_at + dt.timedelta(days=3),
                }
            )
    base = pd.DataFrame(_draw(random.Random(seed + 1), base_n, 10_000_000, 1))
    return World(complaints, pd.DataFrame(reviews), gold, base)


def seed_database(engine: sa.Engine, world: World, *, with_gold: bool = True) -> None:
    """Write the world into the review database (complaints, reviewed misclassified_complaints rows, gold_labels).

    Review ids come from the database (its sequence on Postgres), so the app can append reviews afterwards.
    """
    db.ensure_schema(engine)
    c = world.complaints
    complaints = [
        {
            "id": int(r.id),
            "message": r.message,
            "department": DEPARTMENTS[r.pred_department],
            "urgency": URGENCIES[r.pred_urgency],
            "created_at": r.created_at,
        }
        for r in c.itertuples()
    ]
    reviews = [
        {
            "complaint_id": int(r.complaint_id),
            "model_predicted_department": DEPARTMENTS[r.predicted_department],
            "model_predicted_urgency": URGENCIES[r.predicted_urgency],
            "correct_department": DEPARTMENTS[r.correct_department],
            "correct_urgency": URGENCIES[r.correct_urgency],
            "reviewed": True,
            "reviewed_at": r.reviewed_at,
            "reviewer": "simulation",
        }
        for r in world.reviews.itertuples()
    ]
    gold = [
        {
            "complaint_id": int(r.complaint_id),
            "department": DEPARTMENTS[r.department],
            "urgency": URGENCIES[r.urgency],
            "reviewer": "simulation",
            "labelled_at": T0 + dt.timedelta(days=60),
        }
        for r in world.gold.itertuples()
    ]
    with engine.begin() as conn:
        for start in range(0, len(complaints), 5_000):
            conn.execute(sa.insert(db.complaints), complaints[start : start + 5_000])
        if reviews:
            conn.execute(sa.insert(db.misclassified_complaints), reviews)
        if gold and with_gold:
            conn.execute(sa.insert(db.gold_labels), gold)


def recipe_records(
    world: World,
    label: str,
    *,
    through_week: int,
    confirmations: bool,
    base: bool,
    correct_ratio: float = 0.5,
    seed: int = 42,
) -> pd.DataFrame:
    """The records a pull of DESIGN's retraining semantics yields from the reviews up to ``through_week``.

    misclassified + floor(n × correct_ratio) correct records (confirmed ones first when ``confirmations``, then
    unreviewed complaints by the production label, sampled reproducibly), + the base set when ``base``;
    gold complaints held out. Columns: complaint_id, text, label (name), source.
    """
    names = label_names(label)
    c = world.complaints[world.complaints["week"] <= through_week]
    gold_ids = set(world.gold["complaint_id"])
    reviews = world.reviews[world.reviews["complaint_id"].isin(c["id"])]
    text = dict(zip(c["id"], c["message"]))
    mis = reviews[reviews[f"predicted_{label}"] != reviews[f"correct_{label}"]]
    conf = reviews[reviews[f"predicted_{label}"] == reviews[f"correct_{label}"]]
    rows = [
        (int(r.complaint_id), text[r.complaint_id], names[getattr(r, f"correct_{label}")], "misclassified")
        for r in mis.itertuples()
    ]
    n_correct = int(len(mis) * correct_ratio)
    chosen: list[tuple] = []
    if confirmations:
        conf = conf.sort_values("complaint_id")
        take = conf.sample(n=min(n_correct, len(conf)), random_state=seed) if len(conf) else conf
        chosen = [
            (int(r.complaint_id), text[r.complaint_id], names[getattr(r, f"correct_{label}")], "confirmed")
            for r in take.itertuples()
        ]
    reviewed = set(reviews["complaint_id"])
    pool = c[~c["id"].isin(reviewed) & ~c["id"].isin(gold_ids)].sort_values("id")
    rest = n_correct - len(chosen)
    if rest > 0 and len(pool):
        take = pool.sample(n=min(rest, len(pool)), random_state=seed)
        chosen += [(int(r.id), r.message, names[getattr(r, f"pred_{label}")], "correct") for r in take.itertuples()]
    rows += chosen
    if base:
        rows += [(int(r.id), r.message, names[getattr(r, f"true_{label}")], "base") for r in world.base.itertuples()]
    return pd.DataFrame(rows, columns=["complaint_id", "text", "label", "source"])


def production_error_mask(world: World, ids: np.ndarray) -> np.ndarray:
    """True where the production model got department or urgency wrong, for the complaints ``ids``."""
    c = world.complaints.set_index("id").loc[ids]
    return ((c["pred_department"] != c["true_department"]) | (c["pred_urgency"] != c["true_urgency"])).to_numpy()
