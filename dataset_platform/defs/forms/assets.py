"""Forms group: page manifests → model extractions → reviewed ground truth.

Data between assets lives in files under ``$DATASET_PLATFORM_HOME`` (manifests/, extractions/,
ground_truth/); the domain logic is in ``dataset_platform.forms``.
"""

import warnings
from typing import Any

import dagster as dg

from dataset_platform.common import atomic, markdown
from dataset_platform.defs.forms.partitions import form_sets_partitions
from dataset_platform.defs.run_config import ExtractionConfig
from dataset_platform.forms import paths
from dataset_platform.forms.prompt import PROMPT_VERSION
from dataset_platform.resources.models import ExtractionModels
from dataset_platform.resources.review_db import ReviewDatabase

# single_run() is the documented way to extract a batch in one run; its beta notice would print on every load.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

GROUP = "forms"
MAX_REASONS = 20


manifests_dir = paths.manifests_dir


@dg.asset(
    group_name=GROUP,
    partitions_def=form_sets_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version="1",
    kinds={"python"},
    description="Manifest of one form set: its pages (images, or each page of its PDFs, in reading order), sha256, "
    "size, pixel dims, readable or why not (corrupt, oversized, decompression bomb).",
)
def raw_form_images(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from dataset_platform.forms.folder_fingerprint import fingerprints
    from dataset_platform.forms.pages import form_set_manifest

    manifests = []
    for form_set_id in context.partition_keys:
        # Per partition: what new_form_sets_sensor compares the folder with (forms/folder_fingerprint.py).
        context.add_asset_metadata(fingerprints(paths.form_set_dir(form_set_id)), partition_key=form_set_id)
        manifest = form_set_manifest(paths.form_set_dir(form_set_id))
        atomic.write_json(manifests_dir() / f"{form_set_id}.json", manifest.to_dict())
        manifests.append(manifest)
        if manifest.error:
            context.log.warning("form set %s: %s", form_set_id, manifest.error)
    unreadable = [m for m in manifests if not m.readable]
    rows = [
        [m.form_set_id, p.name, f"{p.width}×{p.height}", p.size_bytes, p.sha256[:12], p.reason or "ok"]
        for m in manifests[:10]
        for p in m.pages
    ]
    return dg.MaterializeResult(
        metadata={
            "form_sets": len(manifests),
            "pages": sum(m.num_pages for m in manifests),
            "unreadable_form_sets": len(unreadable),
            "unreadable_pages": sum(m.num_unreadable_pages for m in manifests),
            "unreadable_reasons": dg.MetadataValue.md(
                "\n".join(f"- `{m.form_set_id}`: {m.error}" for m in unreadable[:MAX_REASONS]) or "none"
            ),
            "pages_preview": dg.MetadataValue.md(
                markdown.table(["form set", "page", "pixels", "bytes", "sha256", "status"], rows)
            ),
            "dagster/uri": str(manifests_dir()),
        }
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=form_sets_partitions,
    deps=[raw_form_images],
    pool="gemini",
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version=f"prompt-{PROMPT_VERSION}",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS),
    kinds={"gemini", "python"},
    description="One FormExtraction (or a recorded failure) per form set, with model, prompt version, tokens, "
    "latency, cost and cache hit; written to $DATASET_PLATFORM_HOME/extractions/<id>.json.",
)
def llm_extractions(
    context: dg.AssetExecutionContext, config: ExtractionConfig, models: ExtractionModels
) -> dg.MaterializeResult:
    from dataset_platform.forms.ground_truth import extractions_dir

    model_config = config.to_model_config(models.default_model())
    model = model_config.model
    reason = models.availability(model)
    if reason is not None:
        raise dg.Failure(f"model {model} cannot run here: {reason}", allow_retries=False)
    dirs = [paths.form_set_dir(key) for key in context.partition_keys]
    context.log.info("extracting %d form set(s) with %s", len(dirs), model_config.name)

    def log_progress(done: int, total: int, record: Any) -> None:
        if done == total or done % 10 == 0 or record.error:
            context.log.info(
                "%d/%d done (last: %s%s)",
                done,
                total,
                record.form_set_id,
                f" failed: {record.error}" if record.error else "",
            )

    records = models.extract(dirs, model_config, max_concurrency=config.max_concurrency, on_progress=log_progress)
    for record in records:
        atomic.write_json(extractions_dir() / f"{record.form_set_id}.json", record.to_dict())

    failed = [r for r in records if r.error]
    fresh = [r for r in records if not r.cache_hit]
    rows = [
        [
            r.form_set_id,
            "failed" if r.error else ("cached" if r.cache_hit else "ok"),
            len((r.extraction or {}).get("vote_results", [])),
            r.input_tokens + r.output_tokens,
            f"{r.latency_s:.2f}",
            (r.error or "; ".join(r.warnings))[:120],
        ]
        for r in records[:20]
    ]
    return dg.MaterializeResult(
        metadata={
            "model": model,
            "config_name": model_config.name,
            "prompt_version": records[0].prompt_version if records else PROMPT_VERSION,
            "succeeded": len(records) - len(failed),
            "failed": len(failed),
            "cached": sum(r.cache_hit for r in records),
            "with_warnings": sum(bool(r.warnings) for r in records),
            "with_uncertain_fields": sum(bool(r.uncertain_fields) for r in records),
            "uncertain_fields": sum(len(r.uncertain_fields) for r in records),
            "failure_reasons": dg.MetadataValue.md(
                "\n".join(f"- `{r.form_set_id}`: {r.error}" for r in failed[:MAX_REASONS]) or "none"
            ),
            "input_tokens": sum(r.input_tokens for r in fresh),
            "output_tokens": sum(r.output_tokens for r in fresh),
            "cost_usd": round(sum(r.cost_usd for r in fresh), 6),
            "dagster/row_count": len(records),
            "preview": dg.MetadataValue.md(
                markdown.table(["form set", "status", "candidates", "tokens", "latency s", "notes"], rows)
            ),
            "dagster/uri": str(extractions_dir()),
        }
    )


