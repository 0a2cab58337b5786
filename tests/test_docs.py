"""The API reference (make docs) builds from the docstrings in strict mode: any warning fails it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.synth import ROOT

PACKAGE = ROOT / "constructs" / "healthomics_run"


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


def test_the_reference_shows_inherited_members_and_hides_internals(tmp_path):
    """As aws-cdk-lib's reference: every attribute and method a user calls, inherited ones included, and none
    of the library's internals (private bases, RunResource's helpers)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)], cwd=ROOT,
                   env=env, capture_output=True, text=True, timeout=120, check=True)
    runs = (tmp_path / "api" / "runs" / "index.html").read_text()
    for member in ("run_id", "run_arn", "run_uuid", "run_output_uri", "completion", "grant_read_outputs",
                   "on_status_change", "role", "output_bucket"):
        assert f'id="healthomics_run.runs.health_omics_run.HealthOmicsRun.{member}"' in runs, member
    for member in ("batch_id", "batch_arn", "completion", "grant_read_outputs", "on_status_change"):
        assert f'id="healthomics_run.runs.health_omics_run.HealthOmicsRunBatch.{member}"' in runs, member
    for internal in ("_RunInfrastructure", "RunResource", "tags_resources", "grant_handler", "template_fingerprint"):
        assert internal not in runs, internal
    props = (tmp_path / "api" / "props" / "index.html").read_text()
    assert 'id="healthomics_run.runs.run_props.RunProps.wait_for"' in props
    for present in ("HealthOmicsRun.run", "HealthOmicsRunBatch.batch", "HealthOmicsRunBatch.sample_count",
                    "WorkflowRunBatch.sample_count", "WorkflowRun.completion"):
        module = "workflow_run_batch" if present.startswith("WorkflowRunBatch") else (
            "workflow_run" if present.startswith("WorkflowRun") else "health_omics_run")
        assert f'id="healthomics_run.runs.{module}.{present}"' in runs, present
    for internal in ("cdk_tag_manager", "synth_errors", "output_uris"):
        for page in ("runs", "infrastructure", "workflows"):
            assert internal not in (tmp_path / "api" / page / "index.html").read_text(), (internal, page)


def test_prose_after_the_fields_stays_out_of_the_last_field(tmp_path):
    """In a sphinx-style docstring, a paragraph after ``:param:`` / ``:raises:`` continues the last field: the
    "Attributes: ..." line of a class would render inside its Raises (or Parameters) table."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)], cwd=ROOT,
                   env=env, capture_output=True, text=True, timeout=120, check=True)
    for page in ("runs", "infrastructure", "workflows", "props"):
        html = (tmp_path / "api" / page / "index.html").read_text()
        for table in re.findall(r"<table>.*?</table>", html, re.S):
            assert "Attributes" not in re.sub(r"<[^>]+>", "", table), (page, table[:500])

