"""Handwritten digits on a crop: the PP-OCR recogniser (ONNX) that ships inside the ``rapidocr`` wheel.

The model files are passed by path from the installed package, so rapidocr never reaches for its
download URLs; `bundled_models` fails loudly if a file is missing instead of fetching it.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# the wheel's default (PP-OCRv6 small) models; rapidocr's config names them the same way
MODEL_FILES = {
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
    "Cls.model_path": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
# what a hand-written zero looks like to the recogniser: a dash, a long stroke
_ZERO_MARKS = re.compile(r"^[\-–—_~一=]+$")
_THAI_TO_ARABIC = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# letters the recogniser confuses with digits in handwriting (only where a digit is expected)
_DIGIT_LOOKALIKES = str.maketrans(
    {
        "A": "4",
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "l": "1",
        "I": "1",
        "|": "1",
        "Z": "2",
        "z": "2",
        "S": "5",
        "s": "5",
        "b": "6",
        "B": "8",
        "g": "9",
        "q": "9",
    }
)

_engine: Any = None
_engine_lock = threading.Lock()


class RecogniserUnavailable(RuntimeError):
    """rapidocr/onnxruntime is not installed or its bundled model files are missing."""


def bundled_models() -> dict[str, str]:
    """Paths of the model files inside the installed rapidocr package (nothing is downloaded)."""
    try:
        import rapidocr
    except ImportError as exc:
        raise RecogniserUnavailable(f"rapidocr is not installed ({exc})") from None
    root = Path(rapidocr.__file__).parent / "models"
    paths = {key: root / name for key, name in MODEL_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise RecogniserUnavailable(f"rapidocr's bundled models are missing: {', '.join(missing)}")
    return {key: str(p) for key, p in paths.items()}


def engine() -> Any:
    """One recogniser per process, single-threaded (the process pool gives the parallelism)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:
                raise RecogniserUnavailable(f"rapidocr is not installed ({exc})") from None
            params = {
                **bundled_models(),
                "Global.log_level": "error",
                "EngineConfig.onnxruntime.intra_op_num_threads": int(os.environ.get("OFFLINE_OCR_THREADS", "1")),
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
            _engine = RapidOCR(params=params)
        return _engine


@dataclass(frozen=True)
class Reading:
    """What the recogniser saw in a value crop: raw text, the number in it (None if none) and confidence."""

    text: str
    value: int | None
    score: float
    blank: bool = False
    # other numbers the same ink was read as (another crop of it): arithmetic may choose among them
    alternatives: tuple[int, ...] = ()


def recognise_text(crop: np.ndarray) -> tuple[str, float]:
    """Text and confidence of one line image (RGB or gray), recogniser only (no detection)."""
    import numpy as np

    if crop.ndim == 2:
        crop = np.stack([crop] * 3, axis=-1)
    out = engine()(crop, use_det=False, use_cls=False, use_rec=True)
    txts = list(getattr(out, "txts", None) or [])
    scores = list(getattr(out, "scores", None) or [])
    if not txts:
        return "", 0.0
    return str(txts[0]), float(scores[0]) if scores else 0.0


def leading_number(text: str) -> int | None:
    """The number a value crop starts with: digits (Arabic or Thai), ``-`` alone for zero.

    Only the first run of digits counts: what follows (the bracketed number words, dots) is not
    part of it. A lookalike letter is read as a digit only inside a run of digits.
    """
    text = text.translate(_THAI_TO_ARABIC).strip().strip(".,:;'\"`").strip()
    if not text:
        return None
    if _ZERO_MARKS.match(text.replace(" ", "")):
        return 0
    match = re.match(r"^[^\w(]*([0-9AOoDQlIZzSsbBgq|]*[0-9][0-9AOoDQlIZzSsbBgq|,]*)", text)
    if not match:
        # one lookalike letter alone (a handwritten 9 read as g) counts only as a whole token
        single = re.match(r"^[^\w(]*([AbgqOoZzSs])(?:$|[\s(.])", text)
        return int(single.group(1).translate(_DIGIT_LOOKALIKES)) if single else None
    run = match.group(1).rstrip(",").translate(_DIGIT_LOOKALIKES).replace(",", "")
    # a lookalike letter at either end is more likely a stray stroke than a digit
    return int(run) if run.isdigit() else None
