"""What goes into a workflow's zip, what replaces the workflow, and which file is its main file.

AWS behaviour the tests rely on, and where it is stated:

- ``DefinitionUri`` (and ``ParameterTemplate``) of AWS::Omics::Workflow are create-only: a changed value
  replaces the workflow (a new id): "AWS::Omics::Workflow",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-workflow.html
  and its resource provider schema (``createOnlyProperties``, as cfn-lint ships it).
- A definition in S3 (``definitionUri``) is a ZIP of at most 100 MB; when ``main`` is omitted HealthOmics
  chooses among the definition files (``.wdl``, ``.nf``, ``.cwl``) closest to the archive root, ignoring
  hidden files and folders: the only one whatever its name, else ``main.<ext>``: "Package and supply a
  HealthOmics workflow definition", https://docs.aws.amazon.com/omics/latest/dev/workflow-defn-packaging.html
- CDK names a folder asset by the digest of the files it keeps (``exclude`` with glob semantics; links to
  folders outside the asset followed, ``SymlinkFollowMode.EXTERNAL``): aws-cdk-lib ``aws_s3_assets.Asset``
  (``exclude``, ``followSymlinks``) and ``FileSystem.fingerprint``,
  https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_s3_assets.Asset.html
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match

from healthomics_run import ValidationError, Workflow, WorkflowEngine
from healthomics_run.workflows import definition_files
from healthomics_run.workflows import workflow_definition as definitions
from healthomics_run.workflows.definition_files import DEFAULT_EXCLUDES, DefinitionFiles
from tests.synth import ROOT, new_stack, template

HELLO = ROOT / "workflows" / "hello"


def hello_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "pipeline"
    shutil.copytree(HELLO, folder)
    return folder


def synthesized(folder: Path, **props) -> str:
    stack = new_stack()
    Workflow(stack, "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW, **props)
    return json.dumps(template(stack).to_json(), sort_keys=True)


def definition_uri(folder: Path, **props) -> str:
    stack = new_stack()
    Workflow(stack, "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW, **props)
    (resource,) = template(stack).find_resources("AWS::Omics::Workflow").values()
    return resource["Properties"]["DefinitionUri"]["Fn::Sub"]


# -- only the workflow goes into the zip ---------------------------------------------------------------

def test_a_git_commit_a_nextflow_log_and_a_work_folder_leave_the_template_byte_identical(tmp_path):
    folder = hello_copy(tmp_path)
    before = synthesized(folder)
    git = ["git", "-C", str(folder), "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "empty"], check=True)
    (folder / ".nextflow.log").write_text("Nextflow 25.04 ... DEBUG\n")
    (folder / ".nextflow").mkdir()
    (folder / ".nextflow" / "history").write_text("2026-01-01 run\n")
    (folder / "work" / "ab" / "cdef").mkdir(parents=True)
    (folder / "work" / "ab" / "cdef" / "sample.bam").write_bytes(os.urandom(4096))
    (folder / "results").mkdir()
    (folder / "results" / "greeting.txt").write_text("hello\n")
    assert synthesized(folder) == before


def test_a_change_to_the_workflow_changes_its_definition_uri(tmp_path):
    folder = hello_copy(tmp_path)
    before = definition_uri(folder)
    (folder / "main.nf").write_text((folder / "main.nf").read_text() + "\n// changed\n")
    assert definition_uri(folder) != before


def test_a_folder_without_junk_keeps_the_definition_uri_of_releases_that_zipped_everything(tmp_path):
    """``exclude=[]`` zips everything, as releases before 0.3 did: a folder holding nothing the defaults
    leave out has the same asset hash either way, so upgrading replaces no workflow."""
    folder = hello_copy(tmp_path)
    assert definition_uri(folder) == definition_uri(folder, exclude=[])
    assert definition_uri(HELLO) == definition_uri(folder)  # the digest is of the files, not of the path


def test_exclude_takes_cdk_glob_patterns_and_replaces_the_defaults(tmp_path):
    folder = hello_copy(tmp_path)
    (folder / "tests").mkdir()
    (folder / "tests" / "sample.bam").write_bytes(b"BAM")
    (folder / "modules" / "local").mkdir(parents=True)
    (folder / "modules" / "local" / "greet.nf").write_text("process GREET { }\n")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    files = DefinitionFiles.of(folder, [*DEFAULT_EXCLUDES, "*.bam"])
    assert files.names == ["main.nf", "modules/local/greet.nf", "nextflow_schema.json"]
    assert DefinitionFiles.of(folder, ["tests"]).names == [
        ".git/HEAD", "main.nf", "modules/local/greet.nf", "nextflow_schema.json"]


@pytest.mark.parametrize("exclude", ["*.bam", [".git", 3]])
def test_exclude_must_be_a_list_of_patterns(exclude):
    with pytest.raises(ValidationError, match=r"exclude must be a list of glob patterns such as \[\*DEFAULT_EXCLUDES"):
        Workflow(new_stack(), "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW, exclude=exclude)


def test_the_files_listed_are_the_files_cdk_stages(tmp_path):
    folder = hello_copy(tmp_path)
    (folder / "work" / "x").mkdir(parents=True)
    (folder / "work" / "x" / "a.bam").write_bytes(b"BAM")
    (folder / "docs").mkdir()
    (folder / "docs" / "usage.md").write_text("# Usage\n")
    (folder / "docs" / "big.tif").write_bytes(b"TIF")
    exclude = [*DEFAULT_EXCLUDES, "*.tif"]
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    stack = cdk.Stack(app, "TestStack")
    workflow = Workflow(stack, "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW, exclude=exclude)
    staged = tmp_path / "cdk.out" / workflow.definition_asset.asset_path
    app.synth()
    on_disk = sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file())
    assert DefinitionFiles.of(folder, exclude).names == on_disk == ["docs/usage.md", "main.nf", "nextflow_schema.json"]


def test_what_is_left_out_is_said_at_synth(tmp_path):
    folder = hello_copy(tmp_path)
    (folder / ".nextflow.log").write_text("log\n")
    stack = new_stack()
    Workflow(stack, "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW)
    Annotations.from_stack(stack).has_info("/TestStack/Hello", Match.string_like_regexp(
        r"left out of the definition's zip \(exclude=\): \.nextflow\.log"))


def test_what_nf_test_nextflow_miniwdl_python_editors_and_oses_leave_keeps_the_definition_uri(tmp_path):
    """nf-test's ``.nf-test/`` and ``.nf-test.log`` (askimed/nf-test issue 69), the ``null/`` folder of an nf-core
    pipeline run without ``outdir`` (nf-core/tools issue 3495), a miniwdl run folder and its ``_LAST`` link
    (miniwdl ``WDL/_util.py``, ``provision_run_dir``: ``%Y%m%d_%H%M%S_<name>``), ``__pycache__`` (PEP 3147),
    ``.DS_Store``, ``.idea/`` and Vim's ``*.swp`` (github/gitignore's global templates)."""
    folder = hello_copy(tmp_path)
    before = definition_uri(folder)
    (folder / ".nf-test" / "tests" / "abc").mkdir(parents=True)
    (folder / ".nf-test" / "tests" / "abc" / "meta.json").write_text("{}")
    (folder / ".nf-test.log").write_text("nf-test 0.9\n")
    (folder / "null" / "pipeline_info").mkdir(parents=True)
    (folder / "null" / "pipeline_info" / "params.json").write_text("{}")
    (folder / "bin" / "__pycache__").mkdir(parents=True)
    (folder / "bin" / "__pycache__" / "check.cpython-311.pyc").write_bytes(b"\x00" * 64)
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / ".idea").mkdir()
    (folder / ".idea" / "workspace.xml").write_text("<project/>")
    (folder / ".main.nf.swp").write_bytes(b"b0VIM 9.0")
    run = folder / "20260101_120000_hello"
    (run / "out").mkdir(parents=True)
    (run / "workflow.log").write_text("miniwdl run\n")
    (folder / "_LAST").symlink_to(run.name, target_is_directory=True)
    assert definition_uri(folder) == before
    assert definition_uri(folder, exclude=[]) != before  # the files are there: the defaults leave them out


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
                   check=True)


def test_a_readme_only_commit_to_a_repository_root_workflow_leaves_the_template_unchanged(tmp_path):
    folder = hello_copy(tmp_path)
    (folder / "README.md").write_text("# hello\n")
    (folder / "docs").mkdir()
    (folder / "docs" / "usage.md").write_text("Run it.\n")
    (folder / ".github" / "workflows").mkdir(parents=True)
    (folder / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "first")
    before = synthesized(folder)
    (folder / "README.md").write_text("# hello\n\nNow with usage.\n")
    (folder / "docs" / "usage.md").write_text("Run it with -profile test.\n")
    git(folder, "commit", "-q", "-am", "docs")
    assert synthesized(folder) == before
    stack = new_stack()
    Workflow(stack, "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW)
    Annotations.from_stack(stack).has_info("/TestStack/Hello", Match.string_like_regexp(
        r"left out of the definition's zip \(exclude=\): .*\.github.*README\.md"))


def test_a_folder_that_is_no_repository_root_keeps_its_readme(tmp_path):
    """Upgrading changes no zip of a workflow folder inside a repository: only a repository's root leaves out
    documentation."""
    folder = hello_copy(tmp_path)
    (folder / "README.md").write_text("# hello\n")
    assert definition_uri(folder) == definition_uri(folder, exclude=[])
    assert "README.md" in DefinitionFiles.of(folder, definition_files.default_excludes(folder)).names


def test_a_readme_named_by_readme_path_stays_in_a_repository_roots_zip(tmp_path):
    folder = hello_copy(tmp_path)
    (folder / "docs").mkdir()
    (folder / "docs" / "README.md").write_text("# hello\n")
    (folder / "docs" / "usage.md").write_text("Run it.\n")
    (folder / ".git").mkdir()
    assert "docs/README.md" not in DefinitionFiles.of(folder, definition_files.default_excludes(folder)).names
    kept = DefinitionFiles.of(folder, definition_files.default_excludes(folder, ["docs/README.md"])).names
    assert "docs/README.md" in kept and "docs/usage.md" in kept


# -- the 100 MB limit ----------------------------------------------------------------------------------

def test_a_definition_over_the_limit_fails_synth_naming_its_largest_files(tmp_path, monkeypatch):
    monkeypatch.setattr(definition_files, "MAX_ZIP_BYTES", 1_000_000)
    folder = hello_copy(tmp_path)
    (folder / "assets").mkdir()
    (folder / "assets" / "test.bam").write_bytes(os.urandom(1_500_000))  # does not compress
    with pytest.raises(ValidationError) as raised:
        Workflow(new_stack(), "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW)
    message = str(raised.value)
    assert raised.value.code == "InvalidWorkflowDefinition"
    assert "would zip to at least 1.5 MB; HealthOmics takes a definition of at most 1 MB" in message
    assert "Largest files: assets/test.bam (1.5 MB), " in message
    assert "exclude=[*DEFAULT_EXCLUDES, 'pattern']" in message


def test_a_folder_whose_files_compress_under_the_limit_passes(tmp_path, monkeypatch):
    monkeypatch.setattr(definition_files, "MAX_ZIP_BYTES", 1_000_000)
    folder = hello_copy(tmp_path)
    (folder / "reference.txt").write_text("ACGT" * 500_000)  # 2 MB of text, a few kB deflated
    stack = new_stack()
    Workflow(stack, "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW)
    template(stack).resource_count_is("AWS::Omics::Workflow", 1)


def test_a_zip_over_the_limit_fails_synth(tmp_path, monkeypatch):
    monkeypatch.setattr(definition_files, "MAX_ZIP_BYTES", 1_000_000)
    archive = tmp_path / "pipeline.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(HELLO / "main.nf", "main.nf")
        zipped.writestr("test.bam", os.urandom(1_200_000))
    with pytest.raises(ValidationError, match=r"pipeline.zip' is 1.2 MB; HealthOmics takes a definition of at most"):
        Workflow(new_stack(), "Hello", definition=archive, engine=WorkflowEngine.NEXTFLOW)


def test_a_folder_that_zips_over_the_limit_as_the_cli_zips_it_fails_synth(tmp_path, monkeypatch):
    """The CDK CLI adds each file with yazl's ``addBuffer`` (node_modules/aws-cdk/lib/index.js, ``writeZipFile``),
    whose default compression level is 6 (``determineCompressionLevel``), with a 30-byte local header and a
    46-byte central record per entry, each holding the name. 1,000 incompressible files whose bytes alone fit
    the limit make a zip over it; the check before this one (the files' sizes within the limit: pass) let it
    through."""
    folder = tmp_path / "pipeline"
    shutil.copytree(HELLO, folder)
    (folder / "assets").mkdir()
    for number in range(1000):
        (folder / "assets" / f"chunk_{number:04d}.bin").write_bytes(os.urandom(2000))
    raw = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    monkeypatch.setattr(definition_files, "MAX_ZIP_BYTES", raw + 1000)
    with pytest.raises(ValidationError, match=r"would zip to at least 2\.\d MB; HealthOmics takes a definition of "
                                              r"at most 2\.\d+ MB"):
        Workflow(new_stack(), "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW)


@pytest.mark.parametrize("content", ["text", "random"])
def test_the_size_measured_is_the_zip_deflated_at_the_clis_level(tmp_path, content):
    """A zip written with DEFLATE level 6 (yazl's default, as above) is never larger than the size the check
    measures, and the measure is within 1% of it."""
    folder = tmp_path / "pipeline"
    folder.mkdir()
    for number in range(50):
        data = (f"process STEP_{number} {{ script: 'echo {number}' }}\n" * 2000).encode() if content == "text" \
            else os.urandom(20_000)
        (folder / f"step_{number}.nf").write_bytes(data)
    files = DefinitionFiles.of(folder)
    archive = tmp_path / "cli.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zipped:
        for name in files.names:
            zipped.write(folder / name, name)
    zipped_size = archive.stat().st_size
    measured = files.size_problems(limit=zipped_size)
    assert measured, "the measure must not be under the zip's size"
    assert files.size_problems(limit=int(zipped_size * 1.01)) == []


def test_the_documented_limit_is_100_mb():
    assert definition_files.MAX_ZIP_BYTES == 100_000_000


# -- main files as HealthOmics chooses them -----------------------------------------------------------

def test_a_single_nextflow_file_is_the_main_file_whatever_its_name(tmp_path):
    (tmp_path / "pipeline.nf").write_text("workflow { }\n")
    shutil.copy(HELLO / "nextflow_schema.json", tmp_path)
    assert DefinitionFiles.of(tmp_path).main("NEXTFLOW", None) == "pipeline.nf"
    assert set(definitions.derive(tmp_path, "NEXTFLOW")) == {"sample_name", "threads"}


def test_a_cwl_workflow_beside_its_job_files_is_the_main_file(tmp_path):
    shutil.copy(ROOT / "tests" / "fixtures" / "workflows" / "cwl_hello" / "hello.cwl", tmp_path / "greet.cwl")
    (tmp_path / "job.yml").write_text("sample_name: NA12878\n")
    (tmp_path / "job.json").write_text('{"sample_name": "NA12878"}\n')
    assert DefinitionFiles.of(tmp_path).main("CWL", None) == "greet.cwl"


def test_several_files_at_the_closest_level_take_main(tmp_path):
    (tmp_path / "main.wdl").write_text("version 1.0\nworkflow w { input { String a } }\n")
    (tmp_path / "tasks.wdl").write_text("version 1.0\ntask t { command <<< >>> }\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.wdl").write_text("version 1.0\n")
    assert DefinitionFiles.of(tmp_path).main("WDL", None) == "main.wdl"


def test_hidden_folders_are_not_searched_for_the_main_file(tmp_path):
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "lint.wdl").write_text("version 1.0\n")
    (tmp_path / "wdl").mkdir()
    (tmp_path / "wdl" / "germline.wdl").write_text("version 1.0\nworkflow g { input { File bam } }\n")
    assert DefinitionFiles.of(tmp_path).main("WDL", None) == "wdl/germline.wdl"


def test_a_zip_made_with_zip_r_has_its_main_file_under_the_top_folder(tmp_path):
    archive = tmp_path / "hello.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("hello/", "")
        for file in HELLO.iterdir():
            zipped.write(file, f"hello/{file.name}")
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=archive, engine=WorkflowEngine.NEXTFLOW)
    assert set(workflow.parameter_template) == {"sample_name", "threads"}
    template(stack).has_resource_properties("AWS::Omics::Workflow", {"Main": Match.absent()})


def test_a_main_file_in_a_linked_folder_is_found_as_cdk_zips_it(tmp_path):
    elsewhere = tmp_path / "shared" / "hello"
    shutil.copytree(HELLO, elsewhere)
    folder = tmp_path / "definition"
    folder.mkdir()
    (folder / "pipeline").symlink_to(elsewhere, target_is_directory=True)
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    stack = cdk.Stack(app, "TestStack")
    workflow = Workflow(stack, "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW)
    assert set(workflow.parameter_template) == {"sample_name", "threads"}
    app.synth()
    assert (tmp_path / "cdk.out" / workflow.definition_asset.asset_path / "pipeline" / "main.nf").is_file()


def test_no_definition_file_names_what_the_folder_has(tmp_path):
    (tmp_path / "workflow.json").write_text("{}")
    with pytest.raises(ValidationError, match=r"no CWL definition file \(\*\.cwl\) in the definition \(it has "
                                              r"workflow\.json\); give main="):
        Workflow(new_stack(), "Hello", definition=tmp_path, engine=WorkflowEngine.CWL)
