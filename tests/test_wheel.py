"""A wheel built from this repository, installed elsewhere, synthesizes an app that uses the library."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from tests.synth import ROOT

# Every construct, synthesized where boto3 and botocore cannot be imported: the library needs
# neither (only the Lambda handler does, and the Lambda runtime has them).
APP = '''
import json, sys
sys.modules["boto3"] = sys.modules["botocore"] = None
import aws_cdk as cdk
import healthomics_run
from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, RunCache, WaitFor
assert healthomics_run.__file__.startswith(sys.argv[1]), healthomics_run.__file__
app = cdk.App(outdir=sys.argv[2])
stack = cdk.Stack(app, "Installed")
HealthOmicsRun(stack, "Run", workflow_id="1234567", parameters={"sample_name": "NA12878"},
               cache=RunCache(stack, "Cache"), wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.hours(3))
HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=[{"run_setting_id": f"S{i}"} for i in range(101)])
app.synth()
'''


def test_installed_wheel_carries_the_handler_and_synthesizes(tmp_path, wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "healthomics_run/handlers/start_run/handler.py" in names
    assert "healthomics_run/handlers/after_run/handler.py" in names
    assert "healthomics_run/run_model/models/omics/2022-11-28/service-2.json.gz" in names
    python_folders = {str(path.parent.relative_to(ROOT / "constructs")) for path in (ROOT / "constructs").rglob("*.py")}
    python_folders |= {"healthomics_run/handlers/" + str(path.parent.relative_to(ROOT / "lambda"))
                       for path in (ROOT / "lambda").rglob("*.py")}
    shipped = {name.rpartition("/")[0] for name in names if name.endswith(".py")}
    assert python_folders - {"healthomics_run/handlers/."} <= shipped  # pyproject.toml lists every package
    (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
    entry_points_text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "healthomics-run = healthomics_run.commands.cli:console" in entry_points_text
    assert "healthomics_run/py.typed" in names  # PEP 561: type checkers read the package's hints
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    (metadata,) = [name for name in names if name.endswith(".dist-info/METADATA")]
    metadata = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: Apache-2.0" in metadata and "Requires-Python: >=3.11" in metadata

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    (workdir / "app.py").write_text(APP)
    env = {**os.environ, "PYTHONPATH": str(site)}
    synth = subprocess.run([sys.executable, "app.py", str(site), str(workdir / "cdk.out")], cwd=workdir, env=env,
                           capture_output=True, text=True)
    assert synth.returncode == 0, synth.stderr[-3000:]
    assets = list((workdir / "cdk.out").glob("asset.*/start_run/handler.py"))
    assert len(assets) == 1
    assert (assets[0].parent.parent / "healthomics_run" / "run_model" / "fields.py").exists()
    template = (workdir / "cdk.out" / "Installed.template.json").read_text()
    assert all(kind in template for kind in ("Custom::HealthOmicsRun", "Custom::HealthOmicsRunBatch",
                                             "AWS::CloudFormation::WaitCondition", "AWS::Omics::RunCache"))
