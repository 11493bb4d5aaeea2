"""Quality checks, PII validators (Luhn, Thai ID checksum), score weights, schemas, plot, the gate (no DB)."""

from __future__ import annotations

import pandas as pd
import pytest

from dataset_platform.common.pii import luhn_valid, scan_column, thai_id_valid
from dataset_platform.retraining import plots, quality, schemas
from dataset_platform.retraining.policy import LabelPolicy
from dataset_platform.retraining.quality import run_quality_checks
from dataset_platform.retraining.report import Finding, QualityReport


def find_pii(texts):
    """(row, kind, masked) triples, the shape these table-driven tests compare."""
    return [(pos, m.kind, m.masked) for pos, matches in scan_column(list(texts)).rows.items() for m in matches]


NAMES = ["NORMAL", "URGENT", "HIGHLY URGENT"]


@pytest.mark.parametrize(
    "number, valid",
    [
        ("4111 1111 1111 1111", True),
        ("5500-0000-0000-0004", True),
        ("378282246310005", True),
        ("4111 1111 1111 1112", False),
        ("1234567812345678", False),
    ],
)
def test_luhn(number, valid):
    assert luhn_valid(number) is valid


@pytest.mark.parametrize(
    "number, valid",
    [
        ("1101700230708", True),
        ("1-1017-00230-70-8", True),
        ("3100600445128", False),
        ("1101700230709", False),
        ("0101700230708", False),
        ("110170023070", False),
    ],
)
def test_thai_national_id_checksum(number, valid):
    assert thai_id_valid(number) is valid


@pytest.mark.parametrize(
    "text, kind",
    [
        ("ติดต่อ somchai.j@example.co.th ได้เลย", "email"),
        ("โทร 081-234-5678 ด่วน", "phone"),
        ("โทร0812345678", "phone"),
        ("call +66 2 123 4567", "phone"),
        ("mero number 9812345678 ho", "phone"),
        ("card 4111 1111 1111 1111 stolen", "credit_card"),
        ("บัตรประชาชน 1-1017-00230-70-8", "thai_national_id"),
        ("router at 192.168.10.254 is down", "ip_address"),
        ("host 2001:db8::ff00:42:8329 down", "ipv6_address"),
    ],
)
def test_pii_detected(text, kind):
    assert [k for _, k, _ in find_pii([text])] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "ซอย 12 บ้านเลขที่ 45/3 ปี 2566 มา 3 วันแล้ว",
        "card 4111 1111 1111 1112 (fails Luhn)",
        "id 1101700230709 (bad checksum, 13 digits, fails Luhn)",
        "version 1.2.300.4 and 999.1.1.1",
        "meeting 10:30 ratio 3:1",
        "Namaste sir, ward 5 ma dhara ma pani aaudaina",
    ],
)
def test_no_pii_false_positives(text):
    assert find_pii([text]) == []


def test_pii_examples_are_masked():
    [(pos, kind, masked)] = find_pii(["x", "mail somchai.j@example.co.th"])
    assert pos == 1 and kind == "email" and "somchai" not in masked and masked.startswith("so")


def _splits(**overrides):
    base = {
        "train": pd.DataFrame(
            {
                "complaint_id": [1, 2, 3, 4, 5, 6],
                "grievance": [f"water cut in soi {i} today" for i in "abcdef"],
                "label": [0, 1, 2, 0, 1, 2],
                "source": ["correct"] * 6,
            }
        ),
        "eval": pd.DataFrame(
            {
                "complaint_id": [7, 8, 9],
                "grievance": ["road broken", "lamp off", "dogs barking"],
                "label": [0, 1, 2],
                "source": ["misclassified"] * 3,
            }
        ),
        "test": pd.DataFrame(
            {
                "complaint_id": [10, 11, 12],
                "grievance": ["garbage", "school closed", "theft at night"],
                "label": [0, 1, 2],
                "source": ["misclassified"] * 3,
            }
        ),
    }
    base.update(overrides)
    return base


