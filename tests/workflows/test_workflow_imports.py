"""Every file a definition imports is in its zip, checked at synth.

Engine and AWS behaviour the tests rely on, and where it is stated:

- HealthOmics creates a workflow from a zip of "the workflow definition files and any dependencies, such as
  subworkflows": "HealthOmics workflow definition requirements",
  https://docs.aws.amazon.com/omics/latest/dev/workflow-defn-requirements.html
- WDL resolves a relative ``import`` against the importing file: WDL 1.1 specification, "Import Statements",
  https://github.com/openwdl/wdl/blob/wdl-1.1/SPEC.md#import-statements
- Nextflow resolves ``include ... from './x'`` against the including script, tries ``x.nf``, and takes a folder's
  ``main.nf`` (22.10 and later): "Modules", https://www.nextflow.io/docs/latest/module.html
- CWL resolves a step's ``run`` and Schema Salad's ``$import`` against the document: CWL v1.2 "WorkflowStep",
  https://www.commonwl.org/v1.2/Workflow.html#WorkflowStep, and https://www.commonwl.org/v1.2/SchemaSalad.html#Import
- ``git clone`` without ``--recurse-submodules`` leaves each submodule an empty folder named in ``.gitmodules``
  (git-submodule(1), ``update --init``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match

from healthomics_run import ValidationError, Workflow, WorkflowEngine
from healthomics_run.workflows.definition_imports import URL_IMPORT_WARNING_ID
from tests.synth import new_stack

WDL_MAIN = """version 1.0
import "{path}" as x

workflow align {{
  input {{ File bam }}
  call x.count {{ input: bam = bam }}
}}
"""
WDL_TASK = """version 1.0
task count {
  input { File bam }
  command <<< wc -c ~{bam} >>>
  output { Int n = read_int(stdout()) }
}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_wdl_import_outside_the_folder_fails_synth_naming_the_import_and_the_folder_to_give(tmp_path):
    write(tmp_path / "repo" / "workflows" / "main.wdl", WDL_MAIN.format(path="../tasks/x.wdl"))
    write(tmp_path / "repo" / "tasks" / "x.wdl", WDL_TASK)
    with pytest.raises(ValidationError) as raised:
        Workflow(new_stack(), "Align", definition=tmp_path / "repo" / "workflows", engine=WorkflowEngine.WDL)
    message = str(raised.value)
    assert raised.value.code == "InvalidWorkflowDefinition"
    assert "main.wdl imports '../tasks/x.wdl', which is outside the definition" in message
    assert f"give definition={str(tmp_path / 'repo')!r} (the folder holding both) with main='workflows/main.wdl'" \
        in message


def test_the_same_import_from_the_common_parent_passes(tmp_path):
    write(tmp_path / "repo" / "workflows" / "main.wdl", WDL_MAIN.format(path="../tasks/x.wdl"))
    write(tmp_path / "repo" / "tasks" / "x.wdl", WDL_TASK)
    workflow = Workflow(new_stack(), "Align", definition=tmp_path / "repo", engine=WorkflowEngine.WDL,
                        main="workflows/main.wdl")
    assert set(workflow.parameter_template) == {"bam"}


def test_an_import_of_an_import_is_followed(tmp_path):
    write(tmp_path / "main.wdl", WDL_MAIN.format(path="tasks/x.wdl"))
    write(tmp_path / "tasks" / "x.wdl", 'version 1.0\nimport "structs/sample.wdl"\n' + WDL_TASK[len("version 1.0\n"):])
    with pytest.raises(ValidationError, match=r"tasks/x\.wdl imports 'structs/sample\.wdl' "
                                              r"\(tasks/structs/sample\.wdl\), which is not in the definition"):
        Workflow(new_stack(), "Align", definition=tmp_path, engine=WorkflowEngine.WDL)


def test_an_import_left_out_by_exclude_says_so(tmp_path):
    write(tmp_path / "main.wdl", WDL_MAIN.format(path="tests/x.wdl"))
    write(tmp_path / "tests" / "x.wdl", WDL_TASK)
    with pytest.raises(ValidationError, match=r"exclude= leaves 'tests' out"):
        Workflow(new_stack(), "Align", definition=tmp_path, engine=WorkflowEngine.WDL, exclude=["tests"])


