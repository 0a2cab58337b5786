"""The API reference (make docs) builds from the docstrings in strict mode: any warning fails it."""

from __future__ import annotations

import ast
import re

from tests.synth import ROOT

PACKAGE = ROOT / "constructs" / "healthomics_run"


def test_the_api_reference_builds_without_warnings(docs_site):
    log = (docs_site / "build.log").read_text()
    assert log.startswith("exit 0\n"), log[-3000:]
    assert "WARNING" not in log, log[-3000:]
    pages = {page: (docs_site / "site" / "api" / page / "index.html").read_text() for page in
             ("runs", "infrastructure", "workflows", "props", "errors")}
    for name in ("HealthOmicsRun", "HealthOmicsRunBatch", "WorkflowRun", "WorkflowRunBatch"):
        assert f'id="healthomics_run.{name}"' in pages["runs"] or name in pages["runs"], name
    assert "grant_service_role" in pages["infrastructure"] and "grant_image_pull" in pages["workflows"]
    assert "CACHE_ON_FAILURE" in pages["props"] and "Keep the task outputs of runs that fail" in pages["props"]


def test_the_reference_shows_inherited_members_and_hides_internals(docs_site):
    """As aws-cdk-lib's reference: every attribute and method a user calls, inherited ones included, and none
    of the library's internals (private bases, RunResource's helpers)."""
    site = docs_site / "site"
    runs = (site / "api" / "runs" / "index.html").read_text()
    for member in ("run_id", "run_arn", "run_uuid", "run_output_uri", "completion", "grant_read_outputs",
                   "on_status_change", "role", "output_bucket"):
        assert f'id="healthomics_run.runs.health_omics_run.HealthOmicsRun.{member}"' in runs, member
    for member in ("batch_id", "batch_arn", "completion", "grant_read_outputs", "on_status_change"):
        assert f'id="healthomics_run.runs.health_omics_run.HealthOmicsRunBatch.{member}"' in runs, member
    for internal in ("_RunInfrastructure", "RunResource", "tags_resources", "grant_handler", "template_fingerprint"):
        assert internal not in runs, internal
    props = (site / "api" / "props" / "index.html").read_text()
    assert 'id="healthomics_run.runs.run_props.RunProps.wait_for"' in props
    for present in ("HealthOmicsRun.run", "HealthOmicsRunBatch.batch", "HealthOmicsRunBatch.sample_count",
                    "WorkflowRunBatch.sample_count", "WorkflowRun.completion"):
        module = "workflow_run_batch" if present.startswith("WorkflowRunBatch") else (
            "workflow_run" if present.startswith("WorkflowRun") else "health_omics_run")
        assert f'id="healthomics_run.runs.{module}.{present}"' in runs, present
    for internal in ("cdk_tag_manager", "synth_errors", "output_uris"):
        for page in ("runs", "infrastructure", "workflows"):
            assert internal not in (site / "api" / page / "index.html").read_text(), (internal, page)


def test_prose_after_the_fields_stays_out_of_the_last_field(docs_site):
    """In a sphinx-style docstring, a paragraph after ``:param:`` / ``:raises:`` continues the last field: the
    "Attributes: ..." line of a class would render inside its Raises (or Parameters) table."""
    site = docs_site / "site"
    for page in ("runs", "infrastructure", "workflows", "props"):
        html = (site / "api" / page / "index.html").read_text()
        for table in re.findall(r"<table>.*?</table>", html, re.S):
            assert "Attributes" not in re.sub(r"<[^>]+>", "", table), (page, table[:500])


def _page_codes(page: str, pattern: str) -> list[str]:
    """The first column of the page's table: ``| `<code>` | ... |`` rows."""
    return re.findall(rf"^\| `({pattern})` \|", (ROOT / "docs" / "api" / page).read_text(), re.M)


def test_the_errors_page_lists_every_error_code():
    """Every code errors.py defines, and every code the package raises (a constant of errors.py, or a string
    given as the code), once each, with nothing else."""
    tree = ast.parse((PACKAGE / "errors.py").read_text())
    defined = {node.targets[0].id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
               and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Constant)
               and isinstance(node.value.value, str)}
    from healthomics_run import errors

    used = set(errors.CODES)
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in ("ValidationError", "SampleSheetError"):  # (path, code, problems)
                given = node.args[1:2] + [keyword.value for keyword in node.keywords if keyword.arg == "code"]
            elif name == "raise_if_any":
                given = [arg.elts[0] for arg in node.args[1:] if isinstance(arg, ast.Tuple) and arg.elts]
            else:
                continue
            for code in given:
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    used.add(code.value)
                elif isinstance(code, (ast.Name, ast.Attribute)):
                    constant = getattr(code, "id", getattr(code, "attr", None))
                    assert constant in defined, f"{source}: code {constant} is not a constant of errors.py"
                    used.add(defined[constant])
    assert set(errors.CODES) == {value for value in defined.values() if value in errors.CODES}
    listed = _page_codes("errors.md", r"[A-Za-z]+")
    assert len(listed) == len(set(listed)), listed
    assert set(listed) == used, (set(listed) ^ used)
    assert listed == list(errors.CODES), "in the order of errors.CODES, the order the first kind is chosen in"


def test_the_warnings_page_lists_every_warning_id():
    ids = {found for source in PACKAGE.rglob("*.py")
           for found in re.findall(r"healthomics-run::[a-z0-9][a-z0-9-]*", source.read_text())}
    assert len(ids) >= 16, ids
    listed = _page_codes("warnings.md", r"healthomics-run::[a-z0-9-]+")
    assert len(listed) == len(set(listed)), listed
    assert set(listed) == ids, (set(listed) ^ ids)