@dg.asset(
    group_name=GROUP,
    deps=[llm_extractions],
    code_version="1",
    kinds={"python"},
    description="Every form set: the latest complete human review if one exists, else the model extraction, with a "
    "status per record (human-reviewed, llm-generated, needs-review, unavailable); invalid reviews skipped and named.",
)
def ground_truth_dataset(context: dg.AssetExecutionContext, review_db: ReviewDatabase) -> dg.MaterializeResult:
    from dataset_platform.forms.consistency import consistency_score
    from dataset_platform.forms.ground_truth import (
        build_records,
        ground_truth_dir,
        latest_reviews,
        load_extractions,
        skipped_reviews,
        status_counts,
        write_ground_truth,
    )
    from dataset_platform.forms.review_fingerprint import extraction_reviews_fingerprint

    forms_dir = paths.forms_dir()
    folders = paths.form_set_ids(forms_dir)
    with review_db.failures():  # retries with backoff, then a Failure naming the (masked) URL
        review_db.check_connection()
        reviews_fingerprint = extraction_reviews_fingerprint(review_db.get_engine())  # before the reviews are read
        reviews = latest_reviews(review_db.get_engine())
    records = build_records(folders, load_extractions(), reviews, forms_dir)
    version = write_ground_truth(records)
    counts = status_counts(records)
    rows = [
        [
            r["id"],
            r["metadata"]["status"],
            r["metadata"]["model"] or "",
            r["metadata"]["reviewer"] or "",
            len((r["expected_output"] or {}).get("vote_results", [])),
            f"{consistency_score(r['expected_output']):.2f}",
        ]
        for r in records[:15]
    ]
    skipped = skipped_reviews(records)
    for item in skipped[:MAX_REASONS]:
        context.log.warning("skipped %s", item["reason"])
    needs_review = [r for r in records if r["metadata"]["status"] == "needs-review"]
    context.log.info("ground truth %s: %s; %d review(s) skipped", version, counts, len(skipped))
    return dg.MaterializeResult(
        metadata={
            "version": version,
            **{f"count_{status.replace('-', '_')}": n for status, n in counts.items()},
            "skipped_reviews": len(skipped),
            "skipped_review_reasons": dg.MetadataValue.md(
                "\n".join(f"- {item['reason']}" for item in skipped[:MAX_REASONS]) or "none"
            ),
            "needs_review_with_uncertain_fields": sum(bool(r["metadata"]["uncertain_fields"]) for r in needs_review),
            "needs_review_with_broken_rules": sum(bool(r["metadata"]["broken_rules"]) for r in needs_review),
            "review_database": review_db.describe(),
            "reviews_fingerprint": reviews_fingerprint,  # what new_reviews_sensor compares with the database
            "dagster/row_count": len(records),
            "preview": dg.MetadataValue.md(
                markdown.table(["form set", "status", "model", "reviewer", "candidates", "consistency"], rows)
            ),
            "dagster/uri": str(ground_truth_dir() / f"{version}.jsonl"),
        }
    )
