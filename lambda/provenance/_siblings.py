"""The ``start_run`` package beside this one, whichever way this package was imported.

In the Lambda the asset's root (``lambda/``) is on ``sys.path`` and both are top-level packages; in the
wheel they are ``healthomics_run._lambda.start_run`` and ``healthomics_run._lambda.provenance``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_PARENT = __package__.rpartition(".")[0]  # "" in the Lambda, "healthomics_run._lambda" in the wheel


def start_run(module: str) -> ModuleType:
    return importlib.import_module(f"{_PARENT}.start_run.{module}" if _PARENT else f"start_run.{module}")
