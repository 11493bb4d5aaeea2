"""One dynamic partition per form set (its folder name under ``$DATASET_PLATFORM_HOME/forms``)."""

import dagster as dg

form_sets_partitions = dg.DynamicPartitionsDefinition(name="form_sets")