def test_an_import_into_an_uninitialized_submodule_is_named_as_such(tmp_path):
    write(tmp_path / ".gitmodules", '[submodule "tasks"]\n\tpath = tasks\n\turl = https://github.com/biowdl/tasks.git\n')
    (tmp_path / ".git").mkdir()
    (tmp_path / "tasks").mkdir()
    write(tmp_path / "main.wdl", WDL_MAIN.format(path="tasks/samtools.wdl"))
    with pytest.raises(ValidationError, match=r"'.*tasks' is a git submodule that is not checked out \(empty, named in "
                                              r"\.gitmodules\); run `git submodule update --init --recursive`"):
        Workflow(new_stack(), "Align", definition=tmp_path, engine=WorkflowEngine.WDL)


def test_a_url_import_warns(tmp_path):
    url = "https://raw.githubusercontent.com/biowdl/tasks/v5.0.0/samtools.wdl"
    write(tmp_path / "main.wdl", WDL_MAIN.format(path=url))
    stack = new_stack()
    Workflow(stack, "Align", definition=tmp_path, engine=WorkflowEngine.WDL)
    Annotations.from_stack(stack).has_warning("/TestStack/Align", Match.string_like_regexp(
        f"imports {url}, a URL: HealthOmics runs the definition from its zip.*\\[ack: {URL_IMPORT_WARNING_ID}\\]"))


NEXTFLOW_MAIN = """nextflow.enable.dsl = 2
include { FASTQC } from './modules/fastqc'
include { MULTIQC; MULTIQC as MULTIQC_AGAIN } from "./modules/multiqc/main.nf"
include { validateParameters } from 'plugin/nf-schema'
// include { OLD } from './modules/old'
workflow { FASTQC(channel.of(params.input)) }
"""


def test_nextflow_includes_resolve_as_nextflow_resolves_them(tmp_path):
    write(tmp_path / "main.nf", NEXTFLOW_MAIN)
    write(tmp_path / "modules" / "fastqc" / "main.nf", "process FASTQC { script: 'true' }\n")
    write(tmp_path / "modules" / "multiqc" / "main.nf", "include { X } from '../../lib/x'\nprocess MULTIQC { }\n")
    write(tmp_path / "lib" / "x.nf", "def X() { 1 }\n")
    Workflow(new_stack(), "Qc", definition=tmp_path, engine=WorkflowEngine.NEXTFLOW)
    (tmp_path / "lib" / "x.nf").unlink()
    with pytest.raises(ValidationError, match=r"multiqc/main\.nf imports '\.\./\.\./lib/x' \(lib/x or lib/x\.nf or "
                                              r"lib/x/main\.nf\), which is not in the definition"):
        Workflow(new_stack(), "Qc", definition=tmp_path, engine=WorkflowEngine.NEXTFLOW)


CWL_MAIN = """cwlVersion: v1.2
class: Workflow
requirements:
  SchemaDefRequirement:
    types:
      - $import: types/sample.yml
inputs:
  reads: File
outputs: []
steps:
  count:
    run: {run}
    in: {{reads: reads}}
    out: []
"""


def test_a_cwl_step_run_outside_the_folder_fails_synth(tmp_path):
    write(tmp_path / "wf" / "main.cwl", CWL_MAIN.format(run="../tools/count.cwl"))
    write(tmp_path / "wf" / "types" / "sample.yml", "- name: Sample\n  type: record\n  fields: {id: string}\n")
    write(tmp_path / "tools" / "count.cwl", "cwlVersion: v1.2\nclass: CommandLineTool\ninputs: {}\noutputs: {}\n")
    with pytest.raises(ValidationError, match=r"main\.cwl imports '\.\./tools/count\.cwl', which is outside the "
                                              r"definition"):
        Workflow(new_stack(), "Count", definition=tmp_path / "wf", engine=WorkflowEngine.CWL)


def test_a_cwl_import_of_types_must_be_in_the_zip(tmp_path):
    write(tmp_path / "main.cwl", CWL_MAIN.format(run="tools/count.cwl"))
    write(tmp_path / "tools" / "count.cwl", "cwlVersion: v1.2\nclass: CommandLineTool\ninputs: {}\noutputs: {}\n")
    with pytest.raises(ValidationError, match=r"imports 'types/sample\.yml' \(types/sample\.yml\), which is not in"):
        Workflow(new_stack(), "Count", definition=tmp_path, engine=WorkflowEngine.CWL)
    write(tmp_path / "types" / "sample.yml", "- name: Sample\n  type: record\n  fields: {id: string}\n")
    Workflow(new_stack(), "Count", definition=tmp_path, engine=WorkflowEngine.CWL)
