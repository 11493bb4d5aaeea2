"""Label mappings of the production classifier (DESIGN.md); order = ClassLabel id order."""

from __future__ import annotations

LABEL_MAPPINGS: dict[str, dict[str, int]] = {
    "department": {
        "Municipal Governance & Community Services": 0,
        "Education, Health & Social Welfare": 1,
        "Infrastructure, Utilities & Natural Resources": 2,
        "Security & Law Enforcement": 3,
    },
    "urgency": {"NORMAL": 0, "URGENT": 1, "HIGHLY URGENT": 2},
}

LABELS: tuple[str, ...] = tuple(LABEL_MAPPINGS)


def label_names(label: str) -> list[str]:
    mapping = LABEL_MAPPINGS[label]
    return sorted(mapping, key=mapping.__getitem__)