def test_clean_splits_score_100():
    report = run_quality_checks(_splits(), label_names=NAMES, schema=schemas.split_schema(NAMES))
    assert report.score == 100.0
    assert [f.check for f in report.findings if not f.passed] == []
    assert report.label_distribution["eval"] == {"NORMAL": 1, "URGENT": 1, "HIGHLY URGENT": 1}


def test_each_problem_is_found_with_count_and_examples():
    bad_train = pd.DataFrame(
        {
            "complaint_id": [1, 2, 3, 4, 5, 6],
            "grievance": ["road broken", "Road broken!", "x", "ok text  here", "mail me a@b.co", "bad \ufffd char"],
            "label": [0, 1, 7, 0, 1, 2],
            "source": ["correct"] * 6,
        }
    )
    report = run_quality_checks(_splits(train=bad_train), label_names=NAMES, schema=schemas.split_schema(NAMES))
    failed = {f.check: f for f in report.findings if not f.passed}
    assert set(failed) >= {
        "schema",
        "invalid_labels",
        "leakage",
        "near_duplicates",
        "pii",
        "encoding_anomalies",
        "length_outliers",
    }
    assert failed["leakage"].count == 1 and failed["leakage"].examples == ["road broken"]
    assert failed["invalid_labels"].examples == ["7"]
    assert failed["pii"].count == 1 and "a@b.co" not in str(failed["pii"].examples)
    assert [f.check for f in quality.blocking_failures(report)] == ["leakage", "pii"]
    assert report.score < 60


def test_score_weights_by_severity():
    findings = [Finding(check="a", severity="critical", passed=False), Finding(check="b", severity="low", passed=True)]
    assert QualityReport(1, findings, {}).score == pytest.approx(100 * 0.1 / 1.1, abs=0.01)
    findings = [
        Finding(check="a", severity="medium", passed=False, affected_share=0.5),
        Finding(check="b", severity="high", passed=True),
    ]
    assert QualityReport(1, findings, {}).score == pytest.approx(100 * (0.2 + 0.7) / 1.1, abs=0.01)


def test_drift_against_previous_version():
    report = run_quality_checks(
        _splits(), label_names=NAMES, previous_label_counts={"NORMAL": 90, "URGENT": 5, "HIGHLY URGENT": 5}
    )
    drift = report.finding("label_drift")
    assert not drift.passed and "total variation distance" in drift.detail
    report = run_quality_checks(
        _splits(), label_names=NAMES, previous_label_counts={"NORMAL": 4, "URGENT": 4, "HIGHLY URGENT": 4}
    )
    assert report.finding("label_drift").passed


def test_usable_on_any_dataframe_with_string_labels():
    df = pd.DataFrame({"text": ["hello", "hello", None, "call 081-234-5678"], "category": ["a", "b", "a", "zz"]})
    report = run_quality_checks(df, text_col="text", label_col="category", label_names=["a", "b"])
    failed = {f.check: f.count for f in report.findings if not f.passed}
    assert failed == {"missing_values": 1, "invalid_labels": 1, "exact_duplicates": 1, "pii": 1}
    assert report.finding("leakage") is None  # needs splits


