"""JSON files staged to S3 as CDK assets: sample sheets of more than 100 samples, and parameters kept out
of the template (``stage_parameters``).

A file is written once per content, named by its digest, under the system's temporary folder, so that
synthesis is deterministic (the asset's hash, and so its key, depends on the content only) and a
100,000-sample sheet is not rewritten on every synth.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from aws_cdk import aws_s3_assets as s3_assets

from constructs import Construct


def stage_json(scope: Construct, id: str, text: str, digest: str, kind: str) -> s3_assets.Asset:
    """An asset of ``text`` (its SHA-256 ``digest``); ``kind`` names the temporary folder it is written to."""
    return s3_assets.Asset(scope, id, path=str(_write_once(text, digest, kind)))


def may_hold_tokens(text: str) -> bool:
    """Whether ``text`` (JSON of the values) holds a token: the markers CDK encodes string and list tokens with,
    or a number token's magnitude (about -1.9e+289). A file staged at synth cannot hold values known only at
    deploy time. Cheap on 100,000 sample rows: a look at the text, no walk through the values."""
    return "${Token[" in text or "#{Token[" in text or "e+28" in text or "e+29" in text


def _write_once(text: str, digest: str, kind: str) -> Path:
    folder = Path(tempfile.gettempdir()) / f"healthomics-run-{kind}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.json"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    return path
