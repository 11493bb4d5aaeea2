"""Offline reading of REAL handwritten ECT count forms: `offline` vs `tesseract` side by side.

    python bench/real_forms.py [--quick] [--split dev|heldout|all]

Ground truth is transcribed by eye into bench/real_forms/truth/<scan stem>.json (each with its split:
``dev`` = the forms the reader was developed on, ``heldout`` = forms only measured, never tuned on).
Scans are read from $REAL_FORMS_DIR or ../shared/real-forms (a PDF ``<stem>.pdf`` or a folder
``<stem>/`` of page images). Every PDF page is rendered once to PNG (200 dpi) and both models read the
same form-set folders through `extract_form_sets` (2 worker processes, a fresh cache: no cache hits).

Figures per model and split: vote accuracy (candidates whose vote_count is right / all candidates),
ballot accuracy (the 6 ballot fields), precision of returned numbers (non-null numbers that are right /
non-null numbers returned, over ballot, voter and vote fields), share of those fields abstained (None),
share listed in uncertain_fields, and pages/s; the same figures per form kind (the truth's form_type) within
each split. Writes bench/results/real_forms.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HERE = Path(__file__).resolve().parent
TRUTH_DIR = HERE / "real_forms" / "truth"
MODELS = ("offline", "tesseract")
NUMBER_SECTIONS = ("voter_statistics", "ballot_statistics")
PDF_DPI = 200


def scans_dir() -> Path:
    """$REAL_FORMS_DIR, else ../shared/real-forms beside the repository (or beside its worktree folder)."""
    if os.environ.get("REAL_FORMS_DIR"):
        return Path(os.environ["REAL_FORMS_DIR"])
    repo = HERE.parent
    candidates = [repo.parent / "shared" / "real-forms", repo.parent.parent / "shared" / "real-forms"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def load_truths(split: str) -> dict[str, dict[str, Any]]:
    truths = {}
    for path in sorted(TRUTH_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if split in ("all", data["split"]):
            truths[path.stem] = data
    return truths


def materialise(stem: str, scans: Path, out: Path) -> int:
    """The scan as a form-set folder of PNG pages; returns the page count (0 when the scan is absent)."""
    import pypdfium2 as pdfium

    folder = out / stem
    folder.mkdir(parents=True, exist_ok=True)
    pdf_path, dir_path = scans / f"{stem}.pdf", scans / stem
    if pdf_path.is_file():
        pdf = pdfium.PdfDocument(str(pdf_path))
        for i in range(len(pdf)):
            pdf[i].render(scale=PDF_DPI / 72).to_pil().convert("RGB").save(folder / f"page_{i + 1:02d}.png")
        count = len(pdf)
        pdf.close()
        return count
    if dir_path.is_dir():
        pages = sorted(p for p in dir_path.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        for i, page in enumerate(pages, start=1):
            (folder / f"page_{i:02d}{page.suffix.lower()}").write_bytes(page.read_bytes())
        return len(pages)
    return 0


def numbers(extraction: dict[str, Any] | None) -> dict[str, Any]:
    """path → number for every numeric field scored (voter, ballot, vote counts keyed by number)."""
    out: dict[str, Any] = {}
    extraction = extraction or {}
    for section in NUMBER_SECTIONS:
        for name, value in (extraction.get(section) or {}).items():
            out[f"{section}.{name}"] = value
    for row in extraction.get("vote_results") or []:
        out[f"vote[{row['candidate_number']}]"] = row.get("vote_count")
    return out


def score(predicted: dict[str, Any] | None, truth: dict[str, Any], uncertain: list[str]) -> dict[str, Any]:
    """Counts for one form set; only fields the form kind has (truth not None) are scored."""
    p, e = numbers(predicted), numbers(truth)
    keys = [k for k, v in e.items() if v is not None]
    votes = [k for k in keys if k.startswith("vote[")]
    # a predicted candidate the truth does not have is a wrong returned number
    extra = [k for k, v in p.items() if k.startswith("vote[") and k not in e and v is not None]
    ballots = [f"ballot_statistics.{n}" for n in (truth.get("ballot_statistics") or {})]
    returned = [k for k in keys if p.get(k) is not None] + extra
    return {
        "votes": len(votes) + len(extra),
        "votes_right": sum(p.get(k) == e[k] for k in votes),
        "ballots": len(ballots),
        "ballots_right": sum(p.get(k) == e.get(k) for k in ballots),
        "fields": len(keys),
        "abstained": sum(p.get(k) is None for k in keys),
        "returned": len(returned),
        "returned_right": sum(p.get(k) == e.get(k) for k in returned),
        "uncertain": len(uncertain),
    }


def summarise(rows: list[dict[str, Any]], pages: int, seconds: float) -> dict[str, Any]:
    total = {k: sum(r[k] for r in rows) for k in rows[0]} if rows else {}

    def ratio(a: str, b: str) -> float | None:
        return round(total[a] / total[b], 3) if rows and total[b] else None

    return {
        "form_sets": len(rows),
        "vote_accuracy": ratio("votes_right", "votes"),
        "ballot_accuracy": ratio("ballots_right", "ballots"),
        "number_precision": ratio("returned_right", "returned"),
        "abstained": ratio("abstained", "fields"),
        "pages": pages,
        "pages_per_s": round(pages / seconds, 3) if seconds else None,
    }


def by_kind(per_set: dict[str, dict[str, Any]], truths: dict[str, dict[str, Any]], pages: dict[str, int]):
    """form_type → the split's figures over that kind's form sets only (no pages/s: the sets ran together)."""
    kinds: dict[str, list[str]] = {}
    for stem in per_set:
        kinds.setdefault(truths[stem]["extraction"]["form_info"]["form_type"], []).append(stem)
    keys = [k for k in next(iter(per_set.values()), {}) if k != "error"]
    return {
        kind: summarise([{k: per_set[s][k] for k in keys} for s in stems], sum(pages[s] for s in stems), 0.0)
        for kind, stems in sorted(kinds.items())
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="held-out constituency forms only, offline only")
    parser.add_argument("--split", default="all", choices=("dev", "heldout", "all"))
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated, default offline,tesseract")
    args = parser.parse_args()
    scans = scans_dir()
    if not scans.is_dir():
        print(f"skipped: {scans} not found (set REAL_FORMS_DIR)")
        return 0
    from dataset_platform.forms.cache import ExtractionCache
    from dataset_platform.forms.model_config import ModelConfig
    from dataset_platform.forms.runner import extract_form_sets

    truths = load_truths("heldout" if args.quick else args.split)
    if args.quick:
        truths = {k: v for k, v in truths.items() if "partylist" not in k}
    models = ("offline",) if args.quick else tuple(m for m in args.models.split(",") if m)
    result: dict[str, Any] = {"scans": str(scans), "truth": str(TRUTH_DIR.relative_to(HERE.parent)), "models": {}}
    with tempfile.TemporaryDirectory(prefix="real-forms-") as tmp:
        tmp_path = Path(tmp)
        page_counts = {stem: materialise(stem, scans, tmp_path / "sets") for stem in truths}
        missing = [s for s, n in page_counts.items() if n == 0]
        for stem in missing:
            print(f"skipped {stem}: scan not found in {scans}")
            truths.pop(stem)
        splits = sorted({t["split"] for t in truths.values()})
        print("form sets: " + ", ".join(f"{s} ({truths[s]['split']})" for s in truths))
        for model in models:
            result["models"][model] = {}
            for split in splits:
                stems = [s for s in truths if truths[s]["split"] == split]
                cache = ExtractionCache(tmp_path / f"cache-{model}-{split}")
                started = time.perf_counter()
                records = extract_form_sets(
                    [tmp_path / "sets" / s for s in stems], ModelConfig(model=model), max_concurrency=2, cache=cache
                )
                seconds = time.perf_counter() - started
                rows, per_set = [], {}
                for stem, record in zip(stems, records):
                    row = score(record.extraction, truths[stem]["extraction"], record.uncertain_fields)
                    rows.append(row)
                    per_set[stem] = {**row, "error": record.error}
                summary = summarise(rows, sum(page_counts[s] for s in stems), seconds)
                summary["uncertain_listed"] = sum(r["uncertain"] for r in rows)
                kinds = by_kind(per_set, truths, page_counts)
                result["models"][model][split] = {**summary, "by_kind": kinds, "per_form_set": per_set}
                print(
                    f"{model:9s} {split:7s} sets={summary['form_sets']} vote_acc={summary['vote_accuracy']} "
                    f"ballot_acc={summary['ballot_accuracy']} number_precision={summary['number_precision']} "
                    f"abstained={summary['abstained']} uncertain_listed={summary['uncertain_listed']} "
                    f"pages/s={summary['pages_per_s']} (2 workers)",
                    flush=True,
                )
                for kind, figures in kinds.items():
                    print(
                        f"{'':9s} {'':7s}   {kind}: sets={figures['form_sets']} vote_acc={figures['vote_accuracy']} "
                        f"ballot_acc={figures['ballot_accuracy']} number_precision={figures['number_precision']} "
                        f"abstained={figures['abstained']}",
                        flush=True,
                    )
    out = HERE / "results" / "real_forms.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
