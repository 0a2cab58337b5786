"""The HealthOmics service model shipped with this package.

The Lambda runtime bundles a botocore that can predate StartRun fields this library supports
(``networkingMode``, ``outputUriPrefixMode``, ...). Shipping the model lets the handler's client
know every field, and lets the constructs validate props against the very constraints the
service model declares, at synth time, without importing botocore.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).with_name("models")
API_VERSION = "2022-11-28"
MODEL_FILE = MODELS_DIR / "omics" / API_VERSION / "service-2.json.gz"


@functools.cache
def model() -> dict[str, Any]:
    with gzip.open(MODEL_FILE, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def shape(name: str) -> dict[str, Any]:
    return model()["shapes"][name]


def members(structure: str) -> dict[str, dict[str, Any]]:
    """Members of a structure shape, each resolved to its shape (constraints included)."""
    return {name: shape(member["shape"]) for name, member in shape(structure)["members"].items()}


def input_members(operation: str) -> dict[str, dict[str, Any]]:
    """Members of an operation's input, each resolved to its shape (constraints included)."""
    return members(model()["operations"][operation]["input"]["shape"])


def output_members(operation: str) -> dict[str, dict[str, Any]]:
    """Members of an operation's output, each resolved to its shape."""
    output_shape = shape(model()["operations"][operation]["output"]["shape"])
    return {name: shape(member["shape"]) for name, member in output_shape["members"].items()}
