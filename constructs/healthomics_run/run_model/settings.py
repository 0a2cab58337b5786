"""Which settings class reads which resource type: the one map the handler and the run plan share.

Pure Python (no boto3), so ``healthomics-run plan`` decides START or KEEP with the very code that
derives the deploy's requestId.
"""

from __future__ import annotations

from typing import Any, Callable, Union

from .batch_settings import RESOURCE_TYPE as BATCH_RESOURCE_TYPE
from .batch_settings import BatchSettings
from .properties import RunSettings

RUN_RESOURCE_TYPE = "Custom::HealthOmicsRun"
# Signals the wait condition of a run that ended before its status rule existed (see completion).
CHECK_RESOURCE_TYPE = "Custom::HealthOmicsRunCompletionCheck"
Settings = Union[RunSettings, BatchSettings]

READERS: dict[str, Callable[[dict[str, Any]], Settings]] = {
    RUN_RESOURCE_TYPE: RunSettings.from_properties,
    BATCH_RESOURCE_TYPE: BatchSettings.from_properties,
}