def test_pull_schema_and_markdown_and_plot(tmp_path):
    pull_df = pd.DataFrame(
        {"complaint_id": [1, 2], "text": ["a", "b"], "label": ["URGENT", None], "source": ["correct", "oops"]}
    )
    finding = schemas.schema_finding(pull_df, schemas.pull_schema())
    assert not finding.passed and finding.count == 1 and "source" in finding.examples[0]
    report = run_quality_checks(_splits(), label_names=NAMES)
    md = report.to_markdown()
    assert "| check | severity | status | count | examples |" in md and "| NORMAL | 2 | 1 | 1 |" in md
    png = plots.plot_label_distribution(report, tmp_path / "dist.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_near_copies_keep_combining_marks():
    """कम (little) and काम (work) differ only by a vowel sign: stripping marks would call them copies."""
    from dataset_platform.retraining import near_copies

    keys = near_copies.normalize(["कम पानी आयो", "काम पानी आयो", "Road  broken!", "क्‍षेत्र"]).to_pylist()
    assert keys[0] != keys[1] and keys[2] == "road broken" and "\u200d" not in keys[3] and "्" in keys[3]
    df = pd.DataFrame({"text": ["कम पानी आयो", "काम पानी आयो"], "label": ["a", "a"]})
    report = run_quality_checks(df, text_col="text", label_col="label", label_names=["a"])
    assert report.finding("near_duplicates").passed


def test_near_copies_across_splits_and_against_gold_are_found():
    template = "Dear officer, the road is full of potholes on the main road {} please look into it"
    splits = _splits(
        train=pd.DataFrame(
            {
                "complaint_id": [1, 2, 3],
                "label": [0, 1, 2],
                "source": ["correct"] * 3,
                "grievance": [template.format("for 3 days"), "power cut all week", "tap water is brown"],
            }
        ),
        test=pd.DataFrame(
            {
                "complaint_id": [10, 11, 12],
                "label": [0, 1, 2],
                "source": ["misclassified"] * 3,
                "grievance": [template.format("for 2 days"), "school", "theft"],
            }
        ),
    )
    gold = pd.Series(["lamp off", "बिजुली गयो", "completely different sentence about water supply"])
    report = run_quality_checks(splits, label_names=NAMES, gold_texts=gold)
    near = report.finding("near_copies_across_splits")
    assert not near.passed and near.count == 1 and "≈ train" in near.examples[0]
    leak = report.finding("gold_leakage")
    assert not leak.passed and leak.count == 1
    assert "gold_leakage" in [f.check for f in quality.blocking_failures(report)]


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("प्रशासन\u200dको कार्यालय", False),
        ("क्\u200cष", False),
        ("می\u200cخواهم", False),
        ("👩\u200d💻 help", False),
        ("stray\u200bzero width", True),
        ("latin\u200djoiner", True),
        ("mojibake à¤•", True),
    ],
)
def test_encoding_accepts_joiners_in_indic_and_arabic_script(text, flagged):
    from dataset_platform.retraining.checks import encoding_anomalies

    assert (not encoding_anomalies(pd.Series([text])).empty) is flagged


def _gate(report, **kw):
    policy = LabelPolicy(**{"min_records": 10, "min_per_class": 2, "min_new_reviews": 5, **kw.pop("policy", {})})
    return quality.evaluate_gate(report, policy, **kw)


def test_gate_statuses_and_reasons():
    report = run_quality_checks(_splits(), label_names=NAMES)
    counts = {"NORMAL": 4, "URGENT": 4, "HIGHLY URGENT": 4}
    assert _gate(report, class_counts=counts, new_reviews=None).status == "ready"
    small = _gate(report, class_counts={**counts, "URGENT": 1}, new_reviews=None)
    assert small.status == "skipped_insufficient_data" and "classes below 2 records: URGENT: 1" in small.reasons[-1]
    assert not small.check_passed("enough_records") and small.check_passed("no_pii")
    total = _gate(report, class_counts=counts, new_reviews=None, policy={"min_records": 100})
    assert total.reasons == ["12 records < MIN_DATASET_LEN 100"]
    stale = _gate(report, class_counts=counts, new_reviews=3)
    assert stale.status == "skipped_no_new_reviews" and not stale.check_passed("enough_records")
    assert _gate(report, class_counts=counts, new_reviews=3, unchanged=True).status == "ready"
    leaky = run_quality_checks(_splits(test=_splits()["eval"]), label_names=NAMES)
    blocked = _gate(leaky, class_counts={**counts, "URGENT": 1}, new_reviews=None)
    assert blocked.status == "blocked" and not blocked.check_passed("no_text_shared_between_splits")
    assert not blocked.check_passed("enough_records") and blocked.check_passed("no_pii")


def test_decision_round_trips_and_a_missing_report_blocks(tmp_path):
    report = run_quality_checks(_splits(), label_names=NAMES)
    decision = _gate(report, class_counts={"NORMAL": 4, "URGENT": 4, "HIGHLY URGENT": 4}, new_reviews=None)
    path = quality.write_report(report, decision, tmp_path)
    assert quality.read_decision(path) == decision and "**Gate: ready**" in (tmp_path / "report.md").read_text()
    assert quality.read_report(path).score == report.score
    assert quality.read_decision(tmp_path / "missing.json").status == "blocked"
