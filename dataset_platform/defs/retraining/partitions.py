"""One partition per classifier label."""

import dagster as dg

from dataset_platform.common.labels import LABELS

label_partitions = dg.StaticPartitionsDefinition(list(LABELS))
