"""Where the values are on a form page: the candidate/party table grid and the printed labels above it.

Fields are found by the page's own structure — the ruled table (its long horizontal and vertical
lines) and the printed labels Tesseract reads in Thai — never by fixed pixel positions, so a scan
that is shifted, scaled or cropped differently still reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


# how far (px at 200 dpi) a rule may drift across itself locally, and a vertical rule sideways over the table
TILT_PX = 3
RULE_DRIFT_PX = 7


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass
class Table:
    """A ruled table: column edges (x) and row edges (y); ``merged[i]`` when row i has no inner
    vertical rule left of the value column (the total row ``รวมคะแนนทั้งสิ้น``, or the header)."""

    xs: list[int]
    ys: list[int]
    merged: list[bool] = field(default_factory=list)

    @property
    def box(self) -> Box:
        return Box(self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])

    def cell(self, row: int, col: int) -> Box:
        return Box(self.xs[col], self.ys[row], self.xs[col + 1], self.ys[row + 1])

    @property
    def rows(self) -> int:
        return len(self.ys) - 1


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark pixels (ink, printed or handwritten) as uint8 0/255, robust to shadows and colour casts."""
    import cv2

    block = max(15, (gray.shape[1] // 40) | 1)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)


def _line_positions(profile: np.ndarray, min_count: float, gap: int = 4) -> list[int]:
    """Centres of runs of indexes whose profile value is at least min_count."""
    import numpy as np

    idx = np.flatnonzero(profile >= min_count)
    if idx.size == 0:
        return []
    groups = np.split(idx, np.flatnonzero(np.diff(idx) > gap) + 1)
    return [int(g.mean()) for g in groups]


def deskew(gray: np.ndarray) -> np.ndarray:
    """The page rotated so its text lines and table rules are horizontal (phone scans are tilted)."""
    import cv2
    import numpy as np

    from dataset_platform.forms.ocr import estimate_skew

    ink = ink_mask(gray) > 0
    if ink.mean() < 1e-4:
        return gray
    angle = estimate_skew(ink)
    if abs(angle) < 0.1:
        return gray
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255).astype(np.uint8)


def _extent(mask_rows: np.ndarray) -> tuple[int, int]:
    import numpy as np

    cols = np.flatnonzero(mask_rows.any(axis=0))
    return int(cols.min()), int(cols.max())


def _largest_run(ys: list[int]) -> list[int]:
    """The longest run of rules without a gap much wider than a row (a line above the table is not in it)."""
    import numpy as np

    if len(ys) < 3:
        return ys
    gaps = np.diff(ys)
    limit = 3 * float(np.median(gaps))
    runs, current = [], [ys[0]]
    for y, gap in zip(ys[1:], gaps):
        if gap > limit:
            runs.append(current)
            current = []
        current.append(y)
    runs.append(current)
    return max(runs, key=len)


def find_table(gray: np.ndarray) -> Table | None:
    """The page's main ruled table, or None when the page has none (e.g. a signature page).

    The table is the largest set of long horizontal rules sharing one left and right end (a scan's
    dark border or a stray line does not share them); its columns are the vertical rules that run
    down most of it between those ends.
    """
    import cv2
    import numpy as np

    ink = ink_mask(gray)
    h, w = ink.shape
    # a scan is not flat after deskewing (a curved or photographed page): rules drift a few pixels over
    # their length, so the ink is thickened across a rule before it is opened along it
    horiz = cv2.morphologyEx(
        cv2.dilate(ink, np.ones((TILT_PX, 1), np.uint8)),
        cv2.MORPH_OPEN,
        cv2.getStructuringElement(cv2.MORPH_RECT, (w // 8, 1)),
    )
    horiz = cv2.dilate(horiz, np.ones((7, 1), np.uint8))
    vert = cv2.morphologyEx(
        cv2.dilate(ink, np.ones((1, TILT_PX), np.uint8)),
        cv2.MORPH_OPEN,
        cv2.getStructuringElement(cv2.MORPH_RECT, (1, h // 40)),
    )
    # a vertical rule's pieces are counted together when they drift up to RULE_DRIFT_PX sideways down the table
    vert = cv2.dilate(vert, np.ones((1, 2 * RULE_DRIFT_PX + 1), np.uint8))
    lines = []
    for y in _line_positions((horiz > 0).sum(axis=1), 0.3 * w):
        band = horiz[max(0, y - 3) : y + 4] > 0
        x0, x1 = _extent(band)
        lines.append((y, x0, x1))
    tol = 0.03 * w
    long = [ln for ln in lines if ln[2] - ln[1] >= 0.5 * w]
    if len(long) < 3:
        return None
    # rules break where the scan is faint, so ends vary: the table's ends are the typical ones
    left = int(np.median([ln[1] for ln in long]))
    right = int(np.percentile([ln[2] for ln in long], 75))
    inside = [
        ln for ln in lines if ln[1] >= left - tol and ln[2] <= right + tol and ln[2] - ln[1] >= 0.5 * (right - left)
    ]
    ys = _largest_run(sorted(ln[0] for ln in inside))
    if len(ys) < 3:
        return None
    top, bottom = ys[0], ys[-1]
    column_share = (vert[top:bottom] > 0).mean(axis=0)
    xs = [x for x in _line_positions(column_share, 0.5) if left - tol <= x <= right + tol]
    xs = [x for x in xs if x - left > 0.02 * w and right - x > 0.02 * w]  # the ends are left/right themselves
    xs = [left, *xs, right]
    if len(xs) < 3:
        return None
    table = Table(xs=xs, ys=ys)
    # a row is merged when the first inner rule does not cross it (checked in its middle half)
    inner = xs[1]
    for r in range(table.rows):
        y0, y1 = ys[r], ys[r + 1]
        q = (y1 - y0) // 4
        band = vert[y0 + q : y1 - q, max(0, inner - 10) : inner + 11] > 0
        table.merged.append(bool(band.any(axis=1).mean() < 0.5))
    return table
