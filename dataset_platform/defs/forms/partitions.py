"""One dynamic partition per form set (its folder name under ``$DATASET_PLATFORM_HOME/forms``)."""

import dagster as dg

FORM_SETS_PARTITIONS = "form_sets"
form_sets_partitions = dg.DynamicPartitionsDefinition(name=FORM_SETS_PARTITIONS)

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def range_tags(keys: list[str]) -> dict[str, str]:
    """Run tags that make one run cover ``keys`` (contiguous in the partition order), e.g. all new form sets."""
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]} if keys else {}


def sync_form_set_partitions(instance: dg.DagsterInstance) -> list[str]:
    """Add a partition for every form-set folder not yet known; return all form-set keys in partition order."""
    from dataset_platform.forms import paths

    folders = paths.form_set_ids()
    known = set(instance.get_dynamic_partitions(FORM_SETS_PARTITIONS))
    new = [f for f in folders if f not in known]
    if new:
        instance.add_dynamic_partitions(FORM_SETS_PARTITIONS, new)
    return list(instance.get_dynamic_partitions(FORM_SETS_PARTITIONS))
