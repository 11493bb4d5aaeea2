"""The quality report's data: findings, the weighted score, and their markdown rendering.

The quality score is 100 × Σ weight·pass / Σ weight over the checks run, with weights by severity
(critical 1.0, high 0.7, medium 0.4, low 0.1); a failed critical check passes 0, any other check
passes 1 − affected share.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from dataset_platform.common import markdown

SEVERITY_WEIGHTS = {"critical": 1.0, "high": 0.7, "medium": 0.4, "low": 0.1}
MAX_EXAMPLES = 5


@dataclass(kw_only=True)
class Finding:
    check: str
    severity: str
    passed: bool
    count: int = 0
    examples: list = field(default_factory=list)
    detail: str = ""
    affected_share: float = 0.0

    @property
    def pass_score(self) -> float:
        if self.passed:
            return 1.0
        if self.severity == "critical":
            return 0.0
        return max(0.0, 1.0 - self.affected_share)


@dataclass
class QualityReport:
    rows: int
    findings: list[Finding]
    label_distribution: dict[str, dict[str, int]]
    score: float = 0.0
    context: dict[str, Any] = field(default_factory=dict)  # policy, pull and cleaning counts, gate decision

    def __post_init__(self) -> None:
        total = sum(SEVERITY_WEIGHTS[f.severity] for f in self.findings)
        got = sum(SEVERITY_WEIGHTS[f.severity] * f.pass_score for f in self.findings)
        self.score = round(100.0 * got / total, 2) if total else 100.0

    def finding(self, check: str) -> Finding | None:
        return next((f for f in self.findings if f.check == check), None)

    def to_dict(self) -> dict:
        return {
            "rows": self.rows,
            "score": self.score,
            "findings": [asdict(f) for f in self.findings],
            "label_distribution": self.label_distribution,
            **self.context,
        }

    @classmethod
    def from_dict(cls, data: dict) -> QualityReport:
        known = {"rows", "score", "findings", "label_distribution"}
        return cls(
            rows=data["rows"],
            findings=[Finding(**f) for f in data["findings"]],
            label_distribution=data["label_distribution"],
            context={k: v for k, v in data.items() if k not in known},
        )

    def findings_markdown(self) -> str:
        rows = [
            [f.check, f.severity, "pass" if f.passed else "**FAIL**", f.count, "; ".join(map(md_cell, f.examples[:3]))]
            for f in self.findings
        ]
        return markdown.table(["check", "severity", "status", "count", "examples"], rows)

    def distribution_markdown(self) -> str:
        splits = list(self.label_distribution)
        classes = sorted({c for counts in self.label_distribution.values() for c in counts}, key=str)
        rows = [[c, *(self.label_distribution[s].get(c, 0) for s in splits)] for c in classes]
        return markdown.table(["label", *splits], rows)

    def to_markdown(self) -> str:
        gate = self.context.get("gate")
        head = ""
        if gate:
            reasons = "; ".join(gate.get("reasons") or []) or "all gates passed"
            head = f"**Gate: {gate['status']}** ({reasons})\n\n"
        return (
            f"{head}**Quality score: {self.score:.1f} / 100** over {self.rows} rows\n\n{self.findings_markdown()}\n\n"
            f"Label distribution per split:\n\n{self.distribution_markdown()}\n"
        )


md_cell = markdown.cell  # examples are stored escaped and cut, ready for a table


def examples(values) -> list:
    out = []
    for v in values:
        out.append(md_cell(v))
        if len(out) >= MAX_EXAMPLES:
            break
    return out
