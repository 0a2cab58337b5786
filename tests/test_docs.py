"""The API reference (make docs) builds from the docstrings in strict mode: any warning fails it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.synth import ROOT


def test_the_api_reference_builds_without_warnings(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr[-3000:]
    assert "WARNING" not in build.stderr, build.stderr[-3000:]
    pages = {page: (tmp_path / "api" / page / "index.html").read_text() for page in
             ("runs", "infrastructure", "workflows", "props", "errors")}
    for name in ("HealthOmicsRun", "HealthOmicsRunBatch", "WorkflowRun", "WorkflowRunBatch"):
        assert f'id="healthomics_run.{name}"' in pages["runs"] or name in pages["runs"], name
    assert "grant_service_role" in pages["infrastructure"] and "grant_image_pull" in pages["workflows"]
    assert "CACHE_ON_FAILURE" in pages["props"] and "Keep the task outputs of runs that fail" in pages["props"]
