"""What each label's retraining run is allowed to publish: PII policy and size gate (DESIGN.md).

Resolved once, when the pull runs (run config, else the defaults below), and recorded with the pull, so
cleaning, the quality gate and publishing of that run all apply the same policy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from dataset_platform.common import settings

PII_POLICIES = ("mask", "drop", "block")
DEFAULT_MIN_PER_CLASS = 10
# New reviewed rows (misclassified or confirmed) needed since the published version before a new one is
# published: a weekly run over an unchanged review queue only re-samples, and that is no new information.
DEFAULT_MIN_NEW_REVIEWS = 10


@dataclass(frozen=True)
class LabelPolicy:
    pii: str = "mask"
    min_records: int = field(default_factory=settings.min_dataset_len)
    min_per_class: int = DEFAULT_MIN_PER_CLASS
    min_new_reviews: int = DEFAULT_MIN_NEW_REVIEWS

    def __post_init__(self) -> None:
        if self.pii not in PII_POLICIES:
            raise ValueError(f"PII policy {self.pii!r}: expected one of {', '.join(PII_POLICIES)}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> LabelPolicy:
        return cls(**{k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__})
