"""Non-blocking checks on ``llm_extractions``: the form's four arithmetic rules (DESIGN.md consistency).

A broken rule flags a likely misread (phantom row, swapped or misread numeral) for review; it never
stops the ground truth from being built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from dataset_platform.forms.consistency import RULES, check_rules

MAX_LISTED = 20


def _rules(extraction: Mapping[str, Any]) -> dict[str, bool]:
    try:
        return check_rules(extraction)
    except ValueError:  # not a FormExtraction: breaks every rule
        return {rule: False for rule in RULES}


def evaluate_rule(rule: str, records: Mapping[str, Mapping[str, Any]]) -> dg.AssetCheckResult:
    """Whether ``rule`` holds on every successful extraction of ``records`` (form_set_id → ExtractionRecord dict)
    whose form kind it applies to (``ballot_balance`` is not checked on 5/16 and 5/17 batches)."""
    extracted = {k: r["extraction"] for k, r in records.items() if r.get("extraction") is not None}
    extracted = {k: e for k, e in extracted.items() if rule in _rules(e)}
    failing = sorted(k for k, e in extracted.items() if not _rules(e)[rule])
    holding = len(extracted) - len(failing)
    return dg.AssetCheckResult(
        check_name=rule,
        asset_key="llm_extractions",
        passed=not failing,
        severity=dg.AssetCheckSeverity.WARN,
        description=RULES[rule],
        metadata={
            "checked": len(extracted),
            "holding": holding,
            "pass_rate": holding / len(extracted) if extracted else 1.0,
            "failing_form_sets": ", ".join(failing[:MAX_LISTED]) + (" …" if len(failing) > MAX_LISTED else ""),
        },
    )


def _rule_check(rule: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset="llm_extractions", name=rule, description=RULES[rule], blocking=False)
    def _check() -> dg.AssetCheckResult:
        from dataset_platform.forms.ground_truth import load_extractions

        return evaluate_rule(rule, load_extractions())

    return _check


consistency_checks = [_rule_check(rule) for rule in RULES]
